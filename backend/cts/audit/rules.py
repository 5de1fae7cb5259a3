"""The vote's arithmetic, written again from the contracts' NatSpec (QuadraticMath, Allocation).

This is the audit's own implementation: it shares no code with the contracts' Solidity nor with any other
part of the backend, so that a mistake in one is caught by the other. All amounts are integers (credits
in RV, money in kopiyky); every division rounds down, as Solidity's does.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from math import isqrt

# weight(c) = floor(sqrt(c * 10^18)): sqrt(c) with nine decimal digits, rounded down.
SCALE_SQUARED = 10**18


class AllocationRule(IntEnum):
    """How a round turns weights into funded amounts (IBalancedVote.AllocationRule, same numbering)."""

    QUADRATIC_FUNDING = 0
    PROPORTIONAL_TO_WEIGHT = 1
    GREEDY_BY_WEIGHT = 2

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    AllocationRule.QUADRATIC_FUNDING: "quadratic funding (weight², capped at asks, excess redistributed)",
    AllocationRule.PROPORTIONAL_TO_WEIGHT: "proportional to weight (capped at asks, excess redistributed)",
    AllocationRule.GREEDY_BY_WEIGHT: "greedy by weight (whole asks, highest weight first)",
}


def weight(credits: int) -> int:
    """One resident's contribution to a project's weight: floor(sqrt(credits * 10^18))."""
    if credits < 0:
        raise ValueError(f"credits cannot be negative: {credits}")
    return isqrt(credits * SCALE_SQUARED)


def capped_proportional(fund: int, scores: Sequence[int], asks: Sequence[int]) -> list[int]:
    """Water-filling: shares of `fund` proportional to `scores`, each capped at its ask.

    Pass by pass, with R the money not yet given and S the total score of the projects still open: each
    open project whose share floor(R * score / S) reaches its ask receives exactly its ask and leaves;
    when no project reached its ask, every open project receives floor(R * score / S) and it is over.
    Projects with a zero score or a zero ask receive nothing.
    """
    count = len(scores)
    if len(asks) != count:
        raise ValueError("scores and asks differ in length")
    funded = [0] * count
    still_open = {i for i in range(count) if scores[i] > 0 and asks[i] > 0}
    left = fund
    while still_open and left > 0:
        total_score = sum(scores[i] for i in still_open)
        share = {i: left * scores[i] // total_score for i in still_open}
        reached = sorted(i for i in still_open if share[i] >= asks[i])
        if not reached:
            for i in still_open:
                funded[i] = share[i]
            break
        for i in reached:
            funded[i] = asks[i]
        left -= sum(asks[i] for i in reached)
        still_open.difference_update(reached)
    return funded


def greedy_by_weight(fund: int, weights: Sequence[int], asks: Sequence[int]) -> list[int]:
    """Whole asks in order of weight (highest first, ties to the lower project id) while the fund lasts.

    A project whose ask no longer fits is skipped and the next one is tried; weight 0 gets nothing.
    """
    count = len(weights)
    if len(asks) != count:
        raise ValueError("weights and asks differ in length")
    funded = [0] * count
    left = fund
    for i in sorted(range(count), key=lambda i: (-weights[i], i)):
        if weights[i] == 0:
            break
        if asks[i] <= left:
            funded[i] = asks[i]
            left -= asks[i]
    return funded


def allocate(rule: AllocationRule, fund: int, weights: Sequence[int], asks: Sequence[int]) -> list[int]:
    """Funded amount per project (index i is project id i + 1) under `rule`.

    Pass weight and ask 0 for a project that is not eligible.
    """
    if rule is AllocationRule.GREEDY_BY_WEIGHT:
        return greedy_by_weight(fund, weights, asks)
    if rule is AllocationRule.QUADRATIC_FUNDING:
        return capped_proportional(fund, [w * w for w in weights], asks)
    return capped_proportional(fund, weights, asks)


def impact_ratio_bps(cases_value_kopiyky: int, rv_issued_kopiyky: int) -> int:
    """(value of cases + token fund) / token fund in basis points, rounded down; 0 when nothing was issued."""
    if rv_issued_kopiyky == 0:
        return 0
    return (cases_value_kopiyky + rv_issued_kopiyky) * 10_000 // rv_issued_kopiyky
