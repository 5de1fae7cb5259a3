"""Community issues, for the pages and the API alike: posting an issue (its checks), endorsing and
withdrawing, the council's lifecycle moves, the hromada's map area and settlements.

Every function takes the hromada and acts only on its rows; every refusal is raised before anything is
written, so a refused request changes nothing. The caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cts.core.db import utcnow
from cts.errors import ServiceUnavailableError
from cts.issues.errors import (
    IssueConflictError,
    IssueDailyLimitError,
    IssueForbiddenError,
    IssueInvalidError,
)
from cts.issues.photos import StoredPhoto
from cts.models import (
    AffectedGroup,
    Hromada,
    Issue,
    IssueArea,
    IssueCategory,
    IssueEndorsement,
    IssueGroup,
    IssuePhoto,
    IssueState,
    Settlement,
    User,
)

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
CLOSE_REASON_MAX = 500
SETTLEMENT_MAX = 100
MAX_SETTLEMENTS = 200
MAX_PHOTOS = 4
ISSUES_PER_DAY = 10
NUMBER_ATTEMPTS = 5
# A hromada is at most about a hundred kilometres across: a box wider than 2 degrees is a typing mistake.
MAX_SPAN_E6 = 2_000_000
MICRO = Decimal(1_000_000)
MAX_ID = 2**31 - 1  # ids and numbers the database holds; a larger one names nothing
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{1,9})?")

# Which state each state may move to (the council's moves); an issue closed by mistake may be reopened.
TRANSITIONS: dict[IssueState, frozenset[IssueState]] = {
    IssueState.OPEN: frozenset({IssueState.ANSWERING, IssueState.RESOLVED, IssueState.CLOSED}),
    IssueState.ANSWERING: frozenset({IssueState.OPEN, IssueState.RESOLVED, IssueState.CLOSED}),
    IssueState.RESOLVED: frozenset({IssueState.OPEN}),
    IssueState.CLOSED: frozenset({IssueState.OPEN}),
}
ENDORSABLE = frozenset({IssueState.OPEN, IssueState.ANSWERING})


@dataclass(frozen=True)
class IssueDraft:
    """An issue as typed (pages) or sent (API): strings, checked by ``check_draft``."""

    title: str
    description: str
    settlement: str  # the settlement's id
    category: str
    groups: Sequence[str] = ()
    lat: str = ""
    lon: str = ""


@dataclass(frozen=True)
class CheckedIssue:
    title: str
    description: str
    settlement: Settlement
    category: IssueCategory
    groups: list[AffectedGroup]
    lat_e6: int | None
    lon_e6: int | None


@dataclass
class DraftProblems:
    """Every refusal of a draft at once (the page marks each field): field -> IssueInvalidError."""

    errors: dict[str, IssueInvalidError] = field(default_factory=dict)

    def add(self, error: IssueInvalidError) -> None:
        self.errors.setdefault(error.field, error)


def parse_degrees(text: str) -> int | None:
    """Decimal degrees typed either way (49.6532 or 49,6532) as whole microdegrees; None if not a number."""
    text = text.strip().replace("\u2212", "-")
    if not _DEGREES.fullmatch(text):
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return int((value * MICRO).to_integral_value())


def degrees(e6: int) -> str:
    """Microdegrees as decimal degrees with six places (what the pages and the API show)."""
    sign = "-" if e6 < 0 else ""
    whole, part = divmod(abs(e6), 1_000_000)
    return f"{sign}{whole}.{part:06d}"


def get_area(session: Session, hromada: Hromada) -> IssueArea | None:
    return session.scalar(select(IssueArea).where(IssueArea.hromada_id == hromada.id))


def settlements(session: Session, hromada: Hromada) -> list[Settlement]:
    return list(
        session.scalars(
            select(Settlement).where(Settlement.hromada_id == hromada.id).order_by(Settlement.name)
        )
    )


def check_draft(session: Session, hromada: Hromada, draft: IssueDraft) -> CheckedIssue:
    """The draft's values, or IssueInvalidError naming every wrong field (``.problems``)."""
    problems = DraftProblems()
    title, description = draft.title.strip(), draft.description.strip()
    if not title:
        problems.add(IssueInvalidError("title", "issue_title_missing"))
    elif len(title) > TITLE_MAX:
        problems.add(IssueInvalidError("title", "issue_title_too_long", max=TITLE_MAX))
    if not description:
        problems.add(IssueInvalidError("description", "issue_description_missing"))
    elif len(description) > DESCRIPTION_MAX:
        problems.add(IssueInvalidError("description", "issue_description_too_long", max=DESCRIPTION_MAX))
    settlement = None
    typed = draft.settlement.strip()
    if typed.isdigit() and len(typed) <= 10 and int(typed) <= MAX_ID:
        settlement = session.get(Settlement, int(typed))
    if settlement is None or settlement.hromada_id != hromada.id:
        settlement = None
        problems.add(IssueInvalidError("settlement", "issue_settlement_unknown"))
    category = None
    if draft.category in IssueCategory.__members__.values():
        category = IssueCategory(draft.category)
    else:
        problems.add(IssueInvalidError("category", "issue_category_unknown"))
    groups: list[AffectedGroup] = []
    for name in draft.groups:
        if name not in AffectedGroup.__members__.values():
            problems.add(IssueInvalidError("groups", "issue_group_unknown"))
        elif AffectedGroup(name) not in groups:
            groups.append(AffectedGroup(name))
    lat_e6, lon_e6 = _check_point(session, hromada, draft.lat, draft.lon, problems)
    if problems.errors:
        first = next(iter(problems.errors.values()))
        first.problems = dict(problems.errors)
        raise first
    assert settlement is not None and category is not None
    return CheckedIssue(title, description, settlement, category, groups, lat_e6, lon_e6)


