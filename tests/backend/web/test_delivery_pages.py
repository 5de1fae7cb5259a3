"""Delivery pages (issue 19) through the TestClient: the council plans a funded project, its owner reports a
milestone with receipts and photos, a resident flags it, the council answers, accepts and pays; every form's
bad input is refused next to its field with nothing sent; the open data carries what the pages show; a
receipt changed after it was reported is named on the page."""

from __future__ import annotations

import csv
import hashlib
import io

from delivery_helpers import TITLE, day, funded_project
from test_council import done, send
from web_helpers import World, sign_in

from cts.delivery.files import DeliveryFiles
from cts.models import Language
from cts.web.demo import picture
from cts.web.i18n import get_translator

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
    sign_in(world.client, world.people.council.email)
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
    assert "мають у сумі дорівнювати" in short.text or "must add up" in short.text
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
    sign_in(world.client, project.supporter.email)
    assert world.client.get(project.path("/milestones/1/report")).status_code == 404
    sign_in(world.client, project.owner.email)
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
    assert (
        t.gettext("An EDRPOU code has 8 digits (a sole trader's code, 10).")
        in bad_code.text.replace("&#39;", "'")
        or "8 цифр" in bad_code.text
    )
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

    # A resident flags it; the council cannot pay with the flag unanswered.
    sign_in(world.client, project.supporter.email)
    flag = {"reason": "2", "text": "Такий генератор коштує вдвічі менше."}
    empty = send(world, "/delivery/reports/1/flag", {"reason": "2", "text": ""})
    assert empty.status_code == 422 and t.gettext("Fill in this field.") in empty.text
    assert send(world, "/delivery/reports/99/flag", flag).status_code == 404
    done(world, send(world, "/delivery/reports/1/flag", flag))
    again = send(world, "/delivery/reports/1/flag", flag)
    assert again.status_code in (409, 422) and t.error("project_delivery_already_flagged") in again.text
    sign_in(world.client, world.people.council.email)
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
