"""An independent Python model of the balanced vote, and helpers that set a round up for the vote tests.

The model recomputes what BalancedVote stores and decides, from ballots alone and in integers:
weight(c) = isqrt(c * 10**18) (QuadraticMath), and the three allocation rules exactly as the NatSpec of
the Allocation library states them. It shares no code with the contracts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from brownie import chain, web3
from cts_helpers import DAY, h, programme_params, round_params, rules

# IBalancedVote.AllocationRule
QUADRATIC_FUNDING, PROPORTIONAL_TO_WEIGHT, GREEDY_BY_WEIGHT = 0, 1, 2
# IBalancedVote.RoundState
SCHEDULED, PITCHING, SCREENING, VOTING, TALLYING, FINALISED, CANCELLED = range(7)
# IBalancedVote.ProjectStatus
PITCHED, ELIGIBLE, INELIGIBLE = range(3)
# IResidentRegistry.ResidentStatus
NONE, ACTIVE, SUSPENDED, MIGRATED = range(4)

REASON_OUT_OF_SCOPE = 12  # a screening reason code (its meaning lives off chain)


# ---------------------------------------------------------------- plain values


def plain(value):
    """Python ints, str addresses, 0x hex and tuples, for comparing contract structs and events.

    (Brownie 1.22's ReturnValue cannot be compared with a tuple of ints: its compiled __eq__ raises.)
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if type(value).__name__ == "_EventItem":  # one event: its fields; several: a tuple of them
        events = [plain(dict(event)) for event in value]
        return events[0] if len(events) == 1 else tuple(events)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") and len(value) == 66 else value
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, int):
        return int(value)
    if hasattr(value, "address"):
        return str(value.address)
    return value


# ---------------------------------------------------------------- the model


def weight(credits: int) -> int:
    """sqrt(credits) with nine decimal digits, rounded down: QuadraticMath.weight, recomputed."""
    return math.isqrt(credits * 10**18)


