"""Migration 0012 fills the gas ledger from a running database's last day of actions (each under its person's
role in the hromada, "exempt" for the operator's tools, nothing for expired or older ones) and says on each
counted action which key it was counted under. On SQLite and PostgreSQL; the downgrade takes it all away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from cts.budgets import hromada_spent
from cts.core.db import alembic_config, build_engine, build_session_factory, upgrade_database
from cts.gas_ledger import minute_of
from cts.hromadas import get_hromada
from cts.models import GasMinute, Hromada, Membership, RelayAction, User

BEFORE = "0011_partner_role"
NOW = datetime.now(UTC)
# user id: (its memberships as (hromada, role)); user 4 has left the hromada where it acted.
PEOPLE = {
    1: [("zelena", "council")],
    2: [("zelena", "resident")],
    3: [("zelena", "verifier"), ("lisova", "resident")],
    4: [],
}
# public id: (hromada, user id, gas, status, exempt, age); and the key it is counted under, if it is.
ACTIONS = {
    "council": (("zelena", 1, 100_000, "confirmed", False, timedelta(hours=2)), "council"),
    "resident": (("zelena", 2, 50_000, "queued", False, timedelta(hours=2)), "resident"),
    "seeded": (("zelena", 2, 70_000, "confirmed", True, timedelta(hours=1)), "exempt"),
    "expired": (("zelena", 2, 999, "expired", False, timedelta(hours=1)), None),
    "yesterday": (("zelena", 2, 888, "confirmed", False, timedelta(hours=25)), None),
    "departed": (("zelena", 4, 30_000, "confirmed", False, timedelta(hours=3)), "none"),
    "failed": (("zelena", 3, 20_000, "failed", False, timedelta(hours=10)), "verifier"),
    "elsewhere": (("lisova", 3, 40_000, "submitted", False, timedelta(minutes=5)), "resident"),
}


def running_database(url: str) -> None:
    """A database at 0011 with two hromadas, their people and a day and more of actions."""
    upgrade_database(url, BEFORE)
    engine = build_engine(url)
    with engine.begin() as connection:
        ids = {}
        for slug in ("zelena", "lisova"):
            ids[slug] = connection.execute(
                sa.insert(Hromada.__table__).values(slug=slug, name=slug, chain_id=1337, created_at=NOW)
            ).inserted_primary_key[0]
        for user_id, memberships in PEOPLE.items():
            connection.execute(
                sa.insert(User.__table__).values(
                    id=user_id,
                    email=f"p{user_id}@example.org",
                    password_hash="x",
                    display_name=f"P{user_id}",
                    created_at=NOW,
                )
            )
            for slug, role in memberships:
                connection.execute(
                    sa.insert(Membership.__table__).values(
                        user_id=user_id, hromada_id=ids[slug], role=role, created_at=NOW
                    )
                )
        for public_id, ((slug, user_id, gas, status, exempt, age), _) in ACTIONS.items():
            connection.execute(
                sa.insert(RelayAction.__table__).values(
                    public_id=public_id,
                    user_id=user_id,
                    hromada=slug,
                    kind="submitCase",
                    signer="0x" + "ab" * 20,
                    target="0x" + "cd" * 20,
                    calldata="0x",
                    gas=gas,
                    custodial=True,
                    status=status,
                    budget_exempt=exempt,
                    created_at=NOW - age,
                    updated_at=NOW - age,
                )
            )
    engine.dispose()


def check_filled(url: str) -> None:
    upgrade_database(url)
    expected: dict[tuple[str, str, int], int] = {}
    for (slug, _, gas, _, _, age), key in ACTIONS.values():
        if key is not None:
            minute = (slug, key, minute_of(NOW - age))
            expected[minute] = expected.get(minute, 0) + gas
    engine = build_engine(url)
    with build_session_factory(engine)() as session:
        rows = session.execute(select_ledger()).all()
        assert {(slug, key, minute): gas for slug, key, minute, gas in rows} == expected
        counted = dict(session.execute(sa.select(RelayAction.public_id, RelayAction.budget_counted_as)).all())
        assert counted == {public_id: key for public_id, (_, key) in ACTIONS.items()}
        # The budgets read it: the hromada's day is every counted action of the day, the departed one's too.
        assert hromada_spent(session, get_hromada(session, "zelena")) == 270_000
    engine.dispose()


def select_ledger() -> sa.Select[tuple[str, str, int, int]]:
    return sa.select(GasMinute.hromada, GasMinute.counted_as, GasMinute.minute, GasMinute.gas)


def test_a_running_sqlite_database_gets_its_days_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'running.sqlite3'}"
    running_database(url)
    check_filled(url)


def test_a_running_postgresql_database_gets_its_days_ledger(postgres_database_url: str) -> None:
    running_database(postgres_database_url)
    check_filled(postgres_database_url)


def test_the_downgrade_takes_the_ledger_away(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'running.sqlite3'}"
    running_database(url)
    upgrade_database(url)
    command.downgrade(alembic_config(url), BEFORE)
    inspector = sa.inspect(build_engine(url))
    assert "relay_gas_minutes" not in inspector.get_table_names()
    assert "budget_counted_as" not in {column["name"] for column in inspector.get_columns("relay_actions")}
    assert "ix_relay_actions_person_budget" not in {i["name"] for i in inspector.get_indexes("relay_actions")}
