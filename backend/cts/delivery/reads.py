"""A funded project's delivery as the pages and the open data show it: read from ProjectDelivery's views and
events, with the documents behind their hashes (cts.delivery.documents).

The chain is the record: a milestone's state, its reports, flags and payments come from the contract; the
documents only add the words (titles, line items, reasons, answers). A document the service does not hold,
or that no longer matches its hash, is shown as missing, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cts.delivery.documents import DeliveryDocuments, PlanDocument, ReportDocument, StoredFile
from cts.delivery.files import DeliveryFiles
from cts.web.reads import ChainReader, ProjectView, _name, chain_read

MILESTONE_STATES = ("none", "planned", "reported", "rejected", "accepted", "paid", "overdue")
# ProjectDelivery's reason codes of flags (any non-zero code is stored; these are the service's).
FLAG_REASONS = {1: "not_done", 2: "overpriced", 3: "other"}
# The council's reason codes for rejecting a report.
REJECTION_REASONS = {1: "incomplete", 2: "receipts", 3: "other"}


@dataclass
class FlagView:
    id: int
    report_id: int
    resident_id: int
    reason_code: int
    reason: str | None  # the resident's words (None: not held by this service)
    flagged_at: int
    answered: bool = False
    answer: str | None = None
    answered_at: int | None = None

    @property
    def reason_key(self) -> str:
        return FLAG_REASONS.get(self.reason_code, "other")


@dataclass
class ReportView:
    id: int
    milestone: int
    report_hash: str
    receipt_hashes: list[str]  # as the chain lists them (hex, no 0x)
    document: ReportDocument | None
    reported_at: int
    decision: str = "pending"  # pending | accepted | rejected
    rejection_code: int = 0
    decided_at: int | None = None
    flags: list[FlagView] = field(default_factory=list)
    # Receipts whose stored file no longer hashes to what the chain lists (or is missing here).
    mismatched_receipts: list[str] = field(default_factory=list)

    @property
    def spent_kopiyky(self) -> int:
        return self.document.spent_kopiyky if self.document is not None else 0

    @property
    def open_flags(self) -> list[FlagView]:
        return [f for f in self.flags if not f.answered]

    @property
    def receipts(self) -> list[StoredFile]:
        return self.document.receipts if self.document is not None else []

    @property
    def rejection_key(self) -> str:
        return REJECTION_REASONS.get(self.rejection_code, "other")


@dataclass
class MilestoneView:
    index: int
    title: str
    due_at: int
    share_kopiyky: int
    state: str  # planned | reported | rejected | accepted | paid | overdue
    stored_status: str  # the same without the clock (an overdue milestone may be reported, waiting)
    reports: list[ReportView] = field(default_factory=list)
    paid_kopiyky: int = 0
    paid_at: int | None = None
    payment_receipt: str = ""

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def report(self) -> ReportView | None:
        """The current report (the newest); earlier ones were rejected."""
        return self.reports[-1] if self.reports else None

    @property
    def spent_kopiyky(self) -> int:
        return self.report.spent_kopiyky if self.report is not None else 0


@dataclass
class DeliveryView:
    project: ProjectView
    plan: PlanDocument | None
    plan_hash: str
    milestones: list[MilestoneView]
    now: int

    @property
    def funded_kopiyky(self) -> int:
        return self.project.funded_kopiyky

    @property
    def paid_kopiyky(self) -> int:
        return sum(m.paid_kopiyky for m in self.milestones)

    @property
    def reported_kopiyky(self) -> int:
        return sum(m.spent_kopiyky for m in self.milestones)

    @property
    def overdue(self) -> list[MilestoneView]:
        return [m for m in self.milestones if m.state == "overdue"]

    @property
    def flags(self) -> list[FlagView]:
        return [f for m in self.milestones for r in m.reports for f in r.flags]

    def percent(self, kopiyky: int) -> int:
        """A part of the funded amount in whole per cent (for the chart's bars), at most 100."""
        if self.funded_kopiyky <= 0:
            return 0
        return min(100, kopiyky * 100 // self.funded_kopiyky)


class DeliveryReader:
    """ProjectDelivery of one hromada, for the pages and the open data."""

    def __init__(self, reader: ChainReader, documents: DeliveryDocuments, files: DeliveryFiles) -> None:
        self.reader = reader
        self.delivery = reader.h.delivery
        self.documents = documents
        self.files = files

    @chain_read
    def planned(self) -> list[tuple[int, int]]:
        """Every (round, project) with a plan, in the order the plans were set."""
        return [
            (int(log["args"]["roundId"]), int(log["args"]["projectId"]))
            for log in self.reader._logs(self.delivery, "DeliveryPlanSet")
        ]

    @chain_read
    def has_plan(self, round_id: int, project_id: int) -> bool:
        return bool(self.delivery.functions.hasPlan(round_id, project_id).call())

    @chain_read
    def project(self, project: ProjectView) -> DeliveryView | None:
        """The project's delivery, or None when it has no plan."""
        round_id, project_id = project.round_id, project.id
        if not self.delivery.functions.hasPlan(round_id, project_id).call():
            return None
        r = self.reader
        filters = {"roundId": round_id, "projectId": project_id}
        plan_logs = r._logs(self.delivery, "DeliveryPlanSet", **filters)
        plan_hash = bytes(plan_logs[0]["args"]["planHash"]) if plan_logs else b""
        plan_document = self.documents.plan(plan_hash) if plan_hash else None
        reported = r._logs(self.delivery, "MilestoneReported", **filters)
        accepted = r._logs(self.delivery, "ReportAccepted", **filters)
        rejected = r._logs(self.delivery, "ReportRejected", **filters)
        paid = r._logs(self.delivery, "TranchePaid", **filters)
        r._prefetch_timestamps(log["blockNumber"] for log in [*reported, *accepted, *rejected, *paid])

        reports: dict[int, ReportView] = {}
        for log in reported:
            args = log["args"]
            digest = bytes(args["reportHash"])
            report = ReportView(
                id=int(args["reportId"]),
                milestone=int(args["index"]),
                report_hash=digest.hex(),
                receipt_hashes=[bytes(h).hex() for h in args["receiptHashes"]],
                document=self._report_document(digest, round_id, project_id, int(args["index"])),
                reported_at=r._timestamp(log["blockNumber"]),
            )
            report.mismatched_receipts = self._mismatched(report)
            reports[report.id] = report
        for log in accepted:
            report = reports[int(log["args"]["reportId"])]
            report.decision, report.decided_at = "accepted", r._timestamp(log["blockNumber"])
        for log in rejected:
            report = reports[int(log["args"]["reportId"])]
            report.decision, report.decided_at = "rejected", r._timestamp(log["blockNumber"])
            report.rejection_code = int(log["args"]["reasonCode"])
        for report in reports.values():
            report.flags = self._flags(report.id)

        titles = plan_document.milestones if plan_document is not None else []
        milestones = []
        for index, m in enumerate(call_struct_list(self.delivery, "plan", round_id, project_id)):
            state = int(self.delivery.functions.milestoneState(round_id, project_id, index).call())
            milestones.append(
                MilestoneView(
                    index=index,
                    title=titles[index] if index < len(titles) else "",
                    due_at=int(m["dueAt"]),
                    share_kopiyky=int(m["shareKopiyky"]),
                    state=_name(MILESTONE_STATES, state),
                    stored_status=_name(MILESTONE_STATES, int(m["status"])),
                    reports=sorted(
                        (rep for rep in reports.values() if rep.milestone == index), key=lambda x: x.id
                    ),
                )
            )
        for log in paid:
            milestone = milestones[int(log["args"]["index"])]
            milestone.paid_kopiyky = int(log["args"]["amountKopiyky"])
            milestone.paid_at = r._timestamp(log["blockNumber"])
            milestone.payment_receipt = bytes(log["args"]["receiptHash"]).hex()
        return DeliveryView(project, plan_document, plan_hash.hex(), milestones, r.now())

    def _report_document(
        self, digest: bytes, round_id: int, project_id: int, index: int
    ) -> ReportDocument | None:
        document = self.documents.report(digest)
        if document is None or (document.round_id, document.project_id, document.milestone) != (
            round_id,
            project_id,
            index,
        ):
            return None  # a document of another milestone is not this milestone's report
        return document

    def _mismatched(self, report: ReportView) -> list[str]:
        """The chain's receipt hashes that no stored file matches (changed after it was reported, or gone)."""
        names = {f.sha256: f for f in report.receipts}
        return [h for h in report.receipt_hashes if h not in names or not self.files.matches(names[h])]

    def _flags(self, report_id: int) -> list[FlagView]:
        r = self.reader
        flagged = r._logs(self.delivery, "ReportFlagged", reportId=report_id)
        answered = {
            int(log["args"]["flagId"]): log
            for log in r._logs(self.delivery, "FlagAnswered", reportId=report_id)
        }
        r._prefetch_timestamps(log["blockNumber"] for log in [*flagged, *answered.values()])
        flags = []
        for log in flagged:
            args = log["args"]
            flag = FlagView(
                id=int(args["flagId"]),
                report_id=report_id,
                resident_id=int(args["residentId"]),
                reason_code=int(args["reasonCode"]),
                reason=self.documents.flag_reason(bytes(args["reasonHash"])),
                flagged_at=r._timestamp(log["blockNumber"]),
            )
            answer = answered.get(flag.id)
            if answer is not None:
                flag.answered = True
                flag.answer = self.documents.answer(bytes(answer["args"]["answerHash"]))
                flag.answered_at = r._timestamp(answer["blockNumber"])
            flags.append(flag)
        return flags


def call_struct_list(contract: Any, function: str, *args: Any) -> list[dict[str, Any]]:
    """A view returning an array of structs, each as a dict keyed by the ABI's field names."""
    abi = list(contract.abi)
    item = next(i for i in abi if i.get("type") == "function" and i.get("name") == function)
    components = item["outputs"][0]["components"]
    values = getattr(contract.functions, function)(*args).call()
    return [{c["name"]: v for c, v in zip(components, value, strict=True)} for value in values]
