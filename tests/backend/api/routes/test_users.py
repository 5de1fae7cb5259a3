from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from cts.models import Role, User, Wallet

SLUG = "testova"  # the hromada of the API tests' app (tests/backend/api/conftest.py)

PASSWORD = "correct horse battery staple"
TokenFor = Callable[[Role], str]


def create(client: TestClient, token: str | None, key: str = "create-user-0001", **fields: Any) -> Response:
    body: dict[str, Any] = {
        "email": "Verifier.One@example.org",
        "password": PASSWORD,
        "display_name": "Verifier One",
        "role": "verifier",
    }
    body.update(fields)
    headers = {"Idempotency-Key": key}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response: Response = client.post(f"/api/h/{SLUG}/users", json=body, headers=headers)
    return response


@pytest.mark.parametrize("role", list(Role))
def test_the_council_creates_a_user_of_any_role_with_a_wallet(
    client: TestClient, token_for: TokenFor, app_session: Session, role: Role
) -> None:
    response = create(client, token_for(Role.COUNCIL), role=role.value)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["roles"] == [{"hromada": SLUG, "role": role.value}]  # only this hromada's, to its council
    assert body["email"] == "verifier.one@example.org"
    assert Web3.is_checksum_address(body["wallet_address"])
    wallet = app_session.scalars(select(Wallet).where(Wallet.user_id == body["id"])).one()
    assert wallet.address == body["wallet_address"]


def test_a_created_user_can_log_in(client: TestClient, token_for: TokenFor) -> None:
    assert create(client, token_for(Role.COUNCIL)).status_code == 201
    response = client.post(
        "/api/auth/login", json={"login": "verifier.one@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["roles"] == [{"hromada": SLUG, "role": "verifier"}]


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VERIFIER, Role.COORDINATOR, Role.AUDITOR])
def test_other_roles_may_not_create_users(
    client: TestClient, token_for: TokenFor, app_session: Session, role: Role
) -> None:
    response = create(client, token_for(role))
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this action.", "code": "role_required"}
    assert app_session.scalar(select(User).where(User.email == "verifier.one@example.org")) is None


def test_creating_users_needs_a_session(client: TestClient) -> None:
    response = create(client, None)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_an_unknown_role_is_a_validation_error(client: TestClient, token_for: TokenFor) -> None:
    response = create(client, token_for(Role.COUNCIL), role="mayor")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["role"]


def test_a_taken_email_is_a_conflict(
    client: TestClient, token_for: TokenFor, make_user: Callable[..., User]
) -> None:
    make_user(Role.RESIDENT, email="verifier.one@example.org")
    response = create(client, token_for(Role.COUNCIL))
    assert response.status_code == 409
    assert response.json()["code"] == "account_exists"


def test_creating_users_needs_an_idempotency_key(client: TestClient, token_for: TokenFor) -> None:
    token = token_for(Role.COUNCIL)
    response = client.post(
        f"/api/h/{SLUG}/users",
        json={"email": "a@example.org", "password": PASSWORD, "display_name": "A", "role": "auditor"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
