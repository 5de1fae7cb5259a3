"""Database: engines for SQLite (default, embedded) and PostgreSQL, the declarative base, migrations.

SQLite runs in WAL mode (readers do not block the writer) with foreign keys enforced and a busy
timeout, so that several processes (the API and a relayer) can share one file. PostgreSQL is for
several relayer instances sharing one queue; it is reached with psycopg 3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# How long a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every CTS table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL.

    SQLite has no time zones and hands back naive datetimes; comparing those with aware ones
    raises. This type stores UTC and always returns aware UTC values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column: use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalize_database_url(url: str | URL) -> URL:
    """Make a URL explicit about its driver: plain ``postgresql://`` means psycopg 3 here."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def build_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Create an engine for a CTS database URL (SQLite file, in-memory SQLite, or PostgreSQL).

    For a SQLite file the parent directory is created (the default lives in ``var/``). SQL
    parameters are kept out of logs and error messages: they carry phone numbers, e-mail addresses,
    password hashes and encrypted keys.
    """
    parsed = normalize_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            echo=echo,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(parsed, echo=echo, hide_parameters=True, pool_pre_ping=True)


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (routes serialise them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None) -> Config:
    """Alembic's configuration, from the ``alembic.ini`` shipped inside the package.

    The URL travels as a Python object (``config.attributes``), not through the ini file, so that
    a password containing ``%`` needs no escaping. Without one, migrations/env.py uses the Settings'.
    """
    ini = resources.files("cts") / "alembic.ini"
    config = Config(str(ini))
    if url is not None:
        config.attributes["database_url"] = normalize_database_url(url)
    return config


def upgrade_database(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to the latest schema (``alembic upgrade head``)."""
    command.upgrade(alembic_config(url), revision)
