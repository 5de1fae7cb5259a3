"""Delivery of funded projects, recomputed from ProjectDelivery's events and the fund's GrantTranchePaid.

Per planned project: the milestones (due date, share), each milestone's reports and the council's decisions,
residents' flags and the council's answers, the tranches paid (as ProjectDelivery says and as the fund's
ledger says). From these alone the audit names:

- a project paid more than the shares of its accepted milestones allow, or more than it was funded;
- a payment without an accepted report (a tranche of a milestone whose report no event accepted, or a fund
  payment with no tranche of ProjectDelivery in the same transaction), or paid while a flag was unanswered;
- overdue milestones (due date passed, no report accepted) and flags without answers: not inconsistencies of
  the chain but what residents and donors watch, listed as notices.

The first kind are serious: they can only come from contracts that misbehave, and fail the audit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cts.audit.abi import Event
from cts.audit.findings import (
    OVERDUE_MILESTONE,
    PAID_BEYOND_ACCEPTED,
    PAID_BEYOND_FUNDED,
    PAID_WITH_UNANSWERED_FLAG,
    PAYMENT_WITHOUT_ACCEPTED_REPORT,
    UNANSWERED_FLAG,
    DeliveryFinding,
)
from cts.audit.model import Difference

PLANNED, REPORTED, REJECTED, ACCEPTED, PAID = "planned", "reported", "rejected", "accepted", "paid"
# IProjectDelivery.MilestoneStatus numbering, for comparing with the plan() view.
STATUS_NUMBER = {PLANNED: 1, REPORTED: 2, REJECTED: 3, ACCEPTED: 4, PAID: 5}


@dataclass
class Milestone:
    index: int
    due_at: int
    share_kopiyky: int
    status: str = PLANNED
    report_id: int = 0
    accepted: bool = False  # a ReportAccepted event accepted its report
    paid_kopiyky: int = 0
    paid_receipt: bytes | None = None


@dataclass
class Report:
    id: int
    round_id: int
    project_id: int
    index: int
    owner_id: int
    report_hash: bytes
    receipt_hashes: list[bytes]
    block: int
    decision: str | None = None  # "accepted" or "rejected"
    reject_reason: int = 0
    flag_ids: list[int] = field(default_factory=list)


@dataclass
class Flag:
    id: int
    report_id: int
    resident_id: int
    reason_code: int
    reason_hash: bytes
    block: int
    answer_hash: bytes | None = None

    @property
    def answered(self) -> bool:
        return self.answer_hash is not None


@dataclass
class Plan:
    round_id: int
    project_id: int
    funded_kopiyky: int
    plan_hash: bytes
    block: int
    milestones: list[Milestone] = field(default_factory=list)
    tranches_kopiyky: int = 0  # ProjectDelivery's TranchePaid events
    fund_paid_kopiyky: int = 0  # the fund's GrantTranchePaid events (its ledger)
    released: bool = False

    @property
    def accepted_kopiyky(self) -> int:
        """The shares of the milestones whose report a ReportAccepted event accepted (paid or not)."""
        return sum(m.share_kopiyky for m in self.milestones if m.accepted)

    @property
    def reported_kopiyky(self) -> int:
        """The shares of the milestones whose current report was not rejected (waiting, accepted, paid)."""
        return sum(m.share_kopiyky for m in self.milestones if m.status in (REPORTED, ACCEPTED, PAID))


class DeliveryHistory:
    """The delivery of every planned project, as the events say. Feed events in chain order."""

    def __init__(self, anomalies: list[Difference] | None = None) -> None:
        self.plans: dict[tuple[int, int], Plan] = {}
        self.reports: dict[int, Report] = {}
        self.flags: dict[int, Flag] = {}
        self.findings: list[DeliveryFinding] = []  # the serious ones found while replaying
        # Event figures that disagree with the recomputation (shared with the History that owns this).
        self.anomalies: list[Difference] = anomalies if anomalies is not None else []
        # tx hash -> the tranches ProjectDelivery paid in it, (round, project, amount, receipt)
        self._tranches_by_tx: dict[str, list[tuple[int, int, int, bytes]]] = defaultdict(list)
        self._handlers = {
            "DeliveryPlanSet": self._plan_set,
            "MilestonePlanned": self._milestone_planned,
            "MilestoneReported": self._reported,
            "ReportAccepted": self._accepted,
            "ReportRejected": self._rejected,
            "ReportFlagged": self._flagged,
            "FlagAnswered": self._answered,
            "TranchePaid": self._tranche_paid,
        }

    def apply(self, event: Event) -> None:
        handler = self._handlers.get(event.name)
        if handler is not None:
            handler(event)

    # ------------------------------------------------------------ ProjectDelivery's events

    def _plan_set(self, e: Event) -> None:
        a = e.args
        self.plans[(a["roundId"], a["projectId"])] = Plan(
            a["roundId"], a["projectId"], a["fundedKopiyky"], a["planHash"], e.block
        )

    def _milestone_planned(self, e: Event) -> None:
        a = e.args
        plan = self.plans[(a["roundId"], a["projectId"])]
        self._expect(
            f"round {plan.round_id}, project {plan.project_id}: milestones planned in order",
            len(plan.milestones),
            a["index"],
            e,
        )
        plan.milestones.append(Milestone(a["index"], a["dueAt"], a["shareKopiyky"]))

    def _milestone(self, e: Event) -> Milestone:
        plan = self.plans[(e.args["roundId"], e.args["projectId"])]
        milestone: Milestone = plan.milestones[e.args["index"]]
        return milestone

    def _reported(self, e: Event) -> None:
        a = e.args
        milestone = self._milestone(e)
        self._expect("delivery reports are numbered in order", len(self.reports) + 1, a["reportId"], e)
        self.reports[a["reportId"]] = Report(
            a["reportId"],
            a["roundId"],
            a["projectId"],
            a["index"],
            a["ownerId"],
            a["reportHash"],
            list(a["receiptHashes"]),
            e.block,
        )
        milestone.status, milestone.report_id = REPORTED, a["reportId"]

    def _decided(self, e: Event, decision: str) -> None:
        milestone = self._milestone(e)
        report = self.reports[e.args["reportId"]]
        label = f"round {report.round_id}, project {report.project_id}, milestone {report.index + 1}"
        self._expect(
            f"{label}: the report decided is the milestone's current one", milestone.report_id, report.id, e
        )
        report.decision = decision
        milestone.status = ACCEPTED if decision == "accepted" else REJECTED
        milestone.accepted = decision == "accepted"

    def _accepted(self, e: Event) -> None:
        self._decided(e, "accepted")

    def _rejected(self, e: Event) -> None:
        self._decided(e, "rejected")
        self.reports[e.args["reportId"]].reject_reason = e.args["reasonCode"]

    def _flagged(self, e: Event) -> None:
        a = e.args
        self._expect("delivery flags are numbered in order", len(self.flags) + 1, a["flagId"], e)
        self.flags[a["flagId"]] = Flag(
            a["flagId"], a["reportId"], a["residentId"], a["reasonCode"], a["reasonHash"], e.block
        )
        self.reports[a["reportId"]].flag_ids.append(a["flagId"])

    def _answered(self, e: Event) -> None:
        self.flags[e.args["flagId"]].answer_hash = e.args["answerHash"]

    def _tranche_paid(self, e: Event) -> None:
        a = e.args
        plan = self.plans[(a["roundId"], a["projectId"])]
        milestone = plan.milestones[a["index"]]
        if milestone.status != ACCEPTED:
            no_report = (
                "no report"
                if milestone.report_id == 0
                else f"report {milestone.report_id} {milestone.status}"
            )
            self._serious(
                PAYMENT_WITHOUT_ACCEPTED_REPORT,
                plan,
                milestone.index,
                f"a tranche of {a['amountKopiyky']:,} kopiyky was paid with {no_report}, none accepted "
                f"(tx {e.tx_hash})",
                e.block,
            )
        elif milestone.report_id:
            open_flags = [f for f in self.reports[milestone.report_id].flag_ids if not self.flags[f].answered]
            if open_flags:
                self._serious(
                    PAID_WITH_UNANSWERED_FLAG,
                    plan,
                    milestone.index,
                    f"paid while flags {open_flags} on report {milestone.report_id} had no answer "
                    f"(tx {e.tx_hash})",
                    e.block,
                )
        self._expect(
            f"round {plan.round_id}, project {plan.project_id}, milestone {milestone.index + 1}: "
            "tranche paid is its share",
            milestone.share_kopiyky,
            a["amountKopiyky"],
            e,
        )
        milestone.status = PAID
        milestone.paid_kopiyky += a["amountKopiyky"]
        milestone.paid_receipt = a["receiptHash"]
        plan.tranches_kopiyky += a["amountKopiyky"]
        self._tranches_by_tx[e.tx_hash].append(
            (a["roundId"], a["projectId"], a["amountKopiyky"], a["receiptHash"])
        )

    # ------------------------------------------------------------ the fund's events

    def fund_tranche_paid(self, e: Event) -> None:
        """The fund's GrantTranchePaid: money left the ledger for a planned project."""
        a = e.args
        key = (a["roundId"], a["projectId"])
        plan = self.plans.get(key)
        matched = (a["roundId"], a["projectId"], a["amountKopiyky"], a["receiptHash"])
        if plan is None or matched not in self._tranches_by_tx.get(e.tx_hash, []):
            plan = plan or Plan(a["roundId"], a["projectId"], 0, b"", e.block)
            self.plans.setdefault(key, plan)
            self._serious(
                PAYMENT_WITHOUT_ACCEPTED_REPORT,
                plan,
                None,
                f"the fund paid {a['amountKopiyky']:,} kopiyky with no tranche of ProjectDelivery in the "
                f"same transaction (tx {e.tx_hash})",
                e.block,
            )
        else:
            self._tranches_by_tx[e.tx_hash].remove(matched)
        plan.fund_paid_kopiyky += a["amountKopiyky"]
        self._expect(
            f"round {plan.round_id}, project {plan.project_id}: paid in tranches so far",
            plan.fund_paid_kopiyky,
            a["paidKopiyky"],
            e,
        )

    def paid_in_one_go(self, e: Event) -> None:
        """The fund's GrantPaid: the whole funded amount at once, which a planned project must not get."""
        plan = self.plans.get((e.args["roundId"], e.args["projectId"]))
        if plan is not None:
            self._serious(
                PAYMENT_WITHOUT_ACCEPTED_REPORT,
                plan,
                None,
                f"paid {e.args['amountKopiyky']:,} kopiyky in one go although it has a delivery plan "
                f"(tx {e.tx_hash})",
                e.block,
            )
            plan.fund_paid_kopiyky += e.args["amountKopiyky"]

    def released(self, round_id: int, project_id: int) -> int:
        """What a planned project's tranches paid, when the rest of its money is released."""
        plan = self.plans.get((round_id, project_id))
        if plan is None:
            return 0
        plan.released = True
        return plan.fund_paid_kopiyky

    # ------------------------------------------------------------ findings

    def all_findings(self, timestamp: int) -> list[DeliveryFinding]:
        """The serious findings of the replay, the ones over each project's totals, and the notices at
        `timestamp` (the block audited): overdue milestones and flags without answers."""
        found = list(self.findings)
        for plan in self.plans.values():
            if plan.fund_paid_kopiyky > plan.accepted_kopiyky:
                found.append(
                    DeliveryFinding(
                        PAID_BEYOND_ACCEPTED,
                        plan.round_id,
                        plan.project_id,
                        None,
                        f"paid {plan.fund_paid_kopiyky:,} kopiyky; its accepted milestones allow "
                        f"{plan.accepted_kopiyky:,}",
                    )
                )
            if plan.fund_paid_kopiyky > plan.funded_kopiyky:
                found.append(
                    DeliveryFinding(
                        PAID_BEYOND_FUNDED,
                        plan.round_id,
                        plan.project_id,
                        None,
                        f"paid {plan.fund_paid_kopiyky:,} kopiyky of {plan.funded_kopiyky:,} funded",
                    )
                )
            if plan.released:
                continue
            for m in plan.milestones:
                if m.due_at < timestamp and m.status not in (ACCEPTED, PAID):
                    state = "not reported" if m.report_id == 0 else f"report {m.report_id} {m.status}"
                    found.append(
                        DeliveryFinding(
                            OVERDUE_MILESTONE,
                            plan.round_id,
                            plan.project_id,
                            m.index,
                            f"due at {m.due_at} (unix), {state}",
                        )
                    )
        for flag in self.flags.values():
            if not flag.answered:
                report = self.reports[flag.report_id]
                found.append(
                    DeliveryFinding(
                        UNANSWERED_FLAG,
                        report.round_id,
                        report.project_id,
                        report.index,
                        f"flag {flag.id} (reason {flag.reason_code}) by resident {flag.resident_id} on "
                        f"report {report.id} has no answer",
                        flag.block,
                    )
                )
        return found

    def figures(self, timestamp: int) -> list[dict[str, Any]]:
        """Per planned project: funded, accepted, paid, and each milestone (for --json and the pages)."""
        return [
            {
                "round_id": plan.round_id,
                "project_id": plan.project_id,
                "funded_kopiyky": plan.funded_kopiyky,
                "accepted_kopiyky": plan.accepted_kopiyky,
                "reported_kopiyky": plan.reported_kopiyky,
                "paid_kopiyky": plan.fund_paid_kopiyky,
                "released": plan.released,
                "milestones": [
                    {
                        "index": m.index,
                        "due_at": m.due_at,
                        "share_kopiyky": m.share_kopiyky,
                        "status": m.status,
                        "overdue": m.due_at < timestamp and m.status not in (ACCEPTED, PAID),
                        "report_id": m.report_id,
                        "paid_kopiyky": m.paid_kopiyky,
                    }
                    for m in plan.milestones
                ],
                "flags": sum(len(self.reports[r].flag_ids) for r in self._report_ids(plan)),
                "unanswered_flags": sum(
                    1
                    for r in self._report_ids(plan)
                    for f in self.reports[r].flag_ids
                    if not self.flags[f].answered
                ),
            }
            for plan in self.plans.values()
        ]

    def _report_ids(self, plan: Plan) -> list[int]:
        return [
            r.id
            for r in self.reports.values()
            if (r.round_id, r.project_id) == (plan.round_id, plan.project_id)
        ]

    # ------------------------------------------------------------ internal

    def _serious(self, kind: str, plan: Plan, milestone: int | None, detail: str, block: int) -> None:
        self.findings.append(DeliveryFinding(kind, plan.round_id, plan.project_id, milestone, detail, block))

    def _expect(self, figure: str, expected: Any, found: Any, event: Event) -> None:
        if expected != found:
            source = f"ProjectDelivery/CommunityFund.{event.name} event, tx {event.tx_hash}"
            self.anomalies.append(Difference(figure, expected, found, source, event.block))
