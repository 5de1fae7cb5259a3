"""Replays a real cumulative election (a pabulib file) through a hromada's contracts, as residents would.

Each voter becomes a registered resident with a custodial key; earns exactly their points in RV through
one approved useful case (one programme per distinct points total, reward per case = that total);
and casts their ballot as an EIP-712 request that a relayer submits through the forwarder in batches
(`executeBatch`), so that residents never pay gas. The projects are pitched in ascending order of their
pabulib ids (on-chain project ids 1, 2, ...) with their costs as asks (UAH -> kopiyky x 100).

Shared by tests/contracts/test_vote_replay.py and scripts/replay_pabulib.py.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from brownie import chain, web3
from brownie.exceptions import TransactionError
from brownie.network.transaction import TransactionReceipt
from cts_helpers import DAY, h, programme_params, round_params, rules, sign_forward_request
from eth_account import Account
from eth_utils import keccak
from pabulib import Election
from vote_model import QUADRATIC_FUNDING, RoundModel, mine_at
from web3.exceptions import TimeExhausted

REGISTRATION_BATCH = 100
APPROVAL_BATCH = 100
FORWARD_BATCH = 50


class _CachedDomain:
    """The forwarder's EIP-712 domain read once, for signing hundreds of requests."""

    def __init__(self, forwarder):
        self._domain = forwarder.eip712Domain()

    def eip712Domain(self):
        return self._domain


@dataclass
class Replay:
    """What a replay did: the round, the project and ballot mapping, and its cost per phase."""

    election: Election
    round_id: int
    fund: int
    project_of: dict[str, int]  # pabulib project id -> on-chain project id
    ballots: dict[int, dict[int, int]]  # resident id -> {project id: credits}
    gas: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)
    transactions: Counter = field(default_factory=Counter)

    @property
    def asks(self) -> list[int]:
        by_id = {p: int(self.election.project(p)["cost"]) * 100 for p in self.project_of}
        return [by_id[p] for p in sorted(self.project_of, key=self.project_of.get)]

    def model(self) -> RoundModel:
        return RoundModel(len(self.project_of), dict(self.ballots))


class _Phase:
    """Times a phase and adds up the gas of the transactions sent in it."""

    def __init__(self, replay: Replay, name: str):
        self.replay, self.name = replay, name

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def record(self, tx):
        self.replay.gas[self.name] += tx.gas_used
        self.replay.transactions[self.name] += 1
        return tx

    def __exit__(self, *exc):
        self.replay.seconds[self.name] += time.perf_counter() - self.started


def transact(method, *args, sender):
    """Sends a transaction, surviving a race between Brownie 1.22 and an Anvil it launched on a busy
    machine: Brownie may report a transaction "dropped without known replacement" although Anvil mined
    it, or did drop it. Then wait for its receipt, and send it again only if it never arrives."""
    try:
        return method(*args, {"from": sender})
    except TransactionError as exc:
        if "dropped without known replacement" not in str(exc):
            raise
        txid = str(exc).rsplit(" ", 1)[-1]
    try:
        web3.eth.wait_for_transaction_receipt(txid, timeout=10)
    except TimeExhausted:
        return method(*args, {"from": sender})
    return TransactionReceipt(txid, silent=True, required_confs=1)


def _chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def _logs(tx, event_signature):
    """The raw logs of one event in a transaction (decoding all of a batch's events with Brownie costs
    seconds per transaction)."""
    topic = keccak(text=event_signature)
    return [log for log in web3.eth.get_transaction_receipt(tx.txid)["logs"] if log["topics"][0] == topic]


def _forward(forwarder, relayer, requests, phase):
    """Submits signed requests in batches, every one of which must succeed; returns the transactions."""
    transactions = []
    for batch in _chunks(requests, FORWARD_BATCH):
        tx = phase.record(transact(forwarder.executeBatch, batch, "0x" + "00" * 20, sender=relayer))
        executed = _logs(tx, "ExecutedForwardRequest(address,uint256,bool)")
        assert len(executed) == len(batch)
        assert all(int.from_bytes(log["data"][32:64], "big") == 1 for log in executed), "a request failed"
        transactions.append(tx)
    return transactions


