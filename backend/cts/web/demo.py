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
import hashlib
import io
import secrets
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.localnode import DEV_MNEMONIC
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.errors import CTSError
from cts.models import ActionStatus, Language, RelayAction, Role, User
from cts.relayer.context import ChainContext
from cts.relayer.service import Call, RelayerService, identity_hash
from cts.relayer.worker import RelayerWorker
from cts.schemas import UserRegister
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
    """

    settings: Settings
    session_factory: sessionmaker[Session]
    relayer: RelayerService
    worker: RelayerWorker | None = None
    timeout: float = 90.0

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
            action = self.relayer.queue(session, person, Call.of(function))
            session.commit()
            return action.public_id

    def wait(self, *action_ids: str) -> None:
        deadline = time.monotonic() + self.timeout
        pending = set(action_ids)
        while pending:
            if self.worker is not None:
                self.worker.run_once()
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
                time.sleep(0.05)

    def do(self, user: User, function: Any) -> None:
        self.wait(self.queue(user, function))

    def do_all(self, steps: Iterable[tuple[User, Any]]) -> None:
        """Independent actions of different people, queued together and sent in shared batches."""
        self.wait(*[self.queue(user, function) for user, function in steps])

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@dataclass(frozen=True)
class Login:
    role: Role
    name: str
    login: str
    password: str


@dataclass
class DemoResult:
    hromada: str
    logins: list[Login] = field(default_factory=list)
    round_id: int = 0

    def lines(self, base_url: str = "") -> list[str]:
        lines = [f"Hromada: {self.hromada}" + (f"   open {base_url}/" if base_url else "")]
        for login in self.logins:
            lines.append(f"  {login.role.value:<12} {login.name:<20} {login.login:<28} {login.password}")
        return lines


PEOPLE: list[tuple[Role, str, str]] = [
    (Role.COUNCIL, "Галина Рада", "rada@demo.example"),
    (Role.VERIFIER, "Василь Перевірка", "verifier@demo.example"),
    (Role.COORDINATOR, "Марія Координатор", "coordinator@demo.example"),
    (Role.AUDITOR, "Аудитор Громади", "auditor@demo.example"),
    (Role.RESIDENT, "Олена Коваль", "olena@demo.example"),
    (Role.RESIDENT, "Петро Шевчук", "petro@demo.example"),
    (Role.RESIDENT, "Ірина Бондар", "iryna@demo.example"),
    (Role.RESIDENT, "Микола Ткаченко", "mykola@demo.example"),
    (Role.RESIDENT, "Оксана Мельник", "+380671234567"),
    (Role.RESIDENT, "Андрій Лисенко", "andriy@demo.example"),  # signed up, not yet registered by the council
]

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


def make_user(session: Session, settings: Settings, role: Role, name: str, login: str, password: str) -> User:
    contact = {"phone": login} if login.startswith("+") else {"email": login}
    user = create_user(
        session,
        UserRegister.model_validate(
            {**contact, "password": password, "display_name": name, "preferred_language": Language.UK}
        ),
        role=role,
        password_hasher=build_password_hasher(settings),
        master_key=settings.master_key,
    )
    session.commit()
    session.refresh(user)
    _ = user.wallet.address
    session.expunge(user.wallet)
    session.expunge(user)
    return user


def seed_demo(
    settings: Settings,
    deployer: Sender,
    shared: Manifest,
    *,
    hromada_key: str = "demo",
    hromada_name: str = "Демо-громада",
    password: str = DEMO_PASSWORD,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Make the demo hromada (see the module's docstring); returns who can sign in, and how."""
    if settings.manifest_path is None:
        raise DemoError("the demo writes its manifest to settings.manifest_path: set it")
    factory = build_session_factory(build_engine(settings.database_url))
    say("people: the council, a verifier, a coordinator, an auditor and six residents")
    people: dict[str, User] = {}
    with factory() as session:
        for role, name, login in PEOPLE:
            people[login] = make_user(session, settings, role, name, login, password)
    council = people["rada@demo.example"]
    verifier, coordinator = people["verifier@demo.example"], people["coordinator@demo.example"]
    residents = [people[login] for role, _, login in PEOPLE if role == Role.RESIDENT][:5]

    say(f"hromada {hromada_name!r}: onboarded with the council's custodial wallet as council and registrar")
    council_address = council.wallet.address
    onboard(
        deployer,
        shared,
        HromadaSpec(key=hromada_key, name=hromada_name, council=council_address, registrar=council_address),
    )
    manifest = Manifest(
        chain_id=shared.chain_id,
        shared=shared.shared,
        hromadas={hromada_key: shared.hromadas[hromada_key]},
        deployer=shared.deployer,
    )
    settings.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest.save(settings.manifest_path)
    relayer = RelayerService(settings, ChainContext.from_settings(settings))
    driver = Driver(settings, factory, relayer, RelayerWorker(settings, factory, relayer.chain))
    try:
        result = _seed(driver, settings, council, verifier, coordinator, residents, say)
    finally:
        assert driver.worker is not None
        driver.worker.release_leases()
    result.hromada = hromada_name
    result.logins = [Login(role, name, login, password) for role, name, login in PEOPLE]
    return result


