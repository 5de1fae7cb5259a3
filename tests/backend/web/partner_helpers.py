"""Partners in the page tests (docs/cofinancing.md): accounts that belong to no hromada yet (a business
signs up on the site, then the council registers it), a co-financed round in pitching, and forms posted
through the TestClient with the relayer's action followed to the chain."""

from __future__ import annotations

import html
import secrets
import time

from web_helpers import CSRF, PASSWORD, World, relayer_helpers

from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.models import User
from cts.schemas import UserRegister
from cts.web.files import Document, DocumentStore

GREEDY = 2
h = relayer_helpers.h


def signed_up(world: World, email: str, name: str) -> User:
    """A person who signed up on the site without joining a hromada (as a partner does first)."""
    factory = world.env.app.state.session_factory
    with factory() as session:
        user = create_user(
            session,
            UserRegister.model_validate({"email": email, "password": PASSWORD, "display_name": name}),
            password_hasher=build_password_hasher(world.settings),
            master_key=world.settings.master_key,
        )
        session.commit()
        session.refresh(user)
        _ = user.wallet.address
        session.expunge_all()
        return user


def co_financed_round(world: World, asks: list[tuple[User, str, int]], fund: int = 60_000_00) -> int:
    """A greedy round under the co-financing rule, in pitching, with these residents' projects pitched."""
    council = world.people.council
    vote = world.hromada.vote.functions
    documents = DocumentStore(world.settings)
    receipt = bytes.fromhex(h(f"receipt-round-{time.monotonic_ns()}")[2:])
    world.driver.do(
        council, world.hromada.fund.functions.deposit(fund, 1, bytes.fromhex(h("budget")[2:]), receipt)
    )
    now = world.driver.now()
    digest = documents.save(Document("Бюджет участі 2027", "Раунд зі співфінансуванням"))
    params = (fund, now, now + 3_600, now + 7_200, now + 7_200 + 86_400, 10, digest, (GREEDY, 1, 5, 0, True))
    world.driver.do(council, vote.createRound(params))
    round_id = int(vote.roundCount().call())
    world.driver.do_all(
        (person, vote.pitchProject(round_id, ask, documents.save(Document(title, f"{title}: опис")), 0))
        for person, title, ask in asks
    )
    return round_id


def post_form(world: World, path: str, fields: dict[str, str], status: int = 303) -> str:
    """Post one of the page's forms; the Location (an action to follow) or the page shown again (as text)."""
    page = world.client.get("/rounds")  # any page carries the session's CSRF token
    csrf = CSRF.findall(page.text)[-1]
    data = {"csrf_token": csrf, "form_key": secrets.token_urlsafe(18), **fields}
    response = world.client.post(path, data=data, follow_redirects=False)
    assert response.status_code == status, response.text
    return response.headers["location"] if status == 303 else html.unescape(response.text)


def follow(world: World, location: str) -> None:
    """Wait for the relayer to confirm the action a form's answer points to."""
    assert "/actions/" in location, location
    world.driver.wait(location.rsplit("/", 1)[1])
