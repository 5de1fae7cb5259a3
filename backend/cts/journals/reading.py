"""Reading a paper journal typed into a spreadsheet: a CSV or XLSX file, its lines as plain text and dates.

Nothing in the file is ever run: XLSX is read with openpyxl (formulas come back as their text, "=SUM(...)",
macros are ignored; its XML is parsed with defusedxml, which refuses entity tricks), and every value is
kept as text that the pages escape. The file's size, its unpacked size and its number of lines are bounded
before and while it is read, so a crafted file cannot take the service's memory.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 500
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_COLUMNS = 12  # columns read per row; the journal has five
# The longest text kept per column (the description is the only long one).
MAX_TEXT = {"date": 200, "resident": 200, "programme": 200, "description": 1000, "evidence": 200}
COLUMNS = ("date", "resident", "programme", "description", "evidence")
# The header words the import recognises, in both languages (the printed template uses these words):
# lowercased, cut at "(" or ":".
HEADERS: dict[str, frozenset[str]] = {
    "date": frozenset({"date", "дата"}),
    "resident": frozenset({"resident", "мешканець", "мешканка", "мешканець або мешканка"}),
    "programme": frozenset({"programme", "program", "програма"}),
    "description": frozenset({"description", "what was done", "опис", "що зроблено"}),
    "evidence": frozenset(
        {"evidence", "evidence file", "evidence file name", "доказ", "файл доказу", "назва файлу доказу"}
    ),
}
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SPACES = re.compile(r"\s+")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls (and .doc)


class JournalFileError(ValueError):
    """Raised when a file cannot be read as a journal; ``code`` says why (the pages translate it)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RawLine:
    """One line of the journal as written: its row in the file, and each column's text (the date parsed
    when it could be)."""

    row: int
    date: date | None
    date_text: str
    resident: str
    programme: str
    description: str
    evidence: str
    too_long: bool = False


def clean_text(value: str) -> str:
    """Text as people read it: control characters dropped, runs of spaces as one, trimmed."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in value)
    return _SPACES.sub(" ", kept).strip()


def parse_date(value: object) -> date | None:
    """A journal's date: 31.12.2026 (as Ukrainians write it), 2026-12-31, or a date cell of XLSX.
    None for anything else (a number, 12/31/2026, 31.02.2026)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if match := _DOTTED.fullmatch(text):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if match := _ISO.fullmatch(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def _header_key(cell: object) -> str | None:
    text = _cell_text(cell).lower()
    text = re.split(r"[(:]", text, maxsplit=1)[0].strip()
    return next((key for key, words in HEADERS.items() if text in words), None)


def _columns(first: tuple[object, ...]) -> dict[str, int] | None:
    """Where each column is, from a header row; None if the row is no header."""
    found: dict[str, int] = {}
    for index, cell in enumerate(first):
        key = _header_key(cell)
        if key is not None and key not in found:
            found[key] = index
    if set(found) >= {"date", "resident", "programme", "description"}:
        return found
    return None


def _lines(rows: list[tuple[int, tuple[object, ...]]]) -> list[RawLine]:
    """The journal's lines from its non-empty rows: a header row names the columns (in any order); without
    one, the columns are in the template's order, provided the first row starts with a date."""
    if not rows:
        raise JournalFileError("journal_empty")
    columns = _columns(rows[0][1])
    if columns is not None:
        rows = rows[1:]
    elif parse_date(rows[0][1][0] if rows[0][1] else None) is not None:
        columns = {key: index for index, key in enumerate(COLUMNS)}
    else:
        raise JournalFileError("journal_no_header")
    if not rows:
        raise JournalFileError("journal_empty")
    lines = []
    for row, cells in rows:
        values = {key: (cells[i] if i < len(cells) else None) for key, i in columns.items()}
        texts = {key: _cell_text(values.get(key)) for key in COLUMNS}
        too_long = any(len(texts[key]) > MAX_TEXT[key] for key in COLUMNS)
        lines.append(
            RawLine(
                row=row,
                date=parse_date(values.get("date")),
                date_text=texts["date"][: MAX_TEXT["date"]],
                resident=texts["resident"][: MAX_TEXT["resident"]],
                programme=texts["programme"][: MAX_TEXT["programme"]],
                description=texts["description"][: MAX_TEXT["description"]],
                evidence=texts["evidence"][: MAX_TEXT["evidence"]],
                too_long=too_long,
            )
        )
    return lines


def _keep(rows: list[tuple[int, tuple[object, ...]]], row: int, cells: tuple[object, ...]) -> None:
    if any(_cell_text(c) for c in cells):
        if len(rows) > MAX_LINES:  # one more than the lines allowed: the header
            raise JournalFileError("journal_too_many_lines", limit=MAX_LINES)
        rows.append((row, cells))


def _read_xlsx(data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise JournalFileError("journal_too_large", limit=MAX_BYTES)
            if "xl/workbook.xml" not in archive.namelist():
                raise JournalFileError("journal_type")
    except zipfile.BadZipFile:
        raise JournalFileError("journal_unreadable") from None
    from openpyxl import load_workbook  # imported here: only an XLSX upload needs it

    rows: list[tuple[int, tuple[object, ...]]] = []
    try:
        # read_only streams the sheet; data_only=False gives a formula's text, never a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        try:
            sheet = workbook.worksheets[0]
            for row, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                _keep(rows, row, tuple(cells))
        finally:
            workbook.close()
    except JournalFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or hostile file
        raise JournalFileError("journal_unreadable") from None
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the mark Excel writes), else Windows-1251, which Excel in Ukrainian saves
    CSV in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _read_csv(data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    text = _decode(data)
    if "\x00" in text:
        raise JournalFileError("journal_type")
    first_line = text.split("\n", 1)[0]
    # Excel in Ukrainian separates with ";", other tools with ","; a tab now and then.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    rows: list[tuple[int, tuple[object, ...]]] = []
    try:
        for row, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            _keep(rows, row, tuple(cells[:MAX_COLUMNS]))
    except csv.Error:
        raise JournalFileError("journal_unreadable") from None
    return rows


def read_journal(data: bytes) -> tuple[str, list[RawLine]]:
    """The kind of the file ("csv" or "xlsx", from its content, never its name) and its lines;
    JournalFileError when it is not a journal we can read."""
    if not data.strip():
        raise JournalFileError("journal_empty")
    if len(data) > MAX_BYTES:
        raise JournalFileError("journal_too_large", limit=MAX_BYTES)
    if data.startswith(b"PK\x03\x04"):
        return "xlsx", _lines(_read_xlsx(data))
    if data.startswith(_OLE):
        raise JournalFileError("journal_old_excel")
    head = data[:1024]
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")):
        raise JournalFileError("journal_type")
    return "csv", _lines(_read_csv(data))
