"""Delivery pages (issue 19, docs/delivery.md): a funded project's plan, reports, flags and payments for
everyone; the owner's report form; residents' flags; the council's plan, decisions, answers and tranches;
the hromada's delivery overview and its open data (cts.delivery.opendata).

Every action is one ProjectDelivery call through the relayer, as on the other pages; the documents behind
its hashes (titles, line items, reasons, answers) are stored first (cts.delivery.documents), so the page
shows them as soon as the chain records the call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

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
    EDRPOU_PATTERN,
    LINE_TEXT_MAX,
    LINES_MAX,
    PHOTOS_MAX,
    PROZORRO_PATTERN,
    RECEIPTS_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    DeliveryDocuments,
    LineItem,
    PlanDocument,
    ReportDocument,
    StoredFile,
    TextDocument,
)
from cts.delivery.files import FILE_TYPES, DeliveryFiles
from cts.delivery.reads import FLAG_REASONS, REJECTION_REASONS, DeliveryReader, DeliveryView, MilestoneView
from cts.errors import NotFoundError
from cts.models import Role
from cts.relayer.schemas import IdParam
from cts.web.deps import CouncilPage, FormDep, Page, PageDep, ReaderDep, ResidentPage
from cts.web.files import EvidenceError
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.i18n import kyiv
from cts.web.reads import ChainReader, LoanView, ProjectView
from cts.web.routes.common import queue, resident_of
from cts.web.routes.council import reference_hash

router = APIRouter(include_in_schema=False)
MilestoneNumber = Annotated[int, Path(ge=1, le=24)]  # ProjectDelivery.MAX_MILESTONES
PROJECT = "/rounds/{round_id}/projects/{project_id}/delivery"
PLAN_ROWS = 6  # the plan form's rows (the contract takes up to 24; the API, all of them)
REPORT_ROWS = 8  # the report form's line rows


def delivery_reader(page: PageDep, reader: ReaderDep) -> DeliveryReader:
    return DeliveryReader(reader, DeliveryDocuments(page.settings), DeliveryFiles(page.settings))


DeliveryDep = Annotated[DeliveryReader, Depends(delivery_reader)]


def _project(reader: ChainReader, round_id: int, project_id: int) -> ProjectView:
    for project in reader.projects(round_id):
        if project.id == project_id:
            return project
    raise NotFoundError()


def _milestone(view: DeliveryView | None, number: int) -> MilestoneView:
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


def _is_owner(page: Page, reader: ChainReader, project: ProjectView) -> bool:
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


def render_project(
    page: Page,
    reader: ChainReader,
    delivery: DeliveryReader,
    round_id: int,
    project_id: int,
    forms: Forms | None = None,
    status: int = 200,
) -> Response:
    project = _project(reader, round_id, project_id)
    view = delivery.project(project)
    resident = resident_of(page, reader)
    is_council = page.role == Role.COUNCIL
    plan_form = None
    if view is None and is_council and is_plannable(reader, project):
        plan_form = (forms or Forms()).get(page, "plan")
        if not plan_form.values:
            plan_form.values.update(_plan_defaults(project))
    report_ids = [r.id for m in view.milestones for r in m.reports] if view is not None else []
    assert page.hromada is not None
    return page.render(
        "delivery.html",
        {
            "comments": comments_for(page.session, page.hromada, report_ids),
            "comment_max": COMMENT_MAX,
            "loan": _loan(reader, project),
            "project": project,
            "round": reader.round(round_id),
            "view": view,
            "forms": forms or Forms(),
            "is_council": is_council,
            "is_owner": _is_owner(page, reader, project),
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
    return render_project(page, reader, delivery, round_id, project_id)


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
        project = _project(reader, round_id, project_id)
        dues, shares, document = read_plan(form, page, project, reader.now())
        digest = delivery.documents.save_plan(document)
        function = relayer.chain.hromada.delivery.functions.setPlan(
            round_id, project_id, dues, shares, digest
        )
        return queue(page, relayer, function)

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms("plan", form.state("plan")), status
        ),
    )


# ---------------------------------------------------------------- the owner's report


LINE_FIELD = re.compile(r"(?:what|amount|supplier|edrpou|tender)_(\d+)")


def _later_lines_typed(form: FormState) -> bool:
    """Whether anything is typed in the report's lines after the first (folded away otherwise)."""
    for name, value in form.values.items():
        found = LINE_FIELD.fullmatch(name)
        if found and int(found.group(1)) > 1 and value:
            return True
    return False


def render_report_form(
    page: Page, project: ProjectView, milestone: MilestoneView, form: FormState, status: int = 200
) -> Response:
    return page.render(
        "delivery_report.html",
        {
            "project": project,
            "milestone": milestone,
            "form": form,
            "rows": range(1, REPORT_ROWS + 1),
            # the lines after the first are folded away unless something is typed in them or refused
            "more_open": bool(form.errors) or _later_lines_typed(form),
            "summary_max": SUMMARY_MAX,
            "receipts_max": RECEIPTS_MAX,
            "photos_max": PHOTOS_MAX,
            "max_bytes": page.settings.evidence_max_bytes,
        },
        status=status,
    )


def _owner_milestone(
    page: Page, reader: ChainReader, delivery: DeliveryReader, round_id: int, project_id: int, number: int
) -> tuple[ProjectView, MilestoneView]:
    """The project and the milestone its owner may report now; 404 for anyone else or any other."""
    project = _project(reader, round_id, project_id)
    view = delivery.project(project)
    milestone = _milestone(view, number)
    assert view is not None
    if not _is_owner(page, reader, project) or reportable(view) is not milestone:
        raise NotFoundError()
    return project, milestone