def _check_point(
    session: Session, hromada: Hromada, lat_text: str, lon_text: str, problems: DraftProblems
) -> tuple[int | None, int | None]:
    if not lat_text.strip() and not lon_text.strip():
        return None, None
    if not lat_text.strip() or not lon_text.strip():
        problems.add(IssueInvalidError("lat" if not lat_text.strip() else "lon", "issue_point_half"))
        return None, None
    lat, lon = parse_degrees(lat_text), parse_degrees(lon_text)
    if lat is None or not -90_000_000 <= lat <= 90_000_000:
        problems.add(IssueInvalidError("lat", "issue_point_invalid"))
    if lon is None or not -180_000_000 <= lon <= 180_000_000:
        problems.add(IssueInvalidError("lon", "issue_point_invalid"))
    if "lat" in problems.errors or "lon" in problems.errors:
        return None, None
    assert lat is not None and lon is not None
    area = get_area(session, hromada)
    if area is None:
        problems.add(IssueInvalidError("lat", "issue_area_missing"))
        return None, None
    if not area.contains(lat, lon):
        problems.add(
            IssueInvalidError(
                "lat",
                "issue_point_outside",
                south=degrees(area.south_e6),
                west=degrees(area.west_e6),
                north=degrees(area.north_e6),
                east=degrees(area.east_e6),
            )
        )
        return None, None
    return lat, lon


def post_issue(
    session: Session,
    hromada: Hromada,
    author: User,
    draft: IssueDraft,
    photos: Iterable[StoredPhoto] = (),
) -> Issue:
    """Check and add an issue (with photos already stored); refused whole, or added whole."""
    checked = check_draft(session, hromada, draft)
    kept = list({photo.sha256: photo for photo in photos}.values())
    if len(kept) > MAX_PHOTOS:
        raise IssueInvalidError("photos", "issue_photos_too_many", max=MAX_PHOTOS)
    since = utcnow() - timedelta(days=1)
    posted = session.scalar(
        select(func.count())
        .select_from(Issue)
        .where(Issue.hromada_id == hromada.id, Issue.author_id == author.id, Issue.created_at >= since)
    )
    if (posted or 0) >= ISSUES_PER_DAY:
        raise IssueDailyLimitError(retry_after_seconds=3600)
    # Two posts at once may both read the same highest number: the (hromada, number) unique key refuses
    # the second, whose savepoint is rolled back and which takes the next number (PostgreSQL; SQLite lets
    # one writer at a time in). A post that still finds no number after a few tries is refused, not lost.
    for _ in range(NUMBER_ATTEMPTS):
        issue = Issue(
            hromada_id=hromada.id,
            number=next_number(session, hromada),
            author_id=author.id,
            title=checked.title,
            description=checked.description,
            settlement_id=checked.settlement.id,
            lat_e6=checked.lat_e6,
            lon_e6=checked.lon_e6,
            category=checked.category,
            state=IssueState.OPEN,
            groups=[IssueGroup(group=group) for group in checked.groups],
            photos=[IssuePhoto(sha256=p.sha256, extension=p.extension, size=p.size) for p in kept],
        )
        try:
            with session.begin_nested():
                session.add(issue)
            return issue
        except IntegrityError:  # the savepoint's rollback took the refused issue out of the session
            continue
    raise ServiceUnavailableError("Many issues are being posted at once. Please send the form again.")


