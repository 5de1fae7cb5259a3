"""Backups and restores (`cts backup`, `cts restore`; issue 15, "Nothing lost when the disk is").

A running service (a real chain, the app, the relayer's worker) is backed up while another thread writes to
its database and holds a write open; the old service then goes on working for a while (as it would until the
disk dies) and is never heard from again. The backup is restored into a fresh database on the "new machine":
first with a wrong master key (refused, the target left empty), then with the right one. The restored
service signs in the same people with the same wallets, acts for them with the same custodial keys, and sends
nothing twice: not the action confirmed before the backup, not the one in flight at backup time (its signed
transaction is in the outbox), not the one queued at backup time that the old service sent afterwards (the
restore finds its run on chain). The chain's own counts say so: each case's CaseSubmitted events and each
resident's forwarder nonce.

On SQLite, and on PostgreSQL when a server answers (skipped, saying so, otherwise).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import secrets
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from cts.api.main import create_app
from cts.backup import BackupError, backup_database, restore_database, sidecar_path
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.cli import main
from cts.core.config import Settings
from cts.core.db import alembic_config, build_engine, upgrade_database
from cts.core.keystore import master_key_version
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.models import ActionStatus, RelayAction, User
from cts.relayer.context import ChainContext
from cts.relayer.worker import RelayerWorker
from cts.schemas import UserRegister


def _load_relayer_helpers() -> ModuleType:
    """tests/backend/relayer/conftest.py as a plain module (its build_env and helpers), under its own name."""
    name = "cts_tests_backup_relayer_conftest"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[1] / "relayer" / "conftest.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


relayer = _load_relayer_helpers()
# Its own hromada names on the session's chain (the factory refuses a name twice): far beyond the others'.
relayer._hromada_numbers = itertools.count(300_001)
PASSWORD: str = relayer.PASSWORD


# ------------------------------------------------------------------------------------------------ databases


def _sqlite_is_empty(url: str) -> bool:
    path = Path(make_url(url).database or "")
    if not path.exists():
        return True
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    connection.close()
    return int(tables) == 0


def _postgres_is_empty(url: str) -> bool:
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(count) == 0


@pytest.fixture
def new_postgres_database(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """Makes new, empty PostgreSQL databases (the new machine's), dropped afterwards."""
    server = make_url(postgres_server_url)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    made: list[str] = []

    def make() -> str:
        name = f"cts_test_restore_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in made:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> tuple[str, str]:
    """(the running service's database, the empty one of the new machine to restore into)."""
    if request.param == "sqlite":
        return database_url, f"sqlite:///{tmp_path / 'new-machine' / 'cts.sqlite3'}"
    source: str = request.getfixturevalue("postgres_database_url")
    upgrade_database(source)
    target: str = request.getfixturevalue("new_postgres_database")()
    return source, target


def is_empty(url: str) -> bool:
    return _sqlite_is_empty(url) if url.startswith("sqlite") else _postgres_is_empty(url)


# ------------------------------------------------------------------------------------------------ writers


class Writer(threading.Thread):
    """Another connection of the service writing while the backup runs: people with their custodial wallets
    (a user and a wallet in one transaction), committed one after another. On request it holds one such
    write open (flushed, not committed) until told to go on."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        super().__init__(name="backup-test-writer", daemon=True)
        self.factory = factory
        self.settings = settings
        self.hasher = build_password_hasher(settings)
        self.committed: list[str] = []
        self.held: str | None = None
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.progress = threading.Condition()

    def run(self) -> None:
        try:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                email = f"writer-{n}-{secrets.token_hex(3)}@example.org"
                with self.factory() as session:
                    create_user(
                        session,
                        UserRegister.model_validate(
                            {"email": email, "password": PASSWORD, "display_name": f"writer {n}"}
                        ),
                        password_hasher=self.hasher,
                        master_key=self.settings.master_key,
                    )
                    if self.hold.is_set() and self.held is None:
                        self.held = email  # written, not committed, while the backup runs
                        self.holding.set()
                        assert self.release.wait(120)
                    session.commit()
                with self.progress:
                    self.committed.append(email)
                    self.progress.notify_all()
        except BaseException as error:
            self.errors.append(error)
            self.holding.set()
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.committed) >= count or self.errors, timeout=60)
        assert not self.errors, self.errors


# ------------------------------------------------------------------------------------------------ helpers


def submit(env: Any, resident: User, programme: int, label: str) -> str:
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": relayer.h(label)}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def cases_with(env: Any, label: str) -> list[Any]:
    """The chain's CaseSubmitted events with this evidence: how many times the action ran."""
    logs = env.hromada.cases.events.CaseSubmitted().get_logs(from_block=0)
    return [log for log in logs if "0x" + log["args"]["evidenceHash"].hex() == relayer.h(label)]


def forwarder_nonce(env: Any, person: User) -> int:
    """How many requests of this person the forwarder has executed (each run uses one nonce)."""
    return int(env.worker.chain.forwarder.functions.nonces(person.wallet.address).call())


def action_row(factory: sessionmaker[Session], public_id: str) -> RelayAction:
    with factory() as session:
        action = session.scalars(select(RelayAction).where(RelayAction.public_id == public_id)).one()
        session.expunge(action)
        return action


def cli(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], *argv: str) -> int:
    with monkeypatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        return main(list(argv))


