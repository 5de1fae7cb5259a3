"""The audit report as an auditor meets it from the public page (issue 21: it was English only, 962 px wide
on a phone, in UTC, with no way back and no word on checking it), and the ballots' export naming projects by
their titles. Headless Chromium at 360 px in both languages, screenshots under var/screenshots/<test>/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_browser import LANGUAGES, choose_language, open_phone
from web_helpers import PHONE, Served, Shots, World

from cts.models import Language
from cts.web.i18n import get_translator

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def a_finalisable_history(world: World) -> int:
    """A resident with an approved case who voted in a round with a titled project: every chart has data."""
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme = world.open_programme(reward=4)
    (case_id,) = world.submit_cases(programme, voter)
    world.driver.do(world.people.verifier, world.hromada.cases.functions.approveCase(case_id))
    round_id = world.voting_round([(pitcher, "Лавки в парку", 500_000)])
    world.driver.do(voter, world.hromada.vote.functions.castBallot(round_id, [1], [4]))
    return round_id


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_audit_report_fits_a_phone_in_the_readers_language_with_kyiv_time_a_way_back_and_how_to_check(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    t = get_translator(Language(lang))
    a_finalisable_history(served.world)
    page = open_phone(browser, served, lang)
    page.goto("public")
    choose_language(page, lang)
    page.get_by_role("link", name=t.gettext("Audit report")).click()
    page.wait_for_selector("h1", timeout=120_000)

    assert page.locator("html").get_attribute("lang") == lang
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    text = page.locator("body").inner_text()
    assert t.gettext("How to check these figures yourself") in text
    assert t.gettext("RV issued by programme") in text
    generated = page.get_by_test_id("generated").inner_text()
    assert t.gettext("Kyiv time") in generated and "UTC" not in generated
    check = page.get_by_test_id("check")
    check.scroll_into_view_if_needed()
    assert "cts audit --rpc" in text
    # Every chart scales to the screen.
    for width in page.locator(".chart svg").evaluate_all(
        "svgs => svgs.map(s => s.getBoundingClientRect().width)"
    ):
        assert 0 < width <= PHONE["width"]
    shots(page, "report")

    page.get_by_test_id("back").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"{served.world.base}/public")
    assert page.get_by_role("link", name=t.gettext("Audit report")).is_visible()


def test_the_ballots_export_names_the_projects_by_their_titles(world: World) -> None:
    round_id = a_finalisable_history(world)
    export = world.client.get(f"/rounds/{round_id}/export.pb")
    assert export.status_code == 200
    projects = export.text.split("PROJECTS\n", 1)[1].split("VOTES\n", 1)[0].splitlines()
    header, row = projects[0].split(";"), projects[1].split(";")
    assert dict(zip(header, row, strict=True))["name"] == "Лавки в парку"
    assert "metadata 0x" not in export.text
