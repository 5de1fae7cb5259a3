"""Community issues' pages (issue 18): the hromada's issues as a list and on a map, posting one with photos
and a point, an issue's page (endorse, withdraw; the council's moves), its photos; the council's ranking with
its breakdown by group and settlement, and the map area with its settlements. The checks are
cts.issues.service's, the same as the API's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from cts.errors import CTSError, NotFoundError
from cts.issues.errors import IssueInvalidError
from cts.issues.photos import PHOTO_TYPES, PhotoStore, StoredPhoto
from cts.issues.ranking import ACTIVE, list_issues, ranking
from cts.issues.service import (
    CLOSE_REASON_MAX,
    DESCRIPTION_MAX,
    MAX_PHOTOS,
    TITLE_MAX,
    TRANSITIONS,
    IssueDraft,
    change_state,
    degrees,
    endorse,
    endorsement_count,
    endorses,
    find_issue,
    get_area,
    post_issue,
    set_area,
    settlements,
    withdraw,
)
from cts.models import Hromada, Issue, IssueState, Role
from cts.relayer.errors import ChainUnavailableError
from cts.web.deps import (
    SECURITY_HEADERS,
    CouncilPage,
    FormDep,
    Page,
    PageDep,
    get_reader,
    require_page_roles,
)
from cts.web.forms import FormInvalid, FormState, SubmittedForm, handle_form
from cts.web.issue_texts import category_names, field_errors, group_names, state_names
from cts.web.reads import ProjectView, RoundView
from cts.web.render import leaflet_url

router = APIRouter(include_in_schema=False)
IssueNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]  # beyond it, a 404 page: no such issue
PosterPage = Annotated[Page, Depends(require_page_roles(Role.RESIDENT, Role.COORDINATOR, Role.COUNCIL))]
ResidentOnlyPage = Annotated[Page, Depends(require_page_roles(Role.RESIDENT))]


def _hromada(page: Page) -> Hromada:
    assert page.hromada is not None
    return page.hromada


def _issue(page: Page, number: int) -> Issue:
    issue = find_issue(page.session, _hromada(page), number)
    if issue is None:
        raise NotFoundError()
    return issue


def _names(page: Page) -> dict[str, dict[str, str]]:
    return {
        "categories": category_names(page.t),
        "groups": group_names(page.t),
        "states": state_names(page.t),
    }


def _refused(form: SubmittedForm, page: Page, error: CTSError) -> None:
    """Put a refusal of cts.issues next to its fields (or at the top), then stop the form."""
    fields = field_errors(page.t, error)
    if not fields:
        raise error
    for name, message in fields.items():
        form.error(name, message)
    raise FormInvalid()


# ---------------------------------------------------------------- the list and the map


@router.get("/issues")
def issues_page(page: PageDep) -> Response:
    hromada = _hromada(page)
    return page.render(
        "issues.html",
        {
            "ranked": list_issues(page.session, hromada),
            "can_post": page.role in (Role.RESIDENT, Role.COORDINATOR, Role.COUNCIL),
            **_names(page),
        },
    )


def tile_origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}"


def with_tiles(page: Page, response: Response) -> Response:
    """The map pages show pictures from elsewhere: the tiles, from their own origin and no other."""
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "img-src 'self' data:", f"img-src 'self' data: {tile_origin(page.settings.map_tiles_url)}"
    )
    response.headers["Content-Security-Policy"] = policy
    return response


@router.get("/issues/map")
def map_page(page: PageDep) -> Response:
    hromada = _hromada(page)
    area = get_area(page.session, hromada)
    ranked = list_issues(page.session, hromada, ACTIVE)
    response = page.render(
        "issues_map.html",
        {
            "ranked": ranked,
            "placed": [r for r in ranked if r.issue.has_point],
            "area": area,
            "degrees": degrees,
            "tiles": page.settings.map_tiles_url,
            "attribution": page.settings.map_tiles_attribution,
            "leaflet": leaflet_url,
            **_names(page),
        },
    )
    return with_tiles(page, response)


# ---------------------------------------------------------------- posting an issue


def render_new(page: Page, form: FormState, status: int = 200) -> Response:
    hromada = _hromada(page)
    area = get_area(page.session, hromada)
    response = page.render(
        "issue_new.html",
        {
            "form": form,
            "settlements": [(str(s.id), s.name) for s in settlements(page.session, hromada)],
            "area": area,
            "degrees": degrees,
            "max_bytes": page.settings.evidence_max_bytes,
            "max_photos": MAX_PHOTOS,
            "title_max": TITLE_MAX,
            "description_max": DESCRIPTION_MAX,
            "tiles": page.settings.map_tiles_url,
            "attribution": page.settings.map_tiles_attribution,
            "leaflet": leaflet_url,
            **_names(page),
        },
        status=status,
    )
    if area is not None:
        with_tiles(page, response)
    return response


@router.get("/issues/new")
def new_issue_page(page: PosterPage) -> Response:
    return render_new(page, page.blank("issue"))


def _uploads(form: SubmittedForm) -> list[UploadFile]:
    return [
        value
        for value in form.data.getlist("photos")
        if isinstance(value, UploadFile) and (value.filename or value.size)
    ]


@router.post("/issues/new")
def post_issue_form(page: PosterPage, form: FormDep) -> Response:
    def act() -> str:
        assert page.user is not None
        store = PhotoStore(page.settings)
        uploads = _uploads(form)
        photos: list[StoredPhoto] = []
        try:
            if len(uploads) > MAX_PHOTOS:
                raise IssueInvalidError("photos", "issue_photos_too_many", max=MAX_PHOTOS)
            photos = [store.save(upload.file) for upload in uploads]
            draft = IssueDraft(
                title=form.raw("title"),
                description=form.raw("description"),
                settlement=form.raw("settlement"),
                category=form.raw("category"),
                groups=[g for g in form.lists.get("groups", []) if g],
                lat=form.raw("lat"),
                lon=form.raw("lon"),
            )
            issue = post_issue(page.session, _hromada(page), page.user, draft, photos)
        except IssueInvalidError as error:
            _refused(form, page, error)
            raise  # unreachable: _refused raised
        return page.url(f"/issues/{issue.number}")

    return handle_form(page, form, act, lambda status: render_new(page, form.state("issue"), status))


# ---------------------------------------------------------------- one issue


@dataclass(frozen=True)
class Answer:
    """A project that names the issue, in its round: what became of it."""

    round: RoundView
    project: ProjectView


def answering_projects(page: Page, number: int) -> list[Answer] | None:
    """The projects of every round that answer issue ``number``, newest round first; None when the chain
    cannot be read now (the rest of the issue's page does not need it)."""
    try:
        reader = get_reader(page)
        return [
            Answer(round_view, project)
            for round_view in reader.rounds()
            for project in reader.projects(round_view.id)
            if number in project.issues
        ]
    except ChainUnavailableError:
        return None


def render_issue(
    page: Page,
    issue: Issue,
    form: FormState | None = None,
    state_form: FormState | None = None,
    status: int = 200,
) -> Response:
    endorsed = page.user is not None and endorses(page.session, issue, page.user)
    return page.render(
        "issue.html",
        {
            "issue": issue,
            "answers": answering_projects(page, issue.number),
            "endorsements": endorsement_count(page.session, issue),
            "endorsed": endorsed,
            "can_endorse": page.role == Role.RESIDENT
            and page.user is not None
            and issue.author_id != page.user.id,
            "endorsable": issue.state in (IssueState.OPEN, IssueState.ANSWERING),
            "is_council": page.role == Role.COUNCIL,
            "moves_options": [
                (state.value, state_names(page.t)[state.value])
                for state in sorted(TRANSITIONS[issue.state], key=list(IssueState).index)
            ],
            "form": form or page.blank("endorse"),
            "state_form": state_form or page.blank("move"),
            "degrees": degrees,
            "reason_max": CLOSE_REASON_MAX,
            **_names(page),
        },
        status=status,
    )


@router.get("/issues/{number}")
def issue_page(number: IssueNumber, page: PageDep) -> Response:
    return render_issue(page, _issue(page, number))


@router.post("/issues/{number}/endorsement")
def endorse_form(number: IssueNumber, page: ResidentOnlyPage, form: FormDep) -> Response:
    issue = _issue(page, number)

    def act() -> str:
        assert page.user is not None
        if form.raw("do") == "withdraw":
            withdraw(page.session, issue, page.user)
        else:
            endorse(page.session, issue, page.user, registered=_registered(page))
        return page.url(f"/issues/{issue.number}")

    def rerender(status: int) -> Response:
        page.session.expire_all()
        return render_issue(page, _issue(page, number), form=form.state("endorse"), status=status)

    return handle_form(page, form, act, rerender)


def _registered(page: Page) -> bool:
    """Whether the council registered the signed-in resident on chain (one person, one endorsement)."""
    assert page.user is not None
    try:
        return bool(get_reader(page).resident(page.user.wallet.address).is_active)
    except ChainUnavailableError:
        raise
    except CTSError:
        return False


@router.post("/issues/{number}/state")
def move_form(number: IssueNumber, page: CouncilPage, form: FormDep) -> Response:
    issue = _issue(page, number)

    def act() -> str:
        try:
            change_state(page.session, issue, form.raw("state"), form.raw("reason"))
        except IssueInvalidError as error:
            _refused(form, page, error)
        return page.url(f"/issues/{issue.number}")

    def rerender(status: int) -> Response:
        page.session.expire_all()
        return render_issue(page, _issue(page, number), state_form=form.state("move"), status=status)

    return handle_form(page, form, act, rerender)


@router.get("/issues/{number}/photos/{name}")
def issue_photo(number: IssueNumber, name: str, page: PageDep) -> Response:
    """A photo of an issue (public, as the issue is); only the photos this issue names."""
    issue = _issue(page, number)
    if name not in {photo.name for photo in issue.photos}:
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


# ---------------------------------------------------------------- the council


@router.get("/council/issues")
def council_issues(page: CouncilPage) -> Response:
    return page.render(
        "council_issues.html",
        {"tab": "issues", "result": ranking(page.session, _hromada(page)), **_names(page)},
    )


def render_area(page: Page, form: FormState | None = None, status: int = 200) -> Response:
    hromada = _hromada(page)
    area = get_area(page.session, hromada)
    if form is None:
        values = {"settlements": "\n".join(s.name for s in settlements(page.session, hromada))}
        if area is not None:
            values |= {
                "south": degrees(area.south_e6),
                "west": degrees(area.west_e6),
                "north": degrees(area.north_e6),
                "east": degrees(area.east_e6),
            }
        form = page.blank("area", **values)
    return page.render("council_issue_area.html", {"tab": "issues", "form": form}, status=status)


@router.get("/council/issues/area")
def area_page(page: CouncilPage) -> Response:
    return render_area(page)


@router.post("/council/issues/area")
def area_form(page: CouncilPage, form: FormDep) -> Response:
    def act() -> str:
        box = (form.raw("south"), form.raw("west"), form.raw("north"), form.raw("east"))
        names = form.raw("settlements").splitlines()
        try:
            set_area(page.session, _hromada(page), box, names)
        except IssueInvalidError as error:
            if error.field == "box":
                form.error("south", page.t.refusal(error))
                raise FormInvalid() from None
            _refused(form, page, error)
        return page.url("/council/issues")

    return handle_form(page, form, act, lambda status: render_area(page, form.state("area"), status))