# ------------------------------------------------------------------------------------------------ the test


def test_a_running_service_backed_up_and_restored_acts_for_the_same_people_and_sends_nothing_twice(
    databases: tuple[str, str],
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_url, target_url = databases
    env = relayer.build_env(
        make_settings, tmp_path, node.url, w3, deployer, shared_manifest, residents=3, database_url=source_url
    )
    settings: Settings = env.settings
    people = env.people
    alice, bohdan, vira = people.residents
    with env.client:
        env.register(alice, bohdan, vira)
        programme = env.open_programme()
        # Confirmed before the backup.
        before = submit(env, alice, programme, "before")
        env.worker.drain()
        # In flight at backup time: written to the outbox and sent, its receipt not yet recorded.
        in_flight = submit(env, bohdan, programme, "in flight")
        env.worker.run_once()
        assert env.status(bohdan, in_flight)["status"] == "submitted"
        # Queued at backup time.
        queued = submit(env, vira, programme, "queued")
        assert env.status(vira, queued)["status"] == "queued"

        # --- The backup, through the command line, while another connection writes and holds a write open.
        backup = tmp_path / "backups" / "cts-backup"
        backup.parent.mkdir()
        writer = Writer(env.app.state.session_factory, settings)
        writer.start()
        writer.wait_for(3)
        writer.hold.set()
        assert writer.holding.wait(60) and not writer.errors
        committed_at_backup = list(writer.committed)
        try:
            assert cli(monkeypatch, {"CTS_DATABASE_URL": source_url}, "backup", str(backup)) == 0
        finally:
            writer.release.set()
        writer.wait_for(len(committed_at_backup) + 3)
        writer.stop.set()
        writer.join(30)
        assert not writer.errors, writer.errors
        printed = capsys.readouterr().out
        assert "backed up" in printed and settings.master_key.get_secret_value() not in printed

        summary = json.loads(sidecar_path(backup).read_text(encoding="utf-8"))
        assert settings.master_key.get_secret_value() not in sidecar_path(backup).read_text(encoding="utf-8")
        staff = 3 + len(people.residents) + 1  # council, verifier, coordinator, residents, the outsider
        people_at_backup = staff + len(committed_at_backup)
        assert summary["counts"]["users"] == summary["counts"]["wallets"] == people_at_backup
        assert summary["key_versions"] == {master_key_version(settings.master_key): people_at_backup}
        assert summary["counts"]["actions"]["queued"] == 1
        assert summary["counts"]["actions"]["submitted"] == 1
        assert summary["schema_revision"] == sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
        assert summary["file"]["bytes"] == backup.stat().st_size
        assert not list(backup.parent.glob(".*"))  # no temporary file left behind
        assert backup.stat().st_mode & 0o077 == 0  # its owner's alone: contacts, hashes, encrypted keys

        # --- The old service goes on until its disk dies: the in-flight and queued actions run, and Vira
        # asks for one more (the backup does not know it). Then it is gone for good, leases and all.
        after = submit(env, vira, programme, "after")
        env.worker.drain()
        for label in ("in flight", "queued", "after"):
            assert len(cases_with(env, label)) == 1
        old = env.app.state.session_factory
        old_hashes = {public_id: action_row(old, public_id).tx_hash for public_id in (in_flight, queued)}
        nonces = {person.id: forwarder_nonce(env, person) for person in (alice, bohdan, vira)}

    # --- The new machine: the same configuration, an empty database.
    new = settings.model_copy(update={"database_url": target_url})
    environment = {
        "CTS_ENVIRONMENT": "production",
        "CTS_DATABASE_URL": target_url,
        "CTS_RPC_URL": settings.rpc_url,
    }
    # A wrong master key is refused, and the target is left as it was: empty.
    wrong_key = secrets.token_urlsafe(32)
    assert cli(monkeypatch, {**environment, "CTS_MASTER_KEY": wrong_key}, "restore", str(backup)) == 2
    refused = capsys.readouterr()
    assert "does not decrypt" in refused.err and master_key_version(settings.master_key) in refused.err
    assert wrong_key not in refused.err + refused.out
    assert is_empty(target_url)
    # A database that is not empty (the old one) is refused without --force, and left alone.
    with pytest.raises(BackupError, match="not empty"):
        restore_database(backup, settings)
    # The right key: restored, checked, migrated, reconciled with the chain.
    right = {**environment, "CTS_MASTER_KEY": settings.master_key.get_secret_value()}
    assert cli(monkeypatch, right, "restore", str(backup)) == 0
    printed = capsys.readouterr().out
    assert f"decrypts all {people_at_backup} wallet keys" in printed
    assert "1 actions queued at backup time had run on chain since" in printed
    assert "1 requests of the same people ran on chain after the backup" in printed
    # --force replaces it, with the same outcome (a restore can be run again).
    result = restore_database(backup, new, force=True)
    assert result.keys.wallets == people_at_backup and result.reconciliation.confirmed == [queued]

    app = create_app(new)
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    worker = RelayerWorker(new, app.state.session_factory, ChainContext.from_settings(new))
    try:
        with client:
            factory = app.state.session_factory
            with factory() as session:
                emails = set(session.scalars(select(User.email)))
            assert set(committed_at_backup) <= emails  # every committed write is in the backup
            assert writer.held not in emails  # the write held open during the backup is not
            assert writer.committed[-1] not in emails  # nor what came after it
            with factory() as session:
                assert session.scalar(select(func.count()).select_from(User)) == people_at_backup

            # The same people sign in, with the same wallets.
            tokens = {}
            for person in (people.council, people.verifier, alice, bohdan, vira):
                login = client.post("/api/auth/login", json={"login": person.email, "password": PASSWORD})
                assert login.status_code == 200, login.text
                tokens[person.id] = login.json()["access_token"]
                me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens[person.id]}"})
                assert me.json()["wallet_address"] == person.wallet.address
            writer_login = {"login": committed_at_backup[0], "password": PASSWORD}
            assert client.post("/api/auth/login", json=writer_login).status_code == 200

            # The queued action that ran after the backup is known to have run, in the old service's
            # transaction; the restored service's worker finishes the one in flight from its outbox.
            assert action_row(factory, queued).status == ActionStatus.CONFIRMED
            assert action_row(factory, queued).tx_hash == old_hashes[queued]
            assert action_row(factory, in_flight).status == ActionStatus.SUBMITTED
            worker.drain(timeout=60)
            assert action_row(factory, in_flight).status == ActionStatus.CONFIRMED
            assert action_row(factory, in_flight).tx_hash == old_hashes[in_flight]
            assert action_row(factory, before).status == ActionStatus.CONFIRMED

            # It acts for the same residents: Alice's new case runs, signed with her custodial key.
            response = client.post(
                f"/api/h/{env.slug}/cases",
                json={"programme_id": programme, "evidence_hash": relayer.h("restored")},
                headers={"Authorization": f"Bearer {tokens[alice.id]}", "Idempotency-Key": uuid.uuid4().hex},
            )
            assert response.status_code == 202, response.text
            worker.drain(timeout=60)
            restored = action_row(factory, str(response.json()["id"]))
            assert restored.status == ActionStatus.CONFIRMED, restored.error_detail
            (case,) = cases_with(env, "restored")
            assert case["args"]["submittedBy"] == alice.wallet.address
            assert case["transactionHash"].hex().removeprefix("0x") == restored.tx_hash.removeprefix("0x")

            # Nothing was sent twice: every case once on chain, and the forwarder ran no other request of
            # Bohdan or Vira (their in-flight and queued actions were not signed again), and one of Alice.
            for label in ("before", "in flight", "queued", "after", "restored"):
                assert len(cases_with(env, label)) == 1, label
            assert forwarder_nonce(env, alice) == nonces[alice.id] + 1
            assert forwarder_nonce(env, bohdan) == nonces[bohdan.id]
            assert forwarder_nonce(env, vira) == nonces[vira.id]
            assert after  # known only to the chain and the old database
    finally:
        worker.release_leases()
        app.state.engine.dispose()


def test_backup_and_restore_refuse_what_they_cannot_do_and_change_nothing(
    tmp_path: Path, database_url: str, make_settings: Callable[..., Settings]
) -> None:
    out = tmp_path / "out" / "backup.db"
    out.parent.mkdir()
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(BackupError, match="no SQLite database"):
        backup_database(f"sqlite:///{missing}", out)
    assert not missing.exists() and not list(out.parent.iterdir())  # nothing created, nothing half-written

    backup_database(database_url, out)
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    settings = make_settings(database_url=target)
    # Another database's kind, a file that is no backup, a backup that is not the one its summary describes.
    with pytest.raises(BackupError, match="restored into a sqlite database"):
        restore_database(out, make_settings(database_url="postgresql+psycopg://cts:secret@127.0.0.1:1/cts"))
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello", encoding="utf-8")
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        restore_database(not_a_backup, settings)
    data = bytearray(out.read_bytes())
    data[-1] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="SHA-256 differs"):
        restore_database(out, settings)
    assert is_empty(target)
