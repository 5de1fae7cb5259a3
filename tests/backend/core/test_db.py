from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

import cts.models  # noqa: F401  (registers the tables)
from cts.core.db import (
    Base,
    alembic_config,
    build_engine,
    build_session_factory,
    normalize_database_url,
    upgrade_database,
)
from cts.models import AuthSession, Hromada, Role, User

TABLES = {
    "users",
    "wallets",
    "auth_sessions",
    "idempotency_records",
    "rate_limit_buckets",
    "sponsor_accounts",
    "relay_batches",
    "relay_batch_attempts",
    "relay_actions",
    "relay_action_claims",
    "relay_gas_minutes",
    "hromadas",
    "memberships",
    "notifications",
    "notification_emails",
    "notification_preferences",
    "notification_cursors",
    "journal_imports",
    "journal_lines",
    "issue_areas",
    "settlements",
    "issues",
    "issue_groups",
    "issue_photos",
    "issue_endorsements",
}
HEAD_REVISION = "0012_gas_ledger"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Here, unlike elsewhere (a copy of a migrated template), every test runs the migrations itself."""
    url = f"sqlite:///{tmp_path / 'cts.sqlite3'}"
    upgrade_database(url)
    return url


def schema_differences(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrations_create_every_table(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == HEAD_REVISION


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert schema_differences(engine, Base.metadata) == []


def test_the_agreement_check_notices_a_model_the_migrations_lack(engine: Engine) -> None:
    extended = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(extended)
    Table("ballots", extended, Column("id", Integer, primary_key=True))
    differences = schema_differences(engine, extended)
    assert [difference[0] for difference in differences] == ["add_table"]  # type: ignore[index]


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000


def test_a_foreign_key_to_a_missing_user_is_refused(db_session: Session) -> None:
    db_session.add(AuthSession(token_hash="0" * 64, user_id=12345, expires_at=datetime.now(UTC)))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db_session.flush()


def test_downgrade_to_base_and_upgrade_again(database_url: str, engine: Engine) -> None:
    command.downgrade(alembic_config(database_url), "base")
    assert not (TABLES & set(inspect(engine).get_table_names()))
    upgrade_database(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_a_sqlite_files_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "cts.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    assert path.is_file()


def test_alembic_ini_ships_inside_the_package() -> None:
    ini = resources.files("cts") / "alembic.ini"
    assert ini.is_file()
    assert (resources.files("cts") / "migrations" / "env.py").is_file()


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_database_url("sqlite:///x.db").drivername == "sqlite"


def test_timestamps_come_back_aware_in_utc(db_session: Session) -> None:
    kyiv_summer = timezone(timedelta(hours=3))
    moment = datetime(2025, 6, 1, 12, 0, tzinfo=kyiv_summer)
    user = User(phone="+380671234567", password_hash="x", display_name="Olena")
    user.created_at = moment
    db_session.add(user)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.scalars(select(User.created_at)).one()
    assert stored.tzinfo is not None
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(db_session: Session) -> None:
    user = User(phone="+380671234567", password_hash="x", display_name="Olena")
    user.created_at = datetime(2025, 6, 1, 12, 0)  # naive: the point of the test
    db_session.add(user)
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()


@pytest.mark.postgres
def test_postgresql_migrates_and_agrees_with_the_models(postgres_database_url: str) -> None:
    upgrade_database(postgres_database_url)
    engine = build_engine(postgres_database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert schema_differences(engine, Base.metadata) == []
        with build_session_factory(engine)() as session:
            session.add(User(email="olena@example.org", password_hash="x", display_name="Olena"))
            session.commit()
            assert session.scalars(select(User.preferred_language)).one() == "uk"
            assert session.scalars(select(User.is_disabled)).one() is False
    finally:
        engine.dispose()


def _role_check(engine: Engine) -> None:
    """The database itself admits every role of the code (a partner too, since 0011) and nothing else."""
    with build_session_factory(engine)() as session:
        session.add(User(id=1, email="p@example.org", password_hash="x", display_name="P"))
        session.add(Hromada(id=1, slug="h", name="H", chain_id=1, daily_gas_budget=1))
        session.commit()
    insert = text(
        "INSERT INTO memberships (id, user_id, hromada_id, role, created_at) VALUES (:id, 1, 1, :role, :now)"
    )
    for number, role in enumerate(Role, start=1):
        with engine.begin() as connection:
            connection.execute(insert, {"id": number, "role": role.value, "now": datetime.now(UTC)})
            connection.execute(text("DELETE FROM memberships"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"id": 99, "role": "mayor", "now": datetime.now(UTC)})


def test_every_role_and_only_those_is_admitted_by_sqlite(engine: Engine) -> None:
    _role_check(engine)


@pytest.mark.postgres
def test_every_role_and_only_those_is_admitted_by_postgresql(postgres_database_url: str) -> None:
    upgrade_database(postgres_database_url)
    engine = build_engine(postgres_database_url)
    try:
        _role_check(engine)
    finally:
        engine.dispose()
