"""What the Method of Equal Shares would have funded in a round, for a community to compare (pabutools).

Each resident's budget is proportional to the RV credits they put into the round: with F the round's fund
and T the credits of all ballots, a resident who spent t credits holds F * t / T. Their satisfaction from a
project is the credits they gave it (cumulative ballots, additive satisfaction). A project's cost is its
ask. MES then buys projects one by one, each time the one that the fewest money per unit of satisfaction
can buy, paid by its supporters in proportion to their satisfaction, no one paying beyond their budget;
projects are funded whole or not at all.

pabutools gives every ballot the same budget, so a resident with t credits enters as t identical voters
(a multiplicity of t), each with points credits/t: they hold t equal shares and pay, together, what one
voter with budget F * t / T and satisfaction = credits pays. Identical normalised ballots are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from cts.audit.model import PROJECT_ELIGIBLE, Round


@dataclass(frozen=True)
class EqualSharesOutcome:
    """The projects MES selects in a round (whole asks) and what they cost."""

    round_id: int
    selected: list[int]
    cost_kopiyky: int
    budget_kopiyky: int
    ballots: int
    distinct_ballots: int

    def to_json(self) -> dict[str, object]:
        return {
            "round_id": self.round_id,
            "selected": self.selected,
            "cost_kopiyky": self.cost_kopiyky,
            "budget_kopiyky": self.budget_kopiyky,
            "unspent_kopiyky": self.budget_kopiyky - self.cost_kopiyky,
            "ballots": self.ballots,
            "distinct_ballots": self.distinct_ballots,
            "method": "Method of Equal Shares (pabutools), budgets proportional to RV credits, cost = ask",
        }


def equal_shares(rnd: Round) -> EqualSharesOutcome:
    """MES on the round's latest ballots (eligible projects only)."""
    from pabutools.election import (
        Additive_Cardinal_Sat,
        CumulativeMultiProfile,
        FrozenCumulativeBallot,
        Instance,
        Project,
    )
    from pabutools.fractions import frac
    from pabutools.rules import method_of_equal_shares

    eligible = {p.id: p for p in rnd.projects.values() if p.status == PROJECT_ELIGIBLE and p.ask_kopiyky > 0}
    projects = {pid: Project(str(pid), p.ask_kopiyky) for pid, p in eligible.items()}
    instance = Instance(projects.values(), budget_limit=rnd.fund_kopiyky)
    profile = CumulativeMultiProfile(instance=instance)
    ballots = 0
    for ballot in rnd.ballots.values():
        total = sum(credits for pid, credits in ballot.items() if pid in projects)
        if total == 0:
            continue
        ballots += 1
        frozen = FrozenCumulativeBallot(
            {projects[pid]: frac(credits, total) for pid, credits in ballot.items() if pid in projects}
        )
        profile[frozen] = profile.get(frozen, 0) + total
    if ballots == 0:
        return EqualSharesOutcome(rnd.id, [], 0, rnd.fund_kopiyky, 0, 0)
    outcome = method_of_equal_shares(instance, profile, sat_class=Additive_Cardinal_Sat)
    selected = sorted(int(p.name) for p in outcome)
    cost = sum(eligible[pid].ask_kopiyky for pid in selected)
    return EqualSharesOutcome(rnd.id, selected, cost, rnd.fund_kopiyky, ballots, len(profile))
