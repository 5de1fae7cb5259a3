"""Read models of the web pages: what the pages show, read from the chain's views and events.

Nothing here writes, and nothing comes from the backend's database except names of people: balances,
programmes, cases, rounds, tallies and the fund's figures are the contracts' own views, and histories
are their events. A node that does not answer raises ``ChainUnavailableError`` (the pages say so).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from math import isqrt
from typing import Any, ParamSpec, TypeVar

import requests
from eth_utils.address import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3Exception
from web3.logs import DISCARD
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from cts.chain.client import HromadaHandles
from cts.core.config import Settings
from cts.errors import NotFoundError
from cts.hromadas import manifest_of
from cts.models import Hromada, RelayAction
from cts.relayer.context import UNREACHABLE_ERRORS, ChainContext
from cts.relayer.errors import ChainUnavailableError
from cts.web.files import DocumentStore

ZERO_ADDRESS = "0x" + "00" * 20
WEIGHT_SCALE = 10**9  # QuadraticMath: weights carry nine decimal digits

PROGRAMME_STATES = ("scheduled", "open", "ended", "paused", "closed")
CASE_STATUSES = ("none", "pending", "approved", "rejected")
ROUND_STATES = ("scheduled", "pitching", "screening", "voting", "tallying", "finalised", "cancelled")
PROJECT_STATUSES = ("pitched", "eligible", "ineligible")
ALLOCATION_RULES = ("quadratic_funding", "proportional", "greedy")
LOAN_STATES = (
    "none",
    "applied",
    "approved",
    "rejected",
    "active",
    "overdue",
    "repaid",
    "defaulted",
    "cancelled",
)
RESIDENT_STATUSES = ("none", "active", "suspended", "migrated", "moved")

P = ParamSpec("P")
R = TypeVar("R")


_READ_CONNECTIONS: dict[str, Web3] = {}


def read_connection(rpc_url: str) -> Web3:
    """The pages' connection to the chain (one per process, shared by every hromada): it asks the chain id
    once (not twice per call) and gives up quickly when the node is away (a page says so at once, rather
    than after retries)."""
    w3 = _READ_CONNECTIONS.get(rpc_url)
    if w3 is None:
        provider = HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": 10},
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=(ConnectionError, requests.ConnectionError, requests.Timeout),
                retries=1,
                backoff_factor=0.1,
            ),
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
        )
        w3 = _READ_CONNECTIONS.setdefault(rpc_url, Web3(provider))
    return w3


def build_read_context(settings: Settings, hromada: Hromada) -> ChainContext:
    """A hromada's contracts as the pages read them, on the shared read connection."""
    manifest, entry = manifest_of(hromada)
    w3 = read_connection(settings.rpc_url)
    return ChainContext(w3, manifest, HromadaHandles.from_entry(w3, entry))


def quadratic_weight(credits: int) -> int:
    """weight(c) = floor(sqrt(c * 10^18)): the contracts' QuadraticMath, bit for bit."""
    return isqrt(credits * 10**18) if credits > 0 else 0


def _name(table: Sequence[str], index: int) -> str:
    return table[index] if 0 <= index < len(table) else "unknown"


def chain_read(method: Callable[P, R]) -> Callable[P, R]:
    """Turn an unreachable node into ChainUnavailableError, and a view's revert into NotFoundError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except UNREACHABLE_ERRORS:
            raise ChainUnavailableError() from None
        except (ContractCustomError, ContractLogicError, ContractPanicError):
            raise NotFoundError() from None
        except Web3Exception as error:
            if "revert" in str(error).lower():
                raise NotFoundError() from None
            raise ChainUnavailableError() from None

    return wrapper


def _convert(item: dict[str, Any], value: Any) -> Any:
    kind = str(item["type"])
    if kind == "tuple":
        return _struct(item["components"], value)
    if kind.startswith("tuple["):
        return [_struct(item["components"], v) for v in value]
    return value


def _struct(components: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    return {c["name"]: _convert(c, v) for c, v in zip(components, value, strict=True)}


def call_struct(contract: Contract, function: str, *args: Any) -> dict[str, Any]:
    """A view returning one struct, as a dict keyed by the ABI's field names."""
    abi: list[dict[str, Any]] = list(contract.abi)  # type: ignore[arg-type]
    item = next(i for i in abi if i.get("type") == "function" and i.get("name") == function)
    value = getattr(contract.functions, function)(*args).call()
    return _struct(item["outputs"][0]["components"], value)


