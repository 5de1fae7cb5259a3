"""`cts replay FILE.pb`: a real election (a cumulative pabulib file) replayed through the relayer, audited.

Everything goes through the same relayer service and worker that serve residents, as their actions would:
each voter is a user with a custodial wallet; the council (a custodial user too) deposits capital,
registers the voters on chain in batches and creates one programme per distinct points total; each voter
submits one useful case and a verifier approves them in batches, so each voter holds exactly their points
in RV; a proposer pitches the file's projects (in ascending order of their pabulib ids: on-chain ids 1, 2,
...), the council screens them eligible, every voter casts their ballot (points -> RV credits) and the
council finalises. Then the on-chain tallies are compared with the file's official `votes` (supporters)
and `score` (points) and with a count of the file's own ballots, and `cts audit` recomputes the whole
hromada from chain data alone.

It needs a chain whose clock it can move (the round's windows): `cts replay` starts a local Anvil or
Ganache of its own. `replay_election()` does the work on any such chain with the shared contracts deployed.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.hromadas import HromadaDirectory, add_hromada
from cts.models import ActionStatus, Membership, RelayAction, Role, User
from cts.relayer.service import RelayerService, identity_hash
from cts.relayer.worker import RelayerWorker
from cts.schemas import UserRegister
from cts.web.demo import HOUR, Driver, dev_key, make_user, travel

ALLOCATION_RULES = {"quadratic": 0, "proportional": 1, "greedy": 2}
MAX_PROJECTS = 128  # BalancedVote.MAX_PROJECTS
REGISTRATION_BATCH = 100  # residents per addResidents call
APPROVAL_BATCH = 100  # cases per approveCases call
VOTER_BATCH = 500  # voters' accounts per database transaction
# States of recent blocks the replay's Anvil keeps in memory (LocalNode.recent_states).
RECENT_STATES = 64
QUEUE_CHUNK = 250  # actions queued before waiting for them (keeps the queue and the progress bar moving)
REPLAY_SPONSORS = (16, 17, 18, 19)  # development accounts that pay the replay's gas on a local chain
FACE_VALUE_KOPIYKY = 5_000  # UAH 50 per RV, as in the pilots


class ReplayError(RuntimeError):
    """The file cannot be replayed (not cumulative, too many projects, unreadable) or a step failed."""


@dataclass(frozen=True)
class ElectionProject:
    pabulib_id: str
    ask_kopiyky: int
    official_votes: int | None  # the file's `votes` column (supporters), when it has one
    official_score: int | None  # the file's `score` column (points), when it has one


@dataclass
class Election:
    """A cumulative pabulib election in CTS units (amounts in kopiyky, points as RV credits)."""

    name: str
    meta: dict[str, str]
    budget_kopiyky: int
    projects: list[ElectionProject]  # in the order they are pitched: on-chain ids 1, 2, ...
    ballots: dict[str, dict[str, int]]  # voter id -> {pabulib project id: points}

    @property
    def label(self) -> str:
        return "-".join(self.meta.get(key, "") for key in ("unit", "subunit", "instance")) or self.name


def _kopiyky(amount: Any, what: str) -> int:
    value = Fraction(str(amount)) * 100
    if value.denominator != 1 or value < 0:
        raise ReplayError(f"{what} {amount} is not a whole, non-negative number of kopiyky")
    return int(value)


def _pabulib_order(pabulib_id: str) -> tuple[int, int | str]:
    return (0, int(pabulib_id)) if pabulib_id.isdigit() else (1, pabulib_id)


def read_election(path: Path) -> Election:
    """A cumulative pabulib file read with pabutools' parser; a clear ReplayError for anything else."""
    from pabutools.election import CumulativeBallot, parse_pabulib

    if not path.is_file():
        raise ReplayError(f"{path}: no such file")
    try:
        instance, profile = parse_pabulib(str(path))
    except (OSError, KeyError, ValueError, IndexError) as error:
        raise ReplayError(f"{path} is not a readable pabulib file: {error}") from None
    meta = {str(k): str(v) for k, v in instance.meta.items()}
    if meta.get("vote_type") != "cumulative":
        raise ReplayError(
            f"{path.name} is a {meta.get('vote_type')!r} election; a CTS round takes cumulative ballots "
            "(points spread over projects)"
        )
    projects = []
    for project in sorted(instance, key=lambda p: _pabulib_order(str(p.name))):
        row = instance.project_meta.get(project, {})
        votes, score = row.get("votes"), row.get("score")
        projects.append(
            ElectionProject(
                pabulib_id=str(project.name),
                ask_kopiyky=_kopiyky(project.cost, f"the cost of project {project.name}"),
                official_votes=int(votes) if votes not in (None, "") else None,
                official_score=int(score) if score not in (None, "") else None,
            )
        )
    if not projects:
        raise ReplayError(f"{path.name} has no projects")
    if len(projects) > MAX_PROJECTS:
        raise ReplayError(f"{path.name} has {len(projects)} projects; a round takes at most {MAX_PROJECTS}")
    ballots: dict[str, dict[str, int]] = {}
    for ballot in profile:
        if not isinstance(ballot, CumulativeBallot):
            raise ReplayError(f"{path.name}: a ballot is not cumulative")
        voter = str(ballot.meta.get("voter_id", len(ballots) + 1))
        points = {str(p.name): int(v) for p, v in ballot.items() if int(v) > 0}
        if voter in ballots:
            raise ReplayError(f"{path.name}: voter {voter} appears twice")
        if points:
            ballots[voter] = points
    if not ballots:
        raise ReplayError(f"{path.name} has no ballots")
    return Election(
        name=path.stem,
        meta=meta,
        budget_kopiyky=_kopiyky(meta.get("budget", "0"), "the budget"),
        projects=projects,
        ballots=ballots,
    )


