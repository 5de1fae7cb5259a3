"""A hromada's daily gas shared out among its roles (cts.budgets): what is left for me today, and the
council's view and choice of each role's share."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from cts.api.deps import CouncilUser, CurrentHromada, MemberUser, SessionDep, SettingsDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.budgets import Allowance, Standing, limits_of, set_limits, standing
from cts.errors import InvalidInputError
from cts.models import Role

router = APIRouter(prefix="/h/{slug}", tags=["budgets"])

# Roles that send actions; auditors only read.
ACTING_ROLES = (Role.RESIDENT, Role.COORDINATOR, Role.VERIFIER, Role.COUNCIL)


class AllowancePublic(BaseModel):
    """One daily limit in gas: its size, what the last 24 hours used, what is left."""

    limit_gas: int
    spent_gas: int
    remaining_gas: int

    @classmethod
    def of(cls, allowance: Allowance) -> AllowancePublic:
        return cls(limit_gas=allowance.limit, spent_gas=allowance.spent, remaining_gas=allowance.remaining)


class StandingPublic(BaseModel):
    """A person's budget in one hromada today: their own allowance, their role's share of the hromada's
    budget, the hromada's budget, and the gas they may still be sponsored (the least of the three)."""

    role: Role
    remaining_gas: int
    person: AllowancePublic
    role_share: AllowancePublic
    hromada: AllowancePublic
    actions_per_window: int
    window_seconds: int

    @classmethod
    def of(cls, current: Standing, window_seconds: int) -> StandingPublic:
        return cls(
            role=current.role,
            remaining_gas=current.remaining,
            person=AllowancePublic.of(current.person),
            role_share=AllowancePublic.of(current.role_total),
            hromada=AllowancePublic.of(current.hromada),
            actions_per_window=current.limits.actions_per_window,
            window_seconds=window_seconds,
        )


class RoleBudgetPublic(BaseModel):
    role: Role
    person_daily_gas: int
    role_share_percent: int
    role_daily_gas: int
    actions_per_window: int
    chosen_by_council: bool


class RoleBudgetChange(BaseModel):
    """The council's choice for one role (every figure per 24 hours, except actions per window)."""

    model_config = ConfigDict(extra="forbid")

    person_daily_gas: StrictInt = Field(ge=0, le=2**63 - 1)
    role_share_percent: StrictInt = Field(ge=0, le=100)
    actions_per_window: StrictInt = Field(ge=1, le=1_000_000)


@router.get("/budget", response_model=StandingPublic, responses=error_responses(401, 403, 404))
def my_budget(
    user: MemberUser, hromada: CurrentHromada, session: SessionDep, settings: SettingsDep
) -> StandingPublic:
    """How much sponsored gas I may still use today in this hromada, and which limit is the tightest."""
    role = user.role_in(hromada.id)
    assert role is not None  # MemberUser checked it
    current = standing(session, settings, hromada, user.id, role)
    return StandingPublic.of(current, settings.relayer_action_window_seconds)


@router.get("/budgets", response_model=list[RoleBudgetPublic], responses=error_responses(401, 403, 404))
def role_budgets(
    council_member: CouncilUser, hromada: CurrentHromada, session: SessionDep, settings: SettingsDep
) -> list[RoleBudgetPublic]:
    """Every acting role's limits in this hromada (the council's choice or the service's defaults)."""
    return [_public(session, settings, hromada, role) for role in ACTING_ROLES]


@router.put(
    "/budgets/{role}", response_model=RoleBudgetPublic, responses=error_responses(400, 401, 403, 404, 422)
)
def change_role_budget(
    role: Role,
    body: RoleBudgetChange,
    council_member: CouncilUser,
    hromada: CurrentHromada,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Choose a role's share of the hromada's daily budget and each person's allowance in it. A person's
    allowance cannot exceed the hromada's whole budget (the operator sets that one)."""
    if role not in ACTING_ROLES:
        raise InvalidInputError("Auditors send no actions: their role has no budget.")
    if body.person_daily_gas > hromada.daily_gas_budget:
        raise InvalidInputError(
            f"A person's daily allowance ({body.person_daily_gas:,} gas) cannot exceed the hromada's "
            f"daily budget ({hromada.daily_gas_budget:,} gas)."
        )
    set_limits(
        session,
        hromada,
        role,
        person_daily_gas=body.person_daily_gas,
        role_share_percent=body.role_share_percent,
        actions_per_window=body.actions_per_window,
    )
    return idempotency.respond(_public(session, settings, hromada, role))


def _public(
    session: SessionDep, settings: SettingsDep, hromada: CurrentHromada, role: Role
) -> RoleBudgetPublic:
    limits = limits_of(session, settings, hromada, role)
    return RoleBudgetPublic(
        role=role,
        person_daily_gas=limits.person_daily_gas,
        role_share_percent=limits.role_share_percent,
        role_daily_gas=limits.role_daily_gas(hromada),
        actions_per_window=limits.actions_per_window,
        chosen_by_council=limits.chosen,
    )
