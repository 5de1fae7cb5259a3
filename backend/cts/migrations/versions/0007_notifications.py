"""Notifications for residents (issue 20): what each person is told, their choices, the outbox of e-mails, and
how far the producer has read each hromada's events.

Revision ID: 0007_notifications
Revises: 0006
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007_notifications"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("case_decided", "round_opened", "round_closing", "milestone")
STATUSES = ("queued", "sending", "sent", "failed")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(KINDS, "notification_kind"), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("chain_time", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_notifications_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id",
            "hromada_id",
            "kind",
            "event_key",
            name=op.f("uq_notifications_user_id_hromada_id_kind_event_key"),
        ),
    )
    op.create_index(
        "ix_notifications_user_hromada_id", "notifications", ["user_id", "hromada_id", "id"], unique=False
    )
    op.create_table(
        "notification_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("language", _enum(("uk", "en"), "email_language"), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", _enum(STATUSES, "email_status"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_emails_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notification_emails_message_id")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_notification_emails_notification_id")),
    )
    op.create_index(
        "ix_notification_emails_status_next",
        "notification_emails",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Boolean(), server_default=sa.true(), nullable=False)
            for name in (*KINDS, "email")
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_notification_preferences_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "user_id", "hromada_id", name=op.f("uq_notification_preferences_user_id_hromada_id")
        ),
    )
    op.create_table(
        "notification_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hromada_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hromada_id"],
            ["hromadas.id"],
            name=op.f("fk_notification_cursors_hromada_id_hromadas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_cursors")),
        sa.UniqueConstraint("hromada_id", "source", name=op.f("uq_notification_cursors_hromada_id_source")),
    )


def downgrade() -> None:
    op.drop_table("notification_cursors")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notification_emails_status_next", table_name="notification_emails")
    op.drop_table("notification_emails")
    op.drop_index("ix_notifications_user_hromada_id", table_name="notifications")
    op.drop_table("notifications")
