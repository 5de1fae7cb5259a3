"""The demo seeder: everything `make demo` shows, made through the relayer on a local chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from web_helpers import form_fields, relayer_helpers

from cts.api.main import create_app
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import Role
from cts.web.demo import DEMO_PASSWORD, seed_demo
from cts.web.files import DocumentStore
from cts.web.reads import ChainReader, build_read_context


def test_the_demo_has_people_programmes_cases_and_a_round_open_for_voting(
    make_settings: Callable[..., Settings], tmp_path: Path, deployer: Sender, shared_manifest: Manifest
) -> None:
    settings = make_settings(
        manifest_path=tmp_path / "manifest.json",
        var_dir=tmp_path / "var",
        rpc_url=deployer.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        relayer_sponsor_keys=relayer_helpers.dev_key(18),
        relayer_poll_seconds=0.05,
    )
    lines: list[str] = []
    result = seed_demo(settings, deployer, shared_manifest, hromada_key="demo-test", say=lines.append)
    assert len(lines) >= 5 and result.round_id == 1
    assert {login.role for login in result.logins} == set(Role)
    assert all(login.password == DEMO_PASSWORD for login in result.logins)

    reader = ChainReader(build_read_context(settings), DocumentStore(settings))
    assert reader.round(1).state == "voting" and reader.round(1).voters == 3
    assert reader.projects(1)[0].title == "Лавки й ліхтарі в парку"
    assert len(reader.programmes()) == 4 and reader.fund().ledger["deposits"] == 70_000_000
    people = {login.login: login for login in result.logins}
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        homes = {
            "olena@demo.example": ("/me", "7</span> RV"),
            "verifier@demo.example": ("/verify", 'data-testid="queue-count">4 справи в черзі<'),
            "rada@demo.example": ("/council/residents", "Андрій Лисенко"),
            "auditor@demo.example": ("/public", "Бюджет участі 2025"),
        }
        for login, (home, shows) in homes.items():
            client.cookies.clear()
            page = client.get("/signin")
            signed_in = client.post(
                "/signin",
                data={**form_fields(page.text), "login": login, "password": people[login].password},
            )
            assert signed_in.url.path == home and shows in signed_in.text, login