@dataclass(frozen=True)
class ProgrammeView:
    id: int
    title: str
    reward_rv: int
    case_value_kopiyky: int
    token_cap_rv: int
    per_resident_cap_rv: int
    starts_at: int
    ends_at: int
    quorum: int
    state: str
    cases_submitted: int
    cases_approved: int
    cases_rejected: int
    rv_minted: int
    value_approved_kopiyky: int
    verifiers: tuple[str, ...]

    @property
    def rv_left(self) -> int:
        return max(0, self.token_cap_rv - self.rv_minted)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def rejections_needed(self) -> int:
        """Rejections that decide a case: once the quorum of approvals can no longer be reached."""
        return max(1, len(self.verifiers) - self.quorum + 1)


@dataclass(frozen=True)
class CaseView:
    id: int
    programme_id: int
    resident_id: int
    resident: str
    submitted_by: str
    evidence_hash: str  # 64 hex digits, no 0x
    status: str = "pending"
    approvals: int = 0
    rejections: int = 0
    submitted_at: int = 0
    block: int = 0


@dataclass(frozen=True)
class RoundView:
    id: int
    title: str
    description: str
    fund_kopiyky: int
    pitch_starts_at: int
    pitch_ends_at: int
    screen_ends_at: int
    vote_ends_at: int
    max_projects: int
    rule: str
    min_projects_per_ballot: int
    max_projects_per_ballot: int
    max_credits_per_project: int
    co_financed: bool
    state: str
    project_count: int
    voters: int
    escrowed_rv: int
    total_funded_kopiyky: int
    rv_burned: int


@dataclass(frozen=True)
class ProjectView:
    id: int
    round_id: int
    title: str
    description: str
    proposer: str
    proposer_id: int
    ask_kopiyky: int
    status: str
    reason_code: int
    loan_id: int
    funded_kopiyky: int
    weight: int
    credits: int
    supporters: int
    issues: tuple[int, ...] = ()  # the community issues it answers (their numbers), from its document
    photos: tuple[str, ...] = ()  # its photos' names (public pictures), from its document

    @property
    def is_eligible(self) -> bool:
        return self.status == "eligible"


@dataclass(frozen=True)
class HistoryEntry:
    """One movement of a resident's RV (positive: received; negative: given)."""

    block: int
    timestamp: int
    tx_hash: str
    amount: int
    kind: str  # reward | escrow | refund | migration | burn | other
    case_id: int | None = None
    programme_id: int | None = None
    round_id: int | None = None
    round_finalised: bool = False


@dataclass(frozen=True)
class LoanView:
    id: int
    applicant: str
    state: str
    principal_kopiyky: int
    repaid_kopiyky: int
    outstanding_kopiyky: int
    round_id: int
    project_id: int
    # What the loan is for (the application's published description), "" where it is not stored here.
    purpose: str = ""
    applied_at: int = 0
    instalments: int = 0


@dataclass(frozen=True)
class ResidentView:
    id: int
    status: str

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass
class FundView:
    ledger: dict[str, int]
    impact: dict[str, int]
    impact_ratio_bps: int
    face_value_kopiyky: int
    rv_supply: int
    rv_minted: int
    rv_burned: int
    residents: int
    active_residents: int
    loans: list[LoanView] = field(default_factory=list)


