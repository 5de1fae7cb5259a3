"""How many of a hromada's community issues affect each vulnerable group, for the audit report
(`cts report --database`, cts.web.audit_report).

Issues closed with a reason (a duplicate, outside the hromada's remit) are left out: they are not needs the
hromada has. An issue counts once for every group it names, so the groups may add up to more than the issues.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cts.models import AffectedGroup, Hromada, Issue, IssueGroup, IssueState


def hromada_of_token(session: Session, chain_id: int, token: str) -> Hromada | None:
    """The service's hromada whose RV token is `token` on chain `chain_id` (the audit names a hromada by its
    contracts, the service by its key)."""
    for hromada in session.scalars(select(Hromada).where(Hromada.chain_id == chain_id)):
        if (hromada.contracts or {}).get("token", "").lower() == token.lower():
            return hromada
    return None


def issues_by_group(session: Session, hromada: Hromada) -> dict[str, Any]:
    """The hromada's issues (all but the closed ones) and how many are resolved: in all, per affected group
    (every group, in AffectedGroup's order, zeros too), and those naming no group."""
    counted = Issue.hromada_id == hromada.id, Issue.state != IssueState.CLOSED
    by_group = {group.value: {"issues": 0, "resolved": 0} for group in AffectedGroup}
    rows = session.execute(
        select(IssueGroup.group, Issue.state, func.count())
        .join(Issue, Issue.id == IssueGroup.issue_id)
        .where(*counted)
        .group_by(IssueGroup.group, Issue.state)
    )
    for group, state, count in rows:
        row = by_group[AffectedGroup(group).value]
        row["issues"] += count
        if state == IssueState.RESOLVED:
            row["resolved"] += count
    totals: dict[IssueState, int] = {}
    for state, count in session.execute(
        select(Issue.state, func.count()).where(*counted).group_by(Issue.state)
    ):
        totals[state] = count
    without_group = session.scalar(
        select(func.count())
        .select_from(Issue)
        .where(*counted, ~exists().where(IssueGroup.issue_id == Issue.id))
    )
    return {
        "issues": sum(totals.values()),
        "resolved": totals.get(IssueState.RESOLVED, 0),
        "without_group": without_group or 0,
        "by_group": by_group,
    }
