"""Sign-in limits (issue 14, point 6): one client could try any number of accounts (60 logins in 6.7 s, all
answered), and anybody could keep an owner locked out by guessing at their account. Both through the API
and through the sign-in page, which share one implementation (cts.core.signin)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from cts.api.main import create_app
from cts.core.config import Settings
from cts.core.security import build_password_hasher
from cts.core.signin import DEVICE_COOKIE
from cts.crud import create_user
from cts.schemas import UserRegister

PASSWORD = "correct horse battery staple"
OWNER = "+380671234567"


@pytest.fixture
def limited(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        login_attempts_per_window=3, login_client_failures_per_window=5, login_window_seconds=600
    )


@pytest.fixture
def clients(limited: Settings) -> Iterator[Callable[[str], TestClient]]:
    """Clients of one app, each from its own address."""
    app = create_app(limited)
    with app.state.session_factory() as session:
        create_user(
            session,
            UserRegister(phone=OWNER, password=PASSWORD, display_name="Olena"),  # type: ignore[arg-type]
            password_hasher=build_password_hasher(limited),
            master_key=limited.master_key,
        )
        session.commit()
    opened: list[TestClient] = []

    def client_at(address: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver", client=(address, 40000))
        client.__enter__()
        opened.append(client)
        return client

    yield client_at
    for client in opened:
        client.__exit__(None, None, None)


def login(client: TestClient, login: str, password: str) -> int:
    return client.post("/api/auth/login", json={"login": login, "password": password}).status_code


def test_one_client_cannot_try_account_after_account(clients: Callable[[str], TestClient]) -> None:
    attacker = clients("203.0.113.7")
    answers = [login(attacker, f"+38067{n:07d}", "guess-password") for n in range(60)]
    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}  # refused before any password is checked
    refused = attacker.post("/api/auth/login", json={"login": "+380501111111", "password": "x" * 12})
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    # Another client is not affected, and the owner signs in.
    assert login(clients("198.51.100.20"), OWNER, PASSWORD) == 200


def test_successful_sign_ins_from_a_shared_address_are_never_counted(
    clients: Callable[[str], TestClient],
) -> None:
    """A library computer or a mobile operator's NAT: many residents, one address."""
    shared = clients("192.0.2.44")
    assert [login(shared, OWNER, PASSWORD) for _ in range(3)] == [200, 200, 200]


def test_guessing_at_an_account_does_not_lock_out_its_owner_on_a_known_device(
    clients: Callable[[str], TestClient],
) -> None:
    owner = clients("198.51.100.20")
    assert login(owner, OWNER, PASSWORD) == 200
    assert owner.cookies.get(DEVICE_COOKIE)
    # Strangers, from several addresses, use up the account's allowance for unknown devices.
    for n in range(4):
        login(clients(f"203.0.113.{n + 1}"), OWNER, "guess-password")
    assert login(clients("203.0.113.99"), OWNER, PASSWORD) == 429  # a new device is throttled
    assert login(owner, OWNER, PASSWORD) == 200  # the owner's own device is not
    # The device's allowance is its own, and finite too.
    answers = [login(owner, OWNER, "a mistyped password") for _ in range(4)]
    assert answers == [401, 401, 429, 429]


def test_a_device_token_is_bound_to_its_account_and_cannot_be_forged(
    clients: Callable[[str], TestClient],
) -> None:
    owner = clients("198.51.100.20")
    assert login(owner, OWNER, PASSWORD) == 200
    token = owner.cookies.get(DEVICE_COOKIE)
    assert token is not None
    for n in range(4):
        login(clients(f"203.0.113.{n + 1}"), OWNER, "guess-password")
    nonce = token.split(".")[0]
    forger = clients("203.0.113.50")
    forger.cookies.set(DEVICE_COOKIE, f"{nonce}.{'0' * 32}")
    assert login(forger, OWNER, PASSWORD) == 429
    # The owner's token, carried to another account's sign-in, gives that account nothing.
    other = clients("203.0.113.51")
    other.cookies.set(DEVICE_COOKIE, token)
    for _ in range(3):
        login(clients("203.0.113.52"), "+380501111111", "guess-password")
    assert login(other, "+380501111111", "guess-password") == 429


def test_the_sign_in_page_shares_the_limits(clients: Callable[[str], TestClient]) -> None:
    attacker = clients("203.0.113.7")
    for n in range(5):
        assert login(attacker, f"+38067{n:07d}", "guess-password") == 401
    page = attacker.get("/signin")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = attacker.post(
        "/signin", data={"csrf_token": token, "login": OWNER, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 429
