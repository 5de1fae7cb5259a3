"""Chaos: mixed resident and council actions through a real `cts serve` while the worker and the API are
killed with SIGKILL at random moments and the chain node is stopped; then the database is reconciled with
the chain.

    .venv/bin/python benchmarks/chaos.py [--actions 1000] [--kills 20] [--outages 2] [--backend sqlite]

One local Anvil chain, one hromada seeded in-process (residents with RV, capital, a programme, a round
open for voting), then `cts serve` and `cts relayer run` (one worker on SQLite, two at once on PostgreSQL,
both with the same two sponsor keys) as child processes. Client threads send registrations, cases,
approvals, ballots, ballot revisions, deposits, loan applications (and a few duplicate cases, refused for
a real reason) through the HTTP API; a request the API does not answer, or answers 503, is sent again with
the same Idempotency-Key. Meanwhile a chaos thread SIGKILLs the worker or the API (each restarted at once)
and stops the node for ``--outage-seconds`` with SIGSTOP/SIGCONT (the process, and so the chain's state,
is kept).

At the end: every confirmed action's transaction has the forwarder's ExecutedForwardRequest(signer, nonce,
success) for it; each case's evidence hash, each registration, deposit and loan appears once on chain; each
signer's forwarder nonce equals the number of its requests the database says ran; no two mined batches of a
sponsor share a nonce; every refusal is simulated again (an eth_call from the signer now) and one that runs
is a false refusal, as is any out_of_gas / failed_unexplained. Prints one table; with --write, appends it to
docs/benchmarks/chaos.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from eth_utils.crypto import keccak
from pydantic import SecretStr
from sqlalchemy import select
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.localnode import LocalNode, free_port
from cts.chain.manifest import Manifest, load_manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.hromadas import add_hromada
from cts.models import ActionStatus, Batch, BatchStatus, RelayAction, Role, User
from cts.relayer.service import identity_hash
from cts.relayer.worker import RelayerWorker
from cts.web.demo import Driver, dev_key, give_role, make_user, relayer_for, travel

ROOT = Path(__file__).resolve().parents[1]
CTS = str(Path(sys.executable).with_name("cts"))
PASSWORD = "chaos benchmark password"  # noqa: S105 (a local benchmark's throwaway accounts)
SLUG = "chaos"
HOUR, DAY = 3600, 86_400
EXECUTED_TOPIC = "0x" + keccak(text="ExecutedForwardRequest(address,uint256,bool)").hex()
FALSE_CODES = {"out_of_gas", "failed_unexplained"}
WEIGHTS = {
    "case": 34,
    "approval": 18,
    "ballot": 10,
    "revision": 10,
    "deposit": 8,
    "loan": 8,
    "registration": 9,
    "duplicate case": 3,
}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def h32() -> str:
    return "0x" + secrets.token_hex(32)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else 0.0


# ---------------------------------------------------------------- processes


class Parts:
    """The node (kept by SIGSTOP/SIGCONT), `cts serve` and the workers, each restartable alone."""

    def __init__(self, node: LocalNode, environment: dict[str, str], workers: int, folder: Path) -> None:
        self.node = node
        self.environment = environment
        self.port = free_port()
        self.folder = folder
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.names = ["api", *(f"worker-{n}" for n in range(1, workers + 1))]
        self.lock = threading.Lock()
        self.kills: Counter[str] = Counter()
        self.node_stopped = False
        self.outages: list[tuple[datetime, datetime]] = []  # naive UTC, as the database writes its times

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str) -> None:
        if name == "api":
            command = [
                CTS,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ]
        else:
            command = [CTS, "relayer", "run"]
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (the child's, closed with it)
        self.processes[name] = subprocess.Popen(
            command, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start_all(self) -> None:
        for name in self.names:
            self.start(name)

    def kill(self, name: str) -> None:
        with self.lock:
            process = self.processes[name]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            self.kills[name] += 1

    def restart(self, name: str) -> None:
        with self.lock:
            self.start(name)

    def stop_node(self) -> None:
        assert self.node.process is not None
        os.killpg(self.node.process.pid, signal.SIGSTOP)
        self.node_stopped = True

    def continue_node(self) -> None:
        assert self.node.process is not None
        os.killpg(self.node.process.pid, signal.SIGCONT)
        self.node_stopped = False

    def stop_all(self) -> None:
        if self.node_stopped:
            self.continue_node()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- the world


@dataclass
class Person:
    id: int
    login: str
    address: str
    rv: int = 0
    voted: bool = False


@dataclass
class World:
    council: Person
    verifier: Person
    residents: list[Person]
    unregistered: list[Person]
    programme: int
    round_id: int
    projects: int


def seed(settings: Settings, w3: Web3, residents: int, newcomers: int, say: Callable[[str], None]) -> World:
    """One hromada through the relayer in-process: the council, a verifier, residents with RV (three cases
    each, approved), capital, a programme and a round open for voting; newcomers with the resident role in
    the service but not yet registered on chain (the benchmark's registrations)."""
    deployer = Sender(w3, w3.eth.accounts[0])
    shared = deploy_shared(deployer)
    factory = build_session_factory(build_engine(settings.database_url))

    def person(session: Any, name: str) -> tuple[User, Person]:
        login = f"{name}@chaos.example"
        user = make_user(session, settings, name, login, PASSWORD)
        return user, Person(user.id, login, user.wallet.address)

    with factory() as session:
        council_user, council = person(session, "council")
        verifier_user, verifier = person(session, "verifier")
        made = [person(session, f"resident{n}") for n in range(residents)]
        fresh = [person(session, f"newcomer{n}") for n in range(newcomers)]
        session.commit()
    onboard(
        deployer,
        shared,
        HromadaSpec(key=SLUG, name="Chaos", council=council.address, registrar=council.address),
    )
    manifest = Manifest(
        chain_id=shared.chain_id, shared=shared.shared, hromadas={SLUG: shared.hromadas[SLUG]}
    )
    assert settings.manifest_path is not None
    manifest.save(settings.manifest_path)
    with factory() as session:
        hromada = add_hromada(session, manifest, SLUG, daily_gas_budget=10**15)
        session.commit()
        session.refresh(hromada)
        session.expunge(hromada)
    give_role(factory, council_user, hromada, Role.COUNCIL)
    give_role(factory, verifier_user, hromada, Role.VERIFIER)
    for user, _ in [*made, *fresh]:
        give_role(factory, user, hromada, Role.RESIDENT)
    relayer = relayer_for(settings, factory, SLUG)
    driver = Driver(settings, factory, relayer, RelayerWorker(settings, factory, relayer.chain), timeout=300)
    handles = driver.hromada
    cases, vote, fund = handles.cases.functions, handles.vote.functions, handles.fund.functions
    try:
        say(f"seeding: {residents} residents registered, capital, a programme")
        for number, (user, _) in enumerate(made):
            digest = identity_hash(settings, f"seed-check-{number}")
            driver.do(council_user, handles.registry.functions.addResident(user.wallet.address, digest))
        driver.do(
            council_user, fund.deposit(500_000_000, 0, bytes.fromhex(h32()[2:]), bytes.fromhex(h32()[2:]))
        )
        now = driver.now()
        params = (
            "Chaos",
            keccak(text="chaos"),
            2,
            40_000,
            20_000,
            2_000,
            now,
            now + 365 * DAY,
            1,
            [verifier.address],
        )
        driver.do(council_user, cases.createProgramme(params))
        programme = int(cases.programmeCount().call())
        say("seeding: three approved cases per resident (6 RV each)")
        for _ in range(3):
            driver.do_all((user, cases.submitCase(programme, bytes.fromhex(h32()[2:]))) for user, _ in made)
        driver.do(verifier_user, cases.approveCases(list(range(1, int(cases.caseCount().call()) + 1))))
        say("seeding: a round with four projects, screened, open for voting for 30 days")
        now = driver.now()
        driver.do(
            council_user,
            vote.createRound(
                (
                    10_000_000,
                    now,
                    now + HOUR,
                    now + 2 * HOUR,
                    now + 2 * HOUR + 30 * DAY,
                    10,
                    keccak(text="round"),
                    (0, 1, 4, 0, False),
                )
            ),
        )
        round_id = int(vote.roundCount().call())
        driver.do_all(
            (user, vote.pitchProject(round_id, 1_000_000, bytes.fromhex(h32()[2:]), 0))
            for user, _ in made[:4]
        )
        travel(w3, HOUR + 1)
        for project in range(1, 5):
            driver.do(council_user, vote.screenProject(round_id, project, True, 0))
        travel(w3, HOUR + 1)
    finally:
        assert driver.worker is not None
        driver.worker.release_leases()
    people = [p for _, p in made]
    for p in people:
        p.rv = 6
    return World(council, verifier, people, [p for _, p in fresh], programme, round_id, 4)


# ---------------------------------------------------------------- clients


@dataclass
class Outcome:
    kind: str
    planned_valid: bool
    action_id: str | None = None
    refused_code: str | None = None
    retries: int = 0


@dataclass
class Clients:
    base_url: str
    deadline: float
    tokens: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retries: int = 0

    def _token(self, http: httpx.Client, login: str, fresh: bool = False) -> str:
        with self.lock:
            if login in self.tokens and not fresh:
                return self.tokens[login]
        while time.monotonic() < self.deadline:
            try:
                response = http.post("/api/auth/login", json={"login": login, "password": PASSWORD})
            except httpx.TransportError:
                time.sleep(0.3)
                continue
            if response.status_code == 200:
                token = str(response.json()["access_token"])
                with self.lock:
                    self.tokens[login] = token
                return token
            time.sleep(0.5)
        raise RuntimeError(f"cannot sign in as {login}")

    def send(
        self, http: httpx.Client, login: str, method: str, path: str, body: Any, outcome: Outcome
    ) -> None:
        """Until the API answers with something other than 503: the same Idempotency-Key every time."""
        key = secrets.token_urlsafe(16)
        token = self._token(http, login)
        while time.monotonic() < self.deadline:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
            try:
                response = http.request(method, f"/api/h/{SLUG}{path}", json=body, headers=headers)
            except httpx.TransportError:
                outcome.retries += 1
                time.sleep(0.3)
                continue
            if response.status_code == 401:
                token = self._token(http, login, fresh=True)
                continue
            if response.status_code == 503:
                outcome.retries += 1
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0))
                continue
            if response.status_code == 202:
                outcome.action_id = str(response.json()["id"])
            else:
                try:
                    outcome.refused_code = f"{response.status_code} {response.json().get('code')}"
                except ValueError:
                    outcome.refused_code = str(response.status_code)
            return
        outcome.refused_code = "client gave up"


