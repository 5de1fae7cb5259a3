"""The gas ledger: the sponsored gas per hromada, per key it was counted under and per minute.

The daily budget checks (cts.budgets) run for every action accepted. Summing the day's actions made each
check grow with the day's volume (80,000 actions of a 40,000-voter day: 9 ms for the hromada's sum, 34 ms
for a person's three, on SQLite; accepting the day was quadratic in it); the ledger holds at most 1,440
minutes a day per key, so a check costs the same whatever the volume (about 1 ms). An action's gas is
added to its minute in the transaction that accepts it, moved with it when the worker fits a custodial
request's gas again, and taken off when it expires.

A key is the role the action was counted against at acceptance (its value), or ``exempt`` for an action
the operator's own tools queued (it counts for the hromada only). Sums read whole minutes, from the one the
window starts in: an action's gas counts up to 60 seconds longer than the exact rolling day, which can
refuse a little early and never lets more through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import cast

from sqlalchemy import BindParameter, Select, Table, case, false, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cts.errors import CTSError
from cts.models import GasMinute, RelayAction, Role

EXEMPT = "exempt"


def counted_as(role: Role, budget_exempt: bool) -> str:
    """The key an action accepted now is counted under."""
    return EXEMPT if budget_exempt else role.value


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def end_of_minute(minute: int) -> datetime:
    return datetime.fromtimestamp((minute + 1) * 60, UTC)


@dataclass(frozen=True, order=True)
class LedgerKey:
    """One row of the ledger: a hromada's minute of one key."""

    hromada: str
    counted_as: str
    minute: int

    @classmethod
    def of(cls, action: RelayAction) -> LedgerKey | None:
        """Where the action's gas is counted; None for an action older than the ledger (migration 0012
        counted the day before it, nothing older)."""
        if action.budget_counted_as is None:
            return None
        return cls(action.hromada, action.budget_counted_as, minute_of(action.created_at))


def record(session: Session, action: RelayAction) -> None:
    """Add a just-accepted action's gas to its minute (flushed, so its created_at is set)."""
    record_all(session, [action])


def record_all(session: Session, actions: Iterable[RelayAction]) -> None:
    """``record`` for actions accepted together (RelayerService.queue_many): one write per minute and key,
    not per action, in key order (two transactions then lock the same minutes in the same order)."""
    totals: dict[LedgerKey, int] = defaultdict(int)
    for action in actions:
        key = LedgerKey.of(action)
        if key is None:
            raise ValueError("an accepted action says which key its gas is counted under")
        totals[key] += action.gas
    statement = _add_gas(session.get_bind().dialect.name)
    for key in sorted(totals):
        parameters = {"hromada": key.hromada, "counted_as": key.counted_as, "minute": key.minute}
        session.execute(statement, {**parameters, "gas": totals[key]})


@cache
def _add_gas(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Adding gas to a minute of the ledger (its row inserted if it has none), built once per dialect with
    parameters (hromada, counted_as, minute, gas): it runs for every action accepted, and building it cost
    more than running it."""
    table = cast(Table, GasMinute.__table__)
    if dialect == "sqlite":
        insert: sqlite.Insert | postgresql.Insert = sqlite.insert(table)
    elif dialect == "postgresql":
        insert = postgresql.insert(table)
    else:
        raise CTSError(f"the gas ledger is not implemented for {dialect}")
    return insert.on_conflict_do_update(
        index_elements=[table.c.hromada, table.c.counted_as, table.c.minute],
        set_={"gas": table.c.gas + insert.excluded.gas},
    )


def adjust(session: Session, changes: Iterable[tuple[LedgerKey | None, int]]) -> None:
    """Move minutes' gas by the amounts given (an expired action's gas taken off, a refitted request's
    difference), summed per minute and written in key order: two transactions adjusting the same minutes
    then lock them in the same order (PostgreSQL). An action older than the ledger (no key) changes
    nothing: it is out of every window anyway."""
    totals: dict[LedgerKey, int] = defaultdict(int)
    for key, gas in changes:
        if key is not None:
            totals[key] += gas
    for key in sorted(totals):
        if totals[key]:
            session.execute(
                update(GasMinute)
                .where(
                    GasMinute.hromada == key.hromada,
                    GasMinute.counted_as == key.counted_as,
                    GasMinute.minute == key.minute,
                )
                .values(gas=GasMinute.gas + totals[key])
            )


def spent(session: Session, hromada: str, since: datetime, key: str | None = None) -> tuple[int, int]:
    """The gas of the minutes from `since`'s on: of the key (0 without one), and of every key."""
    row = session.execute(spent_query(hromada, minute_of(since), key)).one()
    return int(row[0]), int(row[1])


def spent_query(
    hromada: str | BindParameter[str],
    first_minute: int | BindParameter[int],
    key: str | BindParameter[str] | None = None,
) -> Select[int, int]:
    """The statement of ``spent``, from the minute ``first_minute`` on. Its values may be parameters, and
    callers may add columns of their own (cts.budgets does both)."""
    of_key = GasMinute.counted_as == key if key is not None else false()
    return select(
        func.coalesce(func.sum(case((of_key, GasMinute.gas), else_=0)), 0),
        func.coalesce(func.sum(GasMinute.gas), 0),
    ).where(GasMinute.hromada == hromada, GasMinute.minute >= first_minute)


def minutes(
    session: Session, hromada: str, since: datetime, key: str | None = None
) -> list[tuple[datetime, int]]:
    """The minutes from `since`'s on, oldest first, each as its end and its gas (of the key, or of every
    key): when each minute's gas leaves a window, and how much."""
    conditions = [GasMinute.hromada == hromada, GasMinute.minute >= minute_of(since)]
    if key is not None:
        conditions.append(GasMinute.counted_as == key)
    rows = session.execute(
        select(GasMinute.minute, func.sum(GasMinute.gas))
        .where(*conditions)
        .group_by(GasMinute.minute)
        .order_by(GasMinute.minute)
    )
    return [(end_of_minute(minute), int(gas)) for minute, gas in rows]
