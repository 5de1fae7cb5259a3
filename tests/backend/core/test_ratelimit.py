import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.core.ratelimit import RateLimit, check_rate_limit, enforce_rate_limit, user_subject
from cts.errors import RateLimitedError
from cts.models import RateLimitBucket

SECOND = 1_000_000
T0 = 1_750_000_000 * SECOND  # an arbitrary moment, in microseconds
FIVE_PER_MINUTE = RateLimit(scope="relay", capacity=5, period_seconds=60)  # one token back every 12 s


def take(session: Session, at: int, subject: str = "user:1", limit: RateLimit = FIVE_PER_MINUTE) -> bool:
    """Take a token and commit; whether it was granted."""
    try:
        enforce_rate_limit(session, limit, subject, now=at)
    except RateLimitedError:
        session.rollback()
        return False
    session.commit()
    return True


def test_a_full_bucket_allows_a_burst_of_its_capacity_then_refuses(db_session: Session) -> None:
    assert [take(db_session, T0) for _ in range(6)] == [True] * 5 + [False]


def test_a_refusal_says_when_to_retry(db_session: Session) -> None:
    for _ in range(5):
        take(db_session, T0)
    with pytest.raises(RateLimitedError) as raised:
        enforce_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", now=T0 + 2 * SECOND)
    assert raised.value.retry_after_seconds == 10  # the next token is back at T0 + 12 s
    assert raised.value.status_code == 429


def test_tokens_come_back_one_interval_at_a_time(db_session: Session) -> None:
    for _ in range(5):
        take(db_session, T0)
    assert not take(db_session, T0 + 12 * SECOND - 1)
    assert take(db_session, T0 + 12 * SECOND)
    assert not take(db_session, T0 + 12 * SECOND)
    assert [take(db_session, T0 + 10 * 60 * SECOND) for _ in range(6)] == [True] * 5 + [False]


def test_a_check_refuses_exactly_when_a_take_would_and_takes_nothing(db_session: Session) -> None:
    check_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", now=T0)  # no bucket yet: a full one
    for _ in range(5):
        for _ in range(3):  # checks do not use tokens up
            check_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", now=T0)
        assert take(db_session, T0)
    with pytest.raises(RateLimitedError) as raised:
        check_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", now=T0 + 2 * SECOND)
    assert raised.value.retry_after_seconds == 10
    assert not db_session.new and not db_session.dirty  # nothing written
    check_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", now=T0 + 12 * SECOND)
    assert take(db_session, T0 + 12 * SECOND)


def test_refused_requests_take_nothing(db_session: Session) -> None:
    for _ in range(5):
        take(db_session, T0)
    for _ in range(20):
        assert not take(db_session, T0 + 1)
    assert take(db_session, T0 + 12 * SECOND)


def test_subjects_and_scopes_have_their_own_buckets(db_session: Session) -> None:
    other_scope = RateLimit(scope="login", capacity=5, period_seconds=60)
    for _ in range(5):
        take(db_session, T0, user_subject(1))
    assert not take(db_session, T0, user_subject(1))
    assert take(db_session, T0, user_subject(2))
    assert take(db_session, T0, user_subject(1), other_scope)
    assert db_session.scalar(select(RateLimitBucket).where(RateLimitBucket.subject == "user:2")) is not None


def test_a_cost_above_the_capacity_is_a_programming_error(db_session: Session) -> None:
    with pytest.raises(ValueError, match="cost"):
        enforce_rate_limit(db_session, FIVE_PER_MINUTE, "user:1", cost=6, now=T0)


def test_processes_share_the_limit_through_the_database(database_url: str) -> None:
    first, second = build_engine(database_url), build_engine(database_url)  # as two processes would
    try:
        with build_session_factory(first)() as a, build_session_factory(second)() as b:
            granted = [take(a, T0), take(b, T0), take(a, T0), take(b, T0), take(a, T0), take(b, T0)]
        assert granted == [True] * 5 + [False]
    finally:
        first.dispose()
        second.dispose()


def race(engine: Engine, attempts: int) -> list[bool]:
    """``attempts`` threads, each with its own connection, take a token at the same moment."""
    factory = build_session_factory(engine)
    start = threading.Barrier(attempts)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        with factory() as session:
            start.wait()
            granted = take(session, T0)
        with lock:
            results.append(granted)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_requests_never_overshoot_the_limit_on_sqlite(engine: Engine) -> None:
    results = race(engine, 16)
    assert sorted(results) == [False] * 11 + [True] * 5


@pytest.mark.postgres
def test_concurrent_requests_never_overshoot_the_limit_on_postgresql(postgres_database_url: str) -> None:
    upgrade_database(postgres_database_url)
    engine = build_engine(postgres_database_url)
    try:
        results = race(engine, 16)
        assert sorted(results) == [False] * 11 + [True] * 5
    finally:
        engine.dispose()
