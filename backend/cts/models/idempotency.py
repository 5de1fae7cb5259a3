"""Stored outcomes of mutating requests, keyed by the client's Idempotency-Key (see cts.api.idempotency)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cts.core.db import Base, UTCDateTime, utcnow


class IdempotencyRecord(Base):
    """The response given to the first successful request with a key, replayed to its retries.

    A key is unique per user; keys of anonymous requests (sign-up) are unique among themselves
    (a partial index, because NULLs never collide in a unique constraint). The uniqueness is what
    settles two concurrent requests with the same key: one commits, the other's transaction fails.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index(
            "uq_idempotency_records_anonymous_key",
            "key",
            unique=True,
            sqlite_where=text("user_id IS NULL"),
            postgresql_where=text("user_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"IdempotencyRecord(id={self.id!r}, user_id={self.user_id!r}, {self.method} {self.path})"
