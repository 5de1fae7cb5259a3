"""Community issues' pages (issue 18) in a real browser at a phone's width, in both languages: the council
sets the map; a resident posts an issue with a photo and a point; a registered neighbour endorses it and
withdraws; the council reads the ranking with its breakdown and closes an issue with its reason; the map page,
with the tile server unreachable (as in every test here: no internet), shows the markers on a plain background
and the list; with a tile server that answers, it shows its tiles. Bad input through the pages is refused with
a clear message and changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select
from test_browser import LANGUAGES, open_phone, sign_in
from web3 import Web3
from web_helpers import Served, Shots, World, form_fields, make_world, serve
from web_helpers import sign_in as client_sign_in

from cts.chain.client import Sender
from cts.chain.localnode import LocalNode, free_port
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.issues.service import set_area
from cts.models import Hromada, Issue, IssueEndorsement, IssuePhoto, IssueState, Language
from cts.web.demo import picture
from cts.web.i18n import get_translator
from cts.web.issue_texts import category_names, group_names, issue_error_messages, state_names
from cts.web.render import leaflet_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
SETTLEMENTS = ["Рудки", "Березець", "Черхава"]
BOX = ("49.60", "23.40", "49.70", "23.55")


def unreachable_tiles() -> str:
    """A tile address where nothing listens: what a phone without a connection to the tile server meets."""
    return f"http://127.0.0.1:{free_port()}/tiles/{{z}}/{{x}}/{{y}}.png"


def world_with_tiles(tiles: str, **fixtures: Any) -> World:
    return make_world(background_worker=True, environment="development", map_tiles_url=tiles, **fixtures)


@pytest.fixture
def fixtures(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: LocalNode,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> dict[str, Any]:
    return {
        "make_settings": make_settings,
        "tmp_path": tmp_path,
        "node": node,
        "w3": w3,
        "deployer": deployer,
        "shared_manifest": shared_manifest,
    }


@pytest.fixture
def offline(fixtures: dict[str, Any]) -> Iterator[Served]:
    with serve(world_with_tiles(unreachable_tiles(), **fixtures)) as served:
        yield served


def the_map(world: World) -> None:
    with world.env.app.state.session_factory() as session:
        hromada = session.scalar(select(Hromada).where(Hromada.slug == world.env.slug))
        assert hromada is not None
        set_area(session, hromada, BOX, SETTLEMENTS)
        session.commit()


def issues(world: World) -> list[Issue]:
    with world.env.app.state.session_factory() as session:
        found = list(session.scalars(select(Issue).order_by(Issue.number)))
        session.expunge_all()
        return found


def count(world: World, table: type) -> int:
    with world.env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def post_an_issue(page: Page, lang: str, title: str, lat: str, lon: str, photo_seed: int) -> None:
    t = get_translator(Language(lang))
    page.goto("issues")
    page.get_by_role("link", name=t.gettext("Post an issue")).click()
    # The small map that fills in the point is the page's deferred script: wait for the page's load event.
    page.wait_for_url("**/issues/new", wait_until="load")
    page.get_by_label(t.gettext("Title")).fill(title)
    page.get_by_label(t.gettext("Description")).fill("Глибока яма біля школи.\nДіти обходять її дорогою.")
    page.get_by_label(t.gettext("Settlement")).select_option(label="Рудки")
    page.get_by_label(t.gettext("Category")).select_option(label=category_names(t)["infrastructure"])
    page.get_by_label(group_names(t)["children"]).check()
    page.get_by_label(group_names(t)["disabilities"]).check()
    if lat == "map":  # a tap on the small map fills in both fields
        page.get_by_test_id("point-map").click()
        assert page.get_by_label(t.gettext("Latitude"), exact=True).input_value().startswith("49.6")
        assert page.get_by_label(t.gettext("Longitude"), exact=True).input_value().startswith("23.4")
    else:
        page.get_by_label(t.gettext("Latitude"), exact=True).fill(lat)
        page.get_by_label(t.gettext("Longitude"), exact=True).fill(lon)
    page.get_by_label(t.gettext("Photos (optional)")).set_input_files(
        [{"name": "yama.png", "mimeType": "image/png", "buffer": picture(photo_seed)}]
    )
    page.get_by_role("button", name=t.gettext("Post the issue")).click()
    page.get_by_role("heading", name=title).wait_for()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_residents_post_and_endorse_an_issue_and_the_council_ranks_and_closes_it(
    offline: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = offline.world, get_translator(Language(lang))
    people = world.people
    author, neighbour = people.residents[:2]
    world.register(neighbour)

    council = open_phone(browser, offline, lang)
    sign_in(council, t, lang, people.council.email)
    council.goto("council/issues/area")
    for label, value in zip(
        ("South edge (latitude)", "West edge (longitude)", "North edge (latitude)", "East edge (longitude)"),
        BOX,
        strict=True,
    ):
        council.get_by_label(t.gettext(label)).fill(value)
    council.get_by_label(t.gettext("Settlements"), exact=True).fill("\n".join(SETTLEMENTS))
    council.get_by_role("button", name=t.gettext("Save")).click()
    council.get_by_role("heading", name=t.gettext("Residents' issues")).wait_for()

    resident = open_phone(browser, offline, lang)
    sign_in(resident, t, lang, author.email)
    post_an_issue(resident, lang, "Яма на дорозі біля школи", "49.6532", "23.4811", 1)
    photo = resident.get_by_role(
        "img", name=t.gettext("Photo %(n)s of the issue “%(title)s”", n=1, title="Яма на дорозі біля школи")
    )
    # The page is shown once its heading is, not once its photo has arrived (and the photo loads lazily): wait
    # for the photo itself. decode() resolves when it is loaded and decoded, and fails if it cannot be.
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 96
    assert "Діти обходять" in resident.get_by_test_id("issue-description").inner_text()
    shots(resident, "issue-posted")
    post_an_issue(resident, lang, "Немає пандуса до амбулаторії", "map", "map", 2)
    first, second = issues(world)
    assert (first.lat_e6, first.lon_e6, first.state) == (49_653_200, 23_481_100, IssueState.OPEN)
    assert second.lat_e6 is not None and 49_600_000 <= second.lat_e6 <= 49_700_000
    assert second.lon_e6 is not None and 23_400_000 <= second.lon_e6 <= 23_550_000
    assert count(world, IssuePhoto) == 2

    other = open_phone(browser, offline, lang)
    sign_in(other, t, lang, neighbour.email)
    other.goto("issues/1")
    other.get_by_role("button", name=t.gettext("Endorse this issue")).click()
    other.get_by_text(t.gettext("You endorse this issue.")).wait_for()
    assert other.get_by_test_id("endorsements").inner_text() == "1"
    other.get_by_role("button", name=t.gettext("Withdraw my endorsement")).click()
    other.get_by_role("button", name=t.gettext("Endorse this issue")).wait_for()
    assert other.get_by_test_id("endorsements").inner_text() == "0"
    other.goto("issues/2")
    other.get_by_role("button", name=t.gettext("Endorse this issue")).click()
    other.get_by_text(t.gettext("You endorse this issue.")).wait_for()
    shots(other, "issue-endorsed")
    assert count(world, IssueEndorsement) == 1

    council.goto("council/issues")
    ranking = council.get_by_test_id("ranking")
    rows = ranking.locator("tbody tr")
    assert rows.count() == 2
    assert "Немає пандуса" in rows.nth(0).inner_text()  # one endorsement ranks it first
    by_group = council.get_by_test_id("by-group").inner_text()
    assert group_names(t)["disabilities"] in by_group and "Немає пандуса" in by_group
    assert "Рудки" in council.get_by_test_id("by-settlement").inner_text()
    shots(council, "council-ranking")
    council.goto("issues/1")
    council.get_by_label(t.gettext("Move the issue to")).select_option(label=state_names(t)["closed"])
    council.get_by_role("button", name=t.gettext("Save")).click()
    council.get_by_text(issue_error_messages(t)["issue_close_reason_missing"]).first.wait_for()
    assert issues(world)[0].state == IssueState.OPEN
    council.get_by_label(t.gettext("Move the issue to")).select_option(label=state_names(t)["closed"])
    council.get_by_label(t.gettext("Reason (needed to close it)")).fill(
        "Дубль проблеми #2: <b>та сама дорога</b>"
    )
    council.get_by_role("button", name=t.gettext("Save")).click()
    council.get_by_test_id("close-reason").wait_for()
    assert council.get_by_test_id("close-reason").inner_text() == "Дубль проблеми #2: <b>та сама дорога</b>"
    assert council.get_by_test_id("issue-state").inner_text() == state_names(t)["closed"]
    shots(council, "issue-closed")

    the_map_shows_markers_and_the_list_without_tiles(resident, lang, shots)


def the_map_shows_markers_and_the_list_without_tiles(page: Page, lang: str, shots: Shots) -> None:
    t = get_translator(Language(lang))
    page.goto("issues/map")
    page.get_by_test_id("map-note").wait_for(state="visible")
    box = page.get_by_test_id("issue-map")
    assert box.get_attribute("data-markers") == "1"  # issue 1 is closed: the map shows what is still open
    marker = page.locator(".issue-marker")
    assert marker.count() == 1
    assert marker.get_attribute("role") == "button" and "Немає пандуса" in (
        marker.get_attribute("title") or ""
    )
    assert page.locator("img.leaflet-tile-loaded").count() == 0
    assert page.get_by_test_id("issues").locator("li").count() == 1
    assert page.get_by_role("button", name=t.gettext("Zoom in")).count() == 1
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content a")
    popup.wait_for()
    assert popup.inner_text().startswith("#2 ")
    shots(page, "map-without-tiles")


class Tiles(BaseHTTPRequestHandler):
    """A tile server: the same small PNG for every tile."""

    def do_GET(self) -> None:
        body = picture(3, 256, 256)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_the_map_shows_the_tiles_of_the_tile_server_its_setting_names(
    fixtures: dict[str, Any], browser: Browser
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        tiles = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        with serve(world_with_tiles(tiles, **fixtures)) as served:
            the_map(served.world)
            page = open_phone(browser, served, "uk")
            response = page.goto("issues/map")
            assert response is not None
            assert (
                f"img-src 'self' data: http://127.0.0.1:{server.server_address[1]};"
                in (response.headers["content-security-policy"])
            )
            page.locator("img.leaflet-tile-loaded").first.wait_for()
            assert page.get_by_test_id("map-note").is_hidden()
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_bad_issues_through_the_pages_are_refused_clearly_and_change_nothing(world: World) -> None:
    the_map(world)
    client, t = world.client, get_translator(Language.UK)
    people = world.people
    world.register(people.residents[1])
    client_sign_in(client, people.residents[0].email)
    form = client.get("/issues/new")
    settlement = form.text.split('<option value="', 2)[2].split('"', 1)[0]
    good = {
        "title": "Зламана лавка",
        "description": "У сквері біля ради.",
        "settlement": settlement,
        "category": "infrastructure",
        "lat": "49.65",
        "lon": "23.45",
    }

    def post(**changes: Any) -> Any:
        page = client.get("/issues/new")
        return client.post("/issues/new", data={**form_fields(page.text), **good, **changes})

    errors = issue_error_messages(t)
    bad = [
        ({"title": ""}, errors["issue_title_missing"]),
        ({"description": "Д" * 4001}, errors["issue_description_too_long"] % {"max": t.number(4000)}),
        ({"lat": "50.45", "lon": "30.52"}, "49.600000"),
        ({"category": "roads"}, errors["issue_category_unknown"]),
        ({"groups": ["children", "cats"]}, errors["issue_group_unknown"]),
        ({"settlement": "999999"}, errors["issue_settlement_unknown"]),
        ({"settlement": "9" * 30}, errors["issue_settlement_unknown"]),
        ({"lat": "сорок"}, errors["issue_point_invalid"]),
    ]
    for changes, message in bad:
        response = post(**changes)
        assert response.status_code == 422, changes
        assert message in response.text, (changes, message)
        if "groups" not in changes:  # a group of checkboxes is marked by its fieldset's message
            assert 'aria-invalid="true"' in response.text, changes
    assert count(world, Issue) == 0
    not_a_photo = client.post(
        "/issues/new",
        data={**form_fields(client.get("/issues/new").text), **good},
        files={"photos": ("note.pdf", b"%PDF-1.4 a document", "application/pdf")},
    )
    assert not_a_photo.status_code == 422 and errors["issue_photo_type"] in not_a_photo.text
    assert count(world, Issue) == 0

    markup = post(title="<img src=x onerror=alert(1)>")
    assert markup.status_code == 200
    assert "<img src=x" not in markup.text and "&lt;img src=x onerror=alert(1)&gt;" in markup.text
    assert client.get("/h/no-such-hromada/issues/1").status_code == 404
    assert client.get("/issues/2").status_code == 404
    assert client.get("/issues/" + "9" * 30).status_code == 404
    assert client.get("/issues/1/photos/" + "0" * 64 + ".jpg").status_code == 404

    client.post("/signout", data={"csrf_token": form_fields(client.get("/issues").text)["csrf_token"]})
    client_sign_in(client, people.residents[1].email)
    page = client.get("/issues/1")
    fields = form_fields(page.text, 0)
    once = client.post("/issues/1/endorsement", data={**fields, "do": "endorse"}, follow_redirects=False)
    twice = client.post("/issues/1/endorsement", data={**fields, "do": "endorse"}, follow_redirects=False)
    assert once.status_code == twice.status_code == 303 and "already_sent" in twice.headers["location"]
    again = client.post(
        "/issues/1/endorsement", data={**form_fields(client.get("/issues/1").text), "do": "endorse"}
    )
    assert again.status_code == 409 and errors["issue_already_endorsed"] in again.text
    assert count(world, IssueEndorsement) == 1

    closing = client.post(
        "/issues/1/state",
        data={**form_fields(client.get("/issues/1").text), "state": "closed", "reason": "x"},
    )
    assert closing.status_code == 403
    assert issues(world)[0].state == IssueState.OPEN
    assert client.get("/council/issues").status_code == 403


def test_leaflet_is_served_by_the_service_at_its_content_address(world: World) -> None:
    address = leaflet_url("leaflet.js")
    assert address.startswith("/static/leaflet/leaflet.js?v=")
    kept = world.client.get(address, headers={"Accept-Encoding": "gzip"})
    assert kept.status_code == 200 and kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert kept.headers["content-encoding"] == "gzip" and "Leaflet 1.9.4" in kept.text[:200]
    stale = world.client.get("/static/leaflet/leaflet.js?v=000000000000")
    assert stale.headers["cache-control"] == "public, no-cache"
    assert world.client.get("/static/leaflet/../package.json").status_code == 404
    page = world.client.get("/issues/map")
    assert address in page.text and "unpkg" not in page.text and "cdn" not in page.text
