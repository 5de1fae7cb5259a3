"""`cts report`: a self-contained HTML report of a hromada, and a JSON file with the same figures.

The HTML makes no request of its own: styles are inline and charts are inline SVG. It shows the audit's
verdict (and every difference), RV issued by programme over time, each round's weights, asks and funded
amounts beside what the Method of Equal Shares would have funded, the fund's capital by bucket over time,
the impact ratio per cycle and over time, the delivery of funded projects (funded, reported, accepted and
paid per planned project, each milestone, and what the audit found about them), and co-financing (per sector
pledged and fulfilled, per round the leverage). Given the service's counts of community issues per affected
group (`cts report --database`), it shows them too, as the service's records: they are not on the chain.

The figures and the time-series charts are computed here; the words, number and date formats, the page
itself, its two plain bar charts (co-financing by sector, issues by group) and the reading of the service's
database come from a `ReportPresenter` the caller gives (the web pages' catalogs, cts.web.audit_report), so
that the audit imports nothing of the service (tests/backend/audit/test_independence.py).
"""

from __future__ import annotations

import json
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol

from cts.audit.audit import AuditResult
from cts.audit.errors import AuditError
from cts.audit.locate import Hromada
from cts.audit.mes import EqualSharesOutcome, equal_shares
from cts.audit.model import PROJECT_ELIGIBLE, jsonable
from cts.audit.plots import (
    delivery_chart,
    impact_chart,
    issuance_chart,
    ledger_chart,
    round_chart,
    thin,
)
from cts.audit.rpc import RpcClient
from cts.audit.rules import AllocationRule, impact_ratio_bps


class ServiceDataError(AuditError):
    """Raised when the service's data the report was given (its database) cannot be read for the hromada."""


class ReportPresenter(Protocol):
    """The report's language: the charts' words, their time zone, and the page rendered from the figures;
    and, being the service's side, what the service's database says beyond the chain."""

    tz: tzinfo

    def words(self, text: str) -> str:
        """An English word of the charts (an axis, a legend) in the report's language."""
        ...

    def render(self, context: dict[str, Any]) -> str:
        """The HTML page of the report's figures."""
        ...

    def issues_by_group(self, database_url: str, hromada: Hromada) -> dict[str, Any]:
        """The hromada's community issues per affected group, from the service's database (ServiceDataError
        when it cannot be read or does not know the hromada)."""
        ...


def build_report(
    client: RpcClient,
    result: AuditResult,
    presenter: ReportPresenter,
    issues_by_group: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The HTML page and the JSON document of a finished audit (run with track_series=True); with the
    service's issue counts (ReportPresenter.issues_by_group) when there are any to show."""
    words, tz = presenter.words, presenter.tz
    history = result.history
    series = history.series
    if series is None:
        raise ValueError("the report needs an audit run with track_series=True")
    figures = result.figures()
    issuance = {pid: thin(points) for pid, points in series.issuance.items()}
    ledger = thin(series.ledger)
    impact = thin(series.impact)
    blocks = {b for points in issuance.values() for b, _ in points}
    blocks |= {b for b, _ in ledger} | {b for b, _, _ in impact} | {result.block}
    stamps = client.block_timestamps(sorted(blocks))

    mes: dict[int, EqualSharesOutcome] = {}
    rounds = []
    for figures_of_round in figures["rounds"]:
        rnd = history.rounds[figures_of_round["id"]]
        outcome = equal_shares(rnd)
        mes[rnd.id] = outcome
        eligible = [p for p in figures_of_round["projects"] if p["status"] == "eligible"]
        rounds.append(
            {
                **figures_of_round,
                "rule_label": words(AllocationRule(rnd.rules.rule).label),
                "fund_kopiyky": rnd.fund_kopiyky,
                "mes": outcome,
                "chart": round_chart(eligible, outcome.selected, words),
                "rows": [
                    {
                        **p,
                        "mes_selected": p["id"] in outcome.selected,
                        "eligible": rnd.projects[p["id"]].status == PROJECT_ELIGIBLE,
                    }
                    for p in figures_of_round["projects"]
                ],
            }
        )
    cycle_ratios = {
        key: value["ratioBps"] for key, value in figures["fund"]["impact"].items() if key != "all"
    }
    titles = {p["id"]: p["title"] for p in figures["programmes"]}
    context = {
        "result": result,
        "differences": [d.to_json() for d in result.differences],
        "figures": figures,
        "generated_at": stamps[result.block],
        "rounds": rounds,
        "issuance_chart": issuance_chart(issuance, titles, stamps, words, tz),
        "ledger_chart": ledger_chart(ledger, stamps, words, tz),
        "impact_chart": impact_chart(impact, stamps, cycle_ratios, words, tz),
        "delivery": figures["delivery"],
        "delivery_chart": delivery_chart(figures["delivery"], words) if figures["delivery"] else "",
        "delivery_findings": [
            {**f.to_json(), "kind_label": words(f.kind.replace("_", " "))} for f in result.findings
        ],
        "receipts": result.receipts,
        "issues_by_group": issues_by_group,
    }
    html = presenter.render(context)
    document = {
        "audit": result.to_json(),
        "equal_shares": {str(rid): outcome.to_json() for rid, outcome in mes.items()},
        "series": {
            "issuance_rv_by_programme": {
                str(pid): [[b, stamps[b], rv] for b, rv in points] for pid, points in issuance.items()
            },
            "ledger_kopiyky": [[b, stamps[b], snapshot] for b, snapshot in ledger],
            "impact_ratio_bps": [
                [b, stamps[b], impact_ratio_bps(value, issued)] for b, value, issued in impact
            ],
        },
        # The service's records, not the chain's (null when the report was not given the database).
        "issues_by_group": issues_by_group,
    }
    return html, jsonable(document)


def write_report(
    client: RpcClient,
    result: AuditResult,
    out_dir: Path,
    presenter: ReportPresenter,
    issues_by_group: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    html, document = build_report(client, result, presenter, issues_by_group)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "report.json"
    html_path.write_text(html, encoding="utf-8")
    json_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return html_path, json_path
