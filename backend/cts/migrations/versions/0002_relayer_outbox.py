"""Relayer outbox: actions, sponsor accounts, batches and their attempts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:12:44.012735
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sponsor_accounts",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("balance_wei", sa.Numeric(precision=40, scale=0), nullable=True),
        sa.Column("balance_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_sponsor_accounts")),
    )
    op.create_table(
        "relay_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sponsor", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "prepared",
                "sent",
                "confirmed",
                "reverted",
                "abandoned",
                name="batch_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("gas_limit", sa.BigInteger(), nullable=False),
        sa.Column("call_data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mined_block", sa.BigInteger(), nullable=True),
        sa.Column("mined_tx_hash", sa.String(length=66), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sponsor"], ["sponsor_accounts.address"], name=op.f("fk_relay_batches_sponsor_sponsor_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_batches")),
        sa.UniqueConstraint("sponsor", "nonce", name="uq_relay_batches_sponsor_nonce"),
    )
    with op.batch_alter_table("relay_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_batches_sponsor"), ["sponsor"], unique=False)
        batch_op.create_index(batch_op.f("ix_relay_batches_status"), ["status"], unique=False)

    op.create_table(
        "relay_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("hromada", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("target", sa.String(length=42), nullable=False),
        sa.Column("calldata", sa.Text(), nullable=False),
        sa.Column("gas", sa.BigInteger(), nullable=False),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("request_nonce", sa.Numeric(precision=78, scale=0), nullable=True),
        sa.Column("request_deadline", sa.BigInteger(), nullable=True),
        sa.Column("signature", sa.String(length=132), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "submitted",
                "confirmed",
                "failed",
                "expired",
                name="action_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_detail", sa.String(length=500), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["relay_batches.id"],
            name=op.f("fk_relay_actions_batch_id_relay_batches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_relay_actions_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_actions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_relay_actions_public_id")),
    )
    with op.batch_alter_table("relay_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_actions_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_relay_actions_signer_created", ["signer", "created_at"], unique=False)
        batch_op.create_index("ix_relay_actions_status_id", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relay_actions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "relay_batch_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column("max_fee_per_gas", sa.Numeric(precision=40, scale=0), nullable=False),
        sa.Column("max_priority_fee_per_gas", sa.Numeric(precision=40, scale=0), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["relay_batches.id"],
            name=op.f("fk_relay_batch_attempts_batch_id_relay_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_batch_attempts")),
        sa.UniqueConstraint("batch_id", "attempt", name="uq_relay_batch_attempts_attempt"),
        sa.UniqueConstraint("tx_hash", name=op.f("uq_relay_batch_attempts_tx_hash")),
    )
    with op.batch_alter_table("relay_batch_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_batch_attempts_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relay_batch_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_batch_attempts_batch_id"))

    op.drop_table("relay_batch_attempts")
    with op.batch_alter_table("relay_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_actions_user_id"))
        batch_op.drop_index("ix_relay_actions_status_id")
        batch_op.drop_index("ix_relay_actions_signer_created")
        batch_op.drop_index(batch_op.f("ix_relay_actions_batch_id"))

    op.drop_table("relay_actions")
    with op.batch_alter_table("relay_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_batches_status"))
        batch_op.drop_index(batch_op.f("ix_relay_batches_sponsor"))

    op.drop_table("relay_batches")
    op.drop_table("sponsor_accounts")
