"""Who may spend how much of a hromada's sponsored gas per day (issue 21).

The operator gives each hromada a daily gas budget (``Hromada.daily_gas_budget``). The hromada's council
shares it out among the roles (``RoleBudget``): each role may use a share of the hromada's budget, each
person in the role a daily allowance, and each person may ask a number of actions per ten minutes. The
defaults fit a day of the pilot's work for the staff (a registrar registers 854 residents, verifiers
approve 901 cases) while a resident's own allowance stops a flood long before it drains the sponsor, and
the residents together cannot use more than their share, so the council's work always has room.

Every figure is counted over the last 24 hours (a rolling day), in the gas each action was accepted with
(what the sponsor may pay for it; the gas the worker signs a custodial request with, when it fits it again).
An action that expired never ran and does not count; an action the operator's own tools queued (the demo's
seeding) counts for the hromada only. The role's and the hromada's sums read the gas ledger's minutes
(cts.gas_ledger), so a check costs the same at any daily volume; the person's reads their own actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import NoReturn

from sqlalchemy import BindParameter, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from cts import gas_ledger
from cts.core.config import Settings
from cts.core.db import utcnow
from cts.models import ActionStatus, Hromada, RelayAction, Role, RoleBudget
from cts.relayer.errors import (
    BudgetExceededError,
    HromadaGasBudgetExceededError,
    RoleBudgetExceededError,
)

DAY = timedelta(days=1)
STAFF = (Role.COUNCIL, Role.VERIFIER, Role.COORDINATOR)
# The share of the hromada's budget each role may use when its council has not chosen one. Shares may add
# up to more than 100 %: the hromada's own budget is checked too; they stop one role from taking it all.
DEFAULT_SHARE_PERCENT = {
    Role.RESIDENT: 40,
    Role.COORDINATOR: 40,
    Role.VERIFIER: 60,
    Role.COUNCIL: 60,
    Role.AUDITOR: 0,  # auditors read; they send nothing
    Role.PARTNER: 20,  # a few pledges and cancellations per round
}


@dataclass(frozen=True)
class RoleLimits:
    """What one role of one hromada may use per day, and whether its council chose it."""

    role: Role
    person_daily_gas: int
    role_share_percent: int
    actions_per_window: int
    chosen: bool

    def role_daily_gas(self, hromada: Hromada) -> int:
        return int(hromada.daily_gas_budget) * self.role_share_percent // 100


def default_limits(settings: Settings, role: Role) -> RoleLimits:
    staff = role in STAFF
    return RoleLimits(
        role=role,
        person_daily_gas=(
            settings.relayer_staff_daily_gas_budget if staff else settings.relayer_daily_gas_budget
        ),
        role_share_percent=DEFAULT_SHARE_PERCENT[role],
        actions_per_window=(
            settings.relayer_staff_actions_per_window if staff else settings.relayer_actions_per_window
        ),
        chosen=False,
    )


def limits_of(session: Session, settings: Settings, hromada: Hromada, role: Role) -> RoleLimits:
    """The role's limits in the hromada: the council's choice, or the service's defaults."""
    row = session.scalar(_council_choice(), {"hromada_id": hromada.id, "role": role})
    if row is None:
        return default_limits(settings, role)
    return RoleLimits(
        role=role,
        person_daily_gas=int(row.person_daily_gas),
        role_share_percent=int(row.role_share_percent),
        actions_per_window=int(row.actions_per_window),
        chosen=True,
    )


@cache
def _council_choice() -> Select[RoleBudget]:
    """The council's choice for a role (parameters hromada_id, role), built once: read for every action."""
    return select(RoleBudget).where(
        RoleBudget.hromada_id == bindparam("hromada_id"), RoleBudget.role == bindparam("role")
    )


