"""Gas of CTS's key calls, beside a plain OpenZeppelin ERC-20 measured in the same run.

    .venv/bin/python benchmarks/gas.py --node anvil     (`make bench` runs it on Anvil and on Ganache)

Prints a table and writes it to docs/benchmarks/gas-<node>.md. Gas depends on the compiler and the EVM
version, not on the machine, so the two chains should agree; a column compares with the baseline.

Each action's cost in hryvnias, and a pilot cycle's (854 residents, 901 cases, one round), at the gas
prices and the ETH rate given (stated in the page): what a council would pay on an L2 and on Ethereum
mainnet, before it chooses a chain.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3

from cts.chain.client import HromadaHandles, Sender, contract_at
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.forwarder import ForwarderDomain, ForwardRequest
from cts.chain.localnode import LocalNode

DAY = 86_400
ROOT = Path(__file__).resolve().parents[1]
# The second pilot cycle (../shared/DESIGN.md): residents registered, useful cases, one round.
PILOT_RESIDENTS = 854
PILOT_CASES = 901


@dataclass(frozen=True)
class Prices:
    """Gas prices (gwei) and the rate of ETH in hryvnias that turn gas into money; stated on the page."""

    l2_gwei: float
    mainnet_gwei: float
    eth_uah: float

    def uah(self, gas: int, gwei: float) -> float:
        return gas * gwei * 1e-9 * self.eth_uah

    def cells(self, gas: int, strong: bool = False) -> str:
        mark = "**" if strong else ""
        l2, mainnet = self.uah(gas, self.l2_gwei), self.uah(gas, self.mainnet_gwei)
        return f"{mark}{l2:,.4f}{mark} | {mark}{mainnet:,.2f}{mark}"


def h(label: str) -> bytes:
    return keccak(text=label)


class Bench:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.accounts = list(w3.eth.accounts)
        self.rows: list[tuple[str, str, int, int | None]] = []

    def sender(self, index: int) -> Sender:
        return Sender(self.w3, self.accounts[index])

    def gas(self, sender: Sender, call: Any) -> int:
        receipt = sender.send(call)
        assert not isinstance(receipt, bytes)
        return int(receipt["gasUsed"])

    def add(self, section: str, name: str, gas: int, items: int | None = None) -> None:
        self.rows.append((section, name, gas, items))
        per = f" ({gas // items:,} each)" if items else ""
        print(f"  {name:<62} {gas:>12,}{per}")

    def travel(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def forwarded(bench: Bench, forwarder: Any, key: LocalAccount, function: Any) -> tuple[Any, ...]:
    request = ForwardRequest(
        sender=key.address,
        to=function.address,
        data=bytes.fromhex(function._encode_transaction_data()[2:]),
        gas=400_000,
        nonce=forwarder.functions.nonces(key.address).call(),
        deadline=bench.now() + DAY,
    )
    return request.as_request_data(request.sign(ForwarderDomain.of(forwarder), key.key))


def community(bench: Bench, deployer: Sender, manifest: Any) -> None:
    council, verifier, relayer = bench.sender(0), bench.sender(3), bench.sender(10)
    section = "community"
    before = bench.w3.eth.block_number
    hromada: HromadaHandles = onboard(
        deployer, manifest, HromadaSpec("bench", "Bench", council.address, council.address)
    )
    onboarding = bench.w3.eth.get_block(before + 1, full_transactions=True)["transactions"][0]
    bench.add(
        section,
        "onboard a hromada (7 clones, wired, roles granted)",
        int(bench.w3.eth.get_transaction_receipt(onboarding["hash"])["gasUsed"]),
    )
    forwarder = contract_at(bench.w3, "CTSForwarder", manifest.forwarder)
    council.send(hromada.fund.functions.deposit(10**12, 0, h("donor"), h("receipt")))
    keys = [Account.from_key(keccak(text=f"bench-resident-{i}")) for i in range(110)]
    bench.add(
        section,
        "add a resident",
        bench.gas(council, hromada.registry.functions.addResident(keys[0].address, h("id-0"))),
    )
    gas = bench.gas(
        council,
        hromada.registry.functions.addResidents(
            [k.address for k in keys[1:51]], [h(f"id-{i}") for i in range(1, 51)]
        ),
    )
    bench.add(section, "add 50 residents in one call", gas, 50)
    council.send(
        hromada.registry.functions.addResidents(
            [k.address for k in keys[51:]], [h(f"id-{i}") for i in range(51, 110)]
        )
    )
    now = bench.now()
    council.send(
        hromada.cases.functions.createProgramme(
            ("Bench", h("bench"), 2, 40_000, 100_000, 100, now, now + 30 * DAY, 1, [verifier.address])
        )
    )
    payer = bench.sender(11)
    bench.w3.eth.send_transaction({"from": payer.address, "to": keys[0].address, "value": 10**18})
    direct = Sender.from_key(bench.w3, keys[0].key)
    bench.add(
        section,
        "submit a case (the resident pays)",
        bench.gas(direct, hromada.cases.functions.submitCase(1, h("case-0"))),
    )
    request = forwarded(bench, forwarder, keys[1], hromada.cases.functions.submitCase(1, h("case-1")))
    bench.add(
        section,
        "submit a case through the forwarder (relayer pays)",
        bench.gas(relayer, forwarder.functions.execute(request)),
    )
    bench.add(
        section,
        "approve the first case (first write of every figure)",
        bench.gas(verifier, hromada.cases.functions.approveCase(1)),
    )
    bench.add(
        section,
        "approve one case (quorum 1: mints the reward)",
        bench.gas(verifier, hromada.cases.functions.approveCase(2)),
    )
    zero = "0x" + "00" * 20
    requests = [
        forwarded(bench, forwarder, keys[i], hromada.cases.functions.submitCase(1, h(f"case-{i}")))
        for i in range(2, 52)
    ]
    gas = bench.gas(relayer, forwarder.functions.executeBatch(requests, zero))
    bench.add(section, "50 residents' cases in one executeBatch", gas, 50)
    first = hromada.cases.functions.caseCount().call() - 49
    gas = bench.gas(verifier, hromada.cases.functions.approveCases(list(range(first, first + 50))))
    bench.add(section, "approve a batch of 50 cases", gas, 50)


def vote(bench: Bench, deployer: Sender, manifest: Any) -> None:
    council, verifier = bench.sender(0), bench.sender(3)
    section = "vote"
    hromada = onboard(
        deployer, manifest, HromadaSpec("bench-vote", "Bench vote", council.address, council.address)
    )
    council.send(hromada.fund.functions.deposit(10**15, 0, h("donor"), h("receipt")))
    voters = [bench.sender(i) for i in range(8, 20)]
    council.send(
        hromada.registry.functions.addResidents([v.address for v in voters], [h(f"v-{i}") for i in range(12)])
    )
    now = bench.now()
    council.send(
        hromada.cases.functions.createProgramme(
            ("RV", h("rv"), 1000, 1, 1_000_000, 2000, now, now + 300 * DAY, 1, [verifier.address])
        )
    )
    for i, voter in enumerate(voters):
        voter.send(hromada.cases.functions.submitCase(1, h(f"rv-{i}")))
    verifier.send(hromada.cases.functions.approveCases(list(range(1, 13))))
    functions = hromada.vote.functions

    def open_round(projects: int, rule: int) -> int:
        now = bench.now()
        council.send(
            functions.createRound(
                (
                    10**9,
                    now,
                    now + DAY,
                    now + 2 * DAY,
                    now + 9 * DAY,
                    projects,
                    h(f"r{projects}{rule}"),
                    (rule, 1, projects, 0, False),
                )
            )
        )
        round_id = int(functions.roundCount().call())
        for p in range(projects):
            voters[p % 12].send(
                functions.pitchProject(round_id, 1_000_000 + p * 1_000, h(f"p{round_id}-{p}"), 0)
            )
        bench.travel(DAY + 1)
        for p in range(1, projects + 1):
            council.send(functions.screenProject(round_id, p, True, 0))
        bench.travel(DAY + 1)
        return round_id

    round_id = open_round(10, 0)
    for size, voter in ((1, voters[0]), (3, voters[1]), (10, voters[2])):
        gas = bench.gas(voter, functions.castBallot(round_id, list(range(1, size + 1)), [5] * size))
        bench.add(section, f"first ballot over {size} project{'s' if size > 1 else ''}", gas)
    bench.add(
        section,
        "revise a 3-project ballot (credits change on all three)",
        bench.gas(voters[1], functions.castBallot(round_id, [1, 2, 3], [7, 2, 5])),
    )
    bench.add(
        section,
        "revise a 3-project ballot into 2 other projects",
        bench.gas(voters[1], functions.castBallot(round_id, [4, 5], [3, 3])),
    )
    maximum = int(functions.MAX_PROJECTS().call())
    for projects in (10, 50, maximum):
        for rule, name in ((0, "quadratic funding"), (1, "proportional to weight"), (2, "greedy by weight")):
            rid = round_id if (projects, rule) == (10, 0) else open_round(projects, rule)
            for voter in voters[3:]:
                voter.send(functions.castBallot(rid, list(range(1, projects + 1)), [1] * projects))
            bench.travel(8 * DAY)
            bench.add(
                section, f"finalise {projects} projects, {name}", bench.gas(council, functions.finalise(rid))
            )


def pilot_cycle(bench: Bench, prices: Prices) -> list[str]:
    """A pilot cycle's gas from the measured rows: its steps as the service sends them (batches of 50, cases
    through the forwarder), every resident casting one ballot over three projects, one finalisation."""
    per_item = {name: gas // items if items else gas for _, name, gas, items in bench.rows}
    steps = [
        ("onboard the hromada", 1, per_item["onboard a hromada (7 clones, wired, roles granted)"]),
        ("register the residents, 50 per call", PILOT_RESIDENTS, per_item["add 50 residents in one call"]),
        ("their cases, sent 50 per batch", PILOT_CASES, per_item["50 residents' cases in one executeBatch"]),
        ("approve the cases, 50 per call", PILOT_CASES, per_item["approve a batch of 50 cases"]),
        (
            "every resident's ballot over 3 projects",
            PILOT_RESIDENTS,
            per_item["first ballot over 3 projects"],
        ),
        ("finalise the round (10 projects)", 1, per_item["finalise 10 projects, quadratic funding"]),
    ]
    lines = [
        "## A pilot cycle",
        "",
        f"{PILOT_RESIDENTS} residents, {PILOT_CASES} useful cases and one round (the second pilot cycle),",
        "each step at the gas measured above.",
        "",
        "| step | times | gas | UAH, L2 | UAH, mainnet |",
        "|---|---:|---:|---:|---:|",
    ]
    total = 0
    for name, times, gas in steps:
        total += times * gas
        lines.append(f"| {name} | {times:,} | {times * gas:,} | {prices.cells(times * gas)} |")
    lines += [f"| **the whole cycle** | | **{total:,}** | {prices.cells(total, strong=True)} |", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node", choices=["anvil", "ganache"], default="anvil")
    parser.add_argument(
        "--l2-gwei", type=float, default=0.01, help="an L2's gas price, gwei (default 0.01, as on Base)"
    )
    parser.add_argument("--mainnet-gwei", type=float, default=5.0, help="Ethereum's gas price (default 5)")
    parser.add_argument("--eth-uah", type=float, default=150_000.0, help="hryvnias per ETH (default 150,000)")
    args = parser.parse_args()
    prices = Prices(args.l2_gwei, args.mainnet_gwei, args.eth_uah)
    with LocalNode(kind=args.node) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 120}))
        bench = Bench(w3)
        deployer = bench.sender(0)
        plain_artifact = ROOT / "build" / "contracts" / "PlainERC20.json"
        assert plain_artifact.exists(), "run `make setup` (brownie compile) first"
        plain = deployer.deploy("PlainERC20")
        mint = bench.gas(deployer, plain.functions.mint(bench.accounts[15], 1))
        deployer.send(plain.functions.mint(bench.accounts[0], 10))
        transfer = bench.gas(deployer, plain.functions.transfer(bench.accounts[16], 1))
        print(
            f"baselines: plain OpenZeppelin ERC-20 mint to a new holder {mint:,} gas; "
            f"transfer to a new holder {transfer:,}"
        )
        manifest = deploy_shared(deployer)
        print("community contracts:")
        community(bench, deployer, manifest)
        print("balanced vote:")
        vote(bench, deployer, manifest)
        version = w3.client_version
    lines = [
        f"# Gas on {args.node} ({version})",
        "",
        "Measured by `benchmarks/gas.py` (`make bench`). Baselines measured in the same run: a plain",
        f"OpenZeppelin ERC-20 **mint to a new holder: {mint:,} gas**;",
        f"**transfer to a new holder: {transfer:,} gas**.",
        "",
        f"In hryvnias: at **{prices.l2_gwei:g} gwei** on an L2 and **{prices.mainnet_gwei:g} gwei** on",
        f"Ethereum mainnet, with ETH at **{prices.eth_uah:,.0f} UAH** (`--l2-gwei`, `--mainnet-gwei`,",
        "`--eth-uah`). Prices move: these are stated, not measured. An L2 also charges for posting the",
        "transaction's data to Ethereum, which depends on that day's blob price and is not in the L2 column.",
        "",
    ]
    for section, title, baseline, label in (
        ("community", "Community contracts", mint, "ERC-20 mints"),
        ("vote", "Balanced vote", transfer, "ERC-20 transfers"),
    ):
        lines += [
            f"## {title}",
            "",
            f"| call | gas | per item | in {label} | UAH per item, L2 | UAH per item, mainnet |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row_section, name, gas, items in bench.rows:
            if row_section != section:
                continue
            per = gas // items if items else None
            lines.append(
                f"| {name} | {gas:,} | {f'{per:,}' if per else ''} | {(per or gas) / baseline:.1f} | "
                f"{prices.cells(per or gas)} |"
            )
        lines.append("")
    lines += pilot_cycle(bench, prices)
    out = ROOT / "docs" / "benchmarks" / f"gas-{args.node}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
