"""Comparing the recomputed figures with the contracts' state, read through their views at one block.

Each expectation names a figure in words, the value the events imply, and where the chain keeps it (a view
and, for a struct, a field). Views are read in batches; a figure that differs, or a view that fails, becomes
a Difference naming the figure, both values, the view and the block. A few figures are compared between two
recomputations instead (supply from Transfer events against the RV that programmes minted, the vote
contract's balance against what its rounds escrow, the ledger identity): those name the events as source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from cts.audit.cofinancing import STATUS_CODES
from cts.audit.delivery import STATUS_NUMBER
from cts.audit.model import (
    RESIDENT_ACTIVE,
    RESIDENT_MIGRATED,
    Case,
    Difference,
    Impact,
    Ledger,
    Resident,
    Round,
)
from cts.audit.recompute import History
from cts.audit.rules import impact_ratio_bps
from cts.audit.views import Answer, View, ViewReader

# (figure, expected, found, where in the answer) of one figure that differs.
Mismatch = tuple[str, Any, Any, str]


# Not frozen: a frozen dataclass is made twice as slowly, and a large audit makes hundreds of thousands.
@dataclass(slots=True)
class Expectation:
    """A figure the chain keeps at `path` in a view's answer (empty path: the whole answer)."""

    figure: str
    expected: Any
    path: tuple[str, ...] = ()
    transform: Callable[[Any], Any] | None = None

    def found_in(self, value: Any) -> Any:
        for key in self.path:
            value = value[key]
        return self.transform(value) if self.transform is not None else value

    def figures(self) -> list[tuple[str, Any]]:
        """(figure, expected value)."""
        return [(self.figure, self.expected)]

    def mismatches(self, value: Any) -> Iterator[Mismatch]:
        try:
            found = self.found_in(value)
        except (KeyError, IndexError, TypeError) as error:
            found = f"no such field ({error})"
        if found != self.expected:
            yield self.figure, self.expected, found, "".join(f".{p}" for p in self.path)


@dataclass(slots=True)
class FieldExpectations:
    """Fields of one struct answer, each the figure "<prefix>: <field>". One object for the whole struct, and
    the figures named only where one differs: a large hromada has hundreds of thousands of them."""

    prefix: str
    expected: dict[str, Any]

    def figures(self) -> list[tuple[str, Any]]:
        """(figure, expected value) of each field."""
        return [(f"{self.prefix}: {name}", value) for name, value in self.expected.items()]

    def mismatches(self, value: Any) -> Iterator[Mismatch]:
        for name, expected in self.expected.items():
            try:
                found = value[name]
            except (KeyError, IndexError, TypeError) as error:
                found = f"no such field ({error})"
            if found != expected:
                yield f"{self.prefix}: {name}", expected, found, f".{name}"


def _bitmask(project_ids: Any) -> int:
    mask = 0
    for project_id in project_ids:
        mask |= 1 << (project_id - 1)
    return mask


