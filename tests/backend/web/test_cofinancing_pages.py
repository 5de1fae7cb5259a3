"""The public side of co-financing (issue 18, docs/cofinancing.md) on a real co-financed round
(cofinancing_helpers): a project's page lists its pledges with their sums and the gap the vote fills; the
round's page shows the rule, each project's gap during the vote and, in the results, what partners pledged
beside what the vote funded, as the chain says; the public figures per sector and each round's leverage are
the ones `cts audit` computes; partners' names and words are text, never markup. Then the same pages in
Chromium at 360 px, in Ukrainian and English."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from cofinancing_helpers import ASKS, PARTNERS, PLEDGES, RECEIPTS, TITLES, Story, finish, pitched_round
from test_browser import open_phone
from web_helpers import PHONE, Served, Shots, World, sign_in

from cts.audit.audit import run_audit
from cts.audit.rpc import RpcClient
from cts.models import Language
from cts.web.cofinancing_reads import SECTOR_KEYS
from cts.web.i18n import Translator, get_translator

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

EN = get_translator(Language.EN)
UK = get_translator(Language.UK)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _ByTestId(HTMLParser):
    """The text of every element carrying a data-testid, by that id (nested ones included in their
    parents' text)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[str]] = {}
        self.current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        testid = dict(attrs).get("data-testid")
        if testid is not None:
            self.texts.setdefault(testid, []).append("")
        self.open.append((tag, testid))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, _ = self.open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, testid in self.open:
            if testid is not None:
                self.texts[testid][-1] += data


def by_testid(html: str) -> dict[str, str]:
    """Each data-testid's text, spaces collapsed (the first element where an id repeats)."""
    parser = _ByTestId()
    parser.feed(html)
    return {key: " ".join(values[0].split()) for key, values in parser.texts.items()}


def within(html: str, testid: str) -> str:
    """The markup of the element carrying data-testid (up to the start of the next one of its kind)."""
    start = html.index(f'data-testid="{testid}"')
    return html[start:]


def uah(t: Translator, kopiyky: int) -> str:
    return " ".join(t.uah(kopiyky).split())


def audit_figures(story: Story) -> dict[str, Any]:
    world = story.world
    with RpcClient(world.settings.rpc_url) as client:
        result = run_audit(client, world.hromada.token.address)
    figures: dict[str, Any] = result.figures()["co_financing"]
    return figures


def expected_totals(project_id: int, states: dict[int, str]) -> tuple[int, int, int]:
    """Money, in kind and stablecoin pledged to a project (open and fulfilled pledges)."""
    money = in_kind = stablecoin = 0
    for pledge_id, (project, kind, value, _, _) in PLEDGES.items():
        if project != project_id or states[pledge_id] not in ("open", "fulfilled"):
            continue
        if kind == 1:
            money += value
        elif kind == 6:
            stablecoin += value
        else:
            in_kind += value
    return money, in_kind, stablecoin


BEFORE_VOTE = {1: "open", 2: "open", 3: "open", 4: "cancelled", 5: "open", 6: "open", 7: "open"}
AFTER = {**BEFORE_VOTE, 1: "fulfilled", 2: "fulfilled", 6: "fulfilled", 7: "fulfilled"}


def check_project_page(
    story: Story, html: str, project_id: int, states: dict[int, str], t: Translator
) -> None:
    texts = by_testid(html)
    money, in_kind, stablecoin = expected_totals(project_id, states)
    assert money == story.pledged_money(project_id)  # the chain's own sum, which the vote subtracts
    assert texts["money-pledged"] == uah(t, money)
    assert texts.get("in-kind-pledged", uah(t, 0)) == uah(t, in_kind)  # a zero is not shown
    assert texts.get("stablecoin-pledged", uah(t, 0)) == uah(t, stablecoin)
    assert texts["gap"] == uah(t, ASKS[project_id] - min(ASKS[project_id], money))
    sector = {"business": "business", "budget": "local_budget", "ngo": "ngo", "donor": "diaspora"}
    kinds = {1: "money", 2: "materials", 4: "labour", 6: "stablecoin"}
    who = {1: "business", 2: "business", 3: "budget", 4: "budget", 5: "ngo", 6: "budget", 7: "donor"}
    mine = [pledge_id for pledge_id, pledge in PLEDGES.items() if pledge[0] == project_id]
    assert mine
    for pledge_id in PLEDGES:
        if pledge_id not in mine:
            assert f"pledge-{pledge_id}" not in texts
            continue
        _, kind, value, conditional, what = PLEDGES[pledge_id]
        text = texts[f"pledge-{pledge_id}"]
        partner = who[pledge_id]
        assert PARTNERS[partner][0] in text, text
        assert t.label("sector", sector[partner]) in text
        assert f"{t.label('pledge_kind', kinds[kind])}: {uah(t, value)}" in text
        assert t.label("pledge", states[pledge_id]) in text
        assert what in text
        condition = "Only if the vote chooses the project" if conditional else "Whatever the vote decides"
        assert t.gettext(condition) in text
        if pledge_id in RECEIPTS and states[pledge_id] == "fulfilled":
            assert RECEIPTS[pledge_id] in text


def check_results(story: Story, html: str, t: Translator) -> None:
    """The round's results: for each project, what partners pledged and what the vote funded, as on chain."""
    texts = by_testid(html)
    funded = {p: story.funded(p) for p in ASKS}
    assert funded == {1: 450_000, 2: 200_000, 3: 0}  # each project its gap; project 3 was covered
    for project_id in ASKS:
        money, in_kind, stablecoin = expected_totals(project_id, AFTER)
        parts = by_testid(within(html, f"co-financing-{project_id}"))
        assert parts["money-pledged"] == uah(t, story.pledged_money(project_id)) == uah(t, money)
        assert parts["funded-by-vote"] == uah(t, funded[project_id])
        assert parts.get("in-kind-pledged", uah(t, 0)) == uah(t, in_kind)
        assert parts.get("stablecoin-pledged", uah(t, 0)) == uah(t, stablecoin)
    assert "covered-3" in texts and "covered-1" not in texts


def check_public(story: Story, html: str, t: Translator, figures: dict[str, Any]) -> None:
    """Every sector's figures and the round's leverage, as `cts audit` computes them."""
    assert figures["pledges"] == len(PLEDGES)
    for name, row in figures["by_sector"].items():
        section = within(html, f"sector-{SECTOR_KEYS[name]}")
        cells = by_testid(section[: section.index("</tr>")])
        if not row["pledges"]:
            assert "money-pledged" not in cells
            continue
        for part in ("money", "in_kind", "stablecoin"):
            for stage in ("pledged", "fulfilled"):
                shown = cells.get(f"{part}-{stage}", uah(t, 0))  # nothing pledged: a dash
                assert shown == uah(t, row[f"{part}_{stage}"]), (name, part, stage)
    section = within(html, "sector-total")
    cells = by_testid(section[: section.index("</tr>")])
    for part in ("money", "in_kind", "stablecoin"):
        for stage in ("pledged", "fulfilled"):
            total = sum(row[f"{part}_{stage}"] for row in figures["by_sector"].values())
            assert cells[f"{part}-{stage}"] == uah(t, total)
    business = figures["by_sector"]["business"]
    assert business["money_fulfilled"] == 150_000 and business["in_kind_fulfilled"] == 80_000
    (leverage,) = figures["leverage"]
    assert leverage["round_id"] == story.round_id
    # (4,500 + 2,000 by the vote + 1,500 + 800 + 2,000 + 410 fulfilled) / 10,000
    assert leverage["leverage_bps"] == 11_210
    row = by_testid(within(html, f"leverage-{story.round_id}"))
    assert row["leverage-ratio"] == t.gettext("%(ratio)s×", ratio=t.ratio(leverage["leverage_bps"]))


def test_the_pages_show_pledges_gaps_both_parts_and_the_audits_figures(world: World) -> None:
    story = pitched_round(world)
    t = UK
    client = world.client

    # During the vote: the project's pledges, their sums, the gap the vote fills; no pledge form offered.
    for project_id in ASKS:
        page = client.get(story.project_path(project_id))
        assert page.status_code == 200
        check_project_page(story, page.text, project_id, BEFORE_VOTE, t)
        assert "pledge-link" not in page.text
    round_page = client.get(f"/rounds/{story.round_id}").text
    texts = by_testid(round_page)
    assert (
        t.gettext("on: the vote fills only what pledged money does not cover") in texts["co-financing-rule"]
    )
    for project_id in ASKS:
        parts = by_testid(within(round_page, f"co-financing-{project_id}"))
        gap = ASKS[project_id] - min(ASKS[project_id], story.pledged_money(project_id))
        assert parts["gap"] == uah(t, gap)
    assert f'href="{world.base}/rounds/{story.round_id}/projects/1/delivery"' in round_page

    # Markup in a partner's name or a pledge's words is shown as text.
    ngo = client.get(story.project_path(2)).text
    assert "<script>alert" not in ngo and "&lt;script&gt;alert(" in ngo

    # A partner is offered the pledge form on a project still taking pledges.
    sign_in(client, story.partner_user.email)
    offered = client.get(story.project_path(1)).text
    assert f'href="{world.base}/rounds/{story.round_id}/projects/1/pledge"' in offered
    assert t.gettext("Pledge to this project") in offered
    client.cookies.clear()

    finish(story)
    for project_id in ASKS:
        page = client.get(story.project_path(project_id)).text
        check_project_page(story, page, project_id, AFTER, t)
        assert by_testid(page)["funded-by-vote"] == uah(t, story.funded(project_id))
    check_results(story, client.get(f"/rounds/{story.round_id}").text, t)
    check_public(story, client.get("/public").text, t, audit_figures(story))


def english(page: Page) -> None:
    page.get_by_role("button", name="English").click()
    page.wait_for_selector('html[lang="en"]')


def test_the_co_financing_pages_read_well_on_a_phone_in_chromium(
    served: Served, browser: Browser, shots: Shots
) -> None:
    world = served.world
    story = pitched_round(world)
    pages = {lang: open_phone(browser, served, lang) for lang in ("uk", "en")}
    dialogs: list[str] = []
    for page in pages.values():
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for lang, page in pages.items():
        t = get_translator(Language(lang))
        page.goto(story.project_path(2).lstrip("/"))
        if lang == "en":
            english(page)
        check_project_page(story, page.content(), 2, BEFORE_VOTE, t)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert PARTNERS["ngo"][0] in page.get_by_test_id("pledge-5").inner_text()  # shown as text
        shots(page, f"project-during-vote-{lang}")
        page.goto(f"rounds/{story.round_id}")
        page.get_by_test_id("co-financing-1").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots(page, f"round-during-vote-{lang}")

    finish(story)
    figures = audit_figures(story)
    for lang, page in pages.items():
        t = get_translator(Language(lang))
        page.goto(story.project_path(1).lstrip("/"))
        check_project_page(story, page.content(), 1, AFTER, t)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots(page, f"project-after-{lang}")
        page.goto(f"rounds/{story.round_id}")
        check_results(story, page.content(), t)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots(page, f"round-results-{lang}")
        page.goto("public")
        check_public(story, page.content(), t, figures)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_test_id("co-financing").scroll_into_view_if_needed()
        shots(page, f"public-{lang}")
        assert TITLES[1] in page.content()
    assert dialogs == []  # a partner's markup never ran