class Planner:
    """Chooses each next action so that it is valid (except the deliberate duplicates)."""

    def __init__(self, world: World, w3: Web3, cases_contract: Any, rng: random.Random) -> None:
        self.world, self.w3, self.cases, self.rng = world, w3, cases_contract, rng
        self.lock = threading.Lock()
        self.next_approval = int(cases_contract.functions.caseCount().call()) + 1
        self.evidence: list[str] = []
        self.newcomers = list(world.unregistered)

    def approvable(self) -> int | None:
        try:
            count = int(self.cases.functions.caseCount().call())
        except Exception:  # the node is away: choose another kind
            return None
        if self.next_approval > count:
            return None
        chosen = self.next_approval
        self.next_approval += 1
        return chosen

    def accepted(self, kind: str, body: Any) -> None:
        """A case accepted: its evidence may be sent again later, as a deliberate duplicate."""
        if kind == "case":
            with self.lock:
                self.evidence.append(body["evidence_hash"])

    def allocation(self, person: Person) -> list[dict[str, int]]:
        projects = self.rng.sample(range(1, self.world.projects + 1), self.rng.randint(1, 3))
        budget = self.rng.randint(len(projects), min(person.rv, 5))
        credits = [1] * len(projects)
        for _ in range(budget - len(projects)):
            credits[self.rng.randrange(len(projects))] += 1
        return [{"project_id": p, "credits": c} for p, c in zip(projects, credits, strict=True)]

    def next(self) -> tuple[str, str, str, str, Any, bool]:
        """(kind, login, method, path, body, planned valid)."""
        with self.lock:
            w = self.world
            while True:
                kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
                resident = self.rng.choice(w.residents)
                if kind == "case":
                    evidence = h32()
                    body = {"programme_id": w.programme, "evidence_hash": evidence}
                    return kind, resident.login, "POST", "/cases", body, True
                if kind == "duplicate case" and self.evidence:
                    body = {"programme_id": w.programme, "evidence_hash": self.rng.choice(self.evidence)}
                    return kind, resident.login, "POST", "/cases", body, False
                if kind == "approval":
                    case_id = self.approvable()
                    if case_id is not None:
                        return kind, w.verifier.login, "POST", f"/cases/{case_id}/approval", None, True
                if kind == "ballot":
                    fresh = [p for p in w.residents if not p.voted]
                    if fresh:
                        person = self.rng.choice(fresh)
                        person.voted = True
                        body = {"allocations": self.allocation(person)}
                        return kind, person.login, "POST", f"/rounds/{w.round_id}/ballot", body, True
                if kind == "revision":
                    voted = [p for p in w.residents if p.voted]
                    if voted:
                        person = self.rng.choice(voted)
                        body = {"allocations": self.allocation(person)}
                        return kind, person.login, "POST", f"/rounds/{w.round_id}/ballot", body, True
                if kind == "deposit":
                    body = {
                        "amount_kopiyky": 10_000,
                        "source": 2,
                        "source_ref_hash": h32(),
                        "receipt_hash": h32(),
                    }
                    return kind, w.council.login, "POST", "/fund/deposits", body, True
                if kind == "loan":
                    body = {
                        "instalments": [{"amount_kopiyky": 50_000, "due_after_seconds": 30 * DAY}],
                        "metadata_hash": h32(),
                    }
                    return kind, resident.login, "POST", "/loans", body, True
                if kind == "registration" and self.newcomers:
                    newcomer = self.newcomers.pop()
                    body = {"user_id": newcomer.id, "identity_check": f"chaos-check-{newcomer.id}"}
                    return kind, w.council.login, "POST", "/residents", body, True