@dataclass(frozen=True)
class ProjectResult:
    project: ElectionProject
    project_id: int
    supporters: int  # on chain
    credits: int  # on chain
    weight: int  # on chain
    funded_kopiyky: int  # on chain
    file_supporters: int  # counted from the file's ballots
    file_points: int

    @property
    def matches(self) -> bool:
        votes, score = self.project.official_votes, self.project.official_score
        return (
            (self.supporters, self.credits) == (self.file_supporters, self.file_points)
            and votes in (None, self.supporters)
            and score in (None, self.credits)
        )


@dataclass
class ReplayResult:
    election: Election
    hromada_key: str
    vote_address: str
    round_id: int
    fund_kopiyky: int
    projects: list[ProjectResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    actions: int = 0

    @property
    def matches(self) -> bool:
        return all(p.matches for p in self.projects)


def _hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class _Progress:
    """One bar per phase on stderr (when asked), counting confirmed actions."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def run(self, driver: Driver, phase: str, steps: Sequence[tuple[User, Any]]) -> None:
        with tqdm(total=len(steps), desc=phase, unit="action", disable=not self.enabled, leave=False) as bar:
            for start in range(0, len(steps), QUEUE_CHUNK):
                chunk = steps[start : start + QUEUE_CHUNK]
                driver.do_all(chunk)
                bar.update(len(chunk))


def _make_voters(
    factory: sessionmaker[Session], settings: Settings, election: Election, progress: bool
) -> dict[str, User]:
    """A resident user with a custodial wallet per voter; they never sign in (random passwords).

    Committed VOTER_BATCH at a time (a commit per voter was a fifth of the time of making them); the
    factory's sessions keep their objects loaded after a commit."""
    voters: dict[str, User] = {}
    hasher = build_password_hasher(settings)
    names = list(election.ballots)
    with (
        factory() as session,
        tqdm(
            total=len(names), desc="voters' accounts", unit="voter", disable=not progress, leave=False
        ) as bar,
    ):
        for start in range(0, len(names), VOTER_BATCH):
            for number, voter in enumerate(names[start : start + VOTER_BATCH], start=start):
                voters[voter] = create_user(
                    session,
                    UserRegister.model_validate(
                        {
                            "email": f"voter-{number}-{secrets.token_hex(4)}@replay.example",
                            "password": secrets.token_urlsafe(16),
                            "display_name": f"Voter {voter}",
                        }
                    ),
                    password_hasher=hasher,
                    master_key=settings.master_key,
                )
            session.commit()
            bar.update(min(VOTER_BATCH, len(names) - start))
        session.expunge_all()
    return voters


def replay_election(
    settings: Settings,
    deployer: Sender,
    shared: Manifest,
    election: Election,
    *,
    rule: int = ALLOCATION_RULES["quadratic"],
    hromada_key: str | None = None,
    progress: bool = False,
    say: Callable[[str], None] = print,
) -> ReplayResult:
    """Replay the election through the relayer on a local chain (see the module's docstring)."""
    if settings.manifest_path is None:
        raise ReplayError("the replay writes its manifest to settings.manifest_path: set it")
    factory = build_session_factory(build_engine(settings.database_url))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with factory() as session:
        council, verifier, proposer = (
            make_user(
                session,
                settings,
                name,
                f"{name}-{secrets.token_hex(4)}@replay.example",
                secrets.token_urlsafe(16),
            )
            for name in ("council", "verifier", "proposer")
        )
    voters = _make_voters(factory, settings, election, progress)
    say(f"{len(voters)} voters, each a resident with a custodial wallet; a council, a verifier, a proposer")

    # A URL path segment of at most 64 characters: lowercase, and the election's name cut if need be.
    key = hromada_key or f"replay-{election.name.lower()[:48]}-{secrets.token_hex(3)}"
    onboard(
        deployer,
        shared,
        HromadaSpec(
            key=key,
            name=f"Replay {election.label} {key[-6:]}",
            council=council.wallet.address,
            registrar=council.wallet.address,
            face_value_kopiyky=FACE_VALUE_KOPIYKY,
        ),
    )
    manifest = Manifest(chain_id=shared.chain_id, shared=shared.shared, hromadas={key: shared.hromadas[key]})
    settings.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest.save(settings.manifest_path)
    with factory() as session:
        # The replay's budget is the election's size: a real hromada's operator sets its own.
        hromada = add_hromada(session, manifest, key, daily_gas_budget=2**62)
        people = [(council, Role.COUNCIL), (verifier, Role.VERIFIER), (proposer, Role.RESIDENT)]
        people += [(voter, Role.RESIDENT) for voter in voters.values()]
        for person, role in people:
            session.add(Membership(user_id=person.id, hromada_id=hromada.id, role=role))
        session.commit()
        session.refresh(hromada)
        session.expunge(hromada)
    relayer = RelayerService(settings, HromadaDirectory(settings).context(hromada), hromada)
    worker = RelayerWorker(settings, factory, relayer.chain)
    w3 = relayer.chain.w3
    # One block per pass of the worker, not one per transaction, where the node mines on demand (Anvil):
    # each block costs Anvil time in proportion to the whole state (its state root), so a large election
    # paid it for every batch (docs/audit.md, "The replay at scale").
    mine_each_pass = _set_automine(w3, False)
    driver = Driver(settings, factory, relayer, worker, timeout=600.0, mine_each_pass=mine_each_pass)
    bars = _Progress(progress)
    timings["accounts and onboarding"] = time.perf_counter() - started
    try:
        result = _act(
            driver, bars, settings, election, rule, council, verifier, proposer, voters, say, timings
        )
    finally:
        worker.release_leases()
        if mine_each_pass:
            _set_automine(w3, True)
    result.hromada_key = key
    return result


def _set_automine(w3: Web3, on: bool) -> bool:
    """Turn the local node's automine on or off; False where the node has no such switch (Ganache 7)."""
    answer = w3.provider.make_request("evm_setAutomine", [on])  # type: ignore[arg-type]
    return "error" not in answer


def _timed(timings: dict[str, float], phase: str) -> Callable[[], None]:
    started = time.perf_counter()

    def done() -> None:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - started

    return done


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def _act(
    driver: Driver,
    bars: _Progress,
    settings: Settings,
    election: Election,
    rule: int,
    council: User,
    verifier: User,
    proposer: User,
    voters: dict[str, User],
    say: Callable[[str], None],
    timings: dict[str, float],
) -> ReplayResult:
    h = driver.hromada
    registry, cases, vote, fund = h.registry.functions, h.cases.functions, h.vote.functions, h.fund.functions
    label = election.label
    totals = {voter: sum(ballot.values()) for voter, ballot in election.ballots.items()}
    round_fund = max(election.budget_kopiyky, *(p.ask_kopiyky for p in election.projects))
    capital = sum(totals.values()) * FACE_VALUE_KOPIYKY + round_fund

    done = _timed(timings, "register voters")
    say("the council registers the voters on chain (identity hashes only), in batches")
    people = [proposer, *voters.values()]
    steps = []
    for batch in _chunks(people, REGISTRATION_BATCH):
        addresses = [person.wallet.address for person in batch]
        identities = [identity_hash(settings, f"pabulib {label} {person.id}") for person in batch]
        steps.append((council, registry.addResidents(addresses, identities)))
    bars.run(driver, "registering", steps)
    done()

    done = _timed(timings, "earn RV")
    say(f"capital deposited (UAH {capital / 100:,.2f}); voters earn their points in RV through useful cases")
    driver.do(
        council, fund.deposit(capital, 0, _hash(f"pabulib {label}"), _hash(f"replay {secrets.token_hex(8)}"))
    )
    by_total: dict[int, list[str]] = {}
    for voter, total in totals.items():
        by_total.setdefault(total, []).append(voter)
    now = driver.now()
    programme_of: dict[int, int] = {}
    for total, group in sorted(by_total.items()):
        title = f"Pabulib {label}: {total} points"[:64]
        params = (
            title,
            _hash(title),
            total,
            total * FACE_VALUE_KOPIYKY,
            total * len(group),
            total,
            now,
            now + 30 * 86_400,
            1,
            [verifier.wallet.address],
        )
        driver.do(council, cases.createProgramme(params))
        programme_of[total] = int(cases.programmeCount().call())
    first_case = int(cases.caseCount().call()) + 1
    submissions = [
        (voters[v], cases.submitCase(programme_of[totals[v]], _hash(f"pabulib {label} case of {v}")))
        for v in election.ballots
    ]
    bars.run(driver, "useful cases", submissions)
    case_ids = list(range(first_case, int(cases.caseCount().call()) + 1))
    bars.run(
        driver,
        "approvals",
        [(verifier, cases.approveCases(list(b))) for b in _chunks(case_ids, APPROVAL_BATCH)],
    )
    done()

    done = _timed(timings, "open the round")
    n = len(election.projects)
    say(f"a round of UAH {round_fund / 100:,.2f}: {n} projects pitched and screened, then voting opens")
    now = driver.now()
    vote_days = 7
    round_params = (
        round_fund,
        now,
        now + HOUR,
        now + 2 * HOUR,
        now + 2 * HOUR + vote_days * 86_400,
        n,
        _hash(f"pabulib {label} round"),
        (rule, 1, n, 0, False),
    )
    driver.do(council, vote.createRound(round_params))
    round_id = int(vote.roundCount().call())
    project_of = {}
    for number, project in enumerate(election.projects, start=1):
        driver.do(
            proposer,
            vote.pitchProject(round_id, project.ask_kopiyky, _hash(f"{label} {project.pabulib_id}"), 0),
        )
        project_of[project.pabulib_id] = number
    travel(driver.w3, HOUR + 1)
    bars.run(
        driver, "screening", [(council, vote.screenProject(round_id, i, True, 0)) for i in range(1, n + 1)]
    )
    travel(driver.w3, HOUR + 1)
    done()

    done = _timed(timings, "cast ballots")
    say("every voter casts their ballot through the relayer")
    ballots = []
    for voter, ballot in election.ballots.items():
        ids = sorted(project_of[p] for p in ballot)
        by_id = {project_of[p]: points for p, points in ballot.items()}
        ballots.append((voters[voter], vote.castBallot(round_id, ids, [by_id[i] for i in ids])))
    bars.run(driver, "ballots", ballots)
    done()

    done = _timed(timings, "finalise")
    travel(driver.w3, vote_days * 86_400 + 1)
    driver.do(council, vote.finalise(round_id))
    done()

    counted = {p.pabulib_id: [0, 0] for p in election.projects}
    for ballot in election.ballots.values():
        for pabulib_id, points in ballot.items():
            counted[pabulib_id][0] += 1
            counted[pabulib_id][1] += points
    result = ReplayResult(
        election=election,
        hromada_key="",
        vote_address=h.vote.address,
        round_id=round_id,
        fund_kopiyky=round_fund,
        seconds=timings,
        actions=_relayed_actions(driver),
    )
    for project in election.projects:
        project_id = project_of[project.pabulib_id]
        weight, credits, supporters = vote.tally(round_id, project_id).call()
        funded = int(vote.project(round_id, project_id).call()[7])
        result.projects.append(
            ProjectResult(
                project=project,
                project_id=project_id,
                supporters=int(supporters),
                credits=int(credits),
                weight=int(weight),
                funded_kopiyky=funded,
                file_supporters=counted[project.pabulib_id][0],
                file_points=counted[project.pabulib_id][1],
            )
        )
    return result


def _relayed_actions(driver: Driver) -> int:
    """The actions the relayer confirmed for this replay (its database is the replay's own)."""
    with driver.session_factory() as session:
        confirmed = session.scalar(
            select(func.count()).select_from(RelayAction).where(RelayAction.status == ActionStatus.CONFIRMED)
        )
    return int(confirmed or 0)


def report_lines(result: ReplayResult) -> list[str]:
    def official(value: int | None) -> str:
        return "-" if value is None else str(value)

    lines = [
        f"{'id':>3} {'pabulib':>10} {'ask UAH':>12} {'votes':>6} {'chain':>6} {'score':>6} {'chain':>6} "
        f"{'weight':>16} {'funded UAH':>12}"
    ]
    for p in result.projects:
        lines.append(
            f"{p.project_id:>3} {p.project.pabulib_id:>10} {p.project.ask_kopiyky / 100:>12,.2f} "
            f"{official(p.project.official_votes):>6} {p.supporters:>6} "
            f"{official(p.project.official_score):>6} {p.credits:>6} {p.weight:>16,} "
            f"{p.funded_kopiyky / 100:>12,.2f}{'' if p.matches else '  MISMATCH'}"
        )
    funded = sum(p.funded_kopiyky for p in result.projects)
    lines.append(f"funded UAH {funded / 100:,.2f} of UAH {result.fund_kopiyky / 100:,.2f}")
    verdict = "equal" if result.matches else "DIFFER from"
    lines.append(f"on-chain supporters and credits {verdict} the file's official votes and score")
    lines.append(
        "time: "
        + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in result.seconds.items())
        + f"; {result.actions} relayed actions"
    )
    return lines


