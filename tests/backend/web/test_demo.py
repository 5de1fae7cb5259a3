"""The demo seeder: everything `make demo` shows, made through the relayer on a local chain: the pilot's two
hromadas on one service, a person with a role in each, and a displaced resident whose record moved."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from web_helpers import form_fields, relayer_helpers

from cts.api.main import create_app
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.delivery.documents import DeliveryDocuments
from cts.delivery.files import DeliveryFiles
from cts.delivery.reads import DeliveryReader
from cts.hromadas import get_hromada
from cts.issues.ranking import list_issues
from cts.issues.service import get_area
from cts.models import Role, User
from cts.web.demo import DEMO_PASSWORD, seed_demo
from cts.web.files import DocumentStore
from cts.web.reads import ChainReader, build_read_context


def test_the_demo_has_two_hromadas_with_people_programmes_cases_and_a_round_open_for_voting(
    make_settings: Callable[..., Settings], tmp_path: Path, deployer: Sender, shared_manifest: Manifest
) -> None:
    settings = make_settings(
        manifest_path=tmp_path / "manifest.json",
        var_dir=tmp_path / "var",
        rpc_url=deployer.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        relayer_sponsor_keys=relayer_helpers.dev_key(18),
        relayer_poll_seconds=0.05,
    )
    suffix = secrets.token_hex(3)  # the session's chain refuses a hromada's name twice
    first, second = f"rudky-{suffix}", f"dubechne-{suffix}"
    lines: list[str] = []
    hromadas = [(first, f"Рудківська {suffix}"), (second, f"Дубечненська {suffix}")]
    result = seed_demo(settings, deployer, shared_manifest, hromadas=hromadas, say=lines.append)
    assert len(lines) >= 10 and [h.round_id for h in result.hromadas] == [2, 2]
    assert {login.role for login in result.logins} == set(Role)
    assert all(login.password == DEMO_PASSWORD for login in result.logins)

    app = create_app(settings)
    with app.state.session_factory() as session:
        rows = {slug: get_hromada(session, slug) for slug in (first, second)}
        for row in rows.values():
            session.expunge(row)
    for slug in (first, second):
        reader = ChainReader(build_read_context(settings, rows[slug]), DocumentStore(settings))
        assert reader.round(2).state == "voting" and reader.round(2).voters == 3
        assert reader.projects(2)[0].title == "Лавки й ліхтарі в парку"
        # Last year's project mid-delivery: one milestone paid, one accepted and flagged, one overdue.
        delivery = DeliveryReader(reader, DeliveryDocuments(settings), DeliveryFiles(settings))
        view = delivery.project(reader.projects(1)[0])
        assert view is not None and [m.state for m in view.milestones] == ["paid", "accepted", "overdue"]
        assert view.paid_kopiyky == view.milestones[0].share_kopiyky > 0
        (flag,) = view.flags
        assert not flag.answered and flag.reason and view.milestones[1].report is not None
        assert view.milestones[0].report is not None and not view.milestones[0].report.mismatched_receipts
        assert len(reader.programmes()) == 4 and reader.fund().ledger["deposits"] == 70_000_000

    # Community issues in each: ranked by endorsements, on Rudky's map (the demo knows no box for Dubechne).
    with app.state.session_factory() as session:
        for slug, placed in ((first, 3), (second, 0)):
            hromada = get_hromada(session, slug)
            ranked = list_issues(session, hromada)
            assert [r.endorsements for r in ranked] == [4, 3, 2, 1]
            assert sum(r.issue.has_point for r in ranked) == placed
            assert (get_area(session, hromada) is not None) == bool(placed)

    # One person, two roles: a verifier in the first hromada, a resident of the second.
    with app.state.session_factory() as session:
        verifier = session.query(User).filter(User.email == f"verifier@{first}.demo.example").one()
        roles = {m.hromada.slug: m.role for m in verifier.memberships}
    assert roles == {first: Role.VERIFIER, second: Role.RESIDENT}

    people = {login.login: login for login in result.hromadas[0].logins}
    with TestClient(app, base_url="https://testserver") as client:
        homes = {
            f"olena@{first}.demo.example": (f"/h/{first}/me", "7</span> RV"),
            f"rada@{first}.demo.example": (f"/h/{first}/council/residents", "Андрій Лисенко"),
            f"auditor@{first}.demo.example": (f"/h/{first}/public", "Бюджет участі 2025"),
            # Roles in two hromadas: the list of them, each with its role.
            f"verifier@{first}.demo.example": ("/", f"Дубечненська {suffix}"),
        }
        for login, (home, shows) in homes.items():
            client.cookies.clear()
            page = client.get("/signin")
            signed_in = client.post(
                "/signin",
                data={**form_fields(page.text), "login": login, "password": people[login].password},
            )
            assert signed_in.url.path == home and shows in signed_in.text, login
        # Oksana moved from the first hromada to the second: her record there shows on her page here.
        client.cookies.clear()
        page = client.get("/signin")
        signed_in = client.post(
            "/signin", data={**form_fields(page.text), "login": "+380671234567", "password": DEMO_PASSWORD}
        )
        assert signed_in.url.path == "/"  # a resident of two hromadas chooses one
        mine = client.get(f"/h/{second}/me")
        assert f"Ваш запис до переїзду: Рудківська {suffix}" in mine.text
        assert "корисні справи схвалено там" in mine.text or "корисних справ схвалено там" in mine.text
        assert f"Ви переїхали: Дубечненська {suffix}" in client.get(f"/h/{first}/me").text
        client.cookies.clear()
        page = client.get("/signin")
        client.post(
            "/signin",
            data={
                **form_fields(page.text),
                "login": f"verifier@{first}.demo.example",
                "password": DEMO_PASSWORD,
            },
        )
        queue = client.get(f"/h/{first}/verify")
        assert 'data-testid="queue-count">4 справи в черзі<' in queue.text
        # The verifier's role is the first hromada's: in the second they are a resident.
        assert client.get(f"/h/{second}/verify").status_code == 403