# ---------------------------------------------------------------- chaos


def chaos(
    parts: Parts,
    kills: int,
    outages: int,
    outage_seconds: float,
    duration: float,
    rng: random.Random,
    say: Callable[[str], None],
    stop: threading.Event,
) -> None:
    """Kills at random moments over ``duration``; outages spread over it (kills may fall inside them)."""
    started = time.monotonic()
    events: list[tuple[float, str]] = [(rng.uniform(1.0, duration), "kill") for _ in range(kills)]
    for n in range(outages):
        slot = duration / max(outages, 1)
        events.append((slot * n + rng.uniform(0.1, 0.5) * slot, "outage"))
    events.sort()
    targets = list(parts.names)
    outage_threads: list[threading.Thread] = []
    for at, what in events:
        while time.monotonic() - started < at:
            time.sleep(0.05)
        if what == "outage":  # in a thread of its own: kills keep coming while the node is away
            outage = threading.Thread(target=_outage, args=(parts, outage_seconds, started, say), daemon=True)
            outage.start()
            outage_threads.append(outage)
            continue
        name = rng.choice(targets)
        say(f"  {time.monotonic() - started:6.1f} s: SIGKILL {name} ({time.strftime('%H:%M:%S')})")
        parts.kill(name)
        time.sleep(rng.uniform(0.0, 1.0))
        parts.restart(name)
    for outage in outage_threads:
        outage.join()
    stop.set()


