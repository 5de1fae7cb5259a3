"""What the audit recomputes: plain records of a hromada's state, built from its events alone.

Numbers follow the contracts: RV in whole tokens, money in integer kopiyky, ids from 1. Status codes are
the contracts' enum values (so they compare directly with the views); ``*_NAMES`` give them words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cts.audit.abi import checksum
from cts.audit.rules import AllocationRule, allocate, weight

RESIDENT_STATUS_NAMES = {0: "none", 1: "active", 2: "suspended", 3: "migrated", 4: "moved"}
PROGRAMME_STATUS_NAMES = {0: "active", 1: "paused", 2: "closed"}
CASE_STATUS_NAMES = {0: "none", 1: "pending", 2: "approved", 3: "rejected"}
PROJECT_STATUS_NAMES = {0: "pitched", 1: "eligible", 2: "ineligible"}
LOAN_STATUS_NAMES = {
    0: "none",
    1: "applied",
    2: "approved",
    3: "rejected",
    4: "active",
    5: "repaid",
    6: "defaulted",
    7: "cancelled",
}
ROUND_STATE_NAMES = {
    0: "scheduled",
    1: "pitching",
    2: "screening",
    3: "voting",
    4: "tallying",
    5: "finalised",
    6: "cancelled",
}

RESIDENT_ACTIVE, RESIDENT_SUSPENDED, RESIDENT_MIGRATED, RESIDENT_MOVED = 1, 2, 3, 4
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
PROGRAMME_ACTIVE, PROGRAMME_PAUSED, PROGRAMME_CLOSED = 0, 1, 2
CASE_PENDING, CASE_APPROVED, CASE_REJECTED = 1, 2, 3
PROJECT_PITCHED, PROJECT_ELIGIBLE, PROJECT_INELIGIBLE = 0, 1, 2
LOAN_APPLIED, LOAN_APPROVED, LOAN_REJECTED, LOAN_ACTIVE = 1, 2, 3, 4
LOAN_REPAID, LOAN_DEFAULTED, LOAN_CANCELLED = 5, 6, 7


def jsonable(value: Any) -> Any:
    """Bytes as 0x-hex, sets as sorted lists, dict keys as strings: ready for json.dumps."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [jsonable(v) for v in sorted(value)]
    return value


@dataclass(frozen=True, slots=True)
class Link:
    """One end of a move between two hromadas' registries, as this registry's event states it.

    `released_to`: ResidentReleased (`resident_id` None: the other registry names its own id when it takes the
    release up; `number` is the release's number after it, IResidentRegistry.Release.number).
    `arrived_from`: ResidentArrived (`resident_id` is the id in the registry the resident came from).
    `position` is the event's (block, log index), to order events of two registries on the one chain.
    """

    kind: str
    registry: str
    resident_id: int | None
    keep_active: bool | None
    number: int | None
    position: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "registry": checksum(self.registry),
            "resident_id": self.resident_id,
            "keep_active": self.keep_active,
            "number": self.number,
            "block": self.position[0],
        }


@dataclass(slots=True)
class Resident:
    id: int
    address: str
    identity_hash: bytes
    status: int = RESIDENT_ACTIVE
    previous_addresses: list[str] = field(default_factory=list)
    registered_block: int = 0
    # The latest release (IResidentRegistry.Release): destination (zero: none open), keepActive, number.
    release_to: str = ZERO_ADDRESS
    release_keep_active: bool = False
    release_number: int = 0
    links: list[Link] = field(default_factory=list)

    def apply_release(self, to_registry: str, keep_active: bool, position: tuple[int, int]) -> None:
        """ResidentReleased, by IResidentRegistry.releaseResident: the number changes with the destination;
        without keepActive an active resident is Moved."""
        if to_registry != self.release_to:
            self.release_to = to_registry
            self.release_number += 1
        self.release_keep_active = keep_active
        if not keep_active and self.status == RESIDENT_ACTIVE:
            self.status = RESIDENT_MOVED
        self.links.append(Link("released_to", to_registry, None, keep_active, self.release_number, position))

    def apply_arrival(self, from_registry: str, from_resident_id: int, position: tuple[int, int]) -> None:
        """ResidentArrived, by IResidentRegistry.addMovedResident: a return from the registry this record was
        released to closes the release and makes a moved resident active again; a new resident (its
        ResidentAdded just before) only gains the link."""
        if from_registry == self.release_to:
            self.release_to = ZERO_ADDRESS
            self.release_keep_active = False
            if self.status == RESIDENT_MOVED:
                self.status = RESIDENT_ACTIVE
        self.links.append(Link("arrived_from", from_registry, from_resident_id, None, None, position))

    def release_number_at(self, position: tuple[int, int]) -> int:
        """The number of this record's latest release before `position` (0: none)."""
        number = 0
        for link in self.links:
            if link.kind == "released_to" and link.position < position:
                number = link.number or 0
        return number


