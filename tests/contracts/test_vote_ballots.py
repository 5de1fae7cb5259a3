"""Ballots in a balanced-vote round: casting, revising, withdrawing, and what finalisation makes of them.

Three rounds open together with the same six projects (1-4 eligible, 5 screened out, 6 never screened),
one per allocation rule. Carol already has a ballot in round 1. Every tally and allocation is compared with
the independent Python model in vote_model.py.
"""

import brownie
import pytest
from brownie import accounts, chain
from cts_helpers import h, rules, sign_forward_request
from eth_utils import keccak
from vote_model import (
    GREEDY_BY_WEIGHT,
    MIGRATED,
    PROPORTIONAL_TO_WEIGHT,
    QUADRATIC_FUNDING,
    REASON_OUT_OF_SCOPE,
    SCREENING,
    SUSPENDED,
    TALLYING,
    VOTING,
    RoundModel,
    allocate,
    capped_proportional,
    chain_tallies,
    close_voting,
    give_rv,
    open_rounds,
    plain,
    weight,
)

ASKS = [100_000, 300_000, 400_000, 500_000, 200_000, 50_000]
ELIGIBLE_PROJECTS = [True, True, True, True, False, False]
PROJECTS = len(ASKS)
FUND = 1_000_000
CAP = 25  # most credits per project in round 1
ROUND_OF_RULE = {QUADRATIC_FUNDING: 1, PROPORTIONAL_TO_WEIGHT: 2, GREEDY_BY_WEIGHT: 3}
ROUND_RULES = [
    rules(QUADRATIC_FUNDING, 1, 4, CAP),
    rules(PROPORTIONAL_TO_WEIGHT, 2, 4, 0),  # ballots name at least two projects
    rules(GREEDY_BY_WEIGHT, 1, 4, 0),
]
CAROLS_BALLOT = {1: 4, 2: 6}  # standing in round 1
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4  # resident ids


@pytest.fixture(scope="module")
def voters(cases, registry, council, registrar, coordinator, verifiers, residents, capital):
    """Alice, Bob and Carol with 30, 20 and 40 RV; Dave, registered as resident 4, with none."""
    alice, bob, carol = residents
    registry.addResident(accounts[11], h("identity-check-dave"), {"from": registrar})
    give_rv(cases, council, coordinator, verifiers[0], {alice: 30, bob: 20, carol: 40})
    return residents


@pytest.fixture(scope="module")
def dave(voters):
    return accounts[11]


@pytest.fixture(scope="module")
def rounds(vote, council, voters, carol):
    """Rounds 1-3 (one per rule) open for voting; Carol's ballot stands in round 1."""
    round_ids = open_rounds(
        vote, council, voters[0], ASKS, ROUND_RULES, fund=FUND, ineligible=(5,), unscreened=(6,)
    )
    vote.castBallot(1, list(CAROLS_BALLOT), list(CAROLS_BALLOT.values()), {"from": carol})
    return round_ids


def model_of(ballots=None, round_id=1):
    """The model of round `round_id` holding these ballots (round 1 also Carol's standing one)."""
    model = RoundModel(PROJECTS)
    if round_id == 1:
        model.cast(CAROL, CAROLS_BALLOT)
    for resident_id, ballot in (ballots or {}).items():
        model.cast(resident_id, ballot)
    return model


def cast(vote, round_id, voter, ballot):
    ids = sorted(ballot)
    return vote.castBallot(round_id, ids, [ballot[i] for i in ids], {"from": voter})


def observable(vote, token, voter, resident_id, round_id):
    """Everything a ballot can change, for checking that a rejected one changed nothing."""
    stored = vote.round(round_id)
    tallies = [vote.tally(round_id, project_id) for project_id in range(1, stored["projectCount"] + 1)]
    balances = (token.balanceOf(voter), token.balanceOf(vote))
    return plain((balances, stored, tallies, vote.ballotOf(round_id, resident_id)))


def assert_rejected(vote, token, voter, resident_id, ids, credits, error, round_id=1):
    """The ballot reverts with `error` (a full revert message) and changes nothing."""
    before = observable(vote, token, voter, resident_id, round_id)
    with brownie.reverts(error):
        vote.castBallot(round_id, ids, credits, {"from": voter})
    assert observable(vote, token, voter, resident_id, round_id) == before


def not_active(account, status):
    return f"ResidentRegistryNotActive: {str(account).lower()}, {status}"


# ---------------------------------------------------------------- casting


