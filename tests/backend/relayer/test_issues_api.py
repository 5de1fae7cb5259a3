"""Community issues through the API (issue 18): the council sets the map, residents post, add photos,
endorse and withdraw, the council ranks and closes; every kind of bad input refused with its code, nothing
changed.

Real: the session's local chain (endorsing needs the resident registered on it), a fresh SQLite file."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RelayEnv, build_many
from PIL import Image
from sqlalchemy import func, select
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import Issue, IssueEndorsement, IssuePhoto, Settlement
from cts.web.demo import picture

AREA = {
    "south": "49.60",
    "west": "23.40",
    "north": "49.70",
    "east": "23.55",
    "settlements": ["Рудки", "Березець"],
}


def set_area(env: RelayEnv) -> dict[str, int]:
    response = env.act(env.people.council, "PUT", "/api/issues/area", AREA)
    assert response.status_code == 200, response.text
    return {s["name"]: s["id"] for s in response.json()["settlements"]}


def an_issue(settlement: int, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Яма на дорозі біля школи",
        "description": "Глибока яма, діти обходять її дорогою.",
        "settlement_id": settlement,
        "category": "infrastructure",
        "groups": ["children"],
        "lat": "49.6532",
        "lon": "23.4811",
        **changes,
    }


def counts(env: RelayEnv) -> tuple[int, int, int]:
    with env.app.state.session_factory() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Issue, IssueEndorsement, IssuePhoto)
        )


def test_a_resident_posts_another_endorses_and_withdraws_and_the_council_closes(env: RelayEnv) -> None:
    places = set_area(env)
    author, neighbour, other = env.people.residents[:3]
    env.register(neighbour, other)

    posted = env.act(author, "POST", "/api/issues", an_issue(places["Рудки"]))
    assert posted.status_code == 201, posted.text
    issue = posted.json()
    assert (issue["number"], issue["state"], issue["lat"], issue["lon"]) == (
        1,
        "open",
        "49.653200",
        "23.481100",
    )
    photo = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=picture(7),
        headers={
            "Authorization": f"Bearer {env.token(author)}",
            "Idempotency-Key": "photo-0000001",
            "Content-Type": "image/png",
        },
    )
    assert photo.status_code == 201, photo.text
    (address,) = photo.json()["photos"]
    served = env.client.get(address)
    assert served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.content)) as image:
        assert (image.format, image.size) == ("JPEG", (96, 72))

    assert env.act(neighbour, "PUT", "/api/issues/1/endorsement").json()["endorsements"] == 1
    assert env.act(other, "PUT", "/api/issues/1/endorsement").json()["endorsements"] == 2
    again = env.act(neighbour, "PUT", "/api/issues/1/endorsement")
    assert again.status_code == 409 and again.json()["code"] == "issue_already_endorsed"
    assert env.act(other, "DELETE", "/api/issues/1/endorsement").json()["endorsements"] == 1
    assert env.act(other, "DELETE", "/api/issues/1/endorsement").json()["code"] == "issue_not_endorsed"

    ranking = env.act(env.people.council, "GET", "/api/issues/ranking").json()
    assert [r["issue"]["number"] for r in ranking["issues"]] == [1]
    children = next(share for share in ranking["by_group"] if share["key"] == "children")
    assert (children["issues"], children["endorsements"]) == (1, 1)

    no_reason = env.act(env.people.council, "POST", "/api/issues/1/state", {"state": "closed"})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "issue_close_reason_missing"
    closed = env.act(
        env.people.council, "POST", "/api/issues/1/state", {"state": "closed", "reason": "Дубль #2"}
    )
    assert closed.status_code == 200 and closed.json()["close_reason"] == "Дубль #2"
    late = env.act(other, "PUT", "/api/issues/1/endorsement")
    assert late.status_code == 409 and late.json()["code"] == "issue_not_open"


def test_bad_issues_are_refused_with_their_code_and_change_nothing(env: RelayEnv) -> None:
    places = set_area(env)
    resident = env.people.residents[0]
    rudky = places["Рудки"]
    cases = [
        (an_issue(rudky, title="  "), 422, "issue_title_missing"),
        (an_issue(rudky, title="Я" * 201), 422, "issue_title_too_long"),
        (an_issue(rudky, description="Д" * 4001), 422, "issue_description_too_long"),
        (an_issue(rudky, title="x" * 1001), 422, "validation_error"),
        (an_issue(rudky, lat="50.45", lon="30.52"), 422, "issue_point_outside"),
        (an_issue(rudky, lat="49,65,1"), 422, "issue_point_invalid"),
        (an_issue(rudky, lon=""), 422, "issue_point_half"),
        (an_issue(rudky, lat="1e400", lon="nan"), 422, "issue_point_invalid"),
        (an_issue(rudky, category="roads"), 422, "issue_category_unknown"),
        (an_issue(rudky, groups=["children", "cats"]), 422, "issue_group_unknown"),
        (an_issue(999_999), 422, "issue_settlement_unknown"),
        (an_issue(-1), 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = env.act(resident, "POST", "/api/issues", body)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.text)
    assert counts(env) == (0, 0, 0)

    markup = env.act(resident, "POST", "/api/issues", an_issue(rudky, title="<script>alert(1)</script>"))
    assert markup.status_code == 201 and markup.json()["title"] == "<script>alert(1)</script>"
    page = env.client.get(f"/h/{env.slug}/issues/1")
    assert (
        "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    )

    not_a_photo = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=b"%PDF-1.4 not a photo",
        headers={"Authorization": f"Bearer {env.token(resident)}", "Idempotency-Key": "photo-bad-001"},
    )
    assert not_a_photo.status_code == 422 and not_a_photo.json()["code"] == "issue_photo_type"
    assert counts(env) == (1, 0, 0)


def test_roles_and_hromadas_are_kept_apart(env: RelayEnv) -> None:
    places = set_area(env)
    people = env.people
    env.register(people.residents[1])
    assert env.act(people.residents[0], "POST", "/api/issues", an_issue(places["Рудки"])).status_code == 201
    verifier = env.act(people.verifier, "POST", "/api/issues", an_issue(places["Рудки"]))
    assert verifier.status_code == 403 and verifier.json()["code"] == "role_required"
    not_council = env.act(
        people.residents[1], "POST", "/api/issues/1/state", {"state": "closed", "reason": "x"}
    )
    assert not_council.status_code == 403
    assert env.act(people.residents[1], "GET", "/api/issues/ranking").status_code == 403
    own = env.act(people.residents[0], "PUT", "/api/issues/1/endorsement")
    assert own.status_code == 403 and own.json()["code"] == "issue_own"
    unregistered = env.act(people.outsider, "PUT", "/api/issues/1/endorsement")
    assert unregistered.status_code == 403 and unregistered.json()["code"] == "issue_endorser_not_registered"
    council_endorses = env.act(people.council, "PUT", "/api/issues/1/endorsement")
    assert council_endorses.status_code == 403
    someone_elses = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=picture(8),
        headers={
            "Authorization": f"Bearer {env.token(people.residents[1])}",
            "Idempotency-Key": "photo-other-1",
        },
    )
    assert someone_elses.status_code == 403
    unknown = env.client.get("/api/h/no-such-hromada/issues/1")
    assert unknown.status_code == 404
    missing = env.act(people.residents[1], "PUT", "/api/issues/2/endorsement")
    assert missing.status_code == 404
    assert counts(env) == (1, 0, 0)

    # The same endorsement sent twice with one key: done once, answered twice.
    first = env.act(people.residents[1], "PUT", "/api/issues/1/endorsement", key="endorse-once-001")
    replay = env.act(people.residents[1], "PUT", "/api/issues/1/endorsement", key="endorse-once-001")
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert counts(env) == (1, 1, 0)


def test_the_council_sets_the_map_and_cannot_drop_a_settlement_in_use(env: RelayEnv) -> None:
    places = set_area(env)
    council = env.people.council
    assert (
        env.act(env.people.residents[0], "POST", "/api/issues", an_issue(places["Березець"])).status_code
        == 201
    )
    for box in (
        {"south": "49.7", "north": "49.6"},
        {"south": "40", "north": "49.6"},
        {"west": "abc"},
        {"east": "181"},
    ):
        refused = env.act(council, "PUT", "/api/issues/area", {**AREA, **box})
        assert refused.status_code == 422 and refused.json()["code"] == "area_box_invalid", box
    dropped = env.act(council, "PUT", "/api/issues/area", {**AREA, "settlements": ["Рудки"]})
    assert dropped.status_code == 422 and dropped.json()["code"] == "area_settlement_in_use"
    resident = env.act(env.people.residents[0], "PUT", "/api/issues/area", AREA)
    assert resident.status_code == 403
    with env.app.state.session_factory() as session:
        assert sorted(session.scalars(select(Settlement.name))) == ["Березець", "Рудки"]
    public = env.client.get(f"/api/h/{env.slug}/issues/area").json()
    assert (public["south"], public["east"]) == ("49.600000", "23.550000")


def phone_photo(width: int, height: int) -> bytes:
    """A JPEG as a phone writes it: EXIF with the place it was taken (GPS) and the camera, turned sideways."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: to be turned 90 degrees to stand upright
    exif.get_ifd(0x8825).update({1: "N", 2: (49.0, 39.0, 11.5), 3: "E", 4: (23.0, 28.0, 52.0)})  # GPS
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_is_served_upright_smaller_and_without_where_it_was_taken(env: RelayEnv) -> None:
    places = set_area(env)
    author = env.people.residents[0]
    assert env.act(author, "POST", "/api/issues", an_issue(places["Рудки"])).status_code == 201
    original = phone_photo(3000, 2000)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the upload does say where it was taken
    response = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=original,
        headers={
            "Authorization": f"Bearer {env.token(author)}",
            "Idempotency-Key": "photo-phone-01",
            "Content-Type": "image/jpeg",
        },
    )
    assert response.status_code == 201, response.text
    served = env.client.get(response.json()["photos"][0]).content
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (1067, 1600)  # turned upright, the longer side 1600 px
        assert not image.getexif() and "exif" not in image.info
    assert len(served) < len(original)

    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, format="PNG")  # a small file, a 100-megapixel picture
    refused = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=bomb.getvalue(),
        headers={"Authorization": f"Bearer {env.token(author)}", "Idempotency-Key": "photo-bomb-001"},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "issue_photo_too_large"
    broken = env.client.post(
        f"/api/h/{env.slug}/issues/1/photos",
        content=b"\xff\xd8\xff\xe0 not really a JPEG",
        headers={"Authorization": f"Bearer {env.token(author)}", "Idempotency-Key": "photo-broken-01"},
    )
    assert broken.status_code == 422 and broken.json()["code"] == "issue_photo_type"
    assert counts(env) == (1, 0, 1)