@router.get(f"{PROJECT}/milestones/{{number}}/report")
def report_page(
    round_id: IdParam,
    project_id: IdParam,
    number: MilestoneNumber,
    page: ResidentPage,
    reader: ReaderDep,
    delivery: DeliveryDep,
) -> Response:
    project, milestone = _owner_milestone(page, reader, delivery, round_id, project_id, number)
    return render_report_form(page, project, milestone, page.blank("report"))


def _uploads(form: SubmittedForm, name: str) -> list[UploadFile]:
    return [v for v in form.data.getlist(name) if isinstance(v, UploadFile) and (v.filename or v.size)]


def read_lines(form: SubmittedForm, page: Page) -> list[LineItem]:
    t = page.t
    lines = []
    for row in range(1, REPORT_ROWS + 1):
        names = [f"{field}_{row}" for field in ("what", "amount", "supplier", "edrpou", "tender")]
        if not any(form.raw(name) for name in names):
            continue
        what = form.text(f"what_{row}", max_length=LINE_TEXT_MAX)
        amount = form.kopiyky(f"amount_{row}")
        supplier = form.text(f"supplier_{row}", required=False, max_length=LINE_TEXT_MAX)
        edrpou = form.raw(f"edrpou_{row}")
        if edrpou and not EDRPOU_PATTERN.fullmatch(edrpou):
            form.error(f"edrpou_{row}", t.gettext("An EDRPOU code has 8 digits (a sole trader's code, 10)."))
        tender = form.raw(f"tender_{row}")
        if tender and not PROZORRO_PATTERN.fullmatch(tender):
            form.error(f"tender_{row}", t.gettext("A Prozorro tender id looks like UA-2026-03-15-000123-a."))
        lines.append(LineItem(what, amount, supplier, edrpou, tender))
    if not lines:
        form.error("what_1", t.gettext("List at least one thing the money was spent on."))
    return lines[:LINES_MAX]


def _store_files(
    form: SubmittedForm, page: Page, files: DeliveryFiles, name: str, limit: int, photos_only: bool
) -> list[StoredFile]:
    t = page.t
    uploads = _uploads(form, name)
    if len(uploads) > limit:
        form.error(name, t.ngettext("At most %(num)s file.", "At most %(num)s files.", limit))
        return []
    stored = []
    for upload in uploads:
        try:
            save = files.save_photo if photos_only else files.save_receipt
            stored.append(save(upload.file))
        except EvidenceError as error:
            if error.code == "evidence_type":
                message = (
                    t.gettext("Send photos (JPEG, PNG or WebP).")
                    if photos_only
                    else t.gettext("Send a photo (JPEG, PNG or WebP) or a PDF of each receipt.")
                )
            else:
                message = t.error(error.code, limit=t.filesize(files.max_bytes))
            form.error(name, message)
            return []
    return stored


@router.post(f"{PROJECT}/milestones/{{number}}/report")
def report_milestone(
    round_id: IdParam,
    project_id: IdParam,
    number: MilestoneNumber,
    page: ResidentPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    project, milestone = _owner_milestone(page, reader, delivery, round_id, project_id, number)

    def act() -> str:
        summary = form.text("summary", max_length=SUMMARY_MAX)
        lines = read_lines(form, page)
        form.check()  # the files are stored only for a report whose words are right
        receipts = _store_files(form, page, delivery.files, "receipts", RECEIPTS_MAX, photos_only=False)
        if not receipts and "receipts" not in form.errors:
            form.error("receipts", page.t.gettext("Attach the receipts: a photo or a PDF of each."))
        photos = _store_files(form, page, delivery.files, "photos", PHOTOS_MAX, photos_only=True)
        form.check()
        document = ReportDocument(round_id, project_id, milestone.index, summary, lines, receipts, photos)
        digest = delivery.documents.save_report(document)
        function = relayer.chain.hromada.delivery.functions.reportMilestone(
            round_id, project_id, milestone.index, digest, [bytes.fromhex(r.sha256) for r in receipts]
        )
        return queue(page, relayer, function)

    return handle_form(
        page,
        form,
        act,
        lambda status: render_report_form(page, project, milestone, form.state("report"), status),
    )


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

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
        ),
    )


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

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
        ),
    )


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
    round_id, project_id = _report_project(delivery, report_id)
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

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
        ),
    )


def _report_project(delivery: DeliveryReader, report_id: int) -> tuple[int, int]:
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
    round_id, project_id = _report_project(delivery, report_id)
    name = f"flag-{report_id}"

    def act() -> str:
        code = int(form.choice("reason", [str(c) for c in FLAG_REASONS]) or 0)
        text = form.text("text", max_length=TEXT_MAX)
        form.check()
        digest = delivery.documents.save_flag(TextDocument(text))
        function = relayer.chain.hromada.delivery.functions.flagReport(report_id, code, digest)
        return queue(page, relayer, function)

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
        ),
    )


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
    round_id, project_id = _report_project(delivery, int(functions.flag(flag_id).call()[0]))
    name = f"answer-{flag_id}"

    def act() -> str:
        text = form.text("text", max_length=TEXT_MAX)
        form.check()
        digest = delivery.documents.save_answer(TextDocument(text))
        return queue(page, relayer, relayer.chain.hromada.delivery.functions.answerFlag(flag_id, digest))

    return handle_form(
        page,
        form,
        act,
        lambda status: render_project(
            page, reader, delivery, round_id, project_id, Forms(name, form.state(name)), status
        ),
    )


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
        view = delivery.project(_project(reader, round_id, project_id))
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
