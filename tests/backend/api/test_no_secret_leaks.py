"""No response and no log line ever contains a private key (nor the master key, nor a ciphertext)."""

import logging
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.core.config import Settings
from cts.core.keystore import decrypt_private_key, read_encrypted_key, rotate_master_key
from cts.models import IdempotencyRecord, Role, User, Wallet

PASSWORD = "correct horse battery staple"


def secret_spellings(secret: bytes) -> set[str]:
    """The ways bytes get written out: hex (any case, with 0x) and Python's repr (as in a logged row)."""
    hexed = secret.hex()
    return {hexed, hexed.upper(), "0x" + hexed, repr(secret)[2:-1]}


def test_no_response_and_no_log_line_contains_a_private_key(
    app: FastAPI,
    settings: Settings,
    app_session: Session,
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything,
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # SQL statements and result rows included
    responses: list[Response] = []
    council = make_user(Role.COUNCIL)

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:

        def record(response: Response) -> Response:
            responses.append(response)
            return response

        for number in range(4):
            body = {
                "phone": f"+38067000000{number}",
                "email": f"resident{number}@example.org",
                "password": PASSWORD,
                "display_name": f"Resident {number}",
            }
            key = f"signup-key-{number:04d}"
            record(client.post("/api/auth/signup", json=body, headers={"Idempotency-Key": key}))
            record(client.post("/api/auth/signup", json=body, headers={"Idempotency-Key": key}))  # replay
            record(client.post("/api/auth/signup", json=body, headers={"Idempotency-Key": key + "x"}))  # 409
        record(
            client.post(
                "/api/auth/signup",
                json={"phone": "+380", "password": "x"},
                headers={"Idempotency-Key": "bad-0001"},
            )
        )
        token = record(
            client.post("/api/auth/login", json={"login": council.email, "password": PASSWORD})
        ).json()["access_token"]
        council_headers = {"Authorization": f"Bearer {token}"}
        for role in ("verifier", "coordinator", "auditor"):
            record(
                client.post(
                    "/api/h/testova/users",
                    json={
                        "email": f"{role}@example.org",
                        "password": PASSWORD,
                        "display_name": role,
                        "role": role,
                    },
                    headers={**council_headers, "Idempotency-Key": f"create-{role}"},
                )
            )
        record(client.get("/api/auth/me", headers=council_headers))
        resident_token = record(
            client.post("/api/auth/login", json={"login": "+380670000000", "password": PASSWORD})
        ).json()["access_token"]
        record(client.get("/api/auth/me", headers={"Authorization": f"Bearer {resident_token}"}))
        record(
            client.post(
                "/api/h/testova/users",
                json={"email": "x@example.org", "password": PASSWORD, "display_name": "x", "role": "council"},
                headers={"Authorization": f"Bearer {resident_token}", "Idempotency-Key": "forbidden-1"},
            )
        )
        record(client.post("/api/auth/login", json={"login": "+380670000000", "password": "wrong password"}))
        record(client.get("/api/openapi.json"))
        record(client.post("/api/auth/logout", headers={**council_headers, "Idempotency-Key": "logout-0001"}))

    assert {response.status_code for response in responses} >= {200, 201, 204, 401, 403, 409, 422}

    # Rotating the master key must not leak either, and gives us the keys to look for.
    new_key = SecretStr("rotated-" + settings.master_key.get_secret_value())
    rotate_master_key(app_session, settings.master_key, new_key)
    wallets = app_session.scalars(select(Wallet)).all()
    assert len(wallets) == 8  # 4 residents, the council member, 3 users created by the council
    secrets_to_find: set[str] = {settings.master_key.get_secret_value(), new_key.get_secret_value()}
    ciphertexts: set[str] = set()
    for wallet in wallets:
        secrets_to_find |= secret_spellings(decrypt_private_key(read_encrypted_key(wallet), new_key))
        ciphertexts |= secret_spellings(wallet.key_ciphertext)

    published = [response.text for response in responses] + [str(response.headers) for response in responses]
    published += app_session.scalars(select(IdempotencyRecord.response_body)).all()
    logged = caplog.text + "".join(str(entry.args) for entry in caplog.records)
    assert "INSERT INTO wallets" in caplog.text  # the SQL was logged, so the scan saw it
    assert "Row (" in caplog.text  # and the rows read, key columns included
    for secret in secrets_to_find:
        assert all(secret not in text for text in published)
        assert secret not in logged
    # Encrypted keys may appear in a DEBUG log of SQL rows, but never in what the API returns.
    for ciphertext in ciphertexts:
        assert all(ciphertext not in text for text in published)
    # The addresses, by contrast, are public and do appear.
    assert any(wallets[0].address in text for text in published)
