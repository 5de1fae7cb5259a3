"""Paper journals (issue 20), through the council's page and the API on a real local chain and SQLite file:
a real XLSX journal with good lines and one bad line per reason; the preview names every bad line and its
reason; recording sends the good lines through the relayer's worker and only they become cases, once;
importing again records nothing more. A CSV journal (Excel's Ukrainian CSV) goes through the API. Files
that are not journals are refused with a clear message and change nothing. The printable journal is a PDF
with the import's columns."""

from __future__ import annotations

import io
import re
import secrets
from typing import Any

from journal_helpers import (
    CSV_LINE,
    EXPECTED,
    FORMULA,
    MARKUP,
    Setup,
    csv_journal,
    good_keys,
    prepare,
    xlsx_journal,
)
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import func, select
from web_helpers import World, form_fields, sign_in

from cts.budgets import set_limits
from cts.hromadas import get_hromada
from cts.journals.reading import MAX_BYTES, MAX_LINES
from cts.models import JournalImport, JournalLine, Language, RelayAction, Role
from cts.web.i18n import get_translator
from cts.web.journal_messages import column_names, file_error, reason_text

UK = get_translator(Language.UK)


def _e(text: str) -> str:
    """Text as the pages write it (Jinja2 escapes with markupsafe)."""
    return str(escape(text))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _line_block(page: str, row: int) -> str:
    match = re.search(rf'data-testid="line-{row}" data-state="([a-z]+)">(.*?)</li>', page, re.DOTALL)
    assert match, f"line {row} is not on the page"
    return match.group(1) + "|" + match.group(2)


def _upload(world: World, name: str, data: bytes, kind: str) -> Any:
    page = world.client.get("/council/journals")
    return world.client.post(
        "/council/journals",
        data=form_fields(page.text),
        files={"journal": (name, data, kind)},
        follow_redirects=False,
    )


def _api(s: Setup, method: str, path: str, content_type: str | None = None, **kwargs: Any) -> Any:
    env = s.world.env
    extra = {"Content-Type": content_type} if content_type else {}
    headers = {
        **extra,
        "Authorization": f"Bearer {env.token(env.people.council)}",
        "Idempotency-Key": secrets.token_urlsafe(12),
    }
    return env.client.request(method, env.scoped(path), headers=headers, **kwargs)


def test_an_xlsx_journal_preview_names_every_bad_line_and_only_the_good_lines_become_cases_once(
    world: World,
) -> None:
    s = prepare(world)
    sign_in(world.client, world.people.council.email)

    # A CSV journal of one line, recorded first through the API: its case is then on chain.
    response = _api(s, "POST", "/api/journals?name=journal.csv", "text/csv", content=csv_journal(s))
    assert response.status_code == 201, response.text
    preview = response.json()
    assert preview["file_kind"] == "csv" and preview["ready"] == 1
    assert [line["state"] for line in preview["lines"]] == ["good"]
    recorded = _api(s, "POST", f"/api/journals/{preview['id']}/recording")
    assert recorded.status_code == 202, recorded.text
    world.env.worker.drain()
    followed = _api(s, "GET", f"/api/journals/{preview['id']}").json()
    assert followed["statuses"] == {"confirmed": 1}
    csv_key = s.key(s.residents[1], s.today, *CSV_LINE)
    assert csv_key in s.cases_by_evidence()
    cases_before = s.case_count()

    # The XLSX journal through the page: every bad line with its reason, in Ukrainian.
    response = _upload(world, "журнал.xlsx", xlsx_journal(s), XLSX)
    assert response.status_code == 303, response.text
    address = response.headers["location"]
    page = world.client.get(address).text
    csv_case = s.cases_by_evidence()
    case_ids = {key: i + 1 for i, key in enumerate(csv_case)}  # cases are numbered in log order
    values = {5: "2", 11: str(case_ids[csv_key]), 16: "12"}
    for row, reason in EXPECTED.items():
        block = _line_block(page, row)
        if reason is None:
            assert block.startswith("good|"), (row, block)
        else:
            assert block.startswith("bad|"), (row, block)
            text = reason_text(UK, JournalLine(reason=reason, reason_value=values.get(row)))
            assert _e(text) in block, (row, text, block)
    # Formulas and markup are text, shown as typed, never run or rendered.
    assert _e(FORMULA) in page and _e(MARKUP) in page and "<b>Допомога" not in page
    assert UK.ngettext("Record the %(num)s good line", "Record the %(num)s good lines", 4) in page

    # Record: the four good lines are queued, the worker sends them, and they alone become cases.
    record_form = form_fields(page)
    response = world.client.post(f"{address}/record", data=record_form, follow_redirects=False)
    assert response.status_code == 303
    world.env.worker.drain()
    after = s.cases_by_evidence()
    new = set(after) - set(csv_case)
    assert new == good_keys(s) and s.case_count() == cases_before + 4
    council = world.people.council.wallet.address
    assert all(after[key][1] == s.open_id and after[key][2] == council for key in new)
    page = world.client.get(address).text
    assert all(_line_block(page, row).startswith("confirmed|") for row, r in EXPECTED.items() if r is None)

    # Sending the record form again, or importing the same journal again, records nothing more.
    response = world.client.post(f"{address}/record", data=record_form, follow_redirects=False)
    assert response.status_code == 303 and "notice=already_sent" in response.headers["location"]
    again = _upload(world, "журнал (копія).xlsx", xlsx_journal(s), XLSX)
    second = world.client.get(again.headers["location"]).text
    on_chain = _e(UK.gettext("Already recorded on the blockchain: case #%(value)s.").split("%")[0])
    for row, reason in EXPECTED.items():
        assert _line_block(second, row).startswith("bad|"), row
        if reason is None:
            assert on_chain in _line_block(second, row), row
    assert UK.gettext("Nothing to record: no line of this journal can be recorded.") in second
    world.env.worker.drain()
    assert s.case_count() == cases_before + 4


