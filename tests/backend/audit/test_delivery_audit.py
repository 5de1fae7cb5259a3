"""`cts audit` on projects being delivered: paid against funded against accepted, from events alone.

The honest history (delivery_history.py) has an overdue milestone and an unanswered flag, which the audit
lists as notices without failing; a payment the delivery rules do not allow is made by writing the delivery
contract's storage (a milestone marked accepted with no ReportAccepted event) and then paying it on chain:
the audit names the payment without an accepted report and the project paid beyond its accepted milestones.
"""

from __future__ import annotations

import copy
import json

import pytest
from audit_history import HonestHistory, h
from delivery_history import FUNDED, DeliveryHistory, act_out_delivery
from eth_utils.crypto import keccak
from test_audit import audit, read_slot, write_slot
from web3 import Web3

from cts.audit.audit import format_summary, run_audit
from cts.audit.delivery import (
    OVERDUE_MILESTONE,
    PAID_BEYOND_ACCEPTED,
    PAYMENT_WITHOUT_ACCEPTED_REPORT,
    UNANSWERED_FLAG,
)
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest

DELIVERY_PLANS_SLOT = 1  # ProjectDelivery._plans: fund 0, _plans 1
STATUS_SHIFT = 40 + 128  # Milestone: dueAt uint40, shareKopiyky uint128, then status uint8 (one slot)
ACCEPTED = 4


@pytest.fixture(scope="module")
def delivered(w3: Web3, audit_manifest: Manifest, honest: HonestHistory) -> DeliveryHistory:
    """A hromada of its own (on a copy of the audit's manifest, which other tests expect to hold one),
    acted out after the honest history, whose time travel would otherwise make every milestone overdue."""
    handles = onboard(
        Sender(w3, w3.eth.accounts[0]),
        copy.deepcopy(audit_manifest),
        HromadaSpec(
            key="delivered",
            name="Delivered Hromada",
            council=w3.eth.accounts[0],
            registrar=w3.eth.accounts[1],
        ),
    )
    return act_out_delivery(w3, handles)


def milestone_slot(round_id: int, project_id: int, index: int) -> int:
    outer = keccak(round_id.to_bytes(32, "big") + DELIVERY_PLANS_SLOT.to_bytes(32, "big"))
    array = keccak(project_id.to_bytes(32, "big") + outer)
    return int.from_bytes(keccak(array), "big") + index


def test_the_audit_recomputes_delivery_and_lists_overdue_milestones_and_unanswered_flags(
    delivered: DeliveryHistory, rpc_url: str
) -> None:
    result = run_audit(RpcClient(rpc_url), delivered.handles.delivery.address)
    assert result.ok, format_summary(result)
    plans = {(p["round_id"], p["project_id"]): p for p in result.figures()["delivery"]}
    assert set(plans) == {(1, 1), (1, 2)}
    one, two = plans[(1, 1)], plans[(1, 2)]
    assert (one["funded_kopiyky"], one["accepted_kopiyky"], one["paid_kopiyky"]) == (
        FUNDED[1],
        10_000,
        10_000,
    )
    assert [m["status"] for m in one["milestones"]] == ["paid", "reported", "planned"]
    assert (one["flags"], one["unanswered_flags"]) == (2, 1)
    assert [(m["status"], m["overdue"]) for m in two["milestones"]] == [
        ("rejected", True),
        ("planned", False),
    ]
    notices = [(f.kind, f.round_id, f.project_id, f.milestone) for f in result.findings]
    assert sorted(notices) == [(OVERDUE_MILESTONE, 1, 2, 0), (UNANSWERED_FLAG, 1, 1, 1)]
    assert not any(f.serious for f in result.findings)
    summary = format_summary(result)
    assert "notice: overdue milestone: round 1, project 2, milestone 1: due at" in summary
    assert (
        "notice: unanswered flag: round 1, project 1, milestone 2: flag 2 (reason 1) by resident 4" in summary
    )
    # The one-shot grant of project 3 (no plan) is still a grant in the ledger.
    assert result.figures()["fund"]["ledger"]["grantsPaid"] == 10_000 + FUNDED[3]


def test_a_payment_beyond_the_accepted_milestones_is_caught_and_named(
    w3: Web3, delivered: DeliveryHistory, rpc_url: str, chain_snapshot: None
) -> None:
    delivery = delivered.handles.delivery
    slot = milestone_slot(1, 1, 2)
    word = read_slot(w3, delivery.address, slot)
    due, share, status = delivery.functions.plan(1, 1).call()[2][:3]
    assert (word & (2**40 - 1), (word >> 40) & (2**128 - 1), (word >> STATUS_SHIFT) & 0xFF) == (
        due,
        share,
        status,
    )
    # Milestone 3 of project 1 marked accepted in storage: no report, no ReportAccepted event.
    write_slot(w3, delivery.address, slot, (word & ~(0xFF << STATUS_SHIFT)) | (ACCEPTED << STATUS_SHIFT))
    delivered.council.send(delivery.functions.payTranche(1, 1, 2, h("tranche-without-report")))

    result = run_audit(RpcClient(rpc_url), delivery.address)
    assert not result.ok
    serious = {(f.kind, f.project_id, f.milestone) for f in result.findings if f.serious}
    assert serious == {(PAYMENT_WITHOUT_ACCEPTED_REPORT, 1, 2), (PAID_BEYOND_ACCEPTED, 1, None)}
    beyond = next(f for f in result.findings if f.kind == PAID_BEYOND_ACCEPTED)
    assert beyond.detail == "paid 20,000 kopiyky; its accepted milestones allow 10,000"
    without = next(f for f in result.findings if f.kind == PAYMENT_WITHOUT_ACCEPTED_REPORT)
    assert without.detail.startswith("a tranche of 10,000 kopiyky was paid with no report, none accepted")
    named = [d.figure for d in result.differences]
    assert "delivery: paid beyond accepted: round 1, project 1" in named
    assert "delivery: payment without accepted report: round 1, project 1, milestone 3" in named
    # `cts audit` fails, and its JSON names both findings.
    assert audit(rpc_url, "--hromada", delivery.address) == 1


def test_the_audit_json_carries_the_delivery_findings(delivered: DeliveryHistory, rpc_url: str) -> None:
    document = run_audit(RpcClient(rpc_url), delivered.handles.delivery.address).to_json()
    kinds = sorted(f["kind"] for f in json.loads(json.dumps(document))["delivery_findings"])
    assert kinds == [OVERDUE_MILESTONE, UNANSWERED_FLAG]