def next_number(session: Session, hromada: Hromada) -> int:
    """The hromada's next issue number (its issues are numbered 1, 2, 3...)."""
    return (session.scalar(select(func.max(Issue.number)).where(Issue.hromada_id == hromada.id)) or 0) + 1


def find_issue(session: Session, hromada: Hromada, number: int) -> Issue | None:
    return session.scalar(select(Issue).where(Issue.hromada_id == hromada.id, Issue.number == number))


def endorsement_count(session: Session, issue: Issue) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(IssueEndorsement).where(IssueEndorsement.issue_id == issue.id)
        )
        or 0
    )


def endorses(session: Session, issue: Issue, user: User) -> bool:
    found = session.scalar(
        select(IssueEndorsement.id).where(
            IssueEndorsement.issue_id == issue.id, IssueEndorsement.user_id == user.id
        )
    )
    return found is not None


def endorse(session: Session, issue: Issue, user: User, *, registered: bool) -> None:
    """Add the resident's endorsement (once). ``registered``: whether the council registered them on chain,
    the Sybil defence that makes one endorsement one person."""
    if issue.author_id == user.id:
        raise IssueForbiddenError("issue_own")
    if not registered:
        raise IssueForbiddenError("issue_endorser_not_registered")
    if issue.state not in ENDORSABLE:
        raise IssueConflictError("issue_not_open")
    if endorses(session, issue, user):
        raise IssueConflictError("issue_already_endorsed")
    try:
        with session.begin_nested():
            session.add(IssueEndorsement(issue_id=issue.id, user_id=user.id))
    except IntegrityError:  # the same endorsement sent twice at once: the unique key keeps one
        raise IssueConflictError("issue_already_endorsed") from None


def withdraw(session: Session, issue: Issue, user: User) -> None:
    removed = session.execute(
        delete(IssueEndorsement).where(
            IssueEndorsement.issue_id == issue.id, IssueEndorsement.user_id == user.id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise IssueConflictError("issue_not_endorsed")


def change_state(session: Session, issue: Issue, state: str, reason: str = "") -> None:
    """The council's move: to ``state`` (a closing needs its reason, kept with the issue)."""
    if state not in IssueState.__members__.values():
        raise IssueInvalidError("state", "issue_state_unknown")
    target = IssueState(state)
    reason = reason.strip()
    if target not in TRANSITIONS[issue.state]:
        raise IssueConflictError("issue_state_transition", state=issue.state.value, target=target.value)
    if target == IssueState.CLOSED:
        if not reason:
            raise IssueInvalidError("reason", "issue_close_reason_missing")
        if len(reason) > CLOSE_REASON_MAX:
            raise IssueInvalidError("reason", "issue_close_reason_too_long", max=CLOSE_REASON_MAX)
    issue.state = target
    issue.close_reason = reason if target == IssueState.CLOSED else None
    issue.state_changed_at = utcnow()
    session.flush()


def set_area(
    session: Session, hromada: Hromada, box: tuple[str, str, str, str], names: Sequence[str]
) -> IssueArea:
    """The council's map area (south, west, north, east in degrees) and its settlements' names. A settlement
    that issues name is kept (removing it is refused)."""
    south, west, north, east = (parse_degrees(value) for value in box)
    if (
        south is None
        or west is None
        or north is None
        or east is None
        or not -90_000_000 <= south < north <= 90_000_000
        or not -180_000_000 <= west < east <= 180_000_000
        or north - south > MAX_SPAN_E6
        or east - west > MAX_SPAN_E6
    ):
        raise IssueInvalidError("box", "area_box_invalid")
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not wanted or len(wanted) > MAX_SETTLEMENTS:
        raise IssueInvalidError("settlements", "area_settlements_missing")
    if any(len(name) > SETTLEMENT_MAX for name in wanted):
        raise IssueInvalidError("settlements", "area_settlement_too_long", max=SETTLEMENT_MAX)
    current = {s.name: s for s in settlements(session, hromada)}
    for name, settlement in current.items():
        if name not in wanted:
            in_use = session.scalar(select(Issue.id).where(Issue.settlement_id == settlement.id).limit(1))
            if in_use is not None:
                raise IssueInvalidError("settlements", "area_settlement_in_use", name=name)
            session.delete(settlement)
    for name in wanted:
        if name not in current:
            session.add(Settlement(hromada_id=hromada.id, name=name))
    area = get_area(session, hromada) or IssueArea(hromada_id=hromada.id)
    area.south_e6, area.west_e6, area.north_e6, area.east_e6 = south, west, north, east
    session.add(area)
    session.flush()
    return area
