"""Budgets per role (cts.budgets, issue 21): the council shares the hromada's daily gas among the roles,
each limit refuses with what is left and when it renews (the role's and the hromada's at the end of a minute
of the gas ledger, plus a day), and bad choices change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import RelayEnv, h
from sqlalchemy import ColumnElement, select

from cts.budgets import DEFAULT_SHARE_PERCENT
from cts.gas_ledger import minute_of
from cts.hromadas import get_hromada
from cts.models import ActionStatus, Language, RelayAction, Role, User
from cts.relayer.errors import HromadaGasBudgetExceededError, RoleBudgetExceededError
from cts.relayer.service import Call
from cts.web.i18n import get_translator


def budgets(env: RelayEnv) -> dict[str, dict[str, Any]]:
    response = env.client.get(
        f"/api/h/{env.slug}/budgets", headers={"Authorization": f"Bearer {env.token(env.people.council)}"}
    )
    assert response.status_code == 200, response.text
    return {row["role"]: row for row in response.json()}


def my_budget(env: RelayEnv, user: Any) -> dict[str, Any]:
    response = env.client.get(
        f"/api/h/{env.slug}/budget", headers={"Authorization": f"Bearer {env.token(user)}"}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def renewal(env: RelayEnv, params: dict[str, Any], *counted: ColumnElement[bool]) -> int:
    """When a refused action fits again as the ledger counts the day: the end of the minute in which the
    counted actions' gas, oldest first, covers what the action lacks, plus a day (epoch seconds)."""
    lacking = params["needed_gas"] - params["remaining_gas"]
    freed = 0
    with env.app.state.session_factory() as session:
        rows = session.execute(
            select(RelayAction.created_at, RelayAction.gas)
            .where(RelayAction.hromada == env.slug, RelayAction.status != ActionStatus.EXPIRED, *counted)
            .order_by(RelayAction.created_at)
        ).all()
    for created_at, gas in rows:
        freed += gas
        if freed >= lacking:
            return (minute_of(created_at) + 1) * 60 + 24 * 3600
    raise AssertionError("the day's actions never free enough gas")


def test_defaults_then_the_councils_choice_for_a_role(env: RelayEnv) -> None:
    before = budgets(env)
    assert set(before) == {"resident", "coordinator", "verifier", "council"}
    resident = before["resident"]
    assert resident["person_daily_gas"] == env.settings.relayer_daily_gas_budget
    assert resident["role_share_percent"] == DEFAULT_SHARE_PERCENT[Role.RESIDENT]
    assert not resident["chosen_by_council"]
    assert before["council"]["person_daily_gas"] == env.settings.relayer_staff_daily_gas_budget
    change = {"person_daily_gas": 2_000_000, "role_share_percent": 25, "actions_per_window": 10}
    response = env.act(env.people.council, "PUT", f"/api/h/{env.slug}/budgets/resident", change)
    assert response.status_code == 200, response.text
    after = budgets(env)["resident"]
    assert after["chosen_by_council"] and after["person_daily_gas"] == 2_000_000
    assert after["role_daily_gas"] == env.hromada_row().daily_gas_budget * 25 // 100
    # A resident reads their own standing: nothing spent yet, the tightest limit their own.
    mine = my_budget(env, env.people.residents[0])
    assert mine["role"] == "resident" and mine["person"]["limit_gas"] == 2_000_000
    assert mine["remaining_gas"] == 2_000_000 and mine["actions_per_window"] == 10


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("resident", {"person_daily_gas": -1, "role_share_percent": 10, "actions_per_window": 5}, 422),
        ("resident", {"person_daily_gas": 1, "role_share_percent": 101, "actions_per_window": 5}, 422),
        ("resident", {"person_daily_gas": 1, "role_share_percent": 10, "actions_per_window": 0}, 422),
        ("resident", {"person_daily_gas": "1", "role_share_percent": 10, "actions_per_window": 5}, 422),
        ("resident", {"person_daily_gas": 2**63, "role_share_percent": 10, "actions_per_window": 5}, 422),
        ("resident", {"person_daily_gas": 1, "role_share_percent": 10, "actions_per_window": 5, "x": 1}, 422),
        ("resident", {"person_daily_gas": 10**12, "role_share_percent": 10, "actions_per_window": 5}, 422),
        ("auditor", {"person_daily_gas": 1, "role_share_percent": 10, "actions_per_window": 5}, 422),
        ("operator", {"person_daily_gas": 1, "role_share_percent": 10, "actions_per_window": 5}, 422),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    env: RelayEnv, role: str, body: dict[str, Any], status: int
) -> None:
    before = budgets(env)
    response = env.act(env.people.council, "PUT", f"/api/h/{env.slug}/budgets/{role}", body)
    assert response.status_code == status, response.text
    assert budgets(env) == before


