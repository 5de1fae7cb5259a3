"""How the council reads the issues (docs/community-issues.md, "The ranking rule"): the issues still open or
being answered ranked by their endorsements, and beside that ranking the same issues broken down by the
group they affect and by settlement, each group's and each settlement's own top issues listed, so that an
issue of a small group is never drowned by the numbers of a large one.

Ranking: more endorsements first; equal endorsements, the older issue first (its number is lower), so the
order is total and the same on every reading."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cts.models import AffectedGroup, Hromada, Issue, IssueEndorsement, IssueGroup, IssueState, Settlement

ACTIVE = (IssueState.OPEN, IssueState.ANSWERING)
TOP = 3  # how many top issues each group and settlement shows


@dataclass(frozen=True)
class RankedIssue:
    rank: int
    issue: Issue
    endorsements: int


@dataclass(frozen=True)
class Share:
    """One group's or one settlement's part: how many active issues name it, their endorsements, and its own
    top issues (ranked among themselves by the same rule)."""

    key: str  # the group's value, or the settlement's name
    issues: int
    endorsements: int
    top: list[RankedIssue]


@dataclass(frozen=True)
class Ranking:
    issues: list[RankedIssue]
    by_group: list[Share]
    by_settlement: list[Share]
    without_group: int


def endorsement_counts(session: Session, hromada: Hromada) -> dict[int, int]:
    """Endorsements per issue id, for the hromada's issues that have any."""
    rows = session.execute(
        select(IssueEndorsement.issue_id, func.count())
        .join(Issue, Issue.id == IssueEndorsement.issue_id)
        .where(Issue.hromada_id == hromada.id)
        .group_by(IssueEndorsement.issue_id)
    )
    return {issue_id: int(count) for issue_id, count in rows}


def list_issues(
    session: Session, hromada: Hromada, states: tuple[IssueState, ...] | None = None
) -> list[RankedIssue]:
    """The hromada's issues (in ``states``, or all), ranked by the rule above."""
    query = select(Issue).where(Issue.hromada_id == hromada.id)
    if states is not None:
        query = query.where(Issue.state.in_(states))
    counts = endorsement_counts(session, hromada)
    issues = sorted(session.scalars(query), key=lambda issue: (-counts.get(issue.id, 0), issue.number))
    return [RankedIssue(rank, issue, counts.get(issue.id, 0)) for rank, issue in enumerate(issues, start=1)]


def _share(key: str, members: list[RankedIssue]) -> Share:
    top = [RankedIssue(i, r.issue, r.endorsements) for i, r in enumerate(members[:TOP], start=1)]
    return Share(key, len(members), sum(r.endorsements for r in members), top)


def ranking(session: Session, hromada: Hromada) -> Ranking:
    ranked = list_issues(session, hromada, ACTIVE)
    groups: dict[int, set[str]] = {}
    for issue_id, group in session.execute(
        select(IssueGroup.issue_id, IssueGroup.group).where(
            IssueGroup.issue_id.in_([r.issue.id for r in ranked])
        )
    ):
        groups.setdefault(issue_id, set()).add(AffectedGroup(group).value)
    by_group = [
        _share(group.value, [r for r in ranked if group.value in groups.get(r.issue.id, set())])
        for group in AffectedGroup
    ]
    names = session.scalars(
        select(Settlement).where(Settlement.hromada_id == hromada.id).order_by(Settlement.name)
    )
    by_settlement = [_share(s.name, [r for r in ranked if r.issue.settlement_id == s.id]) for s in names]
    without = sum(1 for r in ranked if r.issue.id not in groups)
    return Ranking(ranked, by_group, by_settlement, without)
