import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cts.api.idempotency import (
    Idempotency,
    IdempotentReplay,
    IdempotentRequest,
    hash_request_body,
    purge_idempotency_records,
)
from cts.core.db import build_engine, build_session_factory, upgrade_database, utcnow
from cts.models import IdempotencyRecord, RateLimitBucket, Role, User

PASSWORD = "correct horse battery staple"
Signup = Callable[..., Response]
TokenFor = Callable[[Role], str]


def count_users(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(User)) or 0


def count_records(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_mutating_request_without_a_key_is_refused_and_changes_nothing(
    client: TestClient, app_session: Session, key: str | None
) -> None:
    headers = {} if key is None else {"Idempotency-Key": key}
    response = client.post(
        "/api/auth/signup",
        json={"phone": "+380671234567", "password": PASSWORD, "display_name": "Olena"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert "Idempotency-Key" in response.json()["detail"]
    assert count_users(app_session) == 0


@pytest.mark.parametrize("key", ["short", "has space in it", "key/with/slash", "a" * 129, "semi;colon1"])
def test_a_malformed_key_is_refused(signup: Signup, app_session: Session, key: str) -> None:
    response = signup(key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert count_users(app_session) == 0


@pytest.mark.parametrize("key", ["abcdEFGH", "0123456789-_", "a" * 128])
def test_well_formed_keys_are_accepted(signup: Signup, key: str) -> None:
    assert signup(key=key).status_code == 201


def test_a_retry_gets_the_first_response_and_does_nothing_again(signup: Signup, app_session: Session) -> None:
    first = signup(key="signup-retry-1")
    retry = signup(key="signup-retry-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_users(app_session) == 1
    assert count_records(app_session) == 1


def test_the_same_json_in_another_key_order_is_the_same_request(
    client: TestClient, app_session: Session
) -> None:
    headers = {"Idempotency-Key": "reordered-1", "Content-Type": "application/json"}
    first = client.post(
        "/api/auth/signup",
        content=b'{"phone": "+380671234567",  "password": "correct horse battery staple",'
        b' "display_name": "O"}',
        headers=headers,
    )
    retry = client.post(
        "/api/auth/signup",
        content=b'{"display_name":"O","password":"correct horse battery staple","phone":"+380671234567"}',
        headers=headers,
    )
    assert first.status_code == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert count_users(app_session) == 1


def test_the_same_key_with_another_body_is_a_conflict(signup: Signup, app_session: Session) -> None:
    assert signup(key="signup-conflict-1").status_code == 201
    response = signup(key="signup-conflict-1", phone="+380500000001")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert "different request" in response.json()["detail"]
    assert count_users(app_session) == 1


def test_the_same_key_on_another_endpoint_is_a_conflict(client: TestClient, token_for: TokenFor) -> None:
    headers = {"Authorization": f"Bearer {token_for(Role.COUNCIL)}", "Idempotency-Key": "shared-key-1"}
    created = client.post(
        "/api/h/testova/users",
        json={"email": "v@example.org", "password": PASSWORD, "display_name": "V", "role": "verifier"},
        headers=headers,
    )
    assert created.status_code == 201
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert client.get("/api/auth/me", headers=headers).status_code == 200  # the logout did not happen


def test_keys_belong_to_their_user(client: TestClient, token_for: TokenFor, app_session: Session) -> None:
    body: dict[str, Any] = {"password": PASSWORD, "display_name": "V", "role": "verifier"}
    for number in (1, 2):
        token = token_for(Role.COUNCIL)
        response = client.post(
            "/api/h/testova/users",
            json={**body, "email": f"v{number}@example.org"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key-1"},
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert count_records(app_session) == 2


def test_a_failed_request_is_not_recorded_and_its_key_stays_usable(
    signup: Signup, app_session: Session
) -> None:
    assert signup(key="signup-later-1", password="too-short").status_code == 422
    assert signup(key="signup-later-1", phone="not a phone").status_code == 422
    assert count_records(app_session) == 0
    assert signup(key="signup-later-1").status_code == 201


def test_a_conflict_leaves_nothing_behind(signup: Signup, app_session: Session) -> None:
    assert signup(key="first-signup-1").status_code == 201
    assert signup(key="second-signup-1").status_code == 409
    assert count_users(app_session) == 1
    assert count_records(app_session) == 1


def test_concurrent_duplicates_create_one_account_and_all_get_its_response(
    app: FastAPI, app_session: Session
) -> None:
    """The unique constraints decide: one request commits; the others are rolled back and replay it."""
    body = {"phone": "+380671234567", "password": PASSWORD, "display_name": "Olena"}
    attempts = 8
    start = threading.Barrier(attempts)
    responses: list[Response] = []
    lock = threading.Lock()

    def post() -> None:
        with TestClient(app, base_url="https://testserver") as client:
            start.wait()
            response = client.post(
                "/api/auth/signup", json=body, headers={"Idempotency-Key": "race-key-0001"}
            )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=post) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [response.status_code for response in responses] == [201] * attempts
    assert len({response.text for response in responses}) == 1
    assert sum("Idempotent-Replayed" not in response.headers for response in responses) == 1
    assert count_users(app_session) == 1
    assert count_records(app_session) == 1


def test_the_loser_of_a_race_on_the_key_is_rolled_back_whole(app: FastAPI) -> None:
    """Two transactions pass the first look-up; the second to commit loses all its changes and replays."""
    factory: sessionmaker[Session] = app.state.session_factory
    request = IdempotentRequest(
        key="race-key-0002", method="POST", path="/x", request_hash=hash_request_body(b"{}")
    )
    with factory() as first, factory() as second:
        winner, loser = Idempotency(first, None, request), Idempotency(second, None, request)
        winner.raise_if_answered()
        loser.raise_if_answered()
        first.add(RateLimitBucket(scope="winner", subject="s", theoretical_arrival_us=1))
        second.add(RateLimitBucket(scope="loser", subject="s", theoretical_arrival_us=1))
        assert winner.respond(None, 204).status_code == 204
        with pytest.raises(IdempotentReplay) as replay:
            loser.respond(None, 204)
        assert replay.value.record.response_status == 204
    with factory() as check:
        assert check.scalars(select(RateLimitBucket.scope)).all() == ["winner"]
        assert count_records(check) == 1


def test_old_records_can_be_purged(signup: Signup, app_session: Session) -> None:
    signup(key="old-signup-1")
    assert purge_idempotency_records(app_session, utcnow() - timedelta(hours=1)) == 0
    assert purge_idempotency_records(app_session, utcnow() + timedelta(seconds=1)) == 1
    app_session.commit()
    assert count_records(app_session) == 0


def test_request_hashes_ignore_json_formatting_but_not_content() -> None:
    assert hash_request_body(b'{"a": 1, "b": [1, 2]}') == hash_request_body(b'{"b":[1,2],"a":1}')
    assert hash_request_body(b'{"a": 1}') != hash_request_body(b'{"a": 2}')
    assert hash_request_body(b"not json") != hash_request_body(b"not json!")


@pytest.mark.postgres
def test_the_loser_of_a_race_on_the_key_is_rolled_back_whole_on_postgresql(
    postgres_database_url: str,
) -> None:
    upgrade_database(postgres_database_url)
    engine = build_engine(postgres_database_url)
    factory = build_session_factory(engine)
    request = IdempotentRequest(
        key="race-key-0003", method="POST", path="/x", request_hash=hash_request_body(b"{}")
    )
    try:
        with factory() as first, factory() as second:
            winner, loser = Idempotency(first, None, request), Idempotency(second, None, request)
            winner.raise_if_answered()
            loser.raise_if_answered()
            first.add(RateLimitBucket(scope="winner", subject="s", theoretical_arrival_us=1))
            second.add(RateLimitBucket(scope="loser", subject="s", theoretical_arrival_us=1))
            winner.respond(None, 204)
            with pytest.raises(IdempotentReplay):
                loser.respond(None, 204)
        with factory() as check:
            assert check.scalars(select(RateLimitBucket.scope)).all() == ["winner"]
    finally:
        engine.dispose()
