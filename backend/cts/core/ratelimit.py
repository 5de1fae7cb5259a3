"""Rate limits kept in the database, so that every process (API workers, relayers) shares them.

A limit is a token bucket: ``capacity`` requests at once, refilled evenly over ``period_seconds``.
It is stored in GCRA form (the "generic cell rate algorithm"): one integer per subject, the
theoretical arrival time (TAT), the moment the bucket would be full again. Taking a token is one
conditional upsert (an ``INSERT`` of a full bucket, or on conflict an ``UPDATE`` with a condition),
atomic on SQLite and PostgreSQL alike:

    new TAT = max(TAT, now) + interval;   allowed iff new TAT - now <= capacity * interval

Two processes racing on one subject are serialised by the row (PostgreSQL re-checks the condition
on the updated row) or by the database's write lock (SQLite), so the limit is never overshot.
All times are integer microseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import BigInteger, CursorResult, Select, Table, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cts.errors import CTSError, RateLimitedError
from cts.models import RateLimitBucket

_MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class RateLimit:
    """``capacity`` requests at once per subject, refilled at ``capacity`` per ``period_seconds``."""

    scope: str
    capacity: int
    period_seconds: int

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.period_seconds < 1:
            raise ValueError("a rate limit needs a capacity and a period of at least 1")

    @property
    def interval_us(self) -> int:
        """Time for one token to come back."""
        return self.period_seconds * _MICROSECONDS // self.capacity

    @property
    def burst_us(self) -> int:
        return self.interval_us * self.capacity


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


def now_us() -> int:
    return time.time_ns() // 1000


@cache
def _take_statement(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Taking tokens, in one statement: a subject without a bucket has a full one, so its first request
    inserts the bucket with the tokens taken (the cost is at most the capacity: that always fits); an
    existing bucket is updated on conflict, only if the tokens are there. Built once per dialect, with
    parameters (scope, subject, moment, increment, burst): it runs for every relayed action, and building
    it cost more than running it. On the table, not the ORM entity, so that its rowcount is kept."""
    table = cast(Table, RateLimitBucket.__table__)
    if dialect == "sqlite":
        insert: sqlite.Insert | postgresql.Insert = sqlite.insert(table)
    elif dialect == "postgresql":
        insert = postgresql.insert(table)
    else:
        raise CTSError(f"rate limits are not implemented for {dialect}")
    moment, increment = bindparam("moment", type_=BigInteger), bindparam("increment", type_=BigInteger)
    tat = table.c.theoretical_arrival_us  # in the conflict clause: the stored row's
    start = case((tat > moment, tat), else_=moment)
    return (
        insert.values(
            scope=bindparam("scope"), subject=bindparam("subject"), theoretical_arrival_us=moment + increment
        )
        .on_conflict_do_update(
            index_elements=[table.c.scope, table.c.subject],
            set_={"theoretical_arrival_us": start + increment},
            where=start + increment - moment <= bindparam("burst", type_=BigInteger),
        )
        .execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only when asked for
    )


def check_rate_limit(session: Session, limit: RateLimit, subject: str, *, now: int | None = None) -> None:
    """Raise ``RateLimitedError`` if ``subject`` has no token left, without taking one or writing anything.

    A read, to refuse a throttled subject before slow work (a chain simulation) without holding the
    database's write lock meanwhile; ``enforce_rate_limit`` afterwards takes the token atomically."""
    moment = now_us() if now is None else now
    current = _theoretical_arrival(session, limit, subject)
    wait_us = _wait_us(current, moment, limit.interval_us, limit)
    if wait_us > 0:
        raise RateLimitedError(retry_after_seconds=-(-wait_us // _MICROSECONDS))


def enforce_rate_limit(
    session: Session, limit: RateLimit, subject: str, *, cost: int = 1, now: int | None = None
) -> None:
    """Take ``cost`` tokens from ``subject``'s bucket, or raise ``RateLimitedError`` with a Retry-After.

    The token is taken in the caller's transaction: commit it (before work that may fail, if failed
    attempts must count too). A refused request takes nothing.
    """
    if cost < 1 or cost > limit.capacity:
        raise ValueError(f"cost must be between 1 and the capacity ({limit.capacity})")
    moment = now_us() if now is None else now
    increment = cost * limit.interval_us
    parameters = {
        "scope": limit.scope,
        "subject": subject,
        "moment": moment,
        "increment": increment,
        "burst": limit.burst_us,
    }
    statement = _take_statement(session.get_bind().dialect.name)
    result = cast(CursorResult[Any], session.execute(statement, parameters))
    if result.rowcount == 1:  # inserted, or updated; 0 when the condition refused the update
        return
    current = _theoretical_arrival(session, limit, subject)
    raise RateLimitedError(
        retry_after_seconds=-(-_wait_us(current, moment, increment, limit) // _MICROSECONDS)
    )


def _theoretical_arrival(session: Session, limit: RateLimit, subject: str) -> int | None:
    """The subject's bucket's TAT; None without a bucket (a full one)."""
    return session.scalar(_bucket_statement(), {"scope": limit.scope, "subject": subject})


@cache
def _bucket_statement() -> Select[int]:
    """Reading a bucket, built once with parameters (scope, subject), like ``_take_statement``."""
    return select(RateLimitBucket.theoretical_arrival_us).where(
        RateLimitBucket.scope == bindparam("scope"), RateLimitBucket.subject == bindparam("subject")
    )


def _wait_us(tat: int | None, moment: int, increment: int, limit: RateLimit) -> int:
    """How long until a bucket at theoretical arrival time `tat` can give `increment` worth of tokens."""
    return max(tat or 0, moment) + increment - limit.burst_us - moment
