"""What a form saved offline meets when the page's script sends it later (docs/offline.md): the header
X-CTS-Offline asks for JSON; the form's one-time key makes a resend, a retry or a second tab record nothing
more; a refusal says why in the person's language; a stale CSRF token or a chain away is "retry", never a
refusal. Through the TestClient, on the real chain and database (the browser tests: test_offline_pages.py)."""

from __future__ import annotations

import secrets
import threading

import httpx
import pytest
from sqlalchemy import func, select
from web_helpers import CSRF, Served, World, sign_in

from cts.budgets import set_limits
from cts.hromadas import get_hromada
from cts.models import Language, RelayAction, Role
from cts.web.demo import picture
from cts.web.i18n import get_translator

OFFLINE = {"X-CTS-Offline": "1"}


def csrf_of(client: httpx.Client | object) -> str:
    return str(CSRF.findall(client.get("/no-such-page").text)[-1])  # type: ignore[attr-defined]


def sync(
    world: World, path: str, data: dict[str, str], key: str, files: dict[str, object] | None = None
) -> httpx.Response:
    fields = {"csrf_token": csrf_of(world.client), "form_key": key, **data}
    return world.client.post(path, data=fields, files=files, headers=OFFLINE, follow_redirects=False)  # type: ignore[arg-type]


def actions(world: World, kind: str) -> int:
    with world.env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count(RelayAction.id)).where(RelayAction.kind == kind)) or 0)


def coordinator_ready(world: World, per_resident_cap: int = 100, coordinator_verifies: bool = False) -> int:
    """Residents registered, the coordinator's role on chain, an open programme; its id. With
    `coordinator_verifies` the coordinator is also one of the programme's verifiers."""
    people, cases = world.people, world.hromada.cases.functions
    world.register(*people.residents)
    world.driver.do(
        people.council, cases.grantRole(cases.COORDINATOR_ROLE().call(), people.coordinator.wallet.address)
    )
    programme = world.open_programme(reward=4)
    if per_resident_cap != 100 or coordinator_verifies:
        # open_programme's per-resident cap is 100 RV and its one verifier the verifier: a second programme
        council = people.council
        now = world.driver.now()
        verifiers = [people.verifier.wallet.address]
        if coordinator_verifies:
            verifiers.append(people.coordinator.wallet.address)
        title = "Плетіння сіток"
        params = (
            title,
            b"\x01" * 32,
            4,
            40_000,
            1_000,
            per_resident_cap,
            now,
            now + 30 * 86_400,
            1,
            verifiers,
        )
        world.driver.do(council, cases.createProgramme(params))
        programme = int(cases.programmeCount().call())
    sign_in(world.client, people.coordinator.email)
    return programme


def test_a_case_saved_offline_is_recorded_once_however_often_it_is_sent(world: World) -> None:
    programme = coordinator_ready(world)
    resident = world.people.residents[0]
    key = secrets.token_urlsafe(18)
    data = {"resident": str(resident.id), "programme": str(programme)}
    photo = {"evidence": ("journal-page.png", picture(7001), "image/png")}
    first = sync(world, "/record", data, key, photo)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "done" and first.json()["replayed"] is False
    assert first.json()["redirect"].startswith(world.base + "/actions/")
    again = sync(world, "/record", data, key, {"evidence": ("journal-page.png", picture(7001), "image/png")})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert actions(world, "recordCase") == 1
    world.driver.wait(first.json()["redirect"].removeprefix(world.base + "/actions/"))
    assert world.hromada.cases.functions.caseCount().call() == 1
    # A new key is a new case (another photo: the same one would be a duplicate of evidence).
    other = sync(
        world,
        "/record",
        data,
        secrets.token_urlsafe(18),
        {"evidence": ("p2.png", picture(7002), "image/png")},
    )
    assert other.json()["outcome"] == "done" and other.json()["redirect"] != first.json()["redirect"]
    assert actions(world, "recordCase") == 2


