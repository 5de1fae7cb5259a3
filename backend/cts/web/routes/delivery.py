"""Delivery pages (issue 19, docs/delivery.md): a funded project's plan, reports, flags and payments for
everyone; residents' comments and flags; the council's plan, decisions, answers and tranches; the hromada's
delivery overview and its open data (cts.delivery.opendata). The owner's report form is in delivery_report.

Every action is one ProjectDelivery call through the relayer, as on the other pages; the documents behind
its hashes (titles, line items, reasons, answers) are stored first (cts.delivery.documents), so the page
shows them as soon as the chain records the call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import FileResponse, JSONResponse

from cts.api.deps import RelayerDep
from cts.delivery import opendata
from cts.delivery.comments import (
    COMMENT_MAX,
    CommentNotRegisteredError,
    CommentRefused,
    add_comment,
    comments_for,
)
from cts.delivery.documents import (
    DREAM_PATTERN,
    PROZORRO_PATTERN,
    TEXT_MAX,
    TITLE_MAX,
    DeliveryDocuments,
    PlanDocument,
    TextDocument,
)
from cts.delivery.files import FILE_TYPES, DeliveryFiles
from cts.delivery.reads import FLAG_REASONS, REJECTION_REASONS, DeliveryReader, DeliveryView, MilestoneView
from cts.errors import NotFoundError
from cts.models import Role
from cts.relayer.schemas import IdParam
from cts.web.cofinancing_reads import CoFinancingReader, ProjectCoFinancing, gap_kopiyky
from cts.web.deps import CouncilPage, FormDep, Page, PageDep, ReaderDep, ResidentPage
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.i18n import kyiv
from cts.web.reads import ChainReader, LoanView, ProjectView
from cts.web.routes.common import queue, resident_of
from cts.web.routes.council import reference_hash

router = APIRouter(include_in_schema=False)
MilestoneNumber = Annotated[int, Path(ge=1, le=24)]  # ProjectDelivery.MAX_MILESTONES
PROJECT = "/rounds/{round_id}/projects/{project_id}/delivery"
PLAN_ROWS = 6  # the plan form's rows (the contract takes up to 24; the API, all of them)


def delivery_reader(page: PageDep, reader: ReaderDep) -> DeliveryReader:
    return DeliveryReader(reader, DeliveryDocuments(page.settings), DeliveryFiles(page.settings))


DeliveryDep = Annotated[DeliveryReader, Depends(delivery_reader)]


def project_of(reader: ChainReader, round_id: int, project_id: int) -> ProjectView:
    for project in reader.projects(round_id):
        if project.id == project_id:
            return project
    raise NotFoundError()


def milestone_of(view: DeliveryView | None, number: int) -> MilestoneView:
    if view is None or number > len(view.milestones):
        raise NotFoundError()
    return view.milestones[number - 1]


def _loan(reader: ChainReader, project: ProjectView) -> LoanView | None:
    """A loan project's loan: its repayments show where a grant's delivery would."""
    if not project.loan_id:
        return None
    return next((loan for loan in reader.loans() if loan.id == project.loan_id), None)


def is_plannable(reader: ChainReader, project: ProjectView) -> bool:
    """A funded grant of a finalised round (the contract's own rule; it refuses the rest)."""
    return (
        project.funded_kopiyky > 0
        and project.loan_id == 0
        and reader.round(project.round_id).state == "finalised"
    )


def reportable(view: DeliveryView) -> MilestoneView | None:
    """The milestone the owner may report now: the first not yet accepted, if it waits for a report."""
    for milestone in view.milestones:
        if milestone.stored_status in ("accepted", "paid"):
            continue
        return milestone if milestone.stored_status in ("planned", "rejected") else None
    return None


def is_owner(page: Page, reader: ChainReader, project: ProjectView) -> bool:
    resident = resident_of(page, reader)
    return resident is not None and resident.is_active and resident.id == project.proposer_id


@dataclass
class Forms:
    """The page's forms, one of them possibly as submitted (with its errors)."""

    name: str | None = None
    state: FormState | None = None

    def get(self, page: Page, name: str) -> FormState:
        if name == self.name and self.state is not None:
            return self.state
        return page.blank(name)


def _plan_defaults(project: ProjectView) -> dict[str, str]:
    return {"title_1": project.title[:TITLE_MAX], "share_1": f"{project.funded_kopiyky / 100:.2f}"}


def renderproject_of(
    page: Page,
    reader: ChainReader,
    delivery: DeliveryReader,
    round_id: int,
    project_id: int,
    forms: Forms | None = None,
    status: int = 200,
) -> Response:
    project = project_of(reader, round_id, project_id)
    view = delivery.project(project)
    resident = resident_of(page, reader)
    is_council = page.role == Role.COUNCIL
    plan_form = None
    if view is None and is_council and is_plannable(reader, project):
        plan_form = (forms or Forms()).get(page, "plan")
        if not plan_form.values:
            plan_form.values.update(_plan_defaults(project))
    report_ids = [r.id for m in view.milestones for r in m.reports] if view is not None else []
    round_view = reader.round(round_id)
    pledges = ProjectCoFinancing(CoFinancingReader(reader).pledges(round_id=round_id, project_id=project_id))
    assert page.hromada is not None
    return page.render(
        "delivery.html",
        {
            "co_financing": pledges,
            "gap_kopiyky": gap_kopiyky(project.ask_kopiyky, pledges.money_kopiyky),
            "may_pledge": page.role == Role.PARTNER
            and round_view.state in ("pitching", "screening", "voting", "tallying")
            and project.status != "ineligible",
            "comments": comments_for(page.session, page.hromada, report_ids),
            "comment_max": COMMENT_MAX,
            "loan": _loan(reader, project),
            "project": project,
            "round": round_view,
            "view": view,
            "forms": forms or Forms(),
            "is_council": is_council,
            "is_owner": is_owner(page, reader, project),
            "is_resident": resident is not None and resident.is_active,
            "my_resident_id": resident.id if resident is not None else 0,
            "next_report": reportable(view) if view is not None else None,
            "plannable": is_plannable(reader, project),
            "plan_form": plan_form,
            "plan_rows": range(1, PLAN_ROWS + 1),
            "flag_reasons": [(str(c), page.t.label("flag_reason", k)) for c, k in FLAG_REASONS.items()],
            "rejection_reasons": [
                (str(c), page.t.label("report_rejection", k)) for c, k in REJECTION_REASONS.items()
            ],
            "text_max": TEXT_MAX,
            "prozorro_url": page.settings.prozorro_tender_url,
            "dream_url": page.settings.dream_project_url,
        },
        status=status,
    )


@router.get(PROJECT)
def project_delivery(
    round_id: IdParam, project_id: IdParam, page: PageDep, reader: ReaderDep, delivery: DeliveryDep
) -> Response:
    return renderproject_of(page, reader, delivery, round_id, project_id)


def again(
    page: Page,
    reader: ChainReader,
    delivery: DeliveryReader,
    round_id: int,
    project_id: int,
    form: SubmittedForm,
    name: str,
) -> Callable[[int], Response]:
    """How a refused form of the project's page is shown: the page again, that form as it was sent."""
    return lambda status: renderproject_of(
        page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
    )


# ---------------------------------------------------------------- the council's plan


def _end_of_day(text: str) -> int | None:
    """A date typed as the browser's date field sends it (2026-05-31) as the last second of that day in
    Kyiv, unix seconds; None if it is not a date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return int(datetime.combine(day, time(23, 59, 59), kyiv()[0]).timestamp())


def read_plan(
    form: SubmittedForm, page: Page, project: ProjectView, now: int
) -> tuple[list[int], list[int], PlanDocument]:
    t = page.t
    titles: list[str] = []
    dues: list[int] = []
    shares: list[int] = []
    for row in range(1, PLAN_ROWS + 1):
        names = (f"title_{row}", f"due_{row}", f"share_{row}")
        if not any(form.raw(name) for name in names):
            continue
        titles.append(form.text(f"title_{row}", max_length=TITLE_MAX))
        due = _end_of_day(form.raw(f"due_{row}"))
        if due is None:
            form.error(f"due_{row}", t.gettext("Give the date the milestone is due."))
        elif due <= now:
            form.error(f"due_{row}", t.gettext("The date must be in the future."))
        elif dues and due <= dues[-1]:
            form.error(f"due_{row}", t.gettext("Each milestone is due after the one before it."))
        dues.append(due or 0)
        shares.append(form.kopiyky(f"share_{row}", maximum=project.funded_kopiyky))
    if not titles:
        form.error("title_1", t.gettext("Give at least one milestone."))
    prozorro = form.text("prozorro", required=False, max_length=40)
    if prozorro and not PROZORRO_PATTERN.fullmatch(prozorro):
        form.error("prozorro", t.gettext("A Prozorro tender id looks like UA-2026-03-15-000123-a."))
    dream = form.text("dream", required=False, max_length=60)
    if dream and not DREAM_PATTERN.fullmatch(dream):
        form.error("dream", t.gettext("A DREAM project id has letters, digits and dashes only."))
    form.check()
    if sum(shares) != project.funded_kopiyky:
        form.error(
            "share_1",
            t.gettext(
                "The milestones' amounts add up to %(sum)s; they must add up to the funded %(funded)s.",
                sum=t.uah(sum(shares)),
                funded=t.uah(project.funded_kopiyky),
            ),
        )
        form.check()
    return dues, shares, PlanDocument(project.round_id, project.id, titles, prozorro, dream)


@router.post(f"{PROJECT}/plan")
def set_plan(
    round_id: IdParam,
    project_id: IdParam,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    def act() -> str:
        project = project_of(reader, round_id, project_id)
        dues, shares, document = read_plan(form, page, project, reader.now())
        digest = delivery.documents.save_plan(document)
        function = relayer.chain.hromada.delivery.functions.setPlan(
            round_id, project_id, dues, shares, digest
        )
        return queue(page, relayer, function)

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, "plan"))


# ---------------------------------------------------------------- the council's decisions and payments


@router.post(f"{PROJECT}/milestones/{{number}}/decision")
def decide_report(
    round_id: IdParam,
    project_id: IdParam,
    number: MilestoneNumber,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    name = f"decide-{number}"
    functions = relayer.chain.hromada.delivery.functions

    def act() -> str:
        choice = form.choice("do", ["accept", "reject"])
        if choice == "reject":
            code = int(form.choice("reason", [str(c) for c in REJECTION_REASONS]) or 0)
            form.check()
            return queue(page, relayer, functions.rejectReport(round_id, project_id, number - 1, code))
        form.check()
        return queue(page, relayer, functions.acceptReport(round_id, project_id, number - 1))

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, name))


@router.post(f"{PROJECT}/milestones/{{number}}/tranche")
def pay_tranche(
    round_id: IdParam,
    project_id: IdParam,
    number: MilestoneNumber,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    name = f"pay-{number}"

    def act() -> str:
        receipt = form.text("receipt", max_length=200)
        form.check()
        function = relayer.chain.hromada.delivery.functions.payTranche(
            round_id, project_id, number - 1, reference_hash(receipt)
        )
        return queue(page, relayer, function)

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, name))


# ---------------------------------------------------------------- comments, flags and answers


@router.post("/delivery/reports/{report_id}/comments")
def comment_report(
    report_id: IdParam,
    page: ResidentPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
) -> Response:
    """A registered resident comments on a report (kept by the service, shown without their name)."""
    round_id, project_id = _reportproject_of(delivery, report_id)
    name = f"comment-{report_id}"

    def act() -> str:
        assert page.user is not None and page.hromada is not None
        resident = resident_of(page, reader)
        if resident is None or not resident.is_active:
            raise CommentNotRegisteredError()
        try:
            add_comment(page.session, page.hromada, page.user, report_id, form.raw("text"))
        except CommentRefused:
            form.text("text", max_length=COMMENT_MAX)  # names the field's problem in the person's words
            form.check()
        page.session.commit()
        return page.url(f"/rounds/{round_id}/projects/{project_id}/delivery#report-{report_id}")

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, name))


def _reportproject_of(delivery: DeliveryReader, report_id: int) -> tuple[int, int]:
    if not 1 <= report_id <= int(delivery.delivery.functions.reportCount().call()):
        raise NotFoundError()
    report = delivery.delivery.functions.report(report_id).call()
    return int(report[0]), int(report[1])


@router.post("/delivery/reports/{report_id}/flag")
def flag_report(
    report_id: IdParam,
    page: ResidentPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    round_id, project_id = _reportproject_of(delivery, report_id)
    name = f"flag-{report_id}"

    def act() -> str:
        code = int(form.choice("reason", [str(c) for c in FLAG_REASONS]) or 0)
        text = form.text("text", max_length=TEXT_MAX)
        form.check()
        digest = delivery.documents.save_flag(TextDocument(text))
        function = relayer.chain.hromada.delivery.functions.flagReport(report_id, code, digest)
        return queue(page, relayer, function)

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, name))


@router.post("/delivery/flags/{flag_id}/answer")
def answer_flag(
    flag_id: IdParam,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    functions = delivery.delivery.functions
    if not 1 <= flag_id <= int(functions.flagCount().call()):
        raise NotFoundError()
    round_id, project_id = _reportproject_of(delivery, int(functions.flag(flag_id).call()[0]))
    name = f"answer-{flag_id}"

    def act() -> str:
        text = form.text("text", max_length=TEXT_MAX)
        form.check()
        digest = delivery.documents.save_answer(TextDocument(text))
        return queue(page, relayer, relayer.chain.hromada.delivery.functions.answerFlag(flag_id, digest))

    return handle_form(page, form, act, again(page, reader, delivery, round_id, project_id, form, name))


# ---------------------------------------------------------------- files


@router.get("/delivery/files/{name}")
def delivery_file(name: str, page: PageDep) -> Response:
    """A receipt or a photo of a report (public, as reports are), as stored under its SHA-256."""
    files = DeliveryFiles(page.settings)
    stored = files.find_file(name)
    if stored is None:
        raise NotFoundError()
    response = FileResponse(
        files.path(stored),  # type: ignore[arg-type]
        media_type=FILE_TYPES[stored.extension],
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---------------------------------------------------------------- the hromada's overview


@router.get("/delivery")
def delivery_overview(page: PageDep, reader: ReaderDep, delivery: DeliveryDep) -> Response:
    return page.render("delivery_overview.html", {"views": list(reversed(_all_views(reader, delivery)))})


def _all_views(reader: ChainReader, delivery: DeliveryReader) -> list[DeliveryView]:
    views = []
    for round_id, project_id in delivery.planned():
        view = delivery.project(project_of(reader, round_id, project_id))
        if view is not None:
            views.append(view)
    return views


@router.get("/delivery.json")
def delivery_json(page: PageDep, reader: ReaderDep, delivery: DeliveryDep) -> Response:
    assert page.hromada is not None
    file_url = str(page.request.base_url).rstrip("/") + page.url("/delivery/files/")
    body = opendata.to_json(page.hromada.slug, _all_views(reader, delivery), file_url)
    return JSONResponse(
        body, headers={"Content-Disposition": f'inline; filename="{page.hromada.slug}-delivery.json"'}
    )


@router.get("/delivery.csv")
def delivery_csv(page: PageDep, reader: ReaderDep, delivery: DeliveryDep) -> Response:
    assert page.hromada is not None
    return Response(
        # a byte-order mark, so that a spreadsheet opens the Cyrillic text as UTF-8
        "\ufeff" + opendata.to_csv(_all_views(reader, delivery)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{page.hromada.slug}-delivery.csv"'},
    )
