"""The council's pages: register residents, appoint coordinators, create and pause programmes, open rounds
and screen their projects, record deposits, loans and repayments. Plain forms; every one acts through
the relayer like the API does."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Response

from cts.api.deps import RelayerDep
from cts.crud import members_of
from cts.errors import NotFoundError
from cts.models import Role, User
from cts.relayer.schemas import IdParam
from cts.relayer.service import identity_hash
from cts.web.deps import CouncilPage, FormDep, Page, ReaderDep
from cts.web.files import Document
from cts.web.forms import MAX_RV, FormState, SubmittedForm, handle_form
from cts.web.reads import ALLOCATION_RULES, ChainReader
from cts.web.routes.common import names_by_address, queue

router = APIRouter(prefix="/council", include_in_schema=False)

DAY = 86_400
TITLE_MAX_BYTES = 200  # UsefulCaseContract.MAX_TITLE_BYTES: UTF-8 bytes, so about 100 Cyrillic letters
PROGRAMME_CHANGES = {
    "open": ["pause", "close"],
    "scheduled": ["pause", "close"],
    "ended": ["close"],
    "paused": ["resume", "close"],
}
SCREENING_REASONS = (1, 2, 3)
DEPOSIT_SOURCES = (0, 1, 2)


def reference_hash(text: str) -> bytes:
    """The on-chain hash of a reference typed by the council (a receipt number, a donor agreement)."""
    return hashlib.sha256(text.strip().encode("utf-8")).digest()


def _forms(name: str | None, state: FormState | None) -> dict[str, FormState]:
    return {name: state} if name is not None and state is not None else {}


@router.get("")
def council_home(page: CouncilPage) -> Response:
    return page.redirect(page.url("/council/residents"))


# ---------------------------------------------------------------- residents and coordinators


def render_residents(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    registered = reader.registered_addresses()
    candidates, coordinators = [], []
    for user, role in members_of(page.session, page.hromada_id, (Role.RESIDENT, Role.COORDINATOR)):
        contact = user.phone or user.email or ""
        label = f"{user.display_name} ({contact})"
        if role == Role.RESIDENT and user.wallet.address not in registered:
            candidates.append((str(user.id), label))
        elif role == Role.COORDINATOR and not reader.has_role("COORDINATOR_ROLE", user.wallet.address):
            coordinators.append((str(user.id), label))
    fund = reader.fund(with_loans=False)
    return page.render(
        "council_residents.html",
        {
            "tab": "residents",
            "forms": _forms(failed, state),
            "candidates": candidates,
            "coordinators": coordinators,
            "registered_count": fund.residents,
            "active_count": fund.active_residents,
        },
        status=status,
    )


@router.get("/residents")
def residents_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_residents(page, reader)


@router.post("/residents")
def register_resident(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    """Register a person's custodial wallet after the off-chain identity check (only a keyed hash of the
    check's reference goes on chain)."""

    def act() -> str:
        user_id = form.integer("user", minimum=1)
        reference = form.text("identity_check", max_length=200)
        if reference and len(reference) < 4:
            form.error(
                "identity_check",
                form.t.ngettext("At least %(num)s character.", "At least %(num)s characters.", 4),
            )
        form.check()
        user = page.session.get(User, user_id)
        if user is None or user.role_in(page.hromada_id) != Role.RESIDENT:
            form.error("user", form.t.gettext("Choose one of the options."))
            form.check()
        assert user is not None
        digest = identity_hash(page.settings, reference)
        return queue(
            page, relayer, relayer.chain.hromada.registry.functions.addResident(user.wallet.address, digest)
        )

    return handle_form(
        page,
        form,
        act,
        lambda status: render_residents(page, reader, "register", form.state("register"), status),
    )


