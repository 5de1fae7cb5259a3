"""Working without a network (issue 20, docs/offline.md), in real Chromium at 360 px, in Ukrainian and
English: Playwright's offline mode (``context.set_offline``, which reaches the service worker too) cuts the
page and the worker off; the pages then come from the worker's copies, forms are saved on the device, and
when the network is back they are sent, each once, and checked on chain."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from a11y_helpers import AXE_TAGS, RUN_AXE, axe_source, describe_violations
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select
from test_browser import LANGUAGES, open_phone, sign_in
from test_offline_sync import coordinator_ready
from web_helpers import SCREENSHOTS, Served, Shots

from cts.models import Language, RelayAction
from cts.web.demo import picture
from cts.web.i18n import Translator, get_translator
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
CACHED_PAGES = """async () => {
  const cache = await caches.open("cts-pages-v1");
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""
SAVED = """async () => new Promise((resolve, reject) => {
  const opened = indexedDB.open("cts-offline", 1);
  opened.onsuccess = () => {
    const request = opened.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => resolve(request.result.map((item) => ({key: item.key, url: item.url,
      state: item.state, fields: item.fields.map((f) => [f.name, f.file ? null : f.value])})));
    request.onerror = () => reject(request.error);
  };
  opened.onerror = () => reject(opened.error);
})"""


def kept_offline(page: Page, *paths: str) -> None:
    """Wait until the service worker controls the page and keeps these pages (it warms them on its own)."""
    deadline = time.monotonic() + 30
    while True:
        kept = (
            set(page.evaluate(CACHED_PAGES))
            if page.evaluate("!!navigator.serviceWorker.controller")
            else set()
        )
        if all(path in kept for path in paths):
            return
        assert time.monotonic() < deadline, f"the worker kept {sorted(kept)}, not {paths}"
        page.wait_for_timeout(200)
        if not page.evaluate("!!navigator.serviceWorker.controller"):
            page.reload()


def wait_for(page: Page, predicate: str, timeout: float = 30) -> None:
    """Poll a JavaScript arrow function (page.wait_for_function evaluates a string, which the pages' CSP
    forbids: the pages are tested under their real policy)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not in time: {predicate}"
        page.wait_for_timeout(100)


def waiting_is(count: int) -> str:
    return f"() => document.body.dataset.outboxWaiting === '{count}'"


def counted(page: Page, name: str) -> int:
    return int(page.locator("body").get_attribute(f"data-outbox-{name}") or 0)


def wait_until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def actions(served: Served, kind: str) -> int:
    with served.world.env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count(RelayAction.id)).where(RelayAction.kind == kind)) or 0)


def keep_shot(page: Page, name: str) -> None:
    """A screenshot worth keeping in docs/ (listed in docs/pages.md), saved under var/screenshots/docs/ and
    copied to docs/ by hand: a test run leaves the checkout as it found it."""
    path = SCREENSHOTS / "docs" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def assert_accessible(page: Page, where: str) -> None:
    """axe-core on the page as it is (the outbox filled by the script), under the page's own CSP: the
    library goes in through the DevTools protocol, which the policy does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;true")
    violations = page.evaluate(RUN_AXE, AXE_TAGS)
    assert violations == [], describe_violations(where, violations)


def record_offline(page: Page, t: Translator, resident_id: int, programme: int, seed: int) -> None:
    page.get_by_label(t.gettext("Resident"), exact=True).select_option(str(resident_id))
    page.get_by_label(t.gettext("Programme"), exact=True).select_option(str(programme))
    page.get_by_label(t.gettext("Photo or document")).set_input_files(
        {"name": f"journal-{seed}.png", "mimeType": "image/png", "buffer": picture(seed)}
    )
    before = counted(page, "waiting")
    page.get_by_role("button", name=t.gettext("Send the case")).click()
    wait_for(page, waiting_is(before + 1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_coordinator_records_three_cases_and_verifies_one_offline_and_each_reaches_the_chain_once(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    """Issue 20's acceptance: offline, three cases recorded and one verified; online again, exactly those
    actions are on chain, the one whose programme closed meanwhile is refused with the reason, and sending
    again records nothing more."""
    t = get_translator(Language(lang))
    world = served.world
    people, cases = world.people, world.hromada.cases.functions
    programme = coordinator_ready(world, coordinator_verifies=True)
    closing = world.open_programme("Толока на кладовищі", reward=4)
    first, second, third = people.residents
    (waiting_case,) = world.submit_cases(programme, third)  # for the coordinator to approve offline
    cases_before = int(cases.caseCount().call())

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, people.coordinator.email)
    page.goto("record")
    kept_offline(page, f"{world.base}/record", f"{world.base}/verify")

    page.context.set_offline(True)
    page.goto("record")
    assert page.locator("body").get_attribute("data-served") == "cache"
    assert page.locator("[data-offline-banner]").is_visible()
    offline_cases = ((first, programme, 8101), (second, programme, 8102), (third, closing, 8103))
    for resident, chosen, seed in offline_cases:
        record_offline(page, t, resident.id, chosen, seed)
    page.goto("verify")
    assert page.locator("body").get_attribute("data-served") == "cache"
    page.get_by_role("button", name=t.gettext("Approve case #%(id)s", id=waiting_case)).click()
    wait_for(page, waiting_is(4), 60)
    page.goto("record")
    # offline.js draws the outbox from IndexedDB after the page loads, then marks the body: read it then.
    wait_for(page, waiting_is(4), 60)
    waiting = page.get_by_test_id("outbox-waiting")
    assert waiting.locator("li").count() == 4
    assert first.display_name in waiting.inner_text() and "journal-8101.png" in waiting.inner_text()
    saved = page.evaluate(SAVED)
    assert len({item["key"] for item in saved}) == 4 and all(item["state"] == "waiting" for item in saved)
    assert not any(name == "csrf_token" for item in saved for name, _ in item["fields"])
    assert actions(served, "recordCase") == 0 and actions(served, "approveCase") == 0
    page.locator("[data-outbox]").scroll_into_view_if_needed()
    shots(page, "waiting")
    keep_shot(page, f"offline-waiting-{lang}")
    assert_accessible(page, "the outbox, waiting")

    # Meanwhile, the council closes the programme of the third case.
    world.driver.do(people.council, cases.closeProgramme(closing))

    page.context.set_offline(False)  # the "online" event sends what waits
    wait_for(page, waiting_is(0), 60)
    refused = page.get_by_test_id("outbox-refused")
    assert refused.locator("li").count() == 1
    assert third.display_name in refused.inner_text()
    reason = refused.get_by_test_id("outbox-reason").inner_text()
    closed = t.gettext(
        "The programme “%(title)s” does not take cases now: %(state)s.",
        title="Толока на кладовищі",
        state=t.label("programme", "closed"),
    )
    assert closed in reason, reason
    assert page.get_by_test_id("outbox-sent").locator("li").count() == 3
    shots(page, "refused")
    keep_shot(page, f"offline-refused-{lang}")
    assert_accessible(page, "the outbox, one refused")

    # On chain: exactly the two good cases (for the right residents, recorded by the coordinator) and the
    # approval; not the third case.
    wait_until(lambda: cases.caseCount().call() == cases_before + 2, "the two cases did not reach the chain")
    wait_until(
        lambda: call_struct(world.hromada.cases, "caseOf", waiting_case)["status"] == 2, "not approved"
    )
    recorded = [call_struct(world.hromada.cases, "caseOf", n) for n in (cases_before + 1, cases_before + 2)]
    assert {c["programmeId"] for c in recorded} == {programme}
    residents = {world.hromada.registry.functions.addressOf(c["residentId"]).call() for c in recorded}
    assert residents == {first.wallet.address, second.wallet.address}
    assert {c["submittedBy"] for c in recorded} == {people.coordinator.wallet.address}

    # Sending again (a reload sends whatever waits; the same key once more): nothing more is recorded.
    page.reload()
    wait_for(page, "() => document.body.dataset.outboxRefused === '1'")
    again = page.evaluate(
        """async (item) => {
          const token = document.querySelector('input[name="csrf_token"]').value;
          const form = new FormData();
          form.append("csrf_token", token);
          form.append("form_key", item.key);
          for (const [name, value] of item.fields) form.append(name, value);
          form.append("evidence", new File([new Uint8Array([1, 2, 3])], "again.png", {type: "image/png"}));
          const headers = {"X-CTS-Offline": "1"};
          const response = await fetch(item.url, {method: "POST", body: form, headers});
          return response.json();
        }""",
        next(
            item
            for item in saved
            if item["url"].endswith("/record") and ["resident", str(first.id)] in item["fields"]
        ),
    )
    assert again["outcome"] == "done" and again["replayed"] is True
    time.sleep(1)
    assert actions(served, "recordCase") == 2 and actions(served, "approveCase") == 1
    assert cases.caseCount().call() == cases_before + 2

    # The refused one is removed by hand; nothing is left on the device.
    page.get_by_test_id("outbox-refused").get_by_role("button").click()
    wait_for(page, "() => document.body.dataset.outboxRefused === '0'")
    assert page.evaluate(SAVED) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_verifier_approves_and_rejects_offline_and_both_are_sent(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    people = world.people
    first, second = people.residents[:2]
    world.register(first, second)
    programme = world.open_programme(reward=4)
    approved, rejected = world.submit_cases(programme, first, second)

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, people.verifier.email)
    page.goto("verify")
    kept_offline(page, f"{world.base}/verify", f"{world.base}/verify/cases/{rejected}")

    page.context.set_offline(True)
    page.goto("verify")
    assert page.locator("body").get_attribute("data-served") == "cache"
    page.get_by_role("button", name=t.gettext("Approve case #%(id)s", id=approved)).click()
    wait_for(page, waiting_is(1), 60)
    page.goto(f"verify/cases/{rejected}")
    page.get_by_label(t.gettext("Reason for rejecting")).select_option("4")
    page.get_by_label(t.gettext("The reason in your own words")).fill("Фото з іншої толоки")
    page.get_by_role("button", name=t.gettext("Reject case #%(id)s", id=rejected)).click()
    wait_for(page, waiting_is(2), 60)
    shots(page, "waiting")
    assert actions(served, "approveCase") == 0

    page.context.set_offline(False)
    wait_for(page, waiting_is(0), 60)
    assert counted(page, "refused") == 0
    wait_until(lambda: call_struct(world.hromada.cases, "caseOf", approved)["status"] == 2, "not approved")
    wait_until(
        lambda: call_struct(world.hromada.cases, "caseOf", rejected)["rejections"] == 1, "not rejected"
    )
    shots(page, "sent")
    page.reload()
    time.sleep(1)
    assert actions(served, "approveCase") == 1 and actions(served, "rejectCase") == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_residents_page_offline_shows_the_last_known_balance_marked_as_such(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    people, cases = world.people, world.hromada.cases.functions
    resident = people.residents[0]
    world.register(resident)
    programme = world.open_programme(reward=4)
    (case_id,) = world.submit_cases(programme, resident)
    world.driver.do(people.verifier, cases.approveCase(case_id))

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, resident.email)
    page.goto("me")
    balance = page.get_by_test_id("balance").inner_text()
    kept_offline(page, f"{world.base}/me", f"{world.base}/cases")

    page.context.set_offline(True)
    for path in ("me", "cases"):
        page.goto(path)
        assert page.locator("body").get_attribute("data-served") == "cache"
        banner = page.locator("[data-offline-banner]")
        assert banner.is_visible()
        assert (
            t.gettext(
                "No network: this page is shown as it was read on %(time)s. It may have changed since."
            ).split("%")[0]
            in banner.inner_text()
        )
    page.goto("me")
    assert page.get_by_test_id("balance").inner_text() == balance
    shots(page, "offline")
    keep_shot(page, f"offline-resident-{lang}")
    # A page the device never kept is not shown as if it were current.
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto("rounds")


@pytest.mark.parametrize("lang", ["uk"])
def test_a_case_saved_once_is_sent_once_when_two_tabs_come_back_online(
    served: Served, browser: Browser, lang: str
) -> None:
    t = get_translator(Language(lang))
    world = served.world
    programme = coordinator_ready(world)
    first = world.people.residents[0]
    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, world.people.coordinator.email)
    page.goto("record")
    kept_offline(page, f"{world.base}/record")
    page.context.set_offline(True)
    page.goto("record")
    record_offline(page, t, first.id, programme, 8301)
    # Signing out now would lose it: the first press only says so.
    page.get_by_role("button", name=t.pgettext("navigation", "Sign out")).click()
    # The status line already says the case was saved: wait for the warning itself, which the page writes
    # once it has counted what is waiting on the device (a fresh-clone run read the line too early).
    warning = t.gettext(
        "Some actions saved on this device are not sent yet. Signing out deletes them: press “Sign out” "
        "again to sign out anyway."
    )
    wait_for(
        page, f"() => document.querySelector('[data-outbox-status]').textContent === {json.dumps(warning)}"
    )
    assert len(page.evaluate(SAVED)) == 1
    other = page.context.new_page()
    other.goto("record")
    wait_for(other, waiting_is(1), 60)
    page.context.set_offline(False)  # both tabs hear "online" and send
    for tab in (page, other):
        wait_for(tab, waiting_is(0), 60)
    wait_until(
        lambda: world.hromada.cases.functions.caseCount().call() == 1, "the case did not reach the chain"
    )
    time.sleep(1)
    assert actions(served, "recordCase") == 1
    assert world.hromada.cases.functions.caseCount().call() == 1

    # Signing out (nothing waits now) deletes the pages kept and the database of saved forms.
    other.close()
    page.get_by_role("button", name=t.pgettext("navigation", "Sign out")).click()
    page.wait_for_url(f"**{world.base}?notice=signed_out")
    assert "cts-pages-v1" not in page.evaluate("async () => await caches.keys()")
    names = page.evaluate("async () => (await indexedDB.databases()).map((db) => db.name)")
    assert "cts-offline" not in names
