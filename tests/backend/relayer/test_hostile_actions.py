"""Hostile and careless input to the action endpoints, as an outside probe sent it (issue 14, points 2 to 4):
each is a clear 4xx and changes nothing, in the database or on chain."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import RelayEnv, h
from sqlalchemy import func, select

from cts.models import ActionStatus, RelayAction

UINT256_OVERFLOW = 2**256
UINT64_OVERFLOW = 2**64  # chain ids are declared up to 2**64 - 1
INT64_OVERFLOW = 2**63  # the database's ids are signed 64-bit


def action_count(env: RelayEnv) -> int:
    with env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


# Every route with an id in its path, as (role, method, path template, body).
ID_ROUTES: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("resident", "POST", "/api/rounds/{id}/ballot", {"allocations": [{"project_id": 1, "credits": 1}]}),
    ("resident", "DELETE", "/api/rounds/{id}/ballot", None),
    ("resident", "POST", "/api/rounds/{id}/finalisation", None),
    ("resident", "POST", "/api/rounds/{id}/projects", {"ask_kopiyky": 100, "metadata_hash": h("m")}),
    ("council", "POST", "/api/rounds/{id}/projects/1/screening", {"eligible": True}),
    ("council", "POST", "/api/rounds/1/projects/{id}/screening", {"eligible": True}),
    ("verifier", "POST", "/api/cases/{id}/approval", None),
    ("verifier", "POST", "/api/cases/{id}/rejection", {"reason_code": 1}),
    ("council", "POST", "/api/programmes/{id}/pause", None),
    ("council", "POST", "/api/loans/{id}/approval", None),
    ("council", "POST", "/api/loans/{id}/disbursement", {"receipt_hash": h("r")}),
    ("council", "POST", "/api/loans/{id}/repayments", {"amount_kopiyky": 1, "receipt_hash": h("r")}),
    ("council", "POST", "/api/residents/{id}/suspension", {"reason_code": 1}),
]


@pytest.mark.parametrize("bad_id", ["-1", "0", str(UINT64_OVERFLOW), str(UINT256_OVERFLOW), "1e3", "abc"])
def test_an_id_out_of_range_in_the_path_is_422_and_queues_nothing(env: RelayEnv, bad_id: str) -> None:
    people = {
        "resident": env.people.residents[0],
        "council": env.people.council,
        "verifier": env.people.verifier,
    }
    for role, method, template, body in ID_ROUTES:
        response = env.act(people[role], method, template.replace("{id}", bad_id), body)
        assert response.status_code == 422, (template, response.status_code, response.text)
        problem = response.json()
        assert problem["code"] == "validation_error" and problem["errors"], problem
    assert action_count(env) == 0


def test_a_user_id_beyond_the_databases_integers_is_422(env: RelayEnv) -> None:
    path = f"/api/residents/{INT64_OVERFLOW}/suspension"
    response = env.act(env.people.council, "POST", path, {"reason_code": 1})
    assert response.status_code == 422, response.text
    registration = {"user_id": INT64_OVERFLOW, "identity_check": "id-1"}
    assert env.act(env.people.council, "POST", "/api/residents", registration).status_code == 422
    assert action_count(env) == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/cases", {"programme_id": "1", "evidence_hash": h("e")}, "programme_id"),
        ("/api/cases", {"programme_id": True, "evidence_hash": h("e")}, "programme_id"),
        ("/api/cases", {"programme_id": 1.0, "evidence_hash": h("e")}, "programme_id"),
        ("/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": "100"}]}, "credits"),
        ("/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": 1e3}]}, "credits"),
        ("/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": True}]}, "credits"),
        ("/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": -5}]}, "credits"),
        ("/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": 2**64}]}, "credits"),
    ],
)
def test_numbers_are_strict_json_integers(env: RelayEnv, path: str, body: dict[str, Any], field: str) -> None:
    """Point 3: "100", true and 1e3 were accepted as amounts and executed on chain."""
    response = env.act(env.people.residents[0], "POST", path, body)
    assert response.status_code == 422, response.text
    assert any(error["field"].endswith(field) for error in response.json()["errors"]), response.text
    assert action_count(env) == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/fund/deposits", {"amount_kopiyky": "100", "source": 0}),
        ("/api/fund/deposits", {"amount_kopiyky": 1e3, "source": 0}),
        ("/api/fund/deposits", {"amount_kopiyky": True, "source": 0}),
        ("/api/fund/deposits", {"amount_kopiyky": 100, "source": "0"}),
    ],
)
def test_money_is_a_strict_integer_of_kopiyky(env: RelayEnv, path: str, body: dict[str, Any]) -> None:
    full = {"source_ref_hash": h("donor"), "receipt_hash": h("receipt"), **body}
    response = env.act(env.people.council, "POST", path, full)
    assert response.status_code == 422, response.text
    assert action_count(env) == 0


def test_an_address_with_a_wrong_checksum_is_refused_and_lowercase_is_accepted(env: RelayEnv) -> None:
    address = env.people.outsider.wallet.address  # EIP-55 checksummed
    letters = [i for i, c in enumerate(address) if c.isalpha() and i > 1]
    flipped = list(address)
    flipped[letters[0]] = flipped[letters[0]].swapcase()  # one capital letter wrong: a typo
    wrong = "".join(flipped)
    response = env.act(
        env.people.council, "POST", "/api/residents", {"address": wrong, "identity_check": "id-1"}
    )
    assert response.status_code == 422, response.text
    assert "checksum" in response.json()["detail"]
    assert action_count(env) == 0
    assert not env.hromada.registry.functions.isActive(address).call()
    action = env.done(
        env.people.council, "POST", "/api/residents", {"address": address.lower(), "identity_check": "id-2"}
    )
    assert action["status"] == "confirmed"
    assert env.hromada.registry.functions.isActive(address).call()


def test_the_same_evidence_is_refused_while_the_first_case_waits(env: RelayEnv) -> None:
    """Point 4: a second case with the same evidence, queued behind the first, was sent and failed on
    chain at the sponsor's expense. Now it is refused at acceptance, by the same resident or another."""
    first, second = env.people.residents[:2]
    env.register(first, second)
    programme = env.open_programme()
    body = {"programme_id": programme, "evidence_hash": h("the same photo")}
    before = action_count(env)
    accepted = env.act(first, "POST", "/api/cases", body)
    assert accepted.status_code == 202, accepted.text
    for resident in (first, second):
        again = env.act(resident, "POST", "/api/cases", body)
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "already_queued"
    assert action_count(env) == before + 1
    env.worker.drain()
    assert env.status(first, accepted.json()["id"])["status"] == "confirmed"
    # Once it ran, the chain itself refuses a repeat (and the simulation says so).
    after = env.act(second, "POST", "/api/cases", body)
    assert after.status_code == 409 and after.json()["code"] == "useful_case_duplicate_evidence"
    with env.app.state.session_factory() as session:
        failed = session.scalar(
            select(func.count()).select_from(RelayAction).where(RelayAction.status == ActionStatus.FAILED)
        )
    assert failed == 0  # the sponsor paid for nothing that was bound to fail


def test_a_verifier_cannot_queue_two_decisions_on_one_case(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("p")})
    case_id = int(env.hromada.cases.functions.caseCount().call())
    verifier = env.people.verifier
    assert env.act(verifier, "POST", f"/api/cases/{case_id}/approval").status_code == 202
    twice = env.act(verifier, "POST", "/api/cases/approvals", {"case_ids": [case_id]})
    assert twice.status_code == 409 and twice.json()["code"] == "already_queued"
    reject = env.act(verifier, "POST", f"/api/cases/{case_id}/rejection", {"reason_code": 1})
    assert reject.status_code == 409 and reject.json()["code"] == "already_queued"
