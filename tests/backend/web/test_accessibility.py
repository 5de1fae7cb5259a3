"""Every page meets WCAG 2.1 AA as axe-core checks it, weighs little enough for a slow 3G link, and still fits
a 360 px phone with its text at 200 % (issue 20; docs/accessibility.md).

One walk does it all: a hromada with something on every page (site_walk.py), and for each language and
each role a phone's browser (360 x 740) that opens every page that role sees, measuring on each the bytes
a first visit transfers, axe-core's violations, and what sticks out at 200 % text; the forms are also sent
empty, so that their error messages are checked too. The tests below then judge the walk's findings, so
that one run names every problem at once. Screenshots of every page at 200 % text, in Ukrainian (in English
too where something does not fit): var/screenshots/accessibility-<lang>/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from a11y_helpers import (
    DOUBLE_TEXT,
    NORMAL_TEXT,
    PAGE_BUDGET_BYTES,
    VERIFIER_BUDGET_BYTES,
    WireMeter,
    axe_violations,
    describe_violations,
    focused,
    overflow_at_double_text,
)
from site_walk import (
    EMPTY_FORMS,
    NOT_PAGES,
    ROLES,
    Site,
    built_site,
    get_routes,
    open_as,
    page_routes,
    send_empty,
)
from test_browser import LANGUAGES, wait_for_action
from web_helpers import PASSWORD, PHONE, SCREENSHOTS, Shots

from cts.chain.artifacts import REPO_ROOT
from cts.web.demo import picture
from cts.web.routes import pages_router

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
WEIGHTS_FILE = REPO_ROOT / "var" / "page-weight.json"  # the figures docs/accessibility.md quotes


@dataclass
class Visit:
    lang: str
    role: str
    route: str  # the app's route ("/h/{slug}/rounds/{round_id}"); "404"; "" for a form sent empty
    path: str
    status: int
    transferred: int
    parts: dict[str, int]
    violations: list[dict[str, Any]]
    overflow: list[str]

    @property
    def where(self) -> str:
        return f"{self.path} ({self.role}, {self.lang})"


@dataclass
class Walk:
    site: Site
    visits: list[Visit] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    migrated_sqlite_template: Path,
    node: Any,
    w3: Any,
    deployer: Any,
    shared_manifest: Any,
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    with built_site(folder, migrated_sqlite_template, node, w3, deployer, shared_manifest) as built:
        yield built


def shot_name(role: str, path: str, base: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", f"{role}-{path.replace(base, 'h', 1)}").strip("-")


def measure(page: Page, meter: WireMeter, lang: str, role: str, route: str, path: str, status: int) -> Visit:
    transferred = meter.total()
    return Visit(
        lang,
        role,
        route,
        path,
        status,
        transferred,
        meter.parts(),
        axe_violations(page),
        overflow_at_double_text(page),
    )


@pytest.fixture(scope="module")
def walk(site: Site, browser: Browser) -> Walk:
    result = Walk(site)
    url = site.served.url
    for lang in LANGUAGES:
        folder = SCREENSHOTS / f"accessibility-{lang}"
        folder.mkdir(parents=True, exist_ok=True)
        for role in ROLES:
            page = open_as(browser, site, role, lang)
            meter = WireMeter.attach(page)
            for route, path in site.visits()[role]:
                meter.reset()
                response = page.goto(url + path, wait_until="load")
                status = response.status if response is not None else 0
                visit = measure(page, meter, lang, role, route, path, status)
                result.visits.append(visit)
                if lang == LANGUAGES[0] or visit.overflow:  # the time a screenshot takes, where it helps
                    page.evaluate(DOUBLE_TEXT)
                    page.screenshot(
                        path=str(folder / f"{shot_name(role, path, site.base)}.png"), full_page=True
                    )
                    page.evaluate(NORMAL_TEXT)
            for form_role, path, selector in EMPTY_FORMS:
                if form_role != role:
                    continue
                page.goto(url + site.base + path)
                meter.reset()
                send_empty(page, selector)
                entry = measure(page, meter, lang, role, "", f"{site.base}{path} (sent empty)", 400)
                result.visits.append(entry)
            page.context.close()
    return result


def test_every_page_route_is_walked(site: Site) -> None:
    """A page added to the app without a place in the walk's plan fails here, naming it."""
    planned = set(site.plan())
    assert planned == page_routes(), (
        f"not walked: {sorted(page_routes() - planned)}; planned but gone: {sorted(planned - page_routes())}"
    )
    assert get_routes(pages_router.routes) >= NOT_PAGES, "a route said not to be a page is gone"
    for role, visits in site.visits().items():
        assert role in ROLES and visits


