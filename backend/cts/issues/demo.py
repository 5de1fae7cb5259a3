"""The demo's community issues (`cts demo`): a few issues in each hromada, of different groups, with
endorsements, so that a newcomer sees the list, the map and the council's ranking filled in.

Rudky (Lviv region) gets a map box around the town and a point for each issue; a hromada whose place the demo
does not know gets its settlement and issues without a map (its map page then says the council has not set
one), rather than invented coordinates."""

from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.issues.photos import PhotoStore
from cts.issues.service import (
    IssueDraft,
    change_state,
    degrees,
    endorse,
    parse_degrees,
    post_issue,
    set_area,
    settlements,
)
from cts.models import Hromada, Settlement, User

# key -> (the box: south, west, north, east; the settlements)
PLACES: dict[str, tuple[tuple[str, str, str, str] | None, list[str]]] = {
    "rudky": (("49.60", "23.40", "49.70", "23.57"), ["Рудки"]),
    "dubechne": (None, ["Дубечне"]),
}
# title, description, category, groups, (lat, lon) offsets from the box's centre in microdegrees, endorsers
ISSUES = [
    (
        "Немає пандуса до амбулаторії",
        "Люди на візках і батьки з візочками не можуть зайти до амбулаторії без сторонньої допомоги.",
        "social_care",
        ["disabilities", "elderly"],
        (3_000, 2_000),
        1,
    ),
    (
        "Укриття в школі без світла і води",
        "Під час тривоги діти сидять у темряві: потрібні ліхтарі, генератор і запас води.",
        "safety",
        ["children"],
        (-4_000, -6_000),
        3,
    ),
    (
        "Ями на дорозі до кладовища",
        "Дорогою ходять переважно літні люди; після дощу її не пройти.",
        "infrastructure",
        ["elderly"],
        (8_000, 9_000),
        4,
    ),
    (
        "Де переселенцям знайти житло на зиму",
        "Три родини з Харківщини живуть у спортзалі; потрібен перелік вільного житла і допомога з ремонтом.",
        "idps",
        ["idps", "low_income"],
        None,
        2,
    ),
]


def seed_demo_issues(
    factory: sessionmaker[Session],
    settings: Settings,
    hromada: Hromada,
    residents: list[User],
    say: Callable[[str], None],
) -> None:
    """Issues posted by the first residents and endorsed by the others (all registered by the demo)."""
    from cts.web.demo import picture

    box, names = PLACES.get(hromada.slug.split("-")[0], (None, [hromada.name]))
    say(f"community issues: {len(ISSUES)} posted, endorsed by residents" + ("" if box else " (no map)"))
    photos = PhotoStore(settings)
    with factory() as session:
        here = session.get(Hromada, hromada.id)
        assert here is not None
        if box is not None:
            set_area(session, here, box, names)
        else:
            for name in names:
                session.add(Settlement(hromada_id=here.id, name=name))
            session.flush()
        settlement = settlements(session, here)[0]
        people = [session.get(User, person.id) for person in residents]
        for number, (title, text, category, groups, offset, endorsers) in enumerate(ISSUES):
            lat = lon = ""
            if box is not None and offset is not None:
                south, west, north, east = (parse_degrees(value) or 0 for value in box)
                lat = degrees((south + north) // 2 + offset[0])
                lon = degrees((west + east) // 2 + offset[1])
            author = people[number % len(people)]
            assert author is not None
            draft = IssueDraft(title, text, str(settlement.id), category, groups, lat, lon)
            photo = photos.save(io.BytesIO(picture(1000 + number, 320, 240)))
            issue = post_issue(session, here, author, draft, [photo])
            others = [p for p in people if p is not None and p.id != author.id][:endorsers]
            for person in others:
                endorse(session, issue, person, registered=True)
            if number == 1:
                change_state(session, issue, "answering")
        session.commit()
