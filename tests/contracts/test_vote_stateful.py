"""Stateful test of the balanced vote: random ballots, revisions, withdrawals, suspensions, migrations,
cancellations, refunds and finalisations in three rounds at once (one per allocation rule).

Each rule either predicts the exact revert (a custom error with its arguments) or applies the change to a
Python model; the invariants compare the chain to the model after every step.
"""

import brownie
import pytest
from brownie import accounts
from brownie.test import strategy
from cts_helpers import h, rules
from hypothesis import strategies as hypothesis_strategies
from stateful_compat import budget, state_machine
from vote_model import (
    ACTIVE,
    CANCELLED,
    FINALISED,
    GREEDY_BY_WEIGHT,
    PROPORTIONAL_TO_WEIGHT,
    QUADRATIC_FUNDING,
    REASON_OUT_OF_SCOPE,
    SUSPENDED,
    TALLYING,
    VOTING,
    RoundModel,
    allocate,
    chain_tallies,
    give_rv,
    mine_at,
    open_rounds,
    plain,
)

ASKS = [150_000, 250_000, 400_000, 100_000]
ELIGIBLE_PROJECTS = [True, True, True, False]  # project 4 is screened out
PROJECTS = len(ASKS)
FUND = 500_000
# round id -> (rule, fewest projects per ballot, most, most credits per project (0: no cap), co-financed)
ROUND_RULES = {
    1: rules(QUADRATIC_FUNDING, 1, 3, 0),
    2: rules(PROPORTIONAL_TO_WEIGHT, 1, 4, 12),
    3: rules(GREEDY_BY_WEIGHT, 2, 4, 0),
}
RV = {1: 40, 2: 30, 3: 20, 4: 10}  # resident id -> RV earned
UINT64_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def voters(cases, registry, council, registrar, coordinator, verifiers, residents, capital):
    """Alice, Bob, Carol and Dave (resident ids 1-4) with 40, 30, 20 and 10 RV."""
    dave = accounts[11]
    registry.addResident(dave, h("identity-check-dave"), {"from": registrar})
    everyone = [*residents, dave]
    give_rv(cases, council, coordinator, verifiers[0], {a: RV[i] for i, a in enumerate(everyone, start=1)})
    return everyone


@pytest.fixture(scope="module")
def rounds(vote, council, voters):
    """Rounds 1-3, one per rule, with the same four projects, open for voting."""
    return open_rounds(vote, council, voters[0], ASKS, list(ROUND_RULES.values()), fund=FUND, ineligible=(4,))


