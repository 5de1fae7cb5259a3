"""Helpers of the web page tests (their fixtures are in conftest.py): the relayer tests' world (a hromada
whose council is a custodial user, an app, a worker; see tests/backend/relayer/conftest.py), a driver that
acts through the relayer service, forms through the TestClient, the app served for the browser, and
numbered screenshots.

Everything is real: the session's local chain, a fresh SQLite file per test, the same app.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import uvicorn
from web3 import Web3

from cts.chain.artifacts import REPO_ROOT
from cts.chain.client import Sender
from cts.chain.localnode import LocalNode, free_port
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import User
from cts.web.demo import Driver, picture, travel
from cts.web.files import Document, DocumentStore, EvidenceStore, StoredEvidence

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from playwright.sync_api import Page


def _load_relayer_helpers() -> ModuleType:
    """tests/backend/relayer/conftest.py as a plain module (its build_env and helpers), under its own name."""
    name = "cts_tests_relayer_conftest"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[1] / "relayer" / "conftest.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


relayer_helpers = _load_relayer_helpers()
# A copy of that module, beside pytest's own: its hromadas need names of their own on the session's chain
# (the factory refuses a name twice), so this copy counts from far beyond the relayer tests' numbers.
relayer_helpers._hromada_numbers = itertools.count(100_001)
build_env = relayer_helpers.build_env
PASSWORD: str = relayer_helpers.PASSWORD
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class World:
    """One test's hromada, app and people, and a driver acting through the relayer service."""

    env: Any  # the relayer tests' RelayEnv
    driver: Driver
    settings: Settings
    w3: Web3
    evidence_seed: int = 0
    _pages: Any = None

    @property
    def people(self) -> Any:
        return self.env.people

    @property
    def hromada(self) -> Any:
        return self.env.hromada

    @property
    def client(self) -> TestClient:
        """A client of the hromada's pages: its paths are relative to /h/<slug>/ ("/me" is the hromada's)."""
        if self._pages is None:
            self._pages = hromada_pages(self.env.app, self.env.slug)
        return self._pages

    @property
    def base(self) -> str:
        """The hromada's pages' address, as Location headers and links give it."""
        return f"/h/{self.env.slug}"

    def register(self, *residents: User) -> None:
        council = self.people.council
        registry = self.hromada.registry.functions
        for resident in residents:
            digest = bytes.fromhex(relayer_helpers.h(f"identity-{resident.id}")[2:])
            self.driver.do(council, registry.addResident(resident.wallet.address, digest))

    def open_programme(self, title: str = "Прибирання парку", reward: int = 4, quorum: int = 1) -> int:
        council = self.people.council
        fund, cases = self.hromada.fund.functions, self.hromada.cases.functions
        self.driver.do(
            council,
            fund.deposit(100_000_000, 0, _hash("donor"), _hash(f"receipt-{time.monotonic_ns()}")),
        )
        now = self.driver.now()
        verifiers = [self.people.verifier.wallet.address]
        params = (title, _hash(title), reward, 40_000, 1_000, 100, now, now + 30 * 86_400, quorum, verifiers)
        self.driver.do(council, cases.createProgramme(params))
        return int(cases.programmeCount().call())

    def photo(self) -> StoredEvidence:
        """A new evidence file, stored as the pages store uploads."""
        self.evidence_seed += 1
        return EvidenceStore(self.settings).save(io.BytesIO(picture(self.evidence_seed)))

    def submit_cases(self, programme: int, *residents: User) -> list[int]:
        cases = self.hromada.cases.functions
        self.driver.do_all((r, cases.submitCase(programme, self.photo().chain_hash)) for r in residents)
        count = int(cases.caseCount().call())
        return list(range(count - len(residents) + 1, count + 1))

    def voting_round(
        self, projects: list[tuple[User, str, int]], vote_days: int = 1, loan_ids: Sequence[int] = ()
    ) -> int:
        """A round whose projects were pitched and screened eligible, now in its voting window; project i is
        pitched as the loan application ``loan_ids[i]`` where one is given (0: a grant)."""
        council = self.people.council
        vote = self.hromada.vote.functions
        documents = DocumentStore(self.settings)
        now = self.driver.now()
        digest = documents.save(Document("Бюджет участі", "Що профінансує громада"))
        params = (
            2_000_000,
            now,
            now + 3_600,
            now + 7_200,
            now + 7_200 + vote_days * 86_400,
            10,
            digest,
            (0, 1, 5, 0, False),
        )
        self.driver.do(council, vote.createRound(params))
        round_id = int(vote.roundCount().call())
        loans = list(loan_ids) + [0] * (len(projects) - len(loan_ids))
        self.driver.do_all(
            (
                person,
                vote.pitchProject(round_id, ask, documents.save(Document(title, f"{title}: опис")), loan),
            )
            for (person, title, ask), loan in zip(projects, loans, strict=True)
        )
        travel(self.w3, 3_601)
        for project_id in range(1, len(projects) + 1):
            self.driver.do(council, vote.screenProject(round_id, project_id, True, 0))
        travel(self.w3, 3_601)
        return round_id


