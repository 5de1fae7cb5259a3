"""A resident applies for an interest-free loan from the pages (issue 21: loans existed on chain and in the
council's pages only), sees the application and its stage, and the council sees it on its fund page.
Headless Chromium at 360 px in both languages, screenshots under var/screenshots/<test>/; the form's
refusals through the TestClient."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest
from test_browser import LANGUAGES, open_phone, sign_in, wait_for_action
from web_helpers import CSRF, PHONE, Served, Shots, World
from web_helpers import sign_in as client_sign_in

from cts.models import Language
from cts.web.i18n import get_translator
from cts.web.routes.loans import MAX_LOAN_KOPIYKY, schedule

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_a_schedule_adds_up_to_the_principal_in_monthly_instalments() -> None:
    assert schedule(100_00, 3) == ([33_33, 33_33, 33_34], [2_592_000, 5_184_000, 7_776_000])
    assert schedule(15_000_00, 1) == ([15_000_00], [2_592_000])


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_applies_for_a_loan_sees_it_pending_and_the_council_sees_it(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    resident = world.people.residents[0]
    world.register(resident)
    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, resident.email)
    page.get_by_role("link", name=t.pgettext("navigation", "Loans")).click()
    page.wait_for_load_state()
    assert t.gettext("You have not applied for a loan yet.") in page.locator("main").inner_text()
    shots(page, "empty")

    # Bad input: each field says what is wrong, and nothing is sent.
    page.get_by_label(t.gettext("Amount"), exact=True).fill("15 000,5x")
    page.get_by_label(t.gettext("Monthly instalments")).fill("61")
    page.get_by_role("button", name=t.gettext("Apply for the loan")).click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert t.gettext("Fill in this field.") in main
    assert t.gettext("Enter an amount in hryvnias, for example 1500 or 1500.50.") in main
    assert (
        t.gettext("Enter a whole number from %(min)s to %(max)s.", min=t.number(1), max=t.number(60)) in main
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "refused")
    assert world.hromada.fund.functions.loanCount().call() == 0

    purpose = "Кавоварка для кіоску біля школи"
    page.get_by_label(t.gettext("What the loan is for")).fill(purpose)
    page.get_by_label(t.gettext("Amount"), exact=True).fill("15000")
    page.get_by_label(t.gettext("Monthly instalments")).fill("12")
    page.get_by_role("button", name=t.gettext("Apply for the loan")).click()
    wait_for_action(page)
    page.goto("loans")
    card = page.get_by_test_id("my-loan")
    text = card.inner_text()
    assert purpose in text
    assert t.label("loan", "applied") in text
    assert t.gettext("The council has not decided yet.") in text
    assert t.uah(15_000_00) in text.replace(" ", "\u00a0")
    assert t.ngettext("%(num)s monthly instalment", "%(num)s monthly instalments", 12) in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "pending")

    council = open_phone(browser, served, lang)
    sign_in(council, t, lang, world.people.council.email)
    council.goto("council/fund")
    assert purpose in council.get_by_test_id("loan-purpose").inner_text()
    assert council.get_by_role("button", name=t.gettext("Approve loan #%(id)s", id=1)).is_visible()
    shots(council, "council")


def post_loan(world: World, fields: dict[str, str]) -> str:
    page = world.client.get("/loans")
    assert page.status_code == 200, page.text
    csrf = CSRF.findall(page.text)[-1]
    data = {"csrf_token": csrf, "form_key": secrets.token_urlsafe(18), **fields}
    response = world.client.post("/loans", data=data, follow_redirects=False)
    assert response.status_code == 422, response.text
    return response.text


def test_a_loan_application_with_bad_amounts_or_terms_is_refused_and_nothing_is_sent(world: World) -> None:
    resident = world.people.residents[0]
    world.register(resident)
    client_sign_in(world.client, resident.email)
    t = get_translator(Language.UK)
    too_much = post_loan(world, {"purpose": "Ремонт", "amount": "1000001", "instalments": "12"})
    assert t.gettext("At most %(max)s.", max=t.uah(MAX_LOAN_KOPIYKY)) in too_much
    too_little = post_loan(world, {"purpose": "Ремонт", "amount": "99,99", "instalments": "12"})
    assert t.gettext("At least %(min)s.", min=t.uah(100_00)) in too_little
    in_terms = t.gettext("Enter a whole number from %(min)s to %(max)s.", min=t.number(1), max=t.number(60))
    negative = post_loan(world, {"purpose": "Ремонт", "amount": "5000", "instalments": "-3"})
    assert t.gettext("Please check the fields marked below.") in negative and in_terms in negative
    zero = post_loan(world, {"purpose": "Ремонт", "amount": "5000", "instalments": "0"})
    assert in_terms in zero
    assert world.hromada.fund.functions.loanCount().call() == 0


def test_an_unregistered_resident_is_told_to_ask_the_council_and_cannot_apply(world: World) -> None:
    resident = world.people.residents[0]
    client_sign_in(world.client, resident.email)
    t = get_translator(Language.UK)
    page = world.client.get("/loans")
    assert (
        t.gettext("Only a registered resident can apply for a loan. Ask the council to register you.")
        in page.text
    )
    assert 'action="' + world.base + '/loans"' not in page.text
    refused = post_loan(world, {"purpose": "Ремонт", "amount": "5000", "instalments": "12"})
    assert t.gettext("Only a registered resident can apply for a loan.") in refused
    assert world.hromada.fund.functions.loanCount().call() == 0
