"""A vote round's lifecycle: creation and its fund, rules, pitching, screening, finalisation, cancellation.

Ballots, and the finalisation of rounds with ballots (the allocation rules), are in test_vote_ballots.py.
"""

import brownie
import pytest
from brownie import chain
from cts_helpers import DAY, FACE_VALUE, h, round_params, rules
from vote_model import (
    CANCELLED,
    ELIGIBLE,
    FINALISED,
    GREEDY_BY_WEIGHT,
    INELIGIBLE,
    PITCHED,
    PITCHING,
    QUADRATIC_FUNDING,
    REASON_OUT_OF_SCOPE,
    SCHEDULED,
    SCREENING,
    TALLYING,
    VOTING,
    close_voting,
    give_rv,
    mine_at,
    open_round,
    plain,
)

MAX_PROJECTS = 128
TOKEN_FUND = 60 * FACE_VALUE  # the RV of Alice, Bob and Carol at face value
ROUND = 1


@pytest.fixture(scope="module")
def voters(cases, council, coordinator, verifiers, residents, capital):
    """Alice, Bob and Carol with 20 RV each, earned by approved useful cases."""
    give_rv(cases, council, coordinator, verifiers[0], dict.fromkeys(residents, 20))
    return residents


def create_round(vote, council, **kwargs):
    params = round_params(chain[-1].timestamp, **kwargs)
    return params, vote.createRound(params, {"from": council})


def ledger(fund):
    return dict(fund.ledger().dict())


def not_authorised(account):
    return f"AccessControlUnauthorizedAccount: {str(account).lower()}, .*"


def unexpected_state(current, expected, round_id=ROUND):
    return f"BalancedVoteUnexpectedRoundState: {round_id}, {current}, {expected}"


# ---------------------------------------------------------------- lifecycle


def test_a_round_moves_through_its_states_with_the_clock(vote, council, outsider, voters):
    params, _ = create_round(vote, council, start_delay=DAY)
    assert vote.roundState(ROUND) == SCHEDULED
    for boundary, before, after in [
        (params[1], SCHEDULED, PITCHING),
        (params[2], PITCHING, SCREENING),
        (params[3], SCREENING, VOTING),
        (params[4], VOTING, TALLYING),
    ]:
        mine_at(boundary - 1)
        assert vote.roundState(ROUND) == before
        mine_at(boundary)
        assert vote.roundState(ROUND) == after
    vote.finalise(ROUND, {"from": outsider})
    assert vote.roundState(ROUND) == FINALISED


def test_a_cancelled_round_stays_cancelled_whatever_the_clock(vote, council, voters):
    create_round(vote, council)
    vote.cancelRound(ROUND, {"from": council})
    assert vote.roundState(ROUND) == CANCELLED
    close_voting(vote, ROUND)
    assert vote.roundState(ROUND) == CANCELLED


def test_views_of_an_unknown_round_revert(vote, council, voters):
    create_round(vote, council)
    for round_id in (0, 2):
        with brownie.reverts(f"BalancedVoteUnknownRound: {round_id}"):
            vote.roundState(round_id)
        with brownie.reverts(f"BalancedVoteUnknownRound: {round_id}"):
            vote.round(round_id)


# ---------------------------------------------------------------- createRound


def test_the_council_creates_a_round(vote, council, voters):
    params, tx = create_round(vote, council, fund=200_000, max_projects=5, round_rules=rules(2, 1, 3, 7))
    assert tx.events["RoundCreated"]["roundId"] == ROUND
    assert plain(tx.events["RoundCreated"]["params"]) == plain(params)
    assert vote.roundCount() == 1
    stored = vote.round(ROUND)
    assert plain(stored["params"]) == plain(params)
    assert stored["projectCount"] == stored["voters"] == stored["escrowed"] == stored["totalFunded"] == 0
    assert not stored["finalised"] and not stored["cancelled"]
    assert vote.roundState(ROUND) == PITCHING