def test_axe_finds_what_it_should_on_a_page_made_to_fail(browser: Browser) -> None:
    """The check itself works: a page without a language, with an unlabelled field and an image without a
    text alternative has exactly those violations."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_content(
        "<html><head><title>x</title></head><body><main><img src='data:,'><input></main></body></html>"
    )
    found = {violation["id"] for violation in axe_violations(page)}
    context.close()
    assert {"html-has-lang", "image-alt", "label"} <= found


def test_every_page_opens(walk: Walk) -> None:
    wrong = [
        f"{v.where}: {v.status}"
        for v in walk.visits
        if v.route and v.status != (404 if v.route == "404" else 200)
    ]
    assert not wrong, wrong


def test_axe_finds_no_wcag_violation_on_any_page(walk: Walk) -> None:
    found = [describe_violations(v.where, v.violations) for v in walk.visits if v.violations]
    assert not found, "axe-core (WCAG 2.0/2.1 A and AA, best practices):\n" + "\n".join(found)


def test_every_page_fits_a_phone_at_200_percent_text(walk: Walk) -> None:
    found = [f"{v.where}: {problem}" for v in walk.visits for problem in v.overflow]
    assert not found, "at 360 px with the text twice its size:\n" + "\n".join(found)


def test_every_page_loads_within_its_budget_on_a_slow_3g_link(walk: Walk) -> None:
    figures: dict[str, dict[str, int]] = {}
    too_heavy = []
    for visit in walk.visits:
        if not visit.route or visit.route == "404":
            continue
        figures.setdefault(visit.route, {})[f"{visit.role}, {visit.lang}"] = visit.transferred
        budget = VERIFIER_BUDGET_BYTES if visit.route == "/h/{slug}/audit/verify" else PAGE_BUDGET_BYTES
        assert visit.transferred > 1_000, f"{visit.where}: nothing measured"
        if visit.transferred > budget:
            parts = ", ".join(f"{name}: {size}" for name, size in sorted(visit.parts.items()))
            too_heavy.append(f"{visit.where}: {visit.transferred} bytes > {budget} ({parts})")
    WEIGHTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS_FILE.write_text(json.dumps(figures, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert not too_heavy, "\n".join(too_heavy)


# ---------------------------------------------------------------- the keyboard alone


def keyboard_page(browser: Browser, site: Site, lang: str) -> Page:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="uk-UA" if lang == "uk" else "en-GB"
    )
    context.add_cookies([{"name": "cts_lang", "value": lang, "url": site.served.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    # File dialogs intercepted from the start: Playwright turns the interception on without waiting for it
    # when the first "filechooser" listener comes, so a key pressed at once could reach Chromium first and
    # open no dialog it reports (seen once, on a loaded 2-core machine). Every later call waits behind it.
    page.on("filechooser", lambda _: None)
    return page


def press_until(
    page: Page, key: str, want: Callable[[dict[str, Any]], bool], limit: int = 40
) -> dict[str, Any]:
    """Press the key (Tab, Shift+Tab) until the focus reaches what is wanted; at every stop on the way the
    focused element must be in view and show its focus ring."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        assert now is not None, f"{key} left the page's controls"
        assert now["ring"], f"no visible focus on {now}"
        assert now["visible"], f"the focused {now} is out of view"
        if want(now):
            return now
    raise AssertionError(f"{key} pressed {limit} times never reached the control")


