"""A resident's notifications: the list (newest first, the unread marked, then counted as read), and what they
choose to be told (a switch per kind, and one for e-mail). Nothing here reads the chain: the producer
(cts.notify) wrote each notification with its facts."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cts.core.db import utcnow
from cts.models import Notification, NotificationKind
from cts.notify.events import preferences_of
from cts.web.deps import FormDep, Page, ResidentPage
from cts.web.forms import FormState, handle_form
from cts.web.notification_texts import kind_names, told

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 100  # the newest; older ones stay in the database
EMAIL = "email"


def unread_count(session: Session, user_id: int, hromada_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.hromada_id == hromada_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def _settings_form(page: Page) -> FormState:
    """The switches as they are now."""
    assert page.user is not None
    choices = preferences_of(page.session, page.user.id, page.hromada_id)
    on = [kind.value for kind in NotificationKind if choices.wants(kind)] + ([EMAIL] if choices.email else [])
    return FormState(name="n", lists={"tell": on})


def _render(page: Page, form: FormState, status: int = 200) -> Response:
    assert page.user is not None
    notifications = list(
        page.session.scalars(
            select(Notification)
            .where(Notification.user_id == page.user.id, Notification.hromada_id == page.hromada_id)
            .order_by(Notification.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    response = page.render(
        "notifications.html",
        {
            "items": [(n, told(page.t, n.kind, n.params)) for n in notifications],
            "form": form,
            "kinds": list(kind_names(page.t).items()),
            "email_on": page.settings.smtp_host is not None,
        },
        status=status,
    )
    unread = [n.id for n in notifications if n.read_at is None]
    if unread and status == 200:
        # Shown once as new: the next visit lists them as read.
        page.session.execute(update(Notification).where(Notification.id.in_(unread)).values(read_at=utcnow()))
        page.session.commit()
    return response


@router.get("/me/notifications")
def notifications_page(page: ResidentPage) -> Response:
    return _render(page, _settings_form(page))


@router.post("/me/notifications")
def save_choices(page: ResidentPage, form: FormDep) -> Response:
    """The switches, saved once (the form's one-time key); a value that is not a switch changes nothing."""
    allowed = {kind.value for kind in NotificationKind} | {EMAIL}

    def act() -> str:
        assert page.user is not None
        chosen = set(form.lists.get("tell", []))
        if not chosen <= allowed:
            form.error("tell", page.t.gettext("Choose one of the options."))
        form.check()
        choices = preferences_of(page.session, page.user.id, page.hromada_id)
        for kind in NotificationKind:
            setattr(choices, kind.value, kind.value in chosen)
        choices.email = EMAIL in chosen
        page.session.add(choices)
        return page.url("/me/notifications?notice=notifications_saved")

    return handle_form(page, form, act, lambda status: _render(page, form.state("n"), status))
