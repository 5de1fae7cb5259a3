"""The council's, the coordinator's and the auditors' pages through the TestClient: every form acts on chain
through the relayer, and a refusal comes back next to the form with what was typed."""

from __future__ import annotations

import re
import secrets

import pytest
from httpx import Response
from web_helpers import CSRF, World, sign_in

from cts.web.demo import picture, travel
from cts.web.reads import call_struct
from cts.web.routes import public


def send(
    world: World, path: str, data: dict[str, object], files: dict[str, object] | None = None
) -> Response:
    """Post a form with the signed-in page's CSRF token and a new one-time key."""
    csrf = CSRF.findall(world.client.get("/no-such-page").text)[-1]
    fields = {"csrf_token": csrf, "form_key": secrets.token_urlsafe(18), **data}
    return world.client.post(path, data=fields, files=files, follow_redirects=False)  # type: ignore[arg-type]


def done(world: World, response: Response) -> None:
    assert response.status_code == 303, response.text
    action = response.headers["location"].removeprefix(world.base + "/actions/")
    world.driver.wait(action)


def test_the_council_runs_the_fund_programmes_and_rounds_from_its_pages(world: World) -> None:
    people, h = world.people, world.hromada
    resident = people.residents[0]
    world.register(resident)
    sign_in(world.client, people.council.email)
    deposit = {"amount": "20 000,50", "source": "1", "source_ref": "Рішення №45", "receipt": "Платіжка 0001"}
    done(world, send(world, "/council/fund/deposits", deposit))
    assert call_struct(h.fund, "ledger")["deposits"] == 2_000_050
    again = send(world, "/council/fund/deposits", deposit)
    assert again.status_code == 409 and "уже записано" in again.text and 'value="Платіжка 0001"' in again.text

    programme = {
        "title": "Прибирання берега річки — весняна толока для всієї громади, " * 2,
        "description": "",
        "reward": "2",
        "case_value": "400",
        "token_cap": "100",
        "per_resident_cap": "10",
        "days": "30",
        "verifiers": people.verifier.wallet.address,
        "quorum": "1",
    }
    too_long = send(world, "/council/programmes", programme)
    assert too_long.status_code == 422 and "100 українських літер" in too_long.text
    done(world, send(world, "/council/programmes", {**programme, "title": "Прибирання берега"}))
    assert h.cases.functions.programmeState(1).call() == 1  # Open
    done(world, send(world, "/council/programmes/1/pause", {}))
    assert h.cases.functions.programmeState(1).call() == 3  # Paused
    done(world, send(world, "/council/programmes/1/resume", {}))

    round_form = {
        "title": "Малі гранти",
        "description": "Весна",
        "fund": "5000",
        "pitch_days": "1",
        "screen_days": "1",
        "vote_days": "1",
        "max_projects": "5",
        "rule": "2",
        "min_per_ballot": "1",
        "max_per_ballot": "3",
        "max_credits": "0",
    }
    done(world, send(world, "/council/rounds", round_form))
    world.client.cookies.clear()
    sign_in(world.client, resident.email)
    too_big = send(world, "/rounds/1/pitch", {"title": "Лавки", "description": "Шість лавок", "ask": "6000"})
    assert too_big.status_code == 422 and "Не більше 5\u00a0000\u00a0грн" in too_big.text
    done(
        world, send(world, "/rounds/1/pitch", {"title": "Лавки", "description": "Шість лавок", "ask": "4000"})
    )
    travel(world.w3, 86_400 + 10)  # into the screening window
    world.client.cookies.clear()
    sign_in(world.client, people.council.email)
    assert "Лавки" in world.client.get("/council/rounds").text
    done(world, send(world, "/council/rounds/1/projects/1/screen", {"eligible": "1"}))
    assert call_struct(h.vote, "project", 1, 1)["status"] == 1  # Eligible
    assert "Лавки" in world.client.get("/public").text

    fund = h.fund.functions
    world.driver.do(resident, fund.applyForLoan([300_000], [30 * 86_400], bytes.fromhex("ab" * 32)))
    page = world.client.get("/council/fund")
    assert "Позика №1" in page.text and resident.display_name in page.text
    done(world, send(world, "/council/loans/1/approve", {}))
    done(world, send(world, "/council/loans/1/disburse", {"receipt": "Видаткова 7"}))
    done(world, send(world, "/council/loans/1/repayments", {"amount": "1000", "receipt": "Повернення 1"}))
    assert int(fund.outstanding(1).call()) == 200_000
    over = send(world, "/council/loans/1/repayments", {"amount": "5000", "receipt": "Повернення 2"})
    assert over.status_code == 422 and "більше за залишок боргу" in over.text


def test_a_coordinator_records_a_case_for_a_resident_who_is_offline(world: World) -> None:
    people, h = world.people, world.hromada
    resident = people.residents[0]
    world.register(resident)
    cases = h.cases.functions
    world.driver.do(
        people.council, cases.grantRole(cases.COORDINATOR_ROLE().call(), people.coordinator.wallet.address)
    )
    programme = world.open_programme()
    sign_in(world.client, people.coordinator.email)
    form = world.client.get("/record")
    assert resident.display_name in form.text
    response = send(
        world,
        "/record",
        {"resident": str(resident.id), "programme": str(programme)},
        files={"evidence": ("paper-form.png", picture(5005), "image/png")},
    )
    done(world, response)
    case = call_struct(h.cases, "caseOf", 1)
    assert case["submittedBy"] == people.coordinator.wallet.address
    assert h.registry.functions.addressOf(case["residentId"]).call() == resident.wallet.address


def test_auditors_get_the_report_and_the_ballots_or_how_to_make_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    voter, pitcher = world.people.residents[:2]
    world.register(voter, pitcher)
    programme = world.open_programme(reward=4)
    (case_id,) = world.submit_cases(programme, voter)
    world.driver.do(world.people.verifier, world.hromada.cases.functions.approveCase(case_id))
    round_id = world.voting_round([(pitcher, "Лавки в парку", 500_000)])
    world.driver.do(voter, world.hromada.vote.functions.castBallot(round_id, [1], [4]))
    export = world.client.get(f"/rounds/{round_id}/export.pb")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert re.search(r"^VOTES\nvoter_id;vote;points\n\d+;1;4$", export.text, re.M)
    report = world.client.get("/audit/report")
    assert report.status_code == 200 and "<html" in report.text.lower()
    monkeypatch.setattr(public, "_audit_modules", lambda: None)
    instead = world.client.get(f"/rounds/{round_id}/export.pb")
    assert instead.status_code == 503 and f"cts export-pabulib --rpc {world.settings.rpc_url}" in instead.text
    assert "cts report --rpc" in world.client.get("/audit/report").text