@router.post("/coordinators")
def appoint_coordinator(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    def act() -> str:
        user = page.session.get(User, form.integer("user", minimum=1))
        if user is None or user.role_in(page.hromada_id) != Role.COORDINATOR:
            form.error("user", form.t.gettext("Choose one of the options."))
        form.check()
        assert user is not None
        cases = relayer.chain.hromada.cases
        role = cases.functions.COORDINATOR_ROLE().call()
        return queue(page, relayer, cases.functions.grantRole(role, user.wallet.address))

    return handle_form(
        page,
        form,
        act,
        lambda status: render_residents(page, reader, "coordinator", form.state("coordinator"), status),
    )


# ---------------------------------------------------------------- programmes


def render_programmes(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    verifiers = members_of(page.session, page.hromada_id, (Role.VERIFIER, Role.COORDINATOR))
    return page.render(
        "council_programmes.html",
        {
            "tab": "programmes",
            "forms": _forms(failed, state),
            "programmes": reader.programmes(),
            "changes": PROGRAMME_CHANGES,
            "face_value": reader.face_value_kopiyky(),
            "verifiers": [
                (u.wallet.address, f"{u.display_name} · {page.t.label('role', role.value)}")
                for u, role in verifiers
            ],
        },
        status=status,
    )


@router.get("/programmes")
def programmes_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_programmes(page, reader)


def _programme_params(
    page: Page, form: SubmittedForm, now: int, verifier_addresses: list[str]
) -> tuple[Any, ...]:
    title = form.text("title", max_length=TITLE_MAX_BYTES, max_bytes=TITLE_MAX_BYTES)
    description = form.text("description", required=False, max_length=4000)
    reward = form.integer("reward", minimum=1, maximum=MAX_RV)
    case_value = form.kopiyky("case_value", minimum=0)
    token_cap = form.integer("token_cap", minimum=1, maximum=MAX_RV)
    per_resident = form.integer("per_resident_cap", minimum=1, maximum=MAX_RV)
    days = form.integer("days", minimum=1, maximum=3650)
    chosen = [a for a in form.data.getlist("verifiers") if isinstance(a, str)]
    if not chosen or any(a not in verifier_addresses for a in chosen):
        form.error("verifiers", form.t.gettext("Choose at least one verifier."))
    quorum = form.integer("quorum", minimum=1, maximum=32)
    if chosen and quorum > len(chosen):
        form.error(
            "quorum",
            form.t.ngettext(
                "Only %(num)s verifier is chosen.", "Only %(num)s verifiers are chosen.", len(chosen)
            ),
        )
    if reward and token_cap and token_cap < reward:
        form.error("token_cap", form.t.gettext("It must hold at least one reward."))
    if reward and per_resident and (per_resident < reward or per_resident > token_cap):
        form.error(
            "per_resident_cap", form.t.gettext("At least one reward, and no more than the programme's RV.")
        )
    form.check()
    digest = page.documents.save(Document(title, description))
    return (title, digest, reward, case_value, token_cap, per_resident, now, now + days * DAY, quorum, chosen)


@router.post("/programmes")
def create_programme(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    def act() -> str:
        addresses = [
            u.wallet.address
            for u, _ in members_of(page.session, page.hromada_id, (Role.VERIFIER, Role.COORDINATOR))
        ]
        params = _programme_params(page, form, reader.now(), addresses)
        return queue(page, relayer, relayer.chain.hromada.cases.functions.createProgramme(params))

    return handle_form(
        page,
        form,
        act,
        lambda status: render_programmes(page, reader, "create", form.state("create"), status),
    )


@router.post("/programmes/{programme_id}/{change}")
def change_programme(
    programme_id: IdParam,
    change: str,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    relayer: RelayerDep,
) -> Response:
    functions = relayer.chain.hromada.cases.functions
    by_name = {
        "pause": functions.pauseProgramme,
        "resume": functions.resumeProgramme,
        "close": functions.closeProgramme,
    }
    if change not in by_name:
        raise NotFoundError()
    name = f"{change}-{programme_id}"

    def act() -> str:
        return queue(page, relayer, by_name[change](programme_id))

    return handle_form(
        page, form, act, lambda status: render_programmes(page, reader, name, form.state(name), status)
    )


# ---------------------------------------------------------------- rounds


def render_rounds(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    rounds = []
    for round_view in reader.rounds():
        projects = reader.projects(round_view.id) if round_view.state in ("pitching", "screening") else []
        rounds.append({"round": round_view, "projects": projects})
    defaults = FormState.blank(
        "create",
        pitch_days=7,
        screen_days=3,
        vote_days=14,
        max_projects=20,
        min_per_ballot=1,
        max_per_ballot=10,
        max_credits=0,
        rule=0,
    )
    forms = {"create": defaults, **_forms(failed, state)}
    return page.render(
        "council_rounds.html",
        {
            "tab": "rounds",
            "forms": forms,
            "rounds": rounds,
            "rules": [(str(i), page.t.label("rule", rule)) for i, rule in enumerate(ALLOCATION_RULES)],
            "screening_reasons": [(str(c), page.t.label("screening", c)) for c in SCREENING_REASONS],
        },
        status=status,
    )


@router.get("/rounds")
def rounds_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_rounds(page, reader)


@router.post("/rounds")
def create_round(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    def act() -> str:
        title = form.text("title", max_length=120)
        description = form.text("description", required=False, max_length=4000)
        fund = form.kopiyky("fund")
        pitch_days = form.integer("pitch_days", minimum=1, maximum=365)
        screen_days = form.integer("screen_days", minimum=1, maximum=365)
        vote_days = form.integer("vote_days", minimum=1, maximum=365)
        max_projects = form.integer("max_projects", minimum=1, maximum=128)
        rule = int(form.choice("rule", [str(i) for i in range(len(ALLOCATION_RULES))]) or 0)
        min_per_ballot = form.integer("min_per_ballot", minimum=1, maximum=128)
        max_per_ballot = form.integer("max_per_ballot", minimum=1, maximum=128)
        max_credits = form.integer("max_credits", minimum=0, maximum=MAX_RV)
        co_financed = form.raw("co_financed") == "1"
        if min_per_ballot and max_per_ballot and min_per_ballot > max_per_ballot:
            form.error("max_per_ballot", form.t.gettext("Must be at least the fewest."))
        if max_projects and max_per_ballot > max_projects:
            form.error("max_per_ballot", form.t.gettext("At most %(max)s.", max=form.t.number(max_projects)))
        form.check()
        digest = page.documents.save(Document(title, description))
        now = reader.now()
        pitch_end = now + pitch_days * DAY
        screen_end = pitch_end + screen_days * DAY
        params = (
            fund,
            now,
            pitch_end,
            screen_end,
            screen_end + vote_days * DAY,
            max_projects,
            digest,
            (rule, min_per_ballot, max_per_ballot, max_credits, co_financed),
        )
        return queue(page, relayer, relayer.chain.hromada.vote.functions.createRound(params))

    return handle_form(
        page, form, act, lambda status: render_rounds(page, reader, "create", form.state("create"), status)
    )


@router.post("/rounds/{round_id}/projects/{project_id}/screen")
def screen_project(
    round_id: IdParam,
    project_id: IdParam,
    page: CouncilPage,
    form: FormDep,
    reader: ReaderDep,
    relayer: RelayerDep,
) -> Response:
    name = f"screen-{round_id}-{project_id}"

    def act() -> str:
        eligible = form.raw("eligible") == "1"
        reason = 0
        if not eligible:
            reason = int(form.choice("reason", [str(c) for c in SCREENING_REASONS]) or 0)
        form.check()
        function = relayer.chain.hromada.vote.functions.screenProject(round_id, project_id, eligible, reason)
        return queue(page, relayer, function)

    return handle_form(
        page, form, act, lambda status: render_rounds(page, reader, name, form.state(name), status)
    )


# ---------------------------------------------------------------- the fund


def render_fund(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    fund = reader.fund()
    return page.render(
        "council_fund.html",
        {
            "tab": "fund",
            "forms": _forms(failed, state),
            "fund": fund,
            "names": names_by_address(page.session, [loan.applicant for loan in fund.loans]),
            "sources": [(str(s), page.t.label("source", s)) for s in DEPOSIT_SOURCES],
        },
        status=status,
    )


@router.get("/fund")
def fund_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_fund(page, reader)


@router.post("/fund/deposits")
def record_deposit(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    def act() -> str:
        amount = form.kopiyky("amount")
        source = int(form.choice("source", [str(s) for s in DEPOSIT_SOURCES]) or 0)
        source_ref = form.text("source_ref", max_length=200)
        receipt = form.text("receipt", max_length=200)
        form.check()
        function = relayer.chain.hromada.fund.functions.deposit(
            amount, source, reference_hash(source_ref), reference_hash(receipt)
        )
        return queue(page, relayer, function)

    return handle_form(
        page, form, act, lambda status: render_fund(page, reader, "deposit", form.state("deposit"), status)
    )


@router.post("/loans/{loan_id}/{step}")
def loan_step(
    loan_id: IdParam, step: str, page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    """approve, disburse (with the payment's receipt) or repayments (an amount and its receipt)."""
    names = {"approve": "approve", "disburse": "disburse", "repayments": "repay"}
    if step not in names:
        raise NotFoundError()
    name = f"{names[step]}-{loan_id}"
    fund = relayer.chain.hromada.fund.functions

    def act() -> str:
        if step == "approve":
            return queue(page, relayer, fund.approveLoan(loan_id))
        amount = form.kopiyky("amount") if step == "repayments" else 0
        receipt = form.text("receipt", max_length=200)
        form.check()
        if step == "disburse":
            return queue(page, relayer, fund.disburseLoan(loan_id, reference_hash(receipt)))
        return queue(page, relayer, fund.recordRepayment(loan_id, amount, reference_hash(receipt)))

    return handle_form(
        page, form, act, lambda status: render_fund(page, reader, name, form.state(name), status)
    )
