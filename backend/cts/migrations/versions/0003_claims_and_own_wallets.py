"""Claims of queued actions (no second action for the same evidence, receipt or decision while the first
waits), and a user's own wallet linked to their account (who may relay a self-signed request).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_action_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["relay_actions.id"],
            name=op.f("fk_relay_action_claims_action_id_relay_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_action_claims")),
    )
    op.create_index(
        op.f("ix_relay_action_claims_action_id"), "relay_action_claims", ["action_id"], unique=False
    )
    op.create_index(op.f("ix_relay_action_claims_claim"), "relay_action_claims", ["claim"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("own_wallet_address", sa.String(length=42), nullable=True))
        batch.create_unique_constraint(op.f("uq_users_own_wallet_address"), ["own_wallet_address"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_own_wallet_address"), type_="unique")
        batch.drop_column("own_wallet_address")
    op.drop_index(op.f("ix_relay_action_claims_claim"), table_name="relay_action_claims")
    op.drop_index(op.f("ix_relay_action_claims_action_id"), table_name="relay_action_claims")
    op.drop_table("relay_action_claims")
