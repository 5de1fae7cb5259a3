from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from web3 import Web3

from cts.api.deps import SESSION_COOKIE
from cts.core.db import utcnow
from cts.core.security import hash_session_token
from cts.models import AuthSession, Language, Role, User, Wallet

PASSWORD = "correct horse battery staple"

Signup = Callable[..., Response]
Login = Callable[..., str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def field_errors(response: Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    return {error["field"]: error["message"] for error in body["errors"]}


# --- sign-up ---------------------------------------------------------------------------------------


def test_signup_creates_a_resident_with_a_custodial_wallet(signup: Signup, app_session: Session) -> None:
    response = signup(phone="+380 67 123-45-67", display_name="  Olena  ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "+380671234567"
    assert body["email"] is None
    assert body["roles"] == [{"hromada": "testova", "role": "resident"}]  # the service's only hromada
    assert body["is_operator"] is False
    assert body["display_name"] == "Olena"
    assert body["preferred_language"] == "uk"
    assert Web3.is_checksum_address(body["wallet_address"])
    assert set(body) == {
        "id",
        "phone",
        "email",
        "roles",
        "is_operator",
        "display_name",
        "preferred_language",
        "is_disabled",
        "created_at",
        "wallet_address",
        "own_wallet_address",
    }
    user = app_session.get(User, body["id"])
    assert user is not None and [m.role for m in user.memberships] == [Role.RESIDENT]
    assert user.password_hash.startswith("$argon2id$")
    wallet = app_session.scalars(select(Wallet).where(Wallet.user_id == user.id)).one()
    assert wallet.address == body["wallet_address"]


def test_signup_with_an_email_stores_it_lowercased(signup: Signup) -> None:
    response = signup(phone=None, email="  Olena.K@Example.ORG ", preferred_language="en")
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "olena.k@example.org"
    assert response.json()["preferred_language"] == Language.EN


@pytest.mark.parametrize("phone", ["067123456", "+0671234567", "+380-67-abc", "+38067", "+3806712345678901"])
def test_signup_refuses_a_malformed_phone(signup: Signup, phone: str) -> None:
    assert "must be a phone number" in field_errors(signup(phone=phone))["phone"]


@pytest.mark.parametrize("email", ["olena", "olena@", "@example.org", "olena@example", "ol ena@example.org"])
def test_signup_refuses_a_malformed_email(signup: Signup, email: str) -> None:
    assert "e-mail address" in field_errors(signup(phone=None, email=email))["email"]


def test_signup_needs_a_phone_or_an_email(signup: Signup) -> None:
    errors = field_errors(signup(phone=None))
    assert "phone number or an e-mail" in errors["body"]


def test_signup_refuses_a_short_password_without_echoing_it(signup: Signup) -> None:
    response = signup(password="short-pw1")
    assert field_errors(response)["password"] == "must be at least 10 characters long"
    assert "short-pw1" not in response.text


def test_signup_refuses_unknown_fields_and_bad_languages(signup: Signup) -> None:
    errors = field_errors(signup(role="council", preferred_language="ru"))
    assert set(errors) == {"role", "preferred_language"}


def test_signup_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post(
        "/api/auth/signup",
        content=b"phone=+380671234567",
        headers={"Idempotency-Key": "k" * 16, "Content-Type": "application/json"},
    )
    assert field_errors(response) == {"body": "is not valid JSON"}


def test_signup_with_a_taken_phone_or_email_is_a_conflict(signup: Signup, app_session: Session) -> None:
    assert signup(phone="+380671234567", email="olena@example.org").status_code == 201
    for duplicate in (
        {"phone": "+380 67 123 45 67"},
        {"phone": None, "email": "OLENA@example.org"},
        {"phone": "+380500000000", "email": "olena@example.org"},
    ):
        response = signup(**duplicate)
        assert response.status_code == 409, duplicate
        assert response.json() == {
            "detail": "An account with this phone number or e-mail already exists.",
            "code": "account_exists",
        }
    assert len(app_session.scalars(select(User)).all()) == 1


# --- login ----------------------------------------------------------------------------------------


def test_login_returns_a_token_and_sets_a_safe_cookie(signup: Signup, client: TestClient) -> None:
    signup()
    response = client.post("/api/auth/login", json={"login": "+380 (67) 123-45-67", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) == 43
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={body['access_token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie
    assert "Max-Age=604800" in cookie


def test_the_token_works_as_bearer_and_as_cookie(signup: Signup, client: TestClient, app: FastAPI) -> None:
    user_id = signup().json()["id"]
    token = client.post("/api/auth/login", json={"login": "+380671234567", "password": PASSWORD}).json()[
        "access_token"
    ]
    assert client.get("/api/auth/me").json()["id"] == user_id  # the cookie the client kept
    with TestClient(app, base_url="https://testserver") as fresh:  # no cookie, header only
        assert fresh.get("/api/auth/me", headers=bearer(token)).json()["id"] == user_id
        assert fresh.get("/api/auth/me").status_code == 401


def test_only_the_hash_of_the_token_is_stored(signup: Signup, login: Login, app_session: Session) -> None:
    signup()
    token = login("+380671234567")
    stored = app_session.scalars(select(AuthSession.token_hash)).all()
    assert stored == [hash_session_token(token)]


def test_the_development_cookie_is_not_secure_so_that_http_localhost_works(
    make_settings: Callable[..., object], master_key: object
) -> None:
    from cts.api.main import create_app

    settings = make_settings(environment="development")
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        client.post(
            "/api/auth/signup",
            json={"email": "dev@example.org", "password": PASSWORD, "display_name": "Dev"},
            headers={"Idempotency-Key": "dev-signup-1"},
        )
        response = client.post("/api/auth/login", json={"login": "dev@example.org", "password": PASSWORD})
        assert response.status_code == 200
        assert "Secure" not in response.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_account_get_the_same_401(signup: Signup, client: TestClient) -> None:
    signup()
    wrong_password = client.post("/api/auth/login", json={"login": "+380671234567", "password": "x" * 12})
    unknown = client.post("/api/auth/login", json={"login": "+380509999999", "password": PASSWORD})
    assert wrong_password.status_code == unknown.status_code == 401
    assert (
        wrong_password.json()
        == unknown.json()
        == {
            "detail": "The phone number or e-mail and password do not match.",
            "code": "invalid_credentials",
        }
    )
    assert "set-cookie" not in wrong_password.headers


def test_login_refuses_an_identifier_that_is_neither_phone_nor_email(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"login": "olena", "password": PASSWORD})
    assert "phone number" in field_errors(response)["login"]


def test_login_is_throttled_per_identifier(
    make_settings: Callable[..., object], signup: Signup, client: TestClient
) -> None:
    from cts.api.main import create_app

    settings = make_settings(login_attempts_per_window=3, login_window_seconds=600)
    with TestClient(create_app(settings), base_url="https://testserver") as throttled:  # type: ignore[arg-type]
        attempts = [
            throttled.post("/api/auth/login", json={"login": "+380671234567", "password": "x" * 12})
            for _ in range(4)
        ]
        assert [attempt.status_code for attempt in attempts] == [401, 401, 401, 429]
        assert attempts[-1].json()["code"] == "rate_limited"
        assert 1 <= int(attempts[-1].headers["Retry-After"]) <= 200
        # Another identifier has its own allowance.
        other = throttled.post("/api/auth/login", json={"login": "+380501111111", "password": "x" * 12})
        assert other.status_code == 401


def test_login_to_a_disabled_account_is_forbidden_only_with_the_right_password(
    signup: Signup, client: TestClient, app_session: Session
) -> None:
    signup()
    app_session.execute(update(User).values(is_disabled=True))
    app_session.commit()
    wrong = client.post("/api/auth/login", json={"login": "+380671234567", "password": "x" * 12})
    assert wrong.status_code == 401
    right = client.post("/api/auth/login", json={"login": "+380671234567", "password": PASSWORD})
    assert right.status_code == 403
    assert right.json()["code"] == "account_disabled"


def test_login_rehashes_a_password_hashed_with_old_parameters(
    make_settings: Callable[..., object], signup: Signup, app_session: Session
) -> None:
    from cts.api.main import create_app

    signup()
    old_hash = app_session.scalars(select(User.password_hash)).one()
    stronger = make_settings(password_hash_time_cost=2)
    with TestClient(create_app(stronger), base_url="https://testserver") as client:  # type: ignore[arg-type]
        response = client.post("/api/auth/login", json={"login": "+380671234567", "password": PASSWORD})
        assert response.status_code == 200
    app_session.expire_all()
    new_hash = app_session.scalars(select(User.password_hash)).one()
    assert new_hash != old_hash
    assert "t=2" in new_hash


# --- me and sessions --------------------------------------------------------------------------------


def test_me_without_a_session_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_with_an_unknown_token_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me", headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_an_expired_session_is_401(
    signup: Signup, login: Login, client: TestClient, app_session: Session
) -> None:
    signup()
    token = login("+380671234567")
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    app_session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    app_session.commit()
    response = client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Your session has expired or was ended. Please log in again.",
        "code": "session_expired",
    }


def test_a_disabled_users_session_stops_working(
    signup: Signup, login: Login, client: TestClient, app_session: Session
) -> None:
    signup()
    token = login("+380671234567")
    app_session.execute(update(User).values(is_disabled=True))
    app_session.commit()
    response = client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"


def test_me_returns_the_user_with_the_wallet_address_only(
    signup: Signup, login: Login, client: TestClient
) -> None:
    created = signup().json()
    token = login("+380671234567")
    me = client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == created


# --- logout ----------------------------------------------------------------------------------------


def test_logout_ends_the_session_and_clears_the_cookie(
    signup: Signup, login: Login, client: TestClient
) -> None:
    signup()
    token = login("+380671234567")
    response = client.post("/api/auth/logout", headers={**bearer(token), "Idempotency-Key": "logout-0001"})
    assert response.status_code == 204
    assert response.content == b""
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/auth/me").status_code == 401  # and the cookie is gone


def test_logout_twice_is_not_an_error(signup: Signup, login: Login, client: TestClient) -> None:
    signup()
    token = login("+380671234567")
    first = client.post("/api/auth/logout", headers={**bearer(token), "Idempotency-Key": "logout-0001"})
    again = client.post("/api/auth/logout", headers={**bearer(token), "Idempotency-Key": "logout-0001"})
    fresh_key = client.post("/api/auth/logout", headers={**bearer(token), "Idempotency-Key": "logout-0002"})
    assert [first.status_code, again.status_code, fresh_key.status_code] == [204, 204, 204]


def test_logout_needs_an_idempotency_key(signup: Signup, login: Login, client: TestClient) -> None:
    signup()
    token = login("+380671234567")
    response = client.post("/api/auth/logout", headers=bearer(token))
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200  # still logged in
