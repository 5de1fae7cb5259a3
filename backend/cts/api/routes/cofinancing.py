"""Co-financing, sponsored by the relayer (docs/cofinancing.md): the council registers partners, (de)activates
them, accepts stablecoins, records pledges fulfilled and releases a stablecoin escrow to a project's payee;
a partner with a custodial account pledges and withdraws a pledge; anyone records the lapse of a conditional
pledge whose project the vote did not choose.

Each endpoint simulates and queues one CoFinancing call and answers 202 with the action to follow, as the
other actions do; the contract's own refusals (a money pledge frozen, a project the vote chose, a receipt
used before) come back as clear errors with nothing queued. A partner with their own wallet calls CoFinancing
directly (or through signed requests) and pays their own gas."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cts.api.deps import CouncilUser, MemberUser, PartnerUser, RelayerDep, SessionDep
from cts.api.idempotency import IdempotencyDep
from cts.api.routes.actions import ACTION_ERRORS, QUEUED, _b32, _queue
from cts.relayer.cofinancing_schemas import (
    EscrowRelease,
    PartnerActivity,
    PartnerRegistration,
    PledgeCreate,
    PledgeFulfilment,
    TokenAcceptance,
)
from cts.relayer.schemas import ActionPublic, IdParam

router = APIRouter(prefix="/h/{slug}", tags=["co-financing"])


@router.post("/partners", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def register_partner(
    body: PartnerRegistration,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Register a partner of the hromada (a business, the local budget, an NGO, a donor, the diaspora)."""
    function = relayer.chain.hromada.co_financing.functions.registerPartner(
        body.account, body.sector, _b32(body.profile_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/partners/{partner_id}/activity",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def set_partner_active(
    partner_id: IdParam,
    body: PartnerActivity,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Let a partner pledge again, or stop them (their open pledges stand)."""
    function = relayer.chain.hromada.co_financing.functions.setPartnerActive(partner_id, body.active)
    return _queue(relayer, session, user, idempotency, function)


@router.post("/stablecoins", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def accept_token(
    body: TokenAcceptance,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Accept pledges in a stablecoin, or stop accepting new ones."""
    function = relayer.chain.hromada.co_financing.functions.acceptToken(body.token, body.accepted)
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/pledges/{pledge_id}/fulfilment",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def fulfil_pledge(
    pledge_id: IdParam,
    body: PledgeFulfilment,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a pledge fulfilled: the money arrived, the resource was delivered."""
    function = relayer.chain.hromada.co_financing.functions.fulfilPledge(pledge_id, _b32(body.receipt_hash))
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/pledges/{pledge_id}/release", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def release_token(
    pledge_id: IdParam,
    body: EscrowRelease,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Pay a stablecoin pledge's escrow to the project's payee, once the vote chose the project."""
    function = relayer.chain.hromada.co_financing.functions.releaseToken(
        pledge_id, body.to, _b32(body.receipt_hash)
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/pledges/{pledge_id}/lapse", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS
)
def lapse_pledge(
    pledge_id: IdParam,
    user: MemberUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record the lapse of a conditional pledge whose project the vote did not choose (anyone here may)."""
    function = relayer.chain.hromada.co_financing.functions.lapsePledge(pledge_id)
    return _queue(relayer, session, user, idempotency, function)


@router.post("/pledges", status_code=QUEUED, response_model=ActionPublic, responses=ACTION_ERRORS)
def pledge(
    body: PledgeCreate,
    user: PartnerUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Pledge money or resources in kind to a project (a registered, active partner)."""
    function = relayer.chain.hromada.co_financing.functions.pledge(
        body.round_id,
        body.project_id,
        body.kind,
        body.value_kopiyky,
        body.conditional,
        _b32(body.agreement_hash),
    )
    return _queue(relayer, session, user, idempotency, function)


@router.post(
    "/pledges/{pledge_id}/cancellation",
    status_code=QUEUED,
    response_model=ActionPublic,
    responses=ACTION_ERRORS,
)
def cancel_pledge(
    pledge_id: IdParam,
    user: PartnerUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Withdraw one's own open pledge (money only until voting opens)."""
    function = relayer.chain.hromada.co_financing.functions.cancelPledge(pledge_id)
    return _queue(relayer, session, user, idempotency, function)
