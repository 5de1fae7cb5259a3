"""Act out the second pilot cycle on a local chain, then read its figures back from the chain alone.

Who does what, as in a real hromada: the council deposits the donors' capital and creates the programmes;
the registrar registers the residents (in batches); each resident submits their useful case by signing a
ForwardRequest that a sponsor account submits with `executeBatch` (residents never hold gas); verifiers
approve in batches; entrepreneurs apply for loans and pitch them in a balanced-vote round; residents spend
all their RV on ballots (also forwarded); anyone finalises; the round's result approves the loans; the
council records disbursements and repayments.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from cts.chain.client import HromadaHandles, Sender, contract_at
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.forwarder import ForwarderDomain, ForwardRequest
from cts.chain.manifest import Manifest
from cts.pilot.figures import FACE_VALUE_KOPIYKY, HROMADAS, PUBLISHED, PilotHromada, check_breakdown

DAY = 24 * 60 * 60
FORWARD_BATCH = 50
BLOCK_GAS_BUDGET = 29_000_000
APPROVAL_BATCH = 150
REGISTRATION_BATCH = 200
GREEDY_BY_WEIGHT = 2


def _h(label: str) -> bytes:
    return keccak(text=label)


class MeteredSender(Sender):
    """A Sender that counts the transactions and gas of the whole replay."""

    def __init__(self, w3: Web3, account: str, meter: Meter) -> None:
        super().__init__(w3, account)
        self.meter = meter

    def send(self, call: Any, gas: int | None = None, wait: bool = True) -> Any:
        receipt = super().send(call, gas, wait)
        if not isinstance(receipt, bytes):
            self.meter.add(receipt)
        return receipt


@dataclass
class Meter:
    transactions: int = 0
    gas: int = 0

    def add(self, receipt: TxReceipt) -> None:
        self.transactions += 1
        self.gas += int(receipt["gasUsed"])


@dataclass
class Actors:
    """Node-unlocked accounts for the offices; generated keys for residents (who never hold gas)."""

    w3: Web3
    meter: Meter
    councils: list[MeteredSender] = field(default_factory=list)
    registrars: list[MeteredSender] = field(default_factory=list)
    verifiers: list[MeteredSender] = field(default_factory=list)
    sponsor: MeteredSender | None = None

    @classmethod
    def of(cls, w3: Web3, meter: Meter) -> Actors:
        accounts = list(w3.eth.accounts)
        return cls(
            w3,
            meter,
            councils=[MeteredSender(w3, accounts[0], meter), MeteredSender(w3, accounts[2], meter)],
            registrars=[MeteredSender(w3, accounts[1], meter), MeteredSender(w3, accounts[3], meter)],
            verifiers=[MeteredSender(w3, a, meter) for a in accounts[4:8]],
            sponsor=MeteredSender(w3, accounts[10], meter),
        )


def resident_keys(hromada_index: int, count: int) -> list[LocalAccount]:
    return [Account.from_key(keccak(text=f"cts-pilot-{hromada_index}-resident-{i}")) for i in range(count)]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Forwarding:
    """Residents' signed requests, submitted by the sponsor in batches."""

    def __init__(self, w3: Web3, forwarder: Contract, sponsor: MeteredSender) -> None:
        self.w3 = w3
        self.forwarder = forwarder
        self.sponsor = sponsor
        self.domain = ForwarderDomain.of(forwarder)
        self.nonces: dict[str, int] = {}

    def request(self, resident: LocalAccount, call: Any, gas: int = 400_000) -> tuple[Any, ...]:
        nonce = self.nonces.get(resident.address)
        if nonce is None:
            nonce = self.forwarder.functions.nonces(resident.address).call()
        self.nonces[resident.address] = nonce + 1
        deadline = self.w3.eth.get_block("latest")["timestamp"] + DAY
        request = ForwardRequest(
            sender=resident.address,
            to=call.address,
            data=bytes.fromhex(call._encode_transaction_data()[2:]),
            gas=gas,
            nonce=nonce,
            deadline=deadline,
        )
        return request.as_request_data(request.sign(self.domain, resident.key))

    def submit(self, requests: Sequence[tuple[Any, ...]]) -> None:
        # Refund receiver zero: a failing request reverts the whole batch, which the replay wants.
        zero = "0x" + "00" * 20
        for batch in _chunks(list(requests), FORWARD_BATCH):
            # The batch needs each request's gas plus the forwarder's own work; giving it spares the node
            # a gas estimation, which re-executes the whole batch many times.
            gas = min(sum(r[3] for r in batch) + 40_000 * len(batch) + 100_000, BLOCK_GAS_BUDGET)
            self.sponsor.send(self.forwarder.functions.executeBatch(list(batch), zero), gas=gas)


