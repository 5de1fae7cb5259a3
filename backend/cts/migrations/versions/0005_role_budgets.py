"""Budgets per role: each hromada's daily gas shared out among its roles and their people (issue 21),
actions queued by the operator's own tools exempt from the person's budget, and an index that covers
the daily budget sums. The hromadas' default daily budget rises to what a day of the pilot's work takes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("resident", "verifier", "coordinator", "council", "auditor")
OLD_DEFAULT_BUDGET = 500_000_000
NEW_DEFAULT_BUDGET = 1_000_000_000


def upgrade() -> None:
    op.create_table(
        "role_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="role_budget_role", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("person_daily_gas", sa.BigInteger(), nullable=False),
        sa.Column("role_share_percent", sa.Integer(), nullable=False),
        sa.Column("actions_per_window", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_role_budgets_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_budgets")),
        sa.UniqueConstraint("hromada_id", "role", name=op.f("uq_role_budgets_hromada_id_role")),
    )
    op.create_index(op.f("ix_role_budgets_hromada_id"), "role_budgets", ["hromada_id"], unique=False)
    with op.batch_alter_table("relay_actions") as batch:
        batch.add_column(sa.Column("budget_exempt", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Covers the daily budget sums (cts.budgets): they read nothing else of the row.
    op.create_index(
        "ix_relay_actions_hromada_budget",
        "relay_actions",
        ["hromada", "created_at", "status", "budget_exempt", "user_id", "gas"],
        unique=False,
    )
    # Hromadas still on the old default get the new one; a budget an operator chose stays as it is.
    hromadas = sa.table("hromadas", sa.column("daily_gas_budget", sa.BigInteger()))
    op.execute(
        hromadas.update()
        .where(hromadas.c.daily_gas_budget == OLD_DEFAULT_BUDGET)
        .values(daily_gas_budget=NEW_DEFAULT_BUDGET)
    )


def downgrade() -> None:
    op.drop_index("ix_relay_actions_hromada_budget", table_name="relay_actions")
    with op.batch_alter_table("relay_actions") as batch:
        batch.drop_column("budget_exempt")
    op.drop_index(op.f("ix_role_budgets_hromada_id"), table_name="role_budgets")
    op.drop_table("role_budgets")
