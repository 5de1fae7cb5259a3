"""The council imports a paper journal in a real browser (headless Chromium at 360 px, Ukrainian and English):
chooses the XLSX file, reads the preview line by line, records the good lines and watches them reach the
chain. Screenshots of each step under var/screenshots/<test>/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from journal_helpers import CSV_LINE, EXPECTED, good_keys, prepare, xlsx_journal
from test_browser import LANGUAGES, open_phone, sign_in
from web_helpers import Served, Shots

from cts.models import JournalLine, Language
from cts.web.i18n import get_translator
from cts.web.journal_messages import reason_text

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_council_imports_a_journal_and_records_its_good_lines(
    served: Served, browser: Browser, shots: Shots, lang: str, tmp_path: Path
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    s = prepare(world)
    # A case already on chain, which the journal repeats (its line 11).
    csv_key = s.key(s.residents[1], s.today, *CSV_LINE)
    cases = world.hromada.cases.functions
    world.driver.do(
        world.people.council,
        cases.recordCase(s.open_id, s.residents[1].wallet.address, bytes.fromhex(csv_key)),
    )
    before = s.case_count()
    journal = tmp_path / "журнал.xlsx"
    journal.write_bytes(xlsx_journal(s))

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, world.people.council.email)
    page.goto("council/journals")
    page.get_by_role("heading", name=t.gettext("Import a journal")).wait_for()
    shots(page, "journals")
    page.get_by_label(t.gettext("Journal file (CSV or XLSX)")).set_input_files(str(journal))
    page.get_by_role("button", name=t.gettext("Check the journal")).click()
    page.get_by_test_id("journal-summary").wait_for()
    values = {5: "2", 11: str(before), 16: "12"}
    for row, reason in EXPECTED.items():
        line = page.get_by_test_id(f"line-{row}")
        assert line.get_attribute("data-state") == ("good" if reason is None else "bad"), row
        if reason is not None:
            expected = reason_text(t, JournalLine(reason=reason, reason_value=values.get(row)))
            assert line.get_by_test_id("reason").inner_text() == expected, row
    shots(page, "preview")

    label = t.ngettext("Record the %(num)s good line", "Record the %(num)s good lines", 4)
    page.get_by_role("button", name=label).click()
    confirmed = t.ngettext(
        "%(num)s line recorded on the blockchain", "%(num)s lines recorded on the blockchain", 4
    )
    deadline = time.monotonic() + 60
    while confirmed not in page.get_by_test_id("journal-summary").inner_text().replace("\u00a0", " "):
        assert time.monotonic() < deadline, "the relayer did not record the lines in time"
        page.wait_for_timeout(300)
        page.reload()
    shots(page, "recorded")
    new = set(s.cases_by_evidence()) - {csv_key}
    assert s.case_count() == before + 4 and good_keys(s) <= new
