"""Receipts of delivery reports, checked against the hashes the chain lists (`cts audit --delivery-files`).

A report's `MilestoneReported` event lists the SHA-256 of each receipt file. The service keeps the files as
``<sha256>.<ext>`` (its ``var/delivery-files``) and serves them at ``/h/<slug>/delivery/files/<name>``; an
auditor passes that folder (or a copy of it) or that base URL. Each receipt listed on chain is looked up and
its bytes hashed again:

- a file whose bytes do not hash to its on-chain hash is a serious finding (``receipt_mismatch``): the
  receipt was changed after it was reported;
- a receipt not found is a notice (``receipt_missing``): the audit cannot check it, the chain is not at fault.

Without the option the audit reads chain events alone, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from cts.audit.delivery import DeliveryHistory, Report
from cts.audit.errors import AuditError
from cts.audit.findings import RECEIPT_MISMATCH, RECEIPT_MISSING, DeliveryFinding

# What the service stores (cts.delivery.files): photos re-encoded as JPEG, PNG, WebP, and PDFs.
EXTENSIONS = ("jpg", "png", "webp", "pdf")
TIMEOUT = 30.0


class ReceiptSource(Protocol):
    """Where the receipt files are: each candidate file for a SHA-256 (hex), as (name, bytes)."""

    where: str

    def candidates(self, sha256: str) -> Iterator[tuple[str, bytes]]: ...


class FolderReceipts:
    """A folder of ``<sha256>.<ext>`` files (any extension: a copy may have renamed ``jpeg``)."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise AuditError(f"--delivery-files: {folder} is not a folder")
        self.folder = folder
        self.where = str(folder)

    def candidates(self, sha256: str) -> Iterator[tuple[str, bytes]]:
        for path in sorted(self.folder.glob(f"{sha256}.*")):
            if path.is_file():
                yield path.name, path.read_bytes()

    def close(self) -> None:
        pass


class UrlReceipts:
    """Files under an http(s) base URL: ``<base>/<sha256>.<ext>`` for each extension the service stores."""

    def __init__(self, base: str, client: httpx.Client | None = None) -> None:
        self.base = base.rstrip("/")
        self.where = self.base
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True)

    def candidates(self, sha256: str) -> Iterator[tuple[str, bytes]]:
        for extension in EXTENSIONS:
            name = f"{sha256}.{extension}"
            url = f"{self.base}/{name}"
            try:
                response = self.client.get(url)
            except httpx.HTTPError as error:
                raise AuditError(f"--delivery-files: cannot fetch {url}: {error}") from None
            if response.status_code in (404, 410):
                continue
            if response.status_code != 200:
                raise AuditError(f"--delivery-files: {url} answered HTTP {response.status_code}")
            yield name, response.content

    def close(self) -> None:
        self.client.close()


def receipt_source(where: str | Path) -> FolderReceipts | UrlReceipts:
    """The folder or base URL given to --delivery-files."""
    text = str(where)
    if text.startswith(("http://", "https://")):
        return UrlReceipts(text)
    return FolderReceipts(Path(text))


@dataclass
class ReceiptCheck:
    """What the check did: receipts listed on chain, files found and hashed, and how many did not match."""

    where: str
    listed: int = 0
    matched: int = 0
    mismatched: int = 0
    missing: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "listed": self.listed,
            "matched": self.matched,
            "mismatched": self.mismatched,
            "missing": self.missing,
        }


def check_receipts(
    delivery: DeliveryHistory, source: ReceiptSource
) -> tuple[ReceiptCheck, list[DeliveryFinding]]:
    """Every receipt of every report, looked up in `source` and hashed again."""
    check = ReceiptCheck(source.where)
    findings: list[DeliveryFinding] = []
    verdicts: dict[str, tuple[str, str | None]] = {}  # a hash listed twice is fetched once
    for report in sorted(delivery.reports.values(), key=lambda r: r.id):
        for receipt in report.receipt_hashes:
            sha256 = bytes(receipt).hex()
            check.listed += 1
            if sha256 not in verdicts:
                verdicts[sha256] = _verdict(source, sha256)
            verdict, detail = verdicts[sha256]
            if verdict == "matched":
                check.matched += 1
            elif verdict == "mismatched":
                check.mismatched += 1
                findings.append(_finding(RECEIPT_MISMATCH, report, sha256, detail or ""))
            else:
                check.missing += 1
                findings.append(
                    _finding(RECEIPT_MISSING, report, sha256, f"no file {sha256}.* in {source.where}")
                )
    return check, findings


def _verdict(source: ReceiptSource, sha256: str) -> tuple[str, str | None]:
    """("matched", None), ("mismatched", what the file hashes to) or ("missing", None)."""
    wrong = []
    for name, data in source.candidates(sha256):
        digest = hashlib.sha256(data).hexdigest()
        if digest == sha256:
            return "matched", None
        wrong.append(f"{name} hashes to {digest}")
    if wrong:
        return "mismatched", "; ".join(wrong)
    return "missing", None


def _finding(kind: str, report: Report, sha256: str, detail: str) -> DeliveryFinding:
    return DeliveryFinding(
        kind,
        report.round_id,
        report.project_id,
        report.index,
        f"report {report.id}, receipt 0x{sha256}: {detail}",
        report.block,
    )
