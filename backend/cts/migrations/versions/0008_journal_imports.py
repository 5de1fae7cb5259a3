"""Paper journals (issue 20): the council's imports of coordinators' journals and their lines, with the
action that records each good line.

Revision ID: 0008_journals
Revises: 0007_notifications
Create Date: 2026-12-06 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008_journals"
down_revision: str | Sequence[str] | None = "0007_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("hromada", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_journal_imports_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_imports")),
        sa.UniqueConstraint("public_id", name=op.f("uq_journal_imports_public_id")),
    )
    op.create_index(op.f("ix_journal_imports_hromada"), "journal_imports", ["hromada"], unique=False)
    op.create_index(op.f("ix_journal_imports_user_id"), "journal_imports", ["user_id"], unique=False)
    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("date_text", sa.String(length=200), nullable=False),
        sa.Column("resident", sa.String(length=200), nullable=False),
        sa.Column("programme", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("evidence", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("reason_value", sa.String(length=64), nullable=True),
        sa.Column("entry_key", sa.String(length=64), nullable=True),
        sa.Column("resident_user_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.BigInteger(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["journal_imports.id"],
            name=op.f("fk_journal_lines_import_id_journal_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_user_id"],
            ["users.id"],
            name=op.f("fk_journal_lines_resident_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["relay_actions.id"],
            name=op.f("fk_journal_lines_action_id_relay_actions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    op.create_index(op.f("ix_journal_lines_import_id"), "journal_lines", ["import_id"], unique=False)
    op.create_index(op.f("ix_journal_lines_entry_key"), "journal_lines", ["entry_key"], unique=False)
    op.create_index(op.f("ix_journal_lines_action_id"), "journal_lines", ["action_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_journal_lines_action_id"), table_name="journal_lines")
    op.drop_index(op.f("ix_journal_lines_entry_key"), table_name="journal_lines")
    op.drop_index(op.f("ix_journal_lines_import_id"), table_name="journal_lines")
    op.drop_table("journal_lines")
    op.drop_index(op.f("ix_journal_imports_user_id"), table_name="journal_imports")
    op.drop_index(op.f("ix_journal_imports_hromada"), table_name="journal_imports")
    op.drop_table("journal_imports")