def set_limits(
    session: Session,
    hromada: Hromada,
    role: Role,
    *,
    person_daily_gas: int,
    role_share_percent: int,
    actions_per_window: int,
) -> None:
    """Record the council's choice for a role (flushed, not committed)."""
    row = session.scalar(
        select(RoleBudget).where(RoleBudget.hromada_id == hromada.id, RoleBudget.role == role)
    )
    if row is None:
        row = RoleBudget(hromada_id=hromada.id, role=role)
        session.add(row)
    row.person_daily_gas = person_daily_gas
    row.role_share_percent = role_share_percent
    row.actions_per_window = actions_per_window
    session.flush()


@dataclass(frozen=True)
class Allowance:
    """One limit as it stands: its size, what the last 24 hours used of it, and when room comes back."""

    scope: str  # "person", "role" or "hromada"
    limit: int
    spent: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.spent)


@dataclass(frozen=True)
class Standing:
    """A person's three limits in one hromada, the widest that refuses is named."""

    role: Role
    person: Allowance
    role_total: Allowance
    hromada: Allowance
    limits: RoleLimits

    @property
    def remaining(self) -> int:
        """Gas the person may still be sponsored today: the least of the three."""
        return min(self.person.remaining, self.role_total.remaining, self.hromada.remaining)


def _person_actions(
    hromada: str | BindParameter[str],
    user_id: int | BindParameter[int],
    since: datetime | BindParameter[datetime],
) -> list[object]:
    """The person's own actions of the window that count for them (ix_relay_actions_person_budget)."""
    return [
        RelayAction.user_id == user_id,
        RelayAction.hromada == hromada,
        RelayAction.budget_exempt.is_(False),
        RelayAction.created_at >= since,
        RelayAction.status != ActionStatus.EXPIRED,
    ]


def standing(session: Session, settings: Settings, hromada: Hromada, user_id: int, role: Role) -> Standing:
    """How much of each of the person's limits the last 24 hours used.

    The person's sum is exact, over their own actions (an index holds every column it reads; migration
    0012). The role's and the hromada's read the gas ledger's minutes (cts.gas_ledger): whole minutes from
    the one the window starts in, so an action's gas counts up to 60 s longer than 24 hours (a refusal can
    come that much early, never later), and the role's sum is of the actions counted against the role when
    they were accepted, not of the people in the role now."""
    return _standing_under(session, hromada, user_id, limits_of(session, settings, hromada, role))


def _standing_under(session: Session, hromada: Hromada, user_id: int, limits: RoleLimits) -> Standing:
    """``standing`` with the role's limits already read."""
    since = utcnow() - DAY
    role_total, everyone, person = session.execute(
        _window_sums(),
        {
            "hromada": hromada.slug,
            "key": limits.role.value,
            "first_minute": gas_ledger.minute_of(since),
            "user_id": user_id,
            "since": since,
        },
    ).one()
    return Standing(
        role=limits.role,
        person=Allowance("person", limits.person_daily_gas, int(person)),
        role_total=Allowance("role", limits.role_daily_gas(hromada), int(role_total)),
        hromada=Allowance("hromada", int(hromada.daily_gas_budget), int(everyone)),
        limits=limits,
    )


@cache
def _window_sums() -> Select[int, int, int]:
    """The gas of the window: the role's key's and every key's in the ledger (cts.gas_ledger), the person's
    own actions', in one statement. Built once, with parameters (hromada, key, first_minute, user_id,
    since): it runs for every action accepted, and building it cost more than running it."""
    hromada: BindParameter[str] = bindparam("hromada")
    person = (
        select(func.coalesce(func.sum(RelayAction.gas), 0))
        .where(and_(*_person_actions(hromada, bindparam("user_id"), bindparam("since"))))  # type: ignore[arg-type]
        .scalar_subquery()
    )
    return gas_ledger.spent_query(hromada, bindparam("first_minute"), bindparam("key")).add_columns(person)


