"""Residents' comments on delivery reports (issue 19).

Revision ID: 0010_delivery_comments
Revises: 0009_community_issues
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010_delivery_comments"
down_revision: str | Sequence[str] | None = "0009_community_issues"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_delivery_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_delivery_comments_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_comments")),
    )
    op.create_index(op.f("ix_delivery_comments_author_id"), "delivery_comments", ["author_id"], unique=False)
    op.create_index(
        "ix_delivery_comments_report", "delivery_comments", ["hromada_id", "report_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_comments_report", table_name="delivery_comments")
    op.drop_index(op.f("ix_delivery_comments_author_id"), table_name="delivery_comments")
    op.drop_table("delivery_comments")