class ChainReader:
    """The hromada's contracts as the pages read them."""

    def __init__(self, chain: ChainContext, documents: DocumentStore) -> None:
        self.chain = chain
        self.h = chain.hromada
        self.documents = documents
        self._timestamps: dict[int, int] = {}

    @property
    def hromada_name(self) -> str:
        return self.h.entry.name

    @property
    def start_block(self) -> int:
        if self.h.entry.block is not None:
            return int(self.h.entry.block)
        return self.chain.manifest.first_block

    def _logs(self, contract: Contract, event: str, **filters: Any) -> list[Any]:
        kwargs: dict[str, Any] = {"from_block": self.start_block}
        if filters:
            kwargs["argument_filters"] = filters
        logs: Iterable[Any] = getattr(contract.events, event)().get_logs(**kwargs)
        return sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))

    def _timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            self._timestamps[block] = int(self.chain.w3.eth.get_block(block)["timestamp"])
        return self._timestamps[block]

    def _prefetch_timestamps(self, blocks: Iterable[int]) -> None:
        """Read many blocks' times in one JSON-RPC batch (one round trip, not one per block)."""
        wanted = sorted({int(b) for b in blocks} - set(self._timestamps))
        if len(wanted) < 2:
            return
        try:
            with self.chain.w3.batch_requests() as batch:
                for block in wanted:
                    batch.add(self.chain.w3.eth.get_block(block))
                results = batch.execute()
        except (ValueError, TypeError, Web3Exception):
            return  # a node without batches: _timestamp reads them one by one
        for block, result in zip(wanted, results, strict=False):
            self._timestamps[block] = int(result["timestamp"])  # type: ignore[typeddict-item]

    # ------------------------------------------------------------ basics

    @chain_read
    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    @chain_read
    def action_times(self, actions: Iterable[RelayAction]) -> dict[int, int]:
        """The chain time of each mined action's block, by action id: the time the record carries
        (the chain's clock may differ from the server's, as in the demo)."""
        mined = [a for a in actions if a.block_number is not None]
        self._prefetch_timestamps(int(a.block_number) for a in mined if a.block_number is not None)
        return {a.id: self._timestamp(int(a.block_number)) for a in mined if a.block_number is not None}

    @chain_read
    def face_value_kopiyky(self) -> int:
        return int(self.h.token.functions.faceValueKopiyky().call())

    @chain_read
    def balance_of(self, address: str) -> int:
        return int(self.h.token.functions.balanceOf(to_checksum_address(address)).call())

    @chain_read
    def resident(self, address: str) -> ResidentView:
        record = call_struct(self.h.registry, "residentOf", to_checksum_address(address))
        return ResidentView(id=int(record["id"]), status=_name(RESIDENT_STATUSES, int(record["status"])))

    @chain_read
    def record_links(self, resident_id: int) -> list[tuple[str, str, int]]:
        """A resident's moves between hromadas, oldest first: ("from", the other registry, their id there)
        for an arrival here, ("to", the other registry, 0) for a release to another hromada."""
        if resident_id == 0:
            return []
        links = [
            (
                log["blockNumber"],
                log["logIndex"],
                "from",
                log["args"]["fromRegistry"],
                int(log["args"]["fromResidentId"]),
            )
            for log in self._logs(self.h.registry, "ResidentArrived", residentId=resident_id)
        ]
        links += [
            (log["blockNumber"], log["logIndex"], "to", log["args"]["toRegistry"], 0)
            for log in self._logs(self.h.registry, "ResidentReleased", residentId=resident_id)
        ]
        return [(kind, registry, other_id) for *_, kind, registry, other_id in sorted(links)]

    @chain_read
    def registered_addresses(self) -> set[str]:
        """Every address the registry ever registered (or moved a resident to)."""
        added = {
            to_checksum_address(log["args"]["account"])
            for log in self._logs(self.h.registry, "ResidentAdded")
        }
        moved = {
            to_checksum_address(log["args"]["to"]) for log in self._logs(self.h.registry, "ResidentMigrated")
        }
        return added | moved

    @chain_read
    def has_role(self, role_name: str, address: str) -> bool:
        role = getattr(self.h.cases.functions, role_name)().call()
        return bool(self.h.cases.functions.hasRole(role, to_checksum_address(address)).call())

    # ------------------------------------------------------------ programmes and cases

    def _programme(self, programme_id: int) -> ProgrammeView:
        cases = self.h.cases.functions
        p = call_struct(self.h.cases, "programme", programme_id)
        return ProgrammeView(
            id=programme_id,
            title=str(p["title"]),
            reward_rv=int(p["rewardPerCase"]),
            case_value_kopiyky=int(p["caseValueKopiyky"]),
            token_cap_rv=int(p["tokenCap"]),
            per_resident_cap_rv=int(p["perResidentCap"]),
            starts_at=int(p["start"]),
            ends_at=int(p["end"]),
            quorum=int(p["quorum"]),
            state=_name(PROGRAMME_STATES, int(cases.programmeState(programme_id).call())),
            cases_submitted=int(p["casesSubmitted"]),
            cases_approved=int(p["casesApproved"]),
            cases_rejected=int(p["casesRejected"]),
            rv_minted=int(p["rvMinted"]),
            value_approved_kopiyky=int(p["valueApprovedKopiyky"]),
            verifiers=tuple(to_checksum_address(v) for v in cases.verifiersOf(programme_id).call()),
        )

    @chain_read
    def programme(self, programme_id: int) -> ProgrammeView:
        if not 1 <= programme_id <= int(self.h.cases.functions.programmeCount().call()):
            raise NotFoundError()
        return self._programme(programme_id)

    @chain_read
    def programmes(self) -> list[ProgrammeView]:
        count = int(self.h.cases.functions.programmeCount().call())
        return [self._programme(i) for i in range(1, count + 1)]

    def _case(self, case_id: int) -> CaseView:
        c = call_struct(self.h.cases, "caseOf", case_id)
        resident_id = int(c["residentId"])
        resident = (
            str(self.h.registry.functions.addressOf(resident_id).call()) if resident_id else ZERO_ADDRESS
        )
        return CaseView(
            id=case_id,
            programme_id=int(c["programmeId"]),
            resident_id=resident_id,
            resident=to_checksum_address(resident),
            submitted_by=to_checksum_address(c["submittedBy"]),
            evidence_hash=bytes(c["evidenceHash"]).hex(),
            status=_name(CASE_STATUSES, int(c["status"])),
            approvals=int(c["approvals"]),
            rejections=int(c["rejections"]),
            submitted_at=int(c["submittedAt"]),
        )

    @chain_read
    def case(self, case_id: int) -> CaseView:
        if not 1 <= case_id <= int(self.h.cases.functions.caseCount().call()):
            raise NotFoundError()
        return self._case(case_id)

    @chain_read
    def cases_of_resident(self, resident_id: int) -> list[CaseView]:
        """A resident's cases, newest first."""
        if resident_id == 0:
            return []
        logs = self._logs(self.h.cases, "CaseSubmitted", residentId=resident_id)
        return [self._case(int(log["args"]["caseId"])) for log in reversed(logs)]

    @chain_read
    def pending_cases_for(self, verifier: str, limit: int = 200) -> list[CaseView]:
        """Cases a verifier can decide now: pending, in a programme they verify that is open or ended (not
        paused or closed), not their own, not recorded by them, not already decided by them. Oldest first."""
        verifier = to_checksum_address(verifier)
        programmes = {
            p.id: p for p in self.programmes() if verifier in p.verifiers and p.state in ("open", "ended")
        }
        if not programmes:
            return []
        final = {int(log["args"]["caseId"]) for log in self._logs(self.h.cases, "CaseApproved")}
        final |= {int(log["args"]["caseId"]) for log in self._logs(self.h.cases, "CaseRejected")}
        mine = {
            int(log["args"]["caseId"])
            for log in self._logs(self.h.cases, "CaseApprovedBy", verifier=verifier)
        }
        mine |= {
            int(log["args"]["caseId"])
            for log in self._logs(self.h.cases, "CaseRejectedBy", verifier=verifier)
        }
        approvals: dict[int, int] = {}
        for log in self._logs(self.h.cases, "CaseApprovedBy"):
            case_id = int(log["args"]["caseId"])
            approvals[case_id] = approvals.get(case_id, 0) + 1
        rejections = {case_id: len(found) for case_id, found in self.rejections().items()}
        pending = []
        submitted = self._logs(self.h.cases, "CaseSubmitted")
        self._prefetch_timestamps(
            int(log["blockNumber"]) for log in submitted if int(log["args"]["caseId"]) not in final | mine
        )
        for log in submitted:
            args = log["args"]
            case_id = int(args["caseId"])
            resident = to_checksum_address(args["resident"])
            submitted_by = to_checksum_address(args["submittedBy"])
            if (
                case_id in final
                or case_id in mine
                or int(args["programmeId"]) not in programmes
                or verifier in (resident, submitted_by)
            ):
                continue
            pending.append(
                CaseView(
                    id=case_id,
                    programme_id=int(args["programmeId"]),
                    resident_id=int(args["residentId"]),
                    resident=resident,
                    submitted_by=submitted_by,
                    evidence_hash=bytes(args["evidenceHash"]).hex(),
                    approvals=approvals.get(case_id, 0),
                    rejections=rejections.get(case_id, 0),
                    submitted_at=self._timestamp(int(log["blockNumber"])),
                    block=int(log["blockNumber"]),
                )
            )
            if len(pending) == limit:
                break
        return pending

    @chain_read
    def rejections(self, case_id: int | None = None) -> dict[int, list[tuple[str, int]]]:
        """Each case's rejections so far, as (verifier, reason code), oldest first."""
        filters = {} if case_id is None else {"caseId": case_id}
        found: dict[int, list[tuple[str, int]]] = {}
        for log in self._logs(self.h.cases, "CaseRejectedBy", **filters):
            args = log["args"]
            found.setdefault(int(args["caseId"]), []).append(
                (to_checksum_address(args["verifier"]), int(args["reasonCode"]))
            )
        return found

    @chain_read
    def pending_cases_recorded_by(self, coordinator: str) -> list[CaseView]:
        """Pending cases a coordinator recorded for other residents (which they may not decide)."""
        coordinator = to_checksum_address(coordinator)
        ids = [
            int(log["args"]["caseId"])
            for log in self._logs(self.h.cases, "CaseSubmitted")
            if to_checksum_address(log["args"]["submittedBy"]) == coordinator
            and to_checksum_address(log["args"]["resident"]) != coordinator
        ]
        return [case for case in (self._case(i) for i in ids) if case.status == "pending"]

    @chain_read
    def submitted_case(self, action: RelayAction) -> CaseView | None:
        """The case a confirmed submitCase/recordCase action created, found in its transaction."""
        if action.tx_hash is None:
            return None
        receipt = self.chain.w3.eth.get_transaction_receipt(action.tx_hash)  # type: ignore[arg-type]
        _, params = self.h.cases.decode_function_input(action.calldata)
        evidence = bytes(params["evidenceHash"])
        for log in self.h.cases.events.CaseSubmitted().process_receipt(receipt, errors=DISCARD):
            if log["address"] == self.h.cases.address and bytes(log["args"]["evidenceHash"]) == evidence:
                return self._case(int(log["args"]["caseId"]))
        return None

    # ------------------------------------------------------------ rounds

    def _document(self, digest: bytes) -> tuple[str, str] | None:
        document = self.documents.load(bytes(digest))
        return (document.title, document.description) if document else None

    def _round(self, round_id: int) -> RoundView:
        r = call_struct(self.h.vote, "round", round_id)
        params, rules = r["params"], r["params"]["rules"]
        title, description = self._document(params["metadataHash"]) or ("", "")
        return RoundView(
            id=round_id,
            title=title,
            description=description,
            fund_kopiyky=int(params["fundKopiyky"]),
            pitch_starts_at=int(params["pitchStart"]),
            pitch_ends_at=int(params["pitchEnd"]),
            screen_ends_at=int(params["screenEnd"]),
            vote_ends_at=int(params["voteEnd"]),
            max_projects=int(params["maxProjects"]),
            rule=_name(ALLOCATION_RULES, int(rules["rule"])),
            min_projects_per_ballot=int(rules["minProjectsPerBallot"]),
            max_projects_per_ballot=int(rules["maxProjectsPerBallot"]),
            max_credits_per_project=int(rules["maxCreditsPerProject"]),
            co_financed=bool(rules["coFinanced"]),
            state=_name(ROUND_STATES, int(self.h.vote.functions.roundState(round_id).call())),
            project_count=int(r["projectCount"]),
            voters=int(r["voters"]),
            escrowed_rv=int(r["escrowed"]),
            total_funded_kopiyky=int(r["totalFunded"]),
            rv_burned=int(r["rvBurned"]),
        )

    @chain_read
    def round(self, round_id: int) -> RoundView:
        if not 1 <= round_id <= int(self.h.vote.functions.roundCount().call()):
            raise NotFoundError()
        return self._round(round_id)

    @chain_read
    def rounds(self) -> list[RoundView]:
        """Every round, newest first."""
        count = int(self.h.vote.functions.roundCount().call())
        return [self._round(i) for i in range(count, 0, -1)]

    @chain_read
    def projects(self, round_id: int) -> list[ProjectView]:
        count = int(call_struct(self.h.vote, "round", round_id)["projectCount"])
        projects = []
        for project_id in range(1, count + 1):
            p = call_struct(self.h.vote, "project", round_id, project_id)
            tally = call_struct(self.h.vote, "tally", round_id, project_id)
            document = self.documents.load(bytes(p["metadataHash"]))
            title, description = (document.title, document.description) if document else ("", "")
            projects.append(
                ProjectView(
                    id=project_id,
                    round_id=round_id,
                    title=title,
                    description=description,
                    proposer=to_checksum_address(p["proposer"]),
                    proposer_id=int(p["proposerId"]),
                    ask_kopiyky=int(p["askKopiyky"]),
                    status=_name(PROJECT_STATUSES, int(p["status"])),
                    reason_code=int(p["reasonCode"]),
                    loan_id=int(p["loanId"]),
                    funded_kopiyky=int(p["funded"]),
                    weight=int(tally["weight"]),
                    credits=int(tally["credits"]),
                    supporters=int(tally["supporters"]),
                    issues=document.issues if document else (),
                    photos=document.photos if document else (),
                )
            )
        return projects

    @chain_read
    def ballot_of(self, round_id: int, resident_id: int) -> dict[int, int]:
        if resident_id == 0:
            return {}
        ids, credits = self.h.vote.functions.ballotOf(round_id, resident_id).call()
        return {int(p): int(c) for p, c in zip(ids, credits, strict=True)}

    @chain_read
    def held_in_ballot(self, round_id: int, resident_id: int) -> int:
        """The RV a resident's ballot holds in a round (escrowed until the round is finalised)."""
        if resident_id == 0:
            return 0
        voter = call_struct(self.h.vote, "voterOf", round_id, resident_id)
        return 0 if voter["refunded"] else int(voter["total"])

    @chain_read
    def preview_allocation(self, round_id: int) -> list[int]:
        funded, _total = self.h.vote.functions.previewAllocation(round_id).call()
        return [int(f) for f in funded]

    # ------------------------------------------------------------ RV history

    @chain_read
    def rv_history(self, address: str) -> list[HistoryEntry]:
        """Every Transfer of RV to or from `address`, newest first, each with what it was."""
        address = to_checksum_address(address)
        token, vote = self.h.token, self.h.vote
        incoming = self._logs(token, "Transfer", to=address)
        outgoing = self._logs(token, "Transfer", **{"from": address})
        if not incoming and not outgoing:
            return []
        resident = self.resident(address)
        # A batch approval mints several rewards in one transaction: pair them with its CaseApproved events
        # in the order both were emitted.
        rewards: dict[str, list[tuple[int, int]]] = {}
        ballots: dict[str, int] = {}
        if resident.id:
            for log in self._logs(self.h.cases, "CaseApproved", residentId=resident.id):
                rewards.setdefault(log["transactionHash"].hex(), []).append(
                    (int(log["args"]["caseId"]), int(log["args"]["programmeId"]))
                )
            for log in self._logs(vote, "BallotCast", residentId=resident.id):
                ballots[log["transactionHash"].hex()] = int(log["args"]["roundId"])
            for log in self._logs(vote, "RefundPaid", residentId=resident.id):
                ballots[log["transactionHash"].hex()] = int(log["args"]["roundId"])
        finalised: dict[int, bool] = {}
        entries = []
        self._prefetch_timestamps(int(log["blockNumber"]) for log in incoming + outgoing)
        for log in sorted(incoming + outgoing, key=lambda item: (item["blockNumber"], item["logIndex"])):
            args = log["args"]
            sender, receiver = to_checksum_address(args["from"]), to_checksum_address(args["to"])
            value = int(args["value"])
            tx = log["transactionHash"].hex()
            amount = value if receiver == address else -value
            counterpart = sender if receiver == address else receiver
            kind, case_id, programme_id, round_id = "other", None, None, None
            if counterpart == ZERO_ADDRESS:
                kind = "reward" if amount > 0 else "burn"
                if amount > 0 and rewards.get(tx):
                    case_id, programme_id = rewards[tx].pop(0)
            elif counterpart == vote.address:
                kind = "escrow" if amount < 0 else "refund"
                round_id = ballots.get(tx)
            else:  # the registry moved a migrating resident's balance between their two addresses
                kind = "migration"
            is_final = False
            if kind == "escrow" and round_id is not None:
                if round_id not in finalised:
                    finalised[round_id] = bool(call_struct(vote, "round", round_id)["finalised"])
                is_final = finalised[round_id]
            entries.append(
                HistoryEntry(
                    block=int(log["blockNumber"]),
                    timestamp=self._timestamp(int(log["blockNumber"])),
                    tx_hash="0x" + tx.removeprefix("0x"),
                    amount=amount,
                    kind=kind,
                    case_id=case_id,
                    programme_id=programme_id,
                    round_id=round_id,
                    round_finalised=is_final,
                )
            )
        entries.reverse()
        return entries

    # ------------------------------------------------------------ the fund

    @chain_read
    def loans(self) -> list[LoanView]:
        fund = self.h.fund.functions
        loans = []
        for loan_id in range(1, int(fund.loanCount().call()) + 1):
            loan = call_struct(self.h.fund, "loan", loan_id)
            loans.append(
                LoanView(
                    id=loan_id,
                    applicant=to_checksum_address(loan["applicant"]),
                    state=_name(LOAN_STATES, int(fund.loanState(loan_id).call())),
                    principal_kopiyky=int(loan["principal"]),
                    repaid_kopiyky=int(loan["repaid"]),
                    outstanding_kopiyky=int(fund.outstanding(loan_id).call()),
                    round_id=int(loan["roundId"]),
                    project_id=int(loan["projectId"]),
                    purpose=(self._document(loan["metadataHash"]) or ("", ""))[0],
                    applied_at=int(loan["appliedAt"]),
                    instalments=len(loan["instalments"]),
                )
            )
        return loans

    @chain_read
    def fund(self, with_loans: bool = True) -> FundView:
        token = self.h.token.functions
        registry = self.h.registry.functions
        return FundView(
            ledger={k: int(v) for k, v in call_struct(self.h.fund, "ledger").items()},
            impact={k: int(v) for k, v in call_struct(self.h.fund, "impact", 0).items()},
            impact_ratio_bps=int(self.h.fund.functions.impactRatioBps(0).call()),
            face_value_kopiyky=int(token.faceValueKopiyky().call()),
            rv_supply=int(token.totalSupply().call()),
            rv_minted=int(token.totalMinted().call()),
            rv_burned=int(token.totalBurned().call()),
            residents=int(registry.residentCount().call()),
            active_residents=int(registry.activeResidentCount().call()),
            loans=self.loans() if with_loans else [],
        )