def _outage(parts: Parts, seconds: float, started: float, say: Callable[[str], None]) -> None:
    say(f"  {time.monotonic() - started:6.1f} s: node stopped (SIGSTOP) for {seconds:.0f} s")
    begun = utc_now()
    parts.stop_node()
    time.sleep(seconds)
    parts.continue_node()
    parts.outages.append((begun, utc_now()))
    say(f"  {time.monotonic() - started:6.1f} s: node continued (SIGCONT)")


# ---------------------------------------------------------------- reconciliation


@dataclass
class Result:
    backend: str
    workers: int
    planned: int
    kills: Counter[str]
    outages: int
    outage_seconds: float
    seconds: float
    retries: int
    accepted: int = 0
    confirmed: int = 0
    refused_real: int = 0
    refused_at_acceptance: int = 0
    falsely_refused: int = 0
    lost: int = 0
    doubled: int = 0
    pending: int = 0
    nonce_collisions: int = 0
    unverified_on_chain: int = 0
    p50: float = 0.0
    p95: float = 0.0
    p95_clear: float = 0.0
    clear: int = 0
    problems: list[str] = field(default_factory=list)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str]]:
        kills = ", ".join(f"{name} {count}" for name, count in sorted(self.kills.items()))
        return [
            ("set-up", f"{self.backend}, {self.workers} worker(s)"),
            ("actions sent", f"{self.planned}"),
            ("SIGKILLs (api / workers)", f"{sum(self.kills.values())} ({kills})"),
            ("node outages (SIGSTOP/SIGCONT)", f"{self.outages} x {self.outage_seconds:.0f} s"),
            ("client retries (API down or 503, same Idempotency-Key)", f"{self.retries}"),
            ("accepted (202)", f"{self.accepted}"),
            ("confirmed", f"{self.confirmed}"),
            ("refused with a real reason (at acceptance + on chain)", f"{self.refused_real}"),
            ("falsely refused", f"{self.falsely_refused}"),
            ("lost", f"{self.lost}"),
            ("executed twice", f"{self.doubled}"),
            ("still pending", f"{self.pending}"),
            ("confirmed actions without their forwarder event on chain", f"{self.unverified_on_chain}"),
            ("nonce collisions (two mined batches, one sponsor nonce)", f"{self.nonce_collisions}"),
            ("acceptance to confirmation p50 / p95, s", f"{self.p50:.2f} / {self.p95:.2f}"),
            (
                "p95, s, of the confirmed actions whose wait overlapped no node outage",
                f"{self.p95_clear:.2f} ({self.clear} actions)",
            ),
            ("wall time, s", f"{self.seconds:.0f}"),
        ]

    def table(self) -> str:
        lines = ["| figure | value |", "|---|---:|", *(f"| {a} | {b} |" for a, b in self.rows())]
        return "\n".join(lines)


