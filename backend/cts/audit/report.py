"""`cts report`: a self-contained HTML report of a hromada, and a JSON file with the same figures.

The HTML makes no request of its own: styles are inline and charts are inline SVG. It shows the audit's
verdict (and every difference), RV issued by programme over time, each round's weights, asks and funded
amounts beside what the Method of Equal Shares would have funded, the fund's capital by bucket over time,
and the impact ratio per cycle and over time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cts.audit.audit import AuditResult, ratio, uah
from cts.audit.mes import EqualSharesOutcome, equal_shares
from cts.audit.model import PROJECT_ELIGIBLE, jsonable
from cts.audit.plots import impact_chart, issuance_chart, ledger_chart, round_chart, thin
from cts.audit.rpc import RpcClient
from cts.audit.rules import AllocationRule, impact_ratio_bps


def weight_text(weight: int) -> str:
    """A weight (sqrt with nine decimals, as an integer) to three decimals, rounded down."""
    return f"{weight // 10**9}.{(weight % 10**9) // 10**6:03d}"


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def build_report(client: RpcClient, result: AuditResult) -> tuple[str, dict[str, Any]]:
    """The HTML page and the JSON document of a finished audit (run with track_series=True)."""
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
                "rule_label": AllocationRule(rnd.rules.rule).label,
                "fund": uah(rnd.fund_kopiyky),
                "funded_total": uah(figures_of_round["total_funded_kopiyky"]),
                "mes": outcome,
                "mes_cost": uah(outcome.cost_kopiyky),
                "chart": round_chart(
                    eligible, outcome.selected, f"Round {rnd.id}: {AllocationRule(rnd.rules.rule).label}"
                ),
                "rows": [
                    {
                        **p,
                        "ask": uah(p["ask_kopiyky"]),
                        "funded": uah(p["funded_kopiyky"]),
                        "weight_text": weight_text(p["weight"]),
                        "mes_selected": p["id"] in outcome.selected,
                        "eligible": rnd.projects[p["id"]].status == PROJECT_ELIGIBLE,
                    }
                    for p in figures_of_round["projects"]
                ],
            }
        )
    cycle_ratios = {
        ("all time" if key == "all" else f"cycle {key}"): value["ratioBps"]
        for key, value in figures["fund"]["impact"].items()
    }
    titles = {p["id"]: p["title"] for p in figures["programmes"]}
    context = {
        "result": result,
        "differences": [d.to_json() for d in result.differences],
        "figures": figures,
        "generated": _date(stamps[result.block]),
        "uah": uah,
        "ratio": ratio,
        "rounds": rounds,
        "issuance_chart": issuance_chart(issuance, titles, stamps),
        "ledger_chart": ledger_chart(ledger, stamps),
        "impact_chart": impact_chart(
            impact, stamps, {k: v for k, v in cycle_ratios.items() if k != "all time"}
        ),
        "cycle_ratios": cycle_ratios,
    }
    environment = Environment(
        loader=PackageLoader("cts.audit", "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    html = environment.get_template("report.html").render(**context)
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
    }
    return html, jsonable(document)


def write_report(client: RpcClient, result: AuditResult, out_dir: Path) -> tuple[Path, Path]:
    html, document = build_report(client, result)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "report.json"
    html_path.write_text(html, encoding="utf-8")
    json_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return html_path, json_path