def check_budget(session: Session, hromada: Hromada, user_id: int, limits: RoleLimits, gas: int) -> None:
    """Raise BudgetExceededError (which limit, what is left, when it renews) unless `gas` fits all three
    (``limits``: the person's role's, as ``limits_of`` read them for this request)."""
    now = utcnow()
    role = limits.role
    current = _standing_under(session, hromada, user_id, limits)
    # The widest limit that refuses is the one named: when the hromada's budget is spent, a larger
    # allowance for the person would not help.
    for allowance in (current.hromada, current.role_total, current.person):
        if allowance.spent + gas <= allowance.limit:
            continue
        returns = {
            "person": lambda: _person_returns(session, hromada, user_id, now - DAY),
            "role": lambda: _ledger_returns(session, hromada, now - DAY, role.value),
            "hromada": lambda: _ledger_returns(session, hromada, now - DAY),
        }[allowance.scope]()
        _refuse(allowance, returns, gas, now)


def check_hromada_budget(session: Session, hromada: Hromada, gas: int) -> None:
    """For an action the operator's tools queue: only the hromada's own budget applies."""
    now = utcnow()
    allowance = Allowance("hromada", int(hromada.daily_gas_budget), hromada_spent(session, hromada))
    if allowance.spent + gas > allowance.limit:
        _refuse(allowance, _ledger_returns(session, hromada, now - DAY), gas, now)


_REFUSALS: dict[str, type[BudgetExceededError]] = {
    "person": BudgetExceededError,
    "role": RoleBudgetExceededError,
    "hromada": HromadaGasBudgetExceededError,
}


def _refuse(allowance: Allowance, returns: list[tuple[datetime, int]], gas: int, now: datetime) -> NoReturn:
    """Raise the refusal of `allowance`'s scope: what is left, of what limit, and when `gas` fits again."""
    raise _REFUSALS[allowance.scope](
        needed_gas=gas,
        remaining_gas=allowance.remaining,
        limit_gas=allowance.limit,
        renews_at=_renews_at(returns, allowance, gas, now),
        now=now,
    )


def hromada_spent(session: Session, hromada: Hromada) -> int:
    """Sponsored gas of the hromada's actions in the last 24 hours (expired ones never ran), from the gas
    ledger: whole minutes, so up to 60 s of gas more than the exact window (see standing)."""
    return gas_ledger.spent(session, hromada.slug, utcnow() - DAY)[1]


def _person_returns(
    session: Session, hromada: Hromada, user_id: int, since: datetime
) -> list[tuple[datetime, int]]:
    """When each of the person's actions of the window leaves it (24 hours after it was accepted), and its
    gas, oldest first."""
    rows = session.execute(
        select(RelayAction.created_at, RelayAction.gas)
        .where(and_(*_person_actions(hromada.slug, user_id, since)))  # type: ignore[arg-type]
        .order_by(RelayAction.created_at)
    )
    return [(created_at + DAY, int(gas)) for created_at, gas in rows]


def _ledger_returns(
    session: Session, hromada: Hromada, since: datetime, key: str | None = None
) -> list[tuple[datetime, int]]:
    """When each of the ledger's minutes of the window leaves it (24 hours after the minute's end), and its
    gas (of the role's key, or of every key), oldest first."""
    return [(end + DAY, gas) for end, gas in gas_ledger.minutes(session, hromada.slug, since, key)]


def _renews_at(
    returns: list[tuple[datetime, int]], allowance: Allowance, gas: int, now: datetime
) -> datetime | None:
    """When enough of the window's gas has come back (`returns`: when each part leaves the window, and how
    much, oldest first) for `gas` to fit. None if `gas` is more than the whole limit."""
    if gas > allowance.limit:
        return None
    excess = allowance.spent + gas - allowance.limit
    freed = 0
    for renews_at, returned in returns:
        freed += returned
        if freed >= excess:
            return renews_at
    return now + DAY


def typical_gas(session: Session, hromada: Hromada, user_id: int) -> int | None:
    """The average gas of the person's actions of the last day in the hromada (None if there are none):
    what the staff pages use to say how many more such actions today's budget allows."""
    since = utcnow() - DAY
    average = session.scalar(
        select(func.avg(RelayAction.gas)).where(and_(*_person_actions(hromada.slug, user_id, since)))  # type: ignore[arg-type]
    )
    return int(average) if average else None
