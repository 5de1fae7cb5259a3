"""Rejection notes: a verifier's own words for rejecting a case with "another reason" (issue 21). The chain
keeps the rejection and its reason code; the contract takes no text, so the words are kept here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rejection_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("hromada", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("verifier", sa.String(length=42), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["relay_actions.id"],
            name=op.f("fk_rejection_notes_action_id_relay_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejection_notes")),
        sa.UniqueConstraint("action_id", name=op.f("uq_rejection_notes_action_id")),
    )
    op.create_index(
        "ix_rejection_notes_hromada_case", "rejection_notes", ["hromada", "case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rejection_notes_hromada_case", table_name="rejection_notes")
    op.drop_table("rejection_notes")