def test_a_ballot_escrows_its_credits_and_adds_them_to_the_tallies(vote, token, rounds, alice):
    tx = cast(vote, 1, alice, {1: 9, 3: 4})
    assert plain(tx.events["BallotCast"]) == plain(
        {
            "roundId": 1,
            "residentId": ALICE,
            "voter": alice,
            "projectIds": (1, 3),
            "credits": (9, 4),
            "totalCredits": 13,
        }
    )
    assert plain(tx.events["Transfer"]) == plain({"from": alice, "to": vote, "value": 13})
    assert token.balanceOf(alice) == 30 - 13
    assert token.balanceOf(vote) == vote.round(1)["escrowed"] == 13 + 10
    assert vote.round(1)["voters"] == 2
    assert chain_tallies(vote, 1, PROJECTS) == model_of({ALICE: {1: 9, 3: 4}}).tallies()
    assert plain(vote.ballotOf(1, ALICE)) == ((1, 3), (9, 4))
    assert plain(vote.voterOf(1, ALICE)) == (0b101, 13, False)


def test_a_weight_is_the_integer_square_root_of_credits_times_ten_to_the_eighteenth(vote, rounds, alice):
    cast(vote, 1, alice, {1: 2})
    # Carol's 4 credits weigh exactly 2 * 10^9; Alice's 2 weigh isqrt(2 * 10^18).
    assert vote.tally(1, 1)["weight"] == 2_000_000_000 + 1_414_213_562 == weight(4) + weight(2)


def test_the_tallies_add_up_the_ballots_of_several_residents(vote, rounds, alice, bob):
    cast(vote, 1, alice, {1: 16, 2: 9})
    cast(vote, 1, bob, {2: 1, 3: 4, 4: 3})
    model = model_of({ALICE: {1: 16, 2: 9}, BOB: {2: 1, 3: 4, 4: 3}})
    assert chain_tallies(vote, 1, PROJECTS) == model.tallies()
    assert vote.round(1)["voters"] == model.voters == 3
    assert vote.round(1)["escrowed"] == model.escrowed == 10 + 25 + 8


def test_a_resident_votes_in_several_rounds_at_once(vote, token, rounds, alice):
    cast(vote, 2, alice, {1: 5, 2: 5})
    cast(vote, 3, alice, {4: 7})
    assert token.balanceOf(alice) == 30 - 17
    assert [vote.round(r)["escrowed"] for r in (1, 2, 3)] == [10, 10, 7]
    assert token.balanceOf(vote) == 27


# ---------------------------------------------------------------- revising and withdrawing


def test_a_revision_pulls_only_the_extra_credits(vote, token, rounds, carol):
    tx = cast(vote, 1, carol, {1: 4, 2: 9, 3: 5})
    assert plain(tx.events["Transfer"]) == plain({"from": carol, "to": vote, "value": 8})
    assert plain(tx.events["BallotCast"]) == plain(
        {
            "roundId": 1,
            "residentId": CAROL,
            "voter": carol,
            "projectIds": (1, 2, 3),
            "credits": (4, 9, 5),
            "totalCredits": 18,
        }
    )
    assert token.balanceOf(carol) == 40 - 18
    assert vote.round(1)["escrowed"] == 18 and vote.round(1)["voters"] == 1
    model = RoundModel(PROJECTS, {CAROL: {1: 4, 2: 9, 3: 5}})
    assert chain_tallies(vote, 1, PROJECTS) == model.tallies()


def test_a_revision_returns_only_the_credits_taken_back(vote, token, rounds, carol):
    tx = cast(vote, 1, carol, {2: 3})
    assert plain(tx.events["Transfer"]) == plain({"from": vote, "to": carol, "value": 7})
    assert token.balanceOf(carol) == 40 - 3
    assert vote.round(1)["escrowed"] == 3 and vote.round(1)["voters"] == 1
    assert plain(vote.tally(1, 1)) == (0, 0, 0)
    assert chain_tallies(vote, 1, PROJECTS) == RoundModel(PROJECTS, {CAROL: {2: 3}}).tallies()


def test_a_revision_that_only_moves_credits_moves_no_rv(vote, token, rounds, carol):
    tx = cast(vote, 1, carol, {3: 5, 4: 5})
    assert "Transfer" not in tx.events
    assert tx.events["BallotCast"]["totalCredits"] == 10
    assert token.balanceOf(carol) == 30
    assert chain_tallies(vote, 1, PROJECTS) == RoundModel(PROJECTS, {CAROL: {3: 5, 4: 5}}).tallies()
    assert plain(vote.ballotOf(1, CAROL)) == ((3, 4), (5, 5))


