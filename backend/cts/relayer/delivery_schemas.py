"""What the delivery endpoints accept (docs/delivery.md): a plan, a milestone's report, a resident's flag,
the council's decision, answer and payment. Bounds are the contract's (ProjectDelivery.MAX_MILESTONES,
MAX_RECEIPTS, uint40 dates, uint128 shares), so that bad input is a 422 naming the field, not a revert."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Self

from fastapi import Path
from pydantic import Field, model_validator

from cts.relayer.schemas import Hash32, Kopiyky, ReasonCode, Timestamp, _Input

MAX_MILESTONES = 24  # ProjectDelivery.MAX_MILESTONES
MAX_RECEIPTS = 64  # ProjectDelivery.MAX_RECEIPTS
# A milestone's index in a URL: 0 is the first.
MilestoneParam = Annotated[int, Path(ge=0, lt=MAX_MILESTONES, description="A milestone's index (0, 1, ...)")]


class PlannedMilestone(_Input):
    due_at: Timestamp
    share_kopiyky: Kopiyky


class DeliveryPlan(_Input):
    """Milestones in order of their due dates; the shares sum to the funded amount (the contract checks)."""

    milestones: list[PlannedMilestone] = Field(min_length=1, max_length=MAX_MILESTONES)
    plan_hash: Hash32

    @model_validator(mode="after")
    def _dates_increase(self) -> Self:
        dates = [m.due_at for m in self.milestones]
        if any(later <= earlier for earlier, later in pairwise(dates)):
            raise ValueError("milestones must be listed with strictly increasing due dates")
        return self


class MilestoneReport(_Input):
    report_hash: Hash32
    receipt_hashes: list[Hash32] = Field(default_factory=list, max_length=MAX_RECEIPTS)


class ReportFlag(_Input):
    reason_code: ReasonCode
    reason_hash: Hash32


class ReportRejection(_Input):
    reason_code: ReasonCode


class FlagAnswer(_Input):
    answer_hash: Hash32