def test_a_round_takes_its_fund_from_the_token_fund_first_then_from_available_capital(
    vote, fund, council, voters
):
    before = ledger(fund)
    assert before["tokenFund"] == TOKEN_FUND
    _, tx = create_round(vote, council, fund=TOKEN_FUND + 700_000)
    assert plain(tx.events["RoundReserved"]) == plain(
        {"roundId": ROUND, "fromTokenFund": TOKEN_FUND, "fromAvailable": 700_000}
    )
    after = ledger(fund)
    assert after["tokenFund"] == 0
    assert after["available"] == before["available"] - 700_000
    assert after["roundReserves"] == TOKEN_FUND + 700_000


def test_a_round_within_the_token_fund_takes_nothing_from_available_capital(vote, fund, council, voters):
    available = ledger(fund)["available"]
    _, tx = create_round(vote, council, fund=100_000)
    assert plain(tx.events["RoundReserved"]) == plain(
        {"roundId": ROUND, "fromTokenFund": 100_000, "fromAvailable": 0}
    )
    assert ledger(fund)["tokenFund"] == TOKEN_FUND - 100_000
    assert ledger(fund)["available"] == available


def test_a_round_beyond_the_fund_capital_reverts(vote, fund, council, voters):
    within = ledger(fund)["tokenFund"] + ledger(fund)["available"]
    with brownie.reverts(f"CommunityFundInsufficientCapital: {within + 1}, {within}"):
        create_round(vote, council, fund=within + 1)
    assert vote.roundCount() == 0


def test_only_the_council_creates_rounds(vote, voters, alice):
    with brownie.reverts(revert_pattern=not_authorised(alice)):
        vote.createRound(round_params(chain[-1].timestamp), {"from": alice})
    assert vote.roundCount() == 0


def test_a_round_needs_a_fund(vote, council, voters):
    with brownie.reverts("BalancedVoteZeroAmount: "):
        create_round(vote, council, fund=0)
    assert vote.roundCount() == 0


def test_a_round_needs_a_metadata_hash(vote, council, voters):
    params = list(round_params(chain[-1].timestamp))
    params[6] = b"\x00" * 32
    with brownie.reverts("BalancedVoteZeroHash: "):
        vote.createRound(params, {"from": council})
    assert vote.roundCount() == 0


@pytest.mark.parametrize(
    "windows",
    [
        (10, 10, 20, 30),  # empty pitching window
        (10, 30, 20, 40),  # screening ends before pitching does
        (10, 20, 30, 30),  # empty voting window
        (-40, -30, -20, -10),  # wholly in the past
        (-30, -20, -10, 0),  # voting ends now
    ],
)
def test_round_windows_must_be_in_order_and_end_in_the_future(vote, council, voters, windows):
    now = chain[-1].timestamp  # the next block is mined at this second or later
    params = list(round_params(now))
    params[1:5] = [now + offset for offset in windows]
    with brownie.reverts("BalancedVoteInvalidWindows: "):
        vote.createRound(params, {"from": council})
    assert vote.roundCount() == 0


@pytest.mark.parametrize("max_projects", [0, MAX_PROJECTS + 1])
def test_a_round_takes_between_one_and_max_projects(vote, council, voters, max_projects):
    assert vote.MAX_PROJECTS() == MAX_PROJECTS
    with brownie.reverts(f"BalancedVoteInvalidMaxProjects: {max_projects}, {MAX_PROJECTS}"):
        create_round(vote, council, max_projects=max_projects, round_rules=rules(0, 1, 1))
    assert vote.roundCount() == 0


def test_a_round_of_max_projects_is_valid(vote, council, voters):
    create_round(vote, council, max_projects=MAX_PROJECTS, round_rules=rules(0, 1, MAX_PROJECTS))
    assert vote.round(ROUND)["params"]["maxProjects"] == MAX_PROJECTS


@pytest.mark.parametrize("min_ballot, max_ballot", [(0, 3), (4, 3), (1, 11)])
def test_ballot_sizes_must_fit_the_round(vote, council, voters, min_ballot, max_ballot):
    with brownie.reverts(f"BalancedVoteInvalidRules: {min_ballot}, {max_ballot}"):
        create_round(vote, council, max_projects=10, round_rules=rules(0, min_ballot, max_ballot))
    assert vote.roundCount() == 0