def test_withdrawing_returns_all_the_rv_and_clears_the_tallies(vote, token, rounds, carol):
    tx = vote.withdrawBallot(1, {"from": carol})
    assert plain(tx.events["BallotCast"]) == plain(
        {
            "roundId": 1,
            "residentId": CAROL,
            "voter": carol,
            "projectIds": (),
            "credits": (),
            "totalCredits": 0,
        }
    )
    assert plain(tx.events["Transfer"]) == plain({"from": vote, "to": carol, "value": 10})
    assert token.balanceOf(carol) == 40 and token.balanceOf(vote) == 0
    assert vote.round(1)["escrowed"] == vote.round(1)["voters"] == 0
    assert all(plain(vote.tally(1, p)) == (0, 0, 0) for p in range(1, PROJECTS + 1))
    assert plain(vote.ballotOf(1, CAROL)) == ((), ())


def test_withdrawing_without_a_ballot_reverts(vote, rounds, alice):
    with brownie.reverts(f"BalancedVoteNoBallot: 1, {ALICE}"):
        vote.withdrawBallot(1, {"from": alice})


def test_ballots_cannot_be_withdrawn_after_the_close(vote, token, rounds, carol):
    close_voting(vote, 1)
    with brownie.reverts(f"BalancedVoteUnexpectedRoundState: 1, {TALLYING}, {VOTING}"):
        vote.withdrawBallot(1, {"from": carol})
    assert vote.round(1)["escrowed"] == 10 and token.balanceOf(carol) == 30


def test_a_resident_without_a_ballot_has_an_empty_one(vote, rounds):
    assert plain(vote.ballotOf(1, BOB)) == ((), ())
    assert plain(vote.voterOf(1, BOB)) == (0, 0, False)


def test_a_migrated_resident_keeps_and_revises_their_ballot_from_the_new_address(
    vote, token, registry, registrar, rounds, carol
):
    new_carol = accounts[12]
    registry.migrateResident(carol, new_carol, {"from": registrar})
    assert plain(vote.ballotOf(1, CAROL)) == ((1, 2), (4, 6))
    with brownie.reverts(not_active(carol, MIGRATED)):
        cast(vote, 1, carol, {1: 4})
    tx = cast(vote, 1, new_carol, {1: 4, 2: 2})
    assert plain(tx.events["BallotCast"]) == plain(
        {
            "roundId": 1,
            "residentId": CAROL,
            "voter": new_carol,
            "projectIds": (1, 2),
            "credits": (4, 2),
            "totalCredits": 6,
        }
    )
    assert plain(tx.events["Transfer"]) == plain({"from": vote, "to": new_carol, "value": 4})
    assert token.balanceOf(new_carol) == 34 and token.balanceOf(carol) == 0
    assert chain_tallies(vote, 1, PROJECTS) == RoundModel(PROJECTS, {CAROL: {1: 4, 2: 2}}).tallies()


def test_a_suspended_residents_ballot_stays_counted_but_cannot_be_changed(
    vote, token, registry, registrar, rounds, carol
):
    registry.suspendResident(carol, REASON_OUT_OF_SCOPE, {"from": registrar})
    assert_rejected(vote, token, carol, CAROL, [1], [1], not_active(carol, SUSPENDED))
    with brownie.reverts(not_active(carol, SUSPENDED)):
        vote.withdrawBallot(1, {"from": carol})
    assert chain_tallies(vote, 1, PROJECTS) == model_of().tallies()


def test_a_relayer_submits_a_residents_signed_ballot(
    vote, token, forwarder, registry, cases, council, registrar, coordinator, verifiers, relayer, rounds
):
    key = keccak(text="erin's custodial key")
    erin = accounts.add(key.hex())
    registry.addResident(erin, h("identity-check-erin"), {"from": registrar})
    give_rv(cases, council, coordinator, verifiers[0], {erin: 5}, label="erin")
    data = vote.castBallot.encode_input(1, [2, 4], [1, 4])
    request = sign_forward_request(forwarder, key, erin, vote, data, deadline=chain[-1].timestamp + 3600)
    tx = forwarder.execute(request, {"from": relayer})
    assert tx.events["ExecutedForwardRequest"]["success"]
    assert plain(tx.events["BallotCast"]) == plain(
        {
            "roundId": 1,
            "residentId": 5,
            "voter": erin,
            "projectIds": (2, 4),
            "credits": (1, 4),
            "totalCredits": 5,
        }
    )
    assert token.balanceOf(erin) == 0 and erin.balance() == 0
    assert plain(vote.ballotOf(1, 5)) == ((2, 4), (1, 4))


