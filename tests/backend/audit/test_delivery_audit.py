"""`cts audit` on projects being delivered: paid against funded against accepted, from events alone.

The honest history (delivery_history.py) has an overdue milestone and an unanswered flag, which the audit
lists as notices without failing; a payment the delivery rules do not allow is made by writing the delivery
contract's storage (a milestone marked accepted with no ReportAccepted event) and then paying it on chain:
the audit names the payment without an accepted report and the project paid beyond its accepted milestones.

With --delivery-files the receipts' files (named by their SHA-256, as the service keeps them) are hashed
again: a file changed after it was reported fails the audit, a missing one is a notice.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from audit_history import HonestHistory, h
from delivery_history import FUNDED, RECEIPT_FILES, DeliveryHistory, act_out_delivery, receipt_hash
from eth_utils.crypto import keccak
from test_audit import audit, read_slot, write_slot
from web3 import Web3

from cts.audit.audit import format_summary, run_audit
from cts.audit.findings import (
    OVERDUE_MILESTONE,
    PAID_BEYOND_ACCEPTED,
    PAYMENT_WITHOUT_ACCEPTED_REPORT,
    RECEIPT_MISMATCH,
    RECEIPT_MISSING,
    UNANSWERED_FLAG,
    DeliveryFinding,
)
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest
from cts.cli import main

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


def pay_beyond_the_accepted_milestones(w3: Web3, delivered: DeliveryHistory) -> None:
    """Milestone 3 of project 1 marked accepted in storage (no report, no ReportAccepted event), then paid."""
    delivery = delivered.handles.delivery
    slot = milestone_slot(1, 1, 2)
    word = read_slot(w3, delivery.address, slot)
    due, share, status = delivery.functions.plan(1, 1).call()[2][:3]
    assert (word & (2**40 - 1), (word >> 40) & (2**128 - 1), (word >> STATUS_SHIFT) & 0xFF) == (
        due,
        share,
        status,
    )
    write_slot(w3, delivery.address, slot, (word & ~(0xFF << STATUS_SHIFT)) | (ACCEPTED << STATUS_SHIFT))
    delivered.council.send(delivery.functions.payTranche(1, 1, 2, h("tranche-without-report")))


def test_a_payment_beyond_the_accepted_milestones_is_caught_and_named(
    w3: Web3, delivered: DeliveryHistory, rpc_url: str, chain_snapshot: None
) -> None:
    delivery = delivered.handles.delivery
    pay_beyond_the_accepted_milestones(w3, delivered)

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


# ------------------------------------------------------------ receipt files (--delivery-files)


def receipts_folder(folder: Path, names: str = "abc") -> Path:
    """The receipts' files as the service keeps them: ``<sha256>.pdf``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{receipt_hash(name).hex()}.pdf").write_bytes(RECEIPT_FILES[name])
    return folder