# ---------------------------------------------------------------- `cts replay`


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE.pb", help="a cumulative pabulib file")
    parser.add_argument(
        "--node", choices=["anvil", "ganache"], default="anvil", help="local chain to start (default anvil)"
    )
    parser.add_argument(
        "--rule", choices=sorted(ALLOCATION_RULES), default="quadratic", help="the round's allocation rule"
    )
    parser.add_argument(
        "--var",
        type=Path,
        default=None,
        help="folder for the replay's database and manifest (default: a temporary one)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def replay_command(args: argparse.Namespace) -> int:
    """`cts replay`: a local chain, CTS deployed, the election replayed through the relayer, then audited."""
    import tempfile

    from cts.audit.audit import format_summary, run_audit
    from cts.audit.errors import AuditError
    from cts.audit.rpc import RpcClient
    from cts.audit.scan import progress_enabled
    from cts.chain.deploy import deploy_shared
    from cts.chain.localnode import LocalNode, LocalNodeError

    progress = progress_enabled(args.quiet)
    try:
        election = read_election(args.file)
    except ReplayError as error:
        print(f"cts replay: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cts-replay-") as temporary:
        folder: Path = args.var or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "replay.sqlite3"
        database.unlink(missing_ok=True)
        # The replay reads state at the head only (its audit starts from the manifest's block).
        node = LocalNode(kind=args.node, log_path=folder / "chain.log", recent_states=RECENT_STATES)
        try:
            node.start()
        except LocalNodeError as error:
            print(f"cts replay: cannot start the chain: {error}", file=sys.stderr)
            return 1
        try:
            print(
                f"cts replay: {args.file.name} ({len(election.ballots)} voters, {len(election.projects)} "
                f"projects) on a local {args.node} chain at {node.url}, through the relayer"
            )
            w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 120}))
            shared = deploy_shared(Sender(w3, w3.eth.accounts[0]))
            settings = replay_settings(folder, node.url)
            upgrade_database(settings.database_url)
            result = replay_election(
                settings,
                Sender(w3, w3.eth.accounts[0]),
                shared,
                election,
                rule=ALLOCATION_RULES[args.rule],
                progress=progress,
                say=lambda line: print(f"  {line}"),
            )
            print()
            print("\n".join(report_lines(result)))
            print()
            print(f"cts audit of the hromada (chain data only, manifest {settings.manifest_path}):")
            try:
                with RpcClient(node.url) as client:
                    audit = run_audit(client, str(settings.manifest_path), progress=progress)
            except AuditError as error:
                print(f"cts replay: the audit could not run: {error}", file=sys.stderr)
                return 1
            print(format_summary(audit))
        except ReplayError as error:
            print(f"cts replay: {error}", file=sys.stderr)
            return 1
        finally:
            node.stop()
    if not result.matches:
        print("cts replay: the chain's tallies differ from the file", file=sys.stderr)
        return 1
    return 0 if audit.ok else 1


def replay_settings(folder: Path, rpc_url: str) -> Settings:
    """A relayer for a replay on a local chain: development sponsors, and limits sized for a whole election
    sent by one council (the limits that protect a live service from one resident do not apply here)."""
    return Settings(
        environment="development",
        database_url=f"sqlite:///{folder / 'replay.sqlite3'}",
        master_key=SecretStr(secrets.token_urlsafe(32)),
        manifest_path=folder / "manifest.json",
        rpc_url=rpc_url,
        var_dir=folder,
        relayer_sponsor_keys=SecretStr(",".join(dev_key(i) for i in REPLAY_SPONSORS)),
        relayer_poll_seconds=0.02,
        relayer_resubmit_after_seconds=10,
        relayer_actions_per_window=1_000_000,
        relayer_daily_gas_budget=10**12,
        relayer_staff_actions_per_window=1_000_000,
        relayer_staff_daily_gas_budget=10**15,
        # Voters never sign in (random passwords): hashing them at the interactive cost would take minutes.
        password_hash_time_cost=1,
        password_hash_memory_kib=8,
        password_hash_parallelism=1,
    )