# ---------------------------------------------------------------- rejected ballots


def test_ballots_are_cast_only_while_voting_is_open(vote, token, rounds, alice):
    close_voting(vote, 1)
    assert_rejected(
        vote, token, alice, ALICE, [1], [1], f"BalancedVoteUnexpectedRoundState: 1, {TALLYING}, {VOTING}"
    )


def test_ballots_cannot_be_cast_before_voting_opens(vote, token, council, rounds, alice):
    params = list(vote.round(1)["params"])
    now = chain[-1].timestamp
    params[1:5] = [now - 10, now, now + 100, now + 200]  # screening now
    vote.createRound(params, {"from": council})
    assert_rejected(
        vote,
        token,
        alice,
        ALICE,
        [1],
        [1],
        f"BalancedVoteUnexpectedRoundState: 4, {SCREENING}, {VOTING}",
        round_id=4,
    )


def test_an_unregistered_account_cannot_vote(vote, token, rounds, outsider):
    assert_rejected(vote, token, outsider, 99, [1], [1], not_active(outsider, 0))


def test_a_ballot_cannot_name_an_ineligible_project(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1, 5], [1, 1], "BalancedVoteProjectNotEligible: 1, 5")


def test_a_ballot_cannot_name_an_unscreened_project(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [6], [1], "BalancedVoteProjectNotEligible: 1, 6")


@pytest.mark.parametrize("project_id", [0, PROJECTS + 1])
def test_a_ballot_cannot_name_an_unknown_project(vote, token, rounds, carol, project_id):
    assert_rejected(
        vote, token, carol, CAROL, [project_id], [1], f"BalancedVoteUnknownProject: 1, {project_id}"
    )


def test_a_ballot_cannot_spend_more_rv_than_the_resident_holds(vote, token, rounds, alice):
    assert_rejected(
        vote,
        token,
        alice,
        ALICE,
        [1],
        [31],
        f"BalancedVoteInsufficientRV: {alice.address.lower()}, 31, 30",
        round_id=3,
    )


def test_a_revision_cannot_spend_more_rv_than_the_resident_holds_beyond_their_escrow(
    vote, token, rounds, carol
):
    # Carol holds 30 RV besides the 10 escrowed: 41 credits need 31 more.
    assert_rejected(
        vote,
        token,
        carol,
        CAROL,
        [1, 2],
        [20, 21],
        f"BalancedVoteInsufficientRV: {carol.address.lower()}, 31, 30",
    )


def test_a_resident_with_no_rv_cannot_vote(vote, token, rounds, dave):
    assert_rejected(
        vote, token, dave, DAVE, [1], [1], f"BalancedVoteInsufficientRV: {dave.address.lower()}, 1, 0"
    )


def test_a_ballot_cannot_name_a_project_twice(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1, 2, 2], [1, 1, 1], "BalancedVoteDuplicateProject: 2")


def test_a_ballot_names_its_projects_in_increasing_order(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [2, 1], [1, 1], "BalancedVoteProjectsNotSorted: 1, 2")


def test_a_ballot_gives_every_named_project_some_credits(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1, 2], [3, 0], "BalancedVoteZeroCredits: 2")


def test_a_ballot_respects_the_cap_on_credits_per_project(vote, token, rounds, carol):
    vote.castBallot(1, [1], [CAP], {"from": carol})
    assert_rejected(
        vote, token, carol, CAROL, [1], [CAP + 1], f"BalancedVoteCreditsAboveCap: 1, {CAP + 1}, {CAP}"
    )


def test_an_empty_ballot_is_rejected(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [], [], "BalancedVoteEmptyBallot: ")


def test_a_ballot_gives_credits_for_each_project_it_names(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1, 2], [3], "BalancedVoteLengthMismatch: 2, 1")


def test_a_ballot_names_no_more_projects_than_the_rules_allow(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1, 2, 3, 4, 5], [1] * 5, "BalancedVoteBallotSize: 5, 1, 4")


def test_a_ballot_names_no_fewer_projects_than_the_rules_ask(vote, token, rounds, carol):
    assert_rejected(vote, token, carol, CAROL, [1], [3], "BalancedVoteBallotSize: 1, 2, 4", round_id=2)


# ---------------------------------------------------------------- finalisation

