"""Community issues through the API (the pages do the same, with the same checks: cts.issues.service): read
the hromada's issues and its map area; post an issue and add its photos; endorse and withdraw; the council's
ranking with its breakdown, its lifecycle moves and the map area. Everything under /api/h/<slug>/issues."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field

from cts.api.deps import CouncilUser, CurrentHromada, RelayerDep, SessionDep, require_roles
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.errors import NotFoundError, PermissionDeniedError
from cts.issues.errors import IssueInvalidError
from cts.issues.photos import PhotoStore
from cts.issues.ranking import RankedIssue, Ranking, Share, list_issues, ranking
from cts.issues.service import (
    MAX_PHOTOS,
    IssueDraft,
    change_state,
    degrees,
    endorse,
    endorsement_count,
    find_issue,
    get_area,
    post_issue,
    set_area,
    settlements,
    withdraw,
)
from cts.models import AffectedGroup, Hromada, Issue, IssueCategory, IssuePhoto, IssueState, Role, User
from cts.web.files import DocumentStore
from cts.web.reads import ChainReader

router = APIRouter(prefix="/h/{slug}/issues", tags=["issues"])
IssueNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="The issue's number in its hromada")]
# Residents post issues; NGOs post through a coordinator's account (or as residents); the council too.
PosterUser = Annotated[User, Depends(require_roles(Role.RESIDENT, Role.COORDINATOR, Role.COUNCIL))]
ResidentOnly = Annotated[User, Depends(require_roles(Role.RESIDENT))]
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)


class IssueCreate(BaseModel):
    """A new issue. ``lat``/``lon``: decimal degrees as text ("49.6532"), both or neither, inside the
    hromada's map area. Text is kept as typed and always shown as text (markup is not interpreted)."""

    title: str = Field(max_length=1000)
    description: str = Field(max_length=20_000)
    settlement_id: int = Field(ge=1, le=2**31 - 1)
    category: str = Field(max_length=32, description=f"One of: {', '.join(c.value for c in IssueCategory)}")
    groups: list[str] = Field(
        default_factory=list,
        max_length=len(AffectedGroup) * 2,
        description=f"Any of: {', '.join(g.value for g in AffectedGroup)}",
    )
    lat: str = Field(default="", max_length=32)
    lon: str = Field(default="", max_length=32)


class IssuePublic(BaseModel):
    number: int
    title: str
    description: str
    settlement: str
    settlement_id: int
    lat: str | None
    lon: str | None
    category: str
    groups: list[str]
    state: Literal["open", "answering", "resolved", "closed"]
    close_reason: str | None
    endorsements: int
    photos: list[str] = Field(description="Addresses of the issue's photos")
    posted_at: str

    @classmethod
    def of(cls, hromada: Hromada, issue: Issue, endorsements: int) -> IssuePublic:
        return cls(
            number=issue.number,
            title=issue.title,
            description=issue.description,
            settlement=issue.settlement.name,
            settlement_id=issue.settlement_id,
            lat=degrees(issue.lat_e6) if issue.lat_e6 is not None else None,
            lon=degrees(issue.lon_e6) if issue.lon_e6 is not None else None,
            category=issue.category.value,
            groups=issue.group_names,
            state=issue.state.value,
            close_reason=issue.close_reason,
            endorsements=endorsements,
            photos=[f"/h/{hromada.slug}/issues/{issue.number}/photos/{p.name}" for p in issue.photos],
            posted_at=issue.created_at.isoformat(),
        )


class RankedIssuePublic(BaseModel):
    rank: int
    issue: IssuePublic


class SharePublic(BaseModel):
    key: str
    issues: int
    endorsements: int
    top: list[RankedIssuePublic]


class RankingPublic(BaseModel):
    """Open issues and those being answered, ranked (more endorsements first, then the older), and each
    group's and settlement's own top issues (docs/community-issues.md)."""

    issues: list[RankedIssuePublic]
    by_group: list[SharePublic]
    by_settlement: list[SharePublic]
    without_group: int


class StateChange(BaseModel):
    state: str = Field(max_length=32, description=f"One of: {', '.join(s.value for s in IssueState)}")
    reason: str = Field(default="", max_length=5000, description="Required when closing")


class SettlementPublic(BaseModel):
    id: int
    name: str


class AreaPublic(BaseModel):
    south: str | None
    west: str | None
    north: str | None
    east: str | None
    settlements: list[SettlementPublic]


class AreaUpdate(BaseModel):
    south: str = Field(max_length=32)
    west: str = Field(max_length=32)
    north: str = Field(max_length=32)
    east: str = Field(max_length=32)
    settlements: list[str] = Field(max_length=200)


def _ranked(hromada: Hromada, item: RankedIssue) -> RankedIssuePublic:
    return RankedIssuePublic(rank=item.rank, issue=IssuePublic.of(hromada, item.issue, item.endorsements))


def _find(session: SessionDep, hromada: Hromada, number: int) -> Issue:
    issue = find_issue(session, hromada, number)
    if issue is None:
        raise NotFoundError("There is no such issue in this hromada.")
    return issue


def _public(session: SessionDep, hromada: Hromada, issue: Issue) -> IssuePublic:
    return IssuePublic.of(hromada, issue, endorsement_count(session, issue))


@router.get("", response_model=list[IssuePublic], responses=error_responses(404))
def get_issues(hromada: CurrentHromada, session: SessionDep) -> list[IssuePublic]:
    """Every issue of the hromada, ranked (more endorsements first, then the older). Public."""
    return [IssuePublic.of(hromada, r.issue, r.endorsements) for r in list_issues(session, hromada)]


