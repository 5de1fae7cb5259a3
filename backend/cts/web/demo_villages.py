"""A village of each demo hromada with an issue of its own (`cts demo`): so that the council's breakdown by
settlement shows two settlements, and a small village's issue is seen beside the town's (cts.issues.demo
seeds the town's issues first; this one comes after them, as number 5)."""

from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.issues.photos import PhotoStore
from cts.issues.service import IssueDraft, degrees, endorse, get_area, post_issue
from cts.models import Hromada, Settlement, User

VILLAGES = {"rudky": "Березівка", "dubechne": "Озерне"}  # by the hromada's key; others: "Нове Село"
ISSUE = (
    "Ветеранам села ніде зібратися",
    "У селі немає приміщення, де ветерани і їхні родини могли б зустрічатися з психологом "
    "і одне з одним; найближчий центр за 30 км, а автобус ходить двічі на тиждень.",
    "veterans",
    ["veterans", "low_income"],
)
OFFSET = (-20_000, 30_000)  # from the map box's centre, microdegrees (when the council has set a box)
ENDORSERS = 2


def seed_village_issue(
    factory: sessionmaker[Session],
    settings: Settings,
    hromada: Hromada,
    residents: list[User],
    say: Callable[[str], None],
) -> None:
    """The village as a settlement of the hromada and its issue, posted by the last of ``residents`` and
    endorsed by the first ones (all registered on chain by the demo)."""
    from cts.web.demo import picture

    village = VILLAGES.get(hromada.slug.split("-")[0], "Нове Село")
    say(f"a village, {village}, with an issue of its own")
    with factory() as session:
        here = session.get(Hromada, hromada.id)
        assert here is not None
        settlement = Settlement(hromada_id=here.id, name=village)
        session.add(settlement)
        session.flush()
        lat = lon = ""
        area = get_area(session, here)
        if area is not None:
            lat = degrees((area.south_e6 + area.north_e6) // 2 + OFFSET[0])
            lon = degrees((area.west_e6 + area.east_e6) // 2 + OFFSET[1])
        people = [session.get(User, person.id) for person in residents]
        author, others = people[-1], people[:ENDORSERS]
        assert author is not None
        title, text, category, groups = ISSUE
        draft = IssueDraft(title, text, str(settlement.id), category, groups, lat, lon)
        photo = PhotoStore(settings).save(io.BytesIO(picture(2000, 320, 240)))
        issue = post_issue(session, here, author, draft, [photo])
        for person in others:
            assert person is not None
            endorse(session, issue, person, registered=True)
        session.commit()
