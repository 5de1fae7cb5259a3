"""Residents' pages: balance and its history, programmes, submitting a useful case, following actions."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response
from sqlalchemy import select

from cts.api.deps import RelayerDep
from cts.errors import CTSError, NotFoundError
from cts.models import ActionStatus, Hromada, RelayAction
from cts.relayer.errors import ChainUnavailableError
from cts.web.deps import FormDep, Page, PageDep, ReaderDep, ResidentPage, SignedInPage, home_of
from cts.web.files import EvidenceError, StoredEvidence
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.i18n import normalise_code
from cts.web.reads import ChainReader, build_read_context
from cts.web.routes.common import (
    LIVE,
    action_message,
    names_by_address,
    queue,
    recent_actions,
    rejection_reasons,
    resident_of,
)
from cts.web.routes.notifications import unread_count

router = APIRouter(include_in_schema=False)

CASE_KINDS = ("submitCase", "recordCase")


@dataclass(frozen=True)
class LinkedRecord:
    """A resident's record in another hromada of the service (they moved here from it, or away to it)."""

    direction: str  # "from" or "to"
    hromada: Hromada
    cases_approved: int
    balance: int


def linked_records(page: Page, reader: ChainReader, resident_id: int, address: str) -> list[LinkedRecord]:
    """The person's civic record in the hromadas they moved from or to: it moves with them (their RV stays
    where it was issued). Only hromadas this service carries, read from their own contracts."""
    links = reader.record_links(resident_id)
    if not links:
        return []
    by_registry = {
        str((h.contracts or {}).get("registry", "")).lower(): h
        for h in page.session.scalars(select(Hromada)).all()
        if h.is_ready and page.hromada is not None and h.id != page.hromada.id
    }
    records = []
    for direction, registry, other_id in links:
        other = by_registry.get(str(registry).lower())
        if other is None:
            continue
        there = ChainReader(build_read_context(page.settings, other), page.documents)
        if other_id == 0:
            other_id = there.resident(address).id
        approved = sum(1 for case in there.cases_of_resident(other_id) if case.status == "approved")
        records.append(LinkedRecord(direction, other, approved, there.balance_of(address)))
    return records


@router.get("/me")
def my_page(page: ResidentPage, reader: ReaderDep) -> Response:
    assert page.user is not None
    address = page.user.wallet.address
    resident = reader.resident(address)
    rounds = reader.rounds()
    # RV a ballot holds are off the balance until the round is finalised: say where they are.
    held = [
        (r, rv)
        for r in rounds
        if r.state in ("voting", "tallying") and (rv := reader.held_in_ballot(r.id, resident.id))
    ]
    actions = recent_actions(page.session, page.user, page.hromada_slug)
    return page.render(
        "me.html",
        {
            "balance": reader.balance_of(address),
            "face_value": reader.face_value_kopiyky(),
            "resident": resident,
            "held": held,
            "voting": [r for r in rounds if r.state == "voting"],
            "actions": actions,
            "action_times": reader.action_times(actions),
            "linked": linked_records(page, reader, resident.id, address),
            "unread": unread_count(page.session, page.user.id, page.hromada_id),
        },
    )


@router.get("/me/history")
def my_history(page: ResidentPage, reader: ReaderDep) -> Response:
    assert page.user is not None
    address = page.user.wallet.address
    return page.render(
        "history.html",
        {
            "balance": reader.balance_of(address),
            "entries": reader.rv_history(address),
            "titles": {p.id: p.title for p in reader.programmes()},
        },
    )


@router.get("/programmes")
def programmes(page: PageDep, reader: ReaderDep) -> Response:
    return page.render(
        "programmes.html", {"programmes": reader.programmes(), "resident": resident_of(page, reader)}
    )


# ---------------------------------------------------------------- useful cases


def take_evidence(page: Page, form: SubmittedForm) -> StoredEvidence | None:
    """The evidence of a case form: a new upload, or the file an earlier attempt already uploaded."""
    upload = form.file("evidence")
    if upload is not None:
        try:
            return page.evidence.save(upload.file)
        except EvidenceError as error:
            limit = page.t.filesize(page.settings.evidence_max_bytes)
            form.error("evidence", page.t.error(error.code, limit=limit))
            return None
    kept = page.evidence.find(form.raw("evidence_sha256"))
    if kept is None:
        form.error("evidence", page.t.error("evidence_missing"))
    return kept


def is_duplicate_evidence(error: CTSError) -> bool:
    """Whether the chain refused a case because its evidence was already used for another one."""
    return normalise_code(error.code) == normalise_code("useful_case_duplicate_evidence")