def test_files_that_are_not_journals_are_refused_with_a_clear_message_and_nothing_is_kept(
    world: World,
) -> None:
    s = prepare(world)
    sign_in(world.client, world.people.council.email)
    header = "Дата;Мешканець;Програма;Опис;Файл доказу\r\n"
    refused = {
        "photo.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "journal_type"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "journal_old_excel"),
        "long.csv": (
            (header + f"{s.today:%d.%m.%Y};a@b.org;1;x;\r\n" * (MAX_LINES + 1)).encode(),
            "journal_too_many_lines",
        ),
        "nohead.csv": ("ім'я;телефон\r\nОлена;0671234567\r\n".encode(), "journal_no_header"),
        "empty.csv": (b"  \r\n", "journal_empty"),
        "broken.xlsx": (b"PK\x03\x04" + b"\x00" * 64, "journal_unreadable"),
    }
    for name, (data, code) in refused.items():
        response = _upload(world, name, data, "application/octet-stream")
        assert response.status_code == 422, (name, response.status_code)
        assert _e(file_error(UK, code, {"limit": MAX_LINES})) in response.text, name
    # The API says the same with a stable code; a file past the limit is refused without being read whole.
    response = _api(s, "POST", "/api/journals?name=big.csv", "text/csv", content=b"x" * (MAX_BYTES + 1))
    assert response.status_code == 422 and response.json()["code"] == "journal_too_large"
    response = _api(s, "POST", "/api/journals", "image/png", content=refused["photo.png"][0])
    assert response.status_code == 422 and response.json()["code"] == "journal_type"
    with world.env.app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(JournalImport)) == 0
    # Not the council: the page and the API refuse.
    resident = world.people.residents[0]
    token = world.env.token(resident)
    response = world.env.client.post(
        world.env.scoped("/api/journals"),
        content=csv_journal(s),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "resident-journal-1",
            "Content-Type": "text/csv",
        },
    )
    assert response.status_code == 403


def test_the_printable_journal_is_a_pdf_with_the_imports_columns_in_each_language(world: World) -> None:
    s = prepare(world)
    sign_in(world.client, world.people.council.email)
    page = world.client.get("/council/journals").text
    link = f"/council/journals/template/{s.open_id}.pdf"
    assert link in page
    for lang in (Language.UK, Language.EN):
        if lang == Language.EN:
            world.client.post("/language", data={**form_fields(page), "lang": "en", "next": "/"})
        response = world.client.get(link)
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        words = re.sub(r"\s+", " ", text)
        for name in column_names(get_translator(lang)).values():
            assert name in words, (lang, name, words)
        assert "Прибирання громади" in words and world.env.hromada_row().name in words
    assert world.client.get("/council/journals/template/999.pdf").status_code == 404


def test_a_recording_stopped_half_way_keeps_what_was_queued_and_the_next_attempt_queues_only_the_rest(
    world: World,
) -> None:
    s = prepare(world)
    sign_in(world.client, world.people.council.email)

    def council_gas(limit: int) -> None:
        with world.env.app.state.session_factory() as session:
            hromada = get_hromada(session, s.slug)
            set_limits(
                session,
                hromada,
                Role.COUNCIL,
                person_daily_gas=limit,
                role_share_percent=60,
                actions_per_window=100,
            )
            session.commit()

    # Room for two lines' gas, not three (the relayer asks 30 % over the estimate).
    council = world.people.council.wallet.address
    record = world.hromada.cases.functions.recordCase(s.open_id, s.residents[0].wallet.address, b"\x01" * 32)
    council_gas(int(2.5 * 1.3 * record.estimate_gas({"from": council})))
    address = _upload(world, "журнал.xlsx", xlsx_journal(s), XLSX).headers["location"]
    page = world.client.get(address).text
    response = world.client.post(f"{address}/record", data=form_fields(page))
    assert response.status_code == 429
    assert _e(UK.error("gas_budget_exceeded")).split("%")[0][:40] in response.text
    # Without the CSV journal of the first test, its line 11 is a good line too: five in all, three left.
    stopped = UK.ngettext(
        "%(num)s line was queued; the others were not: %(reason)s",
        "%(num)s lines were queued; the others were not: %(reason)s",
        2,
        reason="",
    )
    assert _e(stopped) in response.text
    assert UK.ngettext("Record the %(num)s good line", "Record the %(num)s good lines", 3) in response.text
    world.env.worker.drain()
    assert s.case_count() == 2

    council_gas(400_000_000)
    page = world.client.get(address).text
    response = world.client.post(f"{address}/record", data=form_fields(page), follow_redirects=False)
    assert response.status_code == 303
    world.env.worker.drain()
    with world.env.app.state.session_factory() as session:
        actions = session.scalar(
            select(func.count()).select_from(RelayAction).where(RelayAction.kind == "recordCase")
        )
        assert actions == 5
    assert set(s.cases_by_evidence()) == good_keys(s) | {s.key(s.residents[1], s.today, *CSV_LINE)}
