"""The demo: a hromada with people, capital, programmes, approved cases and a round open for voting, made
through the same relayer service and worker that serve residents (nothing is sent around them).

``seed_demo(settings, deployer, shared)`` needs a running local chain (Anvil or Ganache: it moves the
chain's clock with ``evm_increaseTime`` to bring the round to its voting window), the shared contracts
deployed on it, and a migrated database; it creates the users (the council among them), onboards the
hromada with that council, writes the manifest to ``settings.manifest_path`` and returns the sign-in
details to print. ``demo_command`` is `cts demo`: all of that on a fresh local chain, then the pages and
the worker served until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.localnode import DEV_MNEMONIC, die_with_parent
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.delivery.demo import seed_delivery
from cts.errors import CTSError
from cts.hromadas import HromadaDirectory, add_hromada, get_hromada, grant_role
from cts.issues.demo import seed_demo_issues
from cts.models import ActionStatus, Hromada, Language, RelayAction, Role, User
from cts.relayer.context import UNREACHABLE_ERRORS
from cts.relayer.service import Call, RelayerService, identity_hash
from cts.relayer.worker import RelayerWorker
from cts.schemas import UserRegister
from cts.web.demo_cofinancing import DIASPORA_ACCOUNT_INDEX, CoFinancingDemo, partner_people
from cts.web.demo_villages import seed_village_issue
from cts.web.files import Document, DocumentStore, EvidenceStore

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the demo's published password, printed for everyone)
DAY = 86_400
HOUR = 3_600
DEFAULT_SPONSOR_INDEX = 19  # a development account the demo's relayer pays gas from


class DemoError(RuntimeError):
    """Raised when a demo step fails (an action the relayer could not do)."""


def dev_key(index: int) -> str:
    """The private key of development account `index` of the well-known mnemonic (local chains only)."""
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


def travel(w3: Web3, seconds: int) -> None:
    """Move a local chain's clock forward (Anvil and Ganache) and mine a block at the new time."""
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def picture(seed: int, width: int = 96, height: int = 72) -> bytes:
    """A small PNG with stripes in colours from `seed` (a stand-in for a photo: each seed another file)."""
    digest = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    colours = [digest[i : i + 3] for i in range(0, 12, 3)]
    rows = b"".join(
        b"\x00" + b"".join(colours[((x + y) // 12) % 4] for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Driver:
    """Acts for people through the relayer service and waits for the worker to send it.

    With ``worker`` it runs the worker itself; without, another thread runs one and this only waits.
    With ``mine_each_pass`` (a local node whose automine is off: the election replay) it mines one block
    after each pass of the worker that did something, so that everything the pass sent shares a block.
    """

    settings: Settings
    session_factory: sessionmaker[Session]
    relayer: RelayerService
    worker: RelayerWorker | None = None
    timeout: float = 90.0
    mine_each_pass: bool = False

    @property
    def hromada(self) -> Any:
        return self.relayer.chain.hromada

    @property
    def w3(self) -> Web3:
        return self.relayer.chain.w3

    def queue(self, user: User, function: Any) -> str:
        with self.session_factory() as session:
            person = session.get(User, user.id)
            assert person is not None
            # The demo seeds its story as the operator: its people start the day with their budgets whole.
            action = self.relayer.queue(session, person, Call.of(function), budget_exempt=True)
            session.commit()
            return action.public_id

    def wait(self, *action_ids: str) -> None:
        deadline = time.monotonic() + self.timeout
        pending = set(action_ids)
        while pending:
            try:
                worked = self.worker.run_once() if self.worker is not None else 0
            except UNREACHABLE_ERRORS:
                # As the worker's own loop does: a node that did not answer in time (a 40,000-voter replay
                # once met one on a busy machine) is asked again; the pass starts over from what it recorded.
                worked = 0
            if worked and self.mine_each_pass:
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            with self.session_factory() as session:
                actions = session.scalars(select(RelayAction).where(RelayAction.public_id.in_(pending))).all()
                for action in actions:
                    if action.status == ActionStatus.CONFIRMED:
                        pending.discard(action.public_id)
                    elif action.status in (ActionStatus.FAILED, ActionStatus.EXPIRED):
                        raise DemoError(f"{action.kind} failed: {action.error_code} {action.error_detail}")
            if pending:
                if time.monotonic() > deadline:
                    raise DemoError(f"the relayer did not confirm {len(pending)} actions in time")
                if not worked:  # a pass that sent or tracked something is followed at once: a local
                    time.sleep(0.05)  # chain mines as it receives, so the receipts are there already

    def do(self, user: User, function: Any) -> None:
        self.wait(self.queue(user, function))

    def do_all(self, steps: Iterable[tuple[User, Any]]) -> None:
        """Independent actions of different people, queued together (one transaction, their simulations in
        a few JSON-RPC batches) and sent in shared batches."""
        with self.session_factory() as session:
            actions = self.relayer.queue_many(
                session, [(user.id, Call.of(function)) for user, function in steps]
            )
            session.commit()
            queued = [action.public_id for action in actions]
        self.wait(*queued)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@dataclass(frozen=True)
class Login:
    role: Role
    name: str
    login: str
    password: str


@dataclass
class HromadaLogins:
    slug: str
    name: str
    logins: list[Login] = field(default_factory=list)
    round_id: int = 0


@dataclass
class DemoResult:
    hromadas: list[HromadaLogins] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def logins(self) -> list[Login]:
        return [login for hromada in self.hromadas for login in hromada.logins]

    @property
    def round_id(self) -> int:
        return self.hromadas[0].round_id if self.hromadas else 0

    def lines(self, base_url: str = "") -> list[str]:
        lines: list[str] = []
        for hromada in self.hromadas:
            lines.append(f"{hromada.name}" + (f"   open {base_url}/h/{hromada.slug}" if base_url else ""))
            for login in hromada.logins:
                lines.append(f"  {login.role.value:<12} {login.name:<28} {login.login:<30} {login.password}")
        return lines + self.notes


# The second pilot cycle ran in two hromadas; the demo seeds both on one service.
PILOT_HROMADAS = [("rudky", "Рудківська громада"), ("dubechne", "Дубечненська громада")]

# (role, name, login) per hromada; "{h}" is the hromada's key. The verifier of the first hromada is also a
# resident of the second (one account, a role in each), and Oksana moves from the first to the second.
PEOPLE: list[tuple[Role, str, str]] = [
    (Role.COUNCIL, "Галина Рада", "rada@{h}.demo.example"),
    (Role.VERIFIER, "Василь Перевірка", "verifier@{h}.demo.example"),
    (Role.COORDINATOR, "Марія Координатор", "coordinator@{h}.demo.example"),
    (Role.AUDITOR, "Аудитор Громади", "auditor@{h}.demo.example"),
    (Role.RESIDENT, "Олена Коваль", "olena@{h}.demo.example"),
    (Role.RESIDENT, "Петро Шевчук", "petro@{h}.demo.example"),
    (Role.RESIDENT, "Ірина Бондар", "iryna@{h}.demo.example"),
    (Role.RESIDENT, "Микола Ткаченко", "mykola@{h}.demo.example"),
    (Role.RESIDENT, "Оксана Мельник", "oksana@{h}.demo.example"),
    # Signed up, not yet registered by the council:
    (Role.RESIDENT, "Андрій Лисенко", "andriy@{h}.demo.example"),
    # Partners with custodial accounts: a business, the local budget, an NGO (cts.web.demo_cofinancing).
    *partner_people(),
]
# Phone logins work too: the first hromada's Oksana signs in with her phone number.
PHONE_LOGINS = {"oksana@{h}.demo.example": "+380671234567"}
OTHER_NAMES = {"oksana@{h}.demo.example": "Тетяна Гнатюк"}

PROGRAMMES = [
    # title, reward RV, value of a case (kopiyky), RV cap, per-resident cap
    ("Прибирання парку", 2, 40_000, 2_000, 40),
    ("Плетіння маскувальних сіток", 3, 60_000, 3_000, 60),
    ("Допомога переселенцям", 2, 50_000, 2_000, 40),
    ("Донорство крові", 4, 100_000, 1_000, 16),
]

PROJECTS = [
    ("Лавки й ліхтарі в парку", "Шість лавок і сонячні ліхтарі вздовж алеї біля ставка.", 3_000_000),
    ("Світло в укритті школи", "Акумуляторні світильники й зарядна станція в укритті гімназії.", 4_500_000),
    ("Майстерня для ветеранів", "Обладнання столярної майстерні при будинку культури.", 4_000_000),
    ("Дитячий майданчик", "Гойдалки й пісочниця на вулиці Шевченка.", 3_500_000),
]


def make_user(session: Session, settings: Settings, name: str, login: str, password: str) -> User:
    """An account with a custodial wallet (roles are given per hromada, once the hromada is onboarded)."""
    contact = {"phone": login} if login.startswith("+") else {"email": login}
    user = create_user(
        session,
        UserRegister.model_validate(
            {**contact, "password": password, "display_name": name, "preferred_language": Language.UK}
        ),
        password_hasher=build_password_hasher(settings),
        master_key=settings.master_key,
    )
    session.commit()
    session.refresh(user)
    _ = user.wallet.address
    session.expunge(user.wallet)
    session.expunge(user)
    return user


def give_role(factory: sessionmaker[Session], user: User, hromada: Hromada, role: Role) -> None:
    with factory() as session:
        person = session.get(User, user.id)
        assert person is not None
        grant_role(session, person, session.get(Hromada, hromada.id) or hromada, role)
        session.commit()


def relayer_for(settings: Settings, factory: sessionmaker[Session], slug: str) -> RelayerService:
    """The relayer service of one hromada of the service's database (as the API builds it)."""
    with factory() as session:
        hromada = get_hromada(session, slug)
        session.expunge(hromada)
    return RelayerService(settings, HromadaDirectory(settings).context(hromada), hromada)


def seed_demo(
    settings: Settings,
    deployer: Sender,
    shared: Manifest,
    *,
    hromadas: list[tuple[str, str]] | None = None,
    password: str = DEMO_PASSWORD,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Make the demo's hromadas (see the module's docstring): each with its staff and residents, capital,
    programmes, cases, a round open for voting, community issues, partners with their pledges and a
    co-financed round open for pitching (cts.web.demo_cofinancing), on one service; a person with a role in
    two of them; and a displaced resident whose record moved from the first to the second. Returns who can
    sign in."""
    if settings.manifest_path is None:
        raise DemoError("the demo writes its manifest to settings.manifest_path: set it")
    chosen = hromadas or PILOT_HROMADAS
    factory = build_session_factory(build_engine(settings.database_url))
    result = DemoResult()
    manifest = Manifest(chain_id=shared.chain_id, shared=shared.shared, hromadas={}, deployer=shared.deployer)
    seeded: list[tuple[HromadaLogins, dict[str, User]]] = []
    for number, (key, name) in enumerate(chosen):
        say(f"{name}: the council, a verifier, a coordinator, an auditor, six residents and three partners")
        people: dict[str, User] = {}
        logins = HromadaLogins(slug=key, name=name)
        with factory() as session:
            for role, person_name, pattern in PEOPLE:
                login = pattern.format(h=key)
                if number == 0 and pattern in PHONE_LOGINS:
                    login = PHONE_LOGINS[pattern]
                if number > 0 and pattern in OTHER_NAMES:  # two Oksanas would confuse the demo's reader
                    person_name = OTHER_NAMES[pattern]
                people[pattern] = make_user(session, settings, person_name, login, password)
                logins.logins.append(Login(role, person_name, login, password))
        council = people["rada@{h}.demo.example"]
        say(f"{name}: onboarded with the council's custodial wallet as council and registrar")
        onboard(
            deployer,
            shared,
            HromadaSpec(key=key, name=name, council=council.wallet.address, registrar=council.wallet.address),
        )
        manifest.hromadas[key] = shared.hromadas[key]
        settings.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest.save(settings.manifest_path)
        with factory() as session:
            hromada = add_hromada(session, manifest, key)
            session.commit()
            session.refresh(hromada)
            session.expunge(hromada)
        for role, _, pattern in PEOPLE:
            give_role(factory, people[pattern], hromada, role)
        relayer = relayer_for(settings, factory, key)
        driver = Driver(settings, factory, relayer, RelayerWorker(settings, factory, relayer.chain))
        residents = [people[pattern] for role, _, pattern in PEOPLE if role == Role.RESIDENT][:5]
        partners = {pattern: people[pattern] for role, _, pattern in PEOPLE if role == Role.PARTNER}
        co_financing = CoFinancingDemo(driver, settings, council, partners, _prefixed(say, name))
        try:
            logins.round_id = _seed(
                driver,
                settings,
                council,
                people["verifier@{h}.demo.example"],
                people["coordinator@{h}.demo.example"],
                residents,
                _prefixed(say, name),
                before_vote=co_financing.seed_voting_round,
            )
            seed_demo_issues(factory, settings, hromada, residents, _prefixed(say, name))
            seed_village_issue(factory, settings, hromada, residents, _prefixed(say, name))
            # After the issues: the co-financed round's projects answer two of them.
            co_financing.seed_cofinanced_round(residents)
        finally:
            assert driver.worker is not None
            driver.worker.release_leases()
        result.notes.append(
            f"{name}: the diaspora partner pledges from its own wallet {co_financing.donor.address} "
            f"(development account {DIASPORA_ACCOUNT_INDEX} of the local chain's mnemonic)."
        )
        result.hromadas.append(logins)
        seeded.append((logins, people))
    if len(seeded) >= 2:
        result.notes += _people_in_two_hromadas(settings, factory, seeded, say)
    return result


def _prefixed(say: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda line: say(f"{prefix}: {line}")


def _people_in_two_hromadas(
    settings: Settings,
    factory: sessionmaker[Session],
    seeded: list[tuple[HromadaLogins, dict[str, User]]],
    say: Callable[[str], None],
) -> list[str]:
    """The first hromada's verifier is also a resident of the second; the first hromada's Oksana moved to the
    second, and her record moved with her: released by the first registry, registered with a link to it by
    the second (RV stays where it was issued)."""
    (first, first_people), (second, second_people) = seeded[0], seeded[1]
    with factory() as session:
        second_row = get_hromada(session, second.slug)
        session.expunge(second_row)
    verifier = first_people["verifier@{h}.demo.example"]
    give_role(factory, verifier, second_row, Role.RESIDENT)
    second.logins.append(
        Login(Role.RESIDENT, verifier.display_name, first.logins[1].login, first.logins[1].password)
    )
    notes = [f"{verifier.display_name} is a verifier in {first.name} and a resident of {second.name}."]

    oksana = first_people["oksana@{h}.demo.example"]
    first_relayer = relayer_for(settings, factory, first.slug)
    second_relayer = relayer_for(settings, factory, second.slug)
    first_registry = first_relayer.chain.hromada.registry
    second_registry = second_relayer.chain.hromada.registry
    if "releaseResident" not in {item.get("name") for item in first_registry.abi}:
        return notes  # a registry without moves (an older deployment): nothing more to show
    give_role(factory, oksana, second_row, Role.RESIDENT)
    say(f"{oksana.display_name} moved from {first.name} to {second.name}: her record moves with her")
    from_id = int(first_registry.functions.residentOf(oksana.wallet.address).call()[0])
    first_council = first_people["rada@{h}.demo.example"]
    second_council = second_people["rada@{h}.demo.example"]
    first_driver = Driver(
        settings, factory, first_relayer, RelayerWorker(settings, factory, first_relayer.chain)
    )
    second_driver = Driver(
        settings, factory, second_relayer, RelayerWorker(settings, factory, second_relayer.chain)
    )
    try:
        # The verifier of the first hromada, a resident of the second: registered there too.
        verifier_digest = identity_hash(settings, "ЦНАП-2025-0101")
        second_driver.do(
            second_council, second_registry.functions.addResident(verifier.wallet.address, verifier_digest)
        )
        first_driver.do(
            first_council,
            first_registry.functions.releaseResident(oksana.wallet.address, second_registry.address, False),
        )
        digest = identity_hash(settings, "ЦНАП-2025-0102")
        second_driver.do(
            second_council,
            second_registry.functions.addMovedResident(
                oksana.wallet.address, digest, first_registry.address, from_id
            ),
        )
    finally:
        for driver in (first_driver, second_driver):
            assert driver.worker is not None
            driver.worker.release_leases()
    notes.append(f"{oksana.display_name} moved from {first.name} to {second.name} (her record shows both).")
    return notes


def _seed(
    driver: Driver,
    settings: Settings,
    council: User,
    verifier: User,
    coordinator: User,
    residents: list[User],
    say: Callable[[str], None],
    before_vote: Callable[[int], None] | None = None,
) -> int:
    """Seed one hromada; the id of its round open for voting. ``before_vote(round_id)`` acts while the
    round is screened, just before voting opens (when money can still be pledged to its projects)."""
    h = driver.hromada
    cases, vote, fund, registry = h.cases.functions, h.vote.functions, h.fund.functions, h.registry.functions
    documents, evidence = DocumentStore(settings), EvidenceStore(settings)

    say("residents registered after their identity checks; the coordinator's role granted")
    for number, resident in enumerate(residents, start=1):
        digest = identity_hash(settings, f"ЦНАП-2025-{number:04d}")
        driver.do(council, registry.addResident(resident.wallet.address, digest))
    driver.do(council, cases.grantRole(cases.COORDINATOR_ROLE().call(), coordinator.wallet.address))

    say("capital: UAH 500,000 from a donor and UAH 200,000 from the local budget")
    for amount, source, reference in (
        (50_000_000, 0, "Donor agreement 12/2025"),
        (20_000_000, 1, "Decision 45"),
    ):
        driver.do(
            council,
            fund.deposit(
                amount,
                source,
                hashlib.sha256(reference.encode()).digest(),
                hashlib.sha256(f"receipt {reference}".encode()).digest(),
            ),
        )

    say(f"{len(PROGRAMMES)} programmes, verified by the verifier and the coordinator (1 approval each)")
    now = driver.now()
    verifiers = [verifier.wallet.address, coordinator.wallet.address]
    for title, reward, value, cap, per_resident in PROGRAMMES:
        digest = documents.save(Document(title))
        params = (title, digest, reward, value, cap, per_resident, now, now + 90 * DAY, 1, verifiers)
        driver.do(council, cases.createProgramme(params))

    say("useful cases with photos: most approved in one batch, a few left for the verifier")
    seed = 0
    submitted: list[int] = []
    for round_number in range(3):
        steps = []
        for index, resident in enumerate(residents):
            seed += 1
            stored = evidence.save(io.BytesIO(picture(seed)))
            programme = 1 + (index + round_number) % len(PROGRAMMES)
            steps.append((resident, cases.submitCase(programme, stored.chain_hash)))
        driver.do_all(steps)
    submitted = list(range(1, int(cases.caseCount().call()) + 1))
    driver.do(verifier, cases.approveCases(submitted[:-4]))
    seed_delivery(driver, settings, council, residents[0], residents[4], say)

    say("a round: pitched projects, screened by the council, now open for voting for 7 days")
    round_digest = documents.save(
        Document("Бюджет участі 2025", "Мешканці вирішують, які проєкти громада профінансує цього року.")
    )
    now = driver.now()
    round_params = (
        10_000_000,
        now,
        now + HOUR,
        now + 2 * HOUR,
        now + 2 * HOUR + 7 * DAY,
        10,
        round_digest,
        (0, 1, 4, 0, False),
    )
    driver.do(council, vote.createRound(round_params))
    round_id = int(vote.roundCount().call())
    driver.do_all(
        (resident, vote.pitchProject(round_id, ask, documents.save(Document(title, text)), 0))
        for resident, (title, text, ask) in zip(residents[1:], PROJECTS, strict=True)
    )
    travel(driver.w3, HOUR + 1)
    for project_id in range(1, len(PROJECTS) + 1):
        driver.do(council, vote.screenProject(round_id, project_id, True, 0))
    if before_vote is not None:
        before_vote(round_id)
    travel(driver.w3, HOUR + 1)
    say("three residents voted already; Olena has not")
    driver.do_all(
        [
            (residents[1], vote.castBallot(round_id, [1, 2], [4, 1])),
            (residents[2], vote.castBallot(round_id, [2, 3], [1, 4])),
            (residents[3], vote.castBallot(round_id, [2, 4], [4, 1])),
        ]
    )
    return round_id


# ---------------------------------------------------------------- `cts demo`


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--node", choices=["anvil", "ganache"], default="anvil", help="local chain (default anvil)"
    )
    parser.add_argument(
        "--chain-port", type=int, default=0, help="port of the local chain (default: a free one)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve the pages on")
    parser.add_argument("--port", type=int, default=8000, help="port to serve the pages on (default 8000)")
    parser.add_argument(
        "--var",
        type=Path,
        default=None,
        help="folder for the demo's database, manifest and files (default var/demo)",
    )


def demo_command(args: argparse.Namespace) -> int:
    """`cts demo`: a local chain, CTS deployed, the demo hromada seeded; then the API and pages (`cts serve`),
    the relayer worker (`cts relayer run`) and the notifications (`cts notify run`) in processes of their own,
    watched and restarted until Ctrl-C, which stops them all and the chain."""
    import shutil

    from cts.chain.artifacts import REPO_ROOT
    from cts.chain.deploy import deploy_shared
    from cts.chain.localnode import LocalNode, LocalNodeError
    from cts.core.db import upgrade_database

    folder: Path = (args.var or REPO_ROOT / "var" / "demo").resolve()
    if not port_is_free(args.host, args.port):
        print(
            f"cts demo: {args.host}:{args.port} is in use: stop what runs there, or pass --port",
            file=sys.stderr,
        )
        return 1
    shutil.rmtree(folder, ignore_errors=True)  # a fresh demo every time: its chain is new too
    folder.mkdir(parents=True)
    node = LocalNode(kind=args.node, port=args.chain_port, log_path=folder / "chain.log")
    children: Children | None = None
    try:
        node.start()
    except LocalNodeError as error:
        print(f"cts demo: cannot start the chain: {error}", file=sys.stderr)
        return 1
    try:
        print(f"cts demo: {args.node} at {node.url}; deploying CTS")
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        deployer = Sender(w3, w3.eth.accounts[0])
        shared = deploy_shared(deployer)
        files = DemoFiles.write(folder, node.url)
        settings = files.settings()
        upgrade_database(settings.database_url)
        result = seed_demo(settings, deployer, shared, say=lambda line: print(f"  {line}"))
        base_url = f"http://{args.host}:{args.port}"
        # From here on Ctrl-C (or SIGTERM) stops the children in order; before, it interrupts the seeding.
        stop = _stop_on_signals()
        children = Children(folder, files.environment(), node)
        # Plain text: the demo's logs are read by a person at the terminal, not by a log collector.
        serve = ["serve", "--host", args.host, "--port", str(args.port), "--log-level", "warning"]
        children.add("api", [*serve, "--log-format", "text"])
        children.add("worker", ["relayer", "run", "--log-format", "text"])
        children.add("notify", ["notify", "run", "--log-format", "text"])
        children.start_all()
        if not wait_for_http(f"{base_url}/api/docs", timeout=60, stop=stop):
            if stop.is_set():
                return 0
            print(
                f"cts demo: the API did not answer at {base_url} (see {folder / 'api.log'})", file=sys.stderr
            )
            return 1
        print()
        print("CTS demo is ready. Sign in with:")
        print("\n".join(result.lines(base_url)))
        print(f"All hromadas: {base_url}/   API: {base_url}/api/docs   Stop with Ctrl-C.")
        print(
            "The API (cts serve), the relayer worker (cts relayer run) and the notifications (cts notify "
            "run; no e-mail without CTS_SMTP_HOST) run as processes of their own; one that dies is "
            "restarted.\n"
            f"  Their logs: {folder}/api.log, worker.log, notify.log; their process ids: "
            f"{folder}/processes.json (kill one to restart it).\n  Their settings, master key by file: "
            f"{files.env_file}; e.g. one more worker by hand: set -a; . {files.env_file}; set +a; "
            "bin/cts relayer run"
        )
        children.watch(stop)
        return 0
    except (CTSError, DemoError) as error:
        print(f"cts demo: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if children is not None:
            children.stop_all()
        node.stop()
        print("cts demo: stopped")


# ---------------------------------------------------------------- the demo's processes


@dataclass(frozen=True)
class DemoFiles:
    """The files that let each part of the demo be (re)started alone: the master key and the sponsor key
    (mode 0600, never printed), and `demo.env` with the CTS_* settings (paths, no secret)."""

    folder: Path
    rpc_url: str

    @property
    def master_key_file(self) -> Path:
        return self.folder / "master-key"

    @property
    def sponsor_keys_file(self) -> Path:
        return self.folder / "sponsor-keys"

    @property
    def env_file(self) -> Path:
        return self.folder / "demo.env"

    @classmethod
    def write(cls, folder: Path, rpc_url: str) -> DemoFiles:
        files = cls(folder, rpc_url)
        write_secret(files.master_key_file, secrets.token_urlsafe(32))
        write_secret(files.sponsor_keys_file, dev_key(DEFAULT_SPONSOR_INDEX))
        lines = [f"{name}={value}" for name, value in files.environment().items()]
        files.env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return files

    def environment(self) -> dict[str, str]:
        """The CTS_* variables of the demo's API and worker (the secrets by file)."""
        return {
            "CTS_ENVIRONMENT": "development",
            "CTS_DATABASE_URL": f"sqlite:///{self.folder / 'cts.sqlite3'}",
            "CTS_MASTER_KEY_FILE": str(self.master_key_file),
            "CTS_MANIFEST_PATH": str(self.folder / "manifest.json"),
            "CTS_RPC_URL": self.rpc_url,
            "CTS_VAR_DIR": str(self.folder),
            "CTS_RELAYER_SPONSOR_KEYS_FILE": str(self.sponsor_keys_file),
            "CTS_RELAYER_POLL_SECONDS": "0.1",
            "CTS_RELAYER_RESUBMIT_AFTER_SECONDS": "5",
        }

    def settings(self) -> Settings:
        environment = self.environment()
        return Settings(
            environment="development",
            database_url=environment["CTS_DATABASE_URL"],
            master_key_file=self.master_key_file,
            manifest_path=Path(environment["CTS_MANIFEST_PATH"]),
            rpc_url=self.rpc_url,
            var_dir=self.folder,
            relayer_sponsor_keys_file=self.sponsor_keys_file,
            relayer_poll_seconds=0.1,
            relayer_resubmit_after_seconds=5,
        )  # type: ignore[call-arg]  # the master key comes from its file


def write_secret(path: Path, value: str) -> None:
    """Write a secret readable by its owner alone (created 0600, never widened)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_http(url: str, timeout: float, stop: threading.Event | None = None) -> bool:
    """Whether `url` answers (any HTTP status) within `timeout` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        try:
            httpx.get(url, timeout=2)
            return True
        except httpx.HTTPError:
            time.sleep(0.2)
    return False


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C (SIGINT) or SIGTERM, so that the demo stops its children in order."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    exits: list[float] = field(default_factory=list)
    given_up: bool = False


@dataclass
class Children:
    """`cts` commands run as child processes of the demo: each in its own session (Ctrl-C reaches the demo
    alone, which then stops them in order), each told by the kernel to stop if the demo itself dies
    (PR_SET_PDEATHSIG on Linux), each restarted when it dies; their ids in processes.json."""

    folder: Path
    environment: dict[str, str]
    node: Any = None
    children: dict[str, Child] = field(default_factory=dict)
    max_restarts_per_minute: int = 5

    def add(self, name: str, arguments: list[str]) -> None:
        self.children[name] = Child(name, [sys.executable, "-m", "cts.cli", *arguments])

    def start_all(self) -> None:
        for child in self.children.values():
            self._start(child)
        self._write_ids()

    def _start(self, child: Child) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CTS_")}
        environment.update(self.environment)
        with open(self.folder / f"{child.name}.log", "ab") as log:
            child.process = subprocess.Popen(  # noqa: S603 (our own command)
                child.command,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # only sets the parent-death signal
            )

    def _write_ids(self) -> None:
        ids = {name: c.process.pid for name, c in self.children.items() if c.process is not None}
        if self.node is not None and self.node.process is not None:
            ids["chain"] = self.node.process.pid
        path = self.folder / "processes.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(ids), encoding="utf-8")
        temporary.replace(path)

    def watch(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Until `stop` is set: restart a child that exited (at most max_restarts_per_minute times a
        minute each), saying so; return, saying so, if the chain itself stopped."""
        while not stop.wait(interval):
            if (
                self.node is not None
                and self.node.process is not None
                and self.node.process.poll() is not None
            ):
                print(
                    f"cts demo: the chain stopped (exit code {self.node.process.returncode}); see chain.log"
                )
                return
            for child in self.children.values():
                code = None if child.process is None else child.process.poll()
                if code is None or child.given_up:
                    continue
                now = time.monotonic()
                child.exits = [t for t in child.exits if now - t < 60] + [now]
                log = self.folder / f"{child.name}.log"
                if len(child.exits) > self.max_restarts_per_minute:
                    child.given_up = True
                    print(f"cts demo: {child.name} keeps exiting (code {code}); not restarting it: see {log}")
                    continue
                print(f"cts demo: {child.name} exited (code {code}); restarting it (its log: {log})")
                self._start(child)
                self._write_ids()

    def stop_all(self, timeout: float = 10) -> None:
        """SIGTERM to each child (the API first), then SIGKILL to any still running after `timeout`."""
        running = [c.process for c in self.children.values() if c.process is not None]
        running = [process for process in running if process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