@pytest.fixture
def two(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[list[RelayEnv]]:
    envs = build_many(make_settings, tmp_path, node.url, w3, deployer, shared_manifest, count=2)
    with envs[0].client:
        yield envs
    envs[0].worker.release_leases()


def test_issues_settlements_and_roles_stay_in_their_hromada(two: list[RelayEnv]) -> None:
    here, there = two
    places_here, places_there = set_area(here), set_area(there)
    posted = here.act(here.people.residents[0], "POST", "/api/issues", an_issue(places_here["Рудки"]))
    assert posted.status_code == 201
    # A settlement of the other hromada, named by its id, is not one of this hromada's.
    foreign = here.act(here.people.residents[0], "POST", "/api/issues", an_issue(places_there["Рудки"]))
    assert foreign.status_code == 422 and foreign.json()["code"] == "issue_settlement_unknown"
    # The other hromada has no issue 1, and its people hold no role here.
    assert there.client.get(f"/api/h/{there.slug}/issues/1").status_code == 404
    outsider = there.people.residents[0]
    there.register(outsider)
    headers = {"Authorization": f"Bearer {there.token(outsider)}", "Idempotency-Key": "endorse-there-1"}
    endorse_here = there.client.put(f"/api/h/{here.slug}/issues/1/endorsement", headers=headers)
    assert endorse_here.status_code == 403 and endorse_here.json()["code"] == "role_required"
    council_there = {
        "Authorization": f"Bearer {there.token(there.people.council)}",
        "Idempotency-Key": "close-there-1",
    }
    close_here = there.client.post(
        f"/api/h/{here.slug}/issues/1/state", json={"state": "closed", "reason": "x"}, headers=council_there
    )
    assert close_here.status_code == 403
    assert here.client.get(f"/api/h/{there.slug}/issues").json() == []
    assert counts(here) == (1, 0, 0)


def test_two_posts_that_read_the_same_number_get_one_each(
    env: RelayEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = set_area(env)
    resident = env.people.residents[0]
    assert env.act(resident, "POST", "/api/issues", an_issue(places["Рудки"])).status_code == 201
    from cts.issues import service

    real = service.next_number
    stale = iter([1])  # what a post that read the highest number before the first one's commit would take

    def racing(session: Any, hromada: Any) -> int:
        return next(stale, None) or real(session, hromada)

    monkeypatch.setattr(service, "next_number", racing)
    second = env.act(resident, "POST", "/api/issues", an_issue(places["Рудки"], title="Друга"))
    assert second.status_code == 201 and second.json()["number"] == 2
    monkeypatch.setattr(service, "next_number", lambda session, hromada: 1)  # never a free number
    refused = env.act(resident, "POST", "/api/issues", an_issue(places["Рудки"], title="Третя"))
    assert refused.status_code == 503 and refused.json()["code"] == "service_unavailable"
    assert counts(env) == (2, 0, 0)
