"""Many hromadas on one service: a table of hromadas, a person's role per hromada (memberships), and the
operator flag. A database made for one hromada keeps every person's role, now as a membership in that
hromada, whose contracts are read from the manifest the service ran with (CTS_MANIFEST_PATH, CTS_HROMADA)
when it is at hand, or filled in later by `cts hromada add` with the same key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 13:00:00
"""

import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("resident", "verifier", "coordinator", "council", "auditor")
DEFAULT_DAILY_GAS_BUDGET = 500_000_000


def _role_enum(name: str) -> sa.Enum:
    return sa.Enum(*ROLES, name=name, native_enum=False, create_constraint=True, length=16)


def _the_one_hromada(connection: sa.Connection) -> dict[str, Any]:
    """The hromada a one-hromada database served: from the service's manifest if it is at hand, else
    named by the key its actions were recorded under (contracts to be filled in by `cts hromada add`)."""
    wanted = os.environ.get("CTS_HROMADA") or None
    manifest_path = os.environ.get("CTS_MANIFEST_PATH")
    if manifest_path and Path(manifest_path).is_file():
        from cts.chain.manifest import ManifestError, load_manifest

        try:
            manifest = load_manifest(Path(manifest_path))
            entry = manifest.hromada(wanted)
            return {
                "slug": entry.key,
                "name": entry.name,
                "chain_id": manifest.chain_id,
                "factory_id": entry.hromada_id,
                "contracts": dict(entry.contracts),
                "forwarder": manifest.forwarder,
                "council": entry.council,
                "registrar": entry.registrar,
                "face_value_kopiyky": entry.face_value_kopiyky,
                "deployed_block": entry.block,
            }
        except ManifestError:
            pass
    keys = [row[0] for row in connection.execute(sa.text("SELECT DISTINCT hromada FROM relay_actions"))]
    slug = wanted or (keys[0] if len(keys) == 1 else "hromada")
    slug = re.sub(r"[^a-z0-9_-]+", "-", slug.lower()).strip("-") or "hromada"
    return {"slug": slug, "name": slug, "chain_id": 0}


def upgrade() -> None:
    hromadas = op.create_table(
        "hromadas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("factory_id", sa.BigInteger(), nullable=True),
        sa.Column("contracts", sa.JSON(), nullable=True),
        sa.Column("forwarder", sa.String(length=42), nullable=True),
        sa.Column("council", sa.String(length=42), nullable=True),
        sa.Column("registrar", sa.String(length=42), nullable=True),
        sa.Column("face_value_kopiyky", sa.BigInteger(), nullable=True),
        sa.Column("deployed_block", sa.BigInteger(), nullable=True),
        sa.Column("daily_gas_budget", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hromadas")),
        sa.UniqueConstraint("slug", name=op.f("uq_hromadas_slug")),
    )
    memberships = op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("role", _role_enum("membership_role"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_memberships_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "hromada_id", name=op.f("uq_memberships_user_id_hromada_id")),
    )
    op.create_index(op.f("ix_memberships_hromada_id"), "memberships", ["hromada_id"], unique=False)
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False)

    connection = op.get_bind()
    now = datetime.now(UTC)
    users = connection.execute(sa.text("SELECT id, role FROM users")).all()
    if users:
        hromada = _the_one_hromada(connection)
        connection.execute(
            hromadas.insert().values(daily_gas_budget=DEFAULT_DAILY_GAS_BUDGET, created_at=now, **hromada)
        )
        hromada_id = connection.execute(
            sa.text("SELECT id FROM hromadas WHERE slug = :slug"), {"slug": hromada["slug"]}
        ).scalar_one()
        connection.execute(
            memberships.insert(),
            [
                {"user_id": uid, "hromada_id": hromada_id, "role": role, "created_at": now}
                for uid, role in users
            ],
        )
        connection.execute(sa.text("UPDATE relay_actions SET hromada = :slug"), {"slug": hromada["slug"]})

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.drop_column("role")


def downgrade() -> None:
    # A person's roles go back to one role per account: their role in the first hromada they joined.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role", _role_enum("role"), nullable=True))
        batch.drop_column("is_operator")
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE users SET role = COALESCE((SELECT m.role FROM memberships m WHERE m.user_id = users.id "
            "ORDER BY m.id LIMIT 1), 'resident')"
        )
    )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("role", existing_type=_role_enum("role"), nullable=False)
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_index(op.f("ix_memberships_hromada_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("hromadas")
