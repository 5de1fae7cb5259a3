"""Balanced-vote rounds: anyone sees them and their results; residents pitch projects and vote; anyone
signed in may finalise a round whose vote has closed (as the contract allows)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils.abi import function_signature_to_4byte_selector
from fastapi import APIRouter, Response

from cts.api.deps import RelayerDep
from cts.models import Role
from cts.relayer.schemas import IdParam
from cts.web.cofinancing_reads import CoFinancingReader, ProjectCoFinancing, gap_kopiyky
from cts.web.deps import FormDep, Page, PageDep, ReaderDep, ResidentPage, SignedInPage
from cts.web.forms import MAX_RV, FormState, handle_form
from cts.web.reads import ChainReader, ProjectView, RoundView, quadratic_weight
from cts.web.routes.common import queue, resident_of

router = APIRouter(include_in_schema=False)


@dataclass
class VoteRow:
    project: ProjectView
    credits: int
    weight: int
    base_weight: int  # the project's weight without this resident's current ballot

    @property
    def total_weight(self) -> int:
        return self.base_weight + self.weight


# The ballot function a resident's own wallet signs (static/wallet.js encodes its arguments).
CAST_BALLOT = "castBallot(uint256,uint256[],uint256[])"


@dataclass
class VoteModel:
    form: FormState
    withdraw_form: FormState
    rows: list[VoteRow]
    available: int
    has_ballot: bool

    @property
    def used(self) -> int:
        return sum(row.credits for row in self.rows)

    @property
    def left(self) -> int:
        return self.available - self.used


def _credits(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else 0


def build_vote(
    page: Page,
    reader: ChainReader,
    round_view: RoundView,
    projects: list[ProjectView],
    form: FormState | None = None,
    withdraw_form: FormState | None = None,
) -> VoteModel | None:
    """The ballot form of a resident in a round that is voting (None otherwise)."""
    if round_view.state != "voting" or page.role != Role.RESIDENT or page.user is None:
        return None
    address = page.user.wallet.address
    resident = reader.resident(address)
    if not resident.is_active:
        return None  # the chain refuses their ballot: the page says why instead
    ballot = reader.ballot_of(round_view.id, resident.id)
    available = reader.balance_of(address) + sum(ballot.values())
    rows = []
    for project in projects:
        if not project.is_eligible:
            continue
        if form is not None:
            credits = _credits(form.values.get(f"credits_{project.id}", ""))
        else:
            credits = ballot.get(project.id, 0)
        rows.append(
            VoteRow(
                project=project,
                credits=credits,
                weight=quadratic_weight(credits),
                base_weight=project.weight - quadratic_weight(ballot.get(project.id, 0)),
            )
        )
    return VoteModel(
        form=form or FormState(name="vote"),
        withdraw_form=withdraw_form or FormState(name="withdraw"),
        rows=rows,
        available=available,
        has_ballot=bool(ballot),
    )


def my_ballot(
    page: Page, reader: ChainReader, round_view: RoundView, projects: list[ProjectView]
) -> list[tuple[ProjectView, int, int]]:
    """The signed-in resident's ballot as the chain records it: each project with the RV put on it and the
    weight they give."""
    if page.role != Role.RESIDENT or page.user is None or round_view.state in ("scheduled", "pitching"):
        return []
    ballot = reader.ballot_of(round_view.id, reader.resident(page.user.wallet.address).id)
    return [(p, ballot[p.id], quadratic_weight(ballot[p.id])) for p in projects if ballot.get(p.id)]


def _own_wallet(page: Page, reader: ChainReader, round_id: int) -> dict[str, str | int] | None:
    """What static/wallet.js needs to have the person's own wallet sign a ballot (if one is linked), and
    the RV that wallet may vote with (its own, apart from the custodial wallet's)."""
    if page.user is None or page.user.own_wallet_address is None:
        return None
    address = page.user.own_wallet_address
    ballot = reader.ballot_of(round_id, reader.resident(address).id)
    return {
        "address": address,
        "available": reader.balance_of(address) + sum(ballot.values()),
        "to": reader.h.vote.address,
        "selector": "0x" + function_signature_to_4byte_selector(CAST_BALLOT).hex(),
    }


@dataclass
class CoFinancingModel:
    """What partners pledged to each project of a round, and under the co-financing rule the gap the vote
    fills (ask minus the money pledged)."""

    by_project: dict[int, ProjectCoFinancing]
    gaps: dict[int, int]
    # Projects of a finalised co-financed round that partners' money covered whole and the vote chose.
    covered: set[int]

    def of(self, project_id: int) -> ProjectCoFinancing:
        return self.by_project.get(project_id) or ProjectCoFinancing([])


def build_co_financing(
    reader: ChainReader, round_view: RoundView, projects: list[ProjectView]
) -> CoFinancingModel:
    co = CoFinancingReader(reader)
    by_project = co.by_project(round_view.id)
    empty = ProjectCoFinancing([])
    gaps = {p.id: gap_kopiyky(p.ask_kopiyky, by_project.get(p.id, empty).money_kopiyky) for p in projects}
    covered = set()
    if round_view.co_financed and round_view.state == "finalised":
        covered = {
            p.id
            for p in projects
            if p.is_eligible
            and not p.funded_kopiyky
            and gaps[p.id] == 0
            and co.chosen_by_vote(p.round_id, p.id)
        }
    return CoFinancingModel(by_project, gaps, covered)


def render_round(
    page: Page,
    reader: ChainReader,
    round_id: IdParam,
    *,
    vote_form: FormState | None = None,
    withdraw_form: FormState | None = None,
    finalise_form: FormState | None = None,
    status: int = 200,
) -> Response:
    round_view = reader.round(round_id)
    projects = reader.projects(round_id)
    resident = resident_of(page, reader)
    results = sorted(
        (p for p in projects if p.is_eligible), key=lambda p: (-p.funded_kopiyky, -p.weight, p.id)
    )
    ballot = my_ballot(page, reader, round_view, projects)
    vote = build_vote(page, reader, round_view, projects, vote_form, withdraw_form)
    return page.render(
        "round.html",
        {
            "round": round_view,
            "projects": projects,
            "results": results,
            "co": build_co_financing(reader, round_view, projects),
            "vote": vote,
            "own_wallet": _own_wallet(page, reader, round_id) if vote is not None else None,
            "my_ballot": ballot,
            "my_ballot_rv": sum(credits for _, credits, _ in ballot),
            "finalise_form": finalise_form or FormState(name="finalise"),
            "resident": resident,
            "is_resident": resident is not None and resident.is_active,
        },
        status=status,
    )


@router.get("/rounds")
def rounds_page(page: PageDep, reader: ReaderDep) -> Response:
    return page.render("rounds.html", {"rounds": reader.rounds()})


@router.get("/rounds/{round_id}")
def round_page(round_id: IdParam, page: PageDep, reader: ReaderDep) -> Response:
    return render_round(page, reader, round_id)


@router.post("/rounds/{round_id}/ballot")
def cast_ballot(
    round_id: IdParam, page: ResidentPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    """Cast (or revise) a ballot; with the "preview" button, only show the weights (for browsers without
    JavaScript: the same preview the script computes as one types)."""
    round_view = reader.round(round_id)
    if form.has("preview"):
        state = form.state("vote")
        return render_round(page, reader, round_id, vote_form=state)
    eligible = [p for p in reader.projects(round_id) if p.is_eligible]

    def act() -> str:
        allocations: dict[int, int] = {}
        for project in eligible:
            name = f"credits_{project.id}"
            if form.has(name):
                credits = form.integer(name, minimum=0, maximum=MAX_RV)
                if credits > 0:
                    allocations[project.id] = credits
        form.check()
        if not allocations:
            form.error(
                f"credits_{eligible[0].id}" if eligible else "credits",
                form.t.gettext("Give at least 1 RV to one of the projects."),
            )
            form.check()
        if round_view.max_credits_per_project:
            for project_id, credits in allocations.items():
                if credits > round_view.max_credits_per_project:
                    form.error(
                        f"credits_{project_id}",
                        form.t.gettext(
                            "At most %(max)s.", max=form.t.number(round_view.max_credits_per_project)
                        ),
                    )
            form.check()
        ids = sorted(allocations)
        function = relayer.chain.hromada.vote.functions.castBallot(
            round_id, ids, [allocations[i] for i in ids]
        )
        return queue(page, relayer, function)

    return handle_form(
        page,
        form,
        act,
        lambda status: render_round(page, reader, round_id, vote_form=form.state("vote"), status=status),
    )


@router.post("/rounds/{round_id}/ballot/withdraw")
def withdraw_ballot(
    round_id: IdParam, page: ResidentPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    def act() -> str:
        return queue(page, relayer, relayer.chain.hromada.vote.functions.withdrawBallot(round_id))

    return handle_form(
        page,
        form,
        act,
        lambda status: render_round(
            page, reader, round_id, withdraw_form=form.state("withdraw"), status=status
        ),
    )


@router.post("/rounds/{round_id}/finalise")
def finalise_round(
    round_id: IdParam, page: SignedInPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    def act() -> str:
        return queue(page, relayer, relayer.chain.hromada.vote.functions.finalise(round_id))

    def rerender(status: int) -> Response:
        state = form.state("finalise")
        round_view = reader.round(round_id)
        if state.message and round_view.state in ("scheduled", "pitching", "screening", "voting"):
            # the page offers no finalise button before voting closes: say why it was refused
            state.message = page.t.gettext(
                "The round cannot be finalised yet: voting closes %(when)s. Then anyone may finalise it.",
                when=page.t.when(round_view.vote_ends_at),
            )
        return render_round(page, reader, round_id, finalise_form=state, status=status)

    return handle_form(page, form, act, rerender)
