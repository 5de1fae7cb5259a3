"""Stateful test of the community fund's ledger: deposits, programmes, approved cases (which mint RV), loans
through their whole lifecycle with time travel, and vote rounds reserved, finalised or cancelled, against a
Python model of every bucket.

Every run starts from the same community (the `community` fixture: capital, two programmes, RV issued, loans
in every state, two of them overdue, an open round), so that even a short run acts on all of it. Each rule
either predicts the exact revert (a custom error with its arguments) or applies the change to the model;
the invariants compare the chain to the model after every step.
"""

import copy

import brownie
import pytest
from brownie import chain
from brownie.test import strategy
from cts_helpers import DAY, FACE_VALUE, h, programme_params, round_params
from fund_helpers import (
    BUCKETS,
    DONOR,
    ST_ACTIVE,
    ST_APPLIED,
    ST_APPROVED,
    ST_CANCELLED,
    ST_DEFAULTED,
    ST_OVERDUE,
    ST_REJECTED,
    ST_REPAID,
    earn,
    ledger_of,
    now,
    sleep_until,
)
from stateful_compat import budget, state_machine

# The model's loan statuses, as ICommunityFund.LoanStatus numbers them.
STORED_STATUS = {
    "applied": 1,
    "approved": 2,
    "rejected": 3,
    "active": 4,
    "repaid": 5,
    "defaulted": 6,
    "cancelled": 7,
}
STATUS_NAME = {number: name for name, number in STORED_STATUS.items()}
# The LoanState a loan shows in each stored status but Active (which shows Active or Overdue).
SETTLED_STATE = {
    "applied": ST_APPLIED,
    "approved": ST_APPROVED,
    "rejected": ST_REJECTED,
    "repaid": ST_REPAID,
    "defaulted": ST_DEFAULTED,
    "cancelled": ST_CANCELLED,
}
# A transaction is mined within this many seconds of the latest block's timestamp.
CLOCK_MARGIN = 20
PROGRAMME_CLOSED = 2  # IUsefulCaseContract.ProgrammeStatus


@pytest.fixture(scope="module")
def community(fund, cases, vote, council, verifiers, residents):
    """30,000 UAH deposited; programme 1 (2 RV a case, cap 40) with 3 cases approved and programme 2 (1 RV,
    cap 3) used up: a token fund of 45,000; loan 1 applied for, 2 approved, 3 and 4 disbursed (4 partly
    repaid); round 1 reserving 100,000; then 31 days pass: loans 3 and 4 are overdue, round 1's vote is over.
    """
    alice, bob, carol = residents
    verifier = verifiers[0]
    fund.deposit(3_000_000, DONOR, h("baseline-donor"), h("baseline-receipt"), {"from": council})
    for reward, cap in ((2, 40), (1, 3)):
        params = programme_params(
            now(), [verifier], reward=reward, token_cap=cap, per_resident_cap=cap, end=now() + 3650 * DAY
        )
        cases.createProgramme(params, {"from": council})
    earn(cases, verifier, alice, 2, programme_id=1, tag="baseline")
    earn(cases, verifier, bob, 1, programme_id=1, tag="baseline")
    earn(cases, verifier, carol, 3, programme_id=2, tag="baseline")
    for who, instalments, offsets in (
        (alice, [50_000, 50_000], [30 * DAY, 60 * DAY]),
        (bob, [40_000], [30 * DAY]),
        (carol, [20_000, 20_000, 20_000], [30 * DAY, 60 * DAY, 90 * DAY]),
        (alice, [10_000], [30 * DAY]),
    ):
        fund.applyForLoan(instalments, offsets, h(f"baseline-plan-{who}-{len(offsets)}"), {"from": who})
    for loan_id in (2, 3, 4):
        fund.approveLoan(loan_id, {"from": council})
    for loan_id in (3, 4):
        fund.disburseLoan(loan_id, h(f"baseline-transfer-{loan_id}"), {"from": council})
    fund.recordRepayment(4, 4_000, h("baseline-repayment"), {"from": council})
    vote.createRound(round_params(now(), fund=100_000), {"from": council})
    chain.sleep(31 * DAY)
    chain.mine()


