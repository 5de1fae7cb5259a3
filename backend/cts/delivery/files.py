"""Receipts and photos of delivery reports: public, as the reports are, so in a folder of their own
(``<var>/delivery-files``), apart from case evidence, which is not.

A receipt is a photo (JPEG, PNG, WebP) or a PDF; a photo of the result is a photo. Pictures are written
again as metadata-free JPEGs (cts.issues.photos.reencode: a phone's photo says where it was taken), PDFs are
kept as sent. The file is stored under the SHA-256 of what is stored, and that SHA-256 is the receipt's hash
on chain (``MilestoneReported.receiptHashes``): anyone holding the file can check it, and the audit does
(`cts audit --delivery-files`).
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from cts.core.config import Settings
from cts.delivery.documents import StoredFile
from cts.issues.errors import IssueInvalidError
from cts.issues.photos import PHOTO_TYPES, reencode
from cts.web.files import EvidenceError, EvidenceStore, sniff_evidence_type

FILE_TYPES: dict[str, str] = {**PHOTO_TYPES, "pdf": "application/pdf"}


class DeliveryFiles(EvidenceStore):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.folder = settings.var_dir / "delivery-files"

    def _store(self, stream: BinaryIO, allowed: dict[str, str]) -> StoredFile:
        stream.seek(0)
        head = stream.read(32)
        stream.seek(0)
        if not head:
            raise EvidenceError("evidence_missing")
        kind = sniff_evidence_type(head)
        if kind not in allowed:
            raise EvidenceError("evidence_type")
        data = stream.read(self.max_bytes + 1)  # no more than one byte past the limit is read
        if len(data) > self.max_bytes:
            raise EvidenceError("evidence_too_large")
        if kind != "pdf":
            try:
                data = reencode(data)
            except IssueInvalidError as error:
                code = "evidence_too_large" if error.code == "issue_photo_too_large" else "evidence_type"
                raise EvidenceError(code) from None
        stored = super().save(io.BytesIO(data))
        return StoredFile(stored.sha256, stored.extension)

    def save_receipt(self, stream: BinaryIO) -> StoredFile:
        """A receipt, checked and stored; EvidenceError("evidence_missing" | "evidence_type" |
        "evidence_too_large") when it cannot be one."""
        return self._store(stream, FILE_TYPES)

    def save_photo(self, stream: BinaryIO) -> StoredFile:
        return self._store(stream, PHOTO_TYPES)

    def find_file(self, name: str) -> StoredFile | None:
        """The stored file named ``<sha256>.<ext>``, if it is one."""
        sha256, _, extension = name.partition(".")
        if extension not in FILE_TYPES:
            return None
        found = self.find(sha256)
        if found is None or found.extension != extension:
            return None
        return StoredFile(found.sha256, found.extension)

    def matches(self, stored: StoredFile) -> bool:
        """Whether the file's bytes still hash to its name (and so to the chain's receipt hash)."""
        digest = hashlib.sha256()
        try:
            with open(self.folder / stored.name, "rb") as file:
                while chunk := file.read(64 * 1024):
                    digest.update(chunk)
        except OSError:
            return False
        return digest.hexdigest() == stored.sha256
