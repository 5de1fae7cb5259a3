"""Co-financing pages (docs/cofinancing.md): the council keeps the hromada's partners and records pledges
fulfilled or lapsed; a partner with a custodial account pledges money or resources in kind to a project and
withdraws an open pledge. Every form acts through the relayer, which simulates the call first, so the
contract's refusals (money frozen once voting opens, a receipt used before) come back at once.

What is published off chain goes into the service's document store, named on chain by its SHA-256: a
partner's name and description (the profile hash), what a pledge gives and on what agreement (the agreement
hash), and the council's note of a receipt (the receipt hash)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from cts.api.deps import RelayerDep
from cts.crud import get_user_by_login
from cts.errors import NotFoundError
from cts.models import Hromada, Membership, Role
from cts.relayer.schemas import IdParam
from cts.schemas import normalize_login
from cts.web.cofinancing_reads import PLEDGE_KINDS, SECTORS, CoFinancingReader, PledgeView
from cts.web.deps import CouncilPage, FormDep, Page, PartnerPage, ReaderDep
from cts.web.files import Document
from cts.web.forms import FormState, SubmittedForm, handle_form
from cts.web.reads import ChainReader, ProjectView, RoundView
from cts.web.routes.common import queue

council_router = APIRouter(prefix="/council", include_in_schema=False)
router = APIRouter(include_in_schema=False)

NAME_MAX = 120
ABOUT_MAX = 1000
WHAT_MAX = 200
AGREEMENT_MAX = 4000
RECEIPT_MAX = 200
# Kinds a partner pledges through the service: money and resources in kind (a stablecoin moves tokens from the
# partner's own wallet, so it is pledged there).
FORM_KINDS = ("money", "materials", "equipment", "labour", "premises")
PLEDGING_STATES = ("pitching", "screening", "voting", "tallying")
MONEY_STATES = ("pitching", "screening")  # money pledges freeze when voting opens
CLOSED_STATES = ("finalised", "cancelled")


def _forms(name: str | None, state: FormState | None) -> dict[str, FormState]:
    return {name: state} if name is not None and state is not None else {}


def _rounds_by_id(reader: ChainReader) -> dict[int, RoundView]:
    return {r.id: r for r in reader.rounds()}


# ---------------------------------------------------------------- the council


def _council_actions(pledge: PledgeView, round_: RoundView | None, chosen: bool) -> list[str]:
    """What the council may record of an open pledge now: fulfilled (a stablecoin: paid out, once the vote
    chose its project), or lapsed (conditional, the round closed, the project not chosen)."""
    if pledge.state != "open" or round_ is None:
        return []
    if pledge.kind == "stablecoin":
        if round_.state == "finalised" and chosen:
            return ["release"]
        return ["lapse"] if round_.state in CLOSED_STATES and not chosen else []
    actions = ["fulfil"]
    if pledge.conditional and round_.state in CLOSED_STATES and not chosen:
        actions.append("lapse")
    return actions


def render_partners(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    cofinancing = CoFinancingReader(reader)
    rounds = _rounds_by_id(reader)
    pledges = [p for p in cofinancing.pledges() if p.state == "open"]
    chosen = {
        (p.round_id, p.project_id): cofinancing.chosen_by_vote(p.round_id, p.project_id)
        for p in pledges
        if rounds.get(p.round_id) is not None and rounds[p.round_id].state in CLOSED_STATES
    }
    open_pledges = [
        (p, _council_actions(p, rounds.get(p.round_id), chosen.get((p.round_id, p.project_id), False)))
        for p in pledges
    ]
    return page.render(
        "council_partners.html",
        {
            "tab": "partners",
            "forms": _forms(failed, state),
            "partners": cofinancing.partners(),
            "open_pledges": open_pledges,
            "rounds": rounds,
            "sectors": [
                (str(code), page.t.label("sector", SECTORS[code])) for code in range(1, len(SECTORS))
            ],
        },
        status=status,
    )


@council_router.get("/partners")
def partners_page(page: CouncilPage, reader: ReaderDep) -> Response:
    return render_partners(page, reader)


def _partner_account(page: Page, form: SubmittedForm, reader: ChainReader, hromada: Hromada) -> str:
    """The partner's account: a person's custodial wallet, found by their sign-in (they become this hromada's
    partner), or their own wallet's address. Exactly one of the two.

    Signing up on the site makes a person a resident of the hromada they join, before anyone checked who they
    are; such an account, not registered on chain, may become a partner instead. A registered resident, a
    verifier or a council member may not: one role per hromada, so a business needs an account of its own."""
    t = form.t
    login_text, address_text = form.raw("login"), form.raw("address")
    if bool(login_text) == bool(address_text):
        form.error("login", t.gettext("Give either the partner's phone or e-mail, or their wallet address."))
        return ""
    if address_text:
        return form.address("address")
    try:
        user = get_user_by_login(page.session, normalize_login(login_text))
    except ValueError:
        user = None
    if user is None:
        form.error(
            "login",
            t.gettext(
                "Nobody signs in with this phone or e-mail. Ask the partner to sign up on this site first, "
                "then register them here."
            ),
        )
        return ""
    membership = page.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.hromada_id == hromada.id)
    )
    role = membership.role if membership is not None else None
    signed_up_only = role == Role.RESIDENT and reader.resident(user.wallet.address).status == "none"
    if role not in (None, Role.PARTNER) and not signed_up_only:
        assert role is not None
        form.error(
            "login",
            t.gettext(
                "This person is already a %(role)s of this hromada: a partner needs an account of its own.",
                role=t.label("role", role.value),
            ),
        )
        return ""
    # Undone with the form if the relayer refuses the registration.
    if membership is None:
        page.session.add(Membership(user=user, hromada=hromada, role=Role.PARTNER))
    else:
        membership.role = Role.PARTNER
    page.session.flush()
    return user.wallet.address


@council_router.post("/partners")
def register_partner(page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    def act() -> str:
        name = form.text("name", max_length=NAME_MAX)
        sector = int(form.choice("sector", [str(code) for code in range(1, len(SECTORS))]) or 0)
        about = form.text("about", required=False, max_length=ABOUT_MAX)
        form.check()
        assert page.hromada is not None
        account = _partner_account(page, form, reader, page.hromada)
        form.check()
        profile = page.documents.save(Document(name, about))
        co_financing = relayer.chain.hromada.co_financing
        return queue(page, relayer, co_financing.functions.registerPartner(account, sector, profile))

    return handle_form(
        page,
        form,
        act,
        lambda status: render_partners(page, reader, "register", form.state("register"), status),
    )


@council_router.post("/partners/{partner_id}/activity")
def set_partner_active(
    partner_id: IdParam, page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    name = f"activity-{partner_id}"

    def act() -> str:
        active = form.choice("active", ["1", "0"]) == "1"
        form.check()
        co_financing = relayer.chain.hromada.co_financing
        return queue(page, relayer, co_financing.functions.setPartnerActive(partner_id, active))

    return handle_form(
        page, form, act, lambda status: render_partners(page, reader, name, form.state(name), status)
    )


@council_router.post("/pledges/{pledge_id}/{step}")
def record_pledge(
    pledge_id: IdParam, step: str, page: CouncilPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    """Fulfil (with the receipt's note), release a stablecoin escrow (to the payee, with the receipt's note)
    or record the lapse of an open pledge."""
    if step not in ("fulfil", "release", "lapse"):
        raise NotFoundError()
    name = f"{step}-{pledge_id}"

    def act() -> str:
        co_financing = relayer.chain.hromada.co_financing.functions
        if step == "lapse":
            return queue(page, relayer, co_financing.lapsePledge(pledge_id))
        receipt = form.text("receipt", max_length=RECEIPT_MAX)
        payee = form.address("to") if step == "release" else ""
        form.check()
        receipt_hash = page.documents.save(Document(receipt))
        if step == "release":
            return queue(page, relayer, co_financing.releaseToken(pledge_id, payee, receipt_hash))
        return queue(page, relayer, co_financing.fulfilPledge(pledge_id, receipt_hash))

    return handle_form(
        page, form, act, lambda status: render_partners(page, reader, name, form.state(name), status)
    )


# ---------------------------------------------------------------- the partner


def _withdrawable(pledge: PledgeView, round_: RoundView | None) -> bool:
    """Whether the contract would let the partner withdraw this pledge now (the page offers only that)."""
    if pledge.state != "open" or round_ is None:
        return False
    if pledge.kind == "money":
        return round_.state in (*MONEY_STATES, "cancelled")
    if pledge.kind == "stablecoin":
        return round_.state != "finalised"
    return True


def render_partner_home(
    page: Page,
    reader: ChainReader,
    failed: str | None = None,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    assert page.user is not None
    cofinancing = CoFinancingReader(reader)
    me = cofinancing.partner_of(page.user.wallet.address)
    rounds = _rounds_by_id(reader)
    pledges = cofinancing.pledges(partner_id=me.id) if me is not None else []
    open_rounds = [r for r in rounds.values() if r.state in PLEDGING_STATES]
    projects = {r.id: [p for p in reader.projects(r.id) if p.status != "ineligible"] for r in open_rounds}
    return page.render(
        "partner.html",
        {
            "forms": _forms(failed, state),
            "me": me,
            "pledges": [(p, _withdrawable(p, rounds.get(p.round_id))) for p in pledges],
            "rounds": rounds,
            "open_rounds": open_rounds,
            "projects": projects,
        },
        status=status,
    )


@router.get("/partner")
def partner_home(page: PartnerPage, reader: ReaderDep) -> Response:
    return render_partner_home(page, reader)


@router.post("/partner/pledges/{pledge_id}/withdraw")
def withdraw_pledge(
    pledge_id: IdParam, page: PartnerPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep
) -> Response:
    name = f"withdraw-{pledge_id}"

    def act() -> str:
        return queue(page, relayer, relayer.chain.hromada.co_financing.functions.cancelPledge(pledge_id))

    return handle_form(
        page, form, act, lambda status: render_partner_home(page, reader, name, form.state(name), status)
    )


PLEDGE_PAGE = "/rounds/{round_id}/projects/{project_id}/pledge"


def _project(reader: ChainReader, round_id: int, project_id: int) -> tuple[RoundView, ProjectView]:
    round_ = reader.round(round_id)
    project = next((p for p in reader.projects(round_id) if p.id == project_id), None)
    if project is None:
        raise NotFoundError()
    return round_, project


def render_pledge_form(
    page: Page,
    reader: ChainReader,
    round_id: int,
    project_id: int,
    state: FormState | None = None,
    status: int = 200,
) -> Response:
    assert page.user is not None
    round_, project = _project(reader, round_id, project_id)
    cofinancing = CoFinancingReader(reader)
    money_open = round_.state in MONEY_STATES
    kinds = [kind for kind in FORM_KINDS if money_open or kind != "money"]
    return page.render(
        "pledge.html",
        {
            "round": round_,
            "project": project,
            "me": cofinancing.partner_of(page.user.wallet.address),
            "open": round_.state in PLEDGING_STATES and project.status != "ineligible",
            "money_open": money_open,
            "kinds": [(str(PLEDGE_KINDS.index(kind)), page.t.label("pledge_kind", kind)) for kind in kinds],
            "pledged_money": cofinancing.pledged_money(round_id, project_id),
            # A new pledge is conditional unless the partner says otherwise: the safer promise.
            "f": state or FormState(name="pledge", lists={"conditional": ["1"]}),
        },
        status=status,
    )


@router.get(PLEDGE_PAGE)
def pledge_form(round_id: IdParam, project_id: IdParam, page: PartnerPage, reader: ReaderDep) -> Response:
    return render_pledge_form(page, reader, round_id, project_id)


@router.post(PLEDGE_PAGE)
def make_pledge(
    round_id: IdParam,
    project_id: IdParam,
    page: PartnerPage,
    form: FormDep,
    reader: ReaderDep,
    relayer: RelayerDep,
) -> Response:
    def act() -> str:
        round_, _project_view = _project(reader, round_id, project_id)
        kinds = [k for k in FORM_KINDS if round_.state in MONEY_STATES or k != "money"]
        kind = int(form.choice("kind", [str(PLEDGE_KINDS.index(k)) for k in kinds]) or 0)
        value = form.kopiyky("value")
        what = form.text("what", max_length=WHAT_MAX)
        agreement = form.text("agreement", required=False, max_length=AGREEMENT_MAX)
        conditional = form.raw("conditional") == "1"
        form.check()
        digest = page.documents.save(Document(what, agreement))
        function = relayer.chain.hromada.co_financing.functions.pledge(
            round_id, project_id, kind, value, conditional, digest
        )
        return queue(page, relayer, function)

    return handle_form(
        page,
        form,
        act,
        lambda status: render_pledge_form(page, reader, round_id, project_id, form.state("pledge"), status),
    )