class StateMachine:
    """The community fund with its programmes, cases, rounds and loans."""

    st_amount = strategy("uint256", min_value=1, max_value=400_000)
    st_cap = strategy("uint64", min_value=1, max_value=40)
    st_reward = strategy("uint64", min_value=1, max_value=3)
    st_pick = strategy("uint8")
    st_instalments = strategy("uint128[]", min_length=1, max_length=3, min_value=1, max_value=60_000)
    st_percent = strategy("uint8", min_value=1, max_value=130)
    st_days = strategy("uint16", max_value=40)
    st_yes = strategy("bool")

    def __init__(cls, fund, cases, vote, token, council, verifiers, residents):
        cls.fund = fund
        cls.cases = cases
        cls.vote = vote
        cls.token = token
        cls.council = council
        cls.verifier = verifiers[0]
        cls.residents = residents
        cls.baseline = cls._read_model(cls)

    def _read_model(self):
        """The model of the community as it stands on chain (read once, before the first run)."""
        programmes = {}
        for i in range(1, self.cases.programmeCount() + 1):
            p = self.cases.programme(i)
            programmes[i] = {
                "reward": p["rewardPerCase"],
                "cap": p["tokenCap"],
                "minted": p["rvMinted"],
                "closed": p["status"] == PROGRAMME_CLOSED,
            }
        loans = {}
        for i in range(1, self.fund.loanCount() + 1):
            loan = self.fund.loan(i)
            loans[i] = {
                "principal": loan["principal"],
                "repaid": loan["repaid"],
                "status": STATUS_NAME[loan["status"]],
                "instalments": list(loan["instalments"]),
                "offsets": list(loan["dueOffsets"]),
                "disbursed_at": loan["disbursedAt"],
            }
        rounds = {}
        for i in range(1, self.vote.roundCount() + 1):
            reserve = self.fund.roundReserve(i)
            if reserve["open"]:
                rounds[i] = (reserve["fromTokenFund"], reserve["fromAvailable"], self.vote.round(i)[0][4])
        return {
            "ledger": ledger_of(self.fund),
            "impact": dict(self.fund.impact(0).dict()),
            "minted": self.token.totalMinted(),
            "reserved": FACE_VALUE * sum(p["cap"] for p in programmes.values()),
            "programmes": programmes,
            "loans": loans,
            "rounds": rounds,
        }

    def setup(self):
        model = copy.deepcopy(self.baseline)
        self.ledger = model["ledger"]
        self.impact = model["impact"]
        self.minted = model["minted"]  # RV minted, by the model
        self.reserved = model["reserved"]  # capital ever reserved for programmes
        self.programmes = model["programmes"]  # id -> {"reward", "cap", "minted", "closed"}
        self.loans = model["loans"]  # id -> {"principal", "repaid", "status", "instalments", "offsets", ...}
        self.rounds = model["rounds"]  # open round id -> (from token fund, from available, vote end)
        self.touched = None  # the loan the last step acted on
        self.serial = 0

    # ---------------------------------------------------------------- helpers

    def _next(self, label):
        """A label never used before in this run: receipts, evidence, references."""
        self.serial += 1
        return h(f"{label}-{self.serial}")

    def _move(self, source, target, amount):
        self.ledger[source] -= amount
        self.ledger[target] += amount

    def _pick(self, ids, st_pick):
        ids = sorted(ids)
        return ids[st_pick % len(ids)] if ids else None

    def _quiet_clock(self):
        """Moves past any instalment due within the next few seconds, so that the block of the next
        transaction and the latest block agree on which instalments are due; returns that time."""
        while True:
            t = now()
            close = [
                loan["disbursed_at"] + offset
                for loan in self.loans.values()
                if loan["status"] == "active"
                for offset in loan["offsets"]
                if t - 1 <= loan["disbursed_at"] + offset <= t + CLOCK_MARGIN
            ]
            if not close:
                return t
            sleep_until(max(close) + CLOCK_MARGIN + 1)

    def _state(self, loan_id, at):
        """The LoanState the fund shows at time `at`: Overdue when less was repaid than was due before."""
        loan = self.loans[loan_id]
        if loan["status"] != "active":
            return SETTLED_STATE[loan["status"]]
        due = sum(
            amount
            for amount, offset in zip(loan["instalments"], loan["offsets"], strict=True)
            if loan["disbursed_at"] + offset < at
        )
        return ST_OVERDUE if loan["repaid"] < due else ST_ACTIVE

    def _pick_loan(self, st_pick, *wanted):
        """Three times in four a loan in one of the `wanted` states (the action is valid), else any loan
        (the rule then predicts the revert); returns (loan id, its state now)."""
        at = self._quiet_clock()
        ids = sorted(self.loans)
        if st_pick % 4:
            ids = [i for i in ids if self._state(i, at) in wanted] or ids
        self.touched = ids[(st_pick // 4) % len(ids)]
        return self.touched, self._state(self.touched, at)

    def _unexpected(self, loan_id, current, expected):
        return brownie.reverts(f"CommunityFundUnexpectedLoanState: {loan_id}, {current}, {expected}")

    def _time_passes(self, days):
        if days:
            chain.sleep(days * DAY)
            chain.mine()

    # ---------------------------------------------------------------- capital and programmes

    def rule_deposit(self, st_amount):
        reference, receipt = self._next("donor"), self._next("receipt")
        self.fund.deposit(st_amount, DONOR, reference, receipt, {"from": self.council})
        self.ledger["deposits"] += st_amount
        self.ledger["available"] += st_amount
        self.impact["depositsKopiyky"] += st_amount

    def rule_create_programme(self, st_cap, st_reward):
        cap = max(st_cap, st_reward)
        needed = cap * FACE_VALUE
        start = now()
        params = programme_params(
            start,
            [self.verifier],
            reward=st_reward,
            token_cap=cap,
            per_resident_cap=cap,
            end=start + 3650 * DAY,
        )
        if needed > self.ledger["available"]:
            with brownie.reverts(f"CommunityFundInsufficientCapital: {needed}, {self.ledger['available']}"):
                self.cases.createProgramme(params, {"from": self.council})
            return
        tx = self.cases.createProgramme(params, {"from": self.council})
        assert tx.events["ProgrammeReserved"]["amountKopiyky"] == needed
        self.programmes[tx.events["ProgrammeCreated"]["programmeId"]] = {
            "reward": st_reward,
            "cap": cap,
            "minted": 0,
            "closed": False,
        }
        self.reserved += needed
        self._move("available", "programmeReserves", needed)

    def rule_approve_case(self, st_pick):
        programme_id = self._pick([i for i, p in self.programmes.items() if not p["closed"]], st_pick)
        if programme_id is None:
            return
        p = self.programmes[programme_id]
        resident = self.residents[st_pick % len(self.residents)]
        evidence = self._next("evidence")
        if p["minted"] + p["reward"] > p["cap"]:
            with brownie.reverts(
                f"UsefulCaseProgrammeCapExceeded: {programme_id}, {p['minted']}, {p['reward']}, {p['cap']}"
            ):
                self.cases.submitCase(programme_id, evidence, {"from": resident})
            return
        self.cases.submitCase(programme_id, evidence, {"from": resident})
        tx = self.cases.approveCase(self.cases.caseCount(), {"from": self.verifier})
        assert tx.events["IssuanceRecorded"]["kopiyky"] == p["reward"] * FACE_VALUE
        p["minted"] += p["reward"]
        self.minted += p["reward"]
        self.impact["rvIssued"] += p["reward"]
        self._move("programmeReserves", "tokenFund", p["reward"] * FACE_VALUE)

    def rule_close_programme(self, st_pick):
        programme_id = self._pick([i for i, p in self.programmes.items() if not p["closed"]], st_pick)
        if programme_id is None:
            return
        p = self.programmes[programme_id]
        unused = (p["cap"] - p["minted"]) * FACE_VALUE
        tx = self.cases.closeProgramme(programme_id, {"from": self.council})
        assert tx.events["ProgrammeClosed"]["unusedReserveKopiyky"] == unused
        p["closed"] = True
        self._move("programmeReserves", "available", unused)

    # ---------------------------------------------------------------- rounds

    def rule_create_round(self, st_amount):
        """A round reserves its fund from the token fund first, then from available capital."""
        have = self.ledger["tokenFund"] + self.ledger["available"]
        params = round_params(now(), fund=st_amount)
        if st_amount > have:
            with brownie.reverts(f"CommunityFundInsufficientCapital: {st_amount}, {have}"):
                self.vote.createRound(params, {"from": self.council})
            return
        tx = self.vote.createRound(params, {"from": self.council})
        from_token_fund = min(st_amount, self.ledger["tokenFund"])
        assert tx.events["RoundReserved"]["fromTokenFund"] == from_token_fund
        self.rounds[tx.events["RoundCreated"]["roundId"]] = (
            from_token_fund,
            st_amount - from_token_fund,
            params[4],
        )
        self._move("tokenFund", "roundReserves", from_token_fund)
        self._move("available", "roundReserves", st_amount - from_token_fund)

    def rule_end_round(self, st_pick, st_yes):
        """An open round (nobody pitched in it) is finalised after its vote: it funds nothing and its whole
        reserve returns to available capital, the token fund's part too; or else it is cancelled and its
        reserve returns where it came from."""
        round_id = self._pick(self.rounds, st_pick)
        if round_id is None:
            return
        from_token_fund, from_available, vote_end = self.rounds.pop(round_id)
        if st_yes:
            if now() < vote_end:
                sleep_until(vote_end)
            tx = self.vote.finalise(round_id, {"from": self.council})
            assert tx.events["RoundSettled"]["returnedKopiyky"] == from_token_fund + from_available
            self._move("roundReserves", "available", from_token_fund + from_available)
        else:
            self.vote.cancelRound(round_id, {"from": self.council})
            self._move("roundReserves", "tokenFund", from_token_fund)
            self._move("roundReserves", "available", from_available)

    # ---------------------------------------------------------------- loans

    def rule_apply_for_loan(self, st_pick, st_instalments):
        offsets = [30 * DAY * (i + 1) for i in range(len(st_instalments))]
        resident = self.residents[st_pick % len(self.residents)]
        tx = self.fund.applyForLoan(st_instalments, offsets, self._next("plan"), {"from": resident})
        self.touched = tx.events["LoanApplied"]["loanId"]
        self.loans[self.touched] = {
            "principal": sum(st_instalments),
            "repaid": 0,
            "status": "applied",
            "instalments": list(st_instalments),
            "offsets": offsets,
            "disbursed_at": 0,
        }

    def rule_decide_application(self, st_pick, st_yes):
        """The treasurer approves a loan application from available capital, or else rejects it."""
        loan_id, state = self._pick_loan(st_pick, ST_APPLIED)
        loan = self.loans[loan_id]
        call = self.fund.approveLoan if st_yes else self.fund.rejectLoan
        args = (loan_id,) if st_yes else (loan_id, 1)
        if state != ST_APPLIED:
            with self._unexpected(loan_id, state, ST_APPLIED):
                call(*args, {"from": self.council})
        elif st_yes and loan["principal"] > self.ledger["available"]:
            with brownie.reverts(
                f"CommunityFundInsufficientCapital: {loan['principal']}, {self.ledger['available']}"
            ):
                call(*args, {"from": self.council})
        elif st_yes:
            call(*args, {"from": self.council})
            loan["status"] = "approved"
            self._move("available", "committed", loan["principal"])
        else:
            call(*args, {"from": self.council})
            loan["status"] = "rejected"

    def rule_pay_out_or_cancel(self, st_pick, st_yes):
        """The treasurer disburses an approved loan (committed money becomes a loan outstanding), or else
        cancels it (the money returns to available capital)."""
        loan_id, state = self._pick_loan(st_pick, ST_APPROVED)
        loan = self.loans[loan_id]
        if state != ST_APPROVED:
            with self._unexpected(loan_id, state, ST_APPROVED):
                if st_yes:
                    self.fund.disburseLoan(loan_id, self._next("transfer"), {"from": self.council})
                else:
                    self.fund.cancelLoan(loan_id, {"from": self.council})
        elif st_yes:
            tx = self.fund.disburseLoan(loan_id, self._next("transfer"), {"from": self.council})
            loan["status"] = "active"
            loan["disbursed_at"] = tx.timestamp
            self.impact["lentKopiyky"] += loan["principal"]
            self._move("committed", "loansOutstanding", loan["principal"])
        else:
            self.fund.cancelLoan(loan_id, {"from": self.council})
            loan["status"] = "cancelled"
            self._move("committed", "available", loan["principal"])

    def rule_repay(self, st_pick, st_days, st_percent):
        """After `st_days` days a repayment is recorded: `st_percent` of what is owed up to 100, all of it
        from 101 to 110, and above 110 more than is owed, which must be refused with the exact error."""
        self._time_passes(st_days)
        loan_id, state = self._pick_loan(st_pick, ST_ACTIVE, ST_OVERDUE)
        loan = self.loans[loan_id]
        owed = loan["principal"] - loan["repaid"]
        amount = owed if 100 < st_percent <= 110 else max(1, owed * st_percent // 100)
        receipt = self._next("repayment")
        if state not in (ST_ACTIVE, ST_OVERDUE):
            with self._unexpected(loan_id, state, ST_ACTIVE):
                self.fund.recordRepayment(loan_id, amount, receipt, {"from": self.council})
            return
        if amount > owed:
            with brownie.reverts(f"CommunityFundRepaymentTooLarge: {loan_id}, {amount}, {owed}"):
                self.fund.recordRepayment(loan_id, amount, receipt, {"from": self.council})
            return
        tx = self.fund.recordRepayment(loan_id, amount, receipt, {"from": self.council})
        assert tx.events["LoanRepaid"]["outstanding"] == owed - amount
        loan["repaid"] += amount
        if loan["repaid"] == loan["principal"]:
            loan["status"] = "repaid"
        self.impact["repaidKopiyky"] += amount
        self._move("loansOutstanding", "available", amount)

    def rule_mark_defaulted(self, st_pick, st_days):
        """After `st_days` days the treasurer writes off what remains of a loan: only of an overdue one."""
        self._time_passes(st_days)
        loan_id, state = self._pick_loan(st_pick, ST_OVERDUE)
        loan = self.loans[loan_id]
        if state != ST_OVERDUE:
            with self._unexpected(loan_id, state, ST_OVERDUE):
                self.fund.markDefaulted(loan_id, {"from": self.council})
            return
        remaining = loan["principal"] - loan["repaid"]
        tx = self.fund.markDefaulted(loan_id, {"from": self.council})
        assert tx.events["LoanDefaulted"]["writtenOffKopiyky"] == remaining
        loan["status"] = "defaulted"
        self.impact["writtenOffKopiyky"] += remaining
        self._move("loansOutstanding", "writtenOff", remaining)

    # ---------------------------------------------------------------- invariants

    def invariant_ledger_balances_and_matches_the_model(self):
        """deposits = available + programme reserves + token fund + round reserves + committed + loans
        outstanding + grants paid + written off, on chain; and every bucket equals the model's."""
        ledger = ledger_of(self.fund)
        assert ledger["deposits"] == sum(ledger[bucket] for bucket in BUCKETS)
        assert ledger == self.ledger

    def invariant_rv_is_backed_by_programme_reserves(self):
        """RV minted x face value never exceeds the capital ever reserved for programmes (the sum of their
        ProgrammeReserved amounts), and the RV minted is what the model approved."""
        minted = self.token.totalMinted()
        assert minted == self.minted
        assert minted * FACE_VALUE <= self.reserved

    def invariant_loan_matches_the_model(self):
        """The loan the step acted on has the model's status, principal and repayments (never more than its
        principal), and owes what the model says. (A loan changes only when acted on; its clock-derived
        Overdue state is checked by the rules, whose expected reverts name the state they predict.)"""
        if self.touched is None:
            return
        model, loan = self.loans[self.touched], self.fund.loan(self.touched)
        assert loan["status"] == STORED_STATUS[model["status"]]
        assert loan["principal"] == model["principal"]
        assert loan["repaid"] == model["repaid"] <= model["principal"]
        owed = model["principal"] - model["repaid"] if model["status"] == "active" else 0
        assert self.fund.outstanding(self.touched) == owed
        self.touched = None

    def invariant_impact_figures_match_the_model(self):
        """All-time deposits, RV issued, lent, repaid and written off equal the model's."""
        impact = self.fund.impact(0)
        for key in ("depositsKopiyky", "rvIssued", "lentKopiyky", "repaidKopiyky", "writtenOffKopiyky"):
            assert impact[key] == self.impact[key], key


def test_the_ledger_always_balances(fund, cases, vote, token, council, verifiers, residents, community):
    state_machine(
        StateMachine,
        fund,
        cases,
        vote,
        token,
        council,
        verifiers,
        residents,
        settings=budget(max_examples=12, stateful_step_count=20),
    )
