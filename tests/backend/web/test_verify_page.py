"""The auditor's in-browser verifier (issue 17): a real election (Grabówka, 201 voters, 8 projects) replayed
through the relayer on the session's chain, the page downloaded from the service and opened from disk
(file://, proving it needs nothing of the service), run in Chromium at 360 px against the node's RPC URL:
it agrees with the chain, the service's published results and `cts audit`; a published result corrupted in
one project is named; bad input gets a clear message. Screenshots: var/screenshots/verify-page-<lang>/."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from cofinancing_history import FUNDED, act_out_co_financing
from test_browser import LANGUAGES
from web3 import Web3
from web_helpers import PHONE, Shots

from cts.api.main import create_app
from cts.chain.artifacts import REPO_ROOT
from cts.chain.client import Sender, contract_at
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.localnode import LocalNode, free_port
from cts.chain.manifest import Manifest
from cts.cli import main
from cts.core.db import upgrade_database
from cts.election_replay import ReplayResult, read_election, replay_election, replay_settings
from cts.models import Language
from cts.web.i18n import Translator, get_translator
from cts.web.verify_page import VerifierUnavailableError, load_assets, shareable_rpc_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SMALLEST = REPO_ROOT / "tests" / "data" / "pabulib" / "poland_czestochowa_2020_grabowka.pb"


@dataclass
class Replayed:
    result: ReplayResult
    service: str  # the service's pages, serving the replayed hromada
    rpc_url: str
    manifest_path: Path

    @property
    def hromada(self) -> str:
        return f"{self.service}/h/{self.result.hromada_key}"


@pytest.fixture(scope="module")
def replayed(
    tmp_path_factory: pytest.TempPathFactory, node: LocalNode, deployer: Sender, shared_manifest: Manifest
) -> Iterator[Replayed]:
    """One replay for every test here (it takes a while), and the service over its database."""
    folder = tmp_path_factory.mktemp("verify-replay")
    settings = replay_settings(folder, node.url)
    upgrade_database(settings.database_url)
    result = replay_election(settings, deployer, shared_manifest, read_election(SMALLEST), say=lambda _: None)
    assert result.matches and settings.manifest_path is not None
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-verify", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Replayed(result, f"http://127.0.0.1:{server.config.port}", node.url, settings.manifest_path)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def saved_copy(replayed: Replayed, lang: str, folder: Path) -> Path:
    """The page as its "download" link gives it, written to a folder: opened from there, it has no service."""
    round_id = replayed.result.round_id
    response = httpx.get(
        f"{replayed.hromada}/audit/verify?lang={lang}&round={round_id}&download=1", timeout=60
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    html = response.text
    assert "<script src" not in html and "<link" not in html  # everything inlined
    path = folder / f"verify-{lang}.html"
    path.write_text(html, encoding="utf-8")
    return path


def open_from_disk(browser: Browser, path: Path, lang: str) -> Page:
    context = browser.new_context(
        viewport=PHONE, locale="uk-UA" if lang == "uk" else "en-GB", device_scale_factor=1
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(path.as_uri())
    assert page.locator("html").get_attribute("lang") == lang
    return page


def verify(page: Page, **fields: str) -> str:
    """Fill the given fields (by the end of their id), press Verify, wait for the verdict or an error."""
    for name, value in fields.items():
        page.locator(f"#verify-{name}").fill(value)
    page.locator("#verify-form button[type=submit]").click()
    page.wait_for_selector("#verify-verdict, #verify-error:not([hidden])")
    if page.locator("#verify-error").is_visible():
        return "error: " + page.locator("#verify-error").inner_text()
    return page.locator("#verify-verdict").inner_text()


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def chain_figures(replayed: Replayed) -> list[dict[str, int]]:
    vote = contract_at(
        Web3(Web3.HTTPProvider(replayed.rpc_url)), "BalancedVote", replayed.result.vote_address
    )
    figures = []
    for project_id in range(1, len(replayed.result.projects) + 1):
        weight, credits, supporters = vote.functions.tally(replayed.result.round_id, project_id).call()
        funded = vote.functions.project(replayed.result.round_id, project_id).call()[7]
        figures.append({"weight": weight, "credits": credits, "supporters": supporters, "funded": funded})
    return figures


def recomputed(page: Page, project_id: int, figure: str) -> str:
    cell = page.locator(f'[data-project="{project_id}"] tr[data-figure="{figure}"] td').first
    return plain(cell.inner_text())


def shown_weight(t: Translator, weight: int) -> str:
    return f"{t.number(weight // 10**9)}{t.decimal_symbol}{weight % 10**9:09d}"


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_verifier_saved_to_disk_agrees_with_the_chain_and_names_a_corrupted_project(
    replayed: Replayed, browser: Browser, tmp_path: Path, lang: str
) -> None:
    t = get_translator(Language(lang))
    shots = Shots(f"verify-page-{lang}")
    page = open_from_disk(browser, saved_copy(replayed, lang, tmp_path), lang)

    # The honest election: every project agrees, recomputed = on chain = the service's published results.
    verdict = verify(page, rpc=replayed.rpc_url)
    assert plain(verdict) == plain(
        t.gettext("All %(num)s projects agree: recomputed, on chain and published.", num=8)
    )
    assert page.locator("[data-project]").count() == 8
    assert page.locator('[data-agree="no"]').count() == 0
    # The allocation is the chain's, which `cts audit` (the Python recomputation) finds right too.
    assert (
        main(["audit", "--rpc", replayed.rpc_url, "--hromada", str(replayed.manifest_path), "--quiet"]) == 0
    )
    chain = chain_figures(replayed)
    assert sum(p["funded"] for p in chain) > 0
    for project_id, figures in enumerate(chain, start=1):
        assert recomputed(page, project_id, "funded") == plain(t.uah(figures["funded"]))
        assert recomputed(page, project_id, "weight") == plain(shown_weight(t, figures["weight"]))
        assert recomputed(page, project_id, "supporters") == plain(t.number(figures["supporters"]))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "agree")

    # The service's results corrupted in one project's funded amount: that project, and only it, differs.
    published = httpx.get(f"{replayed.hromada}/rounds/{replayed.result.round_id}/results.json").json()
    corrupted = next(p for p in published["projects"] if int(p["funded_kopiyky"]) > 0)
    corrupted["funded_kopiyky"] = str(int(corrupted["funded_kopiyky"]) + 100)
    verdict = verify(page, **{"published-url": "", "published": json.dumps(published)})
    name = t.gettext("Project %(id)s", id=corrupted["id"])
    assert plain(verdict) == plain(t.gettext("Differs: %(what)s.", what=name))
    assert page.locator("#verify-verdict").get_attribute("data-differs") == str(corrupted["id"])
    assert page.locator('.verify-project[data-agree="no"]').count() == 1
    assert page.locator(f'[data-project="{corrupted["id"]}"]').get_attribute("data-agree") == "no"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "corrupted")
    # For docs/audit.md (copied there by hand, so that a test run leaves the checkout clean): from the top
    # down to the project that differs (the other seven look alike).
    box = page.locator(f'[data-project="{corrupted["id"]}"]').bounding_box()
    assert box is not None
    bottom = box["y"] + box["height"] + page.evaluate("window.scrollY")
    clip = {"x": 0, "y": 0, "width": PHONE["width"], "height": int(bottom) + 16}
    page.screenshot(path=str(shots.folder / f"verify-page-{lang}.png"), full_page=True, clip=clip)
    page.context.close()


BAD_INPUT: list[tuple[dict[str, str], str, dict[str, Any]]] = [
    (
        {"rpc": "localhost 8545"},
        "“%(url)s” is not an RPC URL: it must start with http:// or https://.",
        {"url": "localhost 8545"},
    ),
    ({"manifest": "{this is not json"}, "The manifest is not JSON. Paste the whole file, or choose it.", {}),
    (
        {"round": "99"},
        "There is no round %(round)s: this hromada has %(count)s.",
        {"round": "99", "count": "1"},
    ),
    (
        {"round": "first"},
        "“%(round)s” is not a round number: give a whole number from 1.",
        {"round": "first"},
    ),
]


@pytest.mark.browser
def test_bad_input_gets_a_clear_message_in_the_readers_language(
    replayed: Replayed, browser: Browser, tmp_path: Path
) -> None:
    for lang in LANGUAGES:
        t = get_translator(Language(lang))
        page = open_from_disk(browser, saved_copy(replayed, lang, tmp_path), lang)
        for fields, message, values in BAD_INPUT:
            page.goto(page.url)
            answer = verify(page, **{"rpc": replayed.rpc_url, **fields})
            assert plain(answer) == plain("error: " + t.gettext(message, **values)), fields
        # The service's record of a hromada (GET /api/h/<slug>) serves as a manifest; this one is of chain 5.
        record = {"chain_id": 5, "contracts": {"balancedVote": replayed.result.vote_address}}
        page.goto(page.url)
        answer = verify(page, manifest=json.dumps(record))
        expected = t.gettext(
            "The manifest is for chain %(expected)s, but this node is chain %(found)s.",
            expected=5,
            found=Web3(Web3.HTTPProvider(replayed.rpc_url)).eth.chain_id,
        )
        assert plain(answer) == plain("error: " + expected)
        two = {"schema": 1, "chain_id": 5, "hromadas": {"rudky": {}, "dubechne": {}}}
        page.goto(page.url)
        answer = verify(page, manifest=json.dumps(two), key="")
        expected = t.gettext(
            "The manifest holds several hromadas or not the one named: give one of %(keys)s.",
            keys="rudky, dubechne",
        )
        assert plain(answer) == plain("error: " + expected)
        page.goto(page.url)
        answer = verify(page, rpc="http://127.0.0.1:9")  # nothing listens there
        assert "127.0.0.1:9" in answer and answer.startswith("error: "), answer
        page.context.close()


def test_the_service_hands_out_the_page_and_publishes_the_round_for_any_origin(replayed: Replayed) -> None:
    t = get_translator(Language.EN)
    public = httpx.get(f"{replayed.hromada}/public", cookies={"cts_lang": "en"}, timeout=60)
    assert f'href="/h/{replayed.result.hromada_key}/audit/verify"' in public.text
    page = httpx.get(f"{replayed.hromada}/audit/verify?lang=en&round=1", timeout=60)
    assert page.status_code == 200 and "attachment" not in page.headers.get("content-disposition", "")
    assert t.gettext("Download this page") in page.text and "download=1" in page.text
    assert "?lang=uk&amp;round=1" in page.text  # the other language, same round
    assert (
        f"ethers.js {json.loads((REPO_ROOT / 'package.json').read_text())['devDependencies']['ethers']}"
        in page.text
    )

    results = httpx.get(f"{replayed.hromada}/rounds/{replayed.result.round_id}/results.json", timeout=60)
    assert results.headers["access-control-allow-origin"] == "*"
    body = results.json()
    assert body["state"] == "finalised" and len(body["projects"]) == 8
    assert all(isinstance(p["weight"], str) for p in body["projects"])  # exact in a browser's JSON.parse
    missing = httpx.get(f"{replayed.hromada}/rounds/99/results.json", timeout=60)
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"


def test_without_ethers_installed_the_page_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(VerifierUnavailableError, match="make setup"):
        load_assets(tmp_path / "node_modules" / "ethers")


@pytest.mark.browser
def test_the_served_page_runs_under_its_content_security_policy(replayed: Replayed, browser: Browser) -> None:
    """Served, the page's scripts run by their hashes alone; the results are read from the same service."""
    t = get_translator(Language.EN)
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    response = page.goto(f"{replayed.hromada}/audit/verify?lang=en&round={replayed.result.round_id}")
    assert response is not None and "sha256-" in response.headers["content-security-policy"]
    verdict = verify(page, rpc=replayed.rpc_url)
    assert plain(verdict) == plain(
        t.gettext("All %(num)s projects agree: recomputed, on chain and published.", num=8)
    )
    assert refused == []
    context.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8545", True),
        ("https://rpc.sepolia.org/", True),
        ("https://eth-sepolia.g.alchemy.com/v2/secret-key", False),
        ("https://node.example/?apikey=secret", False),
        ("https://user:secret@node.example", False),
    ],
)
def test_the_services_rpc_url_is_suggested_only_when_it_carries_no_key(url: str, shown: bool) -> None:
    assert shareable_rpc_url(url) == (url if shown else "")


