"""Three hromadas on one service (one database, one app, one worker): actions, figures, pages and audits never
mix. Every staff route tried across hromadas answers 403 or 404 and changes nothing, on chain or in the
database; ids of another hromada's people in a body are not found; each hromada's budget is its own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RelayEnv, build_many, h
from sqlalchemy import func, select
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import RelayAction
from cts.models.hromadas import Hromada
from cts.relayer.worker import RelayerWorker

# A person may join any hromada as a resident themselves (the council registers them on chain after its
# identity check): the one scoped route that needs no role there.
SELF_SERVICE = {"/api/h/{slug}/membership"}


@pytest.fixture
def three(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[list[RelayEnv]]:
    envs = build_many(make_settings, tmp_path, node.url, w3, deployer, shared_manifest, count=3)
    with envs[0].client:
        yield envs
    envs[0].worker.release_leases()


def action_count(env: RelayEnv) -> int:
    with env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


def chain_state(envs: list[RelayEnv]) -> list[tuple[int, ...]]:
    """What a stray action would change: residents, programmes, cases, rounds, deposits, of every hromada."""
    return [
        (
            int(e.hromada.registry.functions.residentCount().call()),
            int(e.hromada.cases.functions.programmeCount().call()),
            int(e.hromada.cases.functions.caseCount().call()),
            int(e.hromada.vote.functions.roundCount().call()),
            int(e.hromada.fund.functions.ledger().call()[0]),
        )
        for e in envs
    ]


def scoped_mutations(env: RelayEnv) -> list[tuple[str, str]]:
    """Every route of the API that changes something in a hromada, from the OpenAPI document."""
    paths = env.client.get("/api/openapi.json").json()["paths"]
    routes = []
    for path, operations in paths.items():
        if path.startswith("/api/h/{slug}/") and path not in SELF_SERVICE:
            routes += [(method.upper(), path) for method in operations if method in ("post", "put", "delete")]
    return sorted(routes)


def test_every_staff_route_of_another_hromada_answers_403_and_changes_nothing(three: list[RelayEnv]) -> None:
    a, b, c = three
    a.register(a.people.residents[0])
    a.open_programme()
    before_chain, before_actions = chain_state(three), action_count(a)
    routes = scoped_mutations(a)
    assert len(routes) >= 24  # every action, the council's user management, the relay
    people_of_a = [a.people.council, a.people.verifier, a.people.coordinator, a.people.residents[0]]
    for person in people_of_a:
        for other in (b, c):
            for method, path in routes:
                url = path.replace("{slug}", other.slug)
                for name in ("round_id", "case_id", "loan_id", "programme_id", "project_id", "user_id"):
                    url = url.replace("{" + name + "}", "1")
                url = url.replace("{change}", "pause")
                response = a.act(person, method, url, {})
                assert response.status_code in (403, 404), (method, url, response.status_code, response.text)
    a.worker.drain()
    assert action_count(a) == before_actions
    assert chain_state(three) == before_chain


def test_people_of_another_hromada_are_not_found_in_a_body(three: list[RelayEnv]) -> None:
    a, b, _ = three
    stranger = b.people.residents[0]  # a resident of b only
    programme = a.open_programme()
    before = action_count(a)
    council, coordinator = a.people.council, a.people.coordinator
    for person, path, body in (
        (council, "/api/residents", {"user_id": stranger.id, "identity_check": "id-1234"}),
        (council, f"/api/residents/{stranger.id}/suspension", {"reason_code": 1}),
        (council, "/api/coordinators", {"user_id": b.people.coordinator.id}),
        (
            coordinator,
            "/api/cases/recorded",
            {"programme_id": programme, "resident_user_id": stranger.id, "evidence_hash": h("x")},
        ),
    ):
        response = a.act(person, "POST", path, body)
        assert response.status_code == 404, (path, response.text)
        assert "no such person in this hromada" in response.json()["detail"]
    assert action_count(a) == before


def test_actions_and_figures_stay_with_their_hromada(three: list[RelayEnv]) -> None:
    a, b, c = three
    for env in (a, b):
        env.register(env.people.residents[0])
    programme = a.open_programme()
    case = a.done(
        a.people.residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("a")}
    )
    assert int(a.hromada.cases.functions.caseCount().call()) == 1
    assert int(b.hromada.cases.functions.caseCount().call()) == 0
    # The action belongs to a's hromada; its owner sees it, nobody else does.
    with a.app.state.session_factory() as session:
        recorded = session.scalar(select(RelayAction).where(RelayAction.public_id == case["id"]))
        assert recorded is not None and recorded.hromada == a.slug
    assert (
        b.client.get(
            f"/api/actions/{case['id']}",
            headers={"Authorization": f"Bearer {b.token(b.people.residents[0])}"},
        ).status_code
        == 404
    )
    listing = {row["slug"]: row for row in a.client.get("/api/hromadas").json()}
    assert set(listing) == {a.slug, b.slug, c.slug}
    assert listing[c.slug]["confirmed_actions"] == 0 and listing[c.slug]["gas_spent_last_24h"] == 0
    assert listing[a.slug]["confirmed_actions"] > listing[b.slug]["confirmed_actions"] > 0
    # Each hromada's public page says what its residents' actions cost: c's nothing yet.
    spent = re.compile(r'data-testid="gas-spent">([^ ]+)')
    gas_a = spent.findall(a.client.get(f"/h/{a.slug}/public").text)
    gas_c = spent.findall(a.client.get(f"/h/{c.slug}/public").text)
    assert gas_c == ["0"] and gas_a and gas_a[0] != "0"


def test_a_hromada_whose_budget_is_spent_waits_while_the_others_go_on(three: list[RelayEnv]) -> None:
    a, b, _ = three
    with a.app.state.session_factory() as session:
        row = session.scalar(select(Hromada).where(Hromada.slug == a.slug))
        assert row is not None
        row.daily_gas_budget = 1  # spent before it starts
        session.commit()
    refused = a.act(
        a.people.council,
        "POST",
        "/api/residents",
        {"user_id": a.people.residents[0].id, "identity_check": "id-a-1"},
    )
    assert refused.status_code == 429 and refused.json()["code"] == "hromada_gas_budget_exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    b.register(b.people.residents[0])  # b goes on
    assert b.hromada.registry.functions.isActive(b.people.residents[0].wallet.address).call()
    assert not a.hromada.registry.functions.isActive(a.people.residents[0].wallet.address).call()


def test_pages_of_another_hromada_are_forbidden_and_its_evidence_not_found(three: list[RelayEnv]) -> None:
    a, b, _ = three
    client = a.client
    login = client.post(
        "/api/auth/login", json={"login": a.people.council.email, "password": "correct horse battery staple"}
    )
    assert login.status_code == 200
    for path in ("council/residents", "council/fund", "verify", "record", "me"):
        assert client.get(f"/h/{b.slug}/{path}", follow_redirects=False).status_code == 403, path
    assert client.get(f"/h/{a.slug}/council/residents").status_code in (200, 503)
    assert client.get("/h/no-such-hromada/public").status_code == 404


def test_the_worker_takes_turns_between_hromadas(three: list[RelayEnv]) -> None:
    """A fair queue: one hromada's backlog never holds back another's action."""
    a, b, _ = three
    a.register(*a.people.residents[:2])
    programme = a.open_programme()
    for number, resident in enumerate(a.people.residents[:2]):
        body = {"programme_id": programme, "evidence_hash": h(f"backlog-{number}")}
        assert a.act(resident, "POST", "/api/cases", body).status_code == 202
    deposit = {"amount_kopiyky": 100, "source": 0, "source_ref_hash": h("s"), "receipt_hash": h("r-a")}
    assert a.act(a.people.council, "POST", "/api/fund/deposits", deposit).status_code == 202
    late = b.act(b.people.council, "POST", "/api/fund/deposits", {**deposit, "receipt_hash": h("r-b")})
    assert late.status_code == 202
    narrow = RelayerWorker(
        a.settings.model_copy(update={"relayer_batch_size": 2}), a.app.state.session_factory, a.worker.chain
    )
    with a.app.state.session_factory() as session:
        chosen = narrow._choose_actions(session)
    assert sorted(action.hromada for action in chosen) == sorted([a.slug, b.slug])
