"""The council's journal pages: upload a coordinator's paper journal (CSV or XLSX), read the preview line by
line, record the good lines through the relayer and follow them; and the printable journal of a programme."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from cts.api.deps import RelayerDep
from cts.errors import NotFoundError
from cts.journals.checks import JournalChecker
from cts.journals.reading import MAX_BYTES, MAX_LINES, JournalFileError
from cts.journals.recording import (
    create_import,
    find_import,
    progress,
    recent_imports,
    record_lines,
    to_record,
)
from cts.models import JournalImport, User
from cts.relayer.schemas import IdParam
from cts.web.deps import CouncilPage, FormDep, Page, ReaderDep
from cts.web.forms import FormState, handle_form
from cts.web.journal_messages import column_names, day, file_error, reason_text
from cts.web.journal_pdf import journal_template
from cts.web.reads import ChainReader
from cts.web.routes.common import action_text

router = APIRouter(prefix="/council/journals", include_in_schema=False)
TEMPLATE_STATES = ("scheduled", "open", "paused")  # programmes a journal can still be kept for


def render_journals(
    page: Page, reader: ChainReader, form: FormState | None = None, status: int = 200
) -> Response:
    return page.render(
        "council_journals.html",
        {
            "tab": "journals",
            "form": form or page.blank("upload"),
            "imports": recent_imports(page.session, page.hromada_slug),
            "programmes": [p for p in reader.programmes() if p.state in TEMPLATE_STATES],
            "columns": column_names(page.t),
            "max_bytes": MAX_BYTES,
            "max_lines": MAX_LINES,
        },
        status=status,
    )


@router.get("")
def journals_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_journals(page, reader)


@router.post("")
def upload_journal(page: CouncilPage, form: FormDep, reader: ReaderDep) -> Response:
    def act() -> str:
        assert page.user is not None
        upload = form.file("journal")
        if upload is None:
            form.error("journal", file_error(page.t, "journal_missing", {}))
            form.check()
        assert upload is not None
        data = upload.file.read(MAX_BYTES + 1)  # no more than one byte past the limit is read
        checker = JournalChecker(page.session, page.hromada_id, page.hromada_slug, reader)
        try:
            journal = create_import(page.session, checker, page.user, upload.filename or "", data)
        except JournalFileError as error:
            form.error("journal", file_error(page.t, error.code, error.params))
            form.check()
            raise  # unreachable: check() raised
        return page.url(f"/council/journals/{journal.public_id}")

    return handle_form(
        page, form, act, lambda status: render_journals(page, reader, form.state("upload"), status)
    )


def _journal(page: Page, public_id: str) -> JournalImport:
    journal = find_import(page.session, page.hromada_slug, public_id)
    if journal is None:
        raise NotFoundError()
    return journal


def render_journal(
    page: Page, reader: ChainReader, journal: JournalImport, form: FormState | None = None, status: int = 200
) -> Response:
    assert page.user is not None
    people = {line.resident_user_id for line in journal.lines if line.resident_user_id is not None}
    names = {user.id: user.display_name for user in (page.session.get(User, i) for i in people) if user}
    current = progress(journal)
    return page.render(
        "council_journal.html",
        {
            "tab": "journals",
            "journal": journal,
            "form": form or page.blank("record"),
            "progress": current,
            "good": len(to_record(journal)),
            "reasons": {line.id: reason_text(page.t, line) for line in journal.lines},
            "actions": {
                line.id: action_text(page.t, line.action) for line in journal.lines if line.action is not None
            },
            "names": names,
            # A date read from the file in the reader's way; the text as written when it could not be read.
            "dates": {
                line.id: day(page.t, date.fromisoformat(line.date)) for line in journal.lines if line.date
            },
            "columns": column_names(page.t),
            # The council records with the contract's coordinator role, which onboarding gave its address.
            "can_record": reader.has_role("COORDINATOR_ROLE", page.user.wallet.address),
        },
        status=status,
    )


@router.get("/{public_id}")
def journal_page(public_id: str, page: CouncilPage, reader: ReaderDep) -> Response:
    return render_journal(page, reader, _journal(page, public_id))


@router.post("/{public_id}/record")
def record_journal(
    public_id: str, page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    journal = _journal(page, public_id)
    sent_before = {line.id for line in journal.lines if line.action_id is not None}

    def act() -> str:
        assert page.user is not None
        checker = JournalChecker(page.session, page.hromada_id, page.hromada_slug, reader)
        record_lines(page.session, relayer, checker, page.user, journal)
        return page.url(f"/council/journals/{journal.public_id}")

    def rerender(status: int) -> Response:
        page.session.expire_all()  # what was committed before a stop, not what was rolled back
        again = _journal(page, public_id)
        queued = sum(1 for line in again.lines if line.action_id is not None and line.id not in sent_before)
        if queued:  # a stop half-way: say what was done before the reason it stopped
            form.message = page.t.ngettext(
                "%(num)s line was queued; the others were not: %(reason)s",
                "%(num)s lines were queued; the others were not: %(reason)s",
                queued,
                reason=form.message,
            )
        return render_journal(page, reader, again, form.state("record"), status)

    return handle_form(page, form, act, rerender)


@router.get("/template/{programme_id}.pdf")
def journal_template_pdf(programme_id: IdParam, page: CouncilPage, reader: ReaderDep) -> Response:
    """The printable journal of one programme, in the page's language."""
    programme = reader.programme(programme_id)
    pdf = journal_template(page.t, page.hromada_name, programme)
    name = f"journal-{page.hromada_slug}-{programme.id}-{page.lang.value}.pdf"
    response = Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "X-Content-Type-Options": "nosniff"},
    )
    return page.finish(response)
