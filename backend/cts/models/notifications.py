"""Notifications for residents: what they are told (on their page, and by e-mail), what they chose to be told,
and the outbox of e-mails.

A notification comes from one event: a case decided, a round's voting opened or about to close, a project's
milestone. Its ``event_key`` names that event (``case:17``, ``round:3:closing``), unique per person, hromada
and kind, so that scanning the same event again never tells anyone twice. Its e-mail, if any, is one row of
the outbox, written in the same transaction, sent by ``cts notify run`` (cts.notify.sender).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cts.core.db import Base, UTCDateTime, utcnow
from cts.models.users import Language, User, _string_enum


class NotificationKind(enum.StrEnum):
    CASE_DECIDED = "case_decided"  # a useful case approved or rejected
    ROUND_OPENED = "round_opened"  # a round's voting window opened
    ROUND_CLOSING = "round_closing"  # a round's voting closes within CTS_NOTIFY_ROUND_CLOSING_HOURS
    MILESTONE = "milestone"  # a project the person voted for reached a milestone (cts.notify.events)


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its time (first try, or a retry)
    SENDING = "sending"  # a sender holds it (``data_started_at`` says whether the message itself went out)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # given up: refused for good, too many tries, or sent with an unknown outcome


def _enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    return _string_enum(enum_class, name)


class Notification(Base):
    """One thing a person is told, in one hromada; shown on their page, newest first."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "hromada_id", "kind", "event_key"),
        Index("ix_notifications_user_hromada_id", "user_id", "hromada_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind, "notification_kind"))
    event_key: Mapped[str] = mapped_column(String(160))
    # The event's facts (case and programme, outcome, reasons; round, title, close), so that the page and the
    # e-mail can say it in the reader's language.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # When it happened, by the chain's clock (the pages show chain time; the demo moves it ahead).
    chain_time: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"Notification(id={self.id!r}, kind={self.kind!r}, event_key={self.event_key!r})"


class NotificationEmail(Base):
    """The outbox: one e-mail per notification, written whole (subject and text in the person's language)
    when the notification is made, so that every try sends the same bytes under the same Message-ID."""

    __tablename__ = "notification_emails"
    __table_args__ = (Index("ix_notification_emails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), unique=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[Language] = mapped_column(_enum(Language, "email_language"))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(
        _enum(EmailStatus, "email_status"), default=EmailStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Written just before the message itself goes to the server (SMTP DATA): a sender that dies after this
    # may have delivered it, so it is never sent again (cts.notify.sender).
    data_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    notification: Mapped[Notification] = relationship()

    def __repr__(self) -> str:
        # No address: reprs end up in logs.
        return f"NotificationEmail(id={self.id!r}, status={self.status!r}, attempts={self.attempts!r})"


class NotificationPreference(Base):
    """What a person chose to be told in one hromada; no row means everything, by e-mail too."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "hromada_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"))
    case_decided: Mapped[bool] = mapped_column(default=True, server_default=true())
    round_opened: Mapped[bool] = mapped_column(default=True, server_default=true())
    round_closing: Mapped[bool] = mapped_column(default=True, server_default=true())
    milestone: Mapped[bool] = mapped_column(default=True, server_default=true())
    email: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def wants(self, kind: NotificationKind) -> bool:
        return bool(getattr(self, kind.value))


class NotificationCursor(Base):
    """How far (block) the producer has read one source of events of one hromada."""

    __tablename__ = "notification_cursors"
    __table_args__ = (UniqueConstraint("hromada_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    block: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
