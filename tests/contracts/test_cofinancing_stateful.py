"""Stateful test of CoFinancing: pledges in money, in kind and in a stablecoin, cancellations, fulfilments,
releases of the escrow, lapses, partners (de)activated and the round moved through its stages (or cancelled)
in any order, against a Python model.

Every run starts from the same round in pitching under the co-financing rule (the `pledge_round` fixture):
projects 1 (30,000) and 2 (50,000), which the vote chooses, and 3 (10,000), which the council screens
ineligible; three partners holding an accepted stablecoin, and an outsider. Each rule predicts the exact
revert (a custom error with its arguments) or applies the change to the model; the invariants compare the
chain with the model: per project, every pledge made is open, fulfilled, cancelled or lapsed (in count and
in value); the money pledged is the open and fulfilled money pledges; no money pledge changes from the
opening of voting to the end of the round; the escrow holds exactly the open stablecoin pledges; and the vote
gives each project its gap (its ask minus the money pledged when voting opened), never more than its ask.
"""

import brownie
import pytest
from brownie import PlainERC20, accounts, web3
from brownie.test import strategy
from cofinancing_helpers import (
    ASKS,
    BUSINESS,
    CANCELLED,
    FINALISED,
    FULFILLED,
    INTERNATIONAL_DONOR,
    LAPSED,
    MONEY,
    NGO,
    OPEN,
    PITCHING,
    ROUND_CANCELLED,
    SCREENING,
    STABLECOIN,
    TALLYING,
    VOTING,
    open_round,
    register,
)
from cts_errors import error
from cts_helpers import h
from fund_helpers import earn, sleep_until
from stateful_compat import budget, state_machine

CHOSEN = (1, 2)  # the projects the vote chooses (Alice votes for both; the fund covers both gaps)
TOKENS = 10**12  # each partner's stablecoin balance, approved to CoFinancing
STATUSES = (OPEN, FULFILLED, CANCELLED, LAPSED)


@pytest.fixture(scope="module")
def pledge_round(cofinancing, vote, cases, council, verifiers, programme, residents, capital, alice):
    earn(cases, verifiers[0], alice, 5, tag="cofinancing-stateful")
    for account, sector in zip(accounts[11:14], (BUSINESS, NGO, INTERNATIONAL_DONOR), strict=True):
        register(cofinancing, council, account, sector)
    return open_round(vote, council, residents, co_financed=True)


@pytest.fixture(scope="module")
def escrow_token(cofinancing, council):
    """A stablecoin the council accepts, held and approved by the three partners."""
    token = PlainERC20.deploy({"from": council})
    for account in accounts[11:14]:
        token.mint(account, TOKENS, {"from": council})
        token.approve(cofinancing, TOKENS, {"from": account})
    cofinancing.acceptToken(token, True, {"from": council})
    return token


