"""Community issues (issue 18): a hromada's map area and settlements; issues with the groups they affect,
their photos and residents' endorsements.

Revision ID: 0009_community_issues
Revises: 0008_journals
Create Date: 2026-12-06 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009_community_issues"
down_revision: str | Sequence[str] | None = "0008_journals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


CATEGORIES = (
    "infrastructure",
    "safety",
    "social_care",
    "idps",
    "veterans",
    "youth",
    "environment",
    "economy",
    "other",
)
GROUPS = ("elderly", "disabilities", "idps", "veterans", "children", "low_income")
STATES = ("open", "answering", "resolved", "closed")


def upgrade() -> None:
    op.create_table(
        "issue_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("south_e6", sa.Integer(), nullable=False),
        sa.Column("west_e6", sa.Integer(), nullable=False),
        sa.Column("north_e6", sa.Integer(), nullable=False),
        sa.Column("east_e6", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "south_e6 < north_e6 AND west_e6 < east_e6", name=op.f("ck_issue_areas_box_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_issue_areas_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_areas")),
        sa.UniqueConstraint("hromada_id", name=op.f("uq_issue_areas_hromada_id")),
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_settlements_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("hromada_id", "name", name=op.f("uq_settlements_hromada_id_name")),
    )
    op.create_index(op.f("ix_settlements_hromada_id"), "settlements", ["hromada_id"], unique=False)
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("lat_e6", sa.Integer(), nullable=True),
        sa.Column("lon_e6", sa.Integer(), nullable=True),
        sa.Column("category", _enum("issue_category", *CATEGORIES), nullable=False),
        sa.Column("state", _enum("issue_state", *STATES), nullable=False),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(lat_e6 IS NULL) = (lon_e6 IS NULL)", name=op.f("ck_issues_point_whole")),
        sa.CheckConstraint(
            "state != 'closed' OR close_reason IS NOT NULL", name=op.f("ck_issues_closed_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["hromada_id"], ["hromadas.id"], name=op.f("fk_issues_hromada_id_hromadas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_issues_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_issues_settlement_id_settlements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
        sa.UniqueConstraint("hromada_id", "number", name=op.f("uq_issues_hromada_id_number")),
    )
    op.create_index(op.f("ix_issues_hromada_id"), "issues", ["hromada_id"], unique=False)
    op.create_index(op.f("ix_issues_author_id"), "issues", ["author_id"], unique=False)
    op.create_index(op.f("ix_issues_settlement_id"), "issues", ["settlement_id"], unique=False)
    op.create_index(op.f("ix_issues_state"), "issues", ["state"], unique=False)
    op.create_table(
        "issue_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("group", _enum("affected_group", *GROUPS), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_groups_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_groups")),
        sa.UniqueConstraint("issue_id", "group", name=op.f("uq_issue_groups_issue_id_group")),
    )
    op.create_index(op.f("ix_issue_groups_issue_id"), "issue_groups", ["issue_id"], unique=False)
    op.create_table(
        "issue_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_photos_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_photos")),
        sa.UniqueConstraint("issue_id", "sha256", name=op.f("uq_issue_photos_issue_id_sha256")),
    )
    op.create_index(op.f("ix_issue_photos_issue_id"), "issue_photos", ["issue_id"], unique=False)
    op.create_table(
        "issue_endorsements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_issue_endorsements_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_issue_endorsements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_endorsements")),
        sa.UniqueConstraint("issue_id", "user_id", name=op.f("uq_issue_endorsements_issue_id_user_id")),
    )
    op.create_index(op.f("ix_issue_endorsements_issue_id"), "issue_endorsements", ["issue_id"], unique=False)
    op.create_index(op.f("ix_issue_endorsements_user_id"), "issue_endorsements", ["user_id"], unique=False)


def downgrade() -> None:
    for table, columns in (
        ("issue_endorsements", ("user_id", "issue_id")),
        ("issue_photos", ("issue_id",)),
        ("issue_groups", ("issue_id",)),
        ("issues", ("state", "settlement_id", "author_id", "hromada_id")),
        ("settlements", ("hromada_id",)),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.drop_table("issue_areas")