def receipt_findings(findings: list[DeliveryFinding]) -> set[tuple[str, int, int, int | None]]:
    return {
        (f.kind, f.round_id, f.project_id, f.milestone)
        for f in findings
        if f.kind in (RECEIPT_MISMATCH, RECEIPT_MISSING)
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP by a real local server (as the pages serve /h/<slug>/delivery/files)."""
    folder = tmp_path / "served"
    folder.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/h/delivered/delivery/files"
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_honest_folder_of_receipts_gives_no_receipt_finding(
    delivered: DeliveryHistory, rpc_url: str, tmp_path: Path
) -> None:
    folder = receipts_folder(tmp_path / "delivery-files")
    result = run_audit(RpcClient(rpc_url), delivered.handles.delivery.address, delivery_files=folder)
    assert result.ok, format_summary(result)
    assert receipt_findings(result.findings) == set()
    assert result.receipts is not None
    assert (result.receipts.listed, result.receipts.matched, result.receipts.missing) == (3, 3, 0)
    assert f"receipts    3 listed in reports, checked in {folder}: 3 match" in format_summary(result)


def test_a_missing_receipt_is_a_notice_only(delivered: DeliveryHistory, rpc_url: str, tmp_path: Path) -> None:
    folder = receipts_folder(tmp_path / "delivery-files", names="ab")
    result = run_audit(RpcClient(rpc_url), delivered.handles.delivery.address, delivery_files=folder)
    assert result.ok, format_summary(result)
    assert receipt_findings(result.findings) == {(RECEIPT_MISSING, 1, 1, 1)}
    missing = next(f for f in result.findings if f.kind == RECEIPT_MISSING)
    assert not missing.serious
    assert missing.detail.startswith(f"report 2, receipt 0x{receipt_hash('c').hex()}: no file")
    assert (
        audit(rpc_url, "--hromada", delivered.handles.delivery.address, "--delivery-files", str(folder)) == 0
    )


def test_a_bad_payment_and_a_changed_receipt_are_both_caught_in_one_audit(
    w3: Web3, delivered: DeliveryHistory, rpc_url: str, chain_snapshot: None, tmp_path: Path
) -> None:
    """The acceptance test of issue 19's monitoring: one run names both, and fails."""
    pay_beyond_the_accepted_milestones(w3, delivered)
    folder = receipts_folder(tmp_path / "delivery-files")
    changed = folder / f"{receipt_hash('b').hex()}.pdf"
    changed.write_bytes(RECEIPT_FILES["b"].replace(b"cement", b"gold!!"))  # same size, other bytes

    delivery = delivered.handles.delivery.address
    result = run_audit(RpcClient(rpc_url), delivery, delivery_files=folder)
    assert not result.ok
    serious = {(f.kind, f.round_id, f.project_id, f.milestone) for f in result.findings if f.serious}
    assert serious == {
        (PAYMENT_WITHOUT_ACCEPTED_REPORT, 1, 1, 2),
        (PAID_BEYOND_ACCEPTED, 1, 1, None),
        (RECEIPT_MISMATCH, 1, 1, 0),
    }
    mismatch = next(f for f in result.findings if f.kind == RECEIPT_MISMATCH)
    assert mismatch.detail.startswith(
        f"report 1, receipt 0x{receipt_hash('b').hex()}: {changed.name} hashes to"
    )
    named = [d.figure for d in result.differences]
    assert "delivery: paid beyond accepted: round 1, project 1" in named
    assert "delivery: receipt mismatch: round 1, project 1, milestone 1" in named
    summary = format_summary(result)
    assert "1 match their on-chain hash" not in summary and "2 match their on-chain hash, 1 do not" in summary

    out = tmp_path / "audit.json"
    assert audit(rpc_url, "--hromada", delivery, "--delivery-files", str(folder), "--json", str(out)) == 1
    document = json.loads(out.read_text())
    kinds = {
        (f["kind"], f["project_id"], f["milestone"]) for f in document["delivery_findings"] if f["serious"]
    }
    assert kinds == {
        (PAYMENT_WITHOUT_ACCEPTED_REPORT, 1, 2),
        (PAID_BEYOND_ACCEPTED, 1, None),
        (RECEIPT_MISMATCH, 1, 0),
    }
    assert document["receipts"]["mismatched"] == 1


def test_receipts_are_fetched_from_a_base_url(
    delivered: DeliveryHistory, rpc_url: str, served: tuple[Path, str]
) -> None:
    folder, url = served
    target = folder / "h" / "delivered" / "delivery" / "files"
    receipts_folder(target, names="ab")  # c is missing
    (target / f"{receipt_hash('a').hex()}.pdf").write_bytes(b"%PDF-1.4\n% another receipt\n%%EOF\n")

    result = run_audit(RpcClient(rpc_url), delivered.handles.delivery.address, delivery_files=url)
    assert not result.ok
    assert receipt_findings(result.findings) == {(RECEIPT_MISMATCH, 1, 1, 0), (RECEIPT_MISSING, 1, 1, 1)}
    assert result.receipts is not None
    assert (result.receipts.matched, result.receipts.mismatched, result.receipts.missing) == (1, 1, 1)
    assert result.receipts.where == url

    # Put right, the same address gives an audit that agrees.
    receipts_folder(target)
    assert audit(rpc_url, "--hromada", delivered.handles.delivery.address, "--delivery-files", url) == 0


def test_the_report_shows_delivery_with_its_chart_and_milestones(
    delivered: DeliveryHistory, rpc_url: str, tmp_path: Path
) -> None:
    folder = receipts_folder(tmp_path / "delivery-files", names="ab")
    out = tmp_path / "report"
    arguments = ["--hromada", delivered.handles.delivery.address, "--out", str(out), "--quiet"]
    assert main(["report", "--rpc", rpc_url, *arguments, "--delivery-files", str(folder)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('data-testid="delivery"') : html.index('data-testid="check"')]
    assert "Delivery of funded projects" in section
    assert section.count("<svg") == 1  # the delivery chart
    for legend in ("funded", "milestones reported", "milestones accepted", "paid"):
        assert f">{legend}<" in section or legend in section
    assert "Round 1, project 1" in section and "Round 1, project 2" in section
    tables = re.findall(r'<table data-testid="milestones">(.*?)</table>', section, re.S)
    assert len(tables) == 2
    assert tables[0].count("<tr") == 4 and tables[1].count("<tr") == 3  # a header and each milestone
    assert tables[1].count('class="overdue"') == 1 and "(overdue)" in tables[1]
    assert "report rejected" in tables[1] and "paid" in tables[0]
    assert (
        "Receipts: 3 listed in the reports on chain; 2 files match their hash, 0 do not, 1 were not found."
        in section
    )
    findings = section[section.index('data-testid="delivery-findings"') :]
    for kind in ("overdue milestone", "flag without an answer", "receipt file not found"):
        assert kind in findings
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    plans = document["audit"]["figures"]["delivery"]
    assert [(p["reported_kopiyky"], p["accepted_kopiyky"]) for p in plans] == [(20_000, 10_000), (0, 0)]
