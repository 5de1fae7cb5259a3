"""Every page of the site, as each of its users sees it (issue 20): a hromada with something on every page
(registered residents, a programme with an approved and a pending case, a round in its voting window with
a ballot, a round open for pitching, a loan application, an auditor), the list of pages to visit built from
the app's own routes, and a walk that opens each page at 360 px in a language and measures it.

A GET route of the pages that this plan does not name fails test_every_page_route_is_walked: a new page
cannot be missed silently."""

from __future__ import annotations

import io
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi.routing import APIRoute
from pydantic import SecretStr
from sqlalchemy import select
from starlette.routing import BaseRoute
from web3 import Web3
from web_helpers import PASSWORD, PHONE, Served, make_world, serve

from cts.chain.client import Sender
from cts.chain.localnode import LocalNode, free_port
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.delivery.demo import seed_delivery
from cts.issues.photos import PhotoStore
from cts.issues.service import IssueDraft, endorse, post_issue, set_area
from cts.models import Hromada, RelayAction, Role, Settlement, User
from cts.web.demo import give_role, make_user, picture
from cts.web.files import Document, DocumentStore
from cts.web.routes import pages_router
from cts.web.routes.loans import schedule

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROLES = ("anonymous", "resident", "verifier", "coordinator", "council", "auditor", "partner")
# GET routes of the pages that answer with something other than a page: a file, JSON.
NOT_PAGES = {
    "/h/{slug}/rounds/{round_id}/export.pb",  # a pabulib file
    "/h/{slug}/rounds/{round_id}/results.json",  # the round's figures for the verifier
    "/h/{slug}/evidence/{name}",  # an evidence photo, for verifiers
    "/h/{slug}/council/journals/template/{programme_id}.pdf",  # the printable paper journal
    "/sw.js",  # the service worker (docs/offline.md)
    "/h/{slug}/manifest.webmanifest",  # the web manifest that makes the pages installable
    "/h/{slug}/issues/{number}/photos/{name}",  # a photo of a community issue
    "/h/{slug}/rounds/{round_id}/projects/{project_id}/photos/{name}",  # a photo of a pitched project
    "/h/{slug}/delivery/files/{name}",  # a receipt or a photo of a delivery report
    "/h/{slug}/delivery.json",  # delivery's open data
    "/h/{slug}/delivery.csv",
}
# Forms sent empty, to check their error messages too: (role, page, the form's selector).
EMPTY_FORMS = [
    ("anonymous", "/signin", 'main form[action$="/signin"]'),
    ("anonymous", "/signup", 'main form[action$="/signup"]'),
    ("resident", "/cases/new", 'main form[action$="/cases/new"]'),
    ("resident", "/loans", 'main form[action$="/loans"]'),
    ("council", "/council/programmes", 'main form[action$="/council/programmes"]'),
    ("council", "/council/rounds", 'main form[action$="/council/rounds"]'),
    ("resident", "/issues/new", 'main form[action$="/issues/new"]'),
    ("council", "/council/partners", 'main form[action$="/council/partners"]'),
]