def test_a_refusal_on_sync_says_why_in_the_persons_language_and_records_nothing(world: World) -> None:
    programme = coordinator_ready(world, per_resident_cap=4)
    people, cases = world.people, world.hromada.cases.functions
    resident = people.residents[0]
    (case_id,) = world.submit_cases(programme, resident)
    world.driver.do(people.verifier, cases.approveCase(case_id))
    data = {"resident": str(resident.id), "programme": str(programme)}
    refused = sync(
        world, "/record", data, secrets.token_urlsafe(18), {"evidence": ("x.png", picture(7101), "image/png")}
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["outcome"] == "refused" and body["errors"] == {}
    assert body["message"] == get_translator(Language.UK).error("useful_case_resident_cap_exceeded")
    assert "ліміту" in body["message"]  # the coordinator's language (Ukrainian, the default)
    assert actions(world, "recordCase") == 0

    # The programme closed meanwhile: named, with its state, next to the field it concerns.
    world.driver.do(people.council, cases.closeProgramme(programme))
    closed = sync(
        world, "/record", data, secrets.token_urlsafe(18), {"evidence": ("y.png", picture(7102), "image/png")}
    )
    assert closed.status_code == 422 and closed.json()["outcome"] == "refused"
    assert "Плетіння сіток" in closed.json()["errors"]["programme"]
    assert "закрита" in closed.json()["errors"]["programme"]

    # Markup, a huge number and a missing field: refused, each with its reason; nothing queued.
    bad = sync(
        world, "/record", {"resident": "<b>1</b>", "programme": str(10**80)}, secrets.token_urlsafe(18)
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"resident", "programme", "evidence"}
    assert actions(world, "recordCase") == 0


def test_a_stale_token_or_a_missing_key_is_never_mistaken_for_a_refusal(world: World) -> None:
    programme = coordinator_ready(world)
    data = {"resident": str(world.people.residents[0].id), "programme": str(programme)}
    stale = world.client.post(
        "/record",
        data={"csrf_token": "00" * 64, "form_key": secrets.token_urlsafe(18), **data},
        headers=OFFLINE,
    )
    assert stale.status_code == 400 and stale.json()["outcome"] == "retry"
    no_key = world.client.post("/record", data={"csrf_token": csrf_of(world.client), **data}, headers=OFFLINE)
    assert no_key.status_code == 400 and no_key.json()["outcome"] == "refused"
    # The person's role here changed since the form was saved: refused, saying so.
    sign_in(world.client, world.people.residents[0].email)
    other_role = sync(world, "/record", data, secrets.token_urlsafe(18))
    assert other_role.status_code == 403 and other_role.json()["outcome"] == "refused"
    assert other_role.json()["message"]
    assert actions(world, "recordCase") == 0


def test_a_verification_and_a_registration_saved_offline_are_sent_once(world: World) -> None:
    people = world.people
    first, second, newcomer = people.residents
    world.register(first, second)
    programme = world.open_programme(reward=4)
    approved, rejected = world.submit_cases(programme, first, second)
    sign_in(world.client, people.verifier.email)
    key = secrets.token_urlsafe(18)
    for _ in range(2):
        answer = sync(world, "/verify/approve", {"approve_one": str(approved)}, key)
        assert answer.status_code == 200 and answer.json()["outcome"] == "done", answer.text
    reject_key = secrets.token_urlsafe(18)
    reason = {"reason": "4", "note": "Фото не з цієї толоки"}
    for _ in range(2):
        answer = sync(world, f"/verify/cases/{rejected}/reject", reason, reject_key)
        assert answer.json()["outcome"] == "done", answer.text
    assert actions(world, "approveCase") == 1 and actions(world, "rejectCase") == 1
    world.driver.wait(answer.json()["redirect"].removeprefix(world.base + "/actions/"))

    sign_in(world.client, people.council.email)
    register = {"user": str(newcomer.id), "identity_check": "РЕЄ-2026-0042"}
    register_key = secrets.token_urlsafe(18)
    for _ in range(2):
        answer = sync(world, "/council/residents", register, register_key)
        assert answer.json()["outcome"] == "done", answer.text
    assert actions(world, "addResident") == 3  # the two of world.register, and this one


def test_signing_out_clears_what_the_device_keeps_and_the_worker_and_manifest_are_served(
    world: World,
) -> None:
    sign_in(world.client, world.people.coordinator.email)
    out = world.client.post("/signout", data={"csrf_token": csrf_of(world.client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["clear-site-data"] == '"cache", "storage"'
    worker = world.client.get("https://testserver/sw.js")  # at the root, not under the hromada
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript")
    assert "__CTS_" not in worker.text and "/static/offline.js?v=" in worker.text
    manifest = world.client.get("/manifest.webmanifest?lang=en").json()
    assert manifest["start_url"] == world.base and manifest["lang"] == "en"
    assert world.client.get("/manifest.webmanifest?lang=<script>").json()["lang"] == "uk"


@pytest.mark.browser
def test_two_tabs_sending_the_same_saved_case_at_once_record_it_once(served: Served) -> None:
    """Two tabs (two connections) send one key at the same moment: one runs it, the other gets its answer."""
    world = served.world
    programme = coordinator_ready(world)
    clients = [httpx.Client(base_url=served.url + world.base) for _ in range(2)]
    for client in clients:
        sign_in(client, world.people.coordinator.email)  # type: ignore[arg-type]
    key = secrets.token_urlsafe(18)
    data = {"resident": str(world.people.residents[1].id), "programme": str(programme)}
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def send(client: httpx.Client) -> None:
        fields = {"csrf_token": csrf_of(client), "form_key": key, **data}
        start.wait()
        answers.append(
            client.post(
                "/record",
                data=fields,
                files={"evidence": ("tab.png", picture(7201), "image/png")},
                headers=OFFLINE,
                timeout=60,
            )
        )

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200], [a.text for a in answers]
    assert {a.json()["redirect"] for a in answers} == {answers[0].json()["redirect"]}
    assert sorted(a.json()["replayed"] for a in answers) == [False, True]
    assert actions(world, "recordCase") == 1


def test_a_photo_too_big_is_refused_with_the_limit_whatever_its_size(world: World) -> None:
    """Over the evidence limit (64 KiB in these tests): the field's error; far over it, the body is not even
    read. Both refused with the limit in words, nothing queued."""
    programme = coordinator_ready(world)
    data = {"resident": str(world.people.residents[0].id), "programme": str(programme)}
    over = sync(
        world,
        "/record",
        data,
        secrets.token_urlsafe(18),
        {"evidence": ("big.png", b"\x89PNG" + b"0" * 70_000, "image/png")},
    )
    assert over.status_code == 422 and over.json()["outcome"] == "refused"
    assert "64" in over.json()["errors"]["evidence"]
    huge = sync(
        world,
        "/record",
        data,
        secrets.token_urlsafe(18),
        {"evidence": ("huge.png", b"0" * 1_300_000, "image/png")},
    )
    assert huge.status_code == 413 and huge.json()["outcome"] == "refused" and "64" in huge.json()["message"]
    assert actions(world, "recordCase") == 0


def test_a_limit_that_renews_is_retry_with_its_reason_not_a_refusal(world: World) -> None:
    """The coordinator's daily gas allowance used up: 429, "retry" (the saved case waits on the device), with
    the limit's words; once the council raises the allowance, the same key goes through, once."""
    programme = coordinator_ready(world)
    factory = world.env.app.state.session_factory

    def allowance(gas: int) -> None:
        with factory() as session:
            hromada = get_hromada(session, world.env.slug)
            set_limits(
                session,
                hromada,
                Role.COORDINATOR,
                person_daily_gas=gas,
                role_share_percent=60,
                actions_per_window=100,
            )
            session.commit()

    allowance(1_000)
    data = {"resident": str(world.people.residents[0].id), "programme": str(programme)}
    key = secrets.token_urlsafe(18)
    limited = sync(world, "/record", data, key, {"evidence": ("l.png", picture(7301), "image/png")})
    assert limited.status_code == 429 and limited.json()["outcome"] == "retry", limited.text
    assert limited.json()["message"]
    assert actions(world, "recordCase") == 0
    allowance(50_000_000)
    later = sync(world, "/record", data, key, {"evidence": ("l.png", picture(7301), "image/png")})
    assert later.status_code == 200 and later.json()["outcome"] == "done", later.text
    assert actions(world, "recordCase") == 1
