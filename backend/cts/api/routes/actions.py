"""Actions on chain, sponsored by the relayer: each endpoint checks, simulates and queues one contract call,
and answers 202 with the action to follow (GET /api/actions/{id}). Nothing is queued on an error."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import func, select

from cts.api.deps import (
    CoordinatorUser,
    CouncilUser,
    CurrentUser,
    DirectoryDep,
    MemberUser,
    RelayerDep,
    ResidentUser,
    SessionDep,
    SettingsDep,
    VerifierUser,
)
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.chain.forwarder import ForwardRequest
from cts.errors import NotFoundError
from cts.models import ActionStatus, Hromada, RelayAction, Role, SponsorAccount, User
from cts.relayer.schemas import (
    ActionPublic,
    BallotCast,
    CaseBatch,
    CaseRecord,
    CaseRejection,
    CaseSubmit,
    CoordinatorAppointment,
    Deposit,
    IdParam,
    LoanApplication,
    ProgrammeCreate,
    ProjectPitch,
    ProjectScreening,
    Receipt,
    RelayerStatus,
    Repayment,
    ResidentRegistration,
    ResidentSuspension,
    RoundCreate,
    SignedForwardRequest,
    UserIdParam,
)
from cts.relayer.service import Call, RelayerService, identity_hash

# Every action acts on one hromada, named by the URL: /api/h/<slug>/... (the slug is resolved by the role
# dependencies and the relayer, so no route body reaches another hromada's data or contracts).
router = APIRouter(prefix="/h/{slug}", tags=["actions"])
# Following one's own actions (in any hromada) and the relayer's status are not scoped.
status_router = APIRouter(tags=["actions"])
QUEUED = status.HTTP_202_ACCEPTED
ACTION_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429, 503)


def _queue(
    relayer: RelayerService, session: SessionDep, user: User, idempotency: IdempotencyDep, function: Any
) -> Response:
    action = relayer.queue(session, user, Call.of(function))
    return idempotency.respond(ActionPublic.from_action(action), QUEUED)


def member_of(session: SessionDep, hromada: Hromada, user_id: int, *roles: Role) -> User:
    """A person of this hromada (with one of ``roles`` if given); 404 for anyone else, so that no route
    reaches, or tells the existence of, a person of another hromada."""
    user = session.get(User, user_id)
    role = user.role_in(hromada.id) if user is not None else None
    if user is None or role is None or (roles and role not in roles):
        raise NotFoundError("There is no such person in this hromada.")
    return user


def _b32(value: str) -> bytes:
    return bytes.fromhex(value[2:])


# ---------------------------------------------------------------- residents


@router.post("/cases", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def submit_case(
    body: CaseSubmit,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Submit a useful case with the hash of its evidence. The relayer signs and pays."""
    cases = relayer.chain.hromada.cases
    return _queue(
        relayer,
        session,
        user,
        idempotency,
        cases.functions.submitCase(body.programme_id, _b32(body.evidence_hash)),
    )


