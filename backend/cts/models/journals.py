"""Paper journals typed into a spreadsheet and imported by the council (issue 20): each import, and each of
its lines with what the checks found and the action that records it.

A line's ``entry_key`` is the SHA-256 the case carries on chain as its evidence hash, derived from the line
itself (cts.journals.checks.entry_key): the same line imported again, from the same file or another, has
the same key, so it is found on chain (or waiting in the relayer) and never recorded twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cts.core.db import Base, UTCDateTime, utcnow
from cts.models.relayer import RelayAction


def _public_id() -> str:
    return uuid.uuid4().hex


class JournalImport(Base):
    """One uploaded journal file of one hromada, as its preview was made."""

    __tablename__ = "journal_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=_public_id)
    hromada: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_kind: Mapped[str] = mapped_column(String(8))  # "csv" or "xlsx"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="journal", order_by="JournalLine.row", cascade="all, delete-orphan"
    )


class JournalLine(Base):
    """One line of a journal: what it says (as text), why it will not be recorded (``reason``, None for a
    good line), and the relayer action that records it once the council asked for it."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("journal_imports.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column()  # the line's row in the file (1 is the first)
    date: Mapped[str | None] = mapped_column(String(10))  # ISO date, None when unreadable or missing
    date_text: Mapped[str] = mapped_column(String(200))
    resident: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000))
    evidence: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_value: Mapped[str | None] = mapped_column(String(64))
    entry_key: Mapped[str | None] = mapped_column(String(64), index=True)
    resident_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    programme_id: Mapped[int | None] = mapped_column(BigInteger)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("relay_actions.id", ondelete="SET NULL"), index=True
    )

    journal: Mapped[JournalImport] = relationship(back_populates="lines")
    action: Mapped[RelayAction | None] = relationship()