def replay(
    election: Election,
    hromada: dict,
    *,
    forwarder,
    council,
    registrar,
    verifier,
    relayer,
    proposer,
    rule: int = QUADRATIC_FUNDING,
) -> Replay:
    """Registers the voters, gives them their points in RV, opens a round with the election's projects and
    casts every ballot. Returns with the round in its voting window."""
    registry, cases, vote = hromada["registry"], hromada["cases"], hromada["vote"]
    label = "-".join(election.meta.get(key, "") for key in ("unit", "subunit", "instance"))
    ballots = election.cumulative_ballots()
    voters = {
        voter_id: Account.from_key(keccak(text=f"pabulib voter {label} {voter_id}")) for voter_id in ballots
    }
    domain = _CachedDomain(forwarder)
    deadline = chain[-1].timestamp + 30 * DAY
    project_ids = election.project_ids
    project_of = {p: i for i, p in enumerate(project_ids, start=1)}
    costs = {p: int(election.project(p)["cost"]) * 100 for p in project_ids}
    fund = max(int(election.meta["budget"]) * 100, *costs.values())
    result = Replay(election, 0, fund, project_of, {})

    with _Phase(result, "register residents") as phase:
        first_id = registry.residentCount() + 1
        accounts = [voters[v].address for v in ballots]
        identities = [h(f"pabulib identity {label} {v}") for v in ballots]
        for batch in _chunks(list(range(len(accounts))), REGISTRATION_BATCH):
            chosen = [accounts[i] for i in batch], [identities[i] for i in batch]
            phase.record(transact(registry.addResidents, *chosen, sender=registrar))
        resident_of = {v: first_id + k for k, v in enumerate(ballots)}

    with _Phase(result, "earn RV") as phase:
        by_total = defaultdict(list)
        for voter_id, ballot in ballots.items():
            by_total[sum(ballot.values())].append(voter_id)
        requests = []
        for total, voter_ids in sorted(by_total.items()):
            params = programme_params(
                chain[-1].timestamp,
                [verifier],
                reward=total,
                token_cap=total * len(voter_ids),
                per_resident_cap=total,
                metadata=f"pabulib {label} programme {total}",
            )
            tx = phase.record(transact(cases.createProgramme, params, sender=council))
            programme_id = tx.events["ProgrammeCreated"]["programmeId"]
            for voter_id in voter_ids:
                data = cases.submitCase.encode_input(programme_id, h(f"pabulib {label} case of {voter_id}"))
                key = voters[voter_id].key
                requests.append(
                    sign_forward_request(
                        domain, key, voters[voter_id].address, cases, data, deadline=deadline, nonce=0
                    )
                )
        submitted = "CaseSubmitted(uint256,uint256,uint256,address,address,bytes32)"
        case_ids = [
            int.from_bytes(log["topics"][1], "big")
            for tx in _forward(forwarder, relayer, requests, phase)
            for log in _logs(tx, submitted)
        ]
        for batch in _chunks(case_ids, APPROVAL_BATCH):
            phase.record(transact(cases.approveCases, batch, sender=verifier))

    with _Phase(result, "open the round") as phase:
        now = chain[-1].timestamp
        n = len(project_ids)
        params = round_params(
            now, fund=fund, max_projects=n, round_rules=rules(rule, 1, n, 0), metadata=label
        )
        tx = phase.record(transact(vote.createRound, params, sender=council))
        round_id = result.round_id = tx.events["RoundCreated"]["roundId"]
        for p in project_ids:
            metadata = h(f"pabulib {label} project {p}")
            phase.record(transact(vote.pitchProject, round_id, costs[p], metadata, 0, sender=proposer))
        mine_at(params[2])
        for project_id in range(1, n + 1):
            phase.record(transact(vote.screenProject, round_id, project_id, True, 0, sender=council))
        mine_at(params[3])

    with _Phase(result, "cast ballots") as phase:
        requests = []
        for voter_id, ballot in ballots.items():
            mapped = {project_of[p]: points for p, points in ballot.items()}
            ids = sorted(mapped)
            data = vote.castBallot.encode_input(round_id, ids, [mapped[i] for i in ids])
            key = voters[voter_id].key
            requests.append(
                sign_forward_request(
                    domain, key, voters[voter_id].address, vote, data, deadline=deadline, nonce=1
                )
            )
            result.ballots[resident_of[voter_id]] = mapped
        _forward(forwarder, relayer, requests, phase)
    return result