# Ballots (resident id -> {project id: credits}) that make the quadratic-funding water-filling cap projects
# over three passes and the proportional one over two; Carol's replaces her standing ballot in round 1.
BALLOTS = {
    ALICE: {1: 16, 2: 9, 3: 4, 4: 1},
    BOB: {1: 9, 2: 1, 3: 4, 4: 3},
    CAROL: {2: 4, 3: 4, 4: 2},
}


def voted_round(vote, voters, rule, ballots=None):
    """Casts `ballots` (default BALLOTS) in the round of `rule` and closes its voting."""
    round_id = ROUND_OF_RULE[rule]
    for resident_id, ballot in (ballots or BALLOTS).items():
        cast(vote, round_id, voters[resident_id - 1], ballot)
    close_voting(vote, round_id)
    return round_id


def expected_allocation(rule, ballots=None):
    weights = [t.weight for t in RoundModel(PROJECTS, dict(ballots or BALLOTS)).tallies()]
    return allocate(rule, FUND, weights, ASKS, ELIGIBLE_PROJECTS)


def funded(vote, round_id):
    return [vote.project(round_id, project_id)["funded"] for project_id in range(1, PROJECTS + 1)]


def test_the_scenario_exercises_water_filling():
    weights = [
        t.weight if ok else 0
        for t, ok in zip(RoundModel(PROJECTS, dict(BALLOTS)).tallies(), ELIGIBLE_PROJECTS, strict=True)
    ]
    asks = [a if ok else 0 for a, ok in zip(ASKS, ELIGIBLE_PROJECTS, strict=True)]
    assert capped_proportional(FUND, [w * w for w in weights], asks)[1] == 3
    assert capped_proportional(FUND, weights, asks)[1] == 2


@pytest.mark.parametrize("rule", [QUADRATIC_FUNDING, PROPORTIONAL_TO_WEIGHT, GREEDY_BY_WEIGHT])
def test_finalisation_funds_what_the_rule_computes(vote, outsider, voters, rounds, rule):
    round_id = voted_round(vote, voters, rule)
    expected = expected_allocation(rule)
    tx = vote.finalise(round_id, {"from": outsider})
    tallies = chain_tallies(vote, round_id, PROJECTS)
    assert [plain((e["projectId"], e["weight"], e["fundedKopiyky"])) for e in tx.events["ProjectFunded"]] == [
        (i + 1, tallies[i].weight, amount) for i, amount in enumerate(expected) if amount > 0
    ]
    assert funded(vote, round_id) == expected
    assert all(amount <= ask for amount, ask in zip(expected, ASKS, strict=True)) and sum(expected) <= FUND
    assert vote.round(round_id)["totalFunded"] == sum(expected)


def test_quadratic_funding_caps_at_asks_and_shares_the_rest_by_squared_weight(vote, outsider, voters, rounds):
    round_id = voted_round(vote, voters, QUADRATIC_FUNDING)
    vote.finalise(round_id, {"from": outsider})
    assert funded(vote, round_id) == [100_000, 300_000, 400_000, 200_000, 0, 0]


def test_proportional_funding_shares_the_rest_by_weight_rounding_down(vote, outsider, voters, rounds):
    round_id = voted_round(vote, voters, PROPORTIONAL_TO_WEIGHT)
    vote.finalise(round_id, {"from": outsider})
    assert funded(vote, round_id) == [100_000, 300_000, 354_810, 245_189, 0, 0]
    assert vote.round(round_id)["totalFunded"] == FUND - 1


def test_greedy_funds_whole_asks_by_weight_and_skips_what_does_not_fit(vote, outsider, voters, rounds):
    round_id = voted_round(vote, voters, GREEDY_BY_WEIGHT)
    vote.finalise(round_id, {"from": outsider})
    assert funded(vote, round_id) == [100_000, 300_000, 400_000, 0, 0, 0]


def test_greedy_ties_go_to_the_lower_project_id(vote, outsider, voters, rounds):
    # Projects 3 and 4 weigh the same; after project 2, only one of them fits: project 3.
    ballots = {BOB: {2: 1, 4: 4}, ALICE: {2: 9, 3: 4}}
    round_id = voted_round(vote, voters, GREEDY_BY_WEIGHT, ballots)
    assert plain(vote.tally(round_id, 3)) == plain(vote.tally(round_id, 4))
    vote.finalise(round_id, {"from": outsider})
    assert (
        funded(vote, round_id)
        == expected_allocation(GREEDY_BY_WEIGHT, ballots)
        == [0, 300_000, 400_000, 0, 0, 0]
    )


