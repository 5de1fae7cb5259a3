"""The audit: locate the hromada, replay its events, compare with its state, say where they differ.

`run_audit(client, target)` with an RpcClient and a contract address or manifest gives an AuditResult;
`format_summary(result)` is what `cts audit` prints, and `result.ok` its verdict.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cts.audit.abi import CONTRACTS, EventDecoder
from cts.audit.compare import INTERNAL_CHECKS, compare, internal_differences
from cts.audit.figures import recomputed_figures
from cts.audit.findings import DeliveryFinding, finding_differences
from cts.audit.links import LinkAudit, audit_links
from cts.audit.locate import Hromada, factory_implementations, locate_hromada
from cts.audit.model import Difference, jsonable
from cts.audit.receipts import ReceiptCheck, check_receipts, receipt_source
from cts.audit.recompute import History
from cts.audit.rpc import RpcClient
from cts.audit.scan import DEFAULT_CHUNK, ScanStats, scan_logs
from cts.audit.views import View, ViewReader

# Thresholds of the cyclic collector during an audit (Python's defaults: 700, 10, 10): a collection of the
# youngest objects after this many new ones, and of the older generations only every so many of those.
YOUNG_COLLECTION_EVERY = 50_000
OLDER_COLLECTIONS_EVERY = (20, 100)
_thresholds_lock = threading.Lock()
_audits_running = 0  # audits inside fewer_collections, in any thread
_thresholds_before: tuple[int, ...] = gc.get_threshold()


@dataclass
class AuditResult:
    """A finished audit: the recomputed history, what was compared, and every difference."""

    hromada: Hromada
    block: int
    timestamp: int
    history: History
    scan: ScanStats
    checked: int
    differences: list[Difference]
    views_read: int
    seconds: float
    links: LinkAudit | None = None
    # Delivery of funded projects: serious findings (also among the differences) and notices.
    findings: list[DeliveryFinding] = field(default_factory=list)
    # With --delivery-files: the receipt files checked against the hashes the reports list on chain.
    receipts: ReceiptCheck | None = None

    @property
    def ok(self) -> bool:
        return not self.differences

    def figures(self) -> dict[str, Any]:
        return recomputed_figures(self.history, self.timestamp)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = jsonable(
            {
                "verdict": "agree" if self.ok else "differ",
                "hromada": self.hromada.to_json(),
                "block": self.block,
                "timestamp": self.timestamp,
                "scan": {
                    "from_block": self.scan.from_block,
                    "to_block": self.scan.to_block,
                    "requests": self.scan.requests,
                    "logs": self.scan.logs,
                    "halvings": self.scan.halvings,
                },
                "events": dict(sorted(self.history.event_counts.items())),
                "checked": self.checked,
                "views_read": self.views_read,
                "seconds": round(self.seconds, 3),
                "differences": [d.to_json() for d in self.differences],
                "figures": self.figures(),
                "links": self.links.to_json() if self.links is not None else None,
                "delivery_findings": [f.to_json() for f in self.findings],
                "receipts": self.receipts.to_json() if self.receipts is not None else None,
            }
        )
        return document


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector run less often during the block. An audit keeps hundreds of
    thousands of objects (the recomputed history) and makes millions more; at the default thresholds the
    collector walked every kept object again and again as they piled up, a fifth of the audit's CPU. It
    still runs (each HTTP response of the client sits in a reference cycle, its body with it, and must be
    collected), only after many more new objects, and seldom over the old ones. Restored afterwards.
    (Used as a decorator of `replay` and `run_audit`.)

    The thresholds are the process's: the web pages run audits in the service's threads, and `run_audit`
    calls `replay`. The first audit in sets them and the last one out restores what was there before, so that
    audits that overlap (or nest) never leave the process with the audit's thresholds."""
    global _audits_running, _thresholds_before
    with _thresholds_lock:
        if _audits_running == 0:
            _thresholds_before = gc.get_threshold()
            gc.set_threshold(YOUNG_COLLECTION_EVERY, *OLDER_COLLECTIONS_EVERY)
        _audits_running += 1
    try:
        yield
    finally:
        with _thresholds_lock:
            _audits_running -= 1
            if _audits_running == 0:
                gc.set_threshold(*_thresholds_before)


@dataclass
class Replay:
    """A hromada's events replayed up to `block`, before any comparison with its state."""

    hromada: Hromada
    block: int
    timestamp: int
    history: History
    scan: ScanStats
    reader: ViewReader


