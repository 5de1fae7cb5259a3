"""What residents, verifiers and coordinators met in their first week (issue 21), in a real browser at a
phone's width in both languages: RV held in a ballot, a rejection waiting for a second verifier, and a case a
coordinator recorded for an offline resident."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from test_browser import LANGUAGES, open_phone, sign_in, wait_for_action
from web_helpers import Served, Shots, World, _hash

from cts.models import Language, RelayAction
from cts.web.demo import picture
from cts.web.i18n import get_translator
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def programme_of_two(world: World, title: str) -> int:
    """A programme checked by the verifier and the coordinator, one approval of the two enough: a case is
    rejected only when both reject it."""
    people = world.people
    fund, cases = world.hromada.fund.functions, world.hromada.cases.functions
    world.driver.do(
        people.council, fund.deposit(100_000_000, 0, _hash("donor"), _hash(f"receipt-{time.monotonic_ns()}"))
    )
    now = world.driver.now()
    verifiers = [people.verifier.wallet.address, people.coordinator.wallet.address]
    params = (title, _hash(title), 4, 40_000, 1_000, 100, now, now + 30 * 86_400, 1, verifiers)
    world.driver.do(people.council, cases.createProgramme(params))
    return int(cases.programmeCount().call())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_voter_sees_the_rv_her_ballot_holds_and_what_the_ballot_is(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme = world.open_programme(reward=4)
    (case_id,) = world.submit_cases(programme, voter)
    world.driver.do(world.people.verifier, world.hromada.cases.functions.approveCase(case_id))
    round_id = world.voting_round(
        [(pitcher, "Лавки в парку", 1_200_000), (voter, "Світло в укритті", 900_000)]
    )
    world.driver.do(voter, world.hromada.vote.functions.castBallot(round_id, [1, 2], [3, 1]))

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, voter.email)
    page.goto("me")
    assert page.get_by_test_id("balance").inner_text().startswith("0")
    held = page.get_by_test_id(f"held-{round_id}")
    assert (
        t.ngettext("%(num)s RV held in your ballot", "%(num)s RV held in your ballot", 4) in held.inner_text()
    )
    vote_end = int(call_struct(world.hromada.vote, "round", round_id)["params"]["voteEnd"])
    until = t.gettext(
        "Until voting closes (%(date)s) you may change or withdraw your ballot, and withdrawn RV come back "
        "here. When the round is finalised, the RV in the ballot are spent on the projects you chose.",
        date=t.when(vote_end),
    )
    assert until in held.inner_text()
    shots(page, "me-rv-held-in-the-ballot")
    held.get_by_role("link", name="Бюджет участі").click()
    page.wait_for_url(f"**/rounds/{round_id}")
    ballot = page.get_by_test_id("my-ballot")
    text = ballot.inner_text()
    assert t.gettext("Your ballot is recorded") in text
    assert f"Лавки в парку: {t.ngettext('%(num)s RV', '%(num)s RV', 3)}" in text
    assert f"Світло в укритті: {t.ngettext('%(num)s RV', '%(num)s RV', 1)}" in text
    shots(page, "round-your-ballot-is-recorded")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_rejection_waiting_for_a_second_verifier_shows_with_its_reason(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    people = world.people
    resident = people.residents[0]
    world.register(resident)
    programme = programme_of_two(world, "Прибирання двору")
    (case_id,) = world.submit_cases(programme, resident)

    verifier = open_phone(browser, served, lang)
    sign_in(verifier, t, lang, people.verifier.email)
    verifier.goto(f"verify/cases/{case_id}")
    verifier.get_by_label(t.gettext("Reason for rejecting")).select_option("4")
    reject = verifier.get_by_role("button", name=t.gettext("Reject case #%(id)s", id=case_id))
    note = verifier.get_by_label(t.gettext("The reason in your own words"))
    refusals = [
        ("", t.gettext("Fill in this field.")),
        ("а" * 301, t.ngettext("At most %(num)s character.", "At most %(num)s characters.", 300)),
        ("<b>фото</b> не те", t.gettext("Write the reason as plain text, without < or >.")),
    ]
    for value, error in refusals:
        note.fill(value)
        reject.click()
        verifier.wait_for_load_state()
        assert error in verifier.content().replace("&lt;", "<").replace("&gt;", ">")
    shots(verifier, "other-reason-refused")
    assert int(call_struct(world.hromada.cases, "caseOf", case_id)["rejections"]) == 0  # nothing sent
    with world.env.app.state.session_factory() as session:
        assert session.scalar(select(func.count()).where(RelayAction.kind == "rejectCase")) == 0
    note.fill("Фото чужого двору")
    shots(verifier, "other-reason-written")
    reject.click()
    wait_for_action(verifier)
    other = t.label("reason", 4)
    waiting = t.ngettext(
        "%(num)s rejection of the %(needed)s that would reject the case.",
        "%(num)s rejections of the %(needed)s that would reject the case.",
        1,
        needed=t.number(2),
    )

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, resident.email)
    page.goto("cases")
    shown = page.get_by_test_id(f"rejections-{case_id}").inner_text()
    assert waiting in shown and f"{other}: Фото чужого двору" in shown
    shots(page, "resident-sees-the-rejection")

    coordinator = open_phone(browser, served, lang)
    sign_in(coordinator, t, lang, people.coordinator.email)
    coordinator.goto("verify")
    shown = coordinator.get_by_test_id(f"rejections-{case_id}").inner_text()
    assert waiting in shown and f"{other}: Фото чужого двору" in shown
    shots(coordinator, "second-verifier-sees-the-rejection")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_coordinator_recording_a_case_is_told_whose_rv_and_sees_it_in_the_queue(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    people = world.people
    resident = people.residents[0]
    world.register(resident)
    cases = world.hromada.cases.functions
    world.driver.do(
        people.council, cases.grantRole(cases.COORDINATOR_ROLE().call(), people.coordinator.wallet.address)
    )
    programme = programme_of_two(world, "Плетіння сіток")

    coordinator = open_phone(browser, served, lang)
    sign_in(coordinator, t, lang, people.coordinator.email)
    coordinator.goto("record")
    coordinator.get_by_label(t.gettext("Resident")).select_option(str(resident.id))
    coordinator.get_by_label(t.gettext("Programme")).select_option(str(programme))
    coordinator.get_by_label(t.gettext("Photo or document")).set_input_files(
        files=[{"name": "paper.png", "mimeType": "image/png", "buffer": picture(9100 + len(lang))}]
    )
    coordinator.get_by_role("button", name=t.gettext("Send the case")).click()
    wait_for_action(coordinator)
    content = coordinator.content()
    assert t.gettext("When the verifiers approve the case, the RV appear on your account.") not in content
    assert (
        t.gettext(
            "When the verifiers approve the case, the RV appear on the account of %(name)s, the resident you "
            "recorded it for.",
            name=resident.display_name,
        )
        in content
    )
    shots(coordinator, "recorded-whose-rv")
    case_id = int(cases.caseCount().call())

    coordinator.goto("verify")
    recorded = coordinator.get_by_test_id("recorded-cases")
    text = recorded.inner_text()
    assert t.gettext("Case #%(id)s", id=case_id) in text
    assert (
        t.gettext(
            "You recorded these cases for residents, so you cannot approve or reject them yourself: other "
            "verifiers decide them."
        )
        in text
    )
    shots(coordinator, "queue-shows-the-recorded-case")
