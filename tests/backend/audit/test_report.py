"""`cts report`: one self-contained HTML page and a JSON file with the same figures as `cts audit --json`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from audit_history import HonestHistory

from cts.audit.mes import equal_shares
from cts.audit.model import PROJECT_ELIGIBLE, Round, RoundRules
from cts.cli import main

# Namespace URIs inside inline SVG name vocabularies; they are never fetched.
XML_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def report_dir(honest: HonestHistory, rpc_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert (
        main(
            [
                "report",
                "--rpc",
                rpc_url,
                "--hromada",
                honest.handles.fund.address,
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return out


def test_the_report_is_one_self_contained_page_with_its_charts(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 6  # RV issued, three rounds, capital, impact
    assert set(re.findall(r"https?://[^\"' <>)]+", html)) <= XML_NAMESPACES
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "The chain agrees with the recomputation" in html
    for heading in (
        "RV issued by programme",
        "Rounds: weights, asks and funded amounts",
        "The fund’s capital",
        "Impact",
    ):
        assert heading in html


def test_a_hromada_without_partners_or_a_database_has_no_co_financing_or_issues_section(
    report_dir: Path,
) -> None:
    """Co-financing and issues are tested in test_report_cofinancing.py; here they are left out cleanly."""
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "Co-financing" not in html and 'data-chart="co-financing-chart"' not in html
    assert "Community issues" not in html and 'data-chart="issues-chart"' not in html
    document = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert document["audit"]["figures"]["co_financing"]["pledges"] == 0
    assert document["issues_by_group"] is None


def test_the_report_json_holds_the_audit_figures_and_the_equal_shares_comparison(
    report_dir: Path, honest: HonestHistory, rpc_url: str, tmp_path: Path
) -> None:
    document = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    audit_json = tmp_path / "audit.json"
    assert (
        main(
            [
                "audit",
                "--rpc",
                rpc_url,
                "--hromada",
                honest.handles.token.address,
                "--quiet",
                "--json",
                str(audit_json),
            ]
        )
        == 0
    )
    assert document["audit"]["figures"] == json.loads(audit_json.read_text())["figures"]
    # Round 1: resident budgets 6:2:5:2:2 of UAH 1,000 (their credits); project 2 (UAH 300) is the cheapest
    # per unit of satisfaction; afterwards project 1 (UAH 600) is out of reach of its supporters' budgets.
    assert document["equal_shares"]["1"]["selected"] == [2]
    series = document["series"]
    assert set(series["issuance_rv_by_programme"]) == {"1", "2"}
    assert series["issuance_rv_by_programme"]["1"][-1][2] == 22
    final_ledger = series["ledger_kopiyky"][-1][2]
    assert final_ledger == document["audit"]["figures"]["fund"]["ledger"]
    assert (
        series["impact_ratio_bps"][-1][2] == document["audit"]["figures"]["fund"]["impact"]["all"]["ratioBps"]
    )


def test_equal_shares_gives_each_resident_a_budget_in_proportion_to_their_credits() -> None:
    """Two projects of 60 and 40 in a fund of 100: a resident with 60 credits can buy the first alone, the
    other four (10 credits each) together the second; with equal budgets (20 each) the first is unaffordable
    for its one supporter."""
    from cts.audit.model import Project

    rnd = Round(1, 100, 0, 1, 2, 3, 2, b"", RoundRules(0, 1, 2, 0), 0)
    for pid, ask in ((1, 60), (2, 40)):
        rnd.projects[pid] = Project(pid, pid, "", ask, b"", 0, status=PROJECT_ELIGIBLE)
    rnd.ballots = {1: {1: 60}, 2: {2: 10}, 3: {2: 10}, 4: {2: 10}, 5: {2: 10}}
    outcome = equal_shares(rnd)
    assert outcome.selected == [1, 2] and outcome.cost_kopiyky == 100
    rnd.ballots[1] = {1: 10}
    assert equal_shares(rnd).selected == [2]
