"""The pages' forms through Starlette's TestClient: languages, CSRF, once-only submission, uploads, role
checks, the contracts' refusals and a chain that does not answer — each says what happened in the person's
language, keeps what they typed and does nothing twice."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from chainless import SLUG, app_with_one_hromada
from fastapi import FastAPI
from sqlalchemy import func, select
from web_helpers import PASSWORD, World, form_fields, hromada_pages, sign_in

from cts.api.main import create_app
from cts.chain.localnode import free_port
from cts.chain.manifest import CONTRACT_KEYS, HromadaEntry, Manifest
from cts.core.config import Settings
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.models import Hromada, Language, RelayAction, Role, User
from cts.schemas import UserRegister
from cts.web.demo import picture

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match is not None
    return match.group(1)


def field_error(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text) for text in re.findall(r'class="field-error"[^>]*>(.*?)</p>', html)]


def alert(html: str) -> str:
    match = re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def actions_queued(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


HOME = f"/h/{SLUG}"


@pytest.fixture
def app(make_settings: Callable[..., Settings], tmp_path: Path) -> FastAPI:
    """An app without a chain, carrying one hromada (contracts nobody answers for): the pages that need no
    chain (accounts, languages, role checks)."""
    return app_with_one_hromada(make_settings(var_dir=tmp_path / "var"))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:

    # The hromada's pages: "/me" is /h/<slug>/me (sign-in and sign-up are there too, with its name on them).
    with hromada_pages(app, SLUG) as test_client:
        yield test_client


def add_user(
    app: FastAPI, role: Role, email: str, language: Language = Language.UK, slug: str = SLUG
) -> User:
    settings: Settings = app.state.settings
    with app.state.session_factory() as session:
        user = create_user(
            session,
            UserRegister.model_validate(
                {
                    "email": email,
                    "password": PASSWORD,
                    "display_name": role.value,
                    "preferred_language": language,
                }
            ),
            role=role,
            hromada=session.scalar(select(Hromada).where(Hromada.slug == slug)),
            password_hasher=build_password_hasher(settings),
            master_key=settings.master_key,
        )
        session.commit()
        session.refresh(user)
        session.expunge(user)
        return user


SIGNUP = {"display_name": "Олена Коваль", "phone": "+380 67 555 12 34", "password": "вишиванка і калина"}


# ---------------------------------------------------------------- languages


def test_pages_are_ukrainian_by_default_and_english_by_the_switch_which_a_cookie_remembers(
    client: TestClient,
) -> None:
    home = client.get("/")
    assert lang_of(home.text) == "uk" and "Зареєструватися" in home.text
    switched = client.post(
        "/language", data={**form_fields(home.text), "lang": "en", "next": "/signup"}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/signup"
    assert "cts_lang=en" in switched.headers["set-cookie"]
    page = client.get("/signup")
    assert lang_of(page.text) == "en" and "Create my account" in page.text
    assert 'lang="uk"' in page.text  # the switch back names itself in Ukrainian


def test_the_language_is_remembered_as_the_users_preference_too(app: FastAPI, client: TestClient) -> None:
    page = client.get("/signup")
    client.post("/signup", data={**form_fields(page.text), **SIGNUP}, follow_redirects=False)
    me = client.get("/signin")  # signed in: redirected home, whose language is Ukrainian
    client.post("/language", data={**form_fields(me.text), "lang": "en", "next": "/"}, follow_redirects=False)
    with app.state.session_factory() as session:
        user = session.scalar(select(User).where(User.phone == "+380675551234"))
        assert user is not None and user.preferred_language == Language.EN
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as elsewhere:  # another phone, no cookies
        sign_in(elsewhere, "+380675551234", SIGNUP["password"])
        assert lang_of(elsewhere.get("/signin", follow_redirects=True).text) == "en"


# ---------------------------------------------------------------- CSRF and once-only forms


def test_a_form_without_its_csrf_token_does_nothing_and_comes_back_with_the_input_kept(
    app: FastAPI, client: TestClient
) -> None:
    page = client.get("/signup")
    fields = form_fields(page.text)
    response = client.post("/signup", data={"form_key": fields["form_key"], **SIGNUP})
    assert response.status_code == 400
    assert "Форма застаріла" in alert(response.text)
    assert 'value="Олена Коваль"' in response.text and SIGNUP["password"] not in response.text
    forged = client.post("/signup", data={**fields, "csrf_token": "0" * 64, **SIGNUP})
    assert forged.status_code == 400
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_sign_up_sent_twice_makes_one_account_and_shows_the_same_result(
    app: FastAPI, client: TestClient
) -> None:
    fields = form_fields(client.get("/signup").text)
    first = client.post("/signup", data={**fields, **SIGNUP}, follow_redirects=False)
    again = client.post("/signup", data={**fields, **SIGNUP}, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == f"{HOME}/me?notice=welcome"  # a resident of the hromada signed up in
    assert again.headers["location"] == f"{HOME}/me?notice=already_sent"
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_sign_up_errors_are_shown_next_to_their_fields(client: TestClient) -> None:
    fields = form_fields(client.get("/signup").text)
    response = client.post(
        "/signup", data={**fields, "display_name": "", "phone": "067", "password": "short"}
    )
    assert response.status_code == 422
    errors = field_error(response.text)
    assert any("Заповніть це поле" in e for e in errors)
    assert any("наприклад 067 123 45 67" in e for e in errors)
    assert any("щонайменше 10 символів" in e for e in errors)
    assert 'aria-invalid="true"' in response.text and 'value="067"' in response.text


def test_a_wrong_password_says_so_in_the_users_language(app: FastAPI, client: TestClient) -> None:
    add_user(app, Role.RESIDENT, "olena@example.org")
    fields = form_fields(client.get("/signin").text)
    response = client.post(
        "/signin", data={**fields, "login": "olena@example.org", "password": "not the password"}
    )
    assert response.status_code == 401
    assert "не збігаються" in alert(response.text) and 'value="olena@example.org"' in response.text


# ---------------------------------------------------------------- roles


def test_pages_of_another_role_answer_403_in_the_users_language_and_strangers_are_asked_to_sign_in(
    app: FastAPI, client: TestClient
) -> None:
    stranger = client.get("/council/residents", follow_redirects=False)
    assert (
        stranger.status_code == 303
        and stranger.headers["location"] == f"{HOME}/signin?next=%2Fh%2F{SLUG}%2Fcouncil%2Fresidents"
    )
    add_user(app, Role.VERIFIER, "verifier@example.org", Language.EN)
    sign_in(client, "verifier@example.org")
    for path in ("/me", "/council/residents", "/council/fund", "/record", "/cases/new"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert lang_of(response.text) == "en" and "not for your role" in response.text
    post = client.post("/council/residents", data=form_fields(client.get("/no-such-page").text))
    assert post.status_code == 403


def test_unknown_pages_are_html_and_the_api_keeps_its_json(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Сторінку не знайдено" in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_pages_carry_no_external_reference_and_a_strict_content_policy(client: TestClient) -> None:
    page = client.get("/signup")
    assert (
        "Content-Security-Policy" in page.headers
        and "default-src 'self'" in page.headers["content-security-policy"]
    )
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    for name in ("cts.css", "cts.js", "vote.js"):
        static = client.get(f"/static/{name}")
        assert static.status_code == 200
        assert not re.search(r"https?://", static.text.replace("http://www.w3.org", ""))


# ---------------------------------------------------------------- with a chain: cases and votes


def new_case_form(world: World, resident: User) -> dict[str, str]:
    sign_in(world.client, resident.email or "")
    return form_fields(world.client.get("/cases/new").text)


def test_an_upload_too_large_or_of_the_wrong_type_is_refused_next_to_the_field_with_the_choice_kept(
    world: World,
) -> None:
    resident = world.people.residents[0]
    world.register(resident)
    programme = world.open_programme()
    fields = new_case_form(world, resident)
    big = b"\xff\xd8\xff\xe0" + bytes(70 * 1024)  # a JPEG header and 70 KiB: the limit here is 64 KiB
    response = world.client.post(
        "/cases/new",
        data={**fields, "programme": str(programme)},
        files={"evidence": ("photo.jpg", big, "image/jpeg")},
    )
    assert response.status_code == 422
    assert any("завеликий" in e and "64" in e for e in field_error(response.text))
    assert f'<option value="{programme}" selected>' in response.text
    wrong = world.client.post(
        "/cases/new",
        data={**fields, "programme": str(programme)},
        files={"evidence": ("photo.jpg", b"<html>not a photo</html>", "image/jpeg")},
    )
    assert wrong.status_code == 422
    assert any("не підходить" in e for e in field_error(wrong.text))
    missing = world.client.post("/cases/new", data={**fields, "programme": str(programme)})
    assert any("Додайте фото" in e for e in field_error(missing.text))
    huge = world.client.post(  # far beyond any upload: refused before it is read at all
        "/cases/new", data=fields, files={"evidence": ("film.mp4", bytes(1_300_000), "video/mp4")}
    )
    assert huge.status_code == 413 and "завеликий" in huge.text
    assert actions_queued(world.env.app) == 3  # the set-up's register, deposit, programme: nothing more


def test_a_case_sent_twice_with_one_form_is_queued_once_and_both_answers_show_it(world: World) -> None:
    resident = world.people.residents[0]
    world.register(resident)
    programme = world.open_programme()
    fields = new_case_form(world, resident)
    before = actions_queued(world.env.app)
    photo = picture(1001)
    answers = [
        world.client.post(
            "/cases/new",
            data={**fields, "programme": str(programme)},
            files={"evidence": ("photo.png", photo, "image/png")},
            follow_redirects=False,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    first, second = (a.headers["location"] for a in answers)
    assert first.startswith(world.base + "/actions/") and second == first + "?notice=already_sent"
    assert actions_queued(world.env.app) == before + 1
    world.driver.wait(first.removeprefix(world.base + "/actions/"))
    page = world.client.get(first)
    assert 'data-status="confirmed"' in page.text and "на перевірці" in page.text


def test_the_contracts_refusal_is_shown_in_the_residents_language_and_the_file_is_not_asked_again(
    world: World,
) -> None:
    resident = world.people.residents[0]
    programme = world.open_programme()
    fields = new_case_form(world, resident)  # signed up, but not registered by the council yet
    fields["form_key"] = "sent-by-hand-0001"  # the page offers no form until the council registers her
    refused = world.client.post(
        "/cases/new",
        data={**fields, "programme": str(programme)},
        files={"evidence": ("photo.png", picture(2002), "image/png")},
    )
    assert refused.status_code == 403
    assert "Рада громади ще не підтвердила вас" in alert(refused.text)
    # Not registered: the page says so instead of offering the form again; the file it got is kept.
    assert 'data-testid="not-registered"' in refused.text and "уже отримано" not in refused.text
    kept = hashlib.sha256(picture(2002)).hexdigest()
    world.register(resident)
    sent = world.client.post(
        "/cases/new",
        data={**fields, "programme": str(programme), "evidence_sha256": kept},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    world.driver.wait(sent.headers["location"].removeprefix(world.base + "/actions/"))
    case = world.hromada.cases.functions.caseOf(1).call()
    assert case[-1].hex() == kept  # the file sent the first time is the evidence on chain


def test_evidence_files_are_shown_to_verifiers_and_to_their_sender_only(world: World) -> None:
    first, second = world.people.residents[:2]
    world.register(first, second)
    programme = world.open_programme()
    fields = new_case_form(world, first)
    sent = world.client.post(
        "/cases/new",
        data={**fields, "programme": str(programme)},
        files={"evidence": ("photo.png", picture(3003), "image/png")},
        follow_redirects=False,
    )
    world.driver.wait(sent.headers["location"].removeprefix(world.base + "/actions/"))
    name = world.hromada.cases.functions.caseOf(1).call()[-1].hex() + ".png"
    own = world.client.get(f"/evidence/{name}")
    assert own.status_code == 200 and own.headers["content-type"] == "image/png"
    world.client.cookies.clear()
    sign_in(world.client, second.email or "")
    assert world.client.get(f"/evidence/{name}").status_code == 404
    world.client.cookies.clear()
    sign_in(world.client, world.people.verifier.email or "")
    queue = world.client.get("/verify")
    assert f'href="{world.base}/evidence/{name}"' in queue.text
    assert world.client.get(f"/evidence/{name}").status_code == 200


def test_the_ballot_preview_works_without_javascript_and_queues_nothing(world: World) -> None:
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme = world.open_programme(reward=4)
    (case_id,) = world.submit_cases(programme, voter)
    world.driver.do(world.people.verifier, world.hromada.cases.functions.approveCase(case_id))
    round_id = world.voting_round([(pitcher, "Лавки в парку", 500_000)])
    sign_in(world.client, voter.email or "")
    assert world.client.get("/rounds/not-a-number").status_code == 404
    page = world.client.get(f"/rounds/{round_id}")
    assert 'data-available="4"' in page.text
    before = actions_queued(world.env.app)
    preview = world.client.post(
        f"/rounds/{round_id}/ballot", data={**form_fields(page.text), "credits_1": "3", "preview": "1"}
    )
    assert preview.status_code == 200
    assert (
        'data-testid="weight-1">1,732<' in preview.text
        and 'data-testid="vote-left" class="">1<' in preview.text
    )
    assert actions_queued(world.env.app) == before
    too_many = world.client.post(
        f"/rounds/{round_id}/ballot", data={**form_fields(page.text), "credits_1": "5"}
    )
    assert too_many.status_code == 422 and "недостатньо RV" in alert(too_many.text)
    assert 'value="5"' in too_many.text


def test_a_chain_that_does_not_answer_is_said_plainly_and_the_form_keeps_the_choice(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    manifest = Manifest(
        chain_id=1337,
        shared={"CTSForwarder": {"address": "0x" + "22" * 20}},
        hromadas={"x": HromadaEntry("x", "Громада", 1, {key: "0x" + "11" * 20 for key in CONTRACT_KEYS})},
    )
    manifest.save(tmp_path / "manifest.json")
    settings = make_settings(
        manifest_path=tmp_path / "manifest.json",
        rpc_url=f"http://127.0.0.1:{free_port()}",
        var_dir=tmp_path / "v",
    )
    app = create_app(settings)
    add_user(app, Role.RESIDENT, "olena@example.org", slug="x")
    with hromada_pages(app, "x") as client:
        programmes = client.get("/programmes")
        assert programmes.status_code == 503 and programmes.headers["retry-after"]
        assert "Блокчейн зараз недоступний" in programmes.text
        sign_in(client, "olena@example.org")
        fields = form_fields(client.get("/signin", follow_redirects=True).text)
        sent = client.post(
            "/cases/new",
            data={**fields, "form_key": "k" * 24, "programme": "2"},
            files={"evidence": ("photo.png", picture(4004), "image/png")},
        )
        assert sent.status_code == 503 and "Блокчейн зараз недоступний" in alert(sent.text)
        assert '<option value="2" selected>' in sent.text and 'name="evidence_sha256"' in sent.text
        assert actions_queued(app) == 0
