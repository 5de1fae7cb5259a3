"""Benchmark of `cts audit`: one round with 40,000 voters on a local Anvil.

    .venv/bin/python benchmarks/audit_bench.py [--voters 40000] [--projects 20] [--json OUT]

The history is generated the way a hromada would make it, in batches:
- the registrar registers the residents with `ResidentRegistry.addResidents`, 200 at a time;
- a coordinator records one useful case per resident (`recordCase`; the residents are offline), the
  transactions sent in JSON-RPC batches and mined 500 at a time (automine off, then `evm_mine`);
- a verifier approves them with `approveCases` batches: each approval mints the programme's reward;
- residents pitch projects and cast their ballots as EIP-712 ForwardRequests signed with their own
  generated keys, submitted by a sponsor in `executeBatch` batches; some residents revise their ballot,
  some withdraw it; then anyone finalises.

Then it times `cts audit` on the hromada (in a child process, whose peak resident memory it reads from
getrusage) beside baselines measured in the same run: generating the history, and raw eth_getLogs scans of
the same block range with the same pagination but no decoding (the cost of reading the logs at all), one
range at a time (the baseline of the target) and with the audit's ranges in flight at once. Signing runs
in one process per CPU. Writes docs/benchmarks/audit-anvil.md (--out elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from replay import peak_kib  # benchmarks/replay.py, beside this script
from web3 import HTTPProvider, Web3

from cts.audit.rpc import RpcClient
from cts.audit.scan import DEFAULT_CHUNK, DEFAULT_WORKERS, ScanStats, scan_logs
from cts.chain.client import HromadaHandles, Sender, contract_at
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.forwarder import ForwarderDomain, ForwardRequest
from cts.chain.localnode import LocalNode

DAY = 24 * 60 * 60
REWARD_RV = 4
CASE_VALUE_KOPIYKY = 20_000
REGISTRATION_BATCH = 200
CASE_SEND_BATCH = 500
APPROVAL_BATCH = 120
BALLOT_REQUEST_GAS = 400_000
BALLOT_BATCH = 100
TX_GAS = 29_000_000
GAS_PRICE = 2 * 10**9
REVISING_SHARE = 0.04
WITHDRAWING_SHARE = 0.01
QUADRATIC = 0
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
EXECUTED_FORWARD_REQUEST = "0x" + keccak(text="ExecutedForwardRequest(address,uint256,bool)").hex()


def h(label: str) -> bytes:
    return keccak(text=label)


def say(text: str) -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------------------------- keys and signing


def resident_key(i: int) -> bytes:
    return keccak(text=f"cts-audit-bench-resident-{i}")


def _times_generator(scalar: int) -> tuple[int, int]:
    """scalar x G on secp256k1, by OpenSSL (through `cryptography`): far quicker than pure Python."""
    numbers = ec.derive_private_key(scalar, ec.SECP256K1()).public_key().public_numbers()
    return numbers.x, numbers.y


def address_of(key: bytes) -> str:
    x, y = _times_generator(int.from_bytes(key, "big"))
    return str(to_checksum_address(keccak(x.to_bytes(32, "big") + y.to_bytes(32, "big"))[12:]))


def addresses_of(keys: Sequence[bytes]) -> list[str]:
    return [address_of(key) for key in keys]


def sign_digest(digest: bytes, key: bytes) -> bytes:
    """A 65-byte (r, s, v) ECDSA signature with a low s, as OpenZeppelin's ECDSA.recover wants it.

    The nonce k is derived from the key and the digest (unique per message, secret with the key); R = kG
    comes from OpenSSL, and its y parity gives the recovery id v.
    """
    d = int.from_bytes(key, "big")
    k = int.from_bytes(keccak(key + digest), "big") % SECP256K1_ORDER or 1
    x, y = _times_generator(k)
    r = x % SECP256K1_ORDER
    s = pow(k, -1, SECP256K1_ORDER) * (int.from_bytes(digest, "big") + r * d) % SECP256K1_ORDER
    v = (y & 1) | (2 if x >= SECP256K1_ORDER else 0)
    if s > SECP256K1_ORDER // 2:
        s, v = SECP256K1_ORDER - s, v ^ 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + v])


def sign_digests(jobs: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
    return [sign_digest(digest, key) for digest, key in jobs]


def in_processes(
    function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any], processes: int
) -> list[Any]:
    """`function` over slices of `items` in worker processes, results in order."""
    if not items:
        return []
    size = max(1, len(items) // (processes * 8))
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return [result for part in pool.map(function, parts) for result in part]


def cached_addresses(keys: Sequence[bytes], processes: int) -> list[str]:
    """The residents' addresses, kept in the temporary directory: the keys are the same on every run."""
    cache = Path(tempfile.gettempdir()) / "cts-audit-bench-addresses.json"
    known: list[str] = json.loads(cache.read_text()) if cache.exists() else []
    if len(known) < len(keys):
        known += in_processes(addresses_of, keys[len(known) :], processes)
        cache.write_text(json.dumps(known))
    return known[: len(keys)]