# ---------------------------------------------------------------- setRules


@pytest.mark.parametrize("delay", [0, DAY + 1], ids=["pitching", "screening"])
def test_the_council_changes_the_rules_before_voting(vote, council, voters, delay):
    create_round(vote, council)
    chain.sleep(delay)
    new_rules = rules(GREEDY_BY_WEIGHT, 2, 4, 9)
    tx = vote.setRules(ROUND, new_rules, {"from": council})
    assert plain(tx.events["RulesSet"]) == plain({"roundId": ROUND, "rules": new_rules})
    assert plain(vote.round(ROUND)["params"]["rules"]) == new_rules


def test_rules_are_fixed_once_voting_opens(vote, council, voters, alice):
    round_id = open_round(vote, council, alice, [10_000], fund=10_000)
    with brownie.reverts(unexpected_state(VOTING, SCREENING)):
        vote.setRules(round_id, rules(GREEDY_BY_WEIGHT), {"from": council})
    assert plain(vote.round(round_id)["params"]["rules"]) == rules(QUADRATIC_FUNDING, 1, 1, 0)


def test_only_the_council_sets_rules(vote, council, voters, alice):
    create_round(vote, council)
    with brownie.reverts(revert_pattern=not_authorised(alice)):
        vote.setRules(ROUND, rules(GREEDY_BY_WEIGHT), {"from": alice})


def test_new_rules_must_fit_the_round(vote, council, voters):
    create_round(vote, council, max_projects=10)
    with brownie.reverts("BalancedVoteInvalidRules: 1, 11"):
        vote.setRules(ROUND, rules(0, 1, 11), {"from": council})
    assert plain(vote.round(ROUND)["params"]["rules"]) == rules()


# ---------------------------------------------------------------- pitchProject


def test_an_active_resident_pitches_a_project(vote, council, voters, alice):
    create_round(vote, council, fund=500_000)
    tx = vote.pitchProject(ROUND, 120_000, h("playground"), 0, {"from": alice})
    assert plain(tx.events["ProjectPitched"]) == plain(
        {
            "roundId": ROUND,
            "projectId": 1,
            "proposerId": 1,
            "proposer": alice,
            "askKopiyky": 120_000,
            "metadataHash": h("playground"),
            "loanId": 0,
        }
    )
    assert vote.round(ROUND)["projectCount"] == 1
    assert plain(vote.project(ROUND, 1)) == plain((1, alice, 120_000, h("playground"), PITCHED, 0, 0, 0))


def test_an_unregistered_account_cannot_pitch(vote, council, voters, outsider):
    create_round(vote, council)
    with brownie.reverts(f"ResidentRegistryNotActive: {str(outsider).lower()}, 0"):
        vote.pitchProject(ROUND, 1_000, h("p"), 0, {"from": outsider})
    assert vote.round(ROUND)["projectCount"] == 0


def test_a_suspended_resident_cannot_pitch(vote, registry, council, registrar, voters, bob):
    create_round(vote, council)
    registry.suspendResident(bob, REASON_OUT_OF_SCOPE, {"from": registrar})
    with brownie.reverts(f"ResidentRegistryNotActive: {str(bob).lower()}, 2"):
        vote.pitchProject(ROUND, 1_000, h("p"), 0, {"from": bob})
    assert vote.round(ROUND)["projectCount"] == 0


def test_a_project_must_ask_for_something(vote, council, voters, alice):
    create_round(vote, council)
    with brownie.reverts("BalancedVoteZeroAmount: "):
        vote.pitchProject(ROUND, 0, h("p"), 0, {"from": alice})


def test_a_project_cannot_ask_for_more_than_the_fund(vote, council, voters, alice):
    create_round(vote, council, fund=50_000)
    vote.pitchProject(ROUND, 50_000, h("whole fund"), 0, {"from": alice})
    with brownie.reverts("BalancedVoteAskExceedsFund: 50001, 50000"):
        vote.pitchProject(ROUND, 50_001, h("p"), 0, {"from": alice})
    assert vote.round(ROUND)["projectCount"] == 1