@fewer_collections()
def replay(
    client: RpcClient,
    target: str | None,
    manifest: str | Path | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: bool = False,
    track_series: bool = False,
) -> Replay:
    """Locate the hromada and replay every event of its five contracts up to `to_block` (default latest)."""
    head = client.block_number()
    block = head if to_block is None else min(to_block, head)
    hromada = locate_hromada(client, target, manifest, from_block, head=block)
    reader = ViewReader(client, hromada.contracts, block, progress=progress)
    # The face value is fixed at creation and appears in no event: it is the one figure taken from a view.
    face_value = reader.read_one(View("token", "faceValueKopiyky"))
    history = History(hromada.contracts, face_value, track_series=track_series)
    decoder = EventDecoder({key: (address, CONTRACTS[key]) for key, address in hromada.contracts.items()})
    stats = ScanStats(from_block=hromada.start_block, to_block=block)
    addresses = list(hromada.contracts.values())
    for logs in scan_logs(
        client, addresses, hromada.start_block, block, stats, chunk=chunk, progress=progress
    ):
        for log in logs:
            event = decoder.decode(log)
            if event is not None:
                history.apply(event)
    timestamp = client.block_timestamps([block])[block]
    return Replay(hromada, block, timestamp, history, stats, reader)


@fewer_collections()
def run_audit(
    client: RpcClient,
    target: str | None,
    manifest: str | Path | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: bool = False,
    track_series: bool = False,
    delivery_files: str | Path | None = None,
) -> AuditResult:
    """Replay the hromada's events, compare with its state at the same block, list every difference.

    With `delivery_files` (a folder or base URL of the receipt files, cts.audit.receipts), every receipt
    a report lists on chain is also hashed again."""
    started = time.perf_counter()
    r = replay(client, target, manifest, from_block, to_block, chunk, progress, track_series)
    differences = list(r.history.anomalies)
    differences += internal_differences(r.history, r.block)
    differences += provenance_differences(client, r.hromada, r.block)
    comparison = compare(r.history, r.reader, r.timestamp)
    differences += comparison.differences
    links = audit_links(client, r.hromada, r.history, r.block, chunk)
    differences += links.differences
    findings = r.history.delivery.all_findings(r.timestamp)
    receipts = None
    if delivery_files is not None:
        source = receipt_source(delivery_files)
        try:
            receipts, receipt_findings = check_receipts(r.history.delivery, source)
        finally:
            source.close()
        findings += receipt_findings
    differences += finding_differences(findings, r.block)
    return AuditResult(
        hromada=r.hromada,
        block=r.block,
        timestamp=r.timestamp,
        history=r.history,
        scan=r.scan,
        checked=comparison.checked
        + INTERNAL_CHECKS
        + (len(CONTRACTS) if r.hromada.factory else 0)
        + links.checked,
        differences=differences,
        views_read=r.reader.calls,
        seconds=time.perf_counter() - started,
        links=links,
        findings=findings,
        receipts=receipts,
    )


def provenance_differences(client: RpcClient, hromada: Hromada, block: int) -> list[Difference]:
    """Each contract must be a minimal clone of the implementation that the onboarding factory clones."""
    if hromada.factory is None:
        return []
    expected = factory_implementations(client, hromada.factory)
    return [
        Difference(
            f"{CONTRACTS[key]} is a clone of the factory's implementation",
            expected[key],
            hromada.implementations.get(key),
            f"eth_getCode({hromada.contracts[key]}) vs HromadaFactory {hromada.factory}",
            block,
        )
        for key in CONTRACTS
        if expected[key] is not None and hromada.implementations.get(key) != expected[key]
    ]


def uah(kopiyky: int) -> str:
    """Integer kopiyky as 'UAH 1,234.50' (no floats)."""
    sign = "-" if kopiyky < 0 else ""
    whole, cents = divmod(abs(kopiyky), 100)
    return f"{sign}UAH {whole:,}.{cents:02d}"


def ratio(bps: int) -> str:
    """Basis points as a decimal ratio: 45_788 -> '4.5788'."""
    return f"{bps // 10_000}.{bps % 10_000:04d}"