def reconcile(
    result: Result,
    settings: Settings,
    w3: Web3,
    outcomes: list[Outcome],
    world: World,
    outages: list[tuple[datetime, datetime]],
) -> None:
    factory = build_session_factory(build_engine(settings.database_url))
    assert settings.manifest_path is not None
    manifest = load_manifest(settings.manifest_path)
    handles = relayer_for(settings, factory, SLUG).chain.hromada
    with factory() as session:
        actions = {a.public_id: a for a in session.scalars(select(RelayAction)).all()}
        batches = session.scalars(select(Batch)).all()
        for a in actions.values():
            session.expunge(a)
        attempts = {
            str(a.tx_hash).lower(): (b.id, str(b.status), b.nonce, a.sent_at)
            for b in batches
            for a in b.attempts
        }
        batch_rows: list[tuple[str, int, BatchStatus, str | None]] = [
            (b.sponsor, b.nonce, b.status, b.mined_tx_hash) for b in batches
        ]

    chosen = [o for o in outcomes if o.action_id is not None]
    result.accepted = len(chosen)
    latencies: list[float] = []
    clear: list[float] = []
    receipts: dict[str, Any] = {}
    for outcome in outcomes:
        counter = result.by_kind.setdefault(outcome.kind, Counter())
        if outcome.action_id is None:
            counter["refused at acceptance"] += 1
            if outcome.planned_valid:
                result.falsely_refused += 1
                result.problems.append(
                    f"{outcome.kind}: a valid action refused at acceptance: {outcome.refused_code}"
                )
            else:
                result.refused_real += 1
                result.refused_at_acceptance += 1
            continue
        action = actions.get(outcome.action_id)
        if action is None:
            result.lost += 1
            result.problems.append(f"{outcome.kind} {outcome.action_id}: accepted, not in the database")
            continue
        counter[str(action.status)] += 1
        if action.status == ActionStatus.CONFIRMED:
            result.confirmed += 1
            accepted_at, confirmed_at = naive(action.created_at), naive(action.updated_at)
            latency = (confirmed_at - accepted_at).total_seconds()
            latencies.append(latency)
            if not any(accepted_at <= end and confirmed_at >= start for start, end in outages):
                clear.append(latency)
            tx = str(action.tx_hash)
            if tx not in receipts:
                receipts[tx] = w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
            if not executed_in(receipts[tx], action.signer, int(action.request_nonce or -1)):
                result.unverified_on_chain += 1
                result.problems.append(
                    f"{outcome.kind} {action.public_id}: no ExecutedForwardRequest in {tx}"
                )
        elif action.status in (ActionStatus.QUEUED, ActionStatus.SUBMITTED):
            result.pending += 1
        else:
            if action.error_code in FALSE_CODES or runs_now(w3, action):
                result.falsely_refused += 1
                result.problems.append(
                    f"{outcome.kind} {action.public_id}: {action.status} {action.error_code}: "
                    f"{action.error_detail}"
                )
            else:
                result.refused_real += 1
    result.p50 = statistics.median(latencies) if latencies else 0.0
    result.p95 = percentile(latencies, 0.95)
    result.p95_clear, result.clear = percentile(clear, 0.95), len(clear)

    # Executed twice: each unique thing once on chain, each signer's forwarder nonce vs the database.
    def count_events(event: Any, key: Callable[[Any], Any]) -> Counter[Any]:
        return Counter(key(log["args"]) for log in event.get_logs(from_block=0))

    cases = count_events(handles.cases.events.CaseSubmitted(), lambda a: a["evidenceHash"])
    residents = count_events(handles.registry.events.ResidentAdded(), lambda a: a["account"])
    doubled = [("case", k, n) for k, n in cases.items() if n > 1]
    doubled += [("registration", k, n) for k, n in residents.items() if n > 1]
    ran = Counter(
        a.signer.lower()
        for a in actions.values()
        if a.status == ActionStatus.CONFIRMED or (a.status == ActionStatus.FAILED and a.tx_hash)
    )
    forwarder_contract = w3.eth.contract(
        address=Web3.to_checksum_address(manifest.forwarder),
        abi=[
            {
                "name": "nonces",
                "type": "function",
                "stateMutability": "view",
                "inputs": [{"name": "owner", "type": "address"}],
                "outputs": [{"name": "", "type": "uint256"}],
            }
        ],
    )
    for signer, count in ran.items():
        nonce = int(forwarder_contract.functions.nonces(Web3.to_checksum_address(signer)).call())
        if nonce != count:
            doubled.append(("forwarder nonce", signer, nonce - count))
            result.problems += unrecorded_runs(w3, manifest.forwarder, signer, actions, attempts)
    # Deposits and loans: one event per confirmed action (their keys are unique by construction).
    deposits = count_events(handles.fund.events.CapitalDeposited(), lambda a: a["receiptHash"])
    doubled += [("deposit", k, n) for k, n in deposits.items() if n > 1]
    result.doubled = len(doubled)
    result.problems += [f"executed twice: {what} {key!r} x{n}" for what, key, n in doubled]

    # Nonce collisions: no two mined batches of one sponsor with one nonce, in the database and on chain.
    mined = [(s, n, t) for s, n, st, t in batch_rows if st in (BatchStatus.CONFIRMED, BatchStatus.REVERTED)]
    per_nonce = Counter((s.lower(), n) for s, n, _ in mined)
    on_chain: Counter[tuple[str, int]] = Counter()
    for row in mined:
        if mined_tx := row[2]:
            transaction = w3.eth.get_transaction(mined_tx)  # type: ignore[arg-type]
            on_chain[(str(transaction["from"]).lower(), int(transaction["nonce"]))] += 1
    result.nonce_collisions = sum(1 for n in per_nonce.values() if n > 1) + sum(
        1 for n in on_chain.values() if n > 1
    )
    _ = world


