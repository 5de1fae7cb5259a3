"""Verifiers' and coordinators' pages: the queue of cases to approve or reject (one by one or in a batch),
the evidence files, and a coordinator recording a case for a resident who is offline."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from sqlalchemy import select

from cts.api.deps import RelayerDep
from cts.crud import members_of
from cts.errors import CTSError, NotFoundError
from cts.models import RejectionNote, RelayAction, Role, User
from cts.relayer.schemas import IdParam
from cts.web.deps import CoordinatorPage, FormDep, Page, ReaderDep, SignedInPage, VerifierPage
from cts.web.files import EVIDENCE_TYPES, StoredEvidence
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.reads import ChainReader
from cts.web.routes.common import OTHER_REASON, names_by_address, queue, queue_action, rejection_reasons
from cts.web.routes.resident import is_duplicate_evidence, render_case_form, take_evidence

router = APIRouter(include_in_schema=False)

# Reason codes of a rejection (non-zero on chain); the label keys are "reason.<code>".
REJECTION_REASONS = (1, 2, 3, OTHER_REASON)
BATCH_LIMIT = 200
NOTE_MAX_LENGTH = 300


def render_queue(
    page: Page, reader: ChainReader, form: FormState | None = None, status: int = 200
) -> Response:
    assert page.user is not None
    cases = reader.pending_cases_for(page.user.wallet.address, limit=BATCH_LIMIT)
    # A coordinator may not decide a case they recorded: listed apart, saying so, rather than left out.
    recorded = reader.pending_cases_recorded_by(page.user.wallet.address)
    programmes = {p.id: p for p in reader.programmes()}
    rejected = {c.id for c in cases + recorded if c.rejections}
    rejections = {i: found for i, found in reader.rejections().items() if i in rejected}
    evidence = {}
    for case in cases:
        stored = page.evidence.find(case.evidence_hash)
        if stored is not None:
            evidence[case.id] = stored.name
    return page.render(
        "verify.html",
        {
            "form": form or page.blank(),
            "cases": cases,
            "recorded": recorded,
            "reasons": rejection_reasons(page, rejections),
            "programmes": programmes,
            "names": names_by_address(
                page.session,
                [c.resident for c in cases + recorded] + [c.submitted_by for c in cases + recorded],
            ),
            "evidence": evidence,
            "is_coordinator": page.role == Role.COORDINATOR,
        },
        status=status,
    )


@router.get("/verify")
def queue_page(page: VerifierPage, reader: ReaderDep) -> Response:
    return render_queue(page, reader)


@router.post("/verify/approve")
def approve(page: VerifierPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    """Approve one case (its own button) or every selected case in one transaction (all or nothing)."""

    def act() -> str:
        if form.has("approve_one"):
            ids = [form.integer("approve_one", minimum=1)]
        else:
            ids = form.ids("case_ids")
            if not ids:
                form.error("case_ids", form.t.gettext("Tick at least one case."))
            elif len(ids) > BATCH_LIMIT:
                form.error(
                    "case_ids",
                    form.t.ngettext(
                        "At most %(num)s case at once.", "At most %(num)s cases at once.", BATCH_LIMIT
                    ),
                )
        form.check()
        cases = relayer.chain.hromada.cases.functions
        function = cases.approveCase(ids[0]) if len(ids) == 1 else cases.approveCases(ids)
        return queue(page, relayer, function)

    return handle_form(page, form, act, lambda status: render_queue(page, reader, form.state(), status))


def render_case(
    page: Page,
    reader: ChainReader,
    case_id: IdParam,
    form: FormState | None = None,
    reject_form: FormState | None = None,
    status: int = 200,
) -> Response:
    case = reader.case(case_id)
    programme = reader.programme(case.programme_id)
    return page.render(
        "verify_case.html",
        {
            "case": case,
            "programme": programme,
            "stored": page.evidence.find(case.evidence_hash),
            "reasons": rejection_reasons(page, reader.rejections(case.id)).get(case.id, []),
            "names": names_by_address(page.session, [case.resident]),
            "form": form or page.blank(),
            "reject_form": reject_form or page.blank("reject"),
            "reason_options": [(str(code), page.t.label("reason", code)) for code in REJECTION_REASONS],
            "note_max": NOTE_MAX_LENGTH,
        },
        status=status,
    )


@router.get("/verify/cases/{case_id}")
def case_page(case_id: IdParam, page: VerifierPage, reader: ReaderDep) -> Response:
    return render_case(page, reader, case_id)


@router.post("/verify/cases/{case_id}/reject")
def reject(
    case_id: IdParam, page: VerifierPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    def act() -> str:
        reason = form.choice("reason", [str(code) for code in REJECTION_REASONS])
        note = rejection_note(form) if reason == str(OTHER_REASON) else ""
        form.check()
        action = queue_action(
            page, relayer, relayer.chain.hromada.cases.functions.rejectCase(case_id, int(reason))
        )
        if note:
            # The contract takes a reason code only: the words stay here, with the action that carries them.
            assert page.user is not None and page.hromada is not None
            page.session.add(
                RejectionNote(
                    action_id=action.id,
                    hromada=page.hromada.slug,
                    case_id=case_id,
                    verifier=page.user.wallet.address,
                    text=note,
                )
            )
        return page.url(f"/actions/{action.public_id}")

    return handle_form(
        page,
        form,
        act,
        lambda status: render_case(page, reader, case_id, reject_form=form.state("reject"), status=status),
    )


def rejection_note(form: SubmittedForm) -> str:
    """The words of "another reason": required, plain text of at most NOTE_MAX_LENGTH characters."""
    note = form.text("note", max_length=NOTE_MAX_LENGTH)
    if note and ("<" in note or ">" in note):
        form.error("note", form.t.gettext("Write the reason as plain text, without < or >."))
    return note


@router.get("/evidence/{name}")
def evidence_file(name: str, page: SignedInPage) -> Response:
    """An evidence file, for the people who decide or audit cases, and for the resident who sent it."""
    assert page.user is not None
    sha256, _, extension = name.partition(".")
    stored = page.evidence.find(sha256)
    if stored is None or stored.extension != extension or page.role is None:
        raise NotFoundError()
    # Only evidence of this hromada's cases (files are stored by hash, for every hromada alike), and a
    # resident sees only their own.
    if not _sent_in_hromada(page, stored, only_own=page.role == Role.RESIDENT):
        raise NotFoundError()
    return FileResponse(
        page.evidence.path(stored),
        media_type=EVIDENCE_TYPES[stored.extension],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
        content_disposition_type="inline",
    )


def _sent_in_hromada(page: Page, stored: StoredEvidence, *, only_own: bool) -> bool:
    """Whether an action of the page's hromada (of the signed-in person, with ``only_own``) carried the file's
    hash, that is, whether it is the evidence of one of this hromada's cases."""
    assert page.user is not None and page.hromada is not None
    query = select(RelayAction.id).where(
        RelayAction.hromada == page.hromada.slug, RelayAction.calldata.contains(stored.sha256)
    )
    if only_own:
        query = query.where(RelayAction.user_id == page.user.id)
    return page.session.scalar(query.limit(1)) is not None


