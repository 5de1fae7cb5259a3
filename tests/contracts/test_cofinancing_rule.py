"""The co-financing rule: a round that fills only each project's gap (its ask minus the money pledged to it),
and which projects the vote chose, on which a conditional pledge's lapse depends.

The escrow of stablecoin pledges is in test_cofinancing_escrow.py; the invariants (the allocation never above
an ask nor above a gap) in test_cofinancing_stateful.py.
"""

import brownie
import pytest
from brownie import accounts
from cofinancing_helpers import (
    BUSINESS,
    MATERIALS,
    MONEY,
    NGO,
    OPEN,
    make_pledge,
    open_round,
    register,
    to_voting,
)
from cts_errors import error
from cts_helpers import rules
from fund_helpers import GREEDY, QUADRATIC, assert_event, earn, sleep_until


@pytest.fixture(scope="module")
def business():
    return accounts[11]


@pytest.fixture(scope="module")
def ngo():
    return accounts[12]


@pytest.fixture(scope="module")
def ready(cofinancing, cases, council, verifiers, programme, residents, capital, business, ngo, alice):
    """Two partners; Alice has 10 RV to vote with (5 cases of 2)."""
    register(cofinancing, council, business, BUSINESS)
    register(cofinancing, council, ngo, NGO)
    earn(cases, verifiers[0], alice, 5, tag="cofinancing-rule")


def vote_and_close(vote, round_id, voter, project_ids):
    """From voting to tallying, `voter` giving 1 credit to each of `project_ids`."""
    vote.castBallot(round_id, project_ids, [1] * len(project_ids), {"from": voter})
    sleep_until(vote.round(round_id)[0][4] + 1)


def preview(vote, round_id):
    """The vote's previewAllocation as plain integers: ([per project], total)."""
    amounts, total = vote.previewAllocation(round_id)
    return [int(a) for a in amounts], int(total)


def funded(vote, round_id):
    return [vote.project(round_id, p)[7] for p in (1, 2, 3)]


def test_the_vote_fills_only_the_gap_and_reaches_more_projects(
    ready, vote, cofinancing, council, residents, business, ngo, alice
):
    """Greedy, 80,000 kopiyky, asks 30,000, 50,000 and 10,000, one vote for each. Without the rule the first
    two take the whole fund. With it, 5,000 and 20,000 pledged in money leave gaps of 25,000 and 30,000, and
    the fund reaches project 3 too; the 15,000 in materials pledged to project 2 changes nothing."""
    plain = open_round(vote, council, residents)
    co_financed = open_round(vote, council, residents, co_financed=True)
    assert vote.round(co_financed)[0][7][4] is True and vote.round(plain)[0][7][4] is False
    both = (plain, co_financed)
    for round_id in both:
        make_pledge(cofinancing, ngo, round_id, 1, MONEY, 5_000, conditional=True)
        make_pledge(cofinancing, business, round_id, 2, MONEY, 20_000)
        make_pledge(cofinancing, ngo, round_id, 2, MATERIALS, 15_000)
        for project_id in (1, 2, 3):  # screened while pitching, so that both rounds open voting together
            vote.screenProject(round_id, project_id, True, 0, {"from": council})
    sleep_until(max(vote.round(r)[0][3] for r in both) + 1)
    for round_id in both:
        vote.castBallot(round_id, [1, 2, 3], [1, 1, 1], {"from": alice})
    sleep_until(max(vote.round(r)[0][4] for r in both) + 1)

    assert preview(vote, plain) == ([30_000, 50_000, 0], 80_000)
    assert preview(vote, co_financed) == ([25_000, 30_000, 10_000], 65_000)
    tx = vote.finalise(co_financed, {"from": council})
    assert [(e["projectId"], e["fundedKopiyky"]) for e in tx.events["ProjectFunded"]] == [
        (1, 25_000),
        (2, 30_000),
        (3, 10_000),
    ]
    assert_event(
        tx, "RoundFinalised", roundId=co_financed, totalFundedKopiyky=65_000, unallocatedKopiyky=15_000
    )
    assert funded(vote, co_financed) == [25_000, 30_000, 10_000]
    # What each project has: the vote's part plus the money pledged, never more than its ask.
    for project_id, ask in ((1, 30_000), (2, 50_000), (3, 10_000)):
        assert (
            vote.project(co_financed, project_id)[7] + cofinancing.pledgedMoney(co_financed, project_id)
            == ask
        )
        assert cofinancing.chosenByVote(co_financed, project_id)


