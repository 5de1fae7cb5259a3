"""A database made by the one-hromada version (schema 0002, as it landed) comes to the many-hromadas schema
with every person's role kept, now as a membership in that hromada; its contracts come from the manifest
the service ran with, or later from `cts hromada add` under the same key. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect

from cts.chain.manifest import HromadaEntry, Manifest
from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.hromadas import add_hromada, get_hromada
from cts.models import Role, User

ADDRESS = "0x" + "ab" * 20
CONTRACTS = {
    k: "0x" + f"{n:040x}"
    for n, k in enumerate(
        ("registry", "token", "usefulCases", "balancedVote", "fund", "delivery", "coFinancing"), 1
    )
}


def landed_database(url: str) -> None:
    """The schema of the one-hromada version, with a council member, a verifier, two residents and an
    action, as that version wrote them."""
    upgrade_database(url, "0002")
    engine = build_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number, role in enumerate(("council", "verifier", "resident", "resident"), start=1):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, password_hash, role, display_name, preferred_language,"
                    " is_disabled, created_at) VALUES (:id, :email, 'x', :role, :name, 'uk', false, :now)"
                ),
                {
                    "id": number,
                    "email": f"p{number}@example.org",
                    "role": role,
                    "name": f"P{number}",
                    "now": now,
                },
            )
            connection.execute(
                sa.text(
                    "INSERT INTO wallets (user_id, address, key_salt, key_nonce, key_ciphertext, key_version,"
                    " created_at) VALUES (:id, :address, :salt, :nonce, :cipher, 'v1', :now)"
                ),
                {
                    "id": number,
                    "address": "0x" + f"{number:040x}",
                    "salt": b"s" * 16,
                    "nonce": b"n" * 12,
                    "cipher": b"c" * 48,
                    "now": now,
                },
            )
        connection.execute(
            sa.text(
                "INSERT INTO relay_actions (public_id, user_id, hromada, kind, signer, target, calldata, gas,"
                " custodial, status, tries, created_at, updated_at) VALUES ('a1', 3, 'zelena', 'submitCase',"
                " :signer, :target, '0x', 100000, true, 'confirmed', 1, :now, :now)"
            ),
            {"signer": ADDRESS, "target": ADDRESS, "now": now},
        )
    engine.dispose()


def check_upgraded(url: str) -> None:
    upgrade_database(url)
    engine = build_engine(url)
    assert "role" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with build_session_factory(engine)() as session:
        hromada = get_hromada(session, "zelena")  # the key its actions were recorded under
        assert not hromada.is_ready  # contracts unknown until `cts hromada add`
        roles = {user.email: user.role_in(hromada.id) for user in session.query(User).all()}
        assert roles == {
            "p1@example.org": Role.COUNCIL,
            "p2@example.org": Role.VERIFIER,
            "p3@example.org": Role.RESIDENT,
            "p4@example.org": Role.RESIDENT,
        }
        # `cts hromada add` with the deployment's manifest completes it, under the same key.
        entry = HromadaEntry(key="zelena", name="Зелена громада", hromada_id=7, contracts=CONTRACTS)
        manifest = Manifest(
            chain_id=1337, shared={"CTSForwarder": {"address": ADDRESS}}, hromadas={"zelena": entry}
        )
        completed = add_hromada(session, manifest, "zelena")
        session.commit()
        assert completed.id == hromada.id and completed.is_ready and completed.name == "Зелена громада"
    engine.dispose()


def test_a_one_hromada_sqlite_database_keeps_every_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'landed.sqlite3'}"
    landed_database(url)
    check_upgraded(url)


def test_a_one_hromada_postgresql_database_keeps_every_role(postgres_database_url: str) -> None:
    landed_database(postgres_database_url)
    check_upgraded(postgres_database_url)


def test_the_manifest_the_service_ran_with_names_the_hromada(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'landed.sqlite3'}"
    landed_database(url)
    entry = HromadaEntry(key="zelena", name="Зелена громада", hromada_id=7, contracts=CONTRACTS)
    manifest = Manifest(
        chain_id=1337, shared={"CTSForwarder": {"address": ADDRESS}}, hromadas={"zelena": entry}
    )
    manifest.save(tmp_path / "manifest.json")
    monkeypatch.setenv("CTS_MANIFEST_PATH", str(tmp_path / "manifest.json"))
    upgrade_database(url)
    with build_session_factory(build_engine(url))() as session:
        hromada = get_hromada(session, "zelena")
        assert hromada.is_ready and hromada.chain_id == 1337 and hromada.factory_id == 7


def test_the_downgrade_gives_each_person_back_one_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'landed.sqlite3'}"
    landed_database(url)
    upgrade_database(url)
    from alembic import command

    from cts.core.db import alembic_config

    command.downgrade(alembic_config(url), "0003")
    engine = build_engine(url)
    with engine.connect() as connection:
        roles = dict(connection.execute(sa.text("SELECT email, role FROM users")).all())
    assert roles["p1@example.org"] == "council" and roles["p4@example.org"] == "resident"
