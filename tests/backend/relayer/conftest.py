"""Relayer fixtures: a hromada whose council is a custodial user of the service, an app and a worker.

Everything is real: the session's local chain, a fresh SQLite file per test, the API through
Starlette's TestClient, and the worker driven step by step in the test (`worker.drain()`).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from fastapi import FastAPI
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from cts.api.main import create_app
from cts.chain.client import HromadaHandles, Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.localnode import DEV_MNEMONIC
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.models import Role, User
from cts.relayer.context import ChainContext
from cts.relayer.worker import RelayerWorker
from cts.schemas import UserRegister

if TYPE_CHECKING:
    # Imported in build_env: importing it here would warn before the root conftest filters it.
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_hromada_numbers = itertools.count(1)
_sponsor_slots = itertools.count(0)

Account.enable_unaudited_hdwallet_features()


def dev_key(index: int) -> str:
    """The private key of the node's account `index` (the well-known development mnemonic)."""
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


def h(label: str) -> str:
    return "0x" + keccak(text=label).hex()


def new_key() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class People:
    council: User
    residents: list[User]
    verifier: User
    coordinator: User
    outsider: User


@dataclass
class RelayEnv:
    """One test's world: settings, app, client, worker, people, hromada, and helpers to act."""

    settings: Settings
    app: FastAPI
    client: TestClient
    worker: RelayerWorker
    people: People
    hromada: HromadaHandles
    w3: Web3
    tokens: dict[int, str]

    def token(self, user: User) -> str:
        if user.id not in self.tokens:
            login = user.email or user.phone
            response = self.client.post("/api/auth/login", json={"login": login, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self.tokens[user.id] = response.json()["access_token"]
        return self.tokens[user.id]

    def act(self, user: User, method: str, path: str, json: Any = None, key: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {self.token(user)}", "Idempotency-Key": key or new_key()}
        return self.client.request(method, path, json=json, headers=headers)

    def done(self, user: User, method: str, path: str, json: Any = None) -> dict[str, Any]:
        """Act, let the worker send it, and return the action's final state (which must be confirmed)."""
        response = self.act(user, method, path, json)
        assert response.status_code == 202, response.text
        self.worker.drain()
        action = self.status(user, response.json()["id"])
        assert action["status"] == "confirmed", action
        return action

    def status(self, user: User, action_id: str) -> dict[str, Any]:
        response = self.client.get(
            f"/api/actions/{action_id}", headers={"Authorization": f"Bearer {self.token(user)}"}
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def register(self, *residents: User) -> None:
        for resident in residents:
            self.done(
                self.people.council,
                "POST",
                "/api/residents",
                {"user_id": resident.id, "identity_check": f"passport-check-{resident.id}"},
            )

    def chain_now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def travel(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def open_programme(self, reward: int = 2, token_cap: int = 1_000, per_resident_cap: int = 100) -> int:
        """Capital deposited and a programme open now, created through the relayer by the council."""
        council = self.people.council
        self.done(
            council,
            "POST",
            "/api/fund/deposits",
            {
                "amount_kopiyky": 100_000_000,
                "source": 0,
                "source_ref_hash": h("donor"),
                "receipt_hash": h(f"receipt-{secrets.token_hex(4)}"),
            },
        )
        now = self.chain_now()
        self.done(
            council,
            "POST",
            "/api/programmes",
            {
                "title": "Cleaning the park",
                "metadata_hash": h("park"),
                "reward_rv": reward,
                "case_value_kopiyky": 40_000,
                "token_cap_rv": token_cap,
                "per_resident_cap_rv": per_resident_cap,
                "starts_at": now,
                "ends_at": now + 30 * 86_400,
                "quorum": 1,
                "verifiers": [self.people.verifier.wallet.address],
            },
        )
        return int(self.hromada.cases.functions.programmeCount().call())


def make_people(factory: sessionmaker[Session], settings: Settings, residents: int) -> People:
    hasher = build_password_hasher(settings)
    counter = itertools.count(1)

    def create(role: Role) -> User:
        with factory() as session:
            user = create_user(
                session,
                UserRegister.model_validate(
                    {
                        "email": f"{role.value}{next(counter)}@example.org",
                        "password": PASSWORD,
                        "display_name": role.value,
                    }
                ),
                role=role,
                password_hasher=hasher,
                master_key=settings.master_key,
            )
            session.commit()
            session.refresh(user)
            _ = user.wallet.address
            session.expunge_all()
            return user

    return People(
        council=create(Role.COUNCIL),
        residents=[create(Role.RESIDENT) for _ in range(residents)],
        verifier=create(Role.VERIFIER),
        coordinator=create(Role.COORDINATOR),
        outsider=create(Role.RESIDENT),
    )


def build_env(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node_url: str,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
    residents: int = 3,
    registrar: str | None = None,
    **overrides: Any,
) -> RelayEnv:
    manifest_path = tmp_path / "manifest.json"
    slot = next(_sponsor_slots) % 4
    settings = make_settings(
        manifest_path=manifest_path,
        rpc_url=node_url,
        relayer_sponsor_keys=f"{dev_key(12 + slot)}",
        relayer_poll_seconds=0.05,
        **{"relayer_resubmit_after_seconds": 1.0, **overrides},
    )
    factory = build_session_factory(build_engine(settings.database_url))
    people = make_people(factory, settings, residents)
    council = people.council.wallet.address
    n = next(_hromada_numbers)
    handles = onboard(
        deployer,
        shared_manifest,
        HromadaSpec(
            key=f"relay-{n}", name=f"Relayer hromada {n}", council=council, registrar=registrar or council
        ),
    )
    manifest = Manifest(
        chain_id=shared_manifest.chain_id,
        shared=shared_manifest.shared,
        hromadas={handles.entry.key: handles.entry},
    )
    manifest.save(manifest_path)
    # The coordinator needs the role on chain too (granted by the council, through the relayer below).
    from fastapi.testclient import TestClient

    app = create_app(settings)
    client = TestClient(app, base_url="https://testserver")
    worker = RelayerWorker(settings, app.state.session_factory, ChainContext.from_settings(settings))
    env = RelayEnv(settings, app, client, worker, people, handles, w3, {})
    return env


@pytest.fixture
def env(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[RelayEnv]:
    built = build_env(make_settings, tmp_path, node.url, w3, deployer, shared_manifest)
    with built.client:
        yield built
    built.worker.release_leases()
