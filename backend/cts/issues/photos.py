"""Photos of issues: uploaded and checked as case evidence is (cts.web.files.EvidenceStore: the type read
from the file's first bytes, a size limit, stored once under its SHA-256), but only pictures a browser
shows (JPEG, PNG, WebP), and in a folder of their own: issue photos are public, evidence is not, so a photo
address can never reach an evidence file."""

from __future__ import annotations

from typing import BinaryIO

from cts.core.config import Settings
from cts.issues.errors import IssueInvalidError
from cts.web.files import EvidenceError, EvidenceStore, StoredEvidence, sniff_evidence_type

PHOTO_TYPES: dict[str, str] = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
StoredPhoto = StoredEvidence


class PhotoStore(EvidenceStore):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.folder = settings.var_dir / "issue-photos"

    def save(self, stream: BinaryIO) -> StoredPhoto:
        """Check and store a photo; IssueInvalidError("photos", ...) when it is not one we show."""
        stream.seek(0)
        kind = sniff_evidence_type(stream.read(32))
        stream.seek(0)
        if kind not in PHOTO_TYPES:
            raise IssueInvalidError("photos", "issue_photo_type")
        try:
            return super().save(stream)
        except EvidenceError as error:
            code = "issue_photo_too_large" if error.code == "evidence_too_large" else "issue_photo_type"
            raise IssueInvalidError("photos", code) from None

    def find_photo(self, name: str) -> StoredPhoto | None:
        """The stored photo named ``<sha256>.<ext>``, if it is one."""
        sha256, _, extension = name.partition(".")
        if extension not in PHOTO_TYPES:
            return None
        found = self.find(sha256)
        return found if found is not None and found.extension == extension else None