class StateMachine:
    """Three partners (ids 1 to 3) and an outsider, pledging to a round's three projects."""

    st_who = strategy("uint8", max_value=3)
    st_partner = strategy("uint8", max_value=2)
    st_project = strategy("uint8", min_value=1, max_value=3)
    st_kind = strategy("uint8", max_value=6)
    st_value = strategy("uint32", max_value=50_000)
    st_flag = strategy("bool")
    st_pick = strategy("uint8")
    st_stage = strategy("uint8", max_value=4)

    def __init__(cls, cofinancing, vote, council, alice, outsider, round_id, token):
        cls.cofinancing = cofinancing
        cls.token = token
        cls.vote = vote
        cls.council = council
        cls.alice = alice
        cls.people = [*accounts[11:14], outsider]
        cls.round = round_id

    def setup(self):
        self.stage = PITCHING
        self.active = [True, True, True]
        # id -> {"partner" (index), "project", "kind", "value", "conditional", "status"}, "amount" (tokens)
        self.pledges = {}
        self.receipts = []
        self.frozen = None  # at the opening of voting: {project: (pledged money, money pledges counted)}
        self.money_at_vote = None  # the model's money pledged per project when voting opened
        self.serial = 0

    def _next(self, label):
        self.serial += 1
        return h(f"{label}-{self.serial}")

    def _pick(self, st_pick):
        """A pledge id, 0 (unknown) now and then."""
        return st_pick % (len(self.pledges) + 1)

    def _counted_money(self, project):
        """The money pledges to `project` that count (open or fulfilled): {id: value}."""
        return {
            i: p["value"]
            for i, p in self.pledges.items()
            if p["project"] == project and p["kind"] == MONEY and p["status"] in (OPEN, FULFILLED)
        }

    # ---------------------------------------------------------------- rules

    def initialize_pledges(self, st_kind, st_value, st_flag, st_stage):
        """Every run starts with pledges made in pitching (partner 1's money to projects 1 and 3, partner 2's
        pledge of `st_kind` to project 3), then the round moved on `st_stage` stages: so that the short runs
        Hypothesis tries first still have pledges to act on, in every stage of the round."""
        self.rule_pledge(0, 1, MONEY, st_value + 1, st_flag)
        self.rule_pledge(0, 3, MONEY, st_value + 2, True)
        self.rule_pledge(1, 3, st_kind, st_value + 1, not st_flag)
        for _ in range(st_stage):
            self.rule_advance()

    def rule_pledge(self, st_who, st_project, st_kind, st_value, st_flag):
        who, project = self.people[st_who], st_project
        args = (self.round, project, st_kind, st_value, st_flag, self._next("agreement"), {"from": who})
        if st_who == 3:
            expected = error("CoFinancingNotPartner", who)
        elif not self.active[st_who]:
            expected = error("CoFinancingPartnerInactive", st_who + 1)
        elif st_kind == 0 or st_kind > 5:
            expected = error("CoFinancingInvalidKind", st_kind)
        elif st_value == 0:
            expected = "CoFinancingZeroValue: "
        elif self.stage in (FINALISED, ROUND_CANCELLED):
            expected = error("CoFinancingRoundClosed", self.round, self.stage)
        elif st_kind == MONEY and self.stage not in (PITCHING, SCREENING):
            expected = error("CoFinancingMoneyFrozen", self.round, self.stage)
        elif project == 3 and self.stage != PITCHING:
            expected = error("CoFinancingProjectIneligible", self.round, project)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.pledge(*args)
            return
        tx = self.cofinancing.pledge(*args)
        pledge_id = len(self.pledges) + 1
        assert tx.return_value == pledge_id
        self.pledges[pledge_id] = {
            "partner": st_who,
            "project": project,
            "kind": st_kind,
            "value": st_value,
            "conditional": st_flag,
            "status": OPEN,
        }

    def rule_pledge_token(self, st_who, st_project, st_value):
        """A stablecoin pledge of `st_value` tokens, which the partner values at 41 kopiyky each."""
        who, project = self.people[st_who], st_project
        value = st_value * 41
        args = (self.round, project, self.token, st_value, value, self._next("gift"), {"from": who})
        if st_value == 0:
            expected = "CoFinancingZeroValue: "
        elif st_who == 3:
            expected = error("CoFinancingNotPartner", who)
        elif not self.active[st_who]:
            expected = error("CoFinancingPartnerInactive", st_who + 1)
        elif self.stage in (FINALISED, ROUND_CANCELLED):
            expected = error("CoFinancingRoundClosed", self.round, self.stage)
        elif project == 3 and self.stage != PITCHING:
            expected = error("CoFinancingProjectIneligible", self.round, project)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.pledgeToken(*args)
            return
        tx = self.cofinancing.pledgeToken(*args)
        pledge_id = len(self.pledges) + 1
        assert tx.return_value == pledge_id
        self.pledges[pledge_id] = {
            "partner": st_who,
            "project": project,
            "kind": STABLECOIN,
            "value": value,
            "amount": st_value,
            "conditional": True,
            "status": OPEN,
        }

    def rule_cancel(self, st_pick, st_who):
        pledge_id, who = self._pick(st_pick), self.people[st_who]
        p = self.pledges.get(pledge_id)
        if p is None:
            expected = error("CoFinancingUnknownPledge", pledge_id)
        elif p["partner"] != st_who:
            expected = error("CoFinancingNotPledger", who, pledge_id)
        elif p["status"] != OPEN:
            expected = error("CoFinancingPledgeNotOpen", pledge_id, p["status"])
        elif p["kind"] == MONEY and self.stage not in (PITCHING, SCREENING, ROUND_CANCELLED):
            expected = error("CoFinancingMoneyFrozen", self.round, self.stage)
        elif p["kind"] == STABLECOIN and self.stage == FINALISED:
            expected = error("CoFinancingEscrowLocked", self.round, self.stage)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.cancelPledge(pledge_id, {"from": who})
            return
        self.cofinancing.cancelPledge(pledge_id, {"from": who})
        p["status"] = CANCELLED

    def rule_fulfil(self, st_pick, st_flag):
        """Fulfil with a fresh receipt, or (st_flag) with one already used when there is one."""
        pledge_id = self._pick(st_pick)
        reuse = st_flag and self.receipts
        receipt = self.receipts[st_pick % len(self.receipts)] if reuse else self._next("receipt")
        p = self.pledges.get(pledge_id)
        if p is None:
            expected = error("CoFinancingUnknownPledge", pledge_id)
        elif p["status"] != OPEN:
            expected = error("CoFinancingPledgeNotOpen", pledge_id, p["status"])
        elif p["kind"] == STABLECOIN:
            expected = error("CoFinancingWrongPledgeKind", pledge_id, STABLECOIN)
        elif reuse:
            expected = error("CoFinancingReceiptUsed", receipt)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.fulfilPledge(pledge_id, receipt, {"from": self.council})
            return
        self.cofinancing.fulfilPledge(pledge_id, receipt, {"from": self.council})
        p["status"] = FULFILLED
        self.receipts.append(receipt)

    def rule_release(self, st_pick, st_flag):
        """The council pays a stablecoin pledge's escrow to the payee (the outsider's account here), with a
        fresh receipt or (st_flag) one already used."""
        pledge_id = self._pick(st_pick)
        reuse = st_flag and self.receipts
        receipt = self.receipts[st_pick % len(self.receipts)] if reuse else self._next("release")
        p = self.pledges.get(pledge_id)
        if p is None:
            expected = error("CoFinancingUnknownPledge", pledge_id)
        elif p["status"] != OPEN:
            expected = error("CoFinancingPledgeNotOpen", pledge_id, p["status"])
        elif p["kind"] != STABLECOIN:
            expected = error("CoFinancingWrongPledgeKind", pledge_id, p["kind"])
        elif self.stage != FINALISED or p["project"] not in CHOSEN:
            expected = error("CoFinancingProjectNotChosen", self.round, p["project"])
        elif reuse:
            expected = error("CoFinancingReceiptUsed", receipt)
        else:
            expected = None
        payee = self.people[3]
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.releaseToken(pledge_id, payee, receipt, {"from": self.council})
            return
        before = self.token.balanceOf(payee)
        self.cofinancing.releaseToken(pledge_id, payee, receipt, {"from": self.council})
        assert self.token.balanceOf(payee) == before + p["amount"]
        p["status"] = FULFILLED
        self.receipts.append(receipt)

    def rule_lapse(self, st_pick, st_who):
        pledge_id, who = self._pick(st_pick), self.people[st_who]
        p = self.pledges.get(pledge_id)
        if p is None:
            expected = error("CoFinancingUnknownPledge", pledge_id)
        elif p["status"] != OPEN:
            expected = error("CoFinancingPledgeNotOpen", pledge_id, p["status"])
        elif not p["conditional"]:
            expected = error("CoFinancingUnconditional", pledge_id)
        elif self.stage not in (FINALISED, ROUND_CANCELLED):
            expected = error("CoFinancingRoundNotClosed", self.round, self.stage)
        elif self.stage == FINALISED and p["project"] in CHOSEN:
            expected = error("CoFinancingProjectChosen", self.round, p["project"])
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.cofinancing.lapsePledge(pledge_id, {"from": who})
            return
        self.cofinancing.lapsePledge(pledge_id, {"from": who})
        p["status"] = LAPSED

    def rule_set_active(self, st_partner, st_flag):
        partner_id = st_partner + 1
        if self.active[st_partner] == st_flag:
            with brownie.reverts(error("CoFinancingPartnerActiveUnchanged", partner_id, st_flag)):
                self.cofinancing.setPartnerActive(partner_id, st_flag, {"from": self.council})
            return
        self.cofinancing.setPartnerActive(partner_id, st_flag, {"from": self.council})
        self.active[st_partner] = st_flag

    def rule_advance(self):
        """The round's next stage: screening (project 3 screened ineligible), voting (1 and 2 eligible),
        tallying (Alice voted for 1 and 2), finalised."""
        params = self.vote.round(self.round)[0]
        if self.stage == PITCHING:
            sleep_until(params[2] + 1)
            self.vote.screenProject(self.round, 3, False, 7, {"from": self.council})
            self.stage = SCREENING
        elif self.stage == SCREENING:
            for project in (1, 2):
                self.vote.screenProject(self.round, project, True, 0, {"from": self.council})
            sleep_until(params[3] + 1)
            self.stage = VOTING
            self.money_at_vote = {project: sum(self._counted_money(project).values()) for project in ASKS}
        elif self.stage == VOTING:
            self.vote.castBallot(self.round, [1, 2], [1, 1], {"from": self.alice})
            sleep_until(params[4] + 1)
            self.stage = TALLYING
        elif self.stage == TALLYING:
            self.vote.finalise(self.round, {"from": self.council})
            self.stage = FINALISED

    def rule_cancel_round(self, st_pick):
        """Now and then (one draw in eight) the council cancels the round before it is finalised."""
        if st_pick % 8 or self.stage in (FINALISED, ROUND_CANCELLED):
            return
        self.vote.cancelRound(self.round, {"from": self.council})
        self.stage = ROUND_CANCELLED

    # ---------------------------------------------------------------- invariants

    def invariant_every_pledge_is_open_fulfilled_cancelled_or_lapsed(self):
        """Per project, the pledges made equal the open, fulfilled, cancelled and lapsed ones, in count and in
        value, and each figure is the model's."""
        for project in ASKS:
            chain = [(int(t[0]), int(t[1])) for t in self.cofinancing.pledgeTotals(self.round, project)]
            mine = [p for p in self.pledges.values() if p["project"] == project]
            by_status = [
                (len(ps), sum(p["value"] for p in ps))
                for ps in ([p for p in mine if p["status"] == status] for status in STATUSES)
            ]
            assert chain[1:] == by_status
            assert chain[0] == (len(mine), sum(p["value"] for p in mine))
            assert chain[0] == tuple(map(sum, zip(*chain[1:], strict=True)))

    def invariant_pledged_money_is_the_open_and_fulfilled_money_pledges(self):
        for project in ASKS:
            assert self.cofinancing.pledgedMoney(self.round, project) == sum(
                self._counted_money(project).values()
            )

    def invariant_no_money_pledge_changes_once_voting_opened(self):
        """From the opening of voting to the round's end the money pledged to each project, and which money
        pledges count, stay as they were when voting opened; after finalisation, for a funded project, for
        good (only the conditional pledges of a project the vote did not choose lapse)."""
        if self.stage in (PITCHING, SCREENING, ROUND_CANCELLED):
            return
        now_ = {p: (self.cofinancing.pledgedMoney(self.round, p), self._counted_money(p)) for p in ASKS}
        if self.frozen is None:
            self.frozen = now_
            return
        for project in ASKS:
            if self.stage in (VOTING, TALLYING) or project in CHOSEN:
                assert now_[project] == self.frozen[project], project

    def invariant_the_escrow_holds_the_open_stablecoin_pledges(self):
        open_amount = sum(
            p["amount"] for p in self.pledges.values() if p["kind"] == STABLECOIN and p["status"] == OPEN
        )
        assert (
            self.token.balanceOf(self.cofinancing)
            == self.cofinancing.tokenEscrowed(self.token)
            == open_amount
        )
        spent = sum(
            p["amount"] for p in self.pledges.values() if p["kind"] == STABLECOIN and p["status"] == FULFILLED
        )
        assert self.token.balanceOf(self.people[3]) == spent
        assert sum(self.token.balanceOf(a) for a in self.people) + open_amount == 3 * TOKENS

    def invariant_the_vote_gives_each_project_its_gap_and_never_more_than_its_ask(self):
        if self.stage != FINALISED:
            return
        for project, (_, ask) in ASKS.items():
            funded = self.vote.project(self.round, project)[7]
            assert funded <= ask
            gap = ask - min(ask, self.money_at_vote[project]) if project in CHOSEN else 0
            assert funded == gap, project
            assert self.cofinancing.chosenByVote(self.round, project) == (project in CHOSEN)

    def invariant_pledges_and_stages_match_the_model(self):
        assert self.cofinancing.pledgeCount() == len(self.pledges)
        for pledge_id, p in self.pledges.items():
            assert int(self.cofinancing.pledgeOf(pledge_id)[5]) == p["status"]
        assert int(self.vote.roundState(self.round)) == self.stage
        assert [bool(self.cofinancing.partner(i + 1)[2]) for i in range(3)] == self.active


def test_pledges_add_up_and_money_freezes_when_voting_opens(
    pledge_round, escrow_token, cofinancing, vote, council, alice, outsider
):
    state_machine(
        StateMachine,
        cofinancing,
        vote,
        council,
        alice,
        outsider,
        pledge_round,
        escrow_token,
        settings=_settings(),
    )


def _settings():
    """Derandomised, as every stateful test under `make test` (stateful_compat.budget). Each step is several
    transactions, and Ganache answers them several times slower than Anvil: 15 sequences of 30 steps took
    204 s there under `make test`, the longest contract test by far. Anvil keeps them (about 240 rules run,
    each rule at least 6 times); Ganache, the chain-compatibility check, runs 10 of 25 (about 80, every rule
    at least once). `make fuzz` searches further with random sequences."""
    if "ganache" in web3.client_version.lower():
        return budget(max_examples=10, stateful_step_count=25)
    return budget(max_examples=15, stateful_step_count=30)
