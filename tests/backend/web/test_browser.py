"""The pages in a real browser: headless Chromium at a phone's width (360 x 740), against the app served by
uvicorn with the relayer worker running, on the session's local chain. Each test runs in Ukrainian and in
English and saves a screenshot of every step under var/screenshots/<test>/ for a person to look at.

Controls are found by their visible labels and roles (as a screen reader finds them), so a control
without a label fails the test. Relayer actions are awaited by polling the status the page shows."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from web_helpers import PASSWORD, PHONE, Served, Shots

from cts.models import Language, User
from cts.web.demo import picture, travel
from cts.web.i18n import Translator, get_translator
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
LANGUAGES = ["uk", "en"]


def open_phone(browser: Browser, served: Served, lang: str) -> Page:
    context = browser.new_context(
        viewport=PHONE,
        base_url=f"{served.url}{served.world.base}/",  # the hromada's pages: goto("me") is /h/<slug>/me
        locale="uk-UA" if lang == "uk" else "en-GB",
        device_scale_factor=1,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def choose_language(page: Page, lang: str) -> None:
    """Use the visible switch (Ukrainian is the default)."""
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_selector('html[lang="en"]')


def sign_in(page: Page, t: Translator, lang: str, login: str) -> None:
    page.goto("signin")
    choose_language(page, lang)
    page.get_by_label(t.gettext("Phone number or e-mail")).fill(login)
    page.get_by_label(t.gettext("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t.gettext("Sign in")).click()
    page.wait_for_load_state()


def wait_for_action(page: Page, timeout: float = 60) -> None:
    """Poll the action's page (it refreshes itself too) until the relayer's worker confirms the action."""
    status = page.get_by_test_id("action-status")
    deadline = time.monotonic() + timeout
    while True:
        value = status.get_attribute("data-status")
        if value == "confirmed":
            return
        assert value in ("queued", "submitted"), status.inner_text()
        assert time.monotonic() < deadline, "the relayer did not confirm the action in time"
        page.wait_for_timeout(250)
        page.reload()


def user_id(served: Served, email: str) -> int:
    from sqlalchemy import select

    with served.world.env.app.state.session_factory() as session:
        found = session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return int(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_residents_whole_journey(served: Served, browser: Browser, shots: Shots, lang: str) -> None:
    """Sign up; the council registers her; she submits a case with a photo; a verifier approves it; she
    votes with the live preview; the round is finalised and the result shows."""
    world, t = served.world, get_translator(Language(lang))
    people = world.people
    pitchers = people.residents[:2]
    world.register(*pitchers)
    programme = world.open_programme(reward=4)
    round_id = world.voting_round(
        [(pitchers[0], "Лавки в парку", 1_200_000), (pitchers[1], "Світло в укритті", 1_500_000)]
    )
    email = f"olena-{lang}@example.org"

    # 1. She signs up on her phone.
    resident = open_phone(browser, served, lang)
    resident.goto(f"{served.url}{served.world.base}")
    shots(resident, "home")
    choose_language(resident, lang)
    resident.get_by_role("link", name=t.pgettext("navigation", "Sign up")).first.click()
    resident.get_by_label(t.gettext("Your name")).fill("Олена Тестова")
    resident.get_by_label(t.gettext("E-mail (optional)")).fill(email)
    resident.get_by_label(t.gettext("Password"), exact=True).fill("калина і вишиванка")
    shots(resident, "signup-form")
    resident.get_by_role("button", name=t.gettext("Create my account")).click()
    resident.get_by_role("heading", name=t.gettext("Hello, %(name)s!", name="Олена Тестова")).wait_for()
    assert t.gettext("Waiting for confirmation") in resident.content()
    shots(resident, "signed-up-waiting-for-the-council")

    # 2. The council registers her after the identity check.
    council = open_phone(browser, served, lang)
    sign_in(council, t, lang, people.council.email)
    council.get_by_label(t.gettext("Person to register")).select_option(str(user_id(served, email)))
    council.get_by_label(t.gettext("Identity check reference")).fill("ЦНАП-2025-0001")
    shots(council, "council-registers-her")
    council.get_by_role("button", name=t.gettext("Register")).click()
    wait_for_action(council)
    shots(council, "council-registration-done")

    # 3. She submits a useful case with a photo.
    resident.goto("me")
    assert t.gettext("Waiting for confirmation") not in resident.content()
    resident.get_by_role("link", name=t.gettext("Submit a useful case")).click()
    resident.get_by_label(t.gettext("Programme")).select_option(str(programme))
    resident.get_by_label(t.gettext("Photo or document")).set_input_files(
        files=[{"name": "park.png", "mimeType": "image/png", "buffer": picture(7000 + len(lang))}]
    )
    shots(resident, "case-form")
    resident.get_by_role("button", name=t.gettext("Send the case")).click()
    wait_for_action(resident)
    assert (
        t.label("case", "pending")
        in resident.get_by_text(t.gettext("Status of the case:")).locator("..").inner_text()
    )
    shots(resident, "case-sent-waiting-for-a-verifier")
    case_id = int(world.hromada.cases.functions.caseCount().call())

    # 4. A verifier approves it on their phone.
    verifier = open_phone(browser, served, lang)
    sign_in(verifier, t, lang, people.verifier.email)
    assert verifier.get_by_role("link", name=t.gettext("View the evidence")).first.is_visible()
    shots(verifier, "verifier-queue")
    verifier.get_by_role("button", name=t.gettext("Approve case #%(id)s", id=case_id)).click()
    wait_for_action(verifier)
    shots(verifier, "verifier-approved")

    # 5. Her RV arrived; she votes, watching the preview of her votes' weights as she types.
    resident.goto("me")
    assert resident.get_by_test_id("balance").inner_text().startswith("4")
    shots(resident, "balance-4-rv")
    resident.get_by_role("link", name=t.gettext("Vote: %(title)s", title="Бюджет участі")).click()
    # Until the page's load event its deferred script (vote.js) may not have run: typing works (the script
    # counts what was typed when it starts), but the preview read at once would still be the server's.
    resident.wait_for_url(f"**/rounds/{round_id}", wait_until="load")
    resident.get_by_label(t.gettext("RV for “%(title)s”", title="Лавки в парку")).fill("3")
    resident.get_by_label(t.gettext("RV for “%(title)s”", title="Світло в укритті")).fill("1")
    separator = "," if lang == "uk" else "."
    assert resident.get_by_test_id("weight-1").inner_text() == f"1{separator}732"
    assert resident.get_by_test_id("weight-2").inner_text() == f"1{separator}000"
    assert resident.get_by_test_id("vote-left").inner_text() == "0"
    preview = resident.get_by_role("button", name=t.gettext("Preview the weights"))
    assert not preview.is_visible()  # JavaScript previews
    shots(resident, "ballot-live-preview")
    resident.get_by_label(t.gettext("RV for “%(title)s”", title="Лавки в парку")).fill("4")
    assert resident.get_by_test_id("vote-left").inner_text() == "-1"
    assert resident.get_by_text(t.gettext("You are giving more RV than you have.")).is_visible()
    shots(resident, "ballot-too-many-rv")
    resident.get_by_label(t.gettext("RV for “%(title)s”", title="Лавки в парку")).fill("3")
    resident.get_by_role("button", name=t.gettext("Cast my vote")).click()
    wait_for_action(resident)
    shots(resident, "ballot-cast")
    resident.goto("me/history")
    assert t.gettext("Ballot in round #%(round)s: RV held", round=round_id) in resident.content()
    shots(resident, "rv-history")

    # 6. The vote closes; anyone signed in may finalise; the result shows.
    travel(world.w3, 86_400 + 60)
    resident.goto(f"rounds/{round_id}")
    resident.get_by_role("button", name=t.gettext("Finalise the round")).click()
    wait_for_action(resident)
    resident.goto(f"rounds/{round_id}")
    vote = world.hromada.vote
    for project_id in (1, 2):
        funded = int(call_struct(vote, "project", round_id, project_id)["funded"])
        assert funded > 0
        assert t.uah(funded) in resident.get_by_test_id(f"result-{project_id}").inner_text()
    total = int(call_struct(vote, "round", round_id)["totalFunded"])
    assert t.uah(total) in resident.get_by_test_id("funded-total").inner_text()
    shots(resident, "round-results")
    resident.goto("public")
    assert resident.get_by_role("heading", name=t.gettext("Public figures")).is_visible()
    shots(resident, "public-figures")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_verifier_approves_selected_cases_in_one_batch(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    residents = world.people.residents[:3]
    world.register(*residents)
    programme = world.open_programme(title="Плетіння сіток")
    first, second, third = world.submit_cases(programme, *residents)

    verifier = open_phone(browser, served, lang)
    sign_in(verifier, t, lang, world.people.verifier.email)
    assert verifier.get_by_test_id("queue-count").inner_text() == t.ngettext(
        "%(num)s case waiting", "%(num)s cases waiting", 3
    )
    shots(verifier, "queue-of-three")
    for case_id in (first, second):
        verifier.get_by_label(f"{t.gettext('Case #%(id)s', id=case_id)}: Плетіння сіток").check()
    shots(verifier, "two-selected")
    verifier.get_by_role("button", name=t.gettext("Approve selected")).click()
    wait_for_action(verifier)
    shots(verifier, "batch-approved")
    verifier.goto("verify")
    assert verifier.get_by_test_id("queue-count").inner_text() == t.ngettext(
        "%(num)s case waiting", "%(num)s cases waiting", 1
    )
    assert verifier.get_by_label(f"{t.gettext('Case #%(id)s', id=third)}: Плетіння сіток").is_visible()
    shots(verifier, "one-left")
    statuses = [int(world.hromada.cases.functions.caseOf(c).call()[4]) for c in (first, second, third)]
    assert statuses == [2, 2, 1]  # Approved, Approved, Pending
