"""Pitching a project to a round (a registered resident, while the round is in pitching): its title,
description and ask, the community issues it answers and its photos, published in the project's document
whose hash goes on chain; and the photos served to anyone, only those the document names."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from cts.api.deps import RelayerDep
from cts.errors import NotFoundError
from cts.issues.errors import IssueInvalidError
from cts.issues.photos import PHOTO_TYPES, PhotoStore
from cts.issues.ranking import ACTIVE, list_issues
from cts.relayer.schemas import IdParam
from cts.web.deps import FormDep, Page, PageDep, ReaderDep, ResidentPage
from cts.web.files import MAX_ANSWERED_ISSUES, MAX_PROJECT_PHOTOS, Document
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.issue_texts import field_errors
from cts.web.reads import RoundView
from cts.web.routes.common import queue

router = APIRouter(include_in_schema=False)


def _answerable(page: Page) -> list[tuple[str, str]]:
    """The hromada's open issues a project may answer, most endorsed first: (number, "№ n: title")."""
    assert page.hromada is not None
    return [
        (
            str(r.issue.number),
            page.t.gettext("№ %(number)s: %(title)s", number=r.issue.number, title=r.issue.title),
        )
        for r in list_issues(page.session, page.hromada, ACTIVE)
    ]


def _pitch_form(page: Page, round_view: RoundView, form: FormState, status: int = 200) -> Response:
    return page.render(
        "pitch.html",
        {
            "round": round_view,
            "form": form,
            "issues": _answerable(page),
            "max_issues": MAX_ANSWERED_ISSUES,
            "max_photos": MAX_PROJECT_PHOTOS,
            "max_bytes": page.settings.evidence_max_bytes,
        },
        status=status,
    )


def answered_issues(form: SubmittedForm, page: Page) -> tuple[int, ...]:
    """The issues a pitch names, each an open issue of this hromada, at most MAX_ANSWERED_ISSUES."""
    open_numbers = {number for number, _ in _answerable(page)}
    chosen = sorted({value for value in form.lists.get("issues", []) if value}, key=lambda v: (len(v), v))
    if any(value not in open_numbers for value in chosen):
        form.error("issues", page.t.gettext("Choose among the open issues listed."))
    elif len(chosen) > MAX_ANSWERED_ISSUES:
        form.error(
            "issues",
            page.t.ngettext("At most %(num)s issue.", "At most %(num)s issues.", MAX_ANSWERED_ISSUES),
        )
    return () if "issues" in form.errors else tuple(int(value) for value in chosen)


def project_photos(form: SubmittedForm, page: Page) -> tuple[str, ...]:
    """The pitch's photos, checked and stored as issues' photos are (public pictures, written again without
    their metadata); their names go into the project's document. Stored only once the other fields are right,
    so a refused form leaves nothing behind."""
    uploads = [
        value
        for value in form.data.getlist("photos")
        if isinstance(value, UploadFile) and (value.filename or value.size)
    ]
    if len(uploads) > MAX_PROJECT_PHOTOS:
        form.error(
            "photos",
            page.t.ngettext("At most %(num)s photo.", "At most %(num)s photos.", MAX_PROJECT_PHOTOS),
        )
        form.check()
    store = PhotoStore(page.settings)
    try:
        return tuple(store.save(upload.file).name for upload in uploads)
    except IssueInvalidError as error:
        for name, message in field_errors(page.t, error).items():
            form.error(name, message)
        form.check()
        raise  # unreachable: form.check raised


@router.get("/rounds/{round_id}/pitch")
def pitch_page(round_id: IdParam, page: ResidentPage, reader: ReaderDep) -> Response:
    round_view = reader.round(round_id)
    if round_view.state != "pitching":
        raise NotFoundError()
    return _pitch_form(page, round_view, page.blank())


@router.post("/rounds/{round_id}/pitch")
def pitch_project(
    round_id: IdParam, page: ResidentPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    round_view = reader.round(round_id)

    def act() -> str:
        title = form.text("title", max_length=120)
        description = form.text("description", max_length=2000)
        ask = form.kopiyky("ask", maximum=round_view.fund_kopiyky)
        issues = answered_issues(form, page)
        form.check()
        photos = project_photos(form, page)
        digest = page.documents.save(Document(title, description, issues, photos))
        return queue(
            page, relayer, relayer.chain.hromada.vote.functions.pitchProject(round_id, ask, digest, 0)
        )

    return handle_form(page, form, act, lambda status: _pitch_form(page, round_view, form.state(), status))


@router.get("/rounds/{round_id}/projects/{project_id}/photos/{name}")
def project_photo(
    round_id: IdParam, project_id: IdParam, name: str, reader: ReaderDep, page: PageDep
) -> Response:
    """A photo of a pitched project (public, as the project is); only the photos its document names, the
    document whose hash the chain holds."""
    project = next((p for p in reader.projects(round_id) if p.id == project_id), None)
    if project is None or name not in project.photos:
        raise NotFoundError()
    store = PhotoStore(page.settings)
    stored = store.find_photo(name)
    if stored is None:
        raise NotFoundError()
    response = FileResponse(
        store.path(stored),
        media_type=PHOTO_TYPES[stored.extension],
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