@dataclass
class Programme:
    id: int
    title: str
    reward_per_case: int
    case_value_kopiyky: int
    token_cap: int
    per_resident_cap: int
    start: int
    end: int
    quorum: int
    verifiers: set[str]
    created_block: int
    status: int = PROGRAMME_ACTIVE
    cases_submitted: int = 0
    cases_approved: int = 0
    cases_rejected: int = 0
    rv_minted: int = 0
    value_approved_kopiyky: int = 0
    unused_reserve_released_kopiyky: int | None = None

    def rv_minted_kopiyky(self, face_value_kopiyky: int) -> int:
        return self.rv_minted * face_value_kopiyky


@dataclass(slots=True)
class Case:
    id: int
    programme_id: int
    resident_id: int
    submitted_by: str
    status: int = CASE_PENDING
    approvals: int = 0
    rejections: int = 0


@dataclass(slots=True)
class Project:
    id: int
    proposer_id: int
    proposer: str
    ask_kopiyky: int
    metadata_hash: bytes
    loan_id: int
    status: int = PROJECT_PITCHED
    reason_code: int = 0
    funded_kopiyky: int = 0  # by the audit's own allocation, at finalisation
    settled: str | None = None  # "grant", "loan", "released" once the fund settles it


@dataclass(slots=True)
class Tally:
    weight: int = 0
    credits: int = 0
    supporters: int = 0


@dataclass
class RoundRules:
    rule: int
    min_projects_per_ballot: int
    max_projects_per_ballot: int
    max_credits_per_project: int
    co_financed: bool = False  # the vote fills only each project's ask minus the money pledged to it

    @classmethod
    def of(cls, rules: dict[str, Any]) -> RoundRules:
        return cls(
            rule=int(rules["rule"]),
            min_projects_per_ballot=int(rules["minProjectsPerBallot"]),
            max_projects_per_ballot=int(rules["maxProjectsPerBallot"]),
            max_credits_per_project=int(rules["maxCreditsPerProject"]),
            co_financed=bool(rules["coFinanced"]),
        )


@dataclass
class Round:
    id: int
    fund_kopiyky: int
    pitch_start: int
    pitch_end: int
    screen_end: int
    vote_end: int
    max_projects: int
    metadata_hash: bytes
    rules: RoundRules
    created_block: int
    projects: dict[int, Project] = field(default_factory=dict)
    # The latest ballot of each resident who ever voted: project id -> credits ({} once withdrawn).
    ballots: dict[int, dict[int, int]] = field(default_factory=dict)
    ballot_changes: int = 0
    refunded: dict[int, int] = field(default_factory=dict)  # resident id -> RV refunded after cancellation
    finalised: bool = False
    cancelled: bool = False
    finalised_block: int | None = None
    allocated: bool = False  # the allocation was computed (at settlement, before RoundFinalised)
    total_funded_kopiyky: int = 0
    rv_burned: int = 0
    escrow_at_cancellation: int | None = None

    @property
    def rule(self) -> AllocationRule:
        return AllocationRule(self.rules.rule)

    def escrow_of(self, resident_id: int) -> int:
        return sum(self.ballots.get(resident_id, {}).values())

    @property
    def voters(self) -> int:
        """Residents whose ballot holds RV (a withdrawn ballot does not count)."""
        return sum(1 for ballot in self.ballots.values() if ballot)

    @property
    def escrow_total(self) -> int:
        """RV held for the round's ballots: the sum of every latest ballot."""
        return sum(sum(ballot.values()) for ballot in self.ballots.values())

    @property
    def escrowed_now(self) -> int:
        """What the round still holds: nothing once finalised (burned), less the refunds once cancelled."""
        if self.finalised:
            return 0
        return self.escrow_total - sum(self.refunded.values())

    def tallies(self) -> dict[int, Tally]:
        """Per project: sum of weight(credits), sum of credits, number of supporters, over latest ballots."""
        result = {project_id: Tally() for project_id in self.projects}
        for ballot in self.ballots.values():
            for project_id, credits in ballot.items():
                tally = result.setdefault(project_id, Tally())
                tally.weight += weight(credits)
                tally.credits += credits
                tally.supporters += 1
        return result

    def allocation(self, pledged_money: Mapping[int, int] | None = None) -> dict[int, int]:
        """Funded kopiyky per project by the round's rule, from the recomputed tallies. Under the co-financing
        rule each ask counts only its gap: the ask minus `pledged_money` (per project, at finalisation)."""
        tallies = self.tallies()
        ids = range(1, len(self.projects) + 1)
        eligible = {i for i in ids if self.projects[i].status == PROJECT_ELIGIBLE}
        weights = [tallies[i].weight if i in eligible else 0 for i in ids]
        asks = [self.projects[i].ask_kopiyky if i in eligible else 0 for i in ids]
        if self.rules.co_financed:
            money = pledged_money or {}
            asks = [ask - min(ask, money.get(i, 0)) for i, ask in zip(ids, asks, strict=True)]
        funded = allocate(self.rule, self.fund_kopiyky, weights, asks)
        return dict(zip(ids, funded, strict=True))

    def state_at(self, timestamp: int) -> int:
        """The round's lifecycle state (IBalancedVote.RoundState) at a block with this timestamp."""
        if self.cancelled:
            return 6
        if self.finalised:
            return 5
        for state, bound in enumerate((self.pitch_start, self.pitch_end, self.screen_end, self.vote_end)):
            if timestamp < bound:
                return state
        return 4