@pytest.fixture(scope="module")
def co_financed_manifest(replayed: Replayed, w3: Web3, deployer: Sender, shared_manifest: Manifest) -> str:
    """A second hromada on the same chain, with a round under the co-financing rule (the story is in
    tests/backend/cofinancing_history.py): its manifest as the auditor pastes it into the page."""
    manifest = copy.deepcopy(shared_manifest)
    handles = onboard(
        deployer,
        manifest,
        HromadaSpec(
            key="cofinanced", name="Co-financed", council=w3.eth.accounts[0], registrar=w3.eth.accounts[1]
        ),
    )
    act_out_co_financing(w3, handles)
    return json.dumps(manifest.to_json())


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_verifier_recounts_a_co_financed_round_from_the_partners_pledges(
    replayed: Replayed, co_financed_manifest: str, browser: Browser, tmp_path: Path, lang: str
) -> None:
    """The vote gave each project only its gap (its ask less the money partners pledged): the page agrees with
    the chain only by reading CoFinancing's pledges and cancellations, and says what it subtracted."""
    t = get_translator(Language(lang))
    shots = Shots(f"verify-cofinanced-{lang}")
    page = open_from_disk(browser, saved_copy(replayed, lang, tmp_path), lang)
    verdict = verify(
        page,
        rpc=replayed.rpc_url,
        manifest=co_financed_manifest,
        key="cofinanced",
        round="1",
        **{"published-url": "", "published": ""},
    )
    assert plain(verdict) == plain(
        t.gettext("All %(num)s projects agree: recomputed and on chain (no published results given).", num=3)
    )
    intro = plain(page.locator("#verify-result > p").first.inner_text())
    assert (
        plain(t.gettext("Co-financed: the vote fills only what partners' money pledges leave of each ask."))
        in intro
    )
    for project_id, funded in FUNDED.items():
        assert recomputed(page, project_id, "funded") == plain(t.uah(funded))
    # Project 2: 20,000 pledged by the local budget (a further 5,000 was cancelled before voting).
    note = plain(page.locator('[data-project="2"] p.muted').inner_text())
    assert (
        plain(
            t.gettext(
                "partners pledged %(pledged)s, the vote fills up to %(gap)s",
                pledged=t.uah(20_000),
                gap=t.uah(20_000),
            )
        )
        in note
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "agree")
    page.context.close()
