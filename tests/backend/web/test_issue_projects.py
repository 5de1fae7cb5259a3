"""Projects answer community issues (issue 18): a pitch names open issues of its hromada (kept in the
project's published document, whose hash is on chain); the round's page links them and each issue's page
lists the projects answering it and what became of them. A pitch naming an unknown or closed issue is
refused with nothing sent."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import select
from test_council import done, send
from web_helpers import World, sign_in

from cts.issues.photos import PhotoStore
from cts.issues.service import IssueDraft, change_state, find_issue, post_issue, set_area
from cts.models import Hromada, Language, Settlement, User
from cts.web.demo import picture
from cts.web.files import Document, DocumentStore
from cts.web.i18n import get_translator

UK = get_translator(Language.UK)


def post(world: World, author: User, title: str) -> int:
    with world.env.app.state.session_factory() as session:
        hromada = session.scalar(select(Hromada).where(Hromada.slug == world.env.slug))
        assert hromada is not None
        if session.scalar(select(Settlement.id).where(Settlement.hromada_id == hromada.id)) is None:
            set_area(session, hromada, ("49.60", "23.40", "49.70", "23.55"), ["Рудки"])
        settlement = session.scalar(select(Settlement.id).where(Settlement.hromada_id == hromada.id))
        draft = IssueDraft(title, f"{title}: опис", str(settlement), "infrastructure", ["elderly"])
        photo = PhotoStore(world.settings).save(io.BytesIO(picture(len(title))))
        issue = post_issue(session, hromada, session.get(User, author.id), draft, [photo])
        session.commit()
        return issue.number


def test_a_pitch_names_the_issues_it_answers_and_each_page_links_the_other(world: World) -> None:
    t = UK
    people = world.people
    pitcher = people.residents[0]
    world.register(pitcher)
    road = post(world, people.residents[1], "Яма на дорозі біля школи")
    closed = post(world, people.residents[1], "Дубль про яму")
    with world.env.app.state.session_factory() as session:
        hromada = session.scalar(select(Hromada).where(Hromada.slug == world.env.slug))
        assert hromada is not None
        issue = find_issue(session, hromada, closed)
        assert issue is not None
        change_state(session, issue, "closed", "Дублює № 1")
        session.commit()
    vote = world.hromada.vote.functions
    world.open_programme()  # its deposit gives the fund the capital a round reserves
    now = world.driver.now()
    digest = DocumentStore(world.settings).save(Document("Бюджет участі", "Раунд"))
    world.driver.do(
        people.council,
        vote.createRound(
            (
                1_000_000,
                now,
                now + 86_400,
                now + 2 * 86_400,
                now + 3 * 86_400,
                10,
                digest,
                (0, 1, 5, 0, False),
            )
        ),
    )
    round_id = int(vote.roundCount().call())

    sign_in(world.client, pitcher.email)
    form = world.client.get(f"/rounds/{round_id}/pitch").text
    assert "Яма на дорозі біля школи" in form and "Дубль про яму" not in form  # only open issues
    pitch = {"title": "Ремонт дороги", "description": "Засипати яму й покласти асфальт.", "ask": "5000"}
    for wrong in (["999"], [str(closed)], ["один"]):
        refused = send(world, f"/rounds/{round_id}/pitch", {**pitch, "issues": wrong})
        assert refused.status_code == 422, wrong
        assert t.gettext("Choose among the open issues listed.") in html.unescape(refused.text)
    projects_before = world.client.get(f"/rounds/{round_id}").text
    assert "Ремонт дороги" not in projects_before
    done(world, send(world, f"/rounds/{round_id}/pitch", {**pitch, "issues": [str(road)]}))

    round_page = world.client.get(f"/rounds/{round_id}").text
    assert "Ремонт дороги" in round_page and f'href="{world.base}/issues/{road}"' in round_page
    answers = world.client.get(f"/issues/{road}").text
    assert "Ремонт дороги" in answers and f"/rounds/{round_id}#project-1" in answers
    assert t.label("round", "pitching") in answers
    nothing = world.client.get(f"/issues/{closed}").text
    assert t.gettext(
        "No project answers this issue yet. Anyone registered can pitch one when a round is open."
    ) in html.unescape(nothing)


def test_a_pitch_carries_photos_that_its_project_page_shows_and_bad_ones_are_refused(world: World) -> None:
    """Up to four pictures, written again without their metadata, named in the project's document (so the
    hash on chain fixes them); anything else is refused with nothing sent or stored."""
    t = UK
    pitcher = world.people.residents[0]
    world.register(pitcher)
    vote = world.hromada.vote.functions
    world.open_programme()
    now = world.driver.now()
    digest = DocumentStore(world.settings).save(Document("Бюджет участі", "Раунд"))
    params = (
        1_000_000,
        now,
        now + 86_400,
        now + 2 * 86_400,
        now + 3 * 86_400,
        10,
        digest,
        (0, 1, 5, 0, False),
    )
    world.driver.do(world.people.council, vote.createRound(params))
    round_id = int(vote.roundCount().call())
    sign_in(world.client, pitcher.email)
    pitch = {"title": "Лавки в парку", "description": "Шість лавок біля ставу.", "ask": "5000"}
    path = f"/rounds/{round_id}/pitch"
    photo = ("lavky.png", picture(41), "image/png")
    cases = [
        ([("photos", photo)] * 5, t.ngettext("At most %(num)s photo.", "At most %(num)s photos.", 4)),
        ([("photos", ("lavky.png", b"%PDF-1.4 not a picture", "image/png"))], "JPEG"),
    ]
    stored = world.settings.var_dir / "issue-photos"
    for files, message in cases:
        refused = send(world, path, pitch, files=files)  # type: ignore[arg-type]
        assert refused.status_code == 422, refused.text
        assert message in html.unescape(refused.text)
    assert int(vote.round(round_id).call()[1]) == 0  # no project pitched
    assert not stored.exists() or not any(stored.rglob("*.jpg"))
    done(
        world,
        send(world, path, pitch, files=[("photos", photo), ("photos", ("b.png", picture(42), "image/png"))]),
    )  # type: ignore[arg-type]

    page = world.client.get(f"/rounds/{round_id}/projects/1/delivery").text
    names = re.findall(rf'{world.base}/rounds/{round_id}/projects/1/photos/([0-9a-f]{{64}}\.jpg)"', page)
    assert len(set(names)) == 2
    served = world.client.get(f"/rounds/{round_id}/projects/1/photos/{names[0]}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content[:2] == b"\xff\xd8"  # written again as a JPEG
    assert b"Exif" not in served.content[:64]
    # Only the photos the project's document names: another stored picture is not served through it.
    other = PhotoStore(world.settings).save(io.BytesIO(picture(43))).name
    assert world.client.get(f"/rounds/{round_id}/projects/1/photos/{other}").status_code == 404
    assert world.client.get(f"/rounds/{round_id}/projects/1/photos/../../etc").status_code == 404
