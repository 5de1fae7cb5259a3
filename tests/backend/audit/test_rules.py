"""The audit's own arithmetic, on cases worked out by hand from the contracts' NatSpec."""

from __future__ import annotations

import pytest

from cts.audit.rules import (
    AllocationRule,
    allocate,
    capped_proportional,
    greedy_by_weight,
    impact_ratio_bps,
    weight,
)


def test_weight_is_the_square_root_with_nine_decimals_rounded_down() -> None:
    assert weight(0) == 0
    assert weight(1) == 1_000_000_000
    assert weight(2) == 1_414_213_562  # sqrt(2) = 1.4142135623...
    assert weight(4) == 2_000_000_000
    assert weight(10**6) == 10**12
    assert weight(2**64 - 1) == 4_294_967_295_999_999_999  # the largest credit a uint64 holds
    with pytest.raises(ValueError, match="negative"):
        weight(-1)


def test_water_filling_caps_a_project_at_its_ask_and_shares_the_rest_again() -> None:
    # Pass 1: R = 100, S = 4: shares 25, 25, 50; project 0 reaches its ask 10 and leaves.
    # Pass 2: R = 90, S = 3: shares 30, 60; no one reaches an ask of 100: they get their shares.
    assert capped_proportional(100, [1, 1, 2], [10, 100, 100]) == [10, 30, 60]


def test_water_filling_rounds_each_share_down_and_leaves_the_crumbs_unallocated() -> None:
    assert capped_proportional(10, [1, 1, 1], [100, 100, 100]) == [3, 3, 3]


def test_water_filling_leaves_what_no_project_can_take() -> None:
    assert capped_proportional(100, [5, 1], [20, 30]) == [20, 30]


def test_projects_without_score_or_ask_get_nothing() -> None:
    assert capped_proportional(90, [0, 1, 2], [50, 0, 100]) == [0, 0, 90]


def test_quadratic_funding_shares_by_weight_squared() -> None:
    assert allocate(AllocationRule.QUADRATIC_FUNDING, 50, [1, 2], [100, 100]) == [10, 40]
    assert allocate(AllocationRule.PROPORTIONAL_TO_WEIGHT, 30, [1, 2], [100, 100]) == [10, 20]


def test_greedy_funds_whole_asks_by_weight_skipping_what_no_longer_fits() -> None:
    # Order: project 0 and 1 tie at weight 5 (lower id first), then project 2. Project 1's ask no longer
    # fits after project 0, project 2's does.
    assert greedy_by_weight(100, [5, 5, 3], [60, 50, 40]) == [60, 0, 40]
    assert allocate(AllocationRule.GREEDY_BY_WEIGHT, 100, [5, 5, 3], [60, 50, 40]) == [60, 0, 40]


def test_greedy_stops_at_weight_zero() -> None:
    assert greedy_by_weight(100, [0, 2], [10, 10]) == [0, 10]


def test_the_impact_ratio_of_the_second_pilot_cycle() -> None:
    # DESIGN.md: (349,470 + 97,650) / 97,650 = 4.58; in basis points, rounded down.
    assert impact_ratio_bps(349_470_00, 97_650_00) == 45_788
    assert impact_ratio_bps(100, 0) == 0