@router.post(
    "/rounds/{round_id}/ballot", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def cast_ballot(
    round_id: IdParam,
    body: BallotCast,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Spread RV over projects; replaces any earlier ballot in the round (only the difference moves)."""
    allocations = sorted(body.allocations, key=lambda a: a.project_id)
    function = relayer.chain.hromada.vote.functions.castBallot(
        round_id, [a.project_id for a in allocations], [a.credits for a in allocations]
    )
    return _queue(relayer, session, user, idempotency, function)


@router.delete(
    "/rounds/{round_id}/ballot", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def withdraw_ballot(
    round_id: IdParam,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Withdraw one's ballot; all its RV returns."""
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.vote.functions.withdrawBallot(round_id)
    )


@router.post(
    "/rounds/{round_id}/projects", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def pitch_project(
    round_id: IdParam,
    body: ProjectPitch,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Pitch a project (with a loan application of the same amount, for an entrepreneur)."""
    function = relayer.chain.hromada.vote.functions.pitchProject(
        round_id, body.ask_kopiyky, _b32(body.metadata_hash), body.loan_id
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post("/loans", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def apply_for_loan(
    body: LoanApplication,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Apply for an interest-free loan with an instalment schedule."""
    function = relayer.chain.hromada.fund.functions.applyForLoan(
        [i.amount_kopiyky for i in body.instalments],
        [i.due_after_seconds for i in body.instalments],
        _b32(body.metadata_hash),
    )
    return _queue(relayer, session, user, idempotency, function)


# ---------------------------------------------------------------- verifiers and coordinators


@router.post(
    "/cases/{case_id}/approval", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def approve_case(
    case_id: IdParam,
    user: VerifierUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Approve a case; on quorum the reward is minted."""
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.cases.functions.approveCase(case_id)
    )


@router.post("/cases/approvals", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def approve_cases(
    body: CaseBatch, user: VerifierUser, session: SessionDep, relayer: RelayerDep, idempotency: IdempotencyDep
) -> Response:
    """Approve several cases at once (all or nothing)."""
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.cases.functions.approveCases(body.case_ids)
    )


@router.post(
    "/cases/{case_id}/rejection", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def reject_case(
    case_id: IdParam,
    body: CaseRejection,
    user: VerifierUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Reject a case with a reason code."""
    function = relayer.chain.hromada.cases.functions.rejectCase(case_id, body.reason_code)
    return _queue(relayer, session, user, idempotency, function)


@router.post("/cases/recorded", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def record_case(
    body: CaseRecord,
    user: CoordinatorUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a case for a resident who is offline."""
    resident = member_of(session, relayer.hromada, body.resident_user_id, Role.RESIDENT)
    function = relayer.chain.hromada.cases.functions.recordCase(
        body.programme_id, resident.wallet.address, _b32(body.evidence_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


# ---------------------------------------------------------------- council


@router.post("/residents", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def register_resident(
    body: ResidentRegistration,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Register a user's wallet in the resident registry after the off-chain identity check.

    Only a keyed hash of the check's reference goes on chain, never personal data."""
    if body.address is not None:
        address = body.address
    else:
        assert body.user_id is not None  # the schema requires one of the two
        resident = member_of(session, relayer.hromada, body.user_id)
        address = resident.wallet.address
    digest = identity_hash(relayer.settings, body.identity_check)
    function = relayer.chain.hromada.registry.functions.addResident(address, digest)
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/residents/{user_id}/suspension",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def suspend_resident(
    user_id: UserIdParam,
    body: ResidentSuspension,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Suspend a resident (no earning, no voting) with a reason code."""
    resident = member_of(session, relayer.hromada, user_id, Role.RESIDENT)
    function = relayer.chain.hromada.registry.functions.suspendResident(
        resident.wallet.address, body.reason_code
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post("/coordinators", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def appoint_coordinator(
    body: CoordinatorAppointment,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Give a coordinator user the on-chain role to record cases for residents who are offline."""
    coordinator = member_of(session, relayer.hromada, body.user_id, Role.COORDINATOR)
    cases = relayer.chain.hromada.cases
    role = cases.functions.COORDINATOR_ROLE().call()
    return _queue(
        relayer, session, user, idempotency, cases.functions.grantRole(role, coordinator.wallet.address)
    )


@router.post("/programmes", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def create_programme(
    body: ProgrammeCreate,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a useful-case programme; its RV cap times the face value is reserved in the fund."""
    params = (
        body.title,
        _b32(body.metadata_hash),
        body.reward_rv,
        body.case_value_kopiyky,
        body.token_cap_rv,
        body.per_resident_cap_rv,
        body.starts_at,
        body.ends_at,
        body.quorum,
        body.verifiers,
    )
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.cases.functions.createProgramme(params)
    )


@router.post(
    "/programmes/{programme_id}/{change}",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def change_programme(
    programme_id: IdParam,
    change: str,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Pause, resume or close a programme (`change` is pause, resume or close)."""
    functions = relayer.chain.hromada.cases.functions
    by_name = {
        "pause": functions.pauseProgramme,
        "resume": functions.resumeProgramme,
        "close": functions.closeProgramme,
    }
    if change not in by_name:
        raise NotFoundError("Programmes can be paused, resumed or closed.")
    return _queue(relayer, session, user, idempotency, by_name[change](programme_id))


@router.post("/rounds", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def create_round(
    body: RoundCreate,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Open a balanced-vote round with its fund and windows; its fund is reserved in the community fund."""
    params = (
        body.fund_kopiyky,
        body.pitch_starts_at,
        body.pitch_ends_at,
        body.screen_ends_at,
        body.vote_ends_at,
        body.max_projects,
        _b32(body.metadata_hash),
        (
            body.rule,
            body.min_projects_per_ballot,
            body.max_projects_per_ballot,
            body.max_credits_per_project,
            body.co_financed,
        ),
    )
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.vote.functions.createRound(params)
    )


@router.post(
    "/rounds/{round_id}/projects/{project_id}/screening",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def screen_project(
    round_id: IdParam,
    project_id: IdParam,
    body: ProjectScreening,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Mark a pitched project eligible, or ineligible with a reason code."""
    function = relayer.chain.hromada.vote.functions.screenProject(
        round_id, project_id, body.eligible, body.reason_code
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/rounds/{round_id}/finalisation",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def finalise_round(
    round_id: IdParam,
    user: MemberUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Finalise a round after its vote closed (anyone of the hromada may)."""
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.vote.functions.finalise(round_id)
    )


@router.post("/fund/deposits", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def record_deposit(
    body: Deposit, user: CouncilUser, session: SessionDep, relayer: RelayerDep, idempotency: IdempotencyDep
) -> Response:
    """Record capital received, with the hash of its receipt."""
    function = relayer.chain.hromada.fund.functions.deposit(
        body.amount_kopiyky, body.source, _b32(body.source_ref_hash), _b32(body.receipt_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/loans/{loan_id}/approval", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def approve_loan(
    loan_id: IdParam, user: CouncilUser, session: SessionDep, relayer: RelayerDep, idempotency: IdempotencyDep
) -> Response:
    """Approve a loan application from available capital."""
    return _queue(
        relayer, session, user, idempotency, relayer.chain.hromada.fund.functions.approveLoan(loan_id)
    )


@router.post(
    "/loans/{loan_id}/disbursement", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def disburse_loan(
    loan_id: IdParam,
    body: Receipt,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record that an approved loan was paid out."""
    function = relayer.chain.hromada.fund.functions.disburseLoan(loan_id, _b32(body.receipt_hash))
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/loans/{loan_id}/repayments", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def record_repayment(
    loan_id: IdParam,
    body: Repayment,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a repayment (never more than is owed)."""
    function = relayer.chain.hromada.fund.functions.recordRepayment(
        loan_id, body.amount_kopiyky, _b32(body.receipt_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


# ---------------------------------------------------------------- self-signed requests


@router.post("/relay", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def relay_signed_request(
    body: SignedForwardRequest,
    user: MemberUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Queue a ForwardRequest signed by the sender's own wallet (EIP-712, the chain's CTSForwarder domain).

    The signature, deadline, nonce, target and function are verified, and the call simulated, first."""
    request = ForwardRequest(
        sender=body.sender,
        to=body.to,
        data=bytes.fromhex(body.data[2:]),
        gas=body.gas,
        nonce=body.nonce,
        deadline=body.deadline,
    )
    action = relayer.queue_signed(session, user, request, bytes.fromhex(body.signature[2:]))
    return idempotency.respond(ActionPublic.from_action(action), QUEUED)


# ---------------------------------------------------------------- following actions


@status_router.get("/actions/{action_id}", response_model=ActionPublic, responses=error_responses(401, 404))
def get_action(action_id: str, user: CurrentUser, session: SessionDep) -> ActionPublic:
    """One of the signed-in user's actions and its status."""
    action = session.scalar(select(RelayAction).where(RelayAction.public_id == action_id))
    if action is None or action.user_id != user.id:
        raise NotFoundError("There is no such action.")
    return ActionPublic.from_action(action)


@status_router.get("/actions", response_model=list[ActionPublic], responses=error_responses(401))
def list_actions(user: CurrentUser, session: SessionDep) -> list[ActionPublic]:
    """The signed-in user's latest 50 actions, newest first."""
    actions = session.scalars(
        select(RelayAction).where(RelayAction.user_id == user.id).order_by(RelayAction.id.desc()).limit(50)
    ).all()
    return [ActionPublic.from_action(a) for a in actions]


@status_router.get("/relayer/status", response_model=RelayerStatus)
def relayer_status(session: SessionDep, directory: DirectoryDep, settings: SettingsDep) -> RelayerStatus:
    """Whether the chain answers, the queue, and each sponsor account's balance (with low-balance alerts)."""
    try:
        block: int | None = int(directory.w3.eth.block_number)
    except Exception:  # any failure to answer is "unreachable" here: this route reports, never raises
        block = None
    reachable = block is not None
    counts = dict(
        session.execute(
            select(RelayAction.status, func.count())
            .where(RelayAction.status.in_((ActionStatus.QUEUED, ActionStatus.SUBMITTED)))
            .group_by(RelayAction.status)
        ).all()
    )
    sponsors = []
    alerts = [] if reachable else ["The blockchain node does not answer: actions wait in the queue."]
    threshold = settings.relayer_low_balance_wei
    for account in session.scalars(select(SponsorAccount)).all():
        balance = int(account.balance_wei) if account.balance_wei is not None else None
        low = balance is not None and balance < threshold
        if low:
            alerts.append(f"Sponsor {account.address} is low on funds: {balance} wei.")
        sponsors.append(RelayerStatus.Sponsor(address=account.address, balance_wei=balance, low_balance=low))
    return RelayerStatus(
        chain_reachable=reachable,
        block_number=block,
        queued=int(counts.get(ActionStatus.QUEUED, 0)),
        submitted=int(counts.get(ActionStatus.SUBMITTED, 0)),
        sponsors=sponsors,
        alerts=alerts,
    )
