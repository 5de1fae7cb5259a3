"""Issue 18's acceptance, in headless Chromium at a phone's width: a resident posts an issue with a photo and
a place; two neighbours endorse it; an NGO pitches a project that answers it in a round the council opened
under the co-financing rule; a business pledges materials and the local budget pledges money, each from its
own custodial account; residents vote; the vote funds the project's gap; the council records the pledges
fulfilled and the issue resolved; the public pages and `cts audit` show the same figures.

Each person uses the pages in the language they chose, Ukrainian or English (both are walked in one story:
a second story would double the test's time for the same pages), and the public figures are read in both.
The tile server is unreachable, as everywhere in the tests: no internet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from partner_helpers import signed_up
from sqlalchemy import select
from test_browser import choose_language, open_phone, sign_in, wait_for_action
from test_issue_pages import BOX, SETTLEMENTS, fixtures, post_an_issue, unreachable_tiles, world_with_tiles
from web_helpers import PASSWORD, PHONE, Served, Shots, serve

from cts.audit.audit import run_audit
from cts.audit.rpc import RpcClient
from cts.issues.service import set_area
from cts.models import Hromada, Issue, IssueState, Language
from cts.web.demo import picture, travel
from cts.web.i18n import Translator, get_translator
from cts.web.issue_texts import state_names

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["fixtures"]  # the fixture the served world below is built from (test_issue_pages)

pytestmark = pytest.mark.browser
UK, EN = get_translator(Language.UK), get_translator(Language.EN)
ASK = 50_000_00
MATERIALS_VALUE = 12_000_00
BUDGET_MONEY = 20_000_00
FUND = 60_000_00
ISSUE = "Немає укриття біля школи"
PROJECT = "Укриття в підвалі школи"
BUDGET_LOGIN = "budget@rudky.example.org"


@pytest.fixture
def offline(fixtures: dict[str, Any]) -> Iterator[Served]:
    with serve(world_with_tiles(unreachable_tiles(), **fixtures)) as served:
        yield served


def person(browser: Browser, served: Served, t: Translator, login: str) -> Page:
    lang = t.lang.value
    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, login)
    return page


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_issue_is_answered_co_financed_voted_delivered_and_resolved(
    offline: Served, browser: Browser, shots: Shots
) -> None:
    world = offline.world
    people, driver = world.people, world.driver
    author, first, second = people.residents[:3]
    ngo = people.outsider  # a resident's account the NGO uses, registered here
    world.register(author, first, second, ngo)
    programme = world.open_programme(reward=4)  # also the capital the round's fund reserves
    cases = world.submit_cases(programme, first, second)
    driver.do(people.verifier, world.hromada.cases.functions.approveCases(cases))
    with world.env.app.state.session_factory() as session:
        hromada = session.scalar(select(Hromada).where(Hromada.slug == world.env.slug))
        assert hromada is not None
        set_area(session, hromada, BOX, SETTLEMENTS)
        session.commit()
    business = signed_up(world, "budmaister@example.org", "ТОВ «Будмайстер»")
    co, vote = world.hromada.co_financing.functions, world.hromada.vote.functions

    # 1. A resident posts an issue with a photo and a place; two neighbours endorse it.
    resident = person(browser, offline, UK, author.email)
    post_an_issue(resident, "uk", ISSUE, "49.6532", "23.4811", 31)
    shots(resident, "issue-posted")
    for neighbour, t in ((first, UK), (second, EN)):
        page = person(browser, offline, t, neighbour.email)
        page.goto("issues/1")
        page.get_by_role("button", name=t.gettext("Endorse this issue")).click()
        page.get_by_text(t.gettext("You endorse this issue.")).wait_for()
        page.context.close()
    resident.goto("issues/1")
    assert resident.get_by_test_id("endorsements").inner_text() == "2"

    # 2. The council opens a round under the co-financing rule, from its form.
    council = person(browser, offline, UK, people.council.email)
    council.goto("council/rounds")
    fields = {
        "Title of the round": "Бюджет участі 2027",
        "Fund of the round": "60000",
        "Pitching, days": "2",
        "Screening, days": "1",
        "Voting, days": "3",
        "Most projects in the round": "10",
        "Fewest projects per ballot": "1",
        "Most projects per ballot": "3",
        "Most RV on one project": "0",
    }
    for label, value in fields.items():
        council.get_by_label(UK.gettext(label), exact=True).fill(value)
    council.get_by_label(UK.gettext("Allocation rule")).select_option(label=UK.label("rule", "greedy"))
    council.get_by_label(
        UK.gettext(
            "The vote fills only the gap: each project gets at most its ask minus the money partners pledged "
            "to it."
        )
    ).check()
    shots(council, "round-form-co-financed")
    council.get_by_role("button", name=UK.gettext("Open the round")).click()
    wait_for_action(council)
    round_id = int(vote.roundCount().call())
    assert vote.round(round_id).call()[0][7][4] is True  # params.rules.coFinanced

    # 3. An NGO (a registered resident's account) pitches a project that answers the issue.
    pitcher = person(browser, offline, EN, ngo.email)
    pitcher.goto(f"rounds/{round_id}/pitch")
    pitcher.get_by_label(EN.gettext("Project title")).fill(PROJECT)
    pitcher.get_by_label(EN.gettext("Description")).fill("ГО «Світанок»: облаштуємо підвал під укриття.")
    pitcher.get_by_label(EN.gettext("Amount needed")).fill("50000")
    pitcher.get_by_label(ISSUE).check()
    pitcher.get_by_label(EN.gettext("Photos (optional)")).set_input_files(
        [{"name": "pidval.png", "mimeType": "image/png", "buffer": picture(32)}]
    )
    pitcher.get_by_role("button", name=EN.gettext("Pitch the project")).click()
    wait_for_action(pitcher)
    pitcher.goto(f"rounds/{round_id}/projects/1/delivery")
    photo = pitcher.get_by_role(
        "img", name=EN.gettext("Photo %(n)s of the project “%(title)s”", n=1, title=PROJECT)
    )
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 96
    assert pitcher.get_by_test_id("answers").inner_text() == "№\u00a01"
    shots(pitcher, "project-pitched")

    # 4. The local budget's finance office signs up on the site, like anyone; the council registers it and
    # the business (whose account was made earlier) as partners, by their sign-ins.
    budget = open_phone(browser, offline, "uk")
    budget.goto("signup")
    budget.get_by_label(UK.gettext("Your name")).fill("Фінансове управління")
    budget.get_by_label(UK.gettext("E-mail (optional)")).fill(BUDGET_LOGIN)
    budget.get_by_label(UK.gettext("Password"), exact=True).fill(PASSWORD)
    budget.get_by_role("button", name=UK.gettext("Create my account")).click()
    budget.wait_for_load_state()
    budget.context.close()
    council.goto("council/partners")
    for name, sector, login in (
        ("ТОВ «Будмайстер»", "business", business.email),
        ("Бюджет громади", "local_budget", BUDGET_LOGIN),
    ):
        council.get_by_label(UK.gettext("Name"), exact=True).fill(name)
        council.get_by_label(UK.gettext("Sector")).select_option(label=UK.label("sector", sector))
        council.get_by_label(UK.gettext("Their account on this site: phone or e-mail")).fill(login)
        council.get_by_role("button", name=UK.gettext("Register the partner")).click()
        wait_for_action(council)
        council.goto("council/partners")
    assert council.get_by_test_id("partner").count() == 2
    fits_the_phone(council)
    shots(council, "partners")

    # 5. The business pledges materials (on condition the vote chooses the project); the budget, money.
    for login, t, kind, value, what, conditional in (
        (business.email, EN, "materials", "12000", "Цемент і цегла", True),
        (BUDGET_LOGIN, UK, "money", "20000", "Кошти місцевого бюджету", False),
    ):
        page = person(browser, offline, t, login)
        page.get_by_role("link", name=PROJECT).click()
        page.get_by_label(t.gettext("What you give")).select_option(label=t.label("pledge_kind", kind))
        page.get_by_label(t.gettext("Its value")).fill(value)
        page.get_by_label(t.gettext("Description"), exact=True).fill(what)
        box = page.get_by_label(t.gettext("Only if the vote chooses the project"))
        box.check() if conditional else box.uncheck()
        fits_the_phone(page)
        shots(page, f"pledge-{kind}")
        page.get_by_role("button", name=t.gettext("Pledge"), exact=True).click()
        wait_for_action(page)
        page.goto("partner")
        assert what in page.get_by_test_id("my-pledge").inner_text()
        shots(page, f"my-pledges-{kind}")
        page.context.close()
    assert co.pledgedMoney(round_id, 1).call() == BUDGET_MONEY

    # 6. Screening, then the vote: one neighbour in the pages, the other through the relayer.
    travel(world.w3, 2 * 86_400 + 60)
    driver.do(people.council, vote.screenProject(round_id, 1, True, 0))
    travel(world.w3, 86_400)
    voter = person(browser, offline, UK, first.email)
    voter.goto(f"rounds/{round_id}")
    voter.get_by_label(UK.gettext("RV for “%(title)s”", title=PROJECT)).fill("4")
    voter.get_by_role("button", name=UK.gettext("Cast my vote")).click()
    wait_for_action(voter)
    driver.do(second, vote.castBallot(round_id, [1], [3]))
    travel(world.w3, 3 * 86_400 + 60)
    driver.do(second, vote.finalise(round_id))

    # 7. The vote funded the gap: the ask less the money pledged.
    assert vote.project(round_id, 1).call()[7] == ASK - BUDGET_MONEY
    assert co.chosenByVote(round_id, 1).call() is True

    # 8. The council records both pledges fulfilled, and the issue resolved.
    council.goto("council/partners")
    for pledge_id, receipt in ((1, "Накладна № 17 від 3 червня"), (2, "Платіжне доручення № 88")):
        council.get_by_test_id("open-pledge").first.get_by_label(UK.gettext("Receipt")).fill(receipt)
        council.get_by_role(
            "button", name=UK.gettext("Record pledge no. %(id)s fulfilled", id=pledge_id)
        ).click()
        wait_for_action(council)
        council.goto("council/partners")
    assert [co.pledgeOf(i).call()[5] for i in (1, 2)] == [2, 2]  # fulfilled
    assert UK.gettext("No pledge is open.") in council.locator("main").inner_text()
    council.goto("issues/1")
    council.get_by_label(UK.gettext("Move the issue to")).select_option(label=state_names(UK)["resolved"])
    council.get_by_role("button", name=UK.gettext("Save")).click()
    council.get_by_test_id("issue-state").wait_for()
    assert council.get_by_test_id("issue-state").inner_text() == state_names(UK)["resolved"]
    with world.env.app.state.session_factory() as session:
        assert session.scalar(select(Issue.state).where(Issue.number == 1)) == IssueState.RESOLVED
    shots(council, "issue-resolved")

    # 9. The audit recomputes the co-financing from events alone; the public pages say the same.
    with RpcClient(world.settings.rpc_url) as client:
        figures = run_audit(client, world.hromada.token.address).figures()["co_financing"]
    public_figures_agree(browser, offline, figures, round_id, shots)


def public_figures_agree(
    browser: Browser, served: Served, figures: dict[str, Any], round_id: int, shots: Shots
) -> None:
    """What the audit found, as the public page shows it, in both languages."""
    by_sector = figures["by_sector"]
    assert by_sector["business"]["in_kind_fulfilled"] == MATERIALS_VALUE
    assert by_sector["local_budget"]["money_fulfilled"] == BUDGET_MONEY
    (leverage,) = figures["leverage"]
    assert leverage["round_id"] == round_id
    assert leverage["funded_by_vote_kopiyky"] == ASK - BUDGET_MONEY
    assert leverage["leverage_bps"] == (ASK - BUDGET_MONEY + BUDGET_MONEY + MATERIALS_VALUE) * 10_000 // FUND
    for t in (UK, EN):
        page = open_phone(browser, served, t.lang.value)
        page.goto("public")
        choose_language(page, t.lang.value)
        text = " ".join(page.locator("main").inner_text().split())
        assert " ".join(t.uah(MATERIALS_VALUE).split()) in text
        assert " ".join(t.uah(BUDGET_MONEY).split()) in text
        fits_the_phone(page)
        shots(page, f"public-{t.lang.value}")
        page.goto(f"rounds/{round_id}/projects/1/delivery")
        project = " ".join(page.locator("main").inner_text().split())
        for amount in (ASK - BUDGET_MONEY, BUDGET_MONEY, MATERIALS_VALUE):
            assert " ".join(t.uah(amount).split()) in project
        shots(page, f"project-{t.lang.value}")
        page.context.close()