def test_a_project_needs_a_metadata_hash(vote, council, voters, alice):
    create_round(vote, council)
    with brownie.reverts("BalancedVoteZeroHash: "):
        vote.pitchProject(ROUND, 1_000, b"\x00" * 32, 0, {"from": alice})


def test_a_full_round_takes_no_more_projects(vote, council, voters, alice, bob):
    create_round(vote, council, max_projects=2, round_rules=rules(0, 1, 2))
    vote.pitchProject(ROUND, 1_000, h("p1"), 0, {"from": alice})
    vote.pitchProject(ROUND, 1_000, h("p2"), 0, {"from": bob})
    with brownie.reverts(f"BalancedVoteRoundFull: {ROUND}, 2"):
        vote.pitchProject(ROUND, 1_000, h("p3"), 0, {"from": alice})
    assert vote.round(ROUND)["projectCount"] == 2


@pytest.mark.parametrize("delay, state", [(0, SCHEDULED), (2 * DAY + 1, SCREENING)], ids=["early", "late"])
def test_projects_are_pitched_only_in_the_pitching_window(vote, council, voters, alice, delay, state):
    create_round(vote, council, start_delay=DAY)
    chain.sleep(delay)
    with brownie.reverts(unexpected_state(state, PITCHING)):
        vote.pitchProject(ROUND, 1_000, h("p"), 0, {"from": alice})


