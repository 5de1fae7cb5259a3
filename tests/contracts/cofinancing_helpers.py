"""Helpers for the co-financing tests: the codes of sectors, kinds and states, a round walked through its
stages, partners and pledges.

Shared by test_cofinancing.py and test_cofinancing_stateful.py.
"""

from __future__ import annotations

from cts_helpers import h, round_params, rules
from fund_helpers import GREEDY, now, sleep_until

# Partner sectors and pledge kinds (ICoFinancing's codes).
BUSINESS, LOCAL_BUDGET, NGO, INTERNATIONAL_DONOR, DIASPORA = 1, 2, 3, 4, 5
MONEY, MATERIALS, EQUIPMENT, LABOUR_HOURS, PREMISES, STABLECOIN = 1, 2, 3, 4, 5, 6
# ICoFinancing.PledgeStatus
OPEN, FULFILLED, CANCELLED, LAPSED = 1, 2, 3, 4
# IBalancedVote.RoundState
SCHEDULED, PITCHING, SCREENING, VOTING, TALLYING, FINALISED, ROUND_CANCELLED = range(7)

TREASURER_ROLE = h("TREASURER_ROLE")

# The pitches of open_round(): project id -> (proposer index in `residents`, ask in kopiyky).
ASKS = {1: (0, 30_000), 2: (1, 50_000), 3: (0, 10_000)}
ROUND_FUND = 80_000  # greedy: a ballot on projects 1 and 2 funds both whole and leaves nothing for 3


def open_round(vote, council, residents, *, rule=GREEDY, co_financed=False) -> int:
    """A round of 80,000 kopiyky in pitching (greedy unless `rule`; under the co-financing rule if
    `co_financed`), with projects 1 (Alice, 30,000), 2 (Bob, 50,000) and 3 (Alice, 10,000) pitched."""
    round_rules = rules(rule=rule, co_financed=co_financed)
    tx = vote.createRound(round_params(now(), fund=ROUND_FUND, round_rules=round_rules), {"from": council})
    round_id = tx.events["RoundCreated"]["roundId"]
    for who, ask in ASKS.values():
        vote.pitchProject(round_id, ask, h(f"project-{round_id}-{ask}"), 0, {"from": residents[who]})
    return round_id


def to_screening(vote, round_id) -> None:
    """From pitching to screening (the end of the pitching window)."""
    sleep_until(vote.round(round_id)[0][2] + 1)


def to_voting(vote, council, round_id, *, ineligible=()) -> None:
    """From pitching or screening to voting: every project screened, eligible unless in `ineligible`."""
    params = vote.round(round_id)[0]
    if now() < params[2]:
        to_screening(vote, round_id)
    for project_id in ASKS:
        if vote.project(round_id, project_id)[4] == 0:  # still Pitched
            eligible = project_id not in ineligible
            vote.screenProject(round_id, project_id, eligible, 0 if eligible else 7, {"from": council})
    sleep_until(params[3] + 1)


def to_tallying(vote, round_id, voter=None) -> None:
    """From voting to tallying; `voter`, with RV, first votes for projects 1 and 2."""
    if voter is not None:
        vote.castBallot(round_id, [1, 2], [1, 1], {"from": voter})
    sleep_until(vote.round(round_id)[0][4] + 1)


def finalise(vote, council, round_id, voter) -> None:
    """From voting to finalised: `voter` funds projects 1 and 2, project 3 gets nothing."""
    to_tallying(vote, round_id, voter)
    vote.finalise(round_id, {"from": council})


def register(cofinancing, council, account, sector=BUSINESS, tag="partner"):
    """Registers `account` as a partner; returns the transaction."""
    return cofinancing.registerPartner(account, sector, h(f"{tag}-{account}"), {"from": council})


def make_pledge(
    cofinancing,
    partner,
    round_id,
    project_id,
    kind=MONEY,
    value=10_000,
    *,
    conditional=False,
    tag="agreement",
):
    """`partner` pledges; returns the transaction (its return_value is the pledge id)."""
    return cofinancing.pledge(
        round_id,
        project_id,
        kind,
        value,
        conditional,
        h(f"{tag}-{round_id}-{project_id}-{kind}-{value}"),
        {"from": partner},
    )
