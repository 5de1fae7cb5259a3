"""Delivery pages (issue 19) through the TestClient: the council plans a funded project, its owner reports a
milestone with receipts and photos, a resident flags it, the council answers, accepts and pays; every form's
bad input is refused next to its field with nothing sent; the open data carries what the pages show; a
receipt changed after it was reported is named on the page."""

from __future__ import annotations

import csv
import hashlib
import html
import io
from typing import TYPE_CHECKING

import pytest
from delivery_helpers import TITLE, day, funded_project
from test_browser import LANGUAGES, open_phone, sign_in, wait_for_action
from test_council import done, send
from web_helpers import PHONE, Served, Shots, World
from web_helpers import sign_in as client_sign_in

from cts.delivery.comments import COMMENTS_PER_DAY
from cts.delivery.documents import DeliveryDocuments, PlanDocument
from cts.delivery.files import DeliveryFiles
from cts.models import Language
from cts.web.demo import picture, travel
from cts.web.i18n import get_translator
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from playwright.sync_api import Browser

UK = get_translator(Language.UK)


def test_a_project_is_planned_reported_flagged_answered_accepted_and_paid_from_its_pages(
    world: World,
) -> None:
    project = funded_project(world)
    delivery = world.hromada.delivery.functions
    t = UK
    page = world.client.get(project.path())
    assert page.status_code == 200 and TITLE in page.text
    assert t.gettext("The council has not set this project’s delivery plan yet.") in page.text

    # The council's plan: each wrong field is named, and nothing reaches the chain.
    client_sign_in(world.client, world.people.council.email)
    half = project.funded // 2
    plan = {
        "title_1": "Генератор і кабелі",
        "due_1": day(world, 30),
        "share_1": f"{half / 100:.2f}",
        "title_2": "Монтаж і здача",
        "due_2": day(world, 60),
        "share_2": f"{(project.funded - half) / 100:.2f}",
        "prozorro": "UA-2026-03-15-000123-a",
    }
    short = send(world, project.path("/plan"), {**plan, "share_2": "1"})
    assert short.status_code == 422
    mismatch = t.gettext(
        "The milestones' amounts add up to %(sum)s; they must add up to the funded %(funded)s.",
        sum=t.uah(half + 100),
        funded=t.uah(project.funded),
    )
    assert mismatch in html.unescape(short.text)
    past = send(world, project.path("/plan"), {**plan, "due_1": "2020-01-01"})
    assert past.status_code == 422 and t.gettext("The date must be in the future.") in past.text
    unordered = send(world, project.path("/plan"), {**plan, "due_2": day(world, 10)})
    assert t.gettext("Each milestone is due after the one before it.") in unordered.text
    tender = send(world, project.path("/plan"), {**plan, "prozorro": "UA-12"})
    assert t.gettext("A Prozorro tender id looks like UA-2026-03-15-000123-a.") in tender.text
    assert not delivery.hasPlan(project.round_id, 1).call()
    done(world, send(world, project.path("/plan"), plan))
    assert delivery.hasPlan(project.round_id, 1).call()

    # Only the owner, and only the milestone due for a report, has a report form.
    client_sign_in(world.client, project.supporter.email)
    assert world.client.get(project.path("/milestones/1/report")).status_code == 404
    client_sign_in(world.client, project.owner.email)
    assert world.client.get(project.path("/milestones/2/report")).status_code == 404
    assert world.client.get(project.path("/milestones/1/report")).status_code == 200
    report = {
        "summary": "Куплено генератор 5 кВт і кабелі; <b>встановлення</b> наступним етапом.",
        "what_1": "Генератор 5 кВт",
        "amount_1": "3 000,50",
        "supplier_1": "ТОВ «Світло»",
        "edrpou_1": "12345678",
        "tender_1": "UA-2026-03-15-000123-a",
        "what_2": '=HYPERLINK("http://evil")',
        "amount_2": "150",
    }
    receipt = ("receipts", ("чек.png", picture(1), "image/png"))
    photo = ("photos", ("result.png", picture(2), "image/png"))
    bad_code = send(world, project.path("/milestones/1/report"), {**report, "edrpou_1": "123"}, [receipt])
    assert bad_code.status_code == 422
    edrpou = t.gettext("An EDRPOU code has 8 digits (a sole trader's code, 10).")
    assert edrpou in html.unescape(bad_code.text)
    no_receipt = send(world, project.path("/milestones/1/report"), report)
    assert t.gettext("Attach the receipts: a photo or a PDF of each.") in no_receipt.text
    not_a_receipt = send(
        world,
        project.path("/milestones/1/report"),
        report,
        [("receipts", ("note.txt", b"just words, not a receipt", "text/plain"))],
    )
    assert t.gettext("Send a photo (JPEG, PNG or WebP) or a PDF of each receipt.") in not_a_receipt.text
    assert delivery.reportCount().call() == 0
    done(world, send(world, project.path("/milestones/1/report"), report, [receipt, photo]))
    assert delivery.reportCount().call() == 1
    page = world.client.get(project.path())
    assert "Генератор 5 кВт" in page.text and "12345678" in page.text
    assert "&lt;b&gt;встановлення&lt;/b&gt;" in page.text  # markup is shown as typed, never run
    assert "prozorro.gov.ua/tender/UA-2026-03-15-000123-a" in page.text
    assert t.uah(300_050 + 15_000) in page.text

    # Residents comment (kept by the service, shown without their names); bad input changes nothing.
    client_sign_in(world.client, world.people.residents[2].email)  # signed up, not registered
    stranger = send(world, "/delivery/reports/1/comments", {"text": "Хочу спитати"})
    assert stranger.status_code == 403 and t.error("resident_registry_not_active") in stranger.text
    client_sign_in(world.client, project.supporter.email)
    blank = send(world, "/delivery/reports/1/comments", {"text": "   "})
    assert blank.status_code == 422 and t.gettext("Fill in this field.") in blank.text
    too_long = send(world, "/delivery/reports/1/comments", {"text": "я" * 1001})
    at_most = t.ngettext("At most %(num)s character.", "At most %(num)s characters.", 1000)
    assert too_long.status_code == 422 and at_most in html.unescape(too_long.text)
    assert send(world, "/delivery/reports/99/comments", {"text": "Питання"}).status_code == 404
    assert "Хочу спитати" not in world.client.get(project.path()).text
    said = send(world, "/delivery/reports/1/comments", {"text": "<img src=x onerror=alert(1)> Дякуємо!"})
    assert said.status_code == 303
    comments = world.client.get(project.path()).text
    assert "&lt;img src=x onerror=alert(1)&gt; Дякуємо!" in comments
    assert t.ngettext("%(num)s comment", "%(num)s comments", 1) in comments
    for number in range(COMMENTS_PER_DAY - 1):
        assert send(world, "/delivery/reports/1/comments", {"text": f"Ще {number}"}).status_code == 303
    flood = send(world, "/delivery/reports/1/comments", {"text": "Ще одне"})
    limit = t.error("delivery_comment_daily_limit", limit=t.number(COMMENTS_PER_DAY))
    assert flood.status_code == 429 and limit in html.unescape(flood.text)

    # A resident flags it; the council cannot pay with the flag unanswered.
    client_sign_in(world.client, project.supporter.email)
    flag = {"reason": "2", "text": "Такий генератор коштує вдвічі менше."}
    empty = send(world, "/delivery/reports/1/flag", {"reason": "2", "text": ""})
    assert empty.status_code == 422 and t.gettext("Fill in this field.") in empty.text
    assert send(world, "/delivery/reports/99/flag", flag).status_code == 404
    done(world, send(world, "/delivery/reports/1/flag", flag))
    again = send(world, "/delivery/reports/1/flag", flag)
    assert again.status_code in (409, 422) and t.error("project_delivery_already_flagged") in again.text
    client_sign_in(world.client, world.people.council.email)
    early = send(world, project.path("/milestones/1/tranche"), {"receipt": "Платіжка 77"})
    assert early.status_code in (409, 422)
    done(world, send(world, project.path("/milestones/1/decision"), {"do": "accept"}))
    unanswered = send(world, project.path("/milestones/1/tranche"), {"receipt": "Платіжка 77"})
    assert unanswered.status_code in (409, 422)
    assert t.error("project_delivery_unanswered_flags") in unanswered.text
    assert delivery.paidKopiyky(project.round_id, 1).call() == 0
    answer = {"text": "Ціна з тендеру Prozorro: дешевших пропозицій не було."}
    done(world, send(world, "/delivery/flags/1/answer", answer))
    done(world, send(world, project.path("/milestones/1/tranche"), {"receipt": "Платіжка 77"}))
    assert delivery.paidKopiyky(project.round_id, 1).call() == half

    page = world.client.get(project.path())
    text = page.text
    assert "Такий генератор коштує вдвічі менше." in text and "дешевших пропозицій не було" in text
    assert t.label("milestone", "paid") in text
    assert t.uah(half) in text

    # The open data says the same, exactly, and a spreadsheet never runs a cell.
    data = world.client.get("/delivery.json").json()
    (entry,) = data["projects"]
    assert entry["funded_kopiyky"] == project.funded and entry["paid_kopiyky"] == half
    assert entry["prozorro"] == "UA-2026-03-15-000123-a"
    first = entry["milestones"][0]
    assert first["state"] == "paid" and first["paid_kopiyky"] == half
    (reported,) = first["reports"]
    assert [line["amount_kopiyky"] for line in reported["lines"]] == [300_050, 15_000]
    assert reported["flags"][0]["answer"] == answer["text"]
    receipt_file = world.client.get(reported["receipts"][0]["url"].split(world.base, 1)[1])
    assert receipt_file.status_code == 200
    assert hashlib.sha256(receipt_file.content).hexdigest() == reported["receipt_hashes"][0]
    rows = list(csv.DictReader(io.StringIO(world.client.get("/delivery.csv").text.lstrip("\ufeff"))))
    lines = [row for row in rows if row["record"] == "line"]
    assert [row["amount_uah"] for row in lines] == ["3000.50", "150.00"]
    assert lines[1]["text"].startswith("'=")
    assert [row["amount_uah"] for row in rows if row["record"] == "payment"] == [f"{half / 100:.2f}"]

    # A receipt changed after it was reported: the page says so.
    files = DeliveryFiles(world.settings)
    stored = files.find_file(reported["receipts"][0]["url"].rsplit("/", 1)[1])
    assert stored is not None
    files.path(stored).write_bytes(picture(99))  # type: ignore[arg-type]
    page = world.client.get(project.path())
    assert 'data-testid="receipt-mismatch"' in page.text


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_owner_reports_a_resident_flags_and_the_council_answers_and_pays_in_chromium(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    project = funded_project(world)
    council = world.people.council
    documents = DeliveryDocuments(world.settings)
    half = project.funded // 2
    now = world.driver.now()
    world.driver.do(
        council,
        world.hromada.delivery.functions.setPlan(
            project.round_id,
            1,
            [now + 30 * 86_400, now + 60 * 86_400],
            [half, project.funded - half],
            documents.save_plan(PlanDocument(project.round_id, 1, ["Генератор", "Монтаж"])),
        ),
    )
    address = project.path().lstrip("/")

    # The owner reports milestone 1 with a receipt and a photo of the result.
    owner = open_phone(browser, served, lang)
    sign_in(owner, t, lang, project.owner.email)
    owner.goto(address)
    owner.get_by_role("link", name=t.gettext("Report milestone %(number)s", number=1)).click()
    owner.wait_for_load_state()
    owner.locator("#report-summary").fill("Генератор куплено й доставлено до школи.")
    owner.locator("#report-what_1").fill("Генератор 5 кВт")
    owner.locator("#report-amount_1").fill("3000,50")
    owner.locator("#report-supplier_1").fill("ТОВ «Світло»")
    owner.locator("#report-edrpou_1").fill("1234")
    owner.locator("#report-receipts").set_input_files(
        [{"name": "receipt.png", "mimeType": "image/png", "buffer": picture(7)}]
    )
    owner.get_by_role("button", name=t.gettext("Send the report")).click()
    owner.wait_for_load_state()
    edrpou = t.gettext("An EDRPOU code has 8 digits (a sole trader's code, 10).")
    assert edrpou in owner.locator("main").inner_text()
    assert owner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(owner, "report-refused")
    assert world.hromada.delivery.functions.reportCount().call() == 0
    owner.locator("#report-edrpou_1").fill("12345678")
    owner.locator("#report-receipts").set_input_files(
        [{"name": "receipt.png", "mimeType": "image/png", "buffer": picture(7)}]
    )
    owner.locator("#report-photos").set_input_files(
        [{"name": "result.png", "mimeType": "image/png", "buffer": picture(8)}]
    )
    owner.get_by_role("button", name=t.gettext("Send the report")).click()
    wait_for_action(owner)

    # A resident flags it.
    resident = open_phone(browser, served, lang)
    sign_in(resident, t, lang, project.supporter.email)
    resident.goto(address)
    resident.get_by_text(t.gettext("Something wrong? Flag this report")).click()
    resident.locator("#flag-1-reason").select_option("1")
    resident.locator("#flag-1-text").fill("Генератора в школі немає.")
    resident.get_by_role("button", name=t.gettext("Flag the report")).click()
    wait_for_action(resident)
    resident.goto(address)
    assert "Генератора в школі немає." in resident.get_by_test_id("flag-1").inner_text()
    shots(resident, "flagged")

    # The council answers, accepts and pays.
    office = open_phone(browser, served, lang)
    sign_in(office, t, lang, council.email)
    office.goto(address)
    office.locator("#answer-1-text").fill("Генератор на складі школи, акт приймання додано.")
    office.get_by_role("button", name=t.gettext("Answer the flag")).click()
    wait_for_action(office)
    office.goto(address)
    office.get_by_role("button", name=t.gettext("Accept the report")).click()
    wait_for_action(office)
    office.goto(address)
    office.locator("#pay-1-receipt").fill("Платіжне доручення 417")
    office.get_by_role(
        "button", name=t.gettext("Pay %(amount)s for milestone %(number)s", amount=t.uah(half), number=1)
    ).click()
    wait_for_action(office)

    # The public page: budget against actual, and the flag's story.
    public = open_phone(browser, served, lang)
    public.goto(address)
    if lang == "en":
        public.get_by_role("button", name="English").click()
        public.wait_for_selector('html[lang="en"]')
    table = public.get_by_test_id("budget-table").inner_text().replace(" ", "\u00a0")
    assert t.uah(half) in table and t.uah(300_050) in table
    assert t.label("milestone", "paid") in public.get_by_test_id("milestone-1").inner_text()
    story = public.get_by_test_id("flag-1").inner_text()
    assert "Генератора в школі немає." in story and "акт приймання додано" in story
    assert t.gettext("The council answered:") in story
    assert public.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(public, "public")
    assert world.hromada.delivery.functions.paidKopiyky(project.round_id, 1).call() == half


def test_a_loan_projects_page_shows_its_loan_where_a_grant_shows_milestones(world: World) -> None:
    people = world.people
    owner, supporter = people.residents[0], people.residents[1]
    world.register(owner, supporter)
    fund, vote = world.hromada.fund.functions, world.hromada.vote.functions
    programme = world.open_programme(reward=9)
    (case_id,) = world.submit_cases(programme, supporter)
    world.driver.do(people.verifier, world.hromada.cases.functions.approveCase(case_id))
    world.driver.do(owner, fund.applyForLoan([600_000, 600_000], [30 * 86_400, 60 * 86_400], b"\x01" * 32))
    round_id = world.voting_round([(owner, "Кавоварка для кіоску", 1_200_000)], loan_ids=[1])
    world.driver.do(supporter, vote.castBallot(round_id, [1], [9]))
    end = int(call_struct(world.hromada.vote, "round", round_id)["params"]["voteEnd"])
    travel(world.w3, end - world.driver.now() + 1)
    world.driver.do(people.council, vote.finalise(round_id))
    world.driver.do(people.council, fund.approveLoanByRound(1, round_id, 1))
    page = world.client.get(f"/rounds/{round_id}/projects/1/delivery").text
    t = UK
    assert t.gettext("An interest-free loan") in page and t.label("loan", "approved") in page
    assert t.uah(1_200_000) in page
    assert t.gettext("Set the delivery plan") not in page
    assert f"/rounds/{round_id}/projects/1/delivery" in world.client.get(f"/rounds/{round_id}").text