def travel(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def replay_hromada(
    w3: Web3,
    index: int,
    pilot: PilotHromada,
    handles: HromadaHandles,
    actors: Actors,
    forwarding: Forwarding,
    say: Callable[[str], None],
) -> None:
    council, registrar = actors.councils[index], actors.registrars[index]
    verifier = actors.verifiers[index * 2]
    second_verifier = actors.verifiers[index * 2 + 1]
    residents = resident_keys(index, pilot.residents)

    # Capital: exactly what the programmes reserve (their RV cap x face value).
    capital = pilot.token_fund_kopiyky
    council.send(
        handles.fund.functions.deposit(capital, 0, _h(f"{pilot.key}-donor"), _h(f"{pilot.key}-receipt-1"))
    )
    start = now(w3)
    for programme in pilot.programmes:
        cap = programme.cases * programme.reward_rv
        params = (
            programme.title,
            _h(f"{pilot.key}-{programme.title}"),
            programme.reward_rv,
            programme.case_value_kopiyky,
            cap,
            2 * programme.reward_rv,
            start,
            start + 90 * DAY,
            1,
            [verifier.address, second_verifier.address],
        )
        council.send(handles.cases.functions.createProgramme(params))
    say(f"{pilot.name}: capital deposited, {len(pilot.programmes)} programmes created")

    for batch in _chunks(residents, REGISTRATION_BATCH):
        accounts = [r.address for r in batch]
        identities = [_h(f"{pilot.key}-identity-{r.address}") for r in batch]
        registrar.send(handles.registry.functions.addResidents(accounts, identities))
    say(f"{pilot.name}: {len(residents)} residents registered")

    # Cases: case i of the hromada is done by resident i mod residents (some residents do two).
    requests = []
    case_number = 0
    for programme_id, programme in enumerate(pilot.programmes, start=1):
        for _ in range(programme.cases):
            resident = residents[case_number % len(residents)]
            evidence = _h(f"{pilot.key}-evidence-{case_number}")
            requests.append(
                forwarding.request(resident, handles.cases.functions.submitCase(programme_id, evidence))
            )
            case_number += 1
    forwarding.submit(requests)
    first_case = handles.cases.functions.caseCount().call() - case_number + 1
    for batch in _chunks(list(range(first_case, first_case + case_number)), APPROVAL_BATCH):
        verifier.send(handles.cases.functions.approveCases(list(batch)))
    say(f"{pilot.name}: {case_number} useful cases submitted by residents and approved")

    # Entrepreneurs apply for loans; every project is pitched in a round funded with the token fund.
    proposers = residents[: len(pilot.projects)]
    loan_ids: list[int] = []
    for proposer, project in zip(proposers, pilot.projects, strict=True):
        if project.loan:
            half = project.ask_kopiyky // 2
            call = handles.fund.functions.applyForLoan(
                [half, project.ask_kopiyky - half], [30 * DAY, 60 * DAY], _h(f"plan-{project.title}")
            )
            forwarding.submit([forwarding.request(proposer, call)])
            loan_ids.append(handles.fund.functions.loanCount().call())
        else:
            loan_ids.append(0)
    t = now(w3)
    round_params = (
        pilot.token_fund_kopiyky,
        t,
        t + 7 * DAY,
        t + 10 * DAY,
        t + 24 * DAY,
        len(pilot.projects),
        _h(f"{pilot.key}-round"),
        (GREEDY_BY_WEIGHT, 1, len(pilot.projects), 0, False),
    )
    council.send(handles.vote.functions.createRound(round_params))
    round_id = handles.vote.functions.roundCount().call()
    forwarding.submit(
        [
            forwarding.request(
                proposer,
                handles.vote.functions.pitchProject(
                    round_id, project.ask_kopiyky, _h(project.title), loan_id
                ),
            )
            for proposer, project, loan_id in zip(proposers, pilot.projects, loan_ids, strict=True)
        ]
    )
    travel(w3, 7 * DAY + 1)
    for project_id in range(1, len(pilot.projects) + 1):
        council.send(handles.vote.functions.screenProject(round_id, project_id, True, 0))
    travel(w3, 3 * DAY + 1)

    # Every resident spends all their RV: one project if they hold 1 RV, else spread over two.
    ballots = []
    project_count = len(pilot.projects)
    for n, resident in enumerate(residents):
        balance = handles.token.functions.balanceOf(resident.address).call()
        first = n % project_count + 1
        if balance == 1:
            ids, credits = [first], [1]
        else:
            second = first % project_count + 1
            ids, credits = sorted([first, second]), [balance // 2, balance - balance // 2]
            if ids[0] != first:
                credits.reverse()
        ballots.append(
            forwarding.request(resident, handles.vote.functions.castBallot(round_id, ids, credits))
        )
    forwarding.submit(ballots)
    say(f"{pilot.name}: {len(ballots)} ballots cast")
    travel(w3, 14 * DAY + 1)
    actors.sponsor.send(handles.vote.functions.finalise(round_id))  # type: ignore[union-attr]

    # The round's result approves the loans; the council records grants, disbursements, repayments.
    for project_id, (project, loan_id) in enumerate(zip(pilot.projects, loan_ids, strict=True), start=1):
        if project.loan:
            actors.sponsor.send(handles.fund.functions.approveLoanByRound(loan_id, round_id, project_id))  # type: ignore[union-attr]
            council.send(handles.fund.functions.disburseLoan(loan_id, _h(f"{pilot.key}-disbursed-{loan_id}")))
        else:
            council.send(
                handles.fund.functions.payGrant(round_id, project_id, _h(f"{pilot.key}-grant-{project_id}"))
            )
    for instalment in (0, 1):
        travel(w3, 30 * DAY)
        for loan_id in (i for i in loan_ids if i):
            amount = handles.fund.functions.loan(loan_id).call()[10][instalment]
            receipt = _h(f"{pilot.key}-repaid-{loan_id}-{instalment}")
            council.send(handles.fund.functions.recordRepayment(loan_id, amount, receipt))
    say(f"{pilot.name}: round finalised, loans disbursed and repaid")


@dataclass(frozen=True)
class ChainFigures:
    """The pilot report's figures, read from the contracts' state."""

    hromadas: int
    residents: int
    programmes: int
    cases: int
    cases_value_kopiyky: int
    rv_issued: int
    rv_issued_kopiyky: int
    loans: int
    lent_kopiyky: int
    repaid_kopiyky: int
    grants_kopiyky: int
    rv_burned: int
    ledger_balanced: bool

    @property
    def impact_ratio(self) -> str:
        ratio = (self.cases_value_kopiyky + self.rv_issued_kopiyky) / self.rv_issued_kopiyky
        return f"{ratio:.2f}"


def read_figures(w3: Web3, manifest: Manifest) -> ChainFigures:
    totals: Counter[str] = Counter()
    balanced = True
    factory = contract_at(w3, "HromadaFactory", manifest.factory)
    count = factory.functions.hromadaCount().call()
    for hromada_id in range(1, count + 1):
        contracts = factory.functions.hromada(hromada_id).call()[4]
        registry = contract_at(w3, "ResidentRegistry", contracts[0])
        token = contract_at(w3, "RVToken", contracts[1])
        cases = contract_at(w3, "UsefulCaseContract", contracts[2])
        fund = contract_at(w3, "CommunityFund", contracts[4])
        impact = fund.functions.impact(0).call()
        ledger = fund.functions.ledger().call()
        totals["residents"] += registry.functions.residentCount().call()
        totals["programmes"] += cases.functions.programmeCount().call()
        totals["cases"] += impact[1]
        totals["value"] += impact[0]
        totals["rv"] += impact[2]
        totals["rv_kopiyky"] += impact[3]
        totals["lent"] += impact[4]
        totals["repaid"] += impact[5]
        totals["grants"] += impact[7]
        totals["loans"] += sum(
            1
            for loan_id in range(1, fund.functions.loanCount().call() + 1)
            if fund.functions.loan(loan_id).call()[4]
        )
        totals["burned"] += token.functions.totalBurned().call()
        balanced = balanced and ledger[0] == sum(ledger[1:])
    return ChainFigures(
        hromadas=count,
        residents=totals["residents"],
        programmes=totals["programmes"],
        cases=totals["cases"],
        cases_value_kopiyky=totals["value"],
        rv_issued=totals["rv"],
        rv_issued_kopiyky=totals["rv_kopiyky"],
        loans=totals["loans"],
        lent_kopiyky=totals["lent"],
        repaid_kopiyky=totals["repaid"],
        grants_kopiyky=totals["grants"],
        rv_burned=totals["burned"],
        ledger_balanced=balanced,
    )


@dataclass(frozen=True)
class PilotResult:
    figures: ChainFigures
    seconds: float
    transactions: int
    gas: int
    manifest: Manifest


def run_pilot(w3: Web3, say: Callable[[str], None] = print) -> PilotResult:
    check_breakdown()
    started = time.perf_counter()
    meter = Meter()
    actors = Actors.of(w3, meter)
    deployer = MeteredSender(w3, w3.eth.accounts[0], meter)
    manifest = deploy_shared(deployer)
    say(f"shared contracts deployed (factory {manifest.factory})")
    forwarding = Forwarding(w3, contract_at(w3, "CTSForwarder", manifest.forwarder), actors.sponsor)  # type: ignore[arg-type]
    for index, pilot in enumerate(HROMADAS):
        spec = HromadaSpec(
            key=pilot.key,
            name=pilot.name,
            council=actors.councils[index].address,
            registrar=actors.registrars[index].address,
            face_value_kopiyky=FACE_VALUE_KOPIYKY,
            token_symbol=f"RV-{pilot.key[-1].upper()}",
        )
        handles = onboard(deployer, manifest, spec)
        replay_hromada(w3, index, pilot, handles, actors, forwarding, say)
    seconds = time.perf_counter() - started
    return PilotResult(read_figures(w3, manifest), seconds, meter.transactions, meter.gas, manifest)


def _uah(kopiyky: int) -> str:
    return f"{kopiyky // 100:,}.{kopiyky % 100:02d}"


def report_lines(result: PilotResult) -> tuple[list[str], bool]:
    """The comparison table, and whether every figure matches the published one."""
    f = result.figures
    rows = [
        ("hromadas", str(f.hromadas), str(PUBLISHED["hromadas"]), f.hromadas == PUBLISHED["hromadas"]),
        (
            "residents",
            f"{f.residents:,}",
            f"{PUBLISHED['residents']:,}",
            f.residents == PUBLISHED["residents"],
        ),
        (
            "programmes",
            str(f.programmes),
            str(PUBLISHED["programmes"]),
            f.programmes == PUBLISHED["programmes"],
        ),
        ("useful cases", f"{f.cases:,}", f"{PUBLISHED['cases']:,}", f.cases == PUBLISHED["cases"]),
        (
            "value of cases, UAH",
            _uah(f.cases_value_kopiyky),
            _uah(int(PUBLISHED["cases_value_kopiyky"])),
            f.cases_value_kopiyky == PUBLISHED["cases_value_kopiyky"],
        ),
        (
            "RV issued",
            f"{f.rv_issued:,}",
            f"{PUBLISHED['rv_issued']:,}",
            f.rv_issued == PUBLISHED["rv_issued"],
        ),
        (
            "RV issued, UAH (token fund)",
            _uah(f.rv_issued_kopiyky),
            _uah(int(PUBLISHED["rv_issued_kopiyky"])),
            f.rv_issued_kopiyky == PUBLISHED["rv_issued_kopiyky"],
        ),
        ("entrepreneur loans", str(f.loans), str(PUBLISHED["loans"]), f.loans == PUBLISHED["loans"]),
        (
            "lent, UAH",
            _uah(f.lent_kopiyky),
            _uah(int(PUBLISHED["lent_kopiyky"])),
            f.lent_kopiyky == PUBLISHED["lent_kopiyky"],
        ),
        ("repaid, UAH", _uah(f.repaid_kopiyky), "", f.repaid_kopiyky == f.lent_kopiyky),
        ("grants paid, UAH", _uah(f.grants_kopiyky), "", True),
        ("RV spent in the vote (burned)", f"{f.rv_burned:,}", "", True),
        ("fund ledgers balance", "yes" if f.ledger_balanced else "NO", "", f.ledger_balanced),
        (
            "impact ratio",
            f.impact_ratio,
            str(PUBLISHED["impact_ratio"]),
            f.impact_ratio == PUBLISHED["impact_ratio"],
        ),
    ]
    lines = [f"{'figure':<30} {'on chain':>16} {'pilot report':>16}"]
    for name, chain_value, published, ok in rows:
        lines.append(f"{name:<30} {chain_value:>16} {published:>16}{'' if ok else '   <-- differs'}")
    lines.append("")
    lines.append(
        f"the whole cycle took {result.seconds:.1f} s, {result.transactions:,} transactions, "
        f"{result.gas:,} gas ({result.gas / max(result.transactions, 1):,.0f} per transaction)"
    )
    return lines, all(ok for *_, ok in rows)