def unrecorded_runs(
    w3: Web3, forwarder: str, signer: str, actions: dict[str, RelayAction], attempts: dict[str, Any]
) -> list[str]:
    """The forwarder's ExecutedForwardRequest events of ``signer`` whose nonce no action of the database
    holds: requests that ran on chain without the database knowing (the evidence of a double execution)."""
    known = {int(a.request_nonce) for a in actions.values() if a.signer.lower() == signer and a.request_nonce}
    topic = "0x" + Web3.to_checksum_address(signer)[2:].lower().rjust(64, "0")
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(forwarder),
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [EXECUTED_TOPIC, topic],
        }
    )
    found = []
    for log in logs:
        data = bytes(log["data"])
        nonce, success = int.from_bytes(data[:32], "big"), data[63] == 1
        if nonce in known:
            continue
        tx = "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x")
        batch = attempts.get(tx.lower())
        found.append(
            f"request of {signer} nonce {nonce} ran (success {success}) in {tx}, block {log['blockNumber']}, "
            f"which is the database's batch (id, status, sponsor nonce, sent at) {batch}; no action holds it"
        )
    return found


def executed_in(receipt: Any, signer: str, nonce: int) -> bool:
    for log in receipt["logs"]:
        topics = [t.hex() if isinstance(t, bytes) else str(t) for t in log["topics"]]
        topics = [t if t.startswith("0x") else "0x" + t for t in topics]
        if topics and topics[0] == EXECUTED_TOPIC and int(topics[1], 16) == int(signer, 16):
            data = bytes(log["data"])
            if int.from_bytes(data[:32], "big") == nonce and data[63] == 1:
                return True
    return False


