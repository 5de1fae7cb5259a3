"""Stateful test of ProjectDelivery and the fund's tranches: reports, acceptances, rejections, flags,
answers, payments and releases in any order, against a Python model.

Every run starts from the same round (the `delivery_round` fixture): Alice's project 1 (30,000) and Bob's
project 2 (50,000) each planned in three milestones. Each rule predicts the exact revert (a custom error
with its arguments) or applies the change to the model; the invariants compare the chain with the model:
paid never exceeds funded, nor the sum of the accepted milestones' shares.
"""

import copy

import brownie
import pytest
from brownie.test import strategy
from cts_errors import error
from cts_helpers import h
from delivery_helpers import ACCEPTED, PAID, PLANNED, REJECTED, REPORTED, funded_round, set_plan, split
from fund_helpers import ledger_of
from stateful_compat import budget, state_machine

SHARES = {1: [10_000, 10_000, 10_000], 2: split(50_000, 3)}
FUNDED = {1: 30_000, 2: 50_000}


@pytest.fixture(scope="module")
def delivery_round(fund, vote, cases, hromada, council, verifiers, programme, alice, bob, carol):
    round_id = funded_round(fund, vote, cases, council, verifiers, alice, bob, carol)
    for project_id, shares in SHARES.items():
        set_plan(hromada["delivery"], council, round_id, project_id, shares)
    return round_id