def test_a_proportional_share_is_capped_at_the_gap(
    ready, vote, cofinancing, council, residents, business, alice
):
    """Quadratic funding, 25,000 pledged to project 1 (ask 30,000): however many votes it gets, the fund gives
    it at most its 5,000 gap, and project 2 takes what is left up to its ask."""
    round_id = open_round(vote, council, residents, rule=QUADRATIC, co_financed=True)
    make_pledge(cofinancing, business, round_id, 1, MONEY, 25_000)
    to_voting(vote, council, round_id)
    vote.castBallot(round_id, [1, 2], [4, 1], {"from": alice})
    sleep_until(vote.round(round_id)[0][4] + 1)
    assert preview(vote, round_id) == ([5_000, 50_000, 0], 55_000)


def test_money_pledged_beyond_the_ask_leaves_no_gap(
    ready, vote, cofinancing, council, residents, business, ngo, alice
):
    """Project 3 (ask 10,000) is pledged 12,000 in money: it needs nothing from the fund. Alice votes for it,
    so the vote chose it: its conditional pledges stand, and the council records them fulfilled."""
    round_id = open_round(vote, council, residents, co_financed=True)
    make_pledge(cofinancing, business, round_id, 3, MONEY, 8_000, conditional=True)
    make_pledge(cofinancing, ngo, round_id, 3, MONEY, 4_000, conditional=True)
    to_voting(vote, council, round_id)
    vote_and_close(vote, round_id, alice, [1, 3])
    assert not cofinancing.chosenByVote(round_id, 3)  # not before the round is finalised
    vote.finalise(round_id, {"from": council})
    assert funded(vote, round_id) == [30_000, 0, 0]
    assert [cofinancing.chosenByVote(round_id, p) for p in (1, 2, 3)] == [True, False, True]
    for pledge_id in (1, 2):
        with brownie.reverts(error("CoFinancingProjectChosen", round_id, 3)):
            cofinancing.lapsePledge(pledge_id, {"from": alice})
    cofinancing.fulfilPledge(1, b"\x01" * 32, {"from": council})
    assert [cofinancing.pledgeOf(i)[5] for i in (1, 2)] == [2, OPEN]
    assert cofinancing.pledgedMoney(round_id, 3) == 12_000


def test_a_covered_project_nobody_voted_for_was_not_chosen(
    ready, vote, cofinancing, council, residents, business, alice
):
    """Covered by pledges but without a single vote, project 3 was not chosen: its conditional pledge lapses,
    and it stays not chosen once the money pledged to it has fallen."""
    round_id = open_round(vote, council, residents, co_financed=True)
    make_pledge(cofinancing, business, round_id, 3, MONEY, 10_000, conditional=True)
    to_voting(vote, council, round_id)
    vote_and_close(vote, round_id, alice, [1, 2])
    vote.finalise(round_id, {"from": council})
    assert not cofinancing.chosenByVote(round_id, 3)
    tx = cofinancing.lapsePledge(1, {"from": alice})
    assert_event(tx, "PledgeLapsed", pledgeId=1, roundId=round_id, projectId=3)
    assert cofinancing.pledgedMoney(round_id, 3) == 0
    assert not cofinancing.chosenByVote(round_id, 3)


def test_a_cancelled_round_chose_nothing(ready, vote, cofinancing, council, residents, business):
    round_id = open_round(vote, council, residents, co_financed=True)
    make_pledge(cofinancing, business, round_id, 3, MONEY, 10_000, conditional=True)
    vote.cancelRound(round_id, {"from": council})
    assert not any(cofinancing.chosenByVote(round_id, p) for p in (1, 2, 3))
    cofinancing.lapsePledge(1, {"from": business})


def test_the_rule_is_set_before_voting_and_fixed_once_it_opens(ready, vote, council, residents):
    round_id = open_round(vote, council, residents)
    co_financed = rules(GREEDY, 1, 3, 0, True)
    tx = vote.setRules(round_id, co_financed, {"from": council})
    assert tuple(tx.events["RulesSet"]["rules"]) == co_financed
    assert tuple(vote.round(round_id)[0][7]) == co_financed
    to_voting(vote, council, round_id)
    with brownie.reverts(error("BalancedVoteUnexpectedRoundState", round_id, 3, 2)):
        vote.setRules(round_id, rules(GREEDY, 1, 3, 0, False), {"from": council})
    assert vote.round(round_id)[0][7][4] is True
