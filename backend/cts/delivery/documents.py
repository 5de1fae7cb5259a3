"""The documents behind a project's delivery (docs/delivery.md "Documents"): the plan's milestone titles, an
owner's report (what was spent on what, the receipts, photos of the result), a resident's reason for a flag,
the council's answer to it.

The chain holds only their hashes; the service keeps the documents, as it keeps projects' descriptions
(cts.web.files.DocumentStore): canonical JSON, stored under its SHA-256 in ``<var>/documents``, and that
SHA-256 is the hash on chain. Each document names its own kind, so a report's hash can never pass for a
flag's. A document whose bytes no longer hash to its name is not shown (``load`` answers None).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from cts.core.config import Settings
from cts.web.files import _atomic_write

PLAN_KIND = "cts/delivery-plan/v1"
REPORT_KIND = "cts/delivery-report/v1"
FLAG_KIND = "cts/delivery-flag/v1"
ANSWER_KIND = "cts/delivery-answer/v1"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# What people type, within limits a page can show and a spreadsheet can hold.
TITLE_MAX = 200
SUMMARY_MAX = 2000
LINE_TEXT_MAX = 200
TEXT_MAX = 1000
LINES_MAX = 40
RECEIPTS_MAX = 16  # the contract takes 64; a page of 16 receipts per milestone is already long
PHOTOS_MAX = 6
# A supplier's code: EDRPOU (a company, 8 digits) or RNOKPP (a sole trader, 10 digits).
EDRPOU_PATTERN = re.compile(r"\d{8}|\d{10}")
# Prozorro's tender ids: UA-2024-05-14-000123-a.
PROZORRO_PATTERN = re.compile(r"UA-\d{4}-\d{2}-\d{2}-\d{6}-[a-z]")
# DREAM's project ids are letters, digits and dashes (the settings' dream_project_url turns one into a link).
DREAM_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{1,59}")


@dataclass(frozen=True)
class LineItem:
    """One line of spending: what, how much, from whom (and their code), and the tender it came from."""

    description: str
    amount_kopiyky: int
    supplier: str = ""
    edrpou: str = ""
    tender: str = ""  # a Prozorro tender id, "" when none


@dataclass(frozen=True)
class StoredFile:
    """A receipt or a photo of a report: the SHA-256 of the stored file (hex) and its extension."""

    sha256: str
    extension: str

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"


@dataclass(frozen=True)
class PlanDocument:
    round_id: int
    project_id: int
    milestones: list[str]  # each milestone's title, in order
    prozorro: str = ""  # the project's Prozorro tender id
    dream: str = ""  # the project's DREAM id


@dataclass(frozen=True)
class ReportDocument:
    round_id: int
    project_id: int
    milestone: int  # its index, from 0
    summary: str
    lines: list[LineItem] = field(default_factory=list)
    receipts: list[StoredFile] = field(default_factory=list)
    photos: list[StoredFile] = field(default_factory=list)

    @property
    def spent_kopiyky(self) -> int:
        return sum(line.amount_kopiyky for line in self.lines)


@dataclass(frozen=True)
class TextDocument:
    """A resident's reason for a flag, or the council's answer to one."""

    text: str


def _encode(kind: str, document: Any) -> bytes:
    content = {"kind": kind, **asdict(document)}
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _files(items: Any) -> list[StoredFile]:
    files = [StoredFile(str(item["sha256"]), str(item["extension"])) for item in items]
    if not all(_SHA256_HEX.fullmatch(f.sha256) and f.extension.isalnum() for f in files):
        raise ValueError("not a stored file")
    return files


class DeliveryDocuments:
    """Stores and loads the delivery documents, by the SHA-256 that the chain names."""

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.var_dir / "documents"

    def _save(self, kind: str, document: Any) -> bytes:
        data = _encode(kind, document)
        digest = hashlib.sha256(data).digest()
        target = self.folder / f"{digest.hex()}.json"
        if not target.exists():
            _atomic_write(target, data)
        return digest

    def _load(self, kind: str, digest: bytes) -> dict[str, Any] | None:
        try:
            data = (self.folder / f"{digest.hex()}.json").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).digest() != digest:
            return None  # not what the chain names: never show a changed document
        try:
            content = json.loads(data)
        except ValueError:
            return None
        if not isinstance(content, dict) or content.get("kind") != kind:
            return None
        return content

    def save_plan(self, plan: PlanDocument) -> bytes:
        return self._save(PLAN_KIND, plan)

    def save_report(self, report: ReportDocument) -> bytes:
        return self._save(REPORT_KIND, report)

    def save_flag(self, reason: TextDocument) -> bytes:
        return self._save(FLAG_KIND, reason)

    def save_answer(self, answer: TextDocument) -> bytes:
        return self._save(ANSWER_KIND, answer)

    def plan(self, digest: bytes) -> PlanDocument | None:
        content = self._load(PLAN_KIND, digest)
        try:
            return (
                None
                if content is None
                else PlanDocument(
                    int(content["round_id"]),
                    int(content["project_id"]),
                    [str(title) for title in content["milestones"]],
                    str(content.get("prozorro", "")),
                    str(content.get("dream", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            return None

    def report(self, digest: bytes) -> ReportDocument | None:
        content = self._load(REPORT_KIND, digest)
        if content is None:
            return None
        try:
            return ReportDocument(
                round_id=int(content["round_id"]),
                project_id=int(content["project_id"]),
                milestone=int(content["milestone"]),
                summary=str(content["summary"]),
                lines=[
                    LineItem(
                        str(line["description"]),
                        int(line["amount_kopiyky"]),
                        str(line.get("supplier", "")),
                        str(line.get("edrpou", "")),
                        str(line.get("tender", "")),
                    )
                    for line in content["lines"]
                ],
                receipts=_files(content["receipts"]),
                photos=_files(content["photos"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def _text(self, kind: str, digest: bytes) -> str | None:
        content = self._load(kind, digest)
        return None if content is None else str(content.get("text", ""))

    def flag_reason(self, digest: bytes) -> str | None:
        return self._text(FLAG_KIND, digest)

    def answer(self, digest: bytes) -> str | None:
        return self._text(ANSWER_KIND, digest)
