"""The gas ledger (cts.gas_ledger): the sponsored gas per hromada, per key it was counted under (the role at
acceptance, or "exempt") and per minute, so that the daily budget checks cost the same at any daily volume;
each action says which key it was counted under; an index covers the person's own daily sum.

The ledger is filled from the last day's actions that did not expire (from the start of the minute the
window starts in, as the checks read it), each counted under its person's role in the hromada now, the
nearest to the role at acceptance that is known; computed here in Python, the same on SQLite and
PostgreSQL.

Revision ID: 0012_gas_ledger
Revises: 0011_partner_role
Create Date: 2026-12-08 10:00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012_gas_ledger"
down_revision: str | Sequence[str] | None = "0011_partner_role"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXEMPT = "exempt"
# An action of a person no longer in the hromada: the sums before the ledger counted it for the hromada
# and for no role; under this key, no role's sum reads it either.
NO_ROLE = "none"


def upgrade() -> None:
    op.create_table(
        "relay_gas_minutes",
        sa.Column("hromada", sa.String(length=64), nullable=False),
        sa.Column("counted_as", sa.String(length=16), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("gas", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hromada", "counted_as", "minute", name=op.f("pk_relay_gas_minutes")),
    )
    op.create_index(
        "ix_relay_gas_minutes_window", "relay_gas_minutes", ["hromada", "minute", "counted_as", "gas"]
    )
    with op.batch_alter_table("relay_actions") as batch:
        batch.add_column(sa.Column("budget_counted_as", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_relay_actions_person_budget",
        "relay_actions",
        ["user_id", "hromada", "created_at", "status", "budget_exempt", "gas"],
    )
    _fill_ledger()


def _fill_ledger() -> None:
    connection = op.get_bind()
    first_minute = int((datetime.now(UTC) - timedelta(days=1)).timestamp()) // 60
    since = datetime.fromtimestamp(first_minute * 60, UTC)
    roles = {
        (user_id, slug): role
        for user_id, slug, role in connection.execute(
            sa.text(
                "SELECT memberships.user_id, hromadas.slug, memberships.role FROM memberships"
                " JOIN hromadas ON hromadas.id = memberships.hromada_id"
            )
        )
    }
    actions = sa.table(
        "relay_actions",
        sa.column("id", sa.Integer()),
        sa.column("user_id", sa.Integer()),
        sa.column("hromada", sa.String()),
        sa.column("gas", sa.BigInteger()),
        sa.column("status", sa.String()),
        sa.column("budget_exempt", sa.Boolean()),
        sa.column("budget_counted_as", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    day = connection.execute(
        sa.select(
            actions.c.id,
            actions.c.user_id,
            actions.c.hromada,
            actions.c.gas,
            actions.c.budget_exempt,
            actions.c.created_at,
        ).where(actions.c.created_at >= since, actions.c.status != "expired")
    ).all()
    ledger: dict[tuple[str, str, int], int] = defaultdict(int)
    counted_as = []
    for action_id, user_id, hromada, gas, exempt, created_at in day:
        key = EXEMPT if exempt else roles.get((user_id, hromada), NO_ROLE)
        # SQLite hands back the stored UTC time without its zone.
        moment = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at
        ledger[(hromada, key, int(moment.timestamp()) // 60)] += int(gas)
        counted_as.append({"action_id": action_id, "key": key})
    if counted_as:
        connection.execute(
            actions.update()
            .where(actions.c.id == sa.bindparam("action_id"))
            .values(budget_counted_as=sa.bindparam("key")),
            counted_as,
        )
    minutes = sa.table(
        "relay_gas_minutes",
        sa.column("hromada", sa.String()),
        sa.column("counted_as", sa.String()),
        sa.column("minute", sa.Integer()),
        sa.column("gas", sa.BigInteger()),
    )
    rows = [
        {"hromada": hromada, "counted_as": key, "minute": minute, "gas": gas}
        for (hromada, key, minute), gas in ledger.items()
    ]
    if rows:
        op.bulk_insert(minutes, rows)


def downgrade() -> None:
    op.drop_index("ix_relay_actions_person_budget", table_name="relay_actions")
    with op.batch_alter_table("relay_actions") as batch:
        batch.drop_column("budget_counted_as")
    op.drop_index("ix_relay_gas_minutes_window", table_name="relay_gas_minutes")
    op.drop_table("relay_gas_minutes")