def runs_now(w3: Web3, action: RelayAction) -> bool:
    """A fresh simulation: the same call from the signer, at the latest block."""
    try:
        w3.eth.call({"from": action.signer, "to": action.target, "data": action.calldata})  # type: ignore[typeddict-item]
    except Exception:
        return False
    return True


# ---------------------------------------------------------------- one run


def postgres_database(base: str) -> str:
    import psycopg

    name = f"cts_chaos_{secrets.token_hex(4)}"
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def run(
    actions: int = 1000,
    kills: int = 20,
    outages: int = 2,
    outage_seconds: float = 20.0,
    backend: str = "sqlite",
    duration: float | None = None,
    residents: int = 40,
    clients: int = 6,
    seed_value: int | None = None,
    say: Callable[[str], None] = print,
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432",
) -> Result:
    rng = random.Random(seed_value)
    folder = Path(tempfile.mkdtemp(prefix="cts-chaos-"))
    workers = 2 if backend == "postgres" else 1
    database_url = (
        postgres_database(postgres_url) if backend == "postgres" else f"sqlite:///{folder / 'cts.sqlite3'}"
    )
    say(
        f"chaos: {backend}, {workers} worker(s), {actions} actions, {kills} kills, {outages} outages; "
        f"{folder}; {database_url}"
    )
    with LocalNode(kind="anvil", port=free_port(), accounts=20) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        master_key = secrets.token_urlsafe(32)
        sponsor_keys = [dev_key(12), dev_key(13)] if workers > 1 else [dev_key(12)]
        overrides: dict[str, Any] = {
            "relayer_actions_per_window": 1_000_000,
            "relayer_daily_gas_budget": 10**15,
            "relayer_staff_actions_per_window": 1_000_000,
            "relayer_staff_daily_gas_budget": 10**15,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 8,
            "password_hash_parallelism": 1,
        }
        settings = Settings(
            environment="development",
            database_url=database_url,
            master_key=SecretStr(master_key),
            rpc_url=node.url,
            var_dir=folder,
            manifest_path=folder / "manifest.json",
            relayer_sponsor_keys=SecretStr(",".join(sponsor_keys)),
            relayer_poll_seconds=0.05,
            relayer_resubmit_after_seconds=5,
            **overrides,
        )
        upgrade_database(settings.database_url)
        newcomers = int(actions * WEIGHTS["registration"] / sum(WEIGHTS.values()) * 1.5) + 5
        world = seed(settings, w3, residents, newcomers, say)
        environment = {key: value for key, value in os.environ.items() if not key.startswith("CTS_")} | {
            "CTS_ENVIRONMENT": "development",
            "CTS_DATABASE_URL": database_url,
            "CTS_MASTER_KEY": master_key,
            "CTS_MANIFEST_PATH": str(settings.manifest_path),
            "CTS_VAR_DIR": str(folder),
            "CTS_RPC_URL": node.url,
            "CTS_RELAYER_SPONSOR_KEYS": ",".join(sponsor_keys),
            "CTS_RELAYER_POLL_SECONDS": "0.05",
            "CTS_RELAYER_RESUBMIT_AFTER_SECONDS": "5",
            **{f"CTS_{key.upper()}": str(value) for key, value in overrides.items()},
        }
        parts = Parts(node, environment, workers, folder)
        parts.start_all()
        try:
            result = _drive(
                parts,
                world,
                w3,
                settings,
                actions,
                kills,
                outages,
                outage_seconds,
                duration,
                clients,
                rng,
                say,
                backend,
                workers,
            )
        finally:
            parts.stop_all()
    say(result.table())
    for kind, counts in sorted(result.by_kind.items()):
        say(f"  {kind}: " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    for problem in result.problems[:40]:
        say(f"  problem: {problem}")
    return result


def _drive(
    parts: Parts,
    world: World,
    w3: Web3,
    settings: Settings,
    actions: int,
    kills: int,
    outages: int,
    outage_seconds: float,
    duration: float | None,
    clients: int,
    rng: random.Random,
    say: Callable[[str], None],
    backend: str,
    workers: int,
) -> Result:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(parts.base_url + "/api/relayer/status", timeout=2).status_code < 500:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    relayer = relayer_for(settings, build_session_factory(build_engine(settings.database_url)), SLUG)
    planner = Planner(world, w3, relayer.chain.hromada.cases, rng)
    span = duration if duration is not None else max(kills * 4.0, outages * (outage_seconds + 15.0), 30.0)
    gap = span / max(actions, 1)
    started = time.monotonic()
    client_state = Clients(parts.base_url, deadline=started + span + 600)
    outcomes: list[Outcome] = []
    plan_lock = threading.Lock()
    issued = [0]
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=parts.base_url, timeout=15) as http:
            while True:
                with plan_lock:
                    if issued[0] >= actions:
                        return
                    number = issued[0]
                    issued[0] += 1
                wait = started + number * gap - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                kind, login, method, path, body, valid = planner.next()
                outcome = Outcome(kind, valid)
                with plan_lock:
                    outcomes.append(outcome)
                client_state.send(http, login, method, path, body, outcome)
                if outcome.action_id is not None:
                    planner.accepted(kind, body)

    chaos_thread = threading.Thread(
        target=chaos, args=(parts, kills, outages, outage_seconds, span, rng, say, stop), daemon=True
    )
    chaos_thread.start()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    chaos_thread.join()
    say(f"  {time.monotonic() - started:6.1f} s: every action sent; waiting for the queue to empty")
    factory = build_session_factory(build_engine(settings.database_url))
    drain_deadline = time.monotonic() + 180
    while time.monotonic() < drain_deadline:
        with factory() as session:
            open_ = session.scalars(
                select(RelayAction.id).where(
                    RelayAction.status.in_([ActionStatus.QUEUED, ActionStatus.SUBMITTED])
                )
            ).all()
        if not open_:
            break
        time.sleep(0.5)
    seconds = time.monotonic() - started
    result = Result(
        backend,
        workers,
        actions,
        parts.kills,
        outages,
        outage_seconds,
        seconds,
        sum(o.retries for o in outcomes),
    )
    parts.stop_all()
    reconcile(result, settings, w3, outcomes, world, parts.outages)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--outages", type=int, default=2)
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--write", action="store_true", help="append the table to docs/benchmarks/chaos.md")
    args = parser.parse_args()
    result = run(
        args.actions, args.kills, args.outages, args.outage_seconds, args.backend, seed_value=args.seed
    )
    if args.write:
        command = " ".join(["benchmarks/chaos.py", *sys.argv[1:]])
        with open(ROOT / "docs" / "benchmarks" / "chaos.md", "a", encoding="utf-8") as out:
            out.write(f"\n`{command}`\n\n{result.table()}\n")
    ok = (
        result.falsely_refused
        == result.lost
        == result.doubled
        == result.pending
        == result.nonce_collisions
        == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
