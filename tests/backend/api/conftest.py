"""API fixtures: an app on the test's fresh database, a client, and helpers to make users."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from chainless import SLUG, app_with_one_hromada
from fastapi import FastAPI
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.models import Hromada, Role, User
from cts.schemas import UserRegister

if TYPE_CHECKING:
    # Imported late, in the fixture: this conftest can load before the root conftest's
    # pytest_configure has filtered the TestClient's import-time warning.
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


def new_key() -> str:
    return secrets.token_urlsafe(16)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """An app on the test's database, carrying one hromada (contracts nobody answers for: no chain)."""
    return app_with_one_hromada(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    # https, so that the Secure session cookie is sent back as a browser would.
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def app_session(app: FastAPI) -> Iterator[Session]:
    """A session on the app's own database, to look at (or arrange) what the API did."""
    factory: sessionmaker[Session] = app.state.session_factory
    with factory() as session:
        yield session


@pytest.fixture
def signup(client: TestClient) -> Callable[..., Response]:
    """POST /api/auth/signup with a fresh Idempotency-Key (unless one is given)."""

    def post(key: str | None = None, **fields: Any) -> Response:
        body: dict[str, Any] = {"phone": "+380671234567", "password": PASSWORD, "display_name": "Olena"}
        body.update(fields)
        body = {name: value for name, value in body.items() if value is not None}
        response: Response = client.post(
            "/api/auth/signup", json=body, headers={"Idempotency-Key": key or new_key()}
        )
        return response

    return post


@pytest.fixture
def login(client: TestClient) -> Callable[[str, str], str]:
    """Log in and return the bearer token (the client also keeps the cookie)."""

    def post(login: str, password: str = PASSWORD) -> str:
        response = client.post("/api/auth/login", json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    return post


@pytest.fixture
def make_user(app: FastAPI, settings: Settings) -> Callable[..., User]:
    """Create a user of any role directly in the database (how the first council member is made)."""
    factory: sessionmaker[Session] = app.state.session_factory
    hasher = build_password_hasher(settings)
    counter = iter(range(1_000_000))

    def create(role: Role = Role.RESIDENT, **fields: Any) -> User:
        values: dict[str, Any] = {
            "email": f"{role.value}{next(counter)}@example.org",
            "password": PASSWORD,
            "display_name": role.value.title(),
        }
        values.update(fields)
        with factory() as session:
            user = create_user(
                session,
                UserRegister.model_validate(values),
                role=role,
                hromada=session.scalar(select(Hromada).where(Hromada.slug == SLUG)),
                password_hasher=hasher,
                master_key=settings.master_key,
            )
            session.commit()
            return user

    return create


@pytest.fixture
def token_for(make_user: Callable[..., User], login: Callable[[str, str], str]) -> Callable[[Role], str]:
    """A bearer token of a new user with ``role``."""

    def make(role: Role) -> str:
        user = make_user(role)
        assert user.email is not None
        return login(user.email, PASSWORD)

    return make
