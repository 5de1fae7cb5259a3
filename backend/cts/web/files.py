"""Files the web pages keep: evidence of useful cases, and the published descriptions of projects and rounds.

Both are content-addressed: a file is stored under its SHA-256, and that same SHA-256 is what goes on chain
(a case's evidence hash, a project's or round's metadata hash). Anyone holding the file can check it against
the chain; the chain holds no personal data, only the hash.

- Evidence: ``<var>/evidence/<sha256>.<ext>``. The type is read from the file's first bytes (never from its
  name or the browser's claim); photos (JPEG, PNG, WebP, HEIC) and PDF documents are accepted, up to the
  settings' ``evidence_max_bytes``.
- Documents: ``<var>/documents/<sha256>.json``, a small JSON object ``{"title": ..., "description": ...}``
  (a project's also ``"issues": [numbers]``, the community issues it answers, when it names some).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cts.core.config import Settings

CHUNK = 64 * 1024
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# extension -> media type of every evidence type we accept
EVIDENCE_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")


class EvidenceError(ValueError):
    """Raised when an upload cannot be evidence; ``code`` says why (the pages translate it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff_evidence_type(head: bytes) -> str | None:
    """The extension of a file from its first bytes, if it is a type we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


@dataclass(frozen=True)
class StoredEvidence:
    sha256: str  # 64 hex digits, no 0x
    extension: str
    size: int

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"

    @property
    def chain_hash(self) -> bytes:
        return bytes.fromhex(self.sha256)


def _atomic_write(target: Path, write: BinaryIO | bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            if isinstance(write, bytes):
                out.write(write)
            else:
                while chunk := write.read(CHUNK):
                    out.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class EvidenceStore:
    def __init__(self, settings: Settings) -> None:
        self.folder = settings.var_dir / "evidence"
        self.max_bytes = settings.evidence_max_bytes

    def save(self, stream: BinaryIO) -> StoredEvidence:
        """Check and store an upload; EvidenceError("evidence_missing" | "evidence_too_large" |
        "evidence_type") when it cannot be evidence. Storing the same file twice keeps one copy."""
        stream.seek(0)
        head = stream.read(32)
        if not head:
            raise EvidenceError("evidence_missing")
        extension = sniff_evidence_type(head)
        digest = hashlib.sha256(head)
        size = len(head)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise EvidenceError("evidence_too_large")
            digest.update(chunk)
        if size > self.max_bytes:
            raise EvidenceError("evidence_too_large")
        if extension is None:
            raise EvidenceError("evidence_type")
        stored = StoredEvidence(digest.hexdigest(), extension, size)
        target = self.folder / stored.name
        if not target.exists():
            stream.seek(0)
            _atomic_write(target, stream)
        return stored

    def find(self, sha256: str) -> StoredEvidence | None:
        """The stored file with this SHA-256 (hex, with or without 0x), if we have it."""
        sha256 = sha256.lower().removeprefix("0x")
        if not _SHA256_HEX.fullmatch(sha256):
            return None
        for extension in EVIDENCE_TYPES:
            path = self.folder / f"{sha256}.{extension}"
            if path.is_file():
                return StoredEvidence(sha256, extension, path.stat().st_size)
        return None

    def path(self, stored: StoredEvidence) -> Path:
        return self.folder / stored.name


@dataclass(frozen=True)
class Document:
    title: str
    description: str = ""
    # A project's answers to community issues: their numbers in the hromada (issue 18). Written only when
    # there are some, so a document without them hashes as it always did.
    issues: tuple[int, ...] = ()
    # A project's photos: the names of public pictures (cts.issues.photos.PhotoStore, "<sha256>.jpg"), which
    # the document's own hash thus fixes too. Written only when there are some, like the issues.
    photos: tuple[str, ...] = ()


MAX_ANSWERED_ISSUES = 5
MAX_PROJECT_PHOTOS = 4
PHOTO_NAME = re.compile(r"[0-9a-f]{64}\.(jpg|png|webp)")


class DocumentStore:
    """Descriptions of projects and rounds, published off chain and named by their SHA-256 on chain."""

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.var_dir / "documents"

    @staticmethod
    def encode(document: Document) -> bytes:
        content: dict[str, object] = {"title": document.title, "description": document.description}
        if document.issues:
            content["issues"] = list(document.issues)
        if document.photos:
            content["photos"] = list(document.photos)
        return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def save(self, document: Document) -> bytes:
        """Store the document; its SHA-256 (32 bytes), the hash to put on chain."""
        data = self.encode(document)
        digest = hashlib.sha256(data).digest()
        target = self.folder / f"{digest.hex()}.json"
        if not target.exists():
            _atomic_write(target, data)
        return digest

    def title(self, digest: bytes) -> str | None:
        """A project's title by its hash (for the pabulib export), None when not stored here."""
        document = self.load(digest)
        return document.title if document is not None else None

    def load(self, digest: bytes) -> Document | None:
        path = self.folder / f"{digest.hex()}.json"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).digest() != digest:
            return None  # not what the chain names: never show a tampered description
        try:
            content = json.loads(data)
            issues = tuple(int(n) for n in content.get("issues", ())[:MAX_ANSWERED_ISSUES])
            if any(n < 1 for n in issues):
                issues = ()
            photos = tuple(
                str(name)
                for name in content.get("photos", ())[:MAX_PROJECT_PHOTOS]
                if PHOTO_NAME.fullmatch(str(name))
            )
            return Document(str(content["title"]), str(content.get("description", "")), issues, photos)
        except (ValueError, KeyError, TypeError):
            return None