def apply_for_loan(fund, applicant, principal):
    tx = fund.applyForLoan(
        [principal // 2, principal - principal // 2], [30 * DAY, 60 * DAY], h("plan"), {"from": applicant}
    )
    return tx.events["LoanApplied"]["loanId"]


def test_a_project_is_linked_to_the_proposers_own_loan_application_for_its_ask(
    vote, fund, council, voters, carol
):
    loan_id = apply_for_loan(fund, carol, 20_000)
    create_round(vote, council)
    tx = vote.pitchProject(ROUND, 20_000, h("bakery"), loan_id, {"from": carol})
    assert tx.events["ProjectPitched"]["loanId"] == loan_id
    assert vote.project(ROUND, 1)["loanId"] == loan_id


def test_a_project_cannot_be_linked_to_someone_elses_loan(vote, fund, council, voters, alice, carol):
    loan_id = apply_for_loan(fund, carol, 20_000)
    create_round(vote, council)
    with brownie.reverts(f"BalancedVoteLoanMismatch: {loan_id}"):
        vote.pitchProject(ROUND, 20_000, h("bakery"), loan_id, {"from": alice})


def test_a_project_cannot_be_linked_to_a_loan_for_another_amount(vote, fund, council, voters, carol):
    loan_id = apply_for_loan(fund, carol, 20_000)
    create_round(vote, council)
    with brownie.reverts(f"BalancedVoteLoanMismatch: {loan_id}"):
        vote.pitchProject(ROUND, 20_001, h("bakery"), loan_id, {"from": carol})


def test_a_project_cannot_be_linked_to_a_loan_no_longer_applied_for(vote, fund, council, voters, carol):
    loan_id = apply_for_loan(fund, carol, 20_000)
    fund.rejectLoan(loan_id, REASON_OUT_OF_SCOPE, {"from": council})
    create_round(vote, council)
    with brownie.reverts(f"BalancedVoteLoanMismatch: {loan_id}"):
        vote.pitchProject(ROUND, 20_000, h("bakery"), loan_id, {"from": carol})


def test_a_project_cannot_be_linked_to_an_unknown_loan(vote, fund, council, voters, carol):
    create_round(vote, council)
    with brownie.reverts("BalancedVoteLoanMismatch: 1"):
        vote.pitchProject(ROUND, 20_000, h("bakery"), 1, {"from": carol})
    assert vote.round(ROUND)["projectCount"] == 0


# ---------------------------------------------------------------- screenProject


def pitched_round(vote, council, proposer, count=2):
    create_round(vote, council)
    for i in range(1, count + 1):
        vote.pitchProject(ROUND, 1_000 * i, h(f"p{i}"), 0, {"from": proposer})


def test_the_council_marks_a_project_eligible(vote, council, voters, alice):
    pitched_round(vote, council, alice)
    chain.sleep(DAY + 1)
    tx = vote.screenProject(ROUND, 1, True, 0, {"from": council})
    assert plain(tx.events["ProjectScreened"]) == plain(
        {"roundId": ROUND, "projectId": 1, "eligible": True, "reasonCode": 0}
    )
    assert vote.project(ROUND, 1)["status"] == ELIGIBLE


def test_the_council_marks_a_project_ineligible_with_a_reason(vote, council, voters, alice):
    pitched_round(vote, council, alice)
    tx = vote.screenProject(ROUND, 2, False, REASON_OUT_OF_SCOPE, {"from": council})
    assert plain(tx.events["ProjectScreened"]) == plain(
        {
            "roundId": ROUND,
            "projectId": 2,
            "eligible": False,
            "reasonCode": REASON_OUT_OF_SCOPE,
        }
    )
    assert vote.project(ROUND, 2)["status"] == INELIGIBLE
    assert vote.project(ROUND, 2)["reasonCode"] == REASON_OUT_OF_SCOPE


def test_an_ineligible_project_needs_a_reason_code(vote, council, voters, alice):
    pitched_round(vote, council, alice)
    with brownie.reverts("BalancedVoteZeroReasonCode: "):
        vote.screenProject(ROUND, 1, False, 0, {"from": council})
    assert vote.project(ROUND, 1)["status"] == PITCHED


def test_the_council_may_revise_a_screening_before_voting(vote, council, voters, alice):
    pitched_round(vote, council, alice)
    vote.screenProject(ROUND, 1, False, REASON_OUT_OF_SCOPE, {"from": council})
    tx = vote.screenProject(ROUND, 1, True, 0, {"from": council})
    assert tx.events["ProjectScreened"]["eligible"]
    assert vote.project(ROUND, 1)["status"] == ELIGIBLE
    assert vote.project(ROUND, 1)["reasonCode"] == 0


def test_only_the_council_screens(vote, council, voters, alice):
    pitched_round(vote, council, alice)
    with brownie.reverts(revert_pattern=not_authorised(alice)):
        vote.screenProject(ROUND, 1, True, 0, {"from": alice})


def test_screening_ends_when_voting_opens(vote, council, voters, alice):
    round_id = open_round(vote, council, alice, [1_000, 2_000], fund=10_000, unscreened=(2,))
    with brownie.reverts(unexpected_state(VOTING, SCREENING, round_id)):
        vote.screenProject(round_id, 2, True, 0, {"from": council})
    assert vote.project(round_id, 2)["status"] == PITCHED


@pytest.mark.parametrize("project_id", [0, 3])
def test_an_unknown_project_cannot_be_screened(vote, council, voters, alice, project_id):
    pitched_round(vote, council, alice)
    with brownie.reverts(f"BalancedVoteUnknownProject: {ROUND}, {project_id}"):
        vote.screenProject(ROUND, project_id, True, 0, {"from": council})


# ------------------------------------------------------- finalise (with ballots: see test_vote_ballots.py)


def closed_round(vote, council, proposer, asks=(10_000, 20_000), fund=50_000):
    """A round whose voting closed with no ballot cast."""
    round_id = open_round(vote, council, proposer, list(asks), fund=fund)
    close_voting(vote, round_id)
    return round_id


def test_a_round_without_votes_funds_nothing_and_returns_its_fund(
    vote, fund, council, outsider, voters, alice
):
    round_id = closed_round(vote, council, alice)
    available = ledger(fund)["available"]
    tx = vote.finalise(round_id, {"from": outsider})
    assert "ProjectFunded" not in tx.events and "RVBurned" not in tx.events
    assert plain(tx.events["RoundFinalised"]) == plain(
        {"roundId": round_id, "totalFundedKopiyky": 0, "unallocatedKopiyky": 50_000, "rvBurned": 0}
    )
    assert plain(tx.events["RoundSettled"]) == plain(
        {"roundId": round_id, "committedKopiyky": 0, "returnedKopiyky": 50_000}
    )
    assert ledger(fund)["available"] == available + 50_000
    assert vote.roundState(round_id) == FINALISED
    assert [vote.project(round_id, i)["funded"] for i in (1, 2)] == [0, 0]


def test_finalisation_waits_for_the_close(vote, council, outsider, voters, alice):
    round_id = open_round(vote, council, alice, [10_000], fund=50_000)
    with brownie.reverts(unexpected_state(VOTING, TALLYING, round_id)):
        vote.finalise(round_id, {"from": outsider})
    assert vote.roundState(round_id) == VOTING


def test_a_round_is_finalised_once(vote, council, outsider, voters, alice):
    round_id = closed_round(vote, council, alice)
    vote.finalise(round_id, {"from": outsider})
    with brownie.reverts(unexpected_state(FINALISED, TALLYING, round_id)):
        vote.finalise(round_id, {"from": outsider})


def test_a_cancelled_round_cannot_be_finalised(vote, council, outsider, voters, alice):
    round_id = closed_round(vote, council, alice)
    vote.cancelRound(round_id, {"from": council})
    with brownie.reverts(unexpected_state(CANCELLED, TALLYING, round_id)):
        vote.finalise(round_id, {"from": outsider})
    assert not vote.round(round_id)["finalised"]


# ---------------------------------------------------------------- cancelRound and refund


@pytest.mark.parametrize(
    "delay, state",
    [(0, SCHEDULED), (DAY, PITCHING), (2 * DAY, SCREENING), (3 * DAY, VOTING), (10 * DAY, TALLYING)],
    ids=["scheduled", "pitching", "screening", "voting", "tallying"],
)
def test_the_council_cancels_a_round_before_finalisation(vote, council, voters, delay, state):
    params, _ = create_round(vote, council, start_delay=DAY // 2)
    if delay:
        mine_at(params[1] - DAY // 2 + delay)
    assert vote.roundState(ROUND) == state
    tx = vote.cancelRound(ROUND, {"from": council})
    assert plain(tx.events["RoundCancelled"]) == plain({"roundId": ROUND, "escrowedToRefund": 0})
    assert vote.round(ROUND)["cancelled"]


def test_a_cancelled_round_returns_its_fund_where_it_came_from(vote, fund, council, voters):
    before = ledger(fund)
    create_round(vote, council, fund=TOKEN_FUND + 400_000)
    tx = vote.cancelRound(ROUND, {"from": council})
    assert plain(tx.events["RoundReleased"]) == plain(
        {"roundId": ROUND, "toTokenFund": TOKEN_FUND, "toAvailable": 400_000}
    )
    assert ledger(fund) == before


def test_only_the_council_cancels(vote, council, voters, alice):
    create_round(vote, council)
    with brownie.reverts(revert_pattern=not_authorised(alice)):
        vote.cancelRound(ROUND, {"from": alice})
    assert not vote.round(ROUND)["cancelled"]


def test_a_finalised_round_cannot_be_cancelled(vote, council, outsider, voters, alice):
    round_id = closed_round(vote, council, alice)
    vote.finalise(round_id, {"from": outsider})
    with brownie.reverts(unexpected_state(FINALISED, VOTING, round_id)):
        vote.cancelRound(round_id, {"from": council})
    assert not vote.round(round_id)["cancelled"]


def test_a_round_is_cancelled_once(vote, council, voters):
    create_round(vote, council)
    vote.cancelRound(ROUND, {"from": council})
    with brownie.reverts(unexpected_state(CANCELLED, VOTING)):
        vote.cancelRound(ROUND, {"from": council})


def test_refunds_only_follow_a_cancellation(vote, council, outsider, voters, alice):
    round_id = open_round(vote, council, alice, [10_000], fund=50_000)
    with brownie.reverts(unexpected_state(VOTING, CANCELLED, round_id)):
        vote.refund(round_id, [1], {"from": outsider})