def named(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda info: info["name"] == name


def skip_to_content(page: Page) -> None:
    """The first Tab reaches the skip link; Enter on it puts the focus at the start of the content."""
    press_until(page, "Tab", lambda info: True, limit=1)
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), "no skip link comes first"
    assert page.evaluate("document.activeElement.hash") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def keyboard_sign_in(page: Page, site: Site, role: str) -> None:
    page.goto(f"{site.served.url}{site.base}/signin")
    skip_to_content(page)
    press_until(page, "Tab", named("login"))
    page.keyboard.type(site.logins[role])
    press_until(page, "Tab", named("password"))
    page.keyboard.type(PASSWORD)
    press_until(page, "Shift+Tab", named("login"))  # back, to check what was typed, and on again
    assert page.evaluate("document.activeElement.value") == site.logins[role]
    press_until(page, "Tab", named("password"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/signin" not in page.url


def choose_with_arrows(page: Page, value: str, limit: int = 20) -> None:
    """On a focused list (select), the arrow keys move through its options without opening it."""
    for _ in range(limit):
        if page.evaluate("document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the option {value} was not reached with the arrow keys")


@pytest.mark.parametrize(("lang", "credits"), [("uk", (2, 2)), ("en", (1, 3))])
def test_a_resident_signs_in_and_votes_with_the_keyboard_alone(
    site: Site, browser: Browser, shots: Shots, lang: str, credits: tuple[int, int]
) -> None:
    page = keyboard_page(browser, site, lang)
    keyboard_sign_in(page, site, "resident")
    page.goto(f"{site.served.url}{site.base}/rounds/{site.voting_round}")
    skip_to_content(page)
    for project, given in zip((1, 2), credits, strict=True):
        press_until(page, "Tab", named(f"credits_{project}"))
        page.keyboard.press("Control+A")
        page.keyboard.type(str(given))
    shots(page, "ballot-typed")
    press_until(
        page, "Tab", lambda info: info["tag"] == "button" and info["name"] == "" and info["type"] == "submit"
    )
    with page.expect_navigation():
        page.keyboard.press("Space")
    wait_for_action(page)
    shots(page, "ballot-cast")
    tally = site.served.world.hromada.vote.functions.tally
    assert [tally(site.voting_round, p).call()[1] for p in (1, 2)] == list(credits)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_coordinator_records_a_case_and_a_verifier_approves_it_with_the_keyboard_alone(
    site: Site, browser: Browser, shots: Shots, lang: str
) -> None:
    cases = site.served.world.hromada.cases.functions
    before = int(cases.caseCount().call())
    page = keyboard_page(browser, site, lang)
    keyboard_sign_in(page, site, "coordinator")
    page.goto(f"{site.served.url}{site.base}/record")
    skip_to_content(page)
    press_until(page, "Tab", named("resident"))
    choose_with_arrows(page, str(site.waiting))
    press_until(page, "Tab", named("programme"))
    choose_with_arrows(page, "1")
    press_until(page, "Tab", named("evidence"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # opens the system's file dialog, where a person picks the photo
    photo = picture(31_000 + LANGUAGES.index(lang))  # a file of its own: the chain refuses one twice
    chooser.value.set_files(files=[{"name": "paper.png", "mimeType": "image/png", "buffer": photo}])
    press_until(page, "Tab", lambda info: info["tag"] == "button" and info["type"] == "submit")
    shots(page, "record-form")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    wait_for_action(page)
    case_id = int(cases.caseCount().call())
    assert case_id == before + 1

    verifier = keyboard_page(browser, site, lang)
    keyboard_sign_in(verifier, site, "verifier")
    verifier.goto(f"{site.served.url}{site.base}/verify")
    skip_to_content(verifier)
    press_until(verifier, "Tab", lambda info: info["id"] == f"case-{case_id}")
    verifier.keyboard.press("Space")
    assert verifier.evaluate("document.activeElement.checked")
    press_until(verifier, "Tab", named("approve_selected"))
    shots(verifier, "case-ticked")
    with verifier.expect_navigation():
        verifier.keyboard.press("Enter")
    wait_for_action(verifier)
    assert int(cases.caseOf(case_id).call()[4]) == 2  # Approved
