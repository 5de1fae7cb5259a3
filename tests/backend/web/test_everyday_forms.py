"""What a newcomer met in everyday use (issue 21), in a real browser at 360 px in both languages: a phone
number typed the Ukrainian way, a resident the council has not registered yet, one time for one event, a
duplicate photo, the council's programme form (whole numbers in the person's terms, plural forms, RV
grouped), a crafted "finalise" while voting, and the public page's token fund."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from test_browser import LANGUAGES, choose_language, open_phone, sign_in, wait_for_action
from web_helpers import PASSWORD, Served, Shots, World, _hash

from cts.models import Language, User
from cts.web.demo import picture, travel
from cts.web.i18n import Translator, get_translator

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
NAME = "Олена Телефонна"


def text_of(page: Page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text())


def resident_by_phone(served: Served, phone: str) -> User:
    with served.world.env.app.state.session_factory() as session:
        user = session.scalars(select(User).where(User.phone == phone)).one()
        _ = user.wallet.address
        session.expunge_all()
        return user


def sign_up(page: Page, t: Translator, lang: str, phone: str) -> None:
    page.goto("signup")
    choose_language(page, lang)
    page.get_by_label(t.gettext("Your name")).fill(NAME)
    page.get_by_label(t.gettext("Phone number (optional)")).fill(phone)
    page.get_by_label(t.gettext("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t.gettext("Create my account")).click()
    page.wait_for_load_state()


def submit_case(page: Page, t: Translator, programme: int, photo: bytes) -> None:
    page.goto("cases/new")
    page.get_by_label(t.gettext("Programme")).select_option(str(programme))
    page.get_by_label(t.gettext("Photo or document")).set_input_files(
        files=[{"name": "park.png", "mimeType": "image/png", "buffer": photo}]
    )
    page.get_by_role("button", name=t.gettext("Send the case")).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_phone_number_typed_the_ukrainian_way_signs_up_and_signs_in(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    """Sign up with "067 123 45 67"; sign in with it typed other ways; a slip is refused clearly."""
    t = get_translator(Language(lang))
    resident = open_phone(browser, served, lang)
    sign_up(resident, t, lang, "067 123 45 67")
    shots(resident, "signed-up-with-a-national-number")
    resident.get_by_role("heading", name=t.gettext("Hello, %(name)s!", name=NAME)).wait_for()
    assert resident_by_phone(served, "+380671234567").display_name == NAME

    other = open_phone(browser, served, lang)
    other.goto("signin")
    choose_language(other, lang)
    other.get_by_label(t.gettext("Phone number or e-mail")).fill("067 123 45")
    other.get_by_label(t.gettext("Password"), exact=True).fill(PASSWORD)
    other.get_by_role("button", name=t.gettext("Sign in")).click()
    other.wait_for_load_state()
    refused = t.gettext("Enter your phone number (for example 067 123 45 67) or your e-mail address.")
    assert refused in text_of(other)
    shots(other, "signin-refuses-a-short-number")
    other.get_by_label(t.gettext("Phone number or e-mail")).fill("(067) 123-45-67")
    other.get_by_label(t.gettext("Password"), exact=True).fill(PASSWORD)
    other.get_by_role("button", name=t.gettext("Sign in")).click()
    other.get_by_role("heading", name=t.gettext("Hello, %(name)s!", name=NAME)).wait_for()
    third = open_phone(browser, served, lang)
    sign_in(third, t, lang, "380671234567")
    third.get_by_role("heading", name=t.gettext("Hello, %(name)s!", name=NAME)).wait_for()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_not_yet_registered_is_offered_nothing_the_chain_refuses(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    world.open_programme(reward=4)
    resident = open_phone(browser, served, lang)
    sign_in(resident, t, lang, world.people.residents[0].email)  # signed up, not registered on chain
    resident.goto("me")
    notice = resident.get_by_test_id("not-registered")
    assert t.gettext("Waiting for confirmation") in notice.inner_text()
    assert resident.get_by_role("link", name=t.gettext("Submit a useful case")).count() == 0
    shots(resident, "me")
    resident.goto("programmes")
    assert resident.get_by_test_id("not-registered").is_visible()
    assert resident.get_by_role("link", name=t.gettext("Submit a case")).count() == 0
    shots(resident, "programmes")
    resident.goto("cases")
    assert resident.get_by_role("link", name=t.gettext("Submit a useful case")).count() == 0
    resident.goto("cases/new")
    assert resident.get_by_test_id("not-registered").is_visible()
    assert resident.get_by_role("button", name=t.gettext("Send the case")).count() == 0
    shots(resident, "case-form")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_event_shows_one_time_the_chains(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    """The chain's clock hours ahead of the server's (as in the demo): "Recent actions" and the case list
    show the same time for the case, its block's."""
    world, t = served.world, get_translator(Language(lang))
    programme = world.open_programme(reward=4)
    person = world.people.residents[0]
    world.register(person)
    travel(world.w3, 2 * 3600)
    resident = open_phone(browser, served, lang)
    sign_in(resident, t, lang, person.email)
    submit_case(resident, t, programme, picture(9100 + len(lang)))
    wait_for_action(resident)
    resident.goto("cases")
    submitted = resident.get_by_text(t.gettext("Submitted"), exact=True).locator("..").locator("dd")
    case_time = submitted.first.inner_text().strip()
    shots(resident, "cases")
    resident.goto("me")
    recent = resident.locator("section[aria-labelledby=recent-h] .list__item").first.inner_text()
    shots(resident, "recent-actions")
    assert case_time in recent, (case_time, recent)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_duplicate_photo_is_not_offered_again_as_received(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    programme = world.open_programme(reward=4)
    person = world.people.residents[0]
    world.register(person)
    resident = open_phone(browser, served, lang)
    sign_in(resident, t, lang, person.email)
    photo = picture(9200 + len(lang))
    submit_case(resident, t, programme, photo)
    wait_for_action(resident)
    submit_case(resident, t, programme, photo)
    resident.get_by_role("alert").wait_for()
    page_text = text_of(resident)
    shots(resident, "duplicate-photo-refused")
    assert t.error("useful_case_duplicate_evidence") in page_text
    kept = t.gettext("Your file (%(size)s) was already received — no need to choose it again.")
    assert kept.split(")")[-1].strip() not in page_text
    assert resident.get_by_label(t.gettext("Photo or document")).is_visible()


def programme_with_rv(world: World, reward: int, cap: int, *residents: User) -> int:
    """A programme paying `reward` RV a case (at most `cap` RV in all), one approved case per resident."""
    people = world.people
    fund, cases = world.hromada.fund.functions, world.hromada.cases.functions
    world.driver.do(people.council, fund.deposit(100_000_000, 0, _hash("donor"), _hash(f"receipt-{cap}")))
    now = world.driver.now()
    verifiers = [people.verifier.wallet.address]
    params = (
        "Великий суботник",
        _hash("big"),
        reward,
        40_000,
        cap,
        reward,
        now,
        now + 30 * 86_400,
        1,
        verifiers,
    )
    world.driver.do(people.council, cases.createProgramme(params))
    programme = int(cases.programmeCount().call())
    for case_id in world.submit_cases(programme, *residents):
        world.driver.do(people.verifier, cases.approveCase(case_id))
    return programme


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_programme_form_speaks_the_councils_terms(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    """Whole numbers with a realistic range (not the chain's 2^64 - 1, not "a whole number" for -3), and
    "1 verifier" in its plural form."""
    world, t = served.world, get_translator(Language(lang))
    council = open_phone(browser, served, lang)
    sign_in(council, t, lang, world.people.council.email)
    council.goto("council/programmes")
    form = council.locator("form[action$='/council/programmes']")
    form.get_by_label(t.gettext("Title")).fill("Сад")
    form.get_by_label(t.gettext("Reward per case, RV")).fill("-3")
    form.get_by_label(t.gettext("Value of one case to the hromada")).fill("100")
    form.get_by_label(t.gettext("RV in the programme in all")).fill("99999999999999999999")
    form.get_by_label(t.gettext("Most RV per person")).fill("5")
    form.get_by_label(t.gettext("Duration, days")).fill("30")
    form.locator("input[name=verifiers]").first.check()
    form.get_by_label(t.gettext("Approvals needed")).fill("2")
    form.get_by_role("button", name=t.gettext("Create the programme")).click()
    council.get_by_role("alert").first.wait_for()
    shots(council, "programme-form-in-the-councils-terms")
    in_range = t.gettext(
        "Enter a whole number from %(min)s to %(max)s.", min="1", max=t.number(1_000_000_000)
    )
    errors = [e.inner_text().splitlines()[-1] for e in council.locator(".field-error").all()]
    assert errors.count(in_range) == 2, errors  # the reward (-3) and the programme's RV (too many)
    assert not re.search(r"18\D?446", text_of(council))
    only_one = t.ngettext("Only %(num)s verifier is chosen.", "Only %(num)s verifiers are chosen.", 1)
    assert only_one in errors
    if lang == "uk":
        assert "1 верифікатора" in only_one


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rv_on_the_ballot_are_grouped_like_hryvnias(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme_with_rv(world, 1_000, 2_000, voter)
    round_id = world.voting_round([(pitcher, "Лавки в парку", 1_200_000)])
    resident = open_phone(browser, served, lang)
    sign_in(resident, t, lang, voter.email)
    resident.goto(f"rounds/{round_id}")
    assert resident.get_by_test_id("vote-left").inner_text() == t.number(1_000)  # as the script wrote it
    resident.locator("input.credits").first.fill("1")
    assert resident.get_by_test_id("vote-left").inner_text() == "999"
    resident.locator("input.credits").first.fill("")
    shots(resident, "ballot-rv-grouped")
    resident.goto("programmes")
    left = resident.get_by_text(t.gettext("RV left"), exact=True).locator("..").locator("dd").inner_text()
    assert left == t.ngettext("%(left)s of %(num)s RV", "%(left)s of %(num)s RV", 2_000, left=t.number(1_000))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_finalise_sent_while_voting_says_why_it_is_refused(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    pitcher = world.people.residents[0]
    world.register(pitcher)
    fund = world.hromada.fund.functions
    world.driver.do(world.people.council, fund.deposit(100_000_000, 0, _hash("donor"), _hash("receipt")))
    round_id = world.voting_round([(pitcher, "Лавки в парку", 1_200_000)])
    council = open_phone(browser, served, lang)
    sign_in(council, t, lang, world.people.council.email)
    council.goto(f"rounds/{round_id}")
    assert council.get_by_role("button", name=t.gettext("Finalise the round")).count() == 0
    # crafted: the finalise form posted by hand (the page offers none while voting)
    council.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = `${location.pathname}/finalise`;
            for (const [name, value] of [
                ["csrf_token", document.querySelector("input[name=csrf_token]").value],
                ["form_key", "crafted-finalise-0001"],
            ]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }"""
    )
    council.wait_for_url(f"**/rounds/{round_id}/finalise")
    shots(council, "finalise-while-voting-explained")
    alert = council.get_by_role("alert")
    assert alert.count() == 1
    message = t.gettext(
        "The round cannot be finalised yet: voting closes %(when)s. Then anyone may finalise it.", when="|"
    ).split("|")[0]
    assert message in alert.inner_text()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_public_page_gives_one_figure_to_one_name(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    """RV issued (the impact ratio's divisor) and the ledger's token fund (what of it no round has
    reserved yet) are different figures: their names differ."""
    world, t = served.world, get_translator(Language(lang))
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme_with_rv(world, 6, 2_000, voter)
    world.voting_round([(pitcher, "Лавки в парку", 1_200_000)])  # reserves the token fund's money
    visitor = open_phone(browser, served, lang)
    visitor.goto("public")
    choose_language(visitor, lang)
    shots(visitor, "public")
    assert visitor.get_by_test_id("ledger-tokenFund").inner_text() == t.uah(0)
    formula = visitor.locator("section[aria-labelledby=impact-h] p.hint").first.inner_text().lower()
    assert t.label("ledger", "tokenFund").lower() not in formula
