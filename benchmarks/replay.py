"""A real election replayed through the relayer and audited: time, peak memory, disk and gas per voter.

    .venv/bin/python benchmarks/replay.py [FILE.pb] [--node anvil]   (`make bench` runs it on Anvil)

FILE.pb defaults to the largest cumulative election in ../shared/data/pabulib (the Katowice 2020
Osiedle Tysiąclecia file, 4,502 voters; pabulib.org publishes larger ones, such as the 38,903-voter
elections of Warsaw, to pass here). It does what `cts replay` does (backend/cts/election_replay.py): every
voter a resident with a custodial wallet, registered, earning their points in RV through a useful case,
casting their ballot through the relayer's service and worker; then `cts audit` from chain data alone.

Measured, in one run on one local chain: the time of each phase and of the audit; the node's raw sequential
signed-send rate (the baseline: what one transaction per action could reach at best); the relayed actions
per second as a ratio to it; the gas of every block per voter; the peak resident memory of this process
(service, worker, audit) and of the node; the disk the replay wrote (its database and the node's files,
including anything under ~/.foundry/anvil/tmp). The time for a 40,000-voter election is extrapolated from
the time per voter (the phases grow with the voters; the round's fixed steps are a few seconds); `--repeat K`
casts every ballot K times, a larger election with the real file's shape, to see how the time per voter
grows (`make bench` writes docs/benchmarks/replay-<node>.md, replay-anvil-x3.md with K = 3 and
replay-anvil-x9.md with K = 9: 40,518 voters, the issue's 40,000-voter election measured directly).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from relayer import raw_send_rate  # benchmarks/relayer.py, beside this script: the same baseline
from web3 import HTTPProvider, Web3

from cts.audit.audit import run_audit
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.deploy import deploy_shared
from cts.chain.localnode import LocalNode
from cts.core.db import upgrade_database
from cts.election_replay import (
    ALLOCATION_RULES,
    RECENT_STATES,
    Election,
    read_election,
    replay_election,
    replay_settings,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED_PABULIB = ROOT.parent / "shared" / "data" / "pabulib"
DEFAULT_FILE = SHARED_PABULIB / "poland_katowice_2020_osiedle-tysiaclecia.pb"
TARGET_VOTERS = 40_000
TARGET_SECONDS = 600
ANVIL_TMP = Path.home() / ".foundry" / "anvil" / "tmp"


def disk_bytes(path: Path) -> int:
    """Bytes of the files under `path` (0 if it does not exist)."""
    if not path.exists():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def peak_kib(pid: int) -> int:
    """The largest peak resident memory (VmHWM, KiB) of a running process and its descendants (a node started
    through npm's Node.js launcher runs as its child: the launcher alone was once reported, 43 MiB)."""
    peak = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            peak = max(peak, peak_kib(int(child)))
    return peak


def repeated(election: Election, times: int) -> Election:
    """The election with every ballot cast `times` times (by new voters), and the file's official votes and
    score multiplied to match: a larger election with the real one's shape, for the 40,000-voter target when
    no file that large is at hand (`--repeat 9` of Katowice's 4,502 voters is 40,518)."""
    if times == 1:
        return election
    projects = [
        replace(
            p,
            official_votes=None if p.official_votes is None else p.official_votes * times,
            official_score=None if p.official_score is None else p.official_score * times,
        )
        for p in election.projects
    ]
    ballots = {
        f"{voter}-{copy}": ballot for voter, ballot in election.ballots.items() for copy in range(times)
    }
    return replace(election, name=f"{election.name}-x{times}", projects=projects, ballots=ballots)


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a running process and its descendants (a node under npm's launcher too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += cpu_seconds(int(child))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path, nargs="?", default=None, metavar="FILE.pb")
    parser.add_argument("--node", choices=["anvil", "ganache"], default="anvil")
    parser.add_argument("--raw", type=int, default=300, help="sends for the baseline")
    parser.add_argument("--out", type=Path, default=None, help="the table's file (default docs/benchmarks)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="cast every ballot this many times (a larger election)"
    )
    args = parser.parse_args()
    if args.file is None and not DEFAULT_FILE.exists():
        # `make bench` on a clone without ../shared beside it: say where the election comes from.
        print(f"replay benchmark: skipped, {DEFAULT_FILE} is not here (pabulib.org publishes it)")
        return 0
    args.file = args.file or DEFAULT_FILE
    if not args.file.exists():
        print(f"replay benchmark: {args.file} not found (pabulib.org publishes elections)", file=sys.stderr)
        return 2
    election = repeated(read_election(args.file), args.repeat)
    voters = len(election.ballots)
    tmp_before = disk_bytes(ANVIL_TMP)

    with tempfile.TemporaryDirectory(prefix="cts-replay-bench-") as temporary:
        folder = Path(temporary)
        node = LocalNode(kind=args.node, log_path=folder / "chain.log", recent_states=RECENT_STATES).start()
        try:
            w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 120}))
            raw_rate = raw_send_rate(w3, args.raw)
            start_block = w3.eth.block_number
            shared = deploy_shared(Sender(w3, w3.eth.accounts[0]))
            settings = replay_settings(folder, node.url)
            upgrade_database(settings.database_url)
            started = time.perf_counter()
            result = replay_election(
                settings,
                Sender(w3, w3.eth.accounts[0]),
                shared,
                election,
                rule=ALLOCATION_RULES["quadratic"],
                say=lambda line: print(f"  {line}", flush=True),
            )
            replay_seconds = time.perf_counter() - started
            gas = sum(
                int(w3.eth.get_block(number)["gasUsed"])
                for number in range(start_block + 1, w3.eth.block_number + 1)
            )
            audit_started = time.perf_counter()
            with RpcClient(node.url) as client:
                audit = run_audit(client, str(settings.manifest_path))
            audit_seconds = time.perf_counter() - audit_started
            node_peak = peak_kib(node.process.pid) if node.process else 0
            node_cpu = cpu_seconds(node.process.pid) if node.process else 0.0
            written = disk_bytes(folder) + max(0, disk_bytes(ANVIL_TMP) - tmp_before)
        finally:
            node.stop()
    left_behind = max(0, disk_bytes(ANVIL_TMP) - tmp_before)
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_peak, own_cpu = own.ru_maxrss, own.ru_utime + own.ru_stime

    rate = result.actions / replay_seconds
    copies = f" with every ballot cast {args.repeat} times" if args.repeat > 1 else ""
    per_voter = (replay_seconds + audit_seconds) / voters
    lines = [
        f"# A real election replayed through the relayer on {args.node}",
        "",
        "Measured by `benchmarks/replay.py` (`make bench`): one run, one local chain, the baseline first.",
        f"Election: `{args.file.name}`{copies}, "
        f"{voters:,} voters, {len(election.projects)} projects "
        f"(on-chain tallies {'equal' if result.matches else 'DIFFER from'} the file's official votes and "
        f"score; audit {'agrees' if audit.ok else 'DISAGREES'}).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| baseline: node's raw sequential signed sends | {raw_rate:,.1f} tx/s |",
        *(f"| phase: {phase} | {seconds:,.1f} s |" for phase, seconds in result.seconds.items()),
        f"| the replay, all phases | {replay_seconds:,.1f} s |",
        f"| relayed actions | {result.actions:,} |",
        f"| relayed actions per second | {rate:,.1f} /s |",
        f"| ratio to the raw send rate | {rate / raw_rate:.2f} x |",
        f"| `cts audit` of the hromada | {audit_seconds:,.1f} s |",
        f"| gas per voter (every block of the replay) | {gas // voters:,} |",
        f"| CPU: service, worker and audit (this process) | {own_cpu:,.1f} s = "
        f"{own_cpu * 1000 / voters:,.1f} ms per voter |",
        f"| CPU: the {args.node} node | {node_cpu:,.1f} s = {node_cpu * 1000 / voters:,.1f} ms per voter |",
        f"| peak memory: service, worker and audit (this process) | {own_peak / 1024:,.0f} MiB |",
        f"| peak memory: the {args.node} node | {node_peak / 1024:,.0f} MiB |",
        f"| disk written (database, node files) | {written / 2**20:,.1f} MiB |",
        f"| disk left behind under ~/.foundry/anvil/tmp | {left_behind / 2**20:,.1f} MiB |",
        f"| time per voter, replay and audit | {per_voter * 1000:,.1f} ms |",
        f"| extrapolated to {TARGET_VOTERS:,} voters | {per_voter * TARGET_VOTERS / 60:,.1f} min "
        f"(target {TARGET_SECONDS // 60} min) |",
        "",
        "The service, the worker and the node share the machine's cores (`nproc` = "
        f"{os.cpu_count()}). The extrapolation is linear in the voters: every phase but the round's few "
        "fixed steps sends a fixed number of actions per voter. The CPU per voter says whether that holds: "
        "this process's stays flat as the election grows, the node's does not (docs/audit.md, "
        '"Replaying a real election").',
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = args.out or ROOT / "docs" / "benchmarks" / f"replay-{args.node}.md"
    out.write_text(text)
    return 0 if result.matches and audit.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
