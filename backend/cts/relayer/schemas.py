"""What the action endpoints accept and return. Amounts are integers (RV, kopiyky, seconds), with bounds
that the contracts' integer types impose, so that a negative or huge number is a 422, not a revert.

Numbers are strict: a JSON integer only, never "100", true or 1e3 (a client that sends those has a bug
that should surface before money moves). Addresses in mixed case must carry a valid EIP-55 checksum."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from eth_utils.address import is_address, is_checksum_address, to_checksum_address
from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator
from sqlalchemy.orm import object_session

from cts.models import ActionStatus, Language, RelayAction, User

UINT16_MAX = 2**16 - 1
UINT40_MAX = 2**40 - 1
UINT48_MAX = 2**48 - 1
UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX = re.compile(r"0x([0-9a-fA-F]{2})*")


def _address(value: str) -> str:
    if not isinstance(value, str) or not is_address(value) or not value.startswith("0x"):
        raise ValueError("must be an address: 0x and 40 hexadecimal digits")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        # Mixed case is an EIP-55 checksum: a wrong one means a mistyped address, never to be used.
        raise ValueError("has a wrong checksum (its capital letters do not match): check it for a typo")
    return to_checksum_address(value)


def _hash(value: str) -> str:
    if not _HASH.fullmatch(value):
        raise ValueError("must be a 32-byte hash: 0x and 64 hexadecimal digits")
    if int(value, 16) == 0:
        raise ValueError("must not be zero")
    return value.lower()


def _hex(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise ValueError("must be hexadecimal bytes starting with 0x")
    return value.lower()


Address = Annotated[str, AfterValidator(_address)]
Hash32 = Annotated[str, AfterValidator(_hash)]
HexBytesStr = Annotated[str, AfterValidator(_hex)]
INT64_MAX = 2**63 - 1  # the database's integer ids (SQLite and PostgreSQL BIGINT)
RV = Annotated[StrictInt, Field(ge=1, le=UINT64_MAX, description="RV tokens (whole tokens)")]
Kopiyky = Annotated[StrictInt, Field(ge=1, le=UINT128_MAX, description="UAH amount in kopiyky (1 UAH = 100)")]
Id = Annotated[StrictInt, Field(ge=1, le=UINT64_MAX, description="An id on chain (1, 2, ...)")]
UserId = Annotated[StrictInt, Field(ge=1, le=INT64_MAX, description="A user's id in the service")]
ReasonCode = Annotated[StrictInt, Field(ge=1, le=UINT16_MAX, description="Reason code (non-zero)")]
Timestamp = Annotated[StrictInt, Field(ge=0, le=UINT40_MAX, description="Unix time, seconds")]
# The same bounds for ids in a URL path: out of range is a 422 that says so, never a server error.
IdParam = Annotated[int, Path(ge=1, le=UINT64_MAX, description="An id on chain (1, 2, ...)")]
UserIdParam = Annotated[int, Path(ge=1, le=INT64_MAX, description="A user's id in the service")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionPublic(BaseModel):
    """An action the relayer accepted, and what became of it.

    `message` is what the pages say of it, in the language of the person who asked; `error_code` is the
    stable code of a refusal or a failure (a contract's refusal is its custom error in snake case, e.g.
    balanced_vote_unexpected_round_state; or out_of_gas, failed_unexplained, request_expired...), and
    `error_detail` the relayer's own words for it in English, with the decoded error and its arguments."""

    id: str
    kind: str
    status: ActionStatus
    message: str
    error_code: str | None
    error_detail: str | None = None
    tx_hash: str | None
    block_number: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_action(cls, action: RelayAction) -> ActionPublic:
        return cls(
            id=action.public_id,
            kind=action.kind,
            status=action.status,
            message=status_message(action, _language_of(action)),
            error_code=action.error_code,
            error_detail=action.error_detail,
            tx_hash=action.tx_hash,
            block_number=action.block_number,
            created_at=action.created_at,
            updated_at=action.updated_at,
        )


def _language_of(action: RelayAction) -> Language | None:
    """The preferred language of the person who asked for the action (None if it cannot be told)."""
    session = object_session(action)
    if session is None or action.user_id is None:
        return None
    user = session.get(User, action.user_id)
    return None if user is None else user.preferred_language


