"""Residents' comments on delivery reports (issue 19). The reports, flags and answers themselves are on chain
(ProjectDelivery) with their words in content-addressed documents; a comment is conversation, not a record
the audit needs, so it lives in the service's database, per hromada, shown without its author's name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from cts.core.db import Base, UTCDateTime, utcnow


class DeliveryComment(Base):
    __tablename__ = "delivery_comments"
    __table_args__ = (Index("ix_delivery_comments_report", "hromada_id", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(Integer)  # ProjectDelivery's report id
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