class StateMachine:
    """Hypothesis tries the simplest examples first, many of them: all-zero data, that is the rule with the
    fewest arguments (then the alphabetically first) with the smallest values. Hence casting a well-formed
    ballot takes one argument, every other rule two or more, and the rules that end voting, suspend or
    migrate act only on the largest value of `st_one_in_three`. (Finalisation before the close and refunds
    before a cancellation are left to test_vote_lifecycle.py.)"""

    st_round = strategy("uint8", min_value=1, max_value=3)
    st_resident = strategy("uint8", min_value=1, max_value=4)
    st_ids = strategy("uint8[]", min_length=0, max_length=5, max_value=PROJECTS + 1)
    st_credits = strategy("uint8[]", min_length=0, max_length=5, max_value=15)
    st_well_formed = hypothesis_strategies.tuples(  # round, resident, eligible project ids, their credits
        strategy("uint8", min_value=1, max_value=3),
        strategy("uint8", min_value=1, max_value=4),
        strategy("uint8[]", min_length=1, max_length=3, min_value=1, max_value=3, unique=True),
        strategy("uint8[]", min_length=3, max_length=3, min_value=1, max_value=14),
    )
    st_residents = strategy("uint8[]", min_length=1, max_length=4, min_value=1, max_value=5)
    st_one_in_three = strategy("uint8", max_value=2)

    def __init__(cls, vote, token, registry, council, registrar, voters, spare_accounts):
        cls.vote = vote
        cls.token = token
        cls.registry = registry
        cls.council = council
        cls.registrar = registrar
        cls.voters = voters
        cls.spare_accounts = spare_accounts
        cls.vote_end = vote.round(1)["params"]["voteEnd"]
        cls.starting_views = {}

    def setup(self):
        self.address = dict(enumerate(self.voters, start=1))
        self.status = dict.fromkeys(self.address, ACTIVE)
        self.balance = dict(RV)
        self.spare = list(self.spare_accounts)
        self.closed = False
        self.state = dict.fromkeys(ROUND_RULES, VOTING)
        self.models = {round_id: RoundModel(PROJECTS) for round_id in ROUND_RULES}
        self.refunded = {round_id: set() for round_id in ROUND_RULES}
        self.burned = dict.fromkeys(ROUND_RULES, 0)
        self.funded = {}
        # (invariant, what) -> the model's view when the chain was last compared with it. Every example starts
        # from the same chain snapshot, so only the first example compares the starting state in full.
        self.compared = dict(type(self).starting_views)
        self.starting_views_of_this_example = self.all_views()

    def teardown(self):
        type(self).starting_views = self.starting_views_of_this_example

    def changed(self, invariant, what, view):
        """Whether the model's `view` of `what` changed since `invariant` last compared it with the chain.

        Calls to Ganache cost about 30 ms each, so the invariants read the chain only for what the model
        says changed (the round a step touched, the balances it moved), plus cheap totals over all rounds
        on every step: a change the model did not predict shows up there or at the next comparison."""
        key = (invariant, what)
        if self.compared.get(key) == view:
            return False
        self.compared[key] = view
        return True

    def all_views(self):
        """The model's views of every round and balance, keyed as `changed` keys them."""
        views = {}
        for round_id in ROUND_RULES:
            for invariant in ("escrow", "tallies", "funding"):
                views[invariant, round_id] = self.round_view(round_id)
        for resident_id, account in self.address.items():
            views["balance", resident_id] = (account, self.balance[resident_id])
        return views

    def round_view(self, round_id):
        """Everything the model knows about a round, as one comparable value."""
        ballots = tuple(
            sorted((r, tuple(sorted(b.items()))) for r, b in self.models[round_id].ballots.items())
        )
        return (self.round_state(round_id), ballots, tuple(sorted(self.refunded[round_id])))

    # ------------------------------------------------------------ the model's predictions

    def round_state(self, round_id):
        state = self.state[round_id]
        return TALLYING if state == VOTING and self.closed else state

    def escrow(self, round_id):
        """What the round holds: its ballots' credits, less refunds; nothing once finalised."""
        if self.state[round_id] == FINALISED:
            return 0
        ballots = self.models[round_id].ballots
        return sum(sum(b.values()) for rid, b in ballots.items() if rid not in self.refunded[round_id])

    def ballot_error(self, round_id, resident_id, ids, credits):
        """The revert message of castBallot, checked in the contract's order; None if it succeeds."""
        state = self.round_state(round_id)
        if state != VOTING:
            return f"BalancedVoteUnexpectedRoundState: {round_id}, {state}, {VOTING}"
        account = self.address[resident_id].address.lower()
        if self.status[resident_id] != ACTIVE:
            return f"ResidentRegistryNotActive: {account}, {self.status[resident_id]}"
        _, fewest, most, cap, _ = ROUND_RULES[round_id]
        if not ids:
            return "BalancedVoteEmptyBallot: "
        if len(ids) != len(credits):
            return f"BalancedVoteLengthMismatch: {len(ids)}, {len(credits)}"
        if not fewest <= len(ids) <= most:
            return f"BalancedVoteBallotSize: {len(ids)}, {fewest}, {most}"
        for k, (project_id, amount) in enumerate(zip(ids, credits, strict=True)):
            if k > 0 and project_id == ids[k - 1]:
                return f"BalancedVoteDuplicateProject: {project_id}"
            if k > 0 and project_id < ids[k - 1]:
                return f"BalancedVoteProjectsNotSorted: {project_id}, {ids[k - 1]}"
            if not 1 <= project_id <= PROJECTS:
                return f"BalancedVoteUnknownProject: {round_id}, {project_id}"
            if not ELIGIBLE_PROJECTS[project_id - 1]:
                return f"BalancedVoteProjectNotEligible: {round_id}, {project_id}"
            if amount == 0:
                return f"BalancedVoteZeroCredits: {project_id}"
            if amount > (cap or UINT64_MAX):
                return f"BalancedVoteCreditsAboveCap: {project_id}, {amount}, {cap or UINT64_MAX}"
        needed = sum(credits) - self.models[round_id].escrow_of(resident_id)
        if needed > self.balance[resident_id]:
            return f"BalancedVoteInsufficientRV: {account}, {needed}, {self.balance[resident_id]}"
        return None

    def expected_allocation(self, round_id):
        weights = [t.weight for t in self.models[round_id].tallies()]
        return allocate(ROUND_RULES[round_id][0], FUND, weights, ASKS, ELIGIBLE_PROJECTS)

    # ------------------------------------------------------------ rules

    def _cast(self, round_id, resident_id, ids, credits):
        voter = self.address[resident_id]
        error = self.ballot_error(round_id, resident_id, ids, credits)
        if error is not None:
            with brownie.reverts(error):
                self.vote.castBallot(round_id, ids, credits, {"from": voter})
            return
        tx = self.vote.castBallot(round_id, ids, credits, {"from": voter})
        assert plain(tx.events["BallotCast"]) == plain(
            {
                "roundId": round_id,
                "residentId": resident_id,
                "voter": voter,
                "projectIds": ids,
                "credits": credits,
                "totalCredits": sum(credits),
            }
        )
        self.balance[resident_id] -= sum(credits) - self.models[round_id].escrow_of(resident_id)
        self.models[round_id].cast(resident_id, dict(zip(ids, credits, strict=True)))

    def rule_cast_any_ballot(self, st_round, st_resident, st_ids, st_credits):
        """Whatever the arrays: most such ballots are malformed and must revert with their error."""
        self._cast(st_round, st_resident, st_ids, st_credits)

    def rule_cast_a_well_formed_ballot(self, st_well_formed):
        """Eligible projects in order with some credits: rejected only by state, size, cap or balance."""
        round_id, resident_id, ids, credits = st_well_formed
        self._cast(round_id, resident_id, sorted(ids), credits[: len(ids)])

    def rule_revise_a_ballot(self, st_well_formed):
        """The same again, so that ballots are cast and revised more often than anything else happens."""
        self.rule_cast_a_well_formed_ballot(st_well_formed)

    def rule_withdraw(self, st_round, st_resident):
        voter = self.address[st_resident]
        state = self.round_state(st_round)
        held = self.models[st_round].escrow_of(st_resident)
        if state != VOTING:
            error = f"BalancedVoteUnexpectedRoundState: {st_round}, {state}, {VOTING}"
        elif self.status[st_resident] != ACTIVE:
            error = f"ResidentRegistryNotActive: {voter.address.lower()}, {self.status[st_resident]}"
        elif held == 0:
            error = f"BalancedVoteNoBallot: {st_round}, {st_resident}"
        else:
            tx = self.vote.withdrawBallot(st_round, {"from": voter})
            assert plain(tx.events["BallotCast"]) == plain(
                {
                    "roundId": st_round,
                    "residentId": st_resident,
                    "voter": voter,
                    "projectIds": (),
                    "credits": (),
                    "totalCredits": 0,
                }
            )
            self.balance[st_resident] += held
            self.models[st_round].cast(st_resident, {})
            return
        with brownie.reverts(error):
            self.vote.withdrawBallot(st_round, {"from": voter})

    def rule_suspend_or_reinstate(self, st_resident, st_one_in_three):
        """The registrar suspends an active resident or reinstates a suspended one (one time in three)."""
        if st_one_in_three != 2:
            return
        account = self.address[st_resident]
        if self.status[st_resident] == ACTIVE:
            self.registry.suspendResident(account, REASON_OUT_OF_SCOPE, {"from": self.registrar})
            self.status[st_resident] = SUSPENDED
        else:
            self.registry.reinstateResident(account, {"from": self.registrar})
            self.status[st_resident] = ACTIVE

    def rule_migrate(self, st_resident, st_one_in_three):
        """The resident moves to a new address with their RV, keeping their ballots (one time in three)."""
        if st_one_in_three == 2 and self.spare:
            new_address = self.spare.pop()
            self.registry.migrateResident(self.address[st_resident], new_address, {"from": self.registrar})
            self.address[st_resident] = new_address

    def rule_voting_closes_and_a_round_is_finalised(self, st_round, st_one_in_three):
        """Voting closes if it has not, and anyone finalises a round (one time in three that this rule is
        drawn, so that ballots come first)."""
        if st_one_in_three != 2:
            return
        if not self.closed:
            mine_at(self.vote_end)
            self.closed = True
        state = self.round_state(st_round)
        if state != TALLYING:
            with brownie.reverts(f"BalancedVoteUnexpectedRoundState: {st_round}, {state}, {TALLYING}"):
                self.vote.finalise(st_round, {"from": self.voters[1]})
            return
        expected = self.expected_allocation(st_round)
        escrowed = self.escrow(st_round)
        tx = self.vote.finalise(st_round, {"from": self.voters[1]})
        assert plain(tx.events["RoundFinalised"]) == plain(
            {
                "roundId": st_round,
                "totalFundedKopiyky": sum(expected),
                "unallocatedKopiyky": FUND - sum(expected),
                "rvBurned": escrowed,
            }
        )
        self.state[st_round] = FINALISED
        self.burned[st_round] = escrowed
        self.funded[st_round] = expected

    def rule_council_cancels(self, st_round, st_one_in_three):
        """The council cancels a round (one time in three that this rule is drawn)."""
        if st_one_in_three != 2:
            return
        state = self.round_state(st_round)
        if state in (FINALISED, CANCELLED):
            with brownie.reverts(f"BalancedVoteUnexpectedRoundState: {st_round}, {state}, {VOTING}"):
                self.vote.cancelRound(st_round, {"from": self.council})
            return
        tx = self.vote.cancelRound(st_round, {"from": self.council})
        assert tx.events["RoundCancelled"]["escrowedToRefund"] == self.escrow(st_round)
        self.state[st_round] = CANCELLED

    def rule_refund(self, st_round, st_residents):
        """Anyone refunds residents of a cancelled round (some already refunded, some without a ballot)."""
        if self.state[st_round] != CANCELLED:
            return
        tx = self.vote.refund(st_round, st_residents, {"from": self.voters[0]})
        paid = []
        for resident_id in st_residents:
            held = self.models[st_round].escrow_of(resident_id)
            if held and resident_id not in self.refunded[st_round]:
                self.refunded[st_round].add(resident_id)
                self.balance[resident_id] += held
                paid.append((st_round, resident_id, self.address[resident_id].address, held))
        events = list(tx.events["RefundPaid"]) if "RefundPaid" in tx.events else []
        assert [plain(tuple(event.values())) for event in events] == paid

    # ------------------------------------------------------------ invariants

    def invariant_escrow_equals_the_current_ballots(self):
        """Each round escrows exactly the credits of its current (unrefunded) ballots and counts their
        voters; the vote contract holds the sum over the rounds; each resident holds the rest of their RV."""
        assert self.token.balanceOf(self.vote) == sum(self.escrow(r) for r in ROUND_RULES)
        for round_id in ROUND_RULES:
            if self.changed("escrow", round_id, self.round_view(round_id)):
                stored = self.vote.round(round_id)
                assert stored["escrowed"] == self.escrow(round_id)
                assert stored["voters"] == self.models[round_id].voters
        for resident_id, account in self.address.items():
            if self.changed("balance", resident_id, (account, self.balance[resident_id])):
                assert self.token.balanceOf(account) == self.balance[resident_id]

    def invariant_tallies_are_recomputed_from_the_ballots(self):
        """Each project's weight (the sum of isqrt(credits * 10**18)), credits and supporters equal the
        recomputation from the current ballots."""
        for round_id, model in self.models.items():
            if self.changed("tallies", round_id, self.round_view(round_id)):
                assert chain_tallies(self.vote, round_id, PROJECTS) == model.tallies()

    def invariant_funding_stays_within_the_fund_and_the_asks(self):
        """What finalisation funded (or would fund now) is the model's allocation, never more than the fund
        in total nor more than any project's ask."""
        for round_id in ROUND_RULES:
            if not self.changed("funding", round_id, self.round_view(round_id)):
                continue
            if self.state[round_id] == FINALISED:
                amounts = [self.vote.project(round_id, p)["funded"] for p in range(1, PROJECTS + 1)]
                assert amounts == self.funded[round_id]
                assert self.vote.round(round_id)["totalFunded"] == sum(amounts)
            else:
                amounts, total = plain(self.vote.previewAllocation(round_id))
                assert list(amounts) == self.expected_allocation(round_id) and total == sum(amounts)
            assert sum(amounts) <= FUND
            assert all(amount <= ask for amount, ask in zip(amounts, ASKS, strict=True))

    def invariant_nothing_is_escrowed_after_finalisation(self):
        """A finalised round holds no RV: what it escrowed was burned."""
        assert self.token.totalBurned() == sum(self.burned.values())
        for round_id, state in self.state.items():
            if state == FINALISED and self.changed("burned", round_id, state):
                stored = self.vote.round(round_id)
                assert stored["escrowed"] == 0 and stored["rvBurned"] == self.burned[round_id]


def test_the_vote_keeps_its_books_whatever_residents_and_the_council_do(
    vote, token, registry, council, registrar, voters, rounds
):
    state_machine(
        StateMachine,
        vote,
        token,
        registry,
        council,
        registrar,
        voters,
        accounts[13:20],
        settings=budget(max_examples=15, stateful_step_count=20),
    )