def status_message(action: RelayAction, lang: Language | None = None) -> str:
    """What a resident reads about their action: the pages' text in `lang`, or in English without it."""
    if lang is not None:
        from cts.web.i18n import get_translator  # the pages' catalogs; imported late (cts.web imports us)
        from cts.web.routes.common import action_text

        return action_text(get_translator(lang), action)
    if action.status == ActionStatus.QUEUED:
        if action.error_code:
            return f"Waiting to be sent again: {action.error_detail}"
        return "Accepted; waiting to be sent to the blockchain."
    if action.status == ActionStatus.SUBMITTED:
        return "Sent to the blockchain; waiting for confirmation."
    if action.status == ActionStatus.CONFIRMED:
        return f"Done: recorded on the blockchain in block {action.block_number}."
    return action.error_detail or "It could not be done."


# ---------------------------------------------------------------- residents


class CaseSubmit(_Input):
    programme_id: Id
    evidence_hash: Hash32 = Field(description="SHA-256 (or keccak-256) of the evidence file, 0x-prefixed")


class BallotCast(_Input):
    class Allocation(_Input):
        project_id: Id
        credits: RV

    allocations: list[Allocation] = Field(min_length=1, max_length=128)

    @model_validator(mode="after")
    def _distinct_projects(self) -> Self:
        ids = [a.project_id for a in self.allocations]
        if len(set(ids)) != len(ids):
            raise ValueError("each project may appear only once in a ballot")
        return self


class ProjectPitch(_Input):
    ask_kopiyky: Kopiyky
    metadata_hash: Hash32
    loan_id: StrictInt = Field(default=0, ge=0, le=UINT64_MAX)


class LoanApplication(_Input):
    class Instalment(_Input):
        amount_kopiyky: Kopiyky
        due_after_seconds: Annotated[StrictInt, Field(ge=1, le=UINT64_MAX)]

    instalments: list[Instalment] = Field(min_length=1, max_length=60)
    metadata_hash: Hash32


# ---------------------------------------------------------------- verifiers and coordinators


class CaseRecord(_Input):
    programme_id: Id
    resident_user_id: UserId
    evidence_hash: Hash32


class CaseRejection(_Input):
    reason_code: ReasonCode


class CaseBatch(_Input):
    case_ids: list[Id] = Field(min_length=1, max_length=200)


# ---------------------------------------------------------------- council


class ResidentRegistration(_Input):
    """Register a user's custodial wallet (`user_id`) or a resident's own wallet (`address`)."""

    user_id: UserId | None = None
    address: Address | None = None
    identity_check: str = Field(
        min_length=4,
        max_length=200,
        description="Reference of the off-chain identity check (kept off chain: only a keyed hash is stored)",
    )

    @model_validator(mode="after")
    def _one_account(self) -> Self:
        if (self.user_id is None) == (self.address is None):
            raise ValueError(
                "give either user_id (a custodial wallet) or address (the resident's own wallet)"
            )
        return self


class CoordinatorAppointment(_Input):
    user_id: UserId


class ResidentSuspension(_Input):
    reason_code: ReasonCode


class ProgrammeCreate(_Input):
    title: str = Field(min_length=1, max_length=200)
    metadata_hash: Hash32
    reward_rv: RV
    case_value_kopiyky: Annotated[StrictInt, Field(ge=0, le=UINT128_MAX)]
    token_cap_rv: RV
    per_resident_cap_rv: RV
    starts_at: Timestamp
    ends_at: Timestamp
    quorum: Annotated[StrictInt, Field(ge=1, le=32)]
    verifiers: list[Address] = Field(min_length=1, max_length=32)