class Expectations:
    """Expectations grouped by view, so that each view is read once."""

    def __init__(self) -> None:
        self.by_view: dict[View, list[Expectation | FieldExpectations]] = defaultdict(list)
        self.count = 0  # figures

    def add(
        self,
        view: View,
        figure: str,
        expected: Any,
        *path: str,
        transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.by_view[view].append(Expectation(figure, expected, path, transform))
        self.count += 1

    def fields(self, view: View, prefix: str, expected: dict[str, Any]) -> None:
        """One figure per struct field: "<prefix>: <field>"."""
        self.by_view[view].append(FieldExpectations(prefix, expected))
        self.count += len(expected)


# Each section adds the expectations of one part of the hromada; per-resident and per-case sections are
# built and compared a slice at a time, so that memory stays bounded for tens of thousands of residents.
Section = Callable[[Expectations], None]


def sections(history: History, timestamp: int, slice_size: int = 5_000) -> Iterator[Section]:
    """Everything the recomputation predicts about the contracts' state at the block read, in parts."""
    h = history
    yield partial(_token_totals, h)
    holders = sorted(h.balances.items())
    for start in range(0, len(holders), slice_size):
        yield partial(_balances, holders[start : start + slice_size])
    yield partial(_registry_totals, h)
    yield partial(_arrivals, h)
    residents = list(h.residents.values())
    for start in range(0, len(residents), slice_size):
        yield partial(_residents, residents[start : start + slice_size])
    yield partial(_programmes, h)
    cases = list(h.cases.values())
    for start in range(0, len(cases), slice_size):
        yield partial(_cases, cases[start : start + slice_size])
    earned = sorted(h.earned.items())
    for start in range(0, len(earned), slice_size):
        yield partial(_earnings, earned[start : start + slice_size])
    yield partial(_rounds, h, timestamp)
    for rnd in h.rounds.values():
        ballots = sorted(rnd.ballots.items())
        for start in range(0, len(ballots), slice_size):
            yield partial(_ballots, rnd, ballots[start : start + slice_size])
    yield partial(_fund, h)
    yield partial(_delivery, h)
    yield partial(_cofinancing, h)


def build_expectations(history: History, timestamp: int) -> Expectations:
    """All expectations at once (for small hromadas and tests; `compare` streams them)."""
    x = Expectations()
    for section in sections(history, timestamp):
        section(x)
    return x


def _token_totals(h: History, x: Expectations) -> None:
    x.add(View("token", "totalSupply"), "RV total supply (sum of Transfer events)", h.total_supply)
    x.add(View("token", "totalMinted"), "RV minted (Transfer events from address 0)", h.total_minted)
    x.add(View("token", "totalBurned"), "RV burned (Transfer events to address 0)", h.total_burned)


def _balances(holders: Sequence[tuple[str, int]], x: Expectations) -> None:
    for holder, balance in holders:
        x.add(View("token", "balanceOf", (holder,)), f"RV balance of {holder}", balance)


def _registry_totals(h: History, x: Expectations) -> None:
    x.add(View("registry", "residentCount"), "residents registered", len(h.residents))
    active = sum(1 for r in h.residents.values() if r.status == RESIDENT_ACTIVE)
    x.add(View("registry", "activeResidentCount"), "residents active", active)


def _arrivals(h: History, x: Expectations) -> None:
    """Who took up each release of another registry's resident (the latest arrival from it)."""
    for (registry, their_id), resident_id in sorted(h.arrivals.items()):
        x.add(
            View("registry", "arrivalOf", (registry, their_id)),
            f"resident {resident_id}: arrived as resident {their_id} of {registry}",
            resident_id,
            "residentId",
        )


def _residents(residents: Sequence[Resident], x: Expectations) -> None:
    for resident in residents:
        view = View("registry", "residentOf", (resident.address,))
        x.add(view, f"resident {resident.id}: id at its address", resident.id, "id")
        x.add(view, f"resident {resident.id}: status", resident.status, "status")
        for old in resident.previous_addresses:
            x.add(
                View("registry", "residentOf", (old,)),
                f"resident {resident.id}: old address {old} retired",
                RESIDENT_MIGRATED,
                "status",
            )
        if resident.previous_addresses:
            x.add(
                View("registry", "addressOf", (resident.id,)),
                f"resident {resident.id}: current address",
                resident.address,
            )
        if resident.links:
            x.fields(
                View("registry", "releaseOf", (resident.id,)),
                f"resident {resident.id}: latest release",
                {
                    "toRegistry": resident.release_to,
                    "keepActive": resident.release_keep_active,
                    "number": resident.release_number,
                },
            )


def _programmes(h: History, x: Expectations) -> None:
    x.add(View("usefulCases", "programmeCount"), "programmes created", len(h.programmes))
    x.add(View("usefulCases", "caseCount"), "cases submitted", len(h.cases))
    for p in h.programmes.values():
        x.fields(
            View("usefulCases", "programme", (p.id,)),
            f"programme {p.id}",
            {
                "casesSubmitted": p.cases_submitted,
                "casesApproved": p.cases_approved,
                "casesRejected": p.cases_rejected,
                "rvMinted": p.rv_minted,
                "valueApprovedKopiyky": p.value_approved_kopiyky,
                "status": p.status,
                "rewardPerCase": p.reward_per_case,
                "caseValueKopiyky": p.case_value_kopiyky,
                "tokenCap": p.token_cap,
                "perResidentCap": p.per_resident_cap,
                "quorum": p.quorum,
                "title": p.title,
            },
        )
        x.add(
            View("usefulCases", "verifiersOf", (p.id,)),
            f"programme {p.id}: verifiers",
            sorted(p.verifiers),
            transform=sorted,
        )


def _cases(cases: Sequence[Case], x: Expectations) -> None:
    for c in cases:
        x.fields(
            View("usefulCases", "caseOf", (c.id,)),
            f"case {c.id}",
            {
                "programmeId": c.programme_id,
                "residentId": c.resident_id,
                "status": c.status,
                "approvals": c.approvals,
                "rejections": c.rejections,
            },
        )


def _earnings(earned: Sequence[tuple[tuple[int, int], int]], x: Expectations) -> None:
    for (programme_id, resident_id), rv in earned:
        x.add(
            View("usefulCases", "earnedBy", (programme_id, resident_id)),
            f"programme {programme_id}: RV earned by resident {resident_id}",
            rv,
        )


def _rounds(h: History, timestamp: int, x: Expectations) -> None:
    x.add(View("balancedVote", "roundCount"), "rounds created", len(h.rounds))
    for r in h.rounds.values():
        x.fields(
            View("balancedVote", "round", (r.id,)),
            f"round {r.id}",
            {
                "projectCount": len(r.projects),
                "finalised": r.finalised,
                "cancelled": r.cancelled,
                "voters": r.voters,
                "escrowed": r.escrowed_now,
                "totalFunded": r.total_funded_kopiyky if r.finalised else 0,
                "rvBurned": r.rv_burned if r.finalised else 0,
            },
        )
        view = View("balancedVote", "round", (r.id,))
        x.add(view, f"round {r.id}: fund (kopiyky)", r.fund_kopiyky, "params", "fundKopiyky")
        x.add(view, f"round {r.id}: allocation rule", r.rules.rule, "params", "rules", "rule")
        x.add(View("balancedVote", "roundState", (r.id,)), f"round {r.id}: state", r.state_at(timestamp))
        tallies = r.tallies()
        for project in r.projects.values():
            x.fields(
                View("balancedVote", "project", (r.id, project.id)),
                f"round {r.id}, project {project.id}",
                {
                    "proposerId": project.proposer_id,
                    "askKopiyky": project.ask_kopiyky,
                    "status": project.status,
                    "loanId": project.loan_id,
                    "funded": project.funded_kopiyky,
                },
            )
            tally = tallies[project.id]
            x.fields(
                View("balancedVote", "tally", (r.id, project.id)),
                f"round {r.id}, project {project.id}, tally",
                {"weight": tally.weight, "credits": tally.credits, "supporters": tally.supporters},
            )
        # The preview reads the money pledged now (a lapse after finalisation lowers it), as the view does.
        allocation = r.allocation(h.cofinancing.pledged_money(r.id))
        preview = View("balancedVote", "previewAllocation", (r.id,))
        x.add(
            preview,
            f"round {r.id}: allocation by its rule, per project",
            [allocation[i] for i in sorted(allocation)],
            "funded",
        )
        x.add(preview, f"round {r.id}: allocation by its rule, total", sum(allocation.values()), "total")


def _ballots(rnd: Round, ballots: Sequence[tuple[int, dict[int, int]]], x: Expectations) -> None:
    for resident_id, ballot in ballots:
        x.fields(
            View("balancedVote", "voterOf", (rnd.id, resident_id)),
            f"round {rnd.id}, resident {resident_id}, ballot",
            {
                "mask": _bitmask(ballot),
                "total": sum(ballot.values()),
                "refunded": resident_id in rnd.refunded,
            },
        )


def _fund(h: History, x: Expectations) -> None:
    x.fields(View("fund", "ledger"), "fund ledger", h.ledger.as_dict())
    x.add(View("fund", "currentCycle"), "fund current cycle", h.current_cycle)
    x.add(View("fund", "depositCount"), "fund deposits recorded", h.deposit_count)
    x.add(View("fund", "loanCount"), "fund loans applied for", len(h.loans))
    for cycle in range(h.current_cycle + 1):
        figures = h.impact.get(cycle, Impact())
        label = "impact, all time" if cycle == 0 else f"impact, cycle {cycle}"
        x.fields(View("fund", "impact", (cycle,)), label, figures.as_dict())
        x.add(
            View("fund", "impactRatioBps", (cycle,)),
            f"{label}: ratio (basis points)",
            impact_ratio_bps(figures.casesValueKopiyky, figures.rvIssuedKopiyky),
        )
    for loan in h.loans.values():
        x.fields(
            View("fund", "loan", (loan.id,)),
            f"loan {loan.id}",
            {
                "applicantId": loan.applicant_id,
                "status": loan.status,
                "principal": loan.principal,
                "repaid": loan.repaid,
                "roundId": loan.round_id,
                "projectId": loan.project_id,
            },
        )
        x.add(View("fund", "outstanding", (loan.id,)), f"loan {loan.id}: outstanding", loan.outstanding)
    for programme_id in sorted(h.programmes):
        x.add(
            View("fund", "programmeReserve", (programme_id,)),
            f"programme {programme_id}: reserve in the fund",
            h.programme_reserve.get(programme_id, 0),
        )
    for round_id, reserve in sorted(h.round_reserve.items()):
        x.fields(
            View("fund", "roundReserve", (round_id,)),
            f"round {round_id}: reserve in the fund",
            {
                "fromTokenFund": reserve.from_token_fund,
                "fromAvailable": reserve.from_available,
                "open": reserve.open,
            },
        )
    for r in h.rounds.values():
        if r.finalised:
            for project in r.projects.values():
                x.add(
                    View("fund", "isProjectSettled", (r.id, project.id)),
                    f"round {r.id}, project {project.id}: settled by the fund",
                    project.settled is not None,
                )


def _delivery(h: History, x: Expectations) -> None:
    """Each planned project's milestones (status, current report), what ProjectDelivery and the fund say
    it was paid, and the reports' open flags."""
    d = h.delivery
    x.add(View("delivery", "reportCount"), "delivery reports made", len(d.reports))
    x.add(View("delivery", "flagCount"), "delivery flags raised", len(d.flags))
    for plan in d.plans.values():
        label = f"round {plan.round_id}, project {plan.project_id}"
        key = (plan.round_id, plan.project_id)
        x.add(
            View("delivery", "plan", key),
            f"{label}: milestones (due, share, status, report)",
            [(m.due_at, m.share_kopiyky, STATUS_NUMBER[m.status], m.report_id) for m in plan.milestones],
            transform=lambda ms: [(m["dueAt"], m["shareKopiyky"], m["status"], m["reportId"]) for m in ms],
        )
        x.add(View("delivery", "paidKopiyky", key), f"{label}: tranches paid", plan.tranches_kopiyky)
        x.add(
            View("fund", "grantTranchesPaid", key),
            f"{label}: paid in tranches by the fund",
            plan.fund_paid_kopiyky,
        )
    for report in d.reports.values():
        open_flags = sum(1 for f in report.flag_ids if not d.flags[f].answered)
        x.fields(
            View("delivery", "report", (report.id,)),
            f"delivery report {report.id}",
            {"openFlags": open_flags, "flags": len(report.flag_ids), "reportHash": report.report_hash},
        )


def _cofinancing(h: History, x: Expectations) -> None:
    """Partners and pledges counted, each pledge's state, the money pledged per project and each token's
    escrow, as CoFinancing's views say them."""
    c = h.cofinancing
    x.add(View("coFinancing", "partnerCount"), "co-financing partners", len(c.partners))
    x.add(View("coFinancing", "pledgeCount"), "co-financing pledges", len(c.pledges))
    for pledge in c.pledges.values():
        x.fields(
            View("coFinancing", "pledgeOf", (pledge.id,)),
            f"pledge {pledge.id}",
            {
                "status": STATUS_CODES[pledge.status],
                "valueKopiyky": pledge.value_kopiyky,
                "kind": pledge.kind,
            },
        )
    for round_id, project_id in sorted({(p.round_id, p.project_id) for p in c.pledges.values()}):
        x.add(
            View("coFinancing", "pledgedMoney", (round_id, project_id)),
            f"round {round_id}, project {project_id}: money pledged",
            c.pledged_money(round_id).get(project_id, 0),
        )
    for token, amount in sorted(c.escrowed.items()):
        x.add(View("coFinancing", "tokenEscrowed", (token,)), f"escrow of token {token}", amount)


INTERNAL_CHECKS = 7


def internal_differences(h: History, block: int) -> list[Difference]:
    """Figures that two recomputations from different events must agree on."""
    found: list[Difference] = []

    def expect(figure: str, expected: Any, value: Any, source: str) -> None:
        if expected != value:
            found.append(Difference(figure, expected, value, source, block))

    programmes_minted = sum(p.rv_minted for p in h.programmes.values())
    expect(
        "RV minted: programmes' approved cases vs Transfer from 0",
        programmes_minted,
        h.total_minted,
        "RVToken.Transfer events",
    )
    expect(
        "RV issued in the fund's impact vs RV minted",
        h.total_minted,
        h.impact[0].rvIssued,
        "CommunityFund.IssuanceRecorded events",
    )
    burned_by_rounds = sum(r.rv_burned for r in h.rounds.values())
    expect(
        "RV burned: finalised rounds' escrow vs Transfer to 0",
        burned_by_rounds,
        h.total_burned,
        "RVToken.Transfer events",
    )
    expect(
        "RV burned: RVBurned events vs Transfer to 0",
        h.total_burned,
        h.rv_burned_events,
        "RVToken.RVBurned events",
    )
    vote = h.contracts["balancedVote"]
    expect(
        "RV held by the vote contract vs what its rounds escrow",
        h.escrow_in_rounds(),
        h.balances.get(vote, 0),
        "RVToken.Transfer events",
    )
    expect(
        "fund ledger identity (recomputed): deposits - the other buckets",
        0,
        h.ledger.balance_gap,
        "CommunityFund events",
    )
    return found


@dataclass
class ComparisonResult:
    checked: int
    differences: list[Difference]


def compare(
    history: History, reader: ViewReader, timestamp: int, views_per_pass: int = 10_000
) -> ComparisonResult:
    """Read every expected view at the reader's block and list where the chain differs.

    Sections are gathered until about `views_per_pass` views are pending, then read and compared, and
    forgotten: memory stays bounded whatever the number of residents, cases and ballots. One pass is read
    (the node runs its views) while the next is gathered and the one before compared, so that the node's
    work and the audit's own overlap.
    """
    differences: list[Difference] = []
    checked = 0

    def settle(expected: Expectations, answers: Future[list[Answer]]) -> None:
        nonlocal checked
        for view, answer in zip(expected.by_view, answers.result(), strict=True):
            differences.extend(_differences(view, expected.by_view[view], answer, reader.block))
            if view == View("fund", "ledger") and answer.ok:
                checked += 1
                differences.extend(_ledger_identity(answer.value, reader.block))
        checked += expected.count

    with ThreadPoolExecutor(max_workers=1) as background:
        reading: tuple[Expectations, Future[list[Answer]]] | None = None
        pending = Expectations()

        def send() -> None:
            nonlocal reading, pending
            answers = background.submit(reader.read, list(pending.by_view))
            if reading is not None:
                settle(*reading)
            reading, pending = (pending, answers), Expectations()

        for section in sections(history, timestamp):
            section(pending)
            if len(pending.by_view) >= views_per_pass:
                send()
        send()
        if reading is not None:
            settle(*reading)
    return ComparisonResult(checked=checked, differences=differences)


def _differences(
    view: View, items: Sequence[Expectation | FieldExpectations], answer: Answer, block: int
) -> list[Difference]:
    if not answer.ok:
        return [
            Difference(figure, expected, answer.failure, view.label, block)
            for item in items
            for figure, expected in item.figures()
        ]
    return [
        Difference(figure, expected, found, view.label + path, block)
        for item in items
        for figure, expected, found, path in item.mismatches(answer.value)
    ]


def _ledger_identity(ledger: dict[str, int], block: int) -> list[Difference]:
    """The fund's own buckets must balance: deposits = the sum of the others."""
    others = sum(ledger[name] for name in Ledger.names() if name != "deposits")
    if ledger["deposits"] == others:
        return []
    return [
        Difference(
            "fund ledger identity on chain: deposits = sum of the other buckets",
            others,
            ledger["deposits"],
            "CommunityFund.ledger()",
            block,
        )
    ]