def hromada_pages(app: Any, slug: str) -> TestClient:
    """A client of one hromada's pages: "/me" means /h/<slug>/me, "/" the hromada's home; addresses that are
    already whole (/h/..., as Location headers give them, /static/..., /api/...) are left as they are."""
    from fastapi.testclient import TestClient

    class HromadaPages(TestClient):
        def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
            if (
                isinstance(url, str)
                and url.startswith("/")
                and not url.startswith(("/h/", "/static/", "/api/"))
            ):
                url = f"/h/{slug}" + ("" if url == "/" else url)
            return super().request(method, url, *args, **kwargs)

    return HromadaPages(app, base_url="https://testserver")


def _hash(label: str) -> bytes:
    return bytes.fromhex(relayer_helpers.h(label)[2:])


def make_world(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: LocalNode,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
    *,
    background_worker: bool,
    **overrides: Any,
) -> World:
    def settings_for(**values: Any) -> Settings:
        return make_settings(**{**values, "var_dir": tmp_path / "var", **overrides})

    env = build_env(settings_for, tmp_path, node.url, w3, deployer, shared_manifest)
    relayer = env.relayer()
    driver = Driver(
        env.settings,
        env.app.state.session_factory,
        relayer,
        worker=None if background_worker else env.worker,
    )
    return World(env=env, driver=driver, settings=env.settings, w3=w3)


# ---------------------------------------------------------------- forms through the TestClient


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


def form_fields(html: str, index: int = 0) -> dict[str, str]:
    """The hidden csrf_token and form_key of the index-th form on a page (the language switch has no key)."""
    keys = FORM_KEY.findall(html)
    csrf = CSRF.findall(html)
    assert csrf, "no CSRF token on the page"
    return {"csrf_token": csrf[-1], "form_key": keys[index]} if keys else {"csrf_token": csrf[-1]}


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> None:
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={**form_fields(page.text), "login": login, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


# ---------------------------------------------------------------- browser tests


@dataclass
class Served:
    """The app served by uvicorn on a free port, with the relayer worker running in a thread."""

    world: World
    url: str
    server: uvicorn.Server
    threads: list[threading.Thread] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


@contextmanager
def serve(world: World) -> Iterator[Served]:
    """The world's app served by uvicorn on a free port, and its relayer worker, each in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(world.env.app, host="127.0.0.1", port=port, log_level="warning"))
    result = Served(world, f"http://127.0.0.1:{port}", server)
    worker = world.env.worker
    result.threads = [
        threading.Thread(target=server.run, name="uvicorn", daemon=True),
        threading.Thread(target=worker.run_forever, args=(result.stop,), name="relayer-worker", daemon=True),
    ]
    for thread in result.threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield result
    finally:
        server.should_exit = True
        result.stop.set()
        for thread in result.threads:
            thread.join(timeout=15)
        worker.release_leases()


class Shots:
    """Numbered screenshots of one test, for a person to look at: var/screenshots/<test>/<NN>-<step>.png."""

    def __init__(self, name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def __call__(self, page: Page, step: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)
