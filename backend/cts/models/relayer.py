"""The relayer's outbox: residents' actions, the sponsor accounts that pay for them, and the batches sent.

An action is what a person asked for (submit a case, cast a ballot...), as one call to one CTS contract.
The worker puts queued actions into a batch: one `executeBatch` transaction of the forwarder, from one
sponsor account at one nonce. Every attempt to send a batch (the first, and each fee bump, which reuses the
nonce) is written here, raw transaction included, before it is sent: after a crash the worker sends the
same bytes again, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cts.core.db import Base, UTCDateTime, utcnow


class ActionStatus(enum.StrEnum):
    QUEUED = "queued"  # accepted, waiting for a batch
    SUBMITTED = "submitted"  # in a batch that was (or is about to be) sent
    CONFIRMED = "confirmed"  # executed on chain
    FAILED = "failed"  # the contract refused it at execution, or it can no longer run
    EXPIRED = "expired"  # a self-signed request whose deadline passed before it could be sent


class BatchStatus(enum.StrEnum):
    PREPARED = "prepared"  # signed and written down; maybe not sent yet
    SENT = "sent"  # sent; waiting for a receipt
    CONFIRMED = "confirmed"  # mined (its actions' outcomes recorded)
    REVERTED = "reverted"  # mined but the batch itself reverted
    ABANDONED = "abandoned"  # its nonce was used by nothing of ours; actions returned to the queue


def _enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def _public_id() -> str:
    return uuid.uuid4().hex


class SponsorAccount(Base):
    """An account that pays gas. Its key comes from the settings and is never stored here.

    One worker at a time writes for an account (the lease), and takes its nonces from `next_nonce`
    under a database lock.
    """

    __tablename__ = "sponsor_accounts"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    balance_wei: Mapped[int | None] = mapped_column(Numeric(40, 0))
    balance_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Batch(Base):
    """One forwarder `executeBatch` call at one sponsor nonce (several attempts may carry it)."""

    __tablename__ = "relay_batches"
    __table_args__ = (UniqueConstraint("sponsor", "nonce", name="uq_relay_batches_sponsor_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor: Mapped[str] = mapped_column(ForeignKey("sponsor_accounts.address"), index=True)
    nonce: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus, "batch_status"), index=True)
    gas_limit: Mapped[int] = mapped_column(BigInteger)
    # The executeBatch call data: every attempt (a fee bump) sends exactly these requests again.
    call_data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    mined_block: Mapped[int | None] = mapped_column(BigInteger)
    mined_tx_hash: Mapped[str | None] = mapped_column(String(66))
    gas_used: Mapped[int | None] = mapped_column(BigInteger)

    attempts: Mapped[list[BatchAttempt]] = relationship(
        back_populates="batch", order_by="BatchAttempt.attempt"
    )
    actions: Mapped[list[RelayAction]] = relationship(back_populates="batch")


class BatchAttempt(Base):
    """One signed transaction for a batch: the first, or a replacement with higher fees (same nonce)."""

    __tablename__ = "relay_batch_attempts"
    __table_args__ = (UniqueConstraint("batch_id", "attempt", name="uq_relay_batch_attempts_attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("relay_batches.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column()
    tx_hash: Mapped[str] = mapped_column(String(66), unique=True)
    raw_tx: Mapped[str] = mapped_column(Text)
    max_fee_per_gas: Mapped[int] = mapped_column(Numeric(40, 0))
    max_priority_fee_per_gas: Mapped[int] = mapped_column(Numeric(40, 0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    batch: Mapped[Batch] = relationship(back_populates="attempts")


class RelayAction(Base):
    """A person's request for one contract call, sponsored by the relayer.

    Custodial actions store only the call: the worker signs the ForwardRequest with the user's key when
    it builds the batch, with a fresh nonce and a short deadline, so an action that waited (say, while
    the chain was unreachable) still runs. Self-signed actions carry the user's own signature, nonce and
    deadline, verified when accepted.
    """

    __tablename__ = "relay_actions"
    __table_args__ = (
        Index("ix_relay_actions_status_id", "status", "id"),
        Index("ix_relay_actions_signer_created", "signer", "created_at"),
        # Covered the hromada's daily budget sums before the gas ledger (GasMinute, migration 0012); the
        # hromada-wide reads of actions (counts per status, a hromada's actions) still use it.
        Index(
            "ix_relay_actions_hromada_budget",
            "hromada",
            "created_at",
            "status",
            "budget_exempt",
            "user_id",
            "gas",
        ),
        # Covers the person's daily budget sum (cts.budgets): their own rows only, whatever the hromada's day.
        Index(
            "ix_relay_actions_person_budget",
            "user_id",
            "hromada",
            "created_at",
            "status",
            "budget_exempt",
            "gas",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=_public_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    hromada: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(42))
    target: Mapped[str] = mapped_column(String(42))
    calldata: Mapped[str] = mapped_column(Text)
    gas: Mapped[int] = mapped_column(BigInteger)
    custodial: Mapped[bool] = mapped_column()
    request_nonce: Mapped[int | None] = mapped_column(Numeric(78, 0))
    request_deadline: Mapped[int | None] = mapped_column(BigInteger)
    signature: Mapped[str | None] = mapped_column(String(132))
    status: Mapped[ActionStatus] = mapped_column(
        _enum(ActionStatus, "action_status"), default=ActionStatus.QUEUED
    )
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("relay_batches.id", ondelete="SET NULL"), index=True
    )
    tries: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(String(500))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    # Queued by the operator's own tools (the demo's seeding), not by the person: it counts against the
    # hromada's budget (the sponsor paid for it) but not against the person's or their role's.
    budget_exempt: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The gas ledger's key it was counted under (cts.gas_ledger.counted_as: the role at acceptance, or
    # "exempt"), so that an expiry takes its gas off the right minute even if the person's role changed.
    # None for actions older than the ledger.
    budget_counted_as: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    batch: Mapped[Batch | None] = relationship(back_populates="actions")

    def __repr__(self) -> str:
        return f"RelayAction(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"


class GasMinute(Base):
    """The sponsored gas of one hromada's actions accepted in one minute, per key they were counted under:
    what the daily budget sums read (cts.gas_ledger), at most 1,440 minutes a day per key whatever the
    day's number of actions."""

    __tablename__ = "relay_gas_minutes"
    # Covers the window's sums of a hromada (every key, or one): its last day of minutes, nothing else.
    __table_args__ = (Index("ix_relay_gas_minutes_window", "hromada", "minute", "counted_as", "gas"),)

    hromada: Mapped[str] = mapped_column(String(64), primary_key=True)  # the slug, as RelayAction.hromada
    counted_as: Mapped[str] = mapped_column(String(16), primary_key=True)  # a role's value, or "exempt"
    minute: Mapped[int] = mapped_column(primary_key=True)  # the actions' created_at (UTC) epoch seconds // 60
    gas: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"GasMinute(hromada={self.hromada!r}, counted_as={self.counted_as!r}, minute={self.minute!r})"


class ActionClaim(Base):
    """Something an action uses up when it runs (an evidence hash, a receipt, a verifier's decision on a
    case): while the action is live, another action claiming the same is refused (cts.relayer.claims)."""

    __tablename__ = "relay_action_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("relay_actions.id", ondelete="CASCADE"), index=True)
    # "<hromada>/<contract>.<kind>:<value>[:<signer>]"; a hash and an address fit in 200 characters.
    claim: Mapped[str] = mapped_column(String(200), index=True)

    def __repr__(self) -> str:
        return f"ActionClaim(action_id={self.action_id!r}, claim={self.claim!r})"


class RejectionNote(Base):
    """A verifier's own words for rejecting a case ("another reason"). The chain keeps the rejection and
    its reason code (the contract takes no text, nor its hash); the words are kept here, with the action
    that carried the rejection, and shown only once that action is confirmed on chain."""

    __tablename__ = "rejection_notes"
    __table_args__ = (Index("ix_rejection_notes_hromada_case", "hromada", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("relay_actions.id", ondelete="CASCADE"), unique=True)
    hromada: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(BigInteger)
    verifier: Mapped[str] = mapped_column(String(42))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    action: Mapped[RelayAction] = relationship()
