"""The hromadas the service carries: a public list with what each one's sponsored actions cost, and the
operator's work (onboarding a hromada with its council's first account, budgets, the service's health)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import func, select

from cts.api.deps import CurrentHromada, OperatorUser, PasswordHasherDep, SessionDep, SettingsDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.chain.manifest import ManifestError, parse_manifest
from cts.crud import create_user, get_user_by_login
from cts.errors import InvalidInputError
from cts.hromadas import add_hromada, gas_spent_today, grant_role
from cts.models import ActionStatus, Hromada, RelayAction, Role
from cts.schemas import HromadaSlug, UserRegister

router = APIRouter(tags=["hromadas"])


class HromadaPublic(BaseModel):
    """A hromada as anyone may see it: its name, chain and contracts, and what the service pays for it."""

    slug: str
    name: str
    chain_id: int
    ready: bool
    contracts: dict[str, str]
    daily_gas_budget: int
    gas_spent_last_24h: int
    confirmed_actions: int

    @classmethod
    def of(cls, hromada: Hromada, spent: int, confirmed: int) -> HromadaPublic:
        return cls(
            slug=hromada.slug,
            name=hromada.name,
            chain_id=hromada.chain_id,
            ready=hromada.is_ready,
            contracts=dict(hromada.contracts or {}),
            daily_gas_budget=hromada.daily_gas_budget,
            gas_spent_last_24h=spent,
            confirmed_actions=confirmed,
        )


def _confirmed_counts(session: SessionDep) -> dict[str, int]:
    rows = session.execute(
        select(RelayAction.hromada, func.count())
        .where(RelayAction.status == ActionStatus.CONFIRMED)
        .group_by(RelayAction.hromada)
    ).all()
    return {slug: int(count) for slug, count in rows}


@router.get("/hromadas", response_model=list[HromadaPublic])
def list_hromadas(session: SessionDep) -> list[HromadaPublic]:
    """Every hromada the service carries, with its sponsored gas of the last 24 hours."""
    confirmed = _confirmed_counts(session)
    hromadas = session.scalars(select(Hromada).order_by(Hromada.name)).all()
    return [HromadaPublic.of(h, gas_spent_today(session, h), confirmed.get(h.slug, 0)) for h in hromadas]


@router.get("/h/{slug}", response_model=HromadaPublic, responses=error_responses(404, 422))
def get_hromada_public(hromada: CurrentHromada, session: SessionDep) -> HromadaPublic:
    """One hromada's public record."""
    return HromadaPublic.of(
        hromada, gas_spent_today(session, hromada), _confirmed_counts(session).get(hromada.slug, 0)
    )


# ---------------------------------------------------------------- the operator


class HromadaOnboarding(BaseModel):
    """A hromada the factory deployed (the deployment manifest, and its key there), and its council's
    first account: an existing account (by ``council_login``) or a new one (``council``)."""

    model_config = ConfigDict(extra="forbid")

    manifest: dict[str, Any] = Field(description="The deployment manifest (deployments/<chain id>.json)")
    key: HromadaSlug
    daily_gas_budget: StrictInt | None = Field(default=None, ge=0, le=2**63 - 1)
    council_login: str | None = Field(default=None, max_length=320)
    council: UserRegister | None = None


class BudgetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_gas_budget: StrictInt = Field(ge=0, le=2**63 - 1)


class ServiceHealth(BaseModel):
    class HromadaQueue(BaseModel):
        slug: str
        queued: int
        submitted: int
        gas_spent_last_24h: int
        daily_gas_budget: int

    hromadas: int
    queued: int
    submitted: int
    by_hromada: list[HromadaQueue]


@router.post(
    "/operator/hromadas",
    status_code=status.HTTP_201_CREATED,
    response_model=HromadaPublic,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def onboard_hromada(
    operator: OperatorUser,
    body: HromadaOnboarding,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Onboard a hromada the factory deployed, with its council's first account. No restart needed."""
    try:
        manifest = parse_manifest(body.manifest)
        hromada = add_hromada(session, manifest, body.key, daily_gas_budget=body.daily_gas_budget)
    except ManifestError as error:
        raise InvalidInputError(f"The manifest cannot be used: {error}") from None
    if body.council is not None:
        create_user(
            session,
            body.council,
            role=Role.COUNCIL,
            hromada=hromada,
            password_hasher=password_hasher,
            master_key=settings.master_key,
        )
    elif body.council_login is not None:
        council = get_user_by_login(session, body.council_login.strip().lower())
        if council is None:
            raise InvalidInputError("There is no account with the council's login.")
        grant_role(session, council, hromada, Role.COUNCIL)
    else:
        raise InvalidInputError("Give the council's first account: council (a new one) or council_login.")
    return idempotency.respond(HromadaPublic.of(hromada, 0, 0), status.HTTP_201_CREATED)


@router.put(
    "/operator/hromadas/{slug}/budget",
    response_model=HromadaPublic,
    responses=error_responses(401, 403, 404, 422),
)
def set_budget(
    operator: OperatorUser, hromada: CurrentHromada, body: BudgetUpdate, session: SessionDep
) -> HromadaPublic:
    """Set a hromada's daily budget of sponsored gas."""
    hromada.daily_gas_budget = body.daily_gas_budget
    session.commit()
    return HromadaPublic.of(
        hromada, gas_spent_today(session, hromada), _confirmed_counts(session).get(hromada.slug, 0)
    )


@router.get("/operator/health", response_model=ServiceHealth, responses=error_responses(401, 403))
def service_health(operator: OperatorUser, session: SessionDep) -> ServiceHealth:
    """The queue per hromada and the gas each spent: the operator's view (no person's data)."""
    rows = session.execute(
        select(RelayAction.hromada, RelayAction.status, func.count())
        .where(RelayAction.status.in_((ActionStatus.QUEUED, ActionStatus.SUBMITTED)))
        .group_by(RelayAction.hromada, RelayAction.status)
    ).all()
    counts: dict[tuple[str, ActionStatus], int] = {(slug, st): int(n) for slug, st, n in rows}
    queues = [
        ServiceHealth.HromadaQueue(
            slug=h.slug,
            queued=counts.get((h.slug, ActionStatus.QUEUED), 0),
            submitted=counts.get((h.slug, ActionStatus.SUBMITTED), 0),
            gas_spent_last_24h=gas_spent_today(session, h),
            daily_gas_budget=h.daily_gas_budget,
        )
        for h in session.scalars(select(Hromada).order_by(Hromada.slug)).all()
    ]
    return ServiceHealth(
        hromadas=len(queues),
        queued=sum(q.queued for q in queues),
        submitted=sum(q.submitted for q in queues),
        by_hromada=queues,
    )
