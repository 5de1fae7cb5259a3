"""Photos of issues: uploaded and checked as case evidence is (cts.web.files.EvidenceStore: the type read
from the file's first bytes, a size limit, stored once under its SHA-256), but only pictures a browser
shows (JPEG, PNG, WebP), and in a folder of their own: issue photos are public, evidence is not, so a photo
address can never reach an evidence file.

Because they are public, a photo is not kept as uploaded: it is decoded and written again as a JPEG of at
most 1600 px on its longer side, turned upright, with no metadata. A phone's photo carries where and when it
was taken and with which device (EXIF); none of that reaches the page, and a 10 MB photo becomes a few
hundred kB that a slow connection can load."""

from __future__ import annotations

import io
import warnings
from typing import BinaryIO

from PIL import Image, ImageOps

from cts.core.config import Settings
from cts.issues.errors import IssueInvalidError
from cts.web.files import EvidenceError, EvidenceStore, StoredEvidence, sniff_evidence_type

PHOTO_TYPES: dict[str, str] = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
LONGEST_SIDE = 1600
JPEG_QUALITY = 82
# A decoded picture this large (pixels) is refused before it is decoded: a small file can claim a huge
# picture (a "decompression bomb") and take the server's memory.
MAX_PIXELS = 50_000_000
StoredPhoto = StoredEvidence


def reencode(data: bytes) -> bytes:
    """The picture as a metadata-free JPEG of at most LONGEST_SIDE px; IssueInvalidError if it is none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise IssueInvalidError("photos", "issue_photo_too_large")
                image.load()
                upright = ImageOps.exif_transpose(image)
                if upright.mode in ("RGBA", "LA", "P"):
                    upright = upright.convert("RGBA")
                    background = Image.new("RGB", upright.size, (255, 255, 255))
                    background.paste(upright, mask=upright.getchannel("A"))
                    upright = background
                else:
                    upright = upright.convert("RGB")
                upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
                out = io.BytesIO()
                upright.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
                return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IssueInvalidError("photos", "issue_photo_too_large") from None
    except IssueInvalidError:
        raise
    except Exception:  # a decoder given hostile bytes may fail in any way: it is not a photo
        raise IssueInvalidError("photos", "issue_photo_type") from None


class PhotoStore(EvidenceStore):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.folder = settings.var_dir / "issue-photos"

    def save(self, stream: BinaryIO) -> StoredPhoto:
        """Check a photo and store it written again (``reencode``); IssueInvalidError("photos", ...) when it
        is not a picture we show, or larger than the evidence limit."""
        stream.seek(0)
        kind = sniff_evidence_type(stream.read(32))
        stream.seek(0)
        if kind not in PHOTO_TYPES:
            raise IssueInvalidError("photos", "issue_photo_type")
        data = stream.read(self.max_bytes + 1)  # no more than one byte past the limit is read
        if len(data) > self.max_bytes:
            raise IssueInvalidError("photos", "issue_photo_too_large")
        try:
            return super().save(io.BytesIO(reencode(data)))
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
