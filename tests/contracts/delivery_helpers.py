"""Helpers for the delivery tests: a finalised round with grant projects, plans, and the milestone states.

Shared by test_delivery.py, test_delivery_flags.py, test_delivery_stateful.py and test_gas_snapshot.py.
"""

from __future__ import annotations

from cts_helpers import DAY, h
from fund_helpers import GREEDY, earn, now, run_round

# IProjectDelivery.MilestoneStatus (stored; the errors carry it) and MilestoneState (derived, adds Overdue).
PLANNED, REPORTED, REJECTED, ACCEPTED, PAID = 1, 2, 3, 4, 5
OVERDUE = 6

TREASURER_ROLE = h("TREASURER_ROLE")
REASON_NOT_DONE, REASON_OVERPRICED, REASON_OTHER = 1, 2, 3

# The round of funded_round(): project id -> funded kopiyky (3 is unfunded, 4 is Carol's loan).
FUNDED = {1: 30_000, 2: 50_000, 4: 20_000}


def funded_round(fund, vote, cases, council, verifiers, alice, bob, carol) -> int:
    """A finalised greedy round of 110,000 kopiyky: 1 (Alice, 30,000) and 2 (Bob, 50,000) funded grants,
    3 (Alice, 10,000) unfunded, 4 (Carol's loan, 20,000) funded. Needs programme 1 (the `programme`
    fixture)."""
    earn(cases, verifiers[0], alice, 5, tag="delivery")
    earn(cases, verifiers[0], bob, 5, tag="delivery")
    applied = fund.applyForLoan([20_000], [30 * DAY], h("bakery-plan"), {"from": carol})
    loan_id = applied.events["LoanApplied"]["loanId"]
    round_id, _ = run_round(
        vote,
        council,
        [(alice, 30_000, 0), (bob, 50_000, 0), (alice, 10_000, 0), (carol, 20_000, loan_id)],
        [(alice, [1, 2, 4], [1, 1, 1])],
        fund_kopiyky=110_000,
        rule=GREEDY,
    )
    return round_id


def due_dates(count: int, *, first_in: int = 10 * DAY, step: int = 10 * DAY) -> list[int]:
    """`count` due dates, the first `first_in` seconds from now, then every `step`."""
    start = now() + first_in
    return [start + i * step for i in range(count)]


def split(total: int, parts: int) -> list[int]:
    """`total` in `parts` non-zero shares summing to it exactly (the last takes the remainder)."""
    base = total // parts
    return [base] * (parts - 1) + [total - base * (parts - 1)]


def set_plan(delivery, council, round_id, project_id, shares, *, dates=None, tag="plan"):
    dates = dates or due_dates(len(shares))
    return delivery.setPlan(
        round_id, project_id, dates, shares, h(f"{tag}-{round_id}-{project_id}"), {"from": council}
    )


def report(delivery, owner, round_id, project_id, index, *, receipts=2, tag="report"):
    """The owner reports milestone `index` with `receipts` receipt hashes; returns the transaction."""
    label = f"{tag}-{round_id}-{project_id}-{index}"
    hashes = [h(f"{label}-receipt-{i}") for i in range(receipts)]
    return delivery.reportMilestone(round_id, project_id, index, h(label), hashes, {"from": owner})
