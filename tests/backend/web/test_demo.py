"""The demo seeder: everything `make demo` shows, made through the relayer on a local chain: the pilot's two
hromadas on one service, a person with a role in each, a displaced resident whose record moved, and the
partners with their pledges."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
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
from cts.issues.service import get_area, settlements
from cts.models import Role, User
from cts.web.demo import DEMO_PASSWORD, dev_key, seed_demo
from cts.web.demo_cofinancing import DIASPORA_ACCOUNT_INDEX, PARTNERS
from cts.web.files import Document, DocumentStore
from cts.web.reads import ChainReader, build_read_context, call_struct


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
    partner_logins = [
        (login.name, login.login) for login in result.hromadas[0].logins if login.role == Role.PARTNER
    ]
    assert partner_logins == [
        ("ТОВ «Будмайстер»", f"business@{first}.demo.example"),
        ("Фінансове управління громади", f"budget@{first}.demo.example"),
        ("ГО «Серце громади»", f"ngo@{first}.demo.example"),
    ]
    donor = Account.from_key(dev_key(DIASPORA_ACCOUNT_INDEX)).address
    assert any(donor in note for note in result.notes)
    assert all(login.password == DEMO_PASSWORD for login in result.logins)

    app = create_app(settings)
    with app.state.session_factory() as session:
        rows = {slug: get_hromada(session, slug) for slug in (first, second)}
        partner_accounts = {
            slug: [
                session.query(User).filter(User.email == f"{key}@{slug}.demo.example").one().wallet.address
                for key in ("business", "budget", "ngo")
            ]
            for slug in (first, second)
        }
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
        assert_partners_and_pledges(settings, reader, [*partner_accounts[slug], donor])

    # Community issues in each: ranked by endorsements, on Rudky's map (the demo knows no box for Dubechne),
    # of different categories and groups, in the town and in a village.
    with app.state.session_factory() as session:
        for slug, placed, village in ((first, 4, "Березівка"), (second, 0, "Озерне")):
            hromada = get_hromada(session, slug)
            ranked = list_issues(session, hromada)
            assert [(r.issue.number, r.endorsements) for r in ranked] == [
                (3, 4),
                (2, 3),
                (4, 2),
                (5, 2),
                (1, 1),
            ]
            assert sum(r.issue.has_point for r in ranked) == placed
            assert (get_area(session, hromada) is not None) == bool(placed)
            assert len({r.issue.category for r in ranked}) == 5
            assert village in {s.name for s in settlements(session, hromada)}
            assert len({r.issue.settlement_id for r in ranked}) == 2

    # The partners' custodial accounts have the partner role; each is the account registered on chain.
    with app.state.session_factory() as session:
        for slug in (first, second):
            for login in ("business", "budget", "ngo"):
                partner = session.query(User).filter(User.email == f"{login}@{slug}.demo.example").one()
                assert {m.hromada.slug: m.role for m in partner.memberships} == {slug: Role.PARTNER}

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
            # A partner lands on their pledges, with the materials they gave and its receipt.
            f"business@{first}.demo.example": (f"/h/{first}/partner", "Видаткова накладна № 47"),
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


# (partner, round, project's title, kind, value in kopiyky, conditional, state) of every pledge, in order.
PLEDGES = [
    ("business", 2, "Лавки й ліхтарі в парку", 2, 800_000, False, "Fulfilled"),
    ("budget", 2, "Світло в укритті школи", 1, 1_500_000, False, "Open"),
    ("ngo", 2, "Майстерня для ветеранів", 4, 600_000, True, "Open"),
    ("diaspora", 2, "Дитячий майданчик", 1, 1_000_000, True, "Open"),
    ("budget", 3, "Пандус до амбулаторії", 1, 2_000_000, False, "Open"),
    ("business", 3, "Ремонт дороги до кладовища", 3, 1_200_000, True, "Open"),
    ("diaspora", 3, "Ремонт дороги до кладовища", 1, 3_000_000, True, "Open"),
]
STATES = ["None", "Open", "Fulfilled", "Cancelled", "Lapsed"]


def assert_partners_and_pledges(settings: Settings, reader: ChainReader, accounts: list[str]) -> None:
    """Four partners in the hromada's CoFinancing, with their profiles published; the pledges to the round
    open for voting (untouched by them: not co-financed) and to a co-financed round open for pitching whose
    projects answer community issues."""
    co, documents = reader.h.co_financing, DocumentStore(settings)
    count = int(co.functions.partnerCount().call())
    partners = [call_struct(co, "partner", n) for n in range(1, count + 1)]
    assert [p["sector"] for p in partners] == [1, 2, 3, 5] and all(p["active"] for p in partners)
    assert [p["account"] for p in partners] == accounts
    for partner, shown in zip(PARTNERS, partners, strict=True):
        assert documents.load(bytes(shown["profileHash"])) == Document(partner.name, partner.about)
    ids = {p.key: n for n, p in enumerate(PARTNERS, start=1)}
    titles = {(r, p.id): p.title for r in (2, 3) for p in reader.projects(r)}
    count = int(co.functions.pledgeCount().call())
    pledges = [call_struct(co, "pledgeOf", n) for n in range(1, count + 1)]
    assert [
        (p["partnerId"], p["roundId"], titles[p["roundId"], p["projectId"]], p["kind"], p["valueKopiyky"])
        for p in pledges
    ] == [
        (ids[partner], round_id, title, kind, value) for partner, round_id, title, kind, value, *_ in PLEDGES
    ]
    assert [(p["conditional"], STATES[p["status"]]) for p in pledges] == [tuple(p[5:]) for p in PLEDGES]
    receipt = documents.load(bytes(pledges[0]["receiptHash"]))
    assert receipt is not None and receipt.title.startswith("Видаткова накладна")
    agreement = documents.load(bytes(pledges[1]["agreementHash"]))
    assert agreement is not None and agreement.title == "15 000 грн з місцевого бюджету"
    assert all(bytes(p["receiptHash"]) == bytes(32) for p in pledges[1:])

    # The round open for voting is as before; the co-financed one is open for pitching, its gaps shown.
    assert not reader.round(2).co_financed
    third = reader.round(3)
    assert third.co_financed and third.state == "pitching" and third.title == "Співфінансування 2025"
    ramp, road = reader.projects(3)
    assert (ramp.issues, road.issues) == ((1,), (3,))
    pledged = co.functions.pledgedMoney
    money = {titles[2, n]: pledged(2, n).call() for n in (1, 2, 3, 4)}
    assert money == {
        "Лавки й ліхтарі в парку": 0,  # materials: the vote's rule counts money only
        "Світло в укритті школи": 1_500_000,
        "Майстерня для ветеранів": 0,
        "Дитячий майданчик": 1_000_000,
    }
    assert [pledged(3, ramp.id).call(), pledged(3, road.id).call()] == [2_000_000, 3_000_000]
