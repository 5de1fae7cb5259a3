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
from cts.hromadas import get_hromada, grant_role
from cts.models import Hromada, Role, User
from cts.relayer.context import ChainConnection, ChainContext
from cts.relayer.service import RelayerService
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

    @property
    def slug(self) -> str:
        return self.hromada.entry.key

    def hromada_row(self) -> Hromada:
        """The hromada's row in the service's database, loaded and detached (to build services with)."""
        with self.app.state.session_factory() as session:
            row = get_hromada(session, self.slug)
            session.expunge(row)
            return row

    def relayer(self) -> RelayerService:
        """The relayer service acting for this hromada, as the API's routes build it."""
        return RelayerService(
            self.settings, self.app.state.directory.context(self.hromada_row()), self.hromada_row()
        )

    def scoped(self, path: str) -> str:
        """A hromada's route as the tests write it ("/api/cases") at its address in this hromada
        ("/api/h/<slug>/cases"); routes of no hromada (sign-in, one's own actions) are left as they are."""
        unscoped = (
            *("/api/auth/", "/api/users/me", "/api/actions", "/api/relayer/", "/api/h/", "/api/operator/"),
        )
        if not path.startswith("/api/") or path.startswith(unscoped) or path == "/api/hromadas":
            return path
        return f"/api/h/{self.slug}/" + path.removeprefix("/api/")

    def act(self, user: User, method: str, path: str, json: Any = None, key: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {self.token(user)}", "Idempotency-Key": key or new_key()}
        return self.client.request(method, self.scoped(path), json=json, headers=headers)

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


def make_people(
    factory: sessionmaker[Session], settings: Settings, residents: int, prefix: str = ""
) -> People:
    """The people of a test's hromada: accounts only (their roles are given once the hromada is known)."""
    hasher = build_password_hasher(settings)
    counter = itertools.count(1)

    def create(role: Role) -> User:
        with factory() as session:
            user = create_user(
                session,
                UserRegister.model_validate(
                    {
                        "email": f"{prefix}{role.value}{next(counter)}@example.org",
                        "password": PASSWORD,
                        "display_name": role.value,
                    }
                ),
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


def give_roles(factory: sessionmaker[Session], people: People, slug: str) -> None:
    """Each person's role in the hromada ``slug``; the outsider is a resident nobody registered on chain."""
    with factory() as session:
        hromada = get_hromada(session, slug)
        pairs = [
            (people.council, Role.COUNCIL),
            (people.verifier, Role.VERIFIER),
            (people.coordinator, Role.COORDINATOR),
            (people.outsider, Role.RESIDENT),
            *((resident, Role.RESIDENT) for resident in people.residents),
        ]
        for person, role in pairs:
            grant_role(session, session.get(User, person.id), hromada, role)  # type: ignore[arg-type]
        session.commit()


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

    app = create_app(settings)  # onboards the manifest's hromada
    give_roles(app.state.session_factory, people, handles.entry.key)
    client = TestClient(app, base_url="https://testserver")
    worker = RelayerWorker(settings, app.state.session_factory, ChainContext.from_settings(settings))
    env = RelayEnv(settings, app, client, worker, people, handles, w3, {})
    return env


def build_many(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node_url: str,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
    count: int,
    residents: int = 2,
) -> list[RelayEnv]:
    """``count`` hromadas on one service: one database, one app, one worker, one sponsor; each with its own
    people (a council, residents, a verifier, a coordinator, an outsider) holding roles in it alone."""
    from fastapi.testclient import TestClient

    manifest_path = tmp_path / "manifest.json"
    settings = make_settings(
        manifest_path=manifest_path,
        rpc_url=node_url,
        relayer_sponsor_keys=dev_key(12 + next(_sponsor_slots) % 4),
        relayer_poll_seconds=0.05,
        relayer_resubmit_after_seconds=1.0,
    )
    factory = build_session_factory(build_engine(settings.database_url))
    worlds: list[tuple[People, HromadaHandles]] = []
    manifest = Manifest(chain_id=shared_manifest.chain_id, shared=shared_manifest.shared, hromadas={})
    for number in range(count):
        people = make_people(factory, settings, residents, prefix=f"h{number}-")
        council = people.council.wallet.address
        n = next(_hromada_numbers)
        spec = HromadaSpec(key=f"relay-{n}", name=f"Relayer hromada {n}", council=council, registrar=council)
        handles = onboard(deployer, shared_manifest, spec)
        manifest.hromadas[handles.entry.key] = handles.entry
        worlds.append((people, handles))
    manifest.save(manifest_path)
    app = create_app(settings)  # onboards every hromada of the manifest
    for people, handles in worlds:
        give_roles(app.state.session_factory, people, handles.entry.key)
    client = TestClient(app, base_url="https://testserver")
    worker = RelayerWorker(settings, app.state.session_factory, ChainConnection.from_settings(settings))
    return [RelayEnv(settings, app, client, worker, people, handles, w3, {}) for people, handles in worlds]


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
