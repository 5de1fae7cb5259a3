"""Recording notifications: one event, the people it concerns, once each, with their e-mails in the outbox.

Everything that tells residents something goes through ``record_event``: the producer (cts.notify.producer)
for decided cases and rounds, and ``record_milestone`` for projects' milestones. It honours each person's
choices (a kind switched off records nothing; e-mail switched off records the page's notification only), and
writes the e-mail whole, in the person's language, in the same transaction: the outbox never holds an
e-mail without its notification, nor a notification of someone who asked for e-mail without its e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.core.config import Settings
from cts.models import (
    Hromada,
    Notification,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
    User,
)


def preferences_of(session: Session, user_id: int, hromada_id: int) -> NotificationPreference:
    """A person's choices in a hromada (everything on, by default: a new row, not yet added)."""
    found = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.hromada_id == hromada_id
        )
    )
    if found is not None:
        return found
    return NotificationPreference(
        user_id=user_id,
        hromada_id=hromada_id,
        case_decided=True,
        round_opened=True,
        round_closing=True,
        milestone=True,
        email=True,
    )


def message_id(settings: Settings, notification: Notification, hromada: Hromada) -> str:
    """The e-mail's Message-ID, derived from the notification: every try of it carries the same one, so a
    mail system that keeps one message per Message-ID shows a resent copy once."""
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    created = int(notification.created_at.timestamp())
    return f"<notification-{notification.id}.{created}.{hromada.slug}@{domain}>"


def _email(settings: Settings, hromada: Hromada, user: User, notification: Notification) -> NotificationEmail:
    from cts.web.i18n import get_translator  # the catalogs, read once per process
    from cts.web.notification_texts import email_text

    subject, body = email_text(
        get_translator(user.preferred_language),
        notification.kind,
        notification.params,
        name=user.display_name,
        hromada_name=hromada.name,
        hromada_url=f"{settings.public_url.rstrip('/')}/h/{hromada.slug}",
    )
    assert user.email is not None
    return NotificationEmail(
        notification_id=notification.id,
        to_address=user.email,
        language=user.preferred_language,
        message_id=message_id(settings, notification, hromada),
        subject=subject[:300],
        body=body,
    )


def record_event(
    session: Session,
    settings: Settings,
    hromada: Hromada,
    kind: NotificationKind,
    event_key: str,
    user_ids: Iterable[int],
    params: Mapping[str, Any],
    chain_time: int,
    *,
    email: bool = True,
) -> list[Notification]:
    """Tell each of these people of one event, unless they were told already or switched the kind off; queue
    the e-mail of each who has an address and wants e-mail, when the service has an SMTP server (and
    ``email``: news too old to mail is told on the page only). Flushed, not
    committed: the caller commits with whatever else the event changes (a producer's cursor). Two producers
    racing meet the unique key (person, hromada, kind, event): the loser's flush fails and it rolls back."""
    wanted = set(user_ids)
    if not wanted:
        return []
    told = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.hromada_id == hromada.id,
                Notification.kind == kind,
                Notification.event_key == event_key,
                Notification.user_id.in_(wanted),
            )
        )
    )
    wanted -= told
    if not wanted:
        return []
    choices = {
        p.user_id: p
        for p in session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.hromada_id == hromada.id, NotificationPreference.user_id.in_(wanted)
            )
        )
    }
    people = [
        user
        for user in session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id))
        if not user.is_disabled and (user.id not in choices or choices[user.id].wants(kind))
    ]
    made = [
        Notification(
            hromada_id=hromada.id,
            user_id=user.id,
            kind=kind,
            event_key=event_key,
            params=dict(params),
            chain_time=int(chain_time),
        )
        for user in people
    ]
    session.add_all(made)
    session.flush()  # their ids make the e-mails' Message-IDs
    if settings.smtp_host and email:
        for user, notification in zip(people, made, strict=True):
            if user.email and (user.id not in choices or choices[user.id].email):
                session.add(_email(settings, hromada, user, notification))
        session.flush()
    return made


def record_milestone(
    session: Session,
    settings: Settings,
    hromada: Hromada,
    *,
    round_id: int,
    project_id: int,
    milestone: str,
    project_title: str,
    text: str,
    voter_ids: Iterable[int],
    chain_time: int,
    extra: Mapping[str, Any] | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell the people who voted for a project (their user ids) that it reached a milestone (a key unique
    within the project). The producer calls it for each report the council accepts (ProjectDelivery's
    ``ReportAccepted``), with the milestone's number and the plan's count in ``extra``."""
    return record_event(
        session,
        settings,
        hromada,
        NotificationKind.MILESTONE,
        f"project:{round_id}:{project_id}:{milestone}",
        voter_ids,
        {
            "round": round_id,
            "project": project_id,
            "project_title": project_title,
            "text": text,
            **(extra or {}),
        },
        chain_time,
        email=email,
    )
