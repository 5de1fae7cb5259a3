"""Delivery of funded projects, sponsored by the relayer (docs/delivery.md): the council plans, decides on
reports, answers flags and pays tranches; the project's owner reports milestones; residents flag reports.

Each endpoint simulates and queues one ProjectDelivery call and answers 202 with the action to follow, as
the other actions do; the contract's own refusals (not the owner, out of order, an unanswered flag, paying
before acceptance) come back as clear errors with nothing queued."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cts.api.deps import CouncilUser, RelayerDep, ResidentUser, SessionDep
from cts.api.idempotency import IdempotencyDep
from cts.api.routes.actions import ACTION_ERRORS, QUEUED, _b32, _queue
from cts.relayer.delivery_schemas import (
    DeliveryPlan,
    FlagAnswer,
    MilestoneParam,
    MilestoneReport,
    ReportFlag,
    ReportRejection,
)
from cts.relayer.schemas import ActionPublic, IdParam, Receipt

router = APIRouter(prefix="/h/{slug}", tags=["delivery"])
MILESTONE = "/rounds/{round_id}/projects/{project_id}/milestones/{index}"


@router.post(
    "/rounds/{round_id}/projects/{project_id}/plan",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def set_plan(
    round_id: IdParam,
    project_id: IdParam,
    body: DeliveryPlan,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Give a funded grant project its delivery plan: milestones, due dates, shares of the funded amount."""
    function = relayer.chain.hromada.delivery.functions.setPlan(
        round_id,
        project_id,
        [m.due_at for m in body.milestones],
        [m.share_kopiyky for m in body.milestones],
        _b32(body.plan_hash),
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(f"{MILESTONE}/report", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def report_milestone(
    round_id: IdParam,
    project_id: IdParam,
    index: MilestoneParam,
    body: MilestoneReport,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """The project's owner reports a milestone: the report document's hash and its receipts' hashes."""
    function = relayer.chain.hromada.delivery.functions.reportMilestone(
        round_id, project_id, index, _b32(body.report_hash), [_b32(r) for r in body.receipt_hashes]
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    f"{MILESTONE}/acceptance", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def accept_report(
    round_id: IdParam,
    project_id: IdParam,
    index: MilestoneParam,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Accept a milestone's report (its tranche may then be paid once every flag is answered)."""
    function = relayer.chain.hromada.delivery.functions.acceptReport(round_id, project_id, index)
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    f"{MILESTONE}/rejection", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def reject_report(
    round_id: IdParam,
    project_id: IdParam,
    index: MilestoneParam,
    body: ReportRejection,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Reject a milestone's report with a reason; the owner may report it again."""
    function = relayer.chain.hromada.delivery.functions.rejectReport(
        round_id, project_id, index, body.reason_code
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(f"{MILESTONE}/tranche", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def pay_tranche(
    round_id: IdParam,
    project_id: IdParam,
    index: MilestoneParam,
    body: Receipt,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record the payment of an accepted milestone's tranche, with the bank receipt's hash."""
    function = relayer.chain.hromada.delivery.functions.payTranche(
        round_id, project_id, index, _b32(body.receipt_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/delivery/reports/{report_id}/flags",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def flag_report(
    report_id: IdParam,
    body: ReportFlag,
    user: ResidentUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """A resident flags a report (once): a reason code and the hash of the reason's text."""
    function = relayer.chain.hromada.delivery.functions.flagReport(
        report_id, body.reason_code, _b32(body.reason_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/delivery/flags/{flag_id}/answer",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def answer_flag(
    flag_id: IdParam,
    body: FlagAnswer,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """The council answers a resident's flag (the hash of its public answer)."""
    function = relayer.chain.hromada.delivery.functions.answerFlag(flag_id, _b32(body.answer_hash))
    return _queue(relayer, session, user, idempotency, function)
