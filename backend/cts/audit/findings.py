"""What the audit finds about the delivery of funded projects (cts.audit.delivery, cts.audit.receipts).

Serious findings fail the audit (they become Differences); notices are listed without failing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cts.audit.model import Difference

# Finding kinds. Serious ones fail the audit; notices do not.
PAID_BEYOND_ACCEPTED = "paid_beyond_accepted"
PAID_BEYOND_FUNDED = "paid_beyond_funded"
PAYMENT_WITHOUT_ACCEPTED_REPORT = "payment_without_accepted_report"
PAID_WITH_UNANSWERED_FLAG = "paid_with_unanswered_flag"
OVERDUE_MILESTONE = "overdue_milestone"
UNANSWERED_FLAG = "unanswered_flag"
# With --delivery-files (cts.audit.receipts): a receipt file changed since it was reported, or not found.
RECEIPT_MISMATCH, RECEIPT_MISSING = "receipt_mismatch", "receipt_missing"
SERIOUS = frozenset(
    {
        PAID_BEYOND_ACCEPTED,
        PAID_BEYOND_FUNDED,
        PAYMENT_WITHOUT_ACCEPTED_REPORT,
        PAID_WITH_UNANSWERED_FLAG,
        RECEIPT_MISMATCH,
    }
)


@dataclass(frozen=True)
class DeliveryFinding:
    """Something about a project's delivery that an auditor should see, named precisely."""

    kind: str
    round_id: int
    project_id: int
    milestone: int | None
    detail: str
    block: int | None = None

    @property
    def serious(self) -> bool:
        return self.kind in SERIOUS

    def __str__(self) -> str:
        where = f"round {self.round_id}, project {self.project_id}"
        if self.milestone is not None:
            where += f", milestone {self.milestone + 1}"
        block = f" (block {self.block})" if self.block is not None else ""
        return f"{self.kind.replace('_', ' ')}: {where}: {self.detail}{block}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "serious": self.serious,
            "round_id": self.round_id,
            "project_id": self.project_id,
            "milestone": self.milestone,
            "detail": self.detail,
            "block": self.block,
        }


def finding_differences(findings: list[DeliveryFinding], block: int) -> list[Difference]:
    """The serious findings as Differences: what the delivery rules allow against what was paid."""
    return [
        Difference(
            f"delivery: {f.kind.replace('_', ' ')}: round {f.round_id}, project {f.project_id}"
            + (f", milestone {f.milestone + 1}" if f.milestone is not None else ""),
            "none",
            f.detail,
            "the receipt file against MilestoneReported.receiptHashes"
            if f.kind == RECEIPT_MISMATCH
            else "ProjectDelivery and CommunityFund events",
            f.block if f.block is not None else block,
        )
        for f in findings
        if f.serious
    ]
