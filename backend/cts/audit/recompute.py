"""Replaying a hromada's events, in chain order, into the state they imply.

Every figure the contracts keep is rebuilt here from events alone: balances from Transfer, programme and
case figures from the case events, each round's ballots (the latest BallotCast of a resident replaces the
earlier), its tallies and its allocation by the rule fixed at opening, the fund's ledger buckets, loans and
impact figures. Where an event states a figure that the recomputation can predict (a funded amount, an
outstanding balance, an RV amount behind an issuance), the two are compared on the spot and a disagreement
is recorded as a Difference whose source is the event.

The money movements follow the fund's NatSpec (ICommunityFund): a deposit is available; a programme
reserves cap x face value; an issuance moves face value from the programme's reserve to the token fund; a
round reserves its fund from the token fund first, then from available; finalisation commits the funded
amounts and returns the rest to available; a cancelled round's reserve goes back where it came from; a
grant moves committed to grants paid; a council-approved loan moves available to committed; disbursement
moves committed to loans outstanding; repayments move outstanding to available; a default moves what is
left to written off; a cancelled loan or released project funds move committed back to available.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from cts.audit.abi import CONTRACTS, Event
from cts.audit.cofinancing import CoFinancingHistory
from cts.audit.delivery import DeliveryHistory
from cts.audit.model import (
    CASE_APPROVED,
    CASE_REJECTED,
    LOAN_ACTIVE,
    LOAN_APPROVED,
    LOAN_CANCELLED,
    LOAN_DEFAULTED,
    LOAN_REJECTED,
    LOAN_REPAID,
    PROGRAMME_ACTIVE,
    PROGRAMME_CLOSED,
    PROGRAMME_PAUSED,
    PROJECT_ELIGIBLE,
    PROJECT_INELIGIBLE,
    RESIDENT_ACTIVE,
    RESIDENT_SUSPENDED,
    Case,
    Difference,
    Impact,
    Ledger,
    Loan,
    Programme,
    Project,
    Resident,
    Round,
    RoundReserve,
    RoundRules,
    Series,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

Handler = Callable[[Event], None]


class History:
    """A hromada's state as its events say it is. Feed events with `apply`, in chain order."""

    def __init__(
        self, contracts: dict[str, str], face_value_kopiyky: int, track_series: bool = False
    ) -> None:
        # Addresses are kept in lower case, as the decoder gives them.
        self.contracts = {key: address.lower() for key, address in contracts.items()}
        self.face_value_kopiyky = face_value_kopiyky
        self.series: Series | None = Series() if track_series else None
        self.events_applied = 0
        self.last_block = 0
        self.event_counts: dict[str, int] = defaultdict(int)
        # Event figures that disagree with the recomputation.
        self.anomalies: list[Difference] = []
        # Role -> holders, per contract (informational: who is council, registrar, treasurer, coordinator).
        self.roles: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

        # registry
        self.residents: dict[int, Resident] = {}
        self.resident_by_address: dict[str, int] = {}
        # (registry the resident came from, their id there) -> their id here (the latest arrival).
        self.arrivals: dict[tuple[str, int], int] = {}
        # token
        self.balances: dict[str, int] = defaultdict(int)
        self.total_supply = 0
        self.total_minted = 0
        self.total_burned = 0
        self.rv_burned_events = 0
        self.rv_migrated_events = 0
        # useful cases
        self.programmes: dict[int, Programme] = {}
        self.cases: dict[int, Case] = {}
        self.earned: dict[tuple[int, int], int] = defaultdict(int)  # (programme id, resident id) -> RV
        # vote
        self.rounds: dict[int, Round] = {}
        self._funded_events: dict[int, dict[int, tuple[int, int, Event]]] = defaultdict(dict)
        # fund
        self.ledger = Ledger()
        self.current_cycle = 0
        self.cycles: dict[int, dict[str, Any]] = {}
        self.impact: dict[int, Impact] = defaultdict(Impact)
        self.deposit_count = 0
        self.programme_reserve: dict[int, int] = defaultdict(int)
        self._programme_released: dict[int, int] = {}
        self.round_reserve: dict[int, RoundReserve] = {}
        self.loans: dict[int, Loan] = {}
        # delivery of funded projects (cts.audit.delivery)
        self.delivery = DeliveryHistory(self.anomalies)
        # partners and pledges (cts.audit.cofinancing)
        self.cofinancing = CoFinancingHistory(self.anomalies, self.chosen_by_vote)

        self._handlers: dict[tuple[str, str], Handler] = {
            ("registry", "ResidentAdded"): self._resident_added,
            ("registry", "ResidentSuspended"): self._resident_suspended,
            ("registry", "ResidentReinstated"): self._resident_reinstated,
            ("registry", "ResidentMigrated"): self._resident_migrated,
            ("registry", "ResidentReleased"): self._resident_released,
            ("registry", "ResidentArrived"): self._resident_arrived,
            ("token", "Transfer"): self._transfer,
            ("token", "RVBurned"): self._rv_burned,
            ("token", "RVMigrated"): self._rv_migrated,
            ("usefulCases", "ProgrammeCreated"): self._programme_created,
            ("usefulCases", "ProgrammePaused"): self._programme_paused,
            ("usefulCases", "ProgrammeResumed"): self._programme_resumed,
            ("usefulCases", "ProgrammeClosed"): self._programme_closed,
            ("usefulCases", "VerifierAdded"): self._verifier_added,
            ("usefulCases", "VerifierRemoved"): self._verifier_removed,
            ("usefulCases", "QuorumChanged"): self._quorum_changed,
            ("usefulCases", "CaseSubmitted"): self._case_submitted,
            ("usefulCases", "CaseApprovedBy"): self._case_approved_by,
            ("usefulCases", "CaseRejectedBy"): self._case_rejected_by,
            ("usefulCases", "CaseApproved"): self._case_approved,
            ("usefulCases", "CaseRejected"): self._case_rejected,
            ("balancedVote", "RoundCreated"): self._round_created,
            ("balancedVote", "RulesSet"): self._rules_set,
            ("balancedVote", "ProjectPitched"): self._project_pitched,
            ("balancedVote", "ProjectScreened"): self._project_screened,
            ("balancedVote", "BallotCast"): self._ballot_cast,
            ("balancedVote", "ProjectFunded"): self._project_funded,
            ("balancedVote", "RoundFinalised"): self._round_finalised,
            ("balancedVote", "RoundCancelled"): self._round_cancelled,
            ("balancedVote", "RefundPaid"): self._refund_paid,
            ("fund", "CycleOpened"): self._cycle_opened,
            ("fund", "CapitalDeposited"): self._capital_deposited,
            ("fund", "ProgrammeReserved"): self._programme_reserved,
            ("fund", "ProgrammeReleased"): self._programme_released_event,
            ("fund", "IssuanceRecorded"): self._issuance_recorded,
            ("fund", "RoundReserved"): self._round_reserved,
            ("fund", "RoundSettled"): self._round_settled,
            ("fund", "RoundReleased"): self._round_released,
            ("fund", "GrantPaid"): self._grant_paid,
            ("fund", "GrantTranchePaid"): self._grant_tranche_paid,
            ("fund", "ProjectFundsReleased"): self._project_funds_released,
            ("fund", "LoanApplied"): self._loan_applied,
            ("fund", "LoanApproved"): self._loan_approved,
            ("fund", "LoanRejected"): self._loan_rejected,
            ("fund", "LoanCancelled"): self._loan_cancelled,
            ("fund", "LoanDisbursed"): self._loan_disbursed,
            ("fund", "LoanRepaid"): self._loan_repaid,
            ("fund", "LoanDefaulted"): self._loan_defaulted,
            ("delivery", "DeliveryPlanSet"): self._delivery_plan_set,
            **{("coFinancing", name): self.cofinancing.apply for name in CoFinancingHistory.EVENTS},
            **{
                ("delivery", name): self.delivery.apply
                for name in (
                    "MilestonePlanned",
                    "MilestoneReported",
                    "ReportAccepted",
                    "ReportRejected",
                    "ReportFlagged",
                    "FlagAnswered",
                    "TranchePaid",
                )
            },
        }

    # ------------------------------------------------------------------ feeding

    def apply(self, event: Event) -> None:
        self.events_applied += 1
        self.last_block = event.block
        self.event_counts[f"{CONTRACTS.get(event.contract, event.contract)}.{event.name}"] += 1
        if event.name in ("RoleGranted", "RoleRevoked"):
            holders = self.roles[event.contract]["0x" + bytes(event.args["role"]).hex()]
            if event.name == "RoleGranted":
                holders.add(event.args["account"])
            else:
                holders.discard(event.args["account"])
            return
        handler = self._handlers.get((event.contract, event.name))
        if handler is None:
            return
        try:
            handler(event)
        except KeyError as missing:
            # An event about a resident, programme, case, round, project or loan that no earlier event
            # created: the history is incomplete (scan started too late) or the contract misbehaved.
            self._expect(
                f"{event.name} refers to {missing} that no earlier event created",
                "an earlier event",
                "none",
                event,
            )
        if self.series is not None and event.contract == "fund":
            self._record_fund_point(event.block)

    def _expect(self, figure: str, expected: Any, found: Any, event: Event) -> None:
        """Record a Difference when an event's own figure is not the recomputed one."""
        if expected != found:
            source = f"{CONTRACTS.get(event.contract, event.contract)}.{event.name} event, tx {event.tx_hash}"
            self.anomalies.append(Difference(figure, expected, found, source, event.block))

    def _record_fund_point(self, block: int) -> None:
        assert self.series is not None
        snapshot = self.ledger.as_dict()
        if self.series.ledger and self.series.ledger[-1][0] == block:
            self.series.ledger[-1] = (block, snapshot)
        else:
            self.series.ledger.append((block, snapshot))
        all_time = self.impact[0]
        point = (block, all_time.casesValueKopiyky, all_time.rvIssuedKopiyky)
        if self.series.impact and self.series.impact[-1][0] == block:
            self.series.impact[-1] = point
        else:
            self.series.impact.append(point)

    # ------------------------------------------------------------------ registry

    def _resident_added(self, e: Event) -> None:
        rid = e.args["residentId"]
        self._expect("registry.residentCount (ids are sequential)", len(self.residents) + 1, rid, e)
        self.residents[rid] = Resident(
            id=rid, address=e.args["account"], identity_hash=e.args["identityHash"], registered_block=e.block
        )
        self.resident_by_address[e.args["account"]] = rid

    def _resident_suspended(self, e: Event) -> None:
        self.residents[e.args["residentId"]].status = RESIDENT_SUSPENDED

    def _resident_reinstated(self, e: Event) -> None:
        self.residents[e.args["residentId"]].status = RESIDENT_ACTIVE

    def _resident_migrated(self, e: Event) -> None:
        resident = self.residents[e.args["residentId"]]
        resident.previous_addresses.append(e.args["from"])
        resident.address = e.args["to"]
        self.resident_by_address[e.args["to"]] = resident.id
        # The token moved the whole balance (Transfer earlier in the same transaction) to a new address.
        self._expect(
            f"resident {resident.id}: RV moved by migration",
            self.balances.get(e.args["to"], 0),
            e.args["rvMoved"],
            e,
        )

    def _resident_released(self, e: Event) -> None:
        resident = self.residents[e.args["residentId"]]
        self._expect(f"resident {resident.id}: address released", resident.address, e.args["account"], e)
        resident.apply_release(e.args["toRegistry"], e.args["keepActive"], e.position)

    def _resident_arrived(self, e: Event) -> None:
        # A new resident was created by the ResidentAdded just before; a returning one is ours already.
        resident = self.residents[e.args["residentId"]]
        self._expect(
            f"resident {resident.id}: address of the arrival", resident.address, e.args["account"], e
        )
        resident.apply_arrival(e.args["fromRegistry"], e.args["fromResidentId"], e.position)
        self.arrivals[(e.args["fromRegistry"], e.args["fromResidentId"])] = resident.id

    # ------------------------------------------------------------------ token

    def _transfer(self, e: Event) -> None:
        sender, recipient, value = e.args["from"], e.args["to"], e.args["value"]
        if sender == ZERO_ADDRESS:
            self.total_minted += value
            self.total_supply += value
        else:
            self.balances[sender] -= value
            if self.balances[sender] < 0:
                self._expect(f"token balance of {sender} (never negative)", 0, self.balances[sender], e)
        if recipient == ZERO_ADDRESS:
            self.total_burned += value
            self.total_supply -= value
        else:
            self.balances[recipient] += value

    def _rv_burned(self, e: Event) -> None:
        self.rv_burned_events += e.args["amount"]

    def _rv_migrated(self, e: Event) -> None:
        self.rv_migrated_events += e.args["amount"]

    # ------------------------------------------------------------------ useful cases

    def _programme_created(self, e: Event) -> None:
        pid = e.args["programmeId"]
        p = e.args["params"]
        self._expect("usefulCases.programmeCount (ids are sequential)", len(self.programmes) + 1, pid, e)
        self.programmes[pid] = Programme(
            id=pid,
            title=p["title"],
            reward_per_case=p["rewardPerCase"],
            case_value_kopiyky=p["caseValueKopiyky"],
            token_cap=p["tokenCap"],
            per_resident_cap=p["perResidentCap"],
            start=p["start"],
            end=p["end"],
            quorum=p["quorum"],
            verifiers=set(p["verifiers"]),
            created_block=e.block,
        )
        # The fund reserved the programme's cap x face value just before (ProgrammeReserved).
        self._expect(
            f"fund.programmeReserve({pid}) reserved at creation",
            p["tokenCap"] * self.face_value_kopiyky,
            self.programme_reserve.get(pid, 0),
            e,
        )

    def _programme_paused(self, e: Event) -> None:
        self.programmes[e.args["programmeId"]].status = PROGRAMME_PAUSED

    def _programme_resumed(self, e: Event) -> None:
        self.programmes[e.args["programmeId"]].status = PROGRAMME_ACTIVE

    def _programme_closed(self, e: Event) -> None:
        programme = self.programmes[e.args["programmeId"]]
        programme.status = PROGRAMME_CLOSED
        unused = (programme.token_cap - programme.rv_minted) * self.face_value_kopiyky
        programme.unused_reserve_released_kopiyky = unused
        self._expect(
            f"programme {programme.id}: unused reserve at closing", unused, e.args["unusedReserveKopiyky"], e
        )
        self._expect(
            f"programme {programme.id}: reserve released to the fund at closing",
            unused,
            self._programme_released.get(programme.id, 0),
            e,
        )

    def _verifier_added(self, e: Event) -> None:
        self.programmes[e.args["programmeId"]].verifiers.add(e.args["verifier"])

    def _verifier_removed(self, e: Event) -> None:
        self.programmes[e.args["programmeId"]].verifiers.discard(e.args["verifier"])

    def _quorum_changed(self, e: Event) -> None:
        self.programmes[e.args["programmeId"]].quorum = e.args["quorum"]

    def _case_submitted(self, e: Event) -> None:
        cid = e.args["caseId"]
        self._expect("usefulCases.caseCount (ids are sequential)", len(self.cases) + 1, cid, e)
        self.cases[cid] = Case(
            id=cid,
            programme_id=e.args["programmeId"],
            resident_id=e.args["residentId"],
            submitted_by=e.args["submittedBy"],
        )
        self.programmes[e.args["programmeId"]].cases_submitted += 1

    def _case_approved_by(self, e: Event) -> None:
        self.cases[e.args["caseId"]].approvals += 1

    def _case_rejected_by(self, e: Event) -> None:
        self.cases[e.args["caseId"]].rejections += 1

    def _case_approved(self, e: Event) -> None:
        case = self.cases[e.args["caseId"]]
        programme = self.programmes[case.programme_id]
        self._expect(f"case {case.id}: RV minted", programme.reward_per_case, e.args["rvMinted"], e)
        self._expect(
            f"case {case.id}: value (kopiyky)", programme.case_value_kopiyky, e.args["valueKopiyky"], e
        )
        self._expect(
            f"case {case.id}: resident", self.residents[case.resident_id].address, e.args["resident"], e
        )
        case.status = CASE_APPROVED
        programme.cases_approved += 1
        programme.rv_minted += programme.reward_per_case
        programme.value_approved_kopiyky += programme.case_value_kopiyky
        self.earned[(programme.id, case.resident_id)] += programme.reward_per_case
        if self.series is not None:
            self.series.issuance.setdefault(programme.id, []).append((e.block, programme.rv_minted))

    def _case_rejected(self, e: Event) -> None:
        case = self.cases[e.args["caseId"]]
        case.status = CASE_REJECTED
        self.programmes[case.programme_id].cases_rejected += 1

    # ------------------------------------------------------------------ vote

    def _round_created(self, e: Event) -> None:
        rid = e.args["roundId"]
        p = e.args["params"]
        self._expect("balancedVote.roundCount (ids are sequential)", len(self.rounds) + 1, rid, e)
        self.rounds[rid] = Round(
            id=rid,
            fund_kopiyky=p["fundKopiyky"],
            pitch_start=p["pitchStart"],
            pitch_end=p["pitchEnd"],
            screen_end=p["screenEnd"],
            vote_end=p["voteEnd"],
            max_projects=p["maxProjects"],
            metadata_hash=p["metadataHash"],
            rules=RoundRules.of(p["rules"]),
            created_block=e.block,
        )
        reserve = self.round_reserve.get(rid)
        reserved = reserve.from_token_fund + reserve.from_available if reserve else 0
        self._expect(f"round {rid}: fund reserved at creation", p["fundKopiyky"], reserved, e)

    def _rules_set(self, e: Event) -> None:
        self.rounds[e.args["roundId"]].rules = RoundRules.of(e.args["rules"])

    def _project_pitched(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        pid = e.args["projectId"]
        self._expect(f"round {rnd.id}: project ids are sequential", len(rnd.projects) + 1, pid, e)
        rnd.projects[pid] = Project(
            id=pid,
            proposer_id=e.args["proposerId"],
            proposer=e.args["proposer"],
            ask_kopiyky=e.args["askKopiyky"],
            metadata_hash=e.args["metadataHash"],
            loan_id=e.args["loanId"],
        )

    def _project_screened(self, e: Event) -> None:
        project = self.rounds[e.args["roundId"]].projects[e.args["projectId"]]
        project.status = PROJECT_ELIGIBLE if e.args["eligible"] else PROJECT_INELIGIBLE
        project.reason_code = e.args["reasonCode"]

    def _ballot_cast(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        rid = e.args["residentId"]
        ids, credits = list(e.args["projectIds"]), list(e.args["credits"])
        self._expect(f"round {rnd.id}, resident {rid}: ballot lengths", len(ids), len(credits), e)
        self._expect(f"round {rnd.id}, resident {rid}: ballot total", sum(credits), e.args["totalCredits"], e)
        rnd.ballots[rid] = dict(zip(ids, credits, strict=False))
        rnd.ballot_changes += 1

    def _project_funded(self, e: Event) -> None:
        self._funded_events[e.args["roundId"]][e.args["projectId"]] = (
            e.args["weight"],
            e.args["fundedKopiyky"],
            e,
        )

    def _round_finalised(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        self._settle_allocation(rnd, e)
        rnd.finalised = True
        rnd.finalised_block = e.block
        rnd.rv_burned = rnd.escrow_total
        self._expect(
            f"round {rnd.id}: total funded", rnd.total_funded_kopiyky, e.args["totalFundedKopiyky"], e
        )
        self._expect(
            f"round {rnd.id}: unallocated",
            rnd.fund_kopiyky - rnd.total_funded_kopiyky,
            e.args["unallocatedKopiyky"],
            e,
        )
        self._expect(f"round {rnd.id}: RV burned", rnd.rv_burned, e.args["rvBurned"], e)

    def _settle_allocation(self, rnd: Round, e: Event) -> None:
        """The round's funded amounts by its rule; checked once against the ProjectFunded events."""
        if rnd.allocated:
            return
        tallies = rnd.tallies()
        allocation = rnd.allocation(self.cofinancing.pledged_money(rnd.id) if rnd.rules.co_financed else None)
        events = self._funded_events.pop(rnd.id, {})
        for pid, funded in allocation.items():
            rnd.projects[pid].funded_kopiyky = funded
            emitted = events.pop(pid, None)
            if funded and emitted is None:
                self._expect(f"round {rnd.id}, project {pid}: ProjectFunded emitted", funded, "no event", e)
            elif emitted is not None:
                found_weight, found_funded, event = emitted
                self._expect(f"round {rnd.id}, project {pid}: funded (kopiyky)", funded, found_funded, event)
                self._expect(
                    f"round {rnd.id}, project {pid}: weight", tallies[pid].weight, found_weight, event
                )
        for pid, (_, found_funded, event) in events.items():
            self._expect(f"round {rnd.id}, project {pid}: funded (kopiyky)", 0, found_funded, event)
        rnd.total_funded_kopiyky = sum(allocation.values())
        rnd.allocated = True

    def chosen_by_vote(self, round_id: int, project_id: int) -> bool:
        """Whether the vote chose the project (CoFinancing.chosenByVote): its round finalised and the project
        funded, or, under the co-financing rule, eligible, voted for, and covered by the money pledged."""
        rnd = self.rounds.get(round_id)
        if rnd is None or not rnd.finalised or project_id not in rnd.projects:
            return False
        project = rnd.projects[project_id]
        if project.funded_kopiyky:
            return True
        return (
            rnd.rules.co_financed
            and project.status == PROJECT_ELIGIBLE
            and rnd.tallies()[project_id].weight > 0
            and self.cofinancing.pledged_money(round_id).get(project_id, 0) >= project.ask_kopiyky
        )

    def _round_cancelled(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        rnd.cancelled = True
        rnd.escrow_at_cancellation = rnd.escrow_total
        self._expect(f"round {rnd.id}: escrow to refund", rnd.escrow_total, e.args["escrowedToRefund"], e)

    def _refund_paid(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        rid = e.args["residentId"]
        self._expect(f"round {rnd.id}, resident {rid}: refunded once", False, rid in rnd.refunded, e)
        self._expect(f"round {rnd.id}, resident {rid}: refund", rnd.escrow_of(rid), e.args["amount"], e)
        self._expect(
            f"round {rnd.id}, resident {rid}: refund address",
            self.residents[rid].address,
            e.args["account"],
            e,
        )
        rnd.refunded[rid] = e.args["amount"]

    # ------------------------------------------------------------------ fund

    def _cycle_opened(self, e: Event) -> None:
        cycle = e.args["cycleId"]
        self._expect("fund.currentCycle (cycles are sequential)", self.current_cycle + 1, cycle, e)
        self.current_cycle = cycle
        self.cycles[cycle] = {"label": e.args["label"], "block": e.block}
        self.impact.setdefault(cycle, Impact())

    def _check_cycle(self, e: Event) -> None:
        self._expect("fund.currentCycle at the event", self.current_cycle, e.args["cycleId"], e)

    def _accrue(self, name: str, amount: int) -> None:
        for cycle in {self.current_cycle, 0}:  # a set: cycle 0 (all time) once, even before cycle 1 opens
            figures = self.impact[cycle]
            setattr(figures, name, getattr(figures, name) + amount)

    def _capital_deposited(self, e: Event) -> None:
        self._check_cycle(e)
        amount = e.args["amountKopiyky"]
        self.deposit_count += 1
        self._expect("fund.depositCount (ids are sequential)", self.deposit_count, e.args["depositId"], e)
        self.ledger.deposits += amount
        self.ledger.available += amount
        self._accrue("depositsKopiyky", amount)

    def _programme_reserved(self, e: Event) -> None:
        amount = e.args["amountKopiyky"]
        self.programme_reserve[e.args["programmeId"]] = amount
        self.ledger.available -= amount
        self.ledger.programmeReserves += amount

    def _programme_released_event(self, e: Event) -> None:
        pid, amount = e.args["programmeId"], e.args["amountKopiyky"]
        self._programme_released[pid] = self._programme_released.get(pid, 0) + amount
        self.programme_reserve[pid] -= amount
        self.ledger.programmeReserves -= amount
        self.ledger.available += amount

    def _issuance_recorded(self, e: Event) -> None:
        self._check_cycle(e)
        pid, cases = e.args["programmeId"], e.args["cases"]
        programme = self.programmes.get(pid)
        # One event per approval, or per run of one programme's cases in a batch: `cases` of them.
        rv = cases * programme.reward_per_case if programme else e.args["rv"]
        case_value = cases * programme.case_value_kopiyky if programme else e.args["caseValueKopiyky"]
        kopiyky = rv * self.face_value_kopiyky
        self._expect(f"programme {pid}: RV per issuance (cases x reward)", rv, e.args["rv"], e)
        self._expect(
            f"programme {pid}: kopiyky per issuance (RV x face value)", kopiyky, e.args["kopiyky"], e
        )
        self._expect(
            f"programme {pid}: case value per issuance (cases x case value)",
            case_value,
            e.args["caseValueKopiyky"],
            e,
        )
        self.programme_reserve[pid] -= kopiyky
        self.ledger.programmeReserves -= kopiyky
        self.ledger.tokenFund += kopiyky
        self._accrue("casesValueKopiyky", case_value)
        self._accrue("casesApproved", cases)
        self._accrue("rvIssued", rv)
        self._accrue("rvIssuedKopiyky", kopiyky)

    def _round_reserved(self, e: Event) -> None:
        rid = e.args["roundId"]
        from_token_fund, from_available = e.args["fromTokenFund"], e.args["fromAvailable"]
        total = from_token_fund + from_available
        self._expect(
            f"round {rid}: reserved from the token fund first",
            min(self.ledger.tokenFund, total),
            from_token_fund,
            e,
        )
        self.round_reserve[rid] = RoundReserve(from_token_fund, from_available)
        self.ledger.tokenFund -= from_token_fund
        self.ledger.available -= from_available
        self.ledger.roundReserves += total

    def _round_settled(self, e: Event) -> None:
        rnd = self.rounds[e.args["roundId"]]
        self._settle_allocation(rnd, e)
        reserve = self.round_reserve[rnd.id]
        total = reserve.from_token_fund + reserve.from_available
        committed = rnd.total_funded_kopiyky
        self._expect(f"round {rnd.id}: committed at settlement", committed, e.args["committedKopiyky"], e)
        self._expect(
            f"round {rnd.id}: returned at settlement", total - committed, e.args["returnedKopiyky"], e
        )
        self._expect(f"round {rnd.id}: reserve open at settlement", True, reserve.open, e)
        reserve.open = False
        self.ledger.roundReserves -= total
        self.ledger.committed += committed
        self.ledger.available += total - committed

    def _round_released(self, e: Event) -> None:
        rid = e.args["roundId"]
        reserve = self.round_reserve[rid]
        self._expect(
            f"round {rid}: released to the token fund", reserve.from_token_fund, e.args["toTokenFund"], e
        )
        self._expect(f"round {rid}: released to available", reserve.from_available, e.args["toAvailable"], e)
        reserve.open = False
        self.ledger.roundReserves -= reserve.from_token_fund + reserve.from_available
        self.ledger.tokenFund += reserve.from_token_fund
        self.ledger.available += reserve.from_available

    def _payable(self, e: Event, settlement: str) -> Project:
        project = self.rounds[e.args["roundId"]].projects[e.args["projectId"]]
        label = f"round {e.args['roundId']}, project {project.id}"
        self._expect(f"{label}: settled once", None, project.settled, e)
        project.settled = settlement
        return project

    def _grant_paid(self, e: Event) -> None:
        project = self._payable(e, "grant")
        label = f"round {e.args['roundId']}, project {project.id}"
        self._expect(f"{label}: grant paid", project.funded_kopiyky, e.args["amountKopiyky"], e)
        self._expect(f"{label}: a grant has no loan", 0, project.loan_id, e)
        self.ledger.committed -= project.funded_kopiyky
        self.ledger.grantsPaid += project.funded_kopiyky
        self._accrue("grantsKopiyky", project.funded_kopiyky)
        self.delivery.paid_in_one_go(e)

    def _grant_tranche_paid(self, e: Event) -> None:
        """A tranche of a planned grant (ProjectDelivery pays it through the fund)."""
        rid, pid, amount = e.args["roundId"], e.args["projectId"], e.args["amountKopiyky"]
        project = self.rounds[rid].projects[pid]
        label = f"round {rid}, project {pid}"
        self._expect(f"{label}: a tranche is paid while the project is unsettled", None, project.settled, e)
        self._expect(f"{label}: a grant has no loan", 0, project.loan_id, e)
        self.delivery.fund_tranche_paid(e)
        if e.args["paidKopiyky"] >= project.funded_kopiyky:
            project.settled = "grant"
        self.ledger.committed -= amount
        self.ledger.grantsPaid += amount
        self._accrue("grantsKopiyky", amount)

    def _delivery_plan_set(self, e: Event) -> None:
        rid, pid = e.args["roundId"], e.args["projectId"]
        project = self.rounds[rid].projects[pid]
        self._expect(
            f"round {rid}, project {pid}: plan for the funded amount",
            project.funded_kopiyky,
            e.args["fundedKopiyky"],
            e,
        )
        self.delivery.apply(e)

    def _project_funds_released(self, e: Event) -> None:
        project = self._payable(e, "released")
        label = f"round {e.args['roundId']}, project {project.id}"
        # A project paid in tranches releases what they did not pay.
        unpaid = project.funded_kopiyky - self.delivery.released(e.args["roundId"], project.id)
        self._expect(f"{label}: funds released", unpaid, e.args["amountKopiyky"], e)
        self.ledger.committed -= unpaid
        self.ledger.available += unpaid

    def _loan_applied(self, e: Event) -> None:
        lid = e.args["loanId"]
        self._expect("fund.loanCount (ids are sequential)", len(self.loans) + 1, lid, e)
        self.loans[lid] = Loan(
            id=lid,
            applicant_id=e.args["applicantId"],
            applicant=e.args["applicant"],
            principal=e.args["principal"],
        )

    def _loan_approved(self, e: Event) -> None:
        loan = self.loans[e.args["loanId"]]
        round_id, project_id = e.args["roundId"], e.args["projectId"]
        loan.status = LOAN_APPROVED
        if round_id == 0:
            loan.approved_by = "council"
            self._expect(f"loan {loan.id}: principal approved", loan.principal, e.args["principal"], e)
            self.ledger.available -= loan.principal
            self.ledger.committed += loan.principal
            return
        # Approved by a round's result: the money was committed at settlement; the principal becomes the
        # funded amount when that is smaller (the schedule is scaled to it).
        project = self._payable(e, "loan")
        loan.approved_by = "round"
        loan.round_id, loan.project_id = round_id, project_id
        label = f"loan {loan.id} (round {round_id}, project {project_id})"
        self._expect(f"{label}: the project names the loan", loan.id, project.loan_id, e)
        self._expect(
            f"{label}: the project's proposer is the applicant", loan.applicant_id, project.proposer_id, e
        )
        loan.principal = min(loan.principal, project.funded_kopiyky)
        self._expect(f"{label}: principal", loan.principal, e.args["principal"], e)

    def _loan_rejected(self, e: Event) -> None:
        self.loans[e.args["loanId"]].status = LOAN_REJECTED

    def _loan_cancelled(self, e: Event) -> None:
        loan = self.loans[e.args["loanId"]]
        loan.status = LOAN_CANCELLED
        self._expect(
            f"loan {loan.id}: returned at cancellation", loan.principal, e.args["returnedKopiyky"], e
        )
        self.ledger.committed -= loan.principal
        self.ledger.available += loan.principal

    def _loan_disbursed(self, e: Event) -> None:
        self._check_cycle(e)
        loan = self.loans[e.args["loanId"]]
        loan.status = LOAN_ACTIVE
        loan.disbursed_block = e.block
        self._expect(f"loan {loan.id}: disbursed", loan.principal, e.args["amountKopiyky"], e)
        self.ledger.committed -= loan.principal
        self.ledger.loansOutstanding += loan.principal
        self._accrue("lentKopiyky", loan.principal)

    def _loan_repaid(self, e: Event) -> None:
        self._check_cycle(e)
        loan = self.loans[e.args["loanId"]]
        amount = e.args["amountKopiyky"]
        loan.repaid += amount
        self._expect(
            f"loan {loan.id}: outstanding after repayment",
            loan.principal - loan.repaid,
            e.args["outstanding"],
            e,
        )
        if loan.repaid == loan.principal:
            loan.status = LOAN_REPAID
        self.ledger.loansOutstanding -= amount
        self.ledger.available += amount
        self._accrue("repaidKopiyky", amount)

    def _loan_defaulted(self, e: Event) -> None:
        self._check_cycle(e)
        loan = self.loans[e.args["loanId"]]
        remaining = loan.principal - loan.repaid
        self._expect(f"loan {loan.id}: written off", remaining, e.args["writtenOffKopiyky"], e)
        loan.status = LOAN_DEFAULTED
        self.ledger.loansOutstanding -= remaining
        self.ledger.writtenOff += remaining
        self._accrue("writtenOffKopiyky", remaining)

    # ------------------------------------------------------------------ derived figures

    def earned_by_resident(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for (_, resident_id), rv in self.earned.items():
            totals[resident_id] += rv
        return dict(totals)

    def escrow_in_rounds(self) -> int:
        """RV that the vote contract should hold: what open and cancelled rounds still escrow."""
        return sum(r.escrowed_now for r in self.rounds.values())
