"""What an action uses up once it runs, so that a second action waiting for the same thing is refused at
acceptance instead of being sent to fail on chain at the sponsor's expense.

The simulation at acceptance runs against the mined state only: it cannot see that an identical case (the
same evidence hash), a second approval of the same case, or a second use of a receipt is already waiting
in the queue. Each such action *claims* what it uses up (``evidence:<hash>``); a claim held by a live
(queued or submitted) action refuses the next one. Claims end with the action: once it is confirmed the
chain itself refuses a repeat (and the simulation says so); once it failed or expired, the thing is free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select, text
from sqlalchemy.orm import Session

from cts.errors import ConflictError
from cts.models import ActionClaim, ActionStatus, RelayAction

LIVE_STATUSES = (ActionStatus.QUEUED, ActionStatus.SUBMITTED)

# (contract key, function) -> (claim kind, argument whose value(s) it claims, per signer?)
# Per signer: the same verifier cannot decide a case twice, but two verifiers each may.
CLAIMED_ARGUMENTS: dict[tuple[str, str], tuple[tuple[str, str, bool], ...]] = {
    ("registry", "addResident"): (("account", "account", False), ("identity", "identityHash", False)),
    ("registry", "addResidents"): (("account", "accounts", False), ("identity", "identityHashes", False)),
    ("registry", "addMovedResident"): (("account", "account", False), ("identity", "identityHash", False)),
    ("registry", "releaseResident"): (("release", "account", False),),
    ("usefulCases", "submitCase"): (("evidence", "evidenceHash", False),),
    ("usefulCases", "recordCase"): (("evidence", "evidenceHash", False),),
    ("usefulCases", "approveCase"): (("decision", "caseId", True),),
    ("usefulCases", "approveCases"): (("decision", "caseIds", True),),
    ("usefulCases", "rejectCase"): (("decision", "caseId", True),),
    ("usefulCases", "settleCase"): (("settlement", "caseId", False),),
    ("balancedVote", "withdrawBallot"): (("withdrawal", "roundId", True),),
    ("balancedVote", "finalise"): (("finalisation", "roundId", False),),
    ("fund", "deposit"): (("receipt", "receiptHash", False),),
    ("fund", "payGrant"): (("receipt", "receiptHash", False),),
    ("fund", "disburseLoan"): (("receipt", "receiptHash", False),),
    ("fund", "recordRepayment"): (("receipt", "receiptHash", False),),
    ("fund", "approveLoan"): (("loan_decision", "loanId", False),),
    ("fund", "rejectLoan"): (("loan_decision", "loanId", False),),
    ("fund", "approveLoanByRound"): (("loan_decision", "loanId", False),),
}


class ActionAlreadyQueuedError(ConflictError):
    """Raised when an action would use up something (evidence, a receipt, an address, a decision) that an
    action still waiting to be sent already uses: the second could only fail on chain."""

    code = "already_queued"
    detail = (
        "The same action, or one using the same evidence, receipt or address, is already waiting to be "
        "sent to the blockchain. It will be done once; there is no need to send it again."
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value).lower()


def claims_of(contract: str, function: str, arguments: Mapping[str, Any], signer: str) -> list[str]:
    """The claims of one call (sorted, without repeats); none for a call that uses nothing up."""
    found: set[str] = set()
    for kind, argument, per_signer in CLAIMED_ARGUMENTS.get((contract, function), ()):
        value = arguments[argument]
        values: Iterable[Any] = value if isinstance(value, (list, tuple)) else (value,)
        owner = f":{signer.lower()}" if per_signer else ""
        found.update(f"{contract}.{kind}:{_text(item)}{owner}" for item in values)
    return sorted(found)


def reserve_claims(session: Session, hromada: str, claims: list[str]) -> None:
    """Refuse (ActionAlreadyQueuedError) if a live action of the hromada holds any of ``claims``.

    Call it after the request's first write, so that SQLite's write lock serialises concurrent requests;
    on PostgreSQL a transaction-scoped advisory lock per claim does the same (taken in sorted order, so
    two requests never wait for each other in a cycle).
    """
    if not claims:
        return
    keys = [f"{hromada}/{claim}" for claim in claims]
    if session.get_bind().dialect.name == "postgresql":
        for key in keys:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    if session.scalar(_held_by_live_action(), {"keys": keys}) is not None:
        raise ActionAlreadyQueuedError()


@cache
def _held_by_live_action() -> Select[str]:
    """One of the claims ``keys`` that a live action holds. Built once, with the keys as a parameter: it
    runs for every action accepted, and building it cost more than running it."""
    return (
        select(ActionClaim.claim)
        .join(RelayAction, RelayAction.id == ActionClaim.action_id)
        .where(
            ActionClaim.claim.in_(bindparam("keys", expanding=True)), RelayAction.status.in_(LIVE_STATUSES)
        )
        .limit(1)
    )


def record_claims(session: Session, claimed: Iterable[tuple[RelayAction, list[str]]]) -> None:
    """Write the claims of newly queued (and flushed) actions: (action, its claims) each.

    One INSERT into the table, not ORM objects: this runs for every action accepted, and the objects'
    flush cost more than the rest of it."""
    rows = [
        {"action_id": action.id, "claim": f"{action.hromada}/{claim}"}
        for action, claims in claimed
        for claim in claims
    ]
    if rows:
        session.execute(insert(cast(Table, ActionClaim.__table__)), rows)
