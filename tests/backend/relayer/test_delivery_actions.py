"""Delivery actions through the relayer: the council plans, accepts, answers and pays; the owner reports; a
resident flags. Each contract refusal is a clear 4xx naming it, with nothing queued."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import RelayEnv, h
from test_actions_api import ballot_setup, queued_count


def funded(env: RelayEnv) -> tuple[Any, Any]:
    """Round 1 finalised: Alice's project 1 and Bob's project 2 funded at 5,000 kopiyky each."""
    round_id, (alice, bob) = ballot_setup(env)
    env.done(
        alice, "POST", f"/api/rounds/{round_id}/ballot", {"allocations": [{"project_id": 1, "credits": 4}]}
    )
    env.done(
        bob, "POST", f"/api/rounds/{round_id}/ballot", {"allocations": [{"project_id": 2, "credits": 4}]}
    )
    env.travel(10_000)
    env.done(env.people.outsider, "POST", f"/api/rounds/{round_id}/finalisation")
    assert env.hromada.vote.functions.project(1, 1).call()[7] == 5_000
    return alice, bob


def plan_body(env: RelayEnv, shares: list[int]) -> dict[str, Any]:
    now = env.chain_now()
    return {
        "milestones": [{"due_at": now + 1_000 * (i + 1), "share_kopiyky": s} for i, s in enumerate(shares)],
        "plan_hash": h("plan"),
    }


def refused(env: RelayEnv, user: Any, path: str, body: Any, status: int, code: str) -> None:
    before = queued_count(env)
    response = env.act(user, "POST", path, body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert queued_count(env) == before


def test_a_milestone_is_planned_reported_flagged_answered_accepted_and_paid(env: RelayEnv) -> None:
    alice, bob = funded(env)
    council, delivery = env.people.council, env.hromada.delivery
    env.done(council, "POST", "/api/rounds/1/projects/1/plan", plan_body(env, [2_000, 3_000]))
    assert [m[1] for m in delivery.functions.plan(1, 1).call()] == [2_000, 3_000]
    milestone = "/api/rounds/1/projects/1/milestones/0"
    env.done(alice, "POST", f"{milestone}/report", {"report_hash": h("report"), "receipt_hashes": [h("r1")]})
    # The report is attributed to Alice through the forwarder, not to the relayer's sponsor.
    assert delivery.functions.report(1).call()[5] == bytes.fromhex(h("report")[2:])
    env.done(bob, "POST", "/api/delivery/reports/1/flags", {"reason_code": 2, "reason_hash": h("pricey")})
    assert delivery.functions.flag(1).call()[1] == 2  # Bob's resident id
    env.done(council, "POST", f"{milestone}/acceptance")
    refused(
        env,
        council,
        f"{milestone}/tranche",
        {"receipt_hash": h("bank")},
        409,
        "project_delivery_unanswered_flags",
    )
    env.done(council, "POST", "/api/delivery/flags/1/answer", {"answer_hash": h("quotes")})
    env.done(council, "POST", f"{milestone}/tranche", {"receipt_hash": h("bank")})
    assert delivery.functions.paidKopiyky(1, 1).call() == 2_000
    assert env.hromada.fund.functions.grantTranchesPaid(1, 1).call() == 2_000


def test_the_contracts_refusals_are_named_and_nothing_is_queued(env: RelayEnv) -> None:
    alice, bob = funded(env)
    council = env.people.council
    plan = "/api/rounds/1/projects/1/plan"
    refused(env, council, plan, plan_body(env, [2_000, 2_999]), 422, "project_delivery_share_sum_mismatch")
    refused(
        env,
        council,
        "/api/rounds/1/projects/3/plan",
        plan_body(env, [5_000]),
        404,
        "balanced_vote_unknown_project",
    )
    env.done(council, "POST", plan, plan_body(env, [2_000, 3_000]))
    refused(env, council, plan, plan_body(env, [5_000]), 409, "project_delivery_already_planned")
    m0, m1 = "/api/rounds/1/projects/1/milestones/0", "/api/rounds/1/projects/1/milestones/1"
    report = {"report_hash": h("report"), "receipt_hashes": []}
    refused(env, bob, f"{m0}/report", report, 403, "project_delivery_not_owner")
    refused(env, alice, f"{m1}/report", report, 409, "project_delivery_out_of_order")
    refused(
        env,
        council,
        f"{m0}/tranche",
        {"receipt_hash": h("early")},
        409,
        "project_delivery_unexpected_milestone_state",
    )
    env.done(alice, "POST", f"{m0}/report", report)
    flag = {"reason_code": 1, "reason_hash": h("not done")}
    env.done(bob, "POST", "/api/delivery/reports/1/flags", flag)
    refused(env, bob, "/api/delivery/reports/1/flags", flag, 409, "project_delivery_already_flagged")
    refused(
        env, env.people.outsider, "/api/delivery/reports/1/flags", flag, 403, "resident_registry_not_active"
    )
    refused(
        env,
        council,
        "/api/delivery/flags/2/answer",
        {"answer_hash": h("a")},
        404,
        "project_delivery_unknown_flag",
    )


def test_only_the_council_plans_decides_and_pays(env: RelayEnv) -> None:
    alice, _ = funded(env)
    before = queued_count(env)
    for path, body in (
        ("/api/rounds/1/projects/1/plan", plan_body(env, [5_000])),
        ("/api/rounds/1/projects/1/milestones/0/acceptance", None),
        ("/api/rounds/1/projects/1/milestones/0/tranche", {"receipt_hash": h("x")}),
        ("/api/delivery/flags/1/answer", {"answer_hash": h("x")}),
    ):
        assert env.act(alice, "POST", path, body).status_code == 403
    flag = {"reason_code": 1, "reason_hash": h("x")}
    assert env.act(env.people.council, "POST", "/api/delivery/reports/1/flags", flag).status_code == 403
    assert queued_count(env) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("plan", {"milestones": [], "plan_hash": h("p")}, "milestones"),
        (
            "plan",
            {"milestones": [{"due_at": 10, "share_kopiyky": 1}] * 25, "plan_hash": h("p")},
            "milestones",
        ),
        (
            "plan",
            {
                "milestones": [{"due_at": 20, "share_kopiyky": 1}, {"due_at": 10, "share_kopiyky": 1}],
                "plan_hash": h("p"),
            },
            "increasing",
        ),
        ("plan", {"milestones": [{"due_at": 10, "share_kopiyky": -1}], "plan_hash": h("p")}, "share_kopiyky"),
        ("plan", {"milestones": [{"due_at": 2**40, "share_kopiyky": 1}], "plan_hash": h("p")}, "due_at"),
        (
            "plan",
            {"milestones": [{"due_at": 10, "share_kopiyky": 1}], "plan_hash": "0x" + "00" * 32},
            "plan_hash",
        ),
        ("milestones/0/report", {"report_hash": h("r"), "receipt_hashes": [h("x")] * 65}, "receipt_hashes"),
        ("milestones/0/report", {"report_hash": "<script>", "receipt_hashes": []}, "report_hash"),
        ("milestones/24/report", {"report_hash": h("r"), "receipt_hashes": []}, "index"),
        ("milestones/0/rejection", {"reason_code": 0}, "reason_code"),
    ],
)
def test_malformed_delivery_input_is_422_naming_the_field(
    env: RelayEnv, path: str, body: Any, field: str
) -> None:
    user = env.people.residents[0] if "report" in path else env.people.council
    response = env.act(user, "POST", f"/api/rounds/1/projects/1/{path}", body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert queued_count(env) == 0
