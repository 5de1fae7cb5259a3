"""Partners of a hromada (issue 18): a business, the local budget, an NGO, a donor or the diaspora may hold a
custodial account with the role "partner", so that the relayer sponsors their pledges. The role columns are
strings checked by a constraint (cts.models.users._string_enum); the constraint gains the new value.

Revision ID: 0011_partner_role
Revises: 0010_delivery_comments
Create Date: 2026-12-07 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011_partner_role"
down_revision: str | Sequence[str] | None = "0010_delivery_comments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = ("resident", "verifier", "coordinator", "council", "auditor")
NEW_ROLES = (*OLD_ROLES, "partner")
# (table, the name of its role column's enum type and so of its CHECK constraint)
ROLE_COLUMNS = (("memberships", "membership_role"), ("role_budgets", "role_budget_role"))


def _role_enum(roles: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*roles, name=name, native_enum=False, create_constraint=True, length=16)


def _allow(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    for table, name in ROLE_COLUMNS:
        # The constraint belongs to the column's type: changing the type drops the old one and makes the
        # new one (batch mode: SQLite cannot alter a constraint, so the table is copied; PostgreSQL alters).
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "role",
                existing_type=_role_enum(old, name),
                type_=_role_enum(new, name),
                existing_nullable=False,
            )


def upgrade() -> None:
    _allow(OLD_ROLES, NEW_ROLES)


def downgrade() -> None:
    op.execute("DELETE FROM role_budgets WHERE role = 'partner'")
    op.execute("DELETE FROM memberships WHERE role = 'partner'")
    _allow(NEW_ROLES, OLD_ROLES)