def format_summary(result: AuditResult, max_differences: int | None = None) -> str:
    """What `cts audit` prints: the figures, the verdict, and every difference."""
    h = result.history
    f = result.figures()
    lines = [
        f"cts audit: hromada {result.hromada.label}, chain {result.hromada.chain_id}",
        f"  blocks {result.scan.from_block}..{result.scan.to_block} (state read at block {result.block}); "
        f"{result.scan.logs:,} logs in {result.scan.requests} eth_getLogs requests, "
        f"{h.events_applied:,} events replayed, {result.views_read:,} view calls",
    ]
    lines += [f"  note: {note}" for note in result.hromada.notes]
    residents = f["residents"]
    lines.append(
        f"  residents   {residents['registered']} registered, {residents['active']} active, "
        f"{residents['suspended']} suspended, {residents['migrated']} migrated, {residents['moved']} moved"
    )
    if f["moves"]:
        links = [link for move in f["moves"] for link in move["links"]]
        arrived = sum(1 for link in links if link["kind"] == "arrived_from")
        released = [link for link in links if link["kind"] == "released_to"]
        kept = sum(1 for link in released if link["keep_active"])
        peers = result.links.peers if result.links is not None else {}
        named = ", ".join(p.name or p.registry for p in peers.values())
        lines.append(
            f"  moves       {len(f['moves'])} residents: {arrived} arrivals, {len(released)} releases "
            f"({kept} kept active), linked to {len(peers)} other registries ({named}); the linked records "
            "there were checked too (one hop)"
        )
    token = f["token"]
    face = uah(token["face_value_kopiyky"])
    lines.append(
        f"  RV          supply {token['total_supply']:,}, minted {token['total_minted']:,}, burned "
        f"{token['total_burned']:,}, {token['holders']} holders, face value {face}"
    )
    for p in f["programmes"]:
        cases = (
            f"{p['cases_submitted']} cases submitted, {p['cases_approved']} approved, "
            f"{p['cases_rejected']} rejected"
        )
        lines.append(
            f"  programme {p['id']} {p['title']!r} ({p['status']}): {cases}; {p['rv_minted']:,} RV "
            f"({uah(p['rv_minted_kopiyky'])}); cases worth {uah(p['value_approved_kopiyky'])}"
        )
    for r in f["rounds"]:
        funded = sum(1 for p in r["projects"] if p["funded_kopiyky"])
        unallocated = (
            "" if r["unallocated_kopiyky"] is None else f", unallocated {uah(r['unallocated_kopiyky'])}"
        )
        refunded = f", {r['refunded_rv']:,} RV refunded" if r["refunded_rv"] else ""
        rule = r["rule"].replace("_", " ")
        voters = f"{r['voters']} voters ({r['ballot_changes']} ballot events)"
        lines.append(
            f"  round {r['id']} ({r['state']}, {rule}): fund {uah(r['fund_kopiyky'])}, {len(r['projects'])} "
            f"projects, {voters}, escrow {r['escrow_rv']:,} RV; {funded} funded for "
            f"{uah(r['total_funded_kopiyky'])}{unallocated}, {r['rv_burned']:,} RV burned{refunded}"
        )
    ledger = f["fund"]["ledger"]
    buckets = ", ".join(f"{k} {uah(v)}" for k, v in ledger.items() if k != "deposits")
    holds = "holds" if f["fund"]["ledger_identity_holds"] else "DOES NOT HOLD"
    lines.append(f"  fund        deposits {uah(ledger['deposits'])} = {buckets} (identity {holds})")
    for cycle, figures in f["fund"]["impact"].items():
        label = "all time" if cycle == "all" else f"cycle {cycle}"
        worth = uah(figures.get("casesValueKopiyky", 0))
        issued = uah(figures.get("rvIssuedKopiyky", 0))
        lines.append(
            f"  impact {label}: cases {figures.get('casesApproved', 0)} worth {worth}, RV issued {issued}, "
            f"ratio {ratio(figures['ratioBps'])}"
        )
    loans = f["fund"]["loans"]
    if loans:
        states = ", ".join(f"{loan['id']} {loan['status']}" for loan in loans)
        lines.append(f"  loans       {len(loans)}: {states}")
    for plan in f["delivery"]:
        milestones = plan["milestones"]
        states = ", ".join(
            f"{m['index'] + 1} {m['status']}{' (overdue)' if m['overdue'] else ''}" for m in milestones
        )
        lines.append(
            f"  delivery round {plan['round_id']}, project {plan['project_id']}: funded "
            f"{uah(plan['funded_kopiyky'])}, accepted {uah(plan['accepted_kopiyky'])}, paid "
            f"{uah(plan['paid_kopiyky'])}; milestones {states}; {plan['flags']} flags, "
            f"{plan['unanswered_flags']} unanswered"
        )
    if result.receipts is not None:
        c = result.receipts
        lines.append(
            f"  receipts    {c.listed} listed in reports, checked in {c.where}: {c.matched} match their "
            f"on-chain hash, {c.mismatched} do not, {c.missing} not found"
        )
    notices = [finding for finding in result.findings if not finding.serious]
    lines += [f"  notice: {finding}" for finding in notices]
    lines.append("")
    if result.ok:
        lines.append(
            f"AGREE: {result.checked:,} figures compared with the chain at block {result.block}; "
            "every one matches the recomputation from events."
        )
        return "\n".join(lines)
    shown = result.differences if max_differences is None else result.differences[:max_differences]
    lines.append(
        f"DIFFER: {len(result.differences)} of {result.checked:,} figures differ (block {result.block}):"
    )
    lines += [f"  - {d}" for d in shown]
    if len(shown) < len(result.differences):
        lines.append(f"  ... and {len(result.differences) - len(shown)} more (see --json)")
    return "\n".join(lines)