def render_case_form(
    page: Page,
    reader: ChainReader,
    form: FormState,
    kept: StoredEvidence | None = None,
    status: int = 200,
    **extra: object,
) -> Response:
    resident = None
    try:
        open_programmes = [(str(p.id), p.title) for p in reader.programmes() if p.is_open]
        resident = resident_of(page, reader)
    except ChainUnavailableError:
        # A blackout: keep what the person chose, so that sending again later loses nothing.
        chosen = form.values.get("programme", "")
        open_programmes = (
            [(chosen, page.t.gettext("Programme #%(id)s", id=chosen))] if chosen.isdigit() else []
        )
        if status == 200:
            status = 503
            form.message = form.message or page.t.error("chain_unavailable")
    context: dict[str, object] = {
        "form": form,
        "programmes": open_programmes,
        "kept": kept,
        "resident": resident,
        "max_bytes": page.settings.evidence_max_bytes,
        "heading": page.t.gettext("Submit a useful case"),
        "lead": page.t.gettext(
            "Add a photo or document that shows the work. Only verifiers see the file; only its fingerprint "
            "(SHA-256) goes on the blockchain."
        ),
        "action": page.url("/cases/new"),
        **extra,
    }
    return page.render("case_new.html", context, status=status)


@router.get("/cases/new")
def new_case_page(page: ResidentPage, reader: ReaderDep, programme: str = "") -> Response:
    return render_case_form(page, reader, page.blank(programme=programme))


@router.post("/cases/new")
def submit_case(page: ResidentPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    kept: StoredEvidence | None = None

    def act() -> str:
        nonlocal kept
        kept = take_evidence(page, form)  # first: kept even if what follows fails
        programme = form.choice("programme", [str(p.id) for p in reader.programmes() if p.is_open])
        form.check()
        assert kept is not None
        function = relayer.chain.hromada.cases.functions.submitCase(int(programme), kept.chain_hash)
        try:
            return queue(page, relayer, function)
        except CTSError as error:
            if is_duplicate_evidence(error):
                kept = None  # refused: the form must not offer this file again as "already received"
            raise

    return handle_form(
        page, form, act, lambda status: render_case_form(page, reader, form.state(), kept, status)
    )


@router.get("/cases")
def my_cases(page: ResidentPage, reader: ReaderDep) -> Response:
    assert page.user is not None
    resident = reader.resident(page.user.wallet.address)
    cases = reader.cases_of_resident(resident.id)
    programmes = reader.programmes()
    rejected = {c.id for c in cases if c.rejections}
    return page.render(
        "cases.html",
        {
            "resident": resident,
            "cases": cases,
            "needed": {p.id: p.rejections_needed for p in programmes},
            "reasons": rejection_reasons(
                page, {i: found for i, found in reader.rejections().items() if i in rejected}
            ),
            "sending": recent_actions(
                page.session, page.user, page.hromada_slug, limit=20, kinds=CASE_KINDS, live_only=True
            ),
            "titles": {p.id: p.title for p in programmes},
        },
    )


# ---------------------------------------------------------------- following an action


def _next_links(page: Page, action: RelayAction) -> list[tuple[str, str]]:
    t = page.t
    nav = t.labels("nav")
    url = page.url
    cases, account, votes = (
        (url("/cases"), nav["cases"]),
        (url("/me"), nav["me"]),
        (url("/rounds"), nav["rounds"]),
    )
    verify, record = (url("/verify"), nav["verify"]), (url("/record"), nav["record"])
    residents = (url("/council/residents"), t.gettext("Residents"))
    programmes = (url("/council/programmes"), t.gettext("Programmes"))
    rounds = (url("/council/rounds"), t.gettext("Rounds"))
    fund = (url("/council/fund"), t.gettext("Fund"))
    by_kind: dict[str, list[tuple[str, str]]] = {
        "submitCase": [cases, account],
        "applyForLoan": [(url("/loans"), nav["loans"])],
        "castBallot": [votes, account],
        "withdrawBallot": [votes],
        "pitchProject": [votes],
        "finalise": [votes],
        "approveCase": [verify],
        "approveCases": [verify],
        "rejectCase": [verify],
        "recordCase": [record, verify],
        "addResident": [residents],
        "grantRole": [residents],
        "createProgramme": [programmes],
        "pauseProgramme": [programmes],
        "resumeProgramme": [programmes],
        "closeProgramme": [programmes],
        "createRound": [rounds],
        "screenProject": [rounds],
        "deposit": [fund],
        "approveLoan": [fund],
        "disburseLoan": [fund],
        "recordRepayment": [fund],
    }
    return by_kind.get(action.kind, [(home_of(page.user, page.hromada), nav["home"])])


def find_action(page: Page, action_id: str) -> RelayAction:
    assert page.user is not None
    action = page.session.scalar(select(RelayAction).where(RelayAction.public_id == action_id))
    # One's own action, of this hromada: another's or another hromada's is not found.
    if (
        action is None
        or action.user_id != page.user.id
        or page.hromada is None
        or action.hromada != page.hromada.slug
    ):
        raise NotFoundError()
    return action


@router.get("/actions/{action_id}")
def action_page(action_id: str, page: SignedInPage, reader: ReaderDep) -> Response:
    action = find_action(page, action_id)
    live = action.status in LIVE
    case = None
    if action.kind in CASE_KINDS and action.status == ActionStatus.CONFIRMED:
        case = reader.submitted_case(action)
    resident_name = ""
    if case is not None:
        resident_name = names_by_address(page.session, [case.resident]).get(
            case.resident, page.t.gettext("Resident #%(id)s", id=case.resident_id)
        )
    return page.render(
        "action.html",
        {
            "action": action,
            "live": live,
            "message": action_message(page, action),
            "case": case,
            "resident_name": resident_name,
            "next_links": _next_links(page, action),
        },
    )