def _seed(
    driver: Driver,
    settings: Settings,
    council: User,
    verifier: User,
    coordinator: User,
    residents: list[User],
    say: Callable[[str], None],
) -> DemoResult:
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
        (0, 1, 4, 0),
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
    travel(driver.w3, HOUR + 1)
    say("three residents voted already; Olena (olena@demo.example) has not")
    driver.do_all(
        [
            (residents[1], vote.castBallot(round_id, [1, 2], [4, 1])),
            (residents[2], vote.castBallot(round_id, [2, 3], [1, 4])),
            (residents[3], vote.castBallot(round_id, [2, 4], [4, 1])),
        ]
    )
    return DemoResult(hromada="", round_id=round_id)


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
    """`cts demo`: a local chain, CTS deployed, the demo hromada seeded, the pages served with the worker."""
    import shutil

    import uvicorn

    from cts.api.main import create_app
    from cts.chain.artifacts import REPO_ROOT
    from cts.chain.deploy import deploy_shared
    from cts.chain.localnode import LocalNode, LocalNodeError
    from cts.core.db import upgrade_database

    folder: Path = args.var or REPO_ROOT / "var" / "demo"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh demo every time: its chain is new too
    folder.mkdir(parents=True)
    node = LocalNode(kind=args.node, port=args.chain_port, log_path=folder / "chain.log")
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
        settings = Settings(
            environment="development",
            database_url=f"sqlite:///{folder / 'cts.sqlite3'}",
            master_key=SecretStr(secrets.token_urlsafe(32)),
            manifest_path=folder / "manifest.json",
            rpc_url=node.url,
            var_dir=folder,
            relayer_sponsor_keys=SecretStr(dev_key(DEFAULT_SPONSOR_INDEX)),
            relayer_poll_seconds=0.1,
            relayer_resubmit_after_seconds=5,
        )
        upgrade_database(settings.database_url)
        result = seed_demo(settings, deployer, shared, say=lambda line: print(f"  {line}"))
        base_url = f"http://{args.host}:{args.port}"
        print()
        print("CTS demo is ready. Sign in with:")
        print("\n".join(result.lines(base_url)))
        print(f"Public figures: {base_url}/public   API: {base_url}/api/docs   Stop with Ctrl-C.")
        app = create_app(settings)
        stop = threading.Event()
        factory = build_session_factory(build_engine(settings.database_url))
        worker = RelayerWorker(settings, factory, ChainContext.from_settings(settings))
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name="relayer-worker", daemon=True)
        thread.start()
        try:
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        finally:
            stop.set()
            thread.join(timeout=10)
            worker.release_leases()
        return 0
    except (CTSError, DemoError) as error:
        print(f"cts demo: {error}", file=sys.stderr)
        return 1
    finally:
        node.stop()
