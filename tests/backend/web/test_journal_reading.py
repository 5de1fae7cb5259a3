"""Reading journal files (cts.journals.reading), without a chain: the dates Ukrainian journals use, the header
in either language (the printed template's words), Excel's Ukrainian CSV, and formulas kept as text."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from openpyxl.xml import DEFUSEDXML

from cts.journals.reading import JournalFileError, clean_text, parse_date, read_journal
from cts.models import Language
from cts.web.i18n import get_translator
from cts.web.journal_messages import column_names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31.12.2026", date(2026, 12, 31)),
        ("1.2.2026", date(2026, 2, 1)),
        (" 2026-12-31 ", date(2026, 12, 31)),
        (datetime(2026, 3, 5, 0, 0), date(2026, 3, 5)),
        (date(2026, 3, 5), date(2026, 3, 5)),
        ("12/31/2026", None),
        ("31.02.2026", None),
        ("31.12.26", None),
        ("вчора", None),
        (46_000, None),
        (None, None),
    ],
)
def test_dates_as_ukrainian_journals_write_them_and_nothing_else(
    value: object, expected: date | None
) -> None:
    assert parse_date(value) == expected


def test_the_printed_columns_are_the_ones_the_import_reads_in_both_languages() -> None:
    for lang in Language:
        names = list(column_names(get_translator(lang)).values())
        csv = (";".join(names) + "\r\n" + "05.03.2026;067 123 45 67;1;Прибирання;IMG_1.jpg\r\n").encode()
        kind, lines = read_journal(csv)
        assert kind == "csv" and lines[0].resident == "067 123 45 67" and lines[0].evidence == "IMG_1.jpg"


def test_excels_ukrainian_csv_and_columns_in_another_order() -> None:
    data = "Опис;Дата;Програма;Мешканець\r\nПлетіння\tсітки;05.03.2026;2;a@b.org\r\n;;;\r\n".encode("cp1251")
    kind, lines = read_journal(data)
    assert kind == "csv" and len(lines) == 1
    line = lines[0]
    assert (line.row, line.date, line.description, line.programme, line.evidence) == (
        2,
        date(2026, 3, 5),
        "Плетіння сітки",
        "2",
        "",
    )


def test_a_formula_is_read_as_its_text_and_never_computed() -> None:
    assert DEFUSEDXML  # openpyxl parses the file's XML with defusedxml
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Date", "Resident", "Programme", "Description", "Evidence file"])
    sheet.append([date(2026, 3, 5), "a@b.org", "=1+1", '=HYPERLINK("http://x","y")', "IMG.jpg"])
    out = io.BytesIO()
    workbook.save(out)
    kind, lines = read_journal(out.getvalue())
    assert kind == "xlsx" and lines[0].programme == "=1+1"
    assert lines[0].description == '=HYPERLINK("http://x","y")' and lines[0].date == date(2026, 3, 5)


def test_control_characters_are_dropped_and_spaces_collapsed() -> None:
    assert clean_text(" a\u200b\u0007b \n\t c ") == "a b c"


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(JournalFileError) as refused:
        read_journal(out.getvalue())
    assert refused.value.code == "journal_type"