class RoundCreate(_Input):
    fund_kopiyky: Kopiyky
    pitch_starts_at: Timestamp
    pitch_ends_at: Timestamp
    screen_ends_at: Timestamp
    vote_ends_at: Timestamp
    max_projects: Annotated[StrictInt, Field(ge=1, le=128)]
    metadata_hash: Hash32
    rule: Annotated[StrictInt, Field(ge=0, le=2, description="0 quadratic funding, 1 proportional, 2 greedy")]
    min_projects_per_ballot: Annotated[StrictInt, Field(ge=1, le=128)] = 1
    max_projects_per_ballot: Annotated[StrictInt, Field(ge=1, le=128)] = 10
    max_credits_per_project: Annotated[StrictInt, Field(ge=0, le=UINT64_MAX)] = 0
    co_financed: StrictBool = Field(
        False,
        description="the co-financing rule: the vote fills only each project's ask minus the money partners "
        "pledged to it (docs/cofinancing.md)",
    )


class ProjectScreening(_Input):
    eligible: StrictBool
    reason_code: Annotated[StrictInt, Field(ge=0, le=UINT16_MAX)] = 0


class Deposit(_Input):
    amount_kopiyky: Kopiyky
    source: Annotated[StrictInt, Field(ge=0, le=2, description="0 donor, 1 local budget, 2 other")]
    source_ref_hash: Hash32
    receipt_hash: Hash32


class Receipt(_Input):
    receipt_hash: Hash32


class Repayment(_Input):
    amount_kopiyky: Kopiyky
    receipt_hash: Hash32


# ---------------------------------------------------------------- self-signed requests


class SignedForwardRequest(_Input):
    """A ForwardRequest for the chain's CTSForwarder, EIP-712-signed by the sender's own wallet."""

    sender: Address = Field(alias="from")
    to: Address
    value: Annotated[StrictInt, Field(ge=0, le=0)] = 0
    gas: Annotated[StrictInt, Field(ge=21_000, le=10_000_000)]
    nonce: Annotated[StrictInt, Field(ge=0, le=2**256 - 1)]
    deadline: Annotated[StrictInt, Field(ge=1, le=UINT48_MAX)]
    data: HexBytesStr
    signature: HexBytesStr

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OwnWalletLink(_Input):
    """A wallet the person holds, and its EIP-191 signature of the statement from
    GET /api/users/me/own-wallet/statement."""

    address: Address
    signature: HexBytesStr


class OwnWalletStatement(BaseModel):
    message: str


class RelayerStatus(BaseModel):
    class Sponsor(BaseModel):
        address: str
        balance_wei: int | None
        low_balance: bool

    chain_reachable: bool
    block_number: int | None
    queued: int
    submitted: int
    sponsors: list[Sponsor]
    alerts: list[str]


class WalletFunction(BaseModel):
    """A function the person's role may have the relayer send: call ``address`` with calldata encoded
    from ``abi`` (one ABI fragment, as in the contract's ABI)."""

    contract: str
    address: str
    abi: dict[str, Any]


class WalletNonce(BaseModel):
    """The nonce to sign: the forwarder's nonce for the wallet plus its requests already accepted (they
    run in nonce order, so the next request takes ``next``)."""

    forwarder: int
    pending: int
    next: int


class WalletGas(BaseModel):
    """The gas to sign: at least the call's simulated gas plus ``margin_percent``, and at least ``minimum``.
    ``required`` is that figure for the call given as ``to`` and ``data`` (None without one)."""

    required: int | None
    margin_percent: int
    minimum: int


class WalletDeadline(BaseModel):
    """The deadline is a unix time on the chain's clock, which may differ from the wall clock (the demo
    chain runs ahead): sign a deadline after ``chain_time`` and at most ``latest``."""

    chain_time: int
    max_seconds_ahead: int
    latest: int
    suggested: int


class WalletRequestTemplate(BaseModel):
    """All a wallet needs to sign a request for POST /api/h/<slug>/relay (see docs/wallets.md).

    ``domain`` and ``types`` go to ethers' ``signTypedData(domain, types, message)``; ``typed_data`` is the
    whole eth_signTypedData_v4 payload (with EIP712Domain), ready when ``to`` and ``data`` were given."""

    relay_url: str
    forwarder: str
    chain_id: int
    signer: str
    primary_type: str
    domain: dict[str, Any]
    types: dict[str, list[dict[str, str]]]
    nonce: WalletNonce
    gas: WalletGas
    deadline: WalletDeadline
    message: dict[str, Any] | None
    typed_data: dict[str, Any] | None
    functions: list[WalletFunction]
