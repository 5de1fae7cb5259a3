"""Backend test fixtures: a real local chain per session (Anvil by default, Ganache with
CTS_TEST_NODE=ganache), a fresh migrated SQLite file per test, a fresh PostgreSQL database when a
server answers; never a mock."""

from __future__ import annotations

import os
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender
from cts.chain.deploy import deploy_shared
from cts.chain.localnode import LocalNode
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, upgrade_database


def pytest_configure(config: pytest.Config) -> None:
    # Starlette's TestClient asks for the `httpx2` fork; httpx works and is what the project pins.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="session")
def node() -> Iterator[LocalNode]:
    kind = os.environ.get("CTS_TEST_NODE", "anvil")
    assert kind in ("anvil", "ganache")
    with LocalNode(kind=kind) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture(scope="session")
def w3(node: LocalNode) -> Web3:
    return Web3(HTTPProvider(node.url))


@pytest.fixture(scope="session")
def deployer(w3: Web3) -> Sender:
    """The node's first account, which deploys and pays in tests."""
    return Sender(w3, w3.eth.accounts[0])


@pytest.fixture(scope="session")
def shared_manifest(deployer: Sender) -> Manifest:
    """CTS's shared contracts (forwarder, implementations, factory), deployed once per test session."""
    return deploy_shared(deployer)


# --- Backend core: settings, a fresh migrated SQLite file per test, PostgreSQL when one answers ------


# Trust-authenticated local server of the development machines; CTS_TEST_POSTGRES_URL overrides it.
DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def master_key() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the latest schema by ``upgrade_database``, once per test session."""
    path = tmp_path_factory.mktemp("template") / "cts.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_sqlite_template: Path) -> str:
    """A fresh SQLite file for this test alone, holding the migrated (empty) schema.

    It is a copy of the session's migrated template (SQLite's backup API), which is what running the
    migrations again would produce, at a fraction of the cost; tests/backend/core/test_db.py runs
    the migrations themselves on fresh files.
    """
    path = tmp_path / "cts.sqlite3"
    with sqlite3.connect(migrated_sqlite_template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


class SettingsFactory(Protocol):
    def __call__(self, **overrides: object) -> Settings: ...


@pytest.fixture
def make_settings(database_url: str, master_key: SecretStr) -> SettingsFactory:
    """Production settings (the strict checks apply) for the test's database, with argon2 lowered to
    its minimum for speed; keyword arguments override any field."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "environment": "production",
            "database_url": database_url,
            "master_key": master_key,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 8,
            "password_hash_parallelism": 1,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = build_engine(database_url)
    yield built
    built.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    with build_session_factory(engine)() as session:
        yield session


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = make_url(os.environ.get("CTS_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL))
    try:
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(False), connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL answers at {url} (set CTS_TEST_POSTGRES_URL): {error}".strip())
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards (migrations not yet run)."""
    server = make_url(postgres_server_url)
    name = f"cts_test_{uuid.uuid4().hex[:16]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