def calldata(signature: str, *args: Any) -> bytes:
    """Calldata by eth_abi directly: web3's contract encoding costs milliseconds per call."""
    types = signature[signature.index("(") + 1 : -1]
    return keccak(text=signature)[:4] + abi_encode(_split_types(types), list(args))


def _split_types(types: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in types:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += char == "("
        depth -= char == ")"
        current += char
    return parts + ([current] if current else [])


# ---------------------------------------------------------------------------------------- the node


class BenchNode(LocalNode):
    """Anvil with a base fee of zero: the benchmark's full blocks would otherwise raise it block after
    block (EIP-1559) until the senders' balances no longer cover a batch."""

    def command(self) -> list[str]:
        return [*super().command(), "--block-base-fee-per-gas", "0"]


# States of recent blocks the benchmark's Anvil keeps (LocalNode.recent_states): with the default 500 copies
# of a 40,000-resident state, Anvil outgrew 24 GiB. The audit is told where the hromada starts (--from-block),
# as a manifest would, since the bisection for its first block needs old states.
RECENT_STATES = 64


# One connection for the generator's own requests (a new client per request costs milliseconds).
_HTTP = httpx.Client(timeout=600)


def rpc(url: str, method: str, params: list[Any]) -> Any:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    try:
        answer = _HTTP.post(url, json=payload).json()
    except httpx.TransportError:
        # Anvil at times drops a kept-alive connection after a long block (seen on receipts after 20,000
        # ballots): a read is asked again on a new connection; a send is not (it may have gone through).
        if method == "eth_sendTransaction":
            raise
        answer = _HTTP.post(url, json=payload).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer.get("result")


def rpc_batch(url: str, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    answers = sorted(_HTTP.post(url, json=payload).json(), key=lambda a: a["id"])
    errors = [a["error"] for a in answers if "error" in a]
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(calls)} requests failed, first: {errors[0]}")
    return [a.get("result") for a in answers]


def travel(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def send_one(url: str, sender: str, to: str, data: bytes, gas: int = TX_GAS) -> dict[str, Any]:
    """One transaction from a node-unlocked account, by raw JSON-RPC; its receipt (which must succeed)."""
    tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(gas), "gasPrice": hex(GAS_PRICE)}
    tx_hash = rpc(url, "eth_sendTransaction", [tx])
    receipt = rpc(url, "eth_getTransactionReceipt", [tx_hash])
    while receipt is None:  # automine answers at once; a short wait leaves the CPU to the node otherwise
        time.sleep(0.01)
        receipt = rpc(url, "eth_getTransactionReceipt", [tx_hash])
    if int(receipt["status"], 16) != 1:
        raise RuntimeError(f"transaction {tx_hash} to {to} reverted")
    return dict(receipt)


def send_mined_in_bulk(url: str, sender: str, calls: Sequence[tuple[str, bytes, int]], nonce: int) -> None:
    """Send many transactions from a node-unlocked account in JSON-RPC batches, mining them in bulk."""
    rpc(url, "evm_setAutomine", [False])
    try:
        for start in range(0, len(calls), CASE_SEND_BATCH):
            part = calls[start : start + CASE_SEND_BATCH]
            transactions = [
                (
                    "eth_sendTransaction",
                    [
                        {
                            "from": sender,
                            "to": to,
                            "data": "0x" + data.hex(),
                            "gas": hex(gas),
                            "gasPrice": hex(GAS_PRICE),
                            "nonce": hex(nonce + k),
                        }
                    ],
                )
                for k, (to, data, gas) in enumerate(part)
            ]
            hashes = rpc_batch(url, transactions)
            nonce += len(part)
            while int(rpc(url, "txpool_status", [])["pending"], 16) > 0:
                rpc(url, "evm_mine", [])
            receipts = rpc_batch(url, [("eth_getTransactionReceipt", [tx]) for tx in hashes])
            failed = [r["transactionHash"] for r in receipts if int(r["status"], 16) != 1]
            if failed:
                raise RuntimeError(f"{len(failed)} transactions failed, first {failed[0]}")
    finally:
        rpc(url, "evm_setAutomine", [True])


# ---------------------------------------------------------------------------------------- the history


@dataclass
class Generated:
    handles: HromadaHandles
    first_block: int
    last_block: int
    voters: int
    ballots_cast: int
    revisions: int
    withdrawals: int
    phases: dict[str, float] = field(default_factory=dict)


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, action: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = action()
        self.seconds[name] = time.perf_counter() - started
        say(f"  {name}: {self.seconds[name]:.1f} s")
        return result


def generate(w3: Web3, url: str, voters: int, project_count: int, seed: int, processes: int) -> Generated:
    rng = random.Random(seed)
    phases = Phases()
    accounts = w3.eth.accounts
    council, registrar, verifier, sponsor = (accounts[i] for i in (0, 1, 2, 10))
    deployer = Sender(w3, council)
    manifest = deploy_shared(deployer)
    spec = HromadaSpec(key="bench", name="Benchmark Hromada", council=council, registrar=registrar)
    handles = onboard(deployer, manifest, spec)
    first_block = handles.entry.block or 0
    fund, cases, vote, registry = (
        handles.fund.address,
        handles.cases.address,
        handles.vote.address,
        handles.registry.address,
    )
    forwarder = manifest.forwarder
    domain = ForwarderDomain.of(contract_at(w3, "CTSForwarder", forwarder))

    keys = [resident_key(i) for i in range(voters)]
    addresses = phases.run("resident keys and addresses", lambda: cached_addresses(keys, processes))
    assert addresses[:3] == [Account.from_key(k).address for k in keys[:3]]

    def capital_and_programme() -> None:
        cap = REWARD_RV * voters
        send_one(
            url,
            council,
            fund,
            calldata(
                "deposit(uint256,uint8,bytes32,bytes32)",
                2 * cap * 5_000,
                0,
                h("bench-donor"),
                h("bench-receipt"),
            ),
        )
        start = now(w3)
        params = (
            "Help displaced families",
            h("bench-programme"),
            REWARD_RV,
            CASE_VALUE_KOPIYKY,
            cap,
            REWARD_RV,
            start,
            start + 365 * DAY,
            1,
            [verifier],
        )
        signature = (
            "createProgramme((string,bytes32,uint64,uint128,uint64,uint64,uint40,uint40,uint8,address[]))"
        )
        send_one(url, council, cases, calldata(signature, params))

    phases.run("capital and programme", capital_and_programme)

    def register() -> None:
        for start in range(0, voters, REGISTRATION_BATCH):
            part = addresses[start : start + REGISTRATION_BATCH]
            identities = [h(f"bench-identity-{start + i}") for i in range(len(part))]
            send_one(
                url, registrar, registry, calldata("addResidents(address[],bytes32[])", part, identities)
            )

    phases.run("registration (addResidents batches)", register)

    def record_cases() -> None:
        calls = [
            (cases, calldata("recordCase(uint256,address,bytes32)", 1, a, h(f"bench-evidence-{i}")), 250_000)
            for i, a in enumerate(addresses)
        ]
        send_mined_in_bulk(url, council, calls, w3.eth.get_transaction_count(council))
        assert handles.cases.functions.caseCount().call() == voters

    phases.run("cases recorded by a coordinator (mined in bulk)", record_cases)

    def approve() -> None:
        for start in range(1, voters + 1, APPROVAL_BATCH):
            ids = list(range(start, min(start + APPROVAL_BATCH, voters + 1)))
            send_one(url, verifier, cases, calldata("approveCases(uint256[])", ids))
        assert handles.token.functions.totalSupply().call() == REWARD_RV * voters

    phases.run("approvals (approveCases batches)", approve)

    nonces = [0] * voters
    deadline = now(w3) + 60 * DAY

    def requests(jobs: Sequence[tuple[int, bytes, int]]) -> list[tuple[Any, ...]]:
        """ForwardRequestData for (resident index, calldata to the vote contract, gas), signed in workers."""
        prepared = []
        for index, data, gas in jobs:
            nonce = nonces[index]
            nonces[index] += 1
            prepared.append(
                (
                    index,
                    data,
                    gas,
                    ForwardRequest(addresses[index], vote, data, gas, nonce, deadline).digest(domain),
                )
            )
        signatures = in_processes(
            sign_digests, [(digest, keys[i]) for i, _, _, digest in prepared], processes
        )
        return [
            (addresses[index], vote, 0, gas, deadline, data, signature)
            for (index, data, gas, _), signature in zip(prepared, signatures, strict=True)
        ]

    # The fast path signs ForwardRequest.digest with its own signer: check it against the project's recovery.
    probe = ForwardRequest(addresses[0], vote, b"\x01\x02", 100, 7, deadline)
    probe_signature = sign_digest(probe.digest(domain), keys[0])
    assert probe.recover_signer(domain, probe_signature) == addresses[0]

    def submit(batch_requests: Sequence[tuple[Any, ...]], size: int) -> None:
        """executeBatch in batches. The forwarder reverts a batch for an invalid request, but only reports
        a call that reverted (ExecutedForwardRequest with success false): that fails the benchmark."""
        zero = "0x" + "00" * 20
        signature = "executeBatch((address,address,uint256,uint256,uint48,bytes,bytes)[],address)"
        for start in range(0, len(batch_requests), size):
            part = list(batch_requests[start : start + size])
            receipt = send_one(url, sponsor, forwarder, calldata(signature, part, zero))
            outcomes = [
                log["data"] for log in receipt["logs"] if log["topics"][0] == EXECUTED_FORWARD_REQUEST
            ]
            failed = sum(1 for data in outcomes if int(data[-64:], 16) != 1)
            if failed or len(outcomes) != len(part):
                raise RuntimeError(
                    f"{failed} of {len(part)} forwarded calls reverted (block {receipt['blockNumber']})"
                )

    def pitch() -> None:
        t = now(w3)
        fund_kopiyky = REWARD_RV * voters * 5_000 // 2
        params = (
            fund_kopiyky,
            t,
            t + DAY,
            t + 2 * DAY,
            t + 10 * DAY,
            project_count,
            h("bench-round"),
            (QUADRATIC, 1, 3, 0, False),
        )
        rules = "(uint8,uint16,uint16,uint64,bool)"
        signature = f"createRound((uint128,uint40,uint40,uint40,uint40,uint16,bytes32,{rules}))"
        send_one(url, council, vote, calldata(signature, params))
        asks = [rng.randrange(fund_kopiyky // 40, fund_kopiyky // 5) for _ in range(project_count)]
        pitches = [
            (
                i,
                calldata(
                    "pitchProject(uint256,uint128,bytes32,uint256)", 1, asks[i], h(f"bench-project-{i}"), 0
                ),
                300_000,
            )
            for i in range(project_count)
        ]
        submit(requests(pitches), project_count)
        travel(w3, DAY + 1)
        for project_id in range(1, project_count + 1):
            send_one(
                url,
                council,
                vote,
                calldata("screenProject(uint256,uint256,bool,uint16)", 1, project_id, True, 0),
            )
        travel(w3, DAY + 1)

    phases.run("round created, projects pitched and screened", pitch)

    def ballot() -> bytes:
        k = rng.choice((1, 2, 3))
        ids = sorted(rng.sample(range(1, project_count + 1), k))
        splits = {1: [[REWARD_RV]], 2: [[1, 3], [2, 2], [3, 1]], 3: [[1, 1, 2], [1, 2, 1], [2, 1, 1]]}
        return calldata("castBallot(uint256,uint256[],uint256[])", 1, ids, rng.choice(splits[k]))

    first = [(i, ballot(), BALLOT_REQUEST_GAS) for i in range(voters)]
    revisers = rng.sample(range(voters), int(voters * REVISING_SHARE))
    withdrawers = rng.sample(sorted(set(range(voters)) - set(revisers)), int(voters * WITHDRAWING_SHARE))
    second = [(i, ballot(), BALLOT_REQUEST_GAS) for i in revisers]
    second += [(i, calldata("withdrawBallot(uint256)", 1), BALLOT_REQUEST_GAS) for i in withdrawers]

    signed = phases.run(
        f"signing {len(first) + len(second):,} ballot requests ({processes} processes)",
        lambda: (requests(first), requests(second)),
    )
    phases.run(
        "ballots submitted (executeBatch batches)",
        lambda: (submit(signed[0], BALLOT_BATCH), submit(signed[1], BALLOT_BATCH)),
    )

    def finalise() -> None:
        travel(w3, 8 * DAY + 1)
        send_one(url, sponsor, vote, calldata("finalise(uint256)", 1))

    phases.run("finalisation", finalise)
    voters_counted = handles.vote.functions.round(1).call()[4]
    assert voters_counted == voters - len(withdrawers), voters_counted
    return Generated(
        handles,
        first_block,
        w3.eth.block_number,
        voters,
        voters + len(revisers),
        len(revisers),
        len(withdrawers),
        phases.seconds,
    )


# ---------------------------------------------------------------------------------------- measuring


def raw_scan(
    url: str, addresses: list[str], first: int, last: int, chunk: int, workers: int
) -> tuple[float, ScanStats]:
    """A baseline: every log of the same range, same pagination, not decoded."""
    stats = ScanStats(first, last)
    started = time.perf_counter()
    with RpcClient(url) as client:
        for _ in scan_logs(client, addresses, first, last, stats, chunk=chunk, workers=workers):
            pass
    return time.perf_counter() - started, stats


def measure_audit_child(url: str, hromada: str, first: int, chunk: int, out: Path) -> dict[str, Any]:
    """Run `cts audit` in a child process that reports its own time and peak memory."""
    command = [sys.executable, __file__, "--measure-audit", url, hromada, str(first), str(chunk), str(out)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"cts audit failed:\n{completed.stdout}\n{completed.stderr}")
    measured: dict[str, Any] = json.loads(completed.stderr.strip().splitlines()[-1])
    measured["summary_tail"] = completed.stdout.strip().splitlines()[-1]
    return measured


def _measure_audit_here(url: str, hromada: str, first: str, chunk: str, out: str) -> int:
    """In the child: run `cts audit` and report wall and CPU seconds and peak resident memory."""
    started = time.perf_counter()
    from cts.cli import main

    where = ["--rpc", url, "--hromada", hromada, "--from-block", first, "--chunk", chunk]
    code = main(["audit", *where, "--quiet", "--json", out])
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    measured = {
        "exit": code,
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }
    print(json.dumps(measured), file=sys.stderr)
    return 0


def table(f: dict[str, Any], cpus: int) -> str:
    """docs/benchmarks/audit-anvil.md: the audit beside the raw log fetch of the same run."""
    raw = f["raw_getlogs_seconds"]
    rows = [
        (
            "history",
            f"{f['voters']:,} voters, {f['projects']} projects, {f['ballot_events']:,} ballot events "
            f"({f['revisions']:,} revisions, {f['withdrawals']:,} withdrawals), {f['blocks']:,} blocks, "
            f"{f['logs']:,} logs",
        ),
        ("baseline: generating the history", f"{f['generation_seconds']:,.1f} s"),
        (
            "baseline: raw eth_getLogs scan, one range at a time, no decoding",
            f"**{raw:,.2f} s** in {f['raw_getlogs_requests']} requests",
        ),
        (
            f"the same scan with {DEFAULT_WORKERS} ranges in flight",
            f"{f['raw_getlogs_parallel_seconds']:,.2f} s",
        ),
        (
            "`cts audit`, the whole command",
            f"{f['audit_command_seconds']:,.2f} s wall, {f['audit_command_cpu_seconds']:,.2f} s CPU, exit "
            f"{f['audit_exit_code']}",
        ),
        (
            "of which the audit proper (`run_audit`)",
            f"**{f['audit_proper_seconds']:,.2f} s = {f['audit_proper_seconds'] / raw:.2f} x the raw scan** "
            "(target 1.5 x)",
        ),
        ("peak resident memory of the audit", f"**{f['audit_peak_rss_mib']:,.0f} MiB** (target 300 MiB)"),
        (
            f"peak resident memory of the node (Anvil, {RECENT_STATES} recent states kept)",
            f"{f['node_peak_rss_mib']:,.0f} MiB",
        ),
        (
            "figures compared, view calls",
            f"{f['audit_figures_compared']:,} through {f['audit_view_calls']:,} views, "
            f"{f['audit_differences']} differences",
        ),
    ]
    lines = [
        "# `cts audit` of one large round on anvil",
        "",
        "Measured by `benchmarks/audit_bench.py` (`make bench`): one run, one local chain, the baselines in "
        "the same run.",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        f"The audit and the node share the machine's cores (`nproc` = {cpus}). The audit reads its log "
        f"ranges {DEFAULT_WORKERS} at a time while it replays the previous ones, and reads its views a few "
        "hundred per eth_call (contracts/audit/ViewBatch.sol, docs/audit.md).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--voters", type=int, default=40_000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="signing processes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--out", type=Path, help="the table (default docs/benchmarks/audit-anvil.md)")
    parser.add_argument("--measure-audit", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_audit:
        return _measure_audit_here(*args.measure_audit)

    say(f"audit benchmark: one round with {args.voters:,} voters and {args.projects} projects on local Anvil")
    with BenchNode(kind="anvil", accounts=20, recent_states=RECENT_STATES) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 600}))
        started = time.perf_counter()
        generated = generate(w3, node.url, args.voters, args.projects, args.seed, args.processes)
        generation = time.perf_counter() - started
        addresses = list(generated.handles.entry.contracts.values())
        first, last = generated.first_block, generated.last_block
        scan_seconds, scan = raw_scan(node.url, addresses, first, last, args.chunk, workers=1)
        parallel_seconds, _ = raw_scan(node.url, addresses, first, last, args.chunk, DEFAULT_WORKERS)
        out = Path(tempfile.gettempdir()) / f"cts-audit-bench-{os.getpid()}.json"
        audit = measure_audit_child(node.url, generated.handles.token.address, first, args.chunk, out)
        report = json.loads(out.read_text())
        out.unlink()
        node_peak_mib = peak_kib(node.process.pid) / 1024 if node.process else 0.0

    figures = {
        "voters": generated.voters,
        "projects": args.projects,
        "ballot_events": generated.ballots_cast + generated.withdrawals,
        "revisions": generated.revisions,
        "withdrawals": generated.withdrawals,
        "blocks": generated.last_block - generated.first_block + 1,
        "logs": scan.logs,
        "generation_seconds": round(generation, 1),
        "generation_phases_seconds": {k: round(v, 1) for k, v in generated.phases.items()},
        "raw_getlogs_seconds": round(scan_seconds, 2),
        "raw_getlogs_requests": scan.requests,
        "raw_getlogs_parallel_seconds": round(parallel_seconds, 2),
        "audit_command_seconds": round(audit["seconds"], 2),
        "audit_command_cpu_seconds": round(audit["cpu_seconds"], 2),
        "audit_proper_seconds": round(report["seconds"], 2),
        "audit_peak_rss_mib": round(audit["peak_rss_mib"], 1),
        "node_peak_rss_mib": round(node_peak_mib, 1),
        "audit_exit_code": audit["exit"],
        "audit_figures_compared": report["checked"],
        "audit_view_calls": report["views_read"],
        "audit_differences": len(report["differences"]),
    }
    say("")
    say(
        f"history: {figures['voters']:,} voters, {figures['ballot_events']:,} ballot events "
        f"({figures['revisions']:,} revisions, {figures['withdrawals']:,} withdrawals), "
        f"{figures['blocks']:,} blocks, {figures['logs']:,} logs"
    )
    say(f"baseline, generating the history:            {generation:8.1f} s")
    say(f"baseline, raw eth_getLogs scan (no decoding): {scan_seconds:8.2f} s in {scan.requests} requests")
    say(
        f"cts audit, the whole command:                 {audit['seconds']:8.2f} s wall, "
        f"{audit['cpu_seconds']:.2f} s CPU, peak RSS {audit['peak_rss_mib']:.0f} MiB, exit {audit['exit']}"
    )
    say(
        f"  of which the audit proper (run_audit):      {report['seconds']:8.2f} s "
        f"({report['seconds'] / scan_seconds:.1f} x the raw scan): {report['checked']:,} figures compared, "
        f"{report['views_read']:,} view calls"
    )
    say(f"  {audit['summary_tail']}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    out = args.out or Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "audit-anvil.md"
    out.write_text(table(figures, os.cpu_count() or 1))
    say(f"written: {out}")
    return 0 if audit["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
