"""Open data of delivery (issue 19): every planned project's plan, reports, payments and flags, as JSON (one
nested document) and as CSV (one flat table a spreadsheet opens, one row per record).

Amounts are exact: whole kopiyky in JSON, hryvnias with two decimals in CSV. Times are unix seconds in JSON
and ISO 8601 UTC in CSV. Text that a spreadsheet would take for a formula (starting with = + - @) is
written with a leading apostrophe in CSV, so opening the file never runs anything.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from cts.delivery.reads import DeliveryView, FlagView, MilestoneView, ReportView

CSV_COLUMNS = (
    "record",  # milestone | line | receipt | photo | flag | payment
    "round",
    "project",
    "project_title",
    "milestone",
    "milestone_title",
    "due",
    "state",
    "budget_uah",
    "report",
    "reported",
    "decision",
    "text",
    "supplier",
    "edrpou",
    "prozorro",
    "amount_uah",
    "sha256",
    "flag",
    "flag_reason",
    "answer",
    "answered",
    "paid",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _uah(kopiyky: int) -> str:
    sign = "-" if kopiyky < 0 else ""
    whole, part = divmod(abs(kopiyky), 100)
    return f"{sign}{whole}.{part:02d}"


def _iso(timestamp: int | None) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _flag_json(flag: FlagView) -> dict[str, Any]:
    return {
        "id": flag.id,
        "reason": flag.reason_key,
        "reason_code": flag.reason_code,
        "text": flag.reason,
        "flagged_at": flag.flagged_at,
        "answered": flag.answered,
        "answer": flag.answer,
        "answered_at": flag.answered_at,
    }


def _report_json(report: ReportView, file_url: str) -> dict[str, Any]:
    document = report.document
    return {
        "id": report.id,
        "reported_at": report.reported_at,
        "decision": report.decision,
        "rejection_code": report.rejection_code or None,
        "decided_at": report.decided_at,
        "report_hash": report.report_hash,
        "receipt_hashes": report.receipt_hashes,
        "receipts_mismatched": report.mismatched_receipts,
        "summary": document.summary if document else None,
        "spent_kopiyky": report.spent_kopiyky,
        "lines": [
            {
                "description": line.description,
                "amount_kopiyky": line.amount_kopiyky,
                "supplier": line.supplier,
                "edrpou": line.edrpou,
                "prozorro": line.tender,
            }
            for line in (document.lines if document else [])
        ],
        "receipts": [{"sha256": f.sha256, "url": file_url + f.name} for f in report.receipts],
        "photos": [
            {"sha256": f.sha256, "url": file_url + f.name} for f in (document.photos if document else [])
        ],
        "flags": [_flag_json(flag) for flag in report.flags],
    }


def _milestone_json(milestone: MilestoneView, file_url: str) -> dict[str, Any]:
    return {
        "number": milestone.number,
        "title": milestone.title,
        "due_at": milestone.due_at,
        "share_kopiyky": milestone.share_kopiyky,
        "state": milestone.state,
        "paid_kopiyky": milestone.paid_kopiyky,
        "paid_at": milestone.paid_at,
        "payment_receipt_hash": milestone.payment_receipt or None,
        "reports": [_report_json(report, file_url) for report in milestone.reports],
    }


def to_json(hromada: str, views: list[DeliveryView], file_url: str) -> dict[str, Any]:
    """The open data as one JSON document; ``file_url`` is where receipts and photos are, by name."""
    return {
        "hromada": hromada,
        "generated_at": views[0].now if views else None,
        "projects": [
            {
                "round": view.project.round_id,
                "project": view.project.id,
                "title": view.project.title,
                "funded_kopiyky": view.funded_kopiyky,
                "paid_kopiyky": view.paid_kopiyky,
                "reported_kopiyky": view.reported_kopiyky,
                "prozorro": view.plan.prozorro if view.plan else None,
                "dream": view.plan.dream if view.plan else None,
                "plan_hash": view.plan_hash,
                "milestones": [_milestone_json(m, file_url) for m in view.milestones],
            }
            for view in views
        ],
    }


def to_csv(views: list[DeliveryView]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()

    def row(**values: Any) -> None:
        writer.writerow({name: _cell(values.get(name)) for name in CSV_COLUMNS})

    for view in views:
        base = {
            "round": view.project.round_id,
            "project": view.project.id,
            "project_title": view.project.title,
        }
        for ms in view.milestones:
            where = {**base, "milestone": ms.number, "milestone_title": ms.title}
            row(
                record="milestone",
                **where,
                due=_iso(ms.due_at),
                state=ms.state,
                budget_uah=_uah(ms.share_kopiyky),
                prozorro=view.plan.prozorro if view.plan else "",
            )
            for report in ms.reports:
                at = {
                    **where,
                    "report": report.id,
                    "reported": _iso(report.reported_at),
                    "decision": report.decision,
                }
                document = report.document
                for line in document.lines if document else []:
                    row(
                        record="line",
                        **at,
                        text=line.description,
                        supplier=line.supplier,
                        edrpou=line.edrpou,
                        prozorro=line.tender,
                        amount_uah=_uah(line.amount_kopiyky),
                    )
                for receipt in report.receipt_hashes:
                    row(record="receipt", **at, sha256=receipt)
                for photo in document.photos if document else []:
                    row(record="photo", **at, sha256=photo.sha256)
                for flag in report.flags:
                    row(
                        record="flag",
                        **at,
                        flag=flag.id,
                        flag_reason=flag.reason_key,
                        text=flag.reason or "",
                        answer=flag.answer or "",
                        answered=_iso(flag.answered_at),
                    )
            if ms.paid_at:
                row(
                    record="payment",
                    **where,
                    amount_uah=_uah(ms.paid_kopiyky),
                    sha256=ms.payment_receipt,
                    paid=_iso(ms.paid_at),
                )
    return out.getvalue()
