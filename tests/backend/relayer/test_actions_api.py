"""The action endpoints: each acts on chain through the relayer, and every bad input is a clear 4xx that
queues nothing."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import RelayEnv, h
from sqlalchemy import func, select

from cts.chain.client import events_of
from cts.models import RelayAction


def queued_count(env: RelayEnv) -> int:
    with env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


def test_council_registers_a_resident_on_chain(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    action = env.done(
        env.people.council,
        "POST",
        "/api/residents",
        {"user_id": resident.id, "identity_check": "passport AB123"},
    )
    registry = env.hromada.registry
    assert registry.functions.isActive(resident.wallet.address).call()
    record = registry.functions.residentOf(resident.wallet.address).call()
    assert record[3] != b"AB123".ljust(32, b"\0")  # a keyed hash, not the reference itself
    assert action["block_number"] > 0 and action["tx_hash"].startswith("0x")


def test_a_resident_submits_a_case_attributed_to_them_not_to_the_sponsor(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    action = env.done(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("photo-1")}
    )
    receipt = env.w3.eth.get_transaction_receipt(action["tx_hash"])
    (event,) = events_of(env.hromada.cases, "CaseSubmitted", receipt)
    assert event["resident"] == resident.wallet.address
    assert event["submittedBy"] == resident.wallet.address
    assert receipt["from"] != resident.wallet.address  # the sponsor paid
    assert env.w3.eth.get_balance(resident.wallet.address) == 0  # the resident holds no gas at all


def test_verifier_approves_and_the_reward_is_minted(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme(reward=3)
    env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("photo-2")})
    case_id = env.hromada.cases.functions.caseCount().call()
    env.done(env.people.verifier, "POST", f"/api/cases/{case_id}/approval")
    assert env.hromada.token.functions.balanceOf(resident.wallet.address).call() == 3


def test_verifier_rejects_and_approves_in_batch(env: RelayEnv) -> None:
    first, second = env.people.residents[:2]
    env.register(first, second)
    programme = env.open_programme()
    for n, resident in enumerate((first, second, first)):
        env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"p-{n}")})
    env.done(env.people.verifier, "POST", "/api/cases/1/rejection", {"reason_code": 7})
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [2, 3]})
    cases = env.hromada.cases
    assert [cases.functions.caseOf(i).call()[4] for i in (1, 2, 3)] == [
        3,
        2,
        2,
    ]  # Rejected, Approved, Approved


def test_coordinator_records_a_case_for_a_resident_offline(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    env.done(env.people.council, "POST", "/api/coordinators", {"user_id": env.people.coordinator.id})
    env.done(
        env.people.coordinator,
        "POST",
        "/api/cases/recorded",
        {"programme_id": programme, "resident_user_id": resident.id, "evidence_hash": h("paper-form")},
    )
    case = env.hromada.cases.functions.caseOf(1).call()
    assert case[6] == env.people.coordinator.wallet.address  # submittedBy


def ballot_setup(env: RelayEnv) -> tuple[int, list[Any]]:
    """Two residents with 4 RV each, a round in its voting window with two eligible projects."""
    residents = env.people.residents[:2]
    env.register(*residents)
    programme = env.open_programme(reward=4)
    for n, resident in enumerate(residents):
        env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"b-{n}")})
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [1, 2]})
    now = env.chain_now()
    env.done(
        env.people.council,
        "POST",
        "/api/rounds",
        {
            "fund_kopiyky": 10_000,
            "pitch_starts_at": now,
            "pitch_ends_at": now + 100,
            "screen_ends_at": now + 200,
            "vote_ends_at": now + 10_000,
            "max_projects": 5,
            "metadata_hash": h("round"),
            "rule": 0,
            "max_projects_per_ballot": 5,
        },
    )
    for n, resident in enumerate(residents):
        env.done(
            resident,
            "POST",
            "/api/rounds/1/projects",
            {"ask_kopiyky": 5_000, "metadata_hash": h(f"proj-{n}")},
        )
    env.travel(101)
    for project in (1, 2):
        env.done(
            env.people.council, "POST", f"/api/rounds/1/projects/{project}/screening", {"eligible": True}
        )
    env.travel(100)
    return 1, residents


def test_residents_vote_revise_withdraw_and_anyone_finalises(env: RelayEnv) -> None:
    round_id, (alice, bob) = ballot_setup(env)
    vote, token = env.hromada.vote, env.hromada.token
    env.done(
        alice,
        "POST",
        f"/api/rounds/{round_id}/ballot",
        {"allocations": [{"project_id": 2, "credits": 1}, {"project_id": 1, "credits": 3}]},
    )
    assert token.functions.balanceOf(alice.wallet.address).call() == 0
    env.done(
        alice, "POST", f"/api/rounds/{round_id}/ballot", {"allocations": [{"project_id": 1, "credits": 1}]}
    )
    assert token.functions.balanceOf(alice.wallet.address).call() == 3  # only the difference moved
    env.done(
        bob, "POST", f"/api/rounds/{round_id}/ballot", {"allocations": [{"project_id": 2, "credits": 4}]}
    )
    env.done(bob, "DELETE", f"/api/rounds/{round_id}/ballot")
    assert vote.functions.tally(round_id, 2).call()[2] == 0
    env.travel(10_000)
    env.done(env.people.outsider, "POST", f"/api/rounds/{round_id}/finalisation")
    assert vote.functions.roundState(round_id).call() == 5  # Finalised


def test_loan_application_and_council_fund_actions(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    env.open_programme()
    env.done(
        resident,
        "POST",
        "/api/loans",
        {"instalments": [{"amount_kopiyky": 500, "due_after_seconds": 86_400}], "metadata_hash": h("plan")},
    )
    env.done(env.people.council, "POST", "/api/loans/1/approval")
    env.done(env.people.council, "POST", "/api/loans/1/disbursement", {"receipt_hash": h("paid-out")})
    env.done(
        env.people.council,
        "POST",
        "/api/loans/1/repayments",
        {"amount_kopiyky": 500, "receipt_hash": h("back")},
    )
    assert env.hromada.fund.functions.loanState(1).call() == 6  # Repaid


# ---------------------------------------------------------------- bad input: a clear error, nothing queued


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"programme_id": 1, "evidence_hash": "0x1234"}, "evidence_hash"),
        ({"programme_id": 1, "evidence_hash": "0x" + "00" * 32}, "evidence_hash"),
        ({"programme_id": -1, "evidence_hash": h("x")}, "programme_id"),
        ({"programme_id": 2**64, "evidence_hash": h("x")}, "programme_id"),
        ({"programme_id": 1}, "evidence_hash"),
        ({"programme_id": 1, "evidence_hash": h("x"), "extra": 1}, "extra"),
    ],
)
def test_malformed_case_is_422_naming_the_field(env: RelayEnv, body: dict[str, Any], field: str) -> None:
    response = env.act(env.people.residents[0], "POST", "/api/cases", body)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert queued_count(env) == 0


@pytest.mark.parametrize(
    "allocations",
    [
        [{"project_id": 1, "credits": -5}],
        [{"project_id": 1, "credits": 0}],
        [{"project_id": 1, "credits": 2**64}],
        [{"project_id": 1, "credits": 1}, {"project_id": 1, "credits": 2}],
        [],
    ],
)
def test_malformed_ballot_is_422(env: RelayEnv, allocations: list[dict[str, int]]) -> None:
    response = env.act(env.people.residents[0], "POST", "/api/rounds/1/ballot", {"allocations": allocations})
    assert response.status_code == 422, response.text
    assert queued_count(env) == 0


def test_malformed_address_is_422(env: RelayEnv) -> None:
    now = env.chain_now()
    body = {
        "title": "t",
        "metadata_hash": h("m"),
        "reward_rv": 1,
        "case_value_kopiyky": 1,
        "token_cap_rv": 10,
        "per_resident_cap_rv": 5,
        "starts_at": now,
        "ends_at": now + 100,
        "quorum": 1,
        "verifiers": ["0x12345"],
    }
    response = env.act(env.people.council, "POST", "/api/programmes", body)
    assert response.status_code == 422 and "verifiers" in response.json()["detail"]
    assert queued_count(env) == 0


def test_unknown_programme_is_404_from_the_contract(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    before = queued_count(env)
    response = env.act(resident, "POST", "/api/cases", {"programme_id": 99, "evidence_hash": h("x")})
    assert response.status_code == 404
    assert response.json()["code"] == "useful_case_unknown_programme"
    assert queued_count(env) == before


def test_unknown_round_is_404(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    before = queued_count(env)
    response = env.act(
        resident, "POST", "/api/rounds/42/ballot", {"allocations": [{"project_id": 1, "credits": 1}]}
    )
    assert response.status_code == 404 and response.json()["code"] == "balanced_vote_unknown_round"
    assert queued_count(env) == before


def test_unregistered_resident_is_told_so(env: RelayEnv) -> None:
    programme = env.open_programme()
    before = queued_count(env)
    response = env.act(
        env.people.outsider, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("y")}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "resident_registry_not_active"
    assert "registered" in response.json()["detail"]
    assert queued_count(env) == before


def test_wrong_role_is_403(env: RelayEnv) -> None:
    response = env.act(
        env.people.verifier, "POST", "/api/cases", {"programme_id": 1, "evidence_hash": h("z")}
    )
    assert response.status_code == 403
    response = env.act(env.people.residents[0], "POST", "/api/cases/1/approval")
    assert response.status_code == 403
    response = env.act(
        env.people.residents[0],
        "POST",
        "/api/fund/deposits",
        {"amount_kopiyky": 1, "source": 0, "source_ref_hash": h("a"), "receipt_hash": h("b")},
    )
    assert response.status_code == 403
    assert queued_count(env) == 0


def test_without_session_is_401(env: RelayEnv) -> None:
    response = env.client.post(
        env.scoped("/api/cases"),
        json={"programme_id": 1, "evidence_hash": h("a")},
        headers={"Idempotency-Key": "abcdefgh12"},
    )
    assert response.status_code == 401


def test_duplicate_idempotency_key_acts_once(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    before = queued_count(env)
    body = {"programme_id": programme, "evidence_hash": h("once")}
    first = env.act(resident, "POST", "/api/cases", body, key="same-key-123")
    again = env.act(resident, "POST", "/api/cases", body, key="same-key-123")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = env.act(resident, "POST", "/api/cases", {**body, "evidence_hash": h("other")}, key="same-key-123")
    assert other.status_code == 409
    assert queued_count(env) == before + 1
    env.worker.drain()
    assert env.hromada.cases.functions.caseCount().call() == 1


def test_contract_refusal_on_a_duplicate_evidence_is_409(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("same-photo")})
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("same-photo")}
    )
    assert response.status_code == 409 and response.json()["code"] == "useful_case_duplicate_evidence"


def test_action_status_is_private_to_its_owner(env: RelayEnv) -> None:
    resident, other = env.people.residents[:2]
    env.register(resident)
    response = env.client.get(
        env.scoped("/api/actions/nope"), headers={"Authorization": f"Bearer {env.token(other)}"}
    )
    assert response.status_code == 404
    listing = env.client.get(
        env.scoped("/api/actions"), headers={"Authorization": f"Bearer {env.token(env.people.council)}"}
    )
    assert listing.status_code == 200 and len(listing.json()) == 1  # the council's own registration
    action_id = listing.json()[0]["id"]
    response = env.client.get(
        env.scoped(f"/api/actions/{action_id}"), headers={"Authorization": f"Bearer {env.token(other)}"}
    )
    assert response.status_code == 404
