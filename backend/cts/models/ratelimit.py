"""Rate-limit state shared by every process through the database (see cts.core.ratelimit)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from cts.core.db import Base


class RateLimitBucket(Base):
    """One token bucket, in GCRA form: a single integer, the theoretical arrival time, per subject.

    ``theoretical_arrival_us`` (microseconds since the Unix epoch) is when the bucket would be full
    again; a request is allowed while it lies less than the bucket's burst span in the future.
    """

    __tablename__ = "rate_limit_buckets"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(320), primary_key=True)
    theoretical_arrival_us: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"RateLimitBucket(scope={self.scope!r}, subject={self.subject!r})"