@dataclass(slots=True)
class Loan:
    id: int
    applicant_id: int
    applicant: str
    principal: int
    status: int = LOAN_APPLIED
    repaid: int = 0
    round_id: int = 0
    project_id: int = 0
    approved_by: str | None = None  # "council" or "round"
    disbursed_block: int | None = None

    @property
    def outstanding(self) -> int:
        return self.principal - self.repaid if self.status == LOAN_ACTIVE else 0


@dataclass
class Ledger:
    """The fund's buckets, in kopiyky (ICommunityFund.Ledger: same order, same camelCase names)."""

    deposits: int = 0
    available: int = 0
    programmeReserves: int = 0
    tokenFund: int = 0
    roundReserves: int = 0
    committed: int = 0
    loansOutstanding: int = 0
    grantsPaid: int = 0
    writtenOff: int = 0

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def balance_gap(self) -> int:
        """deposits - (every other bucket): zero when the ledger identity holds."""
        values = self.as_dict()
        return values["deposits"] - sum(v for k, v in values.items() if k != "deposits")


@dataclass
class Impact:
    """Impact figures of a cycle, or of all time (ICommunityFund.Impact: same order, same names)."""

    casesValueKopiyky: int = 0
    casesApproved: int = 0
    rvIssued: int = 0
    rvIssuedKopiyky: int = 0
    lentKopiyky: int = 0
    repaidKopiyky: int = 0
    writtenOffKopiyky: int = 0
    grantsKopiyky: int = 0
    depositsKopiyky: int = 0

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class RoundReserve:
    from_token_fund: int
    from_available: int
    open: bool = True


@dataclass
class Series:
    """Time series for the report: (block, value) points, appended in chain order."""

    # programme id -> [(block, cumulative RV minted)]
    issuance: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # [(block, ledger buckets)], one point per block with a fund event
    ledger: list[tuple[int, dict[str, int]]] = field(default_factory=list)
    # [(block, all-time cases value kopiyky, all-time RV issued kopiyky)]
    impact: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Difference:
    """One figure on which the chain and the recomputation disagree.

    `expected` is what the events imply (recomputed by the audit), `found` what the chain says: a view's
    value read at `block`, or an event's own figure emitted in `block`; `source` names which.
    """

    figure: str
    expected: Any
    found: Any
    source: str
    block: int

    def __str__(self) -> str:
        return readable(
            f"{self.figure}: expected {_render(self.expected)}, found {_render(self.found)} "
            f"({self.source}, block {self.block})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": readable(self.figure),
            "expected": _readable_value(jsonable(self.expected)),
            "found": _readable_value(jsonable(self.found)),
            "source": readable(self.source),
            "block": self.block,
        }


_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{40}\b")


def readable(text: str) -> str:
    """Addresses in a text checksummed (the audit keeps them in lower case), for people to read."""
    return _ADDRESS.sub(lambda match: checksum(match.group(0)), text)


def _readable_value(value: Any) -> Any:
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, list):
        return [_readable_value(v) for v in value]
    return value


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)