# ---------------------------------------------------------------- coordinators record cases


def _resident_options(page: Page, reader: ChainReader) -> list[tuple[str, str]]:
    registered = reader.registered_addresses()
    options = []
    for user, _ in members_of(page.session, page.hromada_id, (Role.RESIDENT,)):
        if user.wallet.address in registered:
            contact = user.phone or user.email or ""
            options.append((str(user.id), f"{user.display_name} ({contact})"))
    return options


def open_programme_choice(form: SubmittedForm, reader: ChainReader) -> str:
    """The chosen programme, if it is open. One that closed or paused since the form was shown (a case
    captured offline and sent later) is named, with its state, rather than "choose one of the options"."""
    programmes = reader.programmes()
    chosen = form.choice("programme", [str(p.id) for p in programmes])
    found = next((p for p in programmes if str(p.id) == chosen), None)
    if found is not None and not found.is_open:
        form.error(
            "programme",
            form.t.gettext(
                "The programme “%(title)s” does not take cases now: %(state)s.",
                title=found.title,
                state=form.t.label("programme", found.state),
            ),
        )
        return ""
    return chosen


def render_record_form(
    page: Page, reader: ChainReader, form: FormState, kept: StoredEvidence | None = None, status: int = 200
) -> Response:
    return render_case_form(
        page,
        reader,
        form,
        kept,
        status,
        residents=_resident_options(page, reader),
        heading=page.t.gettext("Record a case for a resident"),
        lead=page.t.gettext(
            "For residents without a smartphone or internet: choose the person and the programme, and add a "
            "photo or scan."
        ),
        action=page.url("/record"),
        offline_label=page.t.gettext("Case recorded for a resident"),
    )


@router.get("/record")
def record_page(page: CoordinatorPage, reader: ReaderDep) -> Response:
    return render_record_form(page, reader, page.blank())


@router.post("/record")
def record_case(page: CoordinatorPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    kept: StoredEvidence | None = None

    def act() -> str:
        nonlocal kept
        kept = take_evidence(page, form)  # first: kept even if what follows fails
        resident_id = form.choice("resident", [value for value, _ in _resident_options(page, reader)])
        programme = open_programme_choice(form, reader)
        form.check()
        assert kept is not None
        resident = page.session.get(User, int(resident_id))
        assert resident is not None
        function = relayer.chain.hromada.cases.functions.recordCase(
            int(programme), resident.wallet.address, kept.chain_hash
        )
        try:
            return queue(page, relayer, function)
        except CTSError as error:
            if is_duplicate_evidence(error):
                kept = None  # refused: the form must not offer this file again as "already received"
            raise

    return handle_form(
        page, form, act, lambda status: render_record_form(page, reader, form.state(), kept, status)
    )