class StateMachine:
    """Two planned projects, their owners, the council and three residents who flag."""

    st_project = strategy("uint8", min_value=1, max_value=2)
    st_index = strategy("uint8", max_value=3)
    st_pick = strategy("uint8")
    st_who = strategy("uint8", max_value=3)
    st_reason = strategy("uint16", max_value=3)

    def __init__(cls, delivery, fund, council, residents, outsider, round_id):
        cls.delivery = delivery
        cls.fund = fund
        cls.council = council
        cls.people = [*residents, outsider]  # alice (owner of 1), bob (owner of 2), carol, an outsider
        cls.round = round_id
        cls.baseline_ledger = ledger_of(fund)

    def setup(self):
        self.milestones = {p: [{"status": PLANNED, "report": 0} for _ in SHARES[p]] for p in SHARES}
        self.paid = {p: 0 for p in SHARES}
        self.released = {p: False for p in SHARES}
        self.reports = {}  # id -> {"project", "index", "open", "flagged": set of resident ids}
        self.flags = {}  # id -> {"report", "answered"}
        self.ledger = copy.deepcopy(self.baseline_ledger)
        self.serial = 0

    def _next(self, label):
        self.serial += 1
        return h(f"{label}-{self.serial}")

    # ---------------------------------------------------------------- rules

    def rule_report(self, st_project, st_index, st_who):
        p, i, who = st_project, st_index, self.people[st_who]
        args = (self.round, p, i, self._next("report"), [self._next("receipt")], {"from": who})
        if i >= 3:
            with brownie.reverts(error("ProjectDeliveryUnknownMilestone", self.round, p, i)):
                self.delivery.reportMilestone(*args)
            return
        m = self.milestones[p][i]
        if st_who == 3:
            expected = error("ResidentRegistryNotActive", who, 0)
        elif st_who != p - 1:
            expected = error("ProjectDeliveryNotOwner", who, self.round, p)
        elif m["status"] not in (PLANNED, REJECTED):
            expected = error("ProjectDeliveryUnexpectedMilestoneState", self.round, p, i, m["status"])
        elif i > 0 and self.milestones[p][i - 1]["status"] < ACCEPTED:
            expected = error("ProjectDeliveryOutOfOrder", self.round, p, i)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.delivery.reportMilestone(*args)
            return
        tx = self.delivery.reportMilestone(*args)
        report_id = len(self.reports) + 1
        assert tx.return_value == report_id
        self.reports[report_id] = {"project": p, "index": i, "open": 0, "flagged": set()}
        m.update(status=REPORTED, report=report_id)

    def rule_decide(self, st_project, st_index, st_reason):
        """Accept (reason 0) or reject (any other reason) milestone `st_index`'s report."""
        p, i = st_project, min(st_index, 2)
        m = self.milestones[p][i]
        if m["status"] != REPORTED:
            with brownie.reverts(
                error("ProjectDeliveryUnexpectedMilestoneState", self.round, p, i, m["status"])
            ):
                if st_reason == 0:
                    self.delivery.acceptReport(self.round, p, i, {"from": self.council})
                else:
                    self.delivery.rejectReport(self.round, p, i, st_reason, {"from": self.council})
            return
        if st_reason == 0:
            self.delivery.acceptReport(self.round, p, i, {"from": self.council})
            m["status"] = ACCEPTED
        else:
            self.delivery.rejectReport(self.round, p, i, st_reason, {"from": self.council})
            m["status"] = REJECTED

    def rule_flag(self, st_pick, st_who, st_reason):
        report_id = st_pick % (len(self.reports) + 1)
        who = self.people[st_who]
        args = (report_id, st_reason, self._next("reason"), {"from": who})
        if report_id == 0:
            expected = error("ProjectDeliveryUnknownReport", 0)
        elif st_who == 3:
            expected = error("ResidentRegistryNotActive", who, 0)
        else:
            r = self.reports[report_id]
            m = self.milestones[r["project"]][r["index"]]
            if m["report"] != report_id or m["status"] == PAID:
                expected = error("ProjectDeliveryReportNotFlaggable", report_id)
            elif st_reason == 0:
                expected = "ProjectDeliveryZeroReasonCode: "
            elif st_who + 1 in r["flagged"]:
                expected = error("ProjectDeliveryAlreadyFlagged", report_id, st_who + 1)
            else:
                expected = None
        if expected:
            with brownie.reverts(expected):
                self.delivery.flagReport(*args)
            return
        self.delivery.flagReport(*args)
        r["flagged"].add(st_who + 1)
        r["open"] += 1
        self.flags[len(self.flags) + 1] = {"report": report_id, "answered": False}

    def rule_answer(self, st_pick):
        flag_id = st_pick % (len(self.flags) + 1)
        args = (flag_id, self._next("answer"), {"from": self.council})
        if flag_id == 0:
            with brownie.reverts(error("ProjectDeliveryUnknownFlag", 0)):
                self.delivery.answerFlag(*args)
            return
        f = self.flags[flag_id]
        if f["answered"]:
            with brownie.reverts(error("ProjectDeliveryFlagAlreadyAnswered", flag_id)):
                self.delivery.answerFlag(*args)
            return
        self.delivery.answerFlag(*args)
        f["answered"] = True
        self.reports[f["report"]]["open"] -= 1

    def rule_pay(self, st_project, st_index):
        p, i = st_project, min(st_index, 2)
        m = self.milestones[p][i]
        args = (self.round, p, i, self._next("tranche"), {"from": self.council})
        if m["status"] != ACCEPTED:
            expected = error("ProjectDeliveryUnexpectedMilestoneState", self.round, p, i, m["status"])
        elif self.reports[m["report"]]["open"]:
            expected = error("ProjectDeliveryUnansweredFlags", m["report"], self.reports[m["report"]]["open"])
        elif self.released[p]:
            expected = error("CommunityFundProjectNotPayable", self.round, p)
        else:
            expected = None
        if expected:
            with brownie.reverts(expected):
                self.delivery.payTranche(*args)
            return
        self.delivery.payTranche(*args)
        m["status"] = PAID
        share = SHARES[p][i]
        self.paid[p] += share
        self.ledger["committed"] -= share
        self.ledger["grantsPaid"] += share

    def rule_release(self, st_project):
        p = st_project
        if self.released[p] or self.paid[p] == FUNDED[p]:
            with brownie.reverts(error("CommunityFundProjectNotPayable", self.round, p)):
                self.fund.releaseProjectFunds(self.round, p, {"from": self.council})
            return
        self.fund.releaseProjectFunds(self.round, p, {"from": self.council})
        self.released[p] = True
        unpaid = FUNDED[p] - self.paid[p]
        self.ledger["committed"] -= unpaid
        self.ledger["available"] += unpaid

    # ---------------------------------------------------------------- invariants

    def invariant_paid_never_exceeds_funded_nor_the_accepted_shares(self):
        """What the fund paid a project equals the model's, never exceeds its funded amount, nor the sum of
        the shares of its milestones whose reports were accepted (Accepted or Paid)."""
        for p in SHARES:
            paid = self.fund.grantTranchesPaid(self.round, p)
            accepted = sum(
                share
                for share, m in zip(SHARES[p], self.delivery.plan(self.round, p), strict=True)
                if m[2] in (ACCEPTED, PAID)
            )
            assert paid == self.delivery.paidKopiyky(self.round, p) == self.paid[p]
            assert paid <= FUNDED[p]
            assert paid <= accepted

    def invariant_milestones_and_reports_match_the_model(self):
        """Each milestone's stored status and current report, and each report's open flags, are the
        model's."""
        for p in SHARES:
            chain = self.delivery.plan(self.round, p)
            assert [(m[2], m[3]) for m in chain] == [(m["status"], m["report"]) for m in self.milestones[p]]
        assert self.delivery.reportCount() == len(self.reports)
        assert self.delivery.flagCount() == len(self.flags)
        for report_id, r in self.reports.items():
            assert self.delivery.report(report_id)[3] == r["open"]

    def invariant_the_ledger_moves_only_what_was_paid_or_released(self):
        """Committed, grants paid and available capital moved by exactly the tranches and releases."""
        ledger = ledger_of(self.fund)
        for bucket in ("committed", "grantsPaid", "available"):
            assert ledger[bucket] == self.ledger[bucket], bucket


def test_paid_never_exceeds_funded_nor_the_accepted_shares(
    delivery_round, hromada, fund, council, residents, outsider
):
    state_machine(
        StateMachine,
        hromada["delivery"],
        fund,
        council,
        residents,
        outsider,
        delivery_round,
        settings=budget(max_examples=12, stateful_step_count=30),
    )