def get_routes(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    """The paths of the GET routes, through the routers included in others (FastAPI keeps an included router
    as a branch with its own prefix, not as copies of its routes)."""
    found = set()
    for route in routes:
        if isinstance(route, APIRoute):
            if "GET" in (route.methods or ()):
                found.add(prefix + route.path)
        else:
            included = getattr(route, "original_router", None)
            assert included is not None, f"a route of an unknown kind: {route!r}"
            found |= get_routes(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
    return found


def page_routes() -> set[str]:
    """Every GET route of the pages (at the root and under /h/<slug>) that answers with a page."""
    return get_routes(pages_router.routes) - NOT_PAGES


@dataclass
class Site:
    served: Served
    waiting: int  # the resident whose case waits for a verifier (user id)
    voting_round: int
    pitching_round: int
    pending_case: int
    action_id: str
    journal_id: str  # a paper journal the council imported (one good line, one bad)
    logins: dict[str, str] = field(default_factory=dict)  # role -> e-mail
    delivery_round: int = 1  # last year's round, its project 1 mid-delivery (the resident owns it)

    @property
    def base(self) -> str:
        return self.served.world.base

    def plan(self) -> dict[str, list[tuple[str, str]]]:
        """Each page route, and who opens it at which address (the hromada's paths as the app names them)."""
        b, r = self.base, self.voting_round
        return {
            "/": [("anonymous", "/")],
            "/signin": [("anonymous", "/signin")],
            "/signup": [("anonymous", "/signup")],
            "/h/{slug}": [("anonymous", b)],
            "/h/{slug}/signin": [("anonymous", f"{b}/signin")],
            "/h/{slug}/signup": [("anonymous", f"{b}/signup")],
            "/h/{slug}/public": [("anonymous", f"{b}/public"), ("auditor", f"{b}/public")],
            "/h/{slug}/audit/report": [("auditor", f"{b}/audit/report")],
            "/h/{slug}/audit/verify": [("auditor", f"{b}/audit/verify?round={r}")],
            "/h/{slug}/rounds": [("anonymous", f"{b}/rounds"), ("auditor", f"{b}/rounds")],
            "/h/{slug}/rounds/{round_id}": [
                ("anonymous", f"{b}/rounds/{r}"),
                ("resident", f"{b}/rounds/{r}"),
            ],
            "/h/{slug}/rounds/{round_id}/pitch": [("resident", f"{b}/rounds/{self.pitching_round}/pitch")],
            "/h/{slug}/me": [("resident", f"{b}/me")],
            "/h/{slug}/me/history": [("resident", f"{b}/me/history")],
            "/h/{slug}/me/notifications": [("resident", f"{b}/me/notifications")],
            "/h/{slug}/programmes": [("resident", f"{b}/programmes"), ("verifier", f"{b}/programmes")],
            "/h/{slug}/cases": [("resident", f"{b}/cases")],
            "/h/{slug}/cases/new": [("resident", f"{b}/cases/new")],
            "/h/{slug}/actions/{action_id}": [("resident", f"{b}/actions/{self.action_id}")],
            "/h/{slug}/loans": [("resident", f"{b}/loans")],
            "/h/{slug}/verify": [("verifier", f"{b}/verify"), ("coordinator", f"{b}/verify")],
            "/h/{slug}/verify/cases/{case_id}": [("verifier", f"{b}/verify/cases/{self.pending_case}")],
            "/h/{slug}/record": [("coordinator", f"{b}/record")],
            "/h/{slug}/council": [("council", f"{b}/council")],  # goes on to its first tab
            "/h/{slug}/council/residents": [("council", f"{b}/council/residents")],
            "/h/{slug}/council/programmes": [("council", f"{b}/council/programmes")],
            "/h/{slug}/council/rounds": [("council", f"{b}/council/rounds")],
            "/h/{slug}/council/fund": [("council", f"{b}/council/fund")],
            "/h/{slug}/council/journals": [("council", f"{b}/council/journals")],
            "/h/{slug}/council/journals/{public_id}": [
                ("council", f"{b}/council/journals/{self.journal_id}")
            ],
            # Community issues: one with a photo and a point, posted by a resident, endorsed by another.
            "/h/{slug}/issues": [("anonymous", f"{b}/issues"), ("resident", f"{b}/issues")],
            "/h/{slug}/issues/map": [("anonymous", f"{b}/issues/map"), ("resident", f"{b}/issues/map")],
            "/h/{slug}/issues/new": [("resident", f"{b}/issues/new")],
            "/h/{slug}/issues/{number}": [
                ("anonymous", f"{b}/issues/1"),
                ("resident", f"{b}/issues/1"),
                ("council", f"{b}/issues/1"),
            ],
            "/h/{slug}/council/issues": [("council", f"{b}/council/issues")],
            # Delivery: the resident's project, milestone 1 paid, 2 accepted and flagged, 3 to report.
            "/h/{slug}/delivery": [("anonymous", f"{b}/delivery"), ("resident", f"{b}/delivery")],
            "/h/{slug}/rounds/{round_id}/projects/{project_id}/delivery": [
                ("anonymous", f"{b}/rounds/{self.delivery_round}/projects/1/delivery"),
                ("resident", f"{b}/rounds/{self.delivery_round}/projects/1/delivery"),
                ("council", f"{b}/rounds/{self.delivery_round}/projects/1/delivery"),
            ],
            "/h/{slug}/rounds/{round_id}/projects/{project_id}/delivery/milestones/{number}/report": [
                ("resident", f"{b}/rounds/{self.delivery_round}/projects/1/delivery/milestones/3/report")
            ],
            "/h/{slug}/council/issues/area": [("council", f"{b}/council/issues/area")],
            # Co-financing: a business registered as a partner, with materials pledged to the voting round.
            "/h/{slug}/council/partners": [("council", f"{b}/council/partners")],
            "/h/{slug}/partner": [("partner", f"{b}/partner")],
            "/h/{slug}/rounds/{round_id}/projects/{project_id}/pledge": [
                ("partner", f"{b}/rounds/{r}/projects/1/pledge")
            ],
        }

    def visits(self) -> dict[str, list[tuple[str, str]]]:
        """By role, the (route, address) pairs it opens, in order, and an unknown address: the 404 page."""
        by_role: dict[str, list[tuple[str, str]]] = {role: [] for role in ROLES}
        for route, visits in self.plan().items():
            for role, path in visits:
                by_role[role].append((route, path))
        by_role["anonymous"].append(("404", f"{self.base}/no-such-page"))
        return by_role


def settings_factory(folder: Path, template: Path) -> Callable[..., Settings]:
    """The web tests' settings (make_settings in tests/backend/conftest.py) over a database of its own."""
    database = folder / "cts.sqlite3"
    shutil.copyfile(template, database)
    master_key = SecretStr(secrets.token_urlsafe(32))

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "environment": "production",
            "database_url": f"sqlite:///{database}",
            "master_key": master_key,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 8,
            "password_hash_parallelism": 1,
            **overrides,
        }
        return Settings(**values)  # type: ignore[arg-type]

    return build


@contextmanager
def built_site(
    folder: Path, template: Path, node: LocalNode, w3: Web3, deployer: Sender, shared_manifest: Manifest
) -> Iterator[Site]:
    world = make_world(
        settings_factory(folder, template),
        folder,
        node,
        w3,
        deployer,
        shared_manifest,
        background_worker=True,
        environment="development",  # plain http on 127.0.0.1: cookies without the Secure flag
        map_tiles_url=f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png",  # no tiles, as offline
    )
    with serve(world) as served:
        yield _seed(served)


def _seed(served: Served) -> Site:
    world = served.world
    people, driver = world.people, world.driver
    cases, vote, fund = (
        world.hromada.cases.functions,
        world.hromada.vote.functions,
        world.hromada.fund.functions,
    )
    voter, waiting, pitcher = people.residents[:3]
    world.register(voter, waiting, pitcher)
    coordinator_role = cases.COORDINATOR_ROLE().call()
    driver.do(people.council, cases.grantRole(coordinator_role, people.coordinator.wallet.address))
    programme = world.open_programme(reward=4)
    approved, pending, pitchers = world.submit_cases(programme, voter, waiting, pitcher)
    driver.do(people.verifier, cases.approveCases([approved, pitchers]))
    delivery_round = seed_delivery(
        driver, world.settings, people.council, voter, pitcher, lambda line: None, overdue=False
    )
    round_id = world.voting_round(
        [(pitcher, "Лавки в парку", 1_200_000), (voter, "Світло в укритті", 900_000)]
    )
    driver.do(voter, vote.castBallot(round_id, [1, 2], [3, 1]))
    documents = DocumentStore(world.settings)
    amounts, offsets = schedule(1_500_000, 3)
    driver.do(voter, fund.applyForLoan(amounts, offsets, documents.save(Document("Кавоварка", "Для кіоску"))))
    now = driver.now()
    digest = documents.save(Document("Укриття", "Друге голосування"))
    driver.do(
        people.council,
        vote.createRound(
            (
                1_000_000,
                now,
                now + 86_400,
                now + 2 * 86_400,
                now + 3 * 86_400,
                10,
                digest,
                (0, 1, 5, 0, False),
            )
        ),
    )
    factory = world.env.app.state.session_factory
    with factory() as session:
        auditor = make_user(session, world.settings, "Аудиторка", "auditor@example.org", PASSWORD)
        hromada = world.env.hromada_row()
        action = session.scalar(
            select(RelayAction.public_id).where(
                RelayAction.user_id == voter.id, RelayAction.kind == "castBallot"
            )
        )
    give_role(factory, auditor, hromada, Role.AUDITOR)
    assert action is not None
    journal_id = _import_journal(world, programme, waiting.email, now)
    _post_issue(world, author=waiting, endorser=voter)
    _partner_pledges(world, round_id)
    logins = {
        "resident": voter.email,
        "verifier": people.verifier.email,
        "coordinator": people.coordinator.email,
        "council": people.council.email,
        "auditor": "auditor@example.org",
        "partner": "partner@example.org",
    }
    return Site(
        served,
        waiting.id,
        round_id,
        int(vote.roundCount().call()),
        pending,
        action,
        journal_id,
        logins,
        delivery_round,
    )


def _partner_pledges(world: Any, round_id: int) -> None:
    """A business with a custodial account, registered as a partner, that pledged materials to a project."""
    factory = world.env.app.state.session_factory
    with factory() as session:
        partner = make_user(session, world.settings, "ТОВ Будмайстер", "partner@example.org", PASSWORD)
        address = partner.wallet.address
        hromada = world.env.hromada_row()
    give_role(factory, partner, hromada, Role.PARTNER)
    documents = DocumentStore(world.settings)
    co = world.hromada.co_financing.functions
    profile = documents.save(Document("ТОВ «Будмайстер»", "Будівельні матеріали, Рудки"))
    world.driver.do(world.people.council, co.registerPartner(address, 1, profile))
    what = documents.save(Document("Цемент, 40 мішків", "Договір № 12"))
    world.driver.do(partner, co.pledge(round_id, 1, 2, 4_800_00, True, what))


def _import_journal(world: Any, programme: int, resident_email: str, now: int) -> str:
    """The council's import of a paper journal (CSV, through the API): one line to record, one refused."""
    env = world.env
    day = datetime.fromtimestamp(now, ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y")
    rows = [
        "Дата;Мешканець;Програма;Опис;Файл доказу",
        f"{day};{resident_email};{programme};Прибирання двору;scan-1.pdf",
        f"{day};nobody@example.org;{programme};Ремонт лавки;scan-2.pdf",
    ]
    response = env.client.post(
        env.scoped("/api/journals?name=journal.csv"),
        content=("\r\n".join(rows) + "\r\n").encode(),
        headers={
            "Content-Type": "text/csv",
            "Authorization": f"Bearer {env.token(env.people.council)}",
            "Idempotency-Key": secrets.token_urlsafe(12),
        },
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def _post_issue(world: Any, author: Any, endorser: Any) -> None:
    """A community issue with a photo and a point, endorsed by another resident (the map, the lists)."""
    factory = world.env.app.state.session_factory
    with factory() as session:
        hromada = session.scalar(select(Hromada).where(Hromada.slug == world.env.slug))
        set_area(session, hromada, ("49.60", "23.40", "49.70", "23.55"), ["Рудки", "Березець"])
        settlement = session.scalar(select(Settlement.id).where(Settlement.name == "Рудки"))
        draft = IssueDraft(
            title="Немає пандуса до амбулаторії",
            description="Люди на візках не можуть зайти.",
            settlement=str(settlement),
            category="social_care",
            groups=["disabilities", "elderly"],
            lat="49.6532",
            lon="23.4811",
        )
        photo = PhotoStore(world.settings).save(io.BytesIO(picture(11)))
        issue = post_issue(session, hromada, session.get(User, author.id), draft, [photo])
        endorse(session, issue, session.get(User, endorser.id), registered=True)
        session.commit()


def open_as(browser: Browser, site: Site, role: str, lang: str) -> Page:
    """A phone's browser (360 x 740) in the language, signed in as the role through the sign-in form. It
    may run scripts the pages' CSP does not allow (axe-core), and nothing else changes."""
    # Service workers blocked: the walk measures every page as a first visit, which no worker serves (from the
    # second page on, the offline worker would answer from its cache, out of the page's sight and budget).
    context: BrowserContext = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        bypass_csp=True,
        locale="uk-UA" if lang == "uk" else "en-GB",
        service_workers="block",
    )
    context.add_cookies([{"name": "cts_lang", "value": lang, "url": site.served.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    if role != "anonymous":
        page.goto(f"{site.served.url}{site.base}/signin")
        page.locator("#f-login").fill(site.logins[role])
        page.locator("#f-password").fill(PASSWORD)
        page.locator('main form[action$="/signin"] button[type=submit]').click()
        page.wait_for_load_state()
        assert "/signin" not in page.url, f"{role} could not sign in"
    return page


def send_empty(page: Page, selector: str) -> Any:
    """Send the form with nothing filled in (the pages' own checks answer: their forms are novalidate)."""
    with page.expect_navigation():
        page.locator(f"{selector} button[type=submit]").first.click()