def test_finalisation_burns_the_rounds_escrow_and_settles_its_fund(
    vote, token, fund, outsider, voters, rounds
):
    round_id = voted_round(vote, voters, PROPORTIONAL_TO_WEIGHT)
    escrowed = sum(sum(ballot.values()) for ballot in BALLOTS.values())
    assert vote.round(round_id)["escrowed"] == escrowed
    supply, before = token.totalSupply(), dict(fund.ledger().dict())
    total = sum(expected_allocation(PROPORTIONAL_TO_WEIGHT))
    tx = vote.finalise(round_id, {"from": outsider})
    assert plain(tx.events["RoundFinalised"]) == plain(
        {
            "roundId": round_id,
            "totalFundedKopiyky": total,
            "unallocatedKopiyky": FUND - total,
            "rvBurned": escrowed,
        }
    )
    assert plain(tx.events["RVBurned"]) == plain({"systemContract": vote, "amount": escrowed})
    assert plain(tx.events["RoundSettled"]) == plain(
        {"roundId": round_id, "committedKopiyky": total, "returnedKopiyky": FUND - total}
    )
    assert token.totalSupply() == supply - escrowed
    assert token.balanceOf(vote) == vote.round(1)["escrowed"] == 10  # Carol's ballot in round 1 stays
    stored = vote.round(round_id)
    assert stored["finalised"] and stored["escrowed"] == 0
    assert stored["rvBurned"] == escrowed and stored["totalFunded"] == total
    after = dict(fund.ledger().dict())
    assert after["roundReserves"] == before["roundReserves"] - FUND
    assert after["committed"] == before["committed"] + total
    assert after["available"] == before["available"] + FUND - total


def test_finalisation_is_what_the_preview_showed(vote, outsider, voters, rounds, alice, bob):
    round_id = voted_round(vote, voters, QUADRATIC_FUNDING)
    previews = [
        plain(vote.previewAllocation(round_id, {"from": caller})) for caller in (alice, bob, outsider)
    ]
    assert previews[0] == previews[1] == previews[2]
    vote.finalise(round_id, {"from": bob})
    amounts, total = previews[0]
    assert tuple(funded(vote, round_id)) == amounts
    assert vote.round(round_id)["totalFunded"] == total


# ---------------------------------------------------------------- cancellation and refunds


def test_refunds_pay_each_voters_escrow_to_their_current_address(
    vote, token, registry, council, registrar, outsider, rounds, alice, bob, carol
):
    cast(vote, 1, alice, {1: 5, 2: 7})
    cast(vote, 1, bob, {2: 3})
    tx = vote.cancelRound(1, {"from": council})
    assert plain(tx.events["RoundCancelled"]) == plain({"roundId": 1, "escrowedToRefund": 12 + 3 + 10})
    new_alice = accounts[12]
    registry.migrateResident(alice, new_alice, {"from": registrar})
    tx = vote.refund(1, [ALICE, BOB, CAROL, DAVE], {"from": outsider})
    assert plain(tx.events["RefundPaid"]) == plain(
        (
            {"roundId": 1, "residentId": ALICE, "account": new_alice, "amount": 12},
            {"roundId": 1, "residentId": BOB, "account": bob, "amount": 3},
            {"roundId": 1, "residentId": CAROL, "account": carol, "amount": 10},
        )
    )
    assert token.balanceOf(new_alice) == 30 and token.balanceOf(bob) == 20 and token.balanceOf(carol) == 40
    assert token.balanceOf(vote) == vote.round(1)["escrowed"] == 0
    assert vote.voterOf(1, ALICE)["refunded"] and not vote.voterOf(1, DAVE)["refunded"]


def test_refunds_skip_residents_already_refunded(vote, token, council, outsider, rounds, alice, carol):
    cast(vote, 1, alice, {1: 5})
    vote.cancelRound(1, {"from": council})
    vote.refund(1, [CAROL], {"from": outsider})
    tx = vote.refund(1, [CAROL, ALICE, CAROL], {"from": outsider})
    assert [event["residentId"] for event in tx.events["RefundPaid"]] == [ALICE]
    assert token.balanceOf(alice) == 30 and token.balanceOf(carol) == 40
    assert vote.round(1)["escrowed"] == 0


def test_a_cancelled_round_takes_no_ballots(vote, token, council, rounds, alice):
    vote.cancelRound(1, {"from": council})
    assert_rejected(vote, token, alice, ALICE, [1], [1], "BalancedVoteUnexpectedRoundState: 1, 6, 3")
