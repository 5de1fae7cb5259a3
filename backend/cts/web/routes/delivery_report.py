"""The owner's report of a milestone (issue 19, docs/delivery.md): what was done, the spending lines with
suppliers and Prozorro ids, the receipts and photos of the result. The files and the report's document are
stored first (cts.delivery.files, cts.delivery.documents); the report's hash and the receipts' hashes then go
on chain through the relayer, as every action does."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response
from starlette.datastructures import UploadFile

from cts.api.deps import RelayerDep
from cts.delivery.documents import (
    EDRPOU_PATTERN,
    LINE_TEXT_MAX,
    LINES_MAX,
    PHOTOS_MAX,
    PROZORRO_PATTERN,
    RECEIPTS_MAX,
    SUMMARY_MAX,
    LineItem,
    ReportDocument,
    StoredFile,
)
from cts.delivery.files import DeliveryFiles
from cts.delivery.reads import DeliveryReader, MilestoneView
from cts.errors import NotFoundError
from cts.relayer.schemas import IdParam
from cts.web.deps import FormDep, Page, ReaderDep, ResidentPage
from cts.web.files import EvidenceError
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.reads import ChainReader, ProjectView
from cts.web.routes.common import queue
from cts.web.routes.delivery import (
    PROJECT,
    DeliveryDep,
    MilestoneNumber,
    is_owner,
    milestone_of,
    project_of,
    reportable,
)

router = APIRouter(include_in_schema=False)
REPORT_ROWS = 8  # the report form's line rows


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


def _ownermilestone_of(
    page: Page, reader: ChainReader, delivery: DeliveryReader, round_id: int, project_id: int, number: int
) -> tuple[ProjectView, MilestoneView]:
    """The project and the milestone its owner may report now; 404 for anyone else or any other."""
    project = project_of(reader, round_id, project_id)
    view = delivery.project(project)
    milestone = milestone_of(view, number)
    assert view is not None
    if not is_owner(page, reader, project) or reportable(view) is not milestone:
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
    project, milestone = _ownermilestone_of(page, reader, delivery, round_id, project_id, number)
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
def reportmilestone_of(
    round_id: IdParam,
    project_id: IdParam,
    number: MilestoneNumber,
    page: ResidentPage,
    form: FormDep,
    reader: ReaderDep,
    delivery: DeliveryDep,
    relayer: RelayerDep,
) -> Response:
    project, milestone = _ownermilestone_of(page, reader, delivery, round_id, project_id, number)

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
