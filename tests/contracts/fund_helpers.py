"""Helpers for the community-fund tests: ledger reading, loan states, earning RV and running a vote round.

Shared by test_fund_capital.py, test_fund_loans.py and test_fund_stateful.py.
"""

from __future__ import annotations

from brownie import chain
from cts_helpers import DAY, h, round_params, rules

# The ledger's buckets other than `deposits`, in the order of ICommunityFund.Ledger.
BUCKETS = (
    "available",
    "programmeReserves",
    "tokenFund",
    "roundReserves",
    "committed",
    "loansOutstanding",
    "grantsPaid",
    "writtenOff",
)

# ICommunityFund.LoanState (what loanState() returns; the errors carry it too).
ST_APPLIED = 1
ST_APPROVED = 2
ST_REJECTED = 3
ST_ACTIVE = 4
ST_OVERDUE = 5
ST_REPAID = 6
ST_DEFAULTED = 7
ST_CANCELLED = 8

# ICommunityFund.LoanStatus (what loan().status stores: no Overdue).
STATUS_APPLIED = 1
STATUS_APPROVED = 2
STATUS_REJECTED = 3
STATUS_ACTIVE = 4
STATUS_REPAID = 5
STATUS_DEFAULTED = 6
STATUS_CANCELLED = 7

# ICommunityFund.DepositSource
DONOR = 0
LOCAL_BUDGET = 1
OTHER = 2

# IBalancedVote.AllocationRule
QUADRATIC = 0
PROPORTIONAL = 1
GREEDY = 2

TREASURER_ROLE = h("TREASURER_ROLE")


def ledger_of(fund) -> dict[str, int]:
    """The fund's ledger as a plain dict of integers."""
    return dict(fund.ledger().dict())


def ledger_total(ledger: dict[str, int]) -> int:
    """Everything the deposits went to: the right-hand side of the ledger identity."""
    return sum(ledger[bucket] for bucket in BUCKETS)


def not_treasurer(account) -> str:
    """The AccessControl error for an account without the treasurer role."""
    return f"AccessControlUnauthorizedAccount: {account.address.lower()}, {TREASURER_ROLE}"


def now() -> int:
    """The latest block's timestamp: the chain's own clock. After a snapshot is reverted, Anvil's clock can
    trail Brownie's chain.time() by the seconds the reverted tests took, so windows opened "at chain.time()"
    may open in the future; windows opened at now() are open for the next transaction."""
    return chain[-1].timestamp


def sleep_until(timestamp: int) -> None:
    """Mines a block at `timestamp` or a little later (the node's clock runs on between blocks), so views see
    that time. (Brownie's chain.mine(timestamp=...) sends Anvil malformed parameters.)"""
    chain.sleep(max(0, timestamp - now()))
    chain.mine()


def hx(text: str) -> str:
    """h(text) as Brownie returns a bytes32 from a view ("0x..."), for comparisons."""
    return "0x" + h(text).hex()


def earn(cases, verifier, resident, count, *, programme_id=1, tag="case"):
    """`count` useful cases of `resident` under the programme, each approved by `verifier` (quorum 1)."""
    for i in range(count):
        cases.submitCase(programme_id, h(f"{tag}-{resident}-{i}"), {"from": resident})
        cases.approveCase(cases.caseCount(), {"from": verifier})


def run_round(vote, council, pitches, ballots, *, fund_kopiyky, rule=GREEDY, finalise=True, caller=None):
    """Creates a round, pitches `pitches` [(proposer, ask, loanId)], screens every project eligible, casts
    `ballots` [(voter, projectIds, credits)] and, if `finalise`, finalises it. Returns (roundId, last tx).
    """
    tx = vote.createRound(
        round_params(now(), fund=fund_kopiyky, round_rules=rules(rule=rule)), {"from": council}
    )
    round_id = tx.events["RoundCreated"]["roundId"]
    for proposer, ask, loan_id in pitches:
        vote.pitchProject(
            round_id, ask, h(f"project-{round_id}-{proposer}-{ask}"), loan_id, {"from": proposer}
        )
    chain.sleep(DAY + 1)
    for project_id in range(1, len(pitches) + 1):
        vote.screenProject(round_id, project_id, True, 0, {"from": council})
    chain.sleep(DAY + 1)
    for voter, project_ids, credits in ballots:
        tx = vote.castBallot(round_id, project_ids, credits, {"from": voter})
    if finalise:
        chain.sleep(7 * DAY + 1)
        tx = vote.finalise(round_id, {"from": caller or council})
    return round_id, tx


def assert_event(tx, name, **fields):
    """`tx` emitted exactly one `name` event with these field values (bytes32 as bytes, as h() makes them)."""
    events = tx.events[name] if name in tx.events else []  # noqa: SIM401 (EventDict has no get)
    assert len(events) == 1, f"{name} emitted {len(events)} times"
    expected = {
        key: "0x" + value.hex() if isinstance(value, bytes) else value for key, value in fields.items()
    }
    assert {key: events[0][key] for key in fields} == expected