def test_only_the_council_chooses_and_only_members_read(env: RelayEnv) -> None:
    body = {"person_daily_gas": 1, "role_share_percent": 1, "actions_per_window": 1}
    for person in (env.people.residents[0], env.people.verifier, env.people.coordinator):
        response = env.act(person, "PUT", f"/api/h/{env.slug}/budgets/resident", body)
        assert response.status_code == 403, response.text
    assert not budgets(env)["resident"]["chosen_by_council"]
    env.client.cookies.clear()  # signing in set a session cookie too
    response = env.client.get(f"/api/h/{env.slug}/budget")
    assert response.status_code == 401


def test_a_roles_share_stops_the_role_and_not_the_council(env: RelayEnv) -> None:
    """Residents together may use only their share: when it is spent, residents are refused (saying it is
    the role's share) while the council still acts."""
    council = env.people.council
    residents = env.people.residents
    env.register(*residents)
    programme = env.open_programme()
    first = env.act(residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("a")})
    assert first.status_code == 202, first.text
    case_gas = my_budget(env, residents[0])["person"]["spent_gas"]
    response = env.act(
        council,
        "PUT",
        f"/api/h/{env.slug}/budgets/resident",
        {"person_daily_gas": 10**8, "role_share_percent": 10, "actions_per_window": 30},
    )
    assert response.status_code == 200, response.text
    # The hromada's budget (the operator's) lowered so that the residents' 10 % is two and a half cases.
    with env.app.state.session_factory() as session:
        row = get_hromada(session, env.slug)
        row.daily_gas_budget = case_gas * 25
        session.commit()
    second = env.act(residents[1], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("b")})
    assert second.status_code == 202, second.text
    third = env.act(residents[2], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("c")})
    assert third.status_code == 429, third.text
    refusal = third.json()
    assert refusal["code"] == "role_gas_budget_exceeded"
    assert refusal["params"]["limit_gas"] == case_gas * 25 * 10 // 100
    resident_ids = [resident.id for resident in residents]
    assert refusal["params"]["renews_at"] == renewal(
        env, refusal["params"], RelayAction.user_id.in_(resident_ids)
    )
    assert int(third.headers["Retry-After"]) > 3600  # the first case's gas comes back in a day
    # The council's role has its own share: it still acts.
    response = env.act(
        council,
        "POST",
        "/api/fund/deposits",
        {"amount_kopiyky": 100, "source": 0, "source_ref_hash": h("d"), "receipt_hash": h("after-share")},
    )
    assert response.status_code == 202, response.text
    env.worker.drain()


def test_the_hromadas_budget_refuses_everyone_until_a_minute_of_its_day_renews(env: RelayEnv) -> None:
    """When the hromada's budget is spent, a resident is refused saying it is the hromada's, and so are the
    operator's tools (only the hromada's budget applies to them); both renew when the ledger's minutes that
    free enough gas leave the day."""
    residents = env.people.residents
    env.register(*residents[:2])
    programme = env.open_programme()
    first = env.act(residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("a")})
    assert first.status_code == 202, first.text
    standing = my_budget(env, residents[0])
    limit = standing["hromada"]["spent_gas"] + standing["person"]["spent_gas"] // 2  # half a case left
    with env.app.state.session_factory() as session:
        get_hromada(session, env.slug).daily_gas_budget = limit
        session.commit()
    case = {"programme_id": programme, "evidence_hash": h("b")}
    refused = env.act(residents[1], "POST", "/api/cases", case)
    assert refused.status_code == 429, refused.text
    params = refused.json()["params"]
    assert refused.json()["code"] == "hromada_gas_budget_exceeded" and params["limit_gas"] == limit
    assert params["renews_at"] == renewal(env, params)
    submit = env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("b")[2:]))
    with env.app.state.session_factory() as session, pytest.raises(HromadaGasBudgetExceededError) as seeding:
        person = session.get(User, residents[1].id)
        assert person is not None
        env.relayer().queue(session, person, Call.of(submit), budget_exempt=True)
    assert seeding.value.params["renews_at"] == renewal(env, seeding.value.params)


def test_a_limit_refusal_reads_in_both_languages_with_its_figures() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    error = RoleBudgetExceededError(
        needed_gas=190_000,
        remaining_gas=12_345,
        limit_gas=400_000_000,
        renews_at=now + timedelta(hours=3),
        now=now,
    )
    assert error.retry_after_seconds == 3 * 3600
    uk = get_translator(Language.UK).refusal(error)
    en = get_translator(Language.EN).refusal(error)
    nbsp = "\u00a0"
    assert f"400{nbsp}000{nbsp}000" in uk and f"12{nbsp}345" in uk and "частку" in uk
    assert "17:00" in uk  # 15:00 UTC is 17:00 in Kyiv in December
    assert "400,000,000" in en and "12,345" in en and "5:00" in en and "Kyiv time" in en
    assert "%(" not in uk + en