def capped_proportional(fund: int, scores: list[int], asks: list[int]) -> tuple[list[int], int]:
    """Water-filling as Allocation.cappedProportional's NatSpec states it.

    Pass by pass: with R the fund not yet given and S the sum of the scores of open projects, every open
    project whose floor(R * score / S) is at least its ask gets its ask and closes; if none did, every
    open project gets floor(R * score / S) and the procedure ends.
    Returns the funded amounts and the number of passes that capped at least one project.
    """
    n = len(scores)
    funded = [0] * n
    is_open = [scores[i] > 0 and asks[i] > 0 for i in range(n)]
    remaining = fund
    capping_passes = 0
    while True:
        score_sum = sum(scores[i] for i in range(n) if is_open[i])
        if score_sum == 0 or remaining == 0:
            break
        shares = {i: remaining * scores[i] // score_sum for i in range(n) if is_open[i]}
        capped = [i for i, share in shares.items() if share >= asks[i]]
        if not capped:
            for i, share in shares.items():
                funded[i] = share
            break
        capping_passes += 1
        for i in capped:
            funded[i] = asks[i]
            is_open[i] = False
            remaining -= asks[i]
    return funded, capping_passes


def greedy_by_weight(fund: int, weights: list[int], asks: list[int]) -> list[int]:
    """Whole asks, highest weight first (ties: lower project id first), skipping what does not fit."""
    funded = [0] * len(weights)
    remaining = fund
    for i in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        if weights[i] == 0:
            break
        if asks[i] <= remaining:
            funded[i] = asks[i]
            remaining -= asks[i]
    return funded


def allocate(rule: int, fund: int, weights: list[int], asks: list[int], eligible: list[bool]) -> list[int]:
    """What finalisation funds per project (index i = project id i + 1) under `rule`."""
    weights = [w if ok else 0 for w, ok in zip(weights, eligible, strict=True)]
    asks = [a if ok else 0 for a, ok in zip(asks, eligible, strict=True)]
    if rule == GREEDY_BY_WEIGHT:
        return greedy_by_weight(fund, weights, asks)
    scores = [w * w for w in weights] if rule == QUADRATIC_FUNDING else weights
    return capped_proportional(fund, scores, asks)[0]


@dataclass
class Tally:
    weight: int = 0
    credits: int = 0
    supporters: int = 0


@dataclass
class RoundModel:
    """A round's ballots by resident id, and the tallies recomputed from them."""

    project_count: int
    ballots: dict[int, dict[int, int]] = field(default_factory=dict)

    def cast(self, resident_id: int, ballot: dict[int, int]) -> None:
        if ballot:
            self.ballots[resident_id] = dict(ballot)
        else:
            self.ballots.pop(resident_id, None)

    def escrow_of(self, resident_id: int) -> int:
        return sum(self.ballots.get(resident_id, {}).values())

    @property
    def escrowed(self) -> int:
        return sum(sum(b.values()) for b in self.ballots.values())

    @property
    def voters(self) -> int:
        return len(self.ballots)

    def tallies(self) -> list[Tally]:
        tallies = [Tally() for _ in range(self.project_count)]
        for ballot in self.ballots.values():
            for project_id, credits in ballot.items():
                t = tallies[project_id - 1]
                t.weight += weight(credits)
                t.credits += credits
                t.supporters += 1
        return tallies


# ---------------------------------------------------------------- set-up helpers


def give_rv(cases, council, coordinator, verifier, grants, *, label: str = "rv") -> None:
    """Gives each resident exactly its amount of RV, the only way RV is made: approved useful cases.

    One programme per distinct amount (reward per case = that amount), one case per resident recorded by
    the coordinator, all of a programme's cases approved in one batch.
    """
    by_amount: dict[int, list] = {}
    for account, amount in grants.items():
        by_amount.setdefault(amount, []).append(account)
    for amount, accounts in by_amount.items():
        params = programme_params(
            chain[-1].timestamp,
            [verifier],
            reward=amount,
            token_cap=amount * len(accounts),
            per_resident_cap=amount,
            metadata=f"{label}-programme-{amount}",
        )
        programme_id = cases.createProgramme(params, {"from": council}).events["ProgrammeCreated"][
            "programmeId"
        ]
        case_ids = [
            cases.recordCase(
                programme_id, account, h(f"{label}-evidence-{account}"), {"from": coordinator}
            ).events["CaseSubmitted"]["caseId"]
            for account in accounts
        ]
        cases.approveCases(case_ids, {"from": verifier})


def open_rounds(
    vote,
    council,
    proposer,
    asks,
    round_rules,
    *,
    fund: int,
    ineligible=(),
    unscreened=(),
    label: str = "round",
) -> list[int]:
    """Creates one round per Rules tuple, with the same windows and projects, and opens their voting.

    Each round gets `asks` pitched by `proposer` (project ids 1, 2, ...); projects in `ineligible` are
    screened out (REASON_OUT_OF_SCOPE), those in `unscreened` left pitched, the others made eligible.
    """
    now = chain[-1].timestamp
    round_ids = []
    for k, each in enumerate(round_rules):
        params = round_params(
            now, fund=fund, max_projects=max(len(asks), 1), round_rules=each, metadata=f"{label}-{k}"
        )
        round_ids.append(vote.createRound(params, {"from": council}).events["RoundCreated"]["roundId"])
    for round_id in round_ids:
        for project_id, ask in enumerate(asks, start=1):
            vote.pitchProject(round_id, ask, h(f"{label}-project-{project_id}"), 0, {"from": proposer})
    mine_at(now + DAY)
    for round_id in round_ids:
        for project_id in range(1, len(asks) + 1):
            if project_id not in unscreened:
                eligible = project_id not in ineligible
                reason = 0 if eligible else REASON_OUT_OF_SCOPE
                vote.screenProject(round_id, project_id, eligible, reason, {"from": council})
    mine_at(now + 2 * DAY)
    return round_ids


def open_round(
    vote,
    council,
    proposer,
    asks,
    *,
    fund: int,
    rule: int = QUADRATIC_FUNDING,
    max_ballot=None,
    max_credits: int = 0,
    **kwargs,
) -> int:
    """One round by open_rounds: ballots of 1 to `max_ballot` projects (default all), `max_credits` cap."""
    round_rules = rules(rule, 1, max_ballot or max(len(asks), 1), max_credits)
    return open_rounds(vote, council, proposer, asks, [round_rules], fund=fund, **kwargs)[0]


def mine_at(timestamp: int) -> None:
    """Mines a block at exactly `timestamp`.

    (Brownie 1.22's chain.mine(timestamp=...) sends `evm_mine` a bare number instead of a list to an Anvil
    it launched, which Anvil refuses as an invalid request; Ganache and Anvil both take the list.)"""
    response = web3.provider.make_request("evm_mine", [timestamp])
    assert "error" not in response, response
    assert chain[-1].timestamp == timestamp


def close_voting(vote, round_id: int) -> None:
    """Moves the clock past the round's voting window."""
    mine_at(vote.round(round_id)["params"]["voteEnd"] + 1)


def chain_tallies(vote, round_id: int, project_count: int) -> list[Tally]:
    """The on-chain tallies of projects 1..project_count, as model Tally objects."""
    return [Tally(*plain(vote.tally(round_id, project_id))) for project_id in range(1, project_count + 1)]
