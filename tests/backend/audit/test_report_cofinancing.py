"""`cts report` on a co-financed hromada (the story of tests/backend/cofinancing_history.py): the
co-financing section shows the audit's own figures per sector and per round, the JSON carries them, the
co-financing chart's bars are those figures; with `--database` the report counts the service's community
issues per affected group from a real SQLite database of the service, and draws them. Both languages render
the same numbers."""

from __future__ import annotations

import copy
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cofinancing_history import GIFT_KOPIYKY, CoFinanced, act_out_co_financing
from sqlalchemy import select
from web3 import Web3

from cts.audit.audit import run_audit
from cts.audit.locate import Hromada as AuditedHromada
from cts.audit.report import ServiceDataError
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest
from cts.cli import main
from cts.core.db import build_engine, build_session_factory
from cts.hromadas import add_hromada
from cts.issues.service import IssueDraft, change_state, post_issue, set_area
from cts.models import Language, Settlement, User
from cts.web.audit_report import ReportPresenter
from cts.web.i18n import get_translator

KEY = "cofinanced-report"
# The issues acted out in `service_database`: (groups, the states it moves through).
ISSUES = (
    (["elderly", "disabilities"], []),
    (["elderly"], ["resolved"]),
    (["children", "idps"], ["answering"]),
    (["veterans"], ["closed"]),  # a duplicate: left out of the counts
    ([], []),
    (["low_income", "elderly"], ["answering", "resolved"]),
)
EXPECTED_ISSUES = {
    "issues": 5,
    "resolved": 2,
    "without_group": 1,
    "by_group": {
        "elderly": {"issues": 3, "resolved": 2},
        "disabilities": {"issues": 1, "resolved": 0},
        "idps": {"issues": 1, "resolved": 0},
        "veterans": {"issues": 0, "resolved": 0},
        "children": {"issues": 1, "resolved": 0},
        "low_income": {"issues": 1, "resolved": 1},
    },
}
KINDS = ("money", "in_kind", "stablecoin")


@dataclass
class Story:
    co_financed: CoFinanced
    manifest: Manifest


@pytest.fixture(scope="module")
def story(w3: Web3, audit_manifest: Manifest, honest: object) -> Story:
    manifest = copy.deepcopy(audit_manifest)  # it holds the honest hromada ("audited") too
    handles = onboard(
        Sender(w3, w3.eth.accounts[0]),
        manifest,
        HromadaSpec(
            key=KEY,
            name="Co-financed Report Hromada",
            council=w3.eth.accounts[0],
            registrar=w3.eth.accounts[1],
        ),
    )
    return Story(act_out_co_financing(w3, handles), manifest)


def _post(session: Any, hromada: Any, author: User, title: str, groups: list[str]) -> Any:
    settlement = session.scalar(select(Settlement.id).where(Settlement.hromada_id == hromada.id))
    draft = IssueDraft(title, f"{title}: what is wrong", str(settlement), "social_care", groups)
    return post_issue(session, hromada, author, draft)