@router.get("/area", response_model=AreaPublic, responses=error_responses(404))
def get_issue_area(hromada: CurrentHromada, session: SessionDep) -> AreaPublic:
    """The hromada's map area (the box an issue's point must be in) and its settlements. Public."""
    area = get_area(session, hromada)
    box = (
        (degrees(area.south_e6), degrees(area.west_e6), degrees(area.north_e6), degrees(area.east_e6))
        if area is not None
        else (None, None, None, None)
    )
    return AreaPublic(
        south=box[0],
        west=box[1],
        north=box[2],
        east=box[3],
        settlements=[SettlementPublic(id=s.id, name=s.name) for s in settlements(session, hromada)],
    )


@router.put("/area", response_model=AreaPublic, responses=WRITE_ERRORS)
def put_issue_area(
    body: AreaUpdate,
    user: CouncilUser,
    hromada: CurrentHromada,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """The council sets the map area (degrees, at most 2 across) and the settlements' names (a settlement
    issues name cannot be removed)."""
    set_area(session, hromada, (body.south, body.west, body.north, body.east), body.settlements)
    return idempotency.respond(get_issue_area(hromada, session))


@router.get("/ranking", response_model=RankingPublic, responses=error_responses(401, 403, 404))
def get_ranking(user: CouncilUser, hromada: CurrentHromada, session: SessionDep) -> RankingPublic:
    """The council's ranked list with its breakdown by group and by settlement."""
    result: Ranking = ranking(session, hromada)

    def shares(items: list[Share]) -> list[SharePublic]:
        return [
            SharePublic(
                key=s.key,
                issues=s.issues,
                endorsements=s.endorsements,
                top=[_ranked(hromada, r) for r in s.top],
            )
            for s in items
        ]

    return RankingPublic(
        issues=[_ranked(hromada, r) for r in result.issues],
        by_group=shares(result.by_group),
        by_settlement=shares(result.by_settlement),
        without_group=result.without_group,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IssuePublic, responses=WRITE_ERRORS)
def create_issue(
    body: IssueCreate,
    user: PosterUser,
    hromada: CurrentHromada,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Post an issue (photos next, one request each: POST .../photos with the picture as the body)."""
    draft = IssueDraft(
        title=body.title,
        description=body.description,
        settlement=str(body.settlement_id),
        category=body.category,
        groups=body.groups,
        lat=body.lat,
        lon=body.lon,
    )
    issue = post_issue(session, hromada, user, draft)
    return idempotency.respond(_public(session, hromada, issue), status.HTTP_201_CREATED)


async def read_photo_body(request: Request) -> bytes:
    """The body, read here (the route itself runs in a thread); the middleware already bounds its size."""
    return await request.body()


PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "description": "The photo itself: JPEG, PNG or WebP.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/jpeg", "image/png", "image/webp")
        },
    }
}


@router.get("/{number}", response_model=IssuePublic, responses=error_responses(404))
def get_issue(number: IssueNumber, hromada: CurrentHromada, session: SessionDep) -> IssuePublic:
    return _public(session, hromada, _find(session, hromada, number))


@router.post(
    "/{number}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuePublic,
    responses=WRITE_ERRORS,
    openapi_extra=PHOTO_BODY,
)
def add_photo(
    number: IssueNumber,
    data: Annotated[bytes, Depends(read_photo_body)],
    user: PosterUser,
    hromada: CurrentHromada,
    session: SessionDep,
    request: Request,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a photo to one's own issue (at most four)."""
    issue = _find(session, hromada, number)
    if issue.author_id != user.id:
        raise PermissionDeniedError("Only the person who posted the issue can add its photos.")
    if len(issue.photos) >= MAX_PHOTOS:
        raise IssueInvalidError("photos", "issue_photos_too_many", max=MAX_PHOTOS)
    photo = PhotoStore(request.app.state.settings).save(io.BytesIO(data))
    if all(p.sha256 != photo.sha256 for p in issue.photos):
        issue.photos.append(IssuePhoto(sha256=photo.sha256, extension=photo.extension, size=photo.size))
        session.flush()
    return idempotency.respond(_public(session, hromada, issue), status.HTTP_201_CREATED)


def _is_registered(relayer: RelayerDep, user: User) -> bool:
    reader = ChainReader(relayer.chain, DocumentStore(relayer.settings))
    return bool(reader.resident(user.wallet.address).is_active)


@router.put(
    "/{number}/endorsement", response_model=IssuePublic, responses={**WRITE_ERRORS, **error_responses(503)}
)
def endorse_issue(
    number: IssueNumber,
    user: ResidentOnly,
    hromada: CurrentHromada,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Endorse an issue: one endorsement per registered resident (409 the second time)."""
    issue = _find(session, hromada, number)
    endorse(session, issue, user, registered=_is_registered(relayer, user))
    return idempotency.respond(_public(session, hromada, issue))


@router.delete("/{number}/endorsement", response_model=IssuePublic, responses=WRITE_ERRORS)
def withdraw_endorsement(
    number: IssueNumber,
    user: ResidentOnly,
    hromada: CurrentHromada,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Withdraw one's endorsement (409 if there is none)."""
    issue = _find(session, hromada, number)
    withdraw(session, issue, user)
    return idempotency.respond(_public(session, hromada, issue))


@router.post("/{number}/state", response_model=IssuePublic, responses=WRITE_ERRORS)
def move_issue(
    number: IssueNumber,
    body: StateChange,
    user: CouncilUser,
    hromada: CurrentHromada,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """The council moves an issue: being answered, resolved, closed (with its reason), or open again."""
    issue = _find(session, hromada, number)
    change_state(session, issue, body.state, body.reason)
    return idempotency.respond(_public(session, hromada, issue))