@pytest.fixture(scope="module")
def service_database(
    story: Story, migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service's SQLite database knowing both hromadas; ISSUES in the co-financed one, and one issue
    for the elderly in the honest one, which must not count."""
    path = tmp_path_factory.mktemp("service") / "cts.sqlite3"
    with sqlite3.connect(migrated_sqlite_template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    url = f"sqlite:///{path}"
    engine = build_engine(url)
    with build_session_factory(engine)() as session:
        author = User(email="olena@example.org", password_hash="x", display_name="Olena")
        session.add(author)
        hromadas = {key: add_hromada(session, story.manifest, key) for key in (KEY, "audited")}
        for hromada in hromadas.values():
            set_area(session, hromada, ("49.60", "23.40", "49.70", "23.55"), ["Рудки"])
        session.flush()
        for number, (groups, states) in enumerate(ISSUES, start=1):
            issue = _post(session, hromadas[KEY], author, f"Issue {number}", groups)
            for state in states:
                change_state(session, issue, state, "Duplicates issue 1" if state == "closed" else "")
        _post(session, hromadas["audited"], author, "Elsewhere", ["elderly"])
        session.commit()
    engine.dispose()
    yield url


def _report(story: Story, rpc_url: str, out: Path, *more: str) -> tuple[str, dict[str, Any]]:
    token = story.co_financed.handles.token.address
    argv = ["report", "--rpc", rpc_url, "--hromada", token, "--out", str(out), "--quiet", *more]
    assert main(argv) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    return page, json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["en", "uk"])
def report(
    request: pytest.FixtureRequest,
    story: Story,
    service_database: str,
    rpc_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, str, dict[str, Any]]:
    lang = request.param
    out = tmp_path_factory.mktemp(f"report-{lang}")
    page, document = _report(story, rpc_url, out, "--lang", lang, "--database", service_database)
    return lang, page, document


@pytest.fixture(scope="module")
def audited_co_financing(story: Story, rpc_url: str) -> dict[str, Any]:
    figures = run_audit(RpcClient(rpc_url), story.co_financed.handles.vote.address).figures()
    return figures["co_financing"]


def _cells(page: str, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no row {attribute}={value}"
    return [html.unescape(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)]


def _chart(page: str, chart_id: str) -> str:
    found = re.search(rf'<svg [^>]*data-chart="{chart_id}".*?</svg>', page, re.S)
    assert found is not None, f"no chart {chart_id}"
    return found.group(0)


def _bars(chart: str) -> dict[tuple[str, str], int]:
    """(category, series) -> the bar's value, from the chart's SVG."""
    bars = {}
    for category, body in re.findall(r'<g data-category="([^"]+)">(.*?)</g>', chart, re.S):
        for series, value in re.findall(r'data-series="([^"]+)" data-value="(\d+)"', body):
            bars[(category, series)] = int(value)
    return bars


def test_the_co_financing_section_shows_the_audits_figures_per_sector(
    report: tuple[str, str, dict[str, Any]], audited_co_financing: dict[str, Any]
) -> None:
    lang, page, _document = report
    t = get_translator(Language(lang))
    assert 'data-testid="co-financing"' in page
    sectors = audited_co_financing["by_sector"]
    assert list(sectors) == ["business", "local_budget", "ngo", "international_donor", "diaspora"]
    for sector, values in sectors.items():
        cells = _cells(page, "data-sector", sector)
        assert cells[1:] == [
            t.number(values["pledges"]),
            *(t.uah(values[f"{kind}_{part}"]) for kind in KINDS for part in ("pledged", "fulfilled")),
        ], sector
    totals = _cells(page, "data-sector", "all")
    assert totals[1] == t.number(audited_co_financing["pledges"]) == t.number(6)
    assert totals[2:4] == [t.uah(30_000), t.uah(10_000)]  # money: 10,000 + 20,000 pledged, 10,000 fulfilled

    bars = _bars(_chart(page, "co-financing-chart"))
    for sector, values in sectors.items():
        assert bars[(sector, "pledged")] == sum(values[f"{kind}_pledged"] for kind in KINDS)
        assert bars[(sector, "fulfilled")] == sum(values[f"{kind}_fulfilled"] for kind in KINDS)
    # The story's numbers: the business gave 100 UAH of money and 150 UAH of cement, the local budget pledged
    # 200 UAH not yet fulfilled, the NGO's pledge lapsed, the diaspora donor's stablecoin was released.
    assert bars == {
        ("business", "pledged"): 25_000,
        ("business", "fulfilled"): 25_000,
        ("local_budget", "pledged"): 20_000,
        ("local_budget", "fulfilled"): 0,
        ("ngo", "pledged"): 0,
        ("ngo", "fulfilled"): 0,
        ("international_donor", "pledged"): 0,
        ("international_donor", "fulfilled"): 0,
        ("diaspora", "pledged"): GIFT_KOPIYKY,
        ("diaspora", "fulfilled"): GIFT_KOPIYKY,
    }


def test_the_leverage_of_each_round_is_the_value_it_moved_over_its_fund(
    report: tuple[str, str, dict[str, Any]], audited_co_financing: dict[str, Any]
) -> None:
    lang, page, _document = report
    t = get_translator(Language(lang))
    (leverage,) = audited_co_financing["leverage"]
    assert _cells(page, "data-round", "1") == [
        "1",
        t.uah(leverage["fund_kopiyky"]),
        t.uah(leverage["funded_by_vote_kopiyky"]),
        t.uah(leverage["fulfilled_pledges_kopiyky"]),
        t.uah(75_250),  # 40,000 from the vote and 35,250 of fulfilled pledges
        "1.25×" if lang == "en" else "1,25×",  # 12,541 basis points
    ]


def test_the_json_carries_the_co_financing_figures_and_the_issue_counts(
    report: tuple[str, str, dict[str, Any]], audited_co_financing: dict[str, Any]
) -> None:
    _lang, _page, document = report
    assert document["audit"]["figures"]["co_financing"] == json.loads(json.dumps(audited_co_financing))
    assert document["issues_by_group"] == EXPECTED_ISSUES


def test_the_issue_plot_counts_the_services_issues_per_affected_group(
    report: tuple[str, str, dict[str, Any]],
) -> None:
    lang, page, _document = report
    t = get_translator(Language(lang))
    assert 'data-testid="issues"' in page
    bars = _bars(_chart(page, "issues-chart"))
    for group, counts in EXPECTED_ISSUES["by_group"].items():
        assert (bars[(group, "issues")], bars[(group, "resolved")]) == (counts["issues"], counts["resolved"])
        assert _cells(page, "data-group", group)[1:] == [
            t.number(counts["issues"]),
            t.number(counts["resolved"]),
        ]
    assert t.pgettext("affected group", "Elderly people") in page  # the pages' own names of the groups


def test_the_charts_are_accessible_and_scale_to_a_phone(report: tuple[str, str, dict[str, Any]]) -> None:
    lang, page, _document = report
    t = get_translator(Language(lang))
    for chart_id in ("co-financing-chart", "issues-chart"):
        chart = _chart(page, chart_id)
        assert re.match(r'<svg [^>]*viewBox="0 0 360 \d+" width="100%"', chart)
        assert f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' in chart
        title = re.search(rf'<title id="{chart_id}-title">([^<]+)</title>', chart)
        desc = re.search(rf'<desc id="{chart_id}-desc">([^<]+)</desc>', chart)
        assert title and desc
        assert not re.search(r"<(script|image|foreignObject)\b", chart)
    # The values are written beside the bars and read out in the description, in the report's own format.
    money = _chart(page, "co-financing-chart")
    assert f">{t.uah(25_000)}</text>" in money and t.uah(GIFT_KOPIYKY) in money
    issues = _chart(page, "issues-chart")
    assert f">{t.number(3)}</text>" in issues


def test_the_report_speaks_the_language_asked_for(report: tuple[str, str, dict[str, Any]]) -> None:
    lang, page, _document = report
    assert f'<html lang="{lang}">' in page
    if lang == "uk":
        # The section's Ukrainian words come from backend/cts/web/locale/uk-translations-report.json, merged
        # into the catalogs.
        assert "Співфінансування" in page and "Co-financing by sector" not in page
    else:
        assert "Co-financing" in page and "Community issues by affected group" in page


def test_without_the_database_the_report_has_no_issues_section(
    story: Story, rpc_url: str, tmp_path: Path
) -> None:
    page, document = _report(story, rpc_url, tmp_path)
    assert 'data-testid="co-financing"' in page and 'data-chart="co-financing-chart"' in page
    assert 'data-testid="issues"' not in page and 'data-chart="issues-chart"' not in page
    assert document["issues_by_group"] is None


def test_a_database_that_does_not_know_the_hromada_stops_the_report(
    story: Story, rpc_url: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = story.co_financed.handles.token.address
    argv = ["report", "--rpc", rpc_url, "--hromada", token, "--out", str(tmp_path), "--quiet"]
    assert main([*argv, "--database", database_url]) == 2
    assert f"has no hromada with token {token}" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_no_database_file_is_made_where_there_is_none(story: Story, tmp_path: Path) -> None:
    contracts = story.co_financed.handles
    hromada = AuditedHromada({"token": contracts.token.address}, chain_id=1337, start_block=0)
    missing = tmp_path / "nowhere" / "cts.sqlite3"
    with pytest.raises(ServiceDataError, match="no SQLite database"):
        ReportPresenter(Language.EN).issues_by_group(f"sqlite:///{missing}", hromada)
    assert not missing.parent.exists()
