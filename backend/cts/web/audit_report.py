"""The audit report (`cts report`, and "Audit report" on the public page) in Ukrainian or English.

The audit (cts.audit) recomputes the figures from chain events and draws the charts; it imports nothing
of the service. This presenter gives it the words of the pages' gettext catalogs, Kyiv time, and the page
(templates/audit_report.html): a phone-sized, self-contained page with a link back to the hromada's pages
and how to check the figures without trusting the service. It draws the report's two plain bar charts
(co-financing by sector, from the audit's figures; community issues by affected group, from the service's
database when `cts report --database` names it) as inline SVG (cts.web.report_charts).
"""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cts.core.db import build_engine, build_session_factory
from cts.issues.group_counts import hromada_of_token, issues_by_group
from cts.models import Language
from cts.web.i18n import get_translator, kyiv
from cts.web.issue_texts import group_names
from cts.web.render import environment
from cts.web.report_charts import Bar, Category, Series, bar_chart

if TYPE_CHECKING:
    from cts.audit.locate import Hromada as AuditedHromada

# (fill, outline): the whole (pledged; issues) light with a dark outline, its part (fulfilled; resolved)
# solid.
WHOLE_BAR = ("#dbe4f3", "#2f5597")
PART_BAR = ("#2f5597", "#2f5597")
ISSUES_BAR = ("#f6e0c8", "#8a4b08")
RESOLVED_BAR = ("#8a4b08", "#8a4b08")
KINDS = ("money", "in_kind", "stablecoin")


class ReportPresenter:
    """One language of the report; `back_url` is the hromada's pages ("" when there are none to go back
    to), `rpc_url` the node the `cts audit` command it shows reads ("" for a placeholder)."""

    def __init__(self, lang: Language, back_url: str = "", rpc_url: str = "") -> None:
        self.t = get_translator(lang)
        self.back_url = back_url
        self.rpc_url = rpc_url
        self.tz: tzinfo = kyiv()[0]

    @cached_property
    def _words(self) -> dict[str, str]:
        t = self.t
        ledger = t.labels("ledger")
        return {
            # The charts' axes and legends.
            "No RV issued yet.": t.gettext("No RV issued yet."),
            "RV issued (cumulative)": t.gettext("RV issued (cumulative)"),
            "No project was pitched.": t.gettext("No project was pitched."),
            "ask (UAH)": t.gettext("ask (UAH)"),
            "funded by the round's rule (UAH)": t.gettext("funded by the round's rule (UAH)"),
            "Method of Equal Shares would fund": t.gettext("Method of Equal Shares would fund"),
            "project": t.gettext("project"),
            "UAH": t.gettext("UAH"),
            "weight (sum of sqrt(credits))": t.gettext("weight (sum of sqrt(credits))"),
            "weight": t.gettext("weight"),
            "No fund movement yet.": t.gettext("No fund movement yet."),
            "deposits": ledger["deposits"],
            **{name: text for name, text in ledger.items() if name != "deposits"},
            "No RV issued yet: the impact ratio is not defined.": t.gettext(
                "No RV issued yet: the impact ratio is not defined."
            ),
            "impact ratio, all time": t.gettext("impact ratio, all time"),
            "cycle %(number)s": t.gettext("cycle %(number)s"),
            "impact ratio per cycle": t.gettext("impact ratio per cycle"),
            "Kyiv time": t.zone_name,
            # The delivery chart and the kinds of delivery findings (cts.audit.findings).
            "No project has a delivery plan yet.": t.gettext("No project has a delivery plan yet."),
            "funded": t.gettext("funded"),
            "milestones reported": t.gettext("milestones reported"),
            "milestones accepted": t.gettext("milestones accepted"),
            "paid": t.gettext("paid"),
            "round %(round)s, project %(project)s": t.gettext("round %(round)s, project %(project)s"),
            "paid beyond accepted": t.gettext("paid beyond the accepted milestones"),
            "paid beyond funded": t.gettext("paid beyond the funded amount"),
            "payment without accepted report": t.gettext("payment without an accepted report"),
            "paid with unanswered flag": t.gettext("paid while a flag had no answer"),
            "overdue milestone": t.gettext("overdue milestone"),
            "unanswered flag": t.gettext("flag without an answer"),
            "receipt mismatch": t.gettext("receipt file changed after it was reported"),
            "receipt missing": t.gettext("receipt file not found"),
            # The allocation rules as cts.audit.rules names them.
            "quadratic funding (weight², capped at asks, excess redistributed)": t.gettext(
                "quadratic funding (weight², capped at asks, excess redistributed)"
            ),
            "proportional to weight (capped at asks, excess redistributed)": t.gettext(
                "proportional to weight (capped at asks, excess redistributed)"
            ),
            "greedy by weight (whole asks, highest weight first)": t.gettext(
                "greedy by weight (whole asks, highest weight first)"
            ),
        }

    def words(self, text: str) -> str:
        return self._words.get(text, text)

    def status(self, family: str, value: str) -> str:
        """A state as the audit names it (a programme is "active" where the pages say "open")."""
        if family == "programme" and value == "active":
            value = "open"
        return self.t.label(family, value)

    def render(self, context: dict[str, Any]) -> str:
        template = environment(self.t.lang).get_template("audit_report.html")
        return template.render(
            back_url=self.back_url,
            rpc_url=self.rpc_url,
            status=self.status,
            words=self.words,
            co_financing=self.co_financing(context["figures"]["co_financing"]),
            issues=self.issues(context["issues_by_group"]),
            **context,
        )

    # ------------------------------------------------------------ co-financing

    @cached_property
    def sector_names(self) -> dict[str, str]:
        """ICoFinancing's sectors, keyed as cts.audit.cofinancing names them, in the partner pages' words."""
        pgettext = self.t.pgettext
        return {
            "business": pgettext("partner sector", "Business"),
            "local_budget": pgettext("partner sector", "Local budget"),
            "ngo": pgettext("partner sector", "NGO"),
            "international_donor": pgettext("partner sector", "International donor"),
            "diaspora": pgettext("partner sector", "Diaspora"),
        }

    def leverage(self, bps: int) -> str:
        """A round's leverage from basis points: 12_541 -> 1.25× (1,25× in Ukrainian)."""
        return f"{self.t.ratio(bps)}×"

    def co_financing(self, figures: dict[str, Any]) -> dict[str, Any] | None:
        """The co-financing section: per sector the audit's figures with their sums pledged and fulfilled
        over the three kinds, the totals, each round's leverage, and the chart; None for a hromada with no
        partner and no pledge (the report then has no such section)."""
        if not figures["partners"] and not figures["pledges"]:
            return None
        rows = []
        for sector, values in figures["by_sector"].items():
            row = {"sector": sector, "name": self.sector_names.get(sector, sector), **values}
            row["pledged"] = sum(values[f"{kind}_pledged"] for kind in KINDS)
            row["fulfilled"] = sum(values[f"{kind}_fulfilled"] for kind in KINDS)
            rows.append(row)
        numeric = [key for key in rows[0] if key not in ("sector", "name")] if rows else []
        totals = {
            "sector": "all",
            "name": self.t.gettext("all sectors"),
            **{key: sum(row[key] for row in rows) for key in numeric},
        }
        leverage = [
            {
                **entry,
                "moved_kopiyky": entry["funded_by_vote_kopiyky"] + entry["fulfilled_pledges_kopiyky"],
                "ratio": self.leverage(entry["leverage_bps"]),
            }
            for entry in figures["leverage"]
        ]
        return {
            "partners": figures["partners"],
            "pledges": figures["pledges"],
            "rows": rows,
            "totals": totals,
            "leverage": leverage,
            "chart": self.co_financing_chart(rows) if figures["pledges"] else "",
        }

    def co_financing_chart(self, rows: list[dict[str, Any]]) -> str:
        t, uah = self.t, self.t.uah
        return bar_chart(
            "co-financing-chart",
            t.gettext("Co-financing by sector (UAH)"),
            [
                Series("pledged", t.gettext("pledged (money, in kind, stablecoin)"), *WHOLE_BAR),
                Series("fulfilled", t.gettext("fulfilled"), *PART_BAR),
            ],
            [
                Category(
                    row["sector"],
                    row["name"],
                    [Bar(row["pledged"], uah(row["pledged"])), Bar(row["fulfilled"], uah(row["fulfilled"]))],
                )
                for row in rows
            ],
        )

    # ------------------------------------------------------------ community issues (the service's records)

    def issues_by_group(self, database_url: str, hromada: AuditedHromada) -> dict[str, Any]:
        """The hromada's issues per affected group, read from the service's database
        (cts.issues.group_counts); the hromada is the one whose token the audit read. Nothing is written, and
        no file is made where there is no database."""
        # Here, not at the top: cts.audit.report draws with matplotlib, which the pages load only when asked.
        from cts.audit.report import ServiceDataError

        url = make_url(database_url)
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            raise ServiceDataError(f"no SQLite database at {shown}")
        engine = build_engine(url)
        try:
            with build_session_factory(engine)() as session:
                found = hromada_of_token(session, hromada.chain_id, hromada.contracts["token"])
                if found is None:
                    raise ServiceDataError(
                        f"the service's database {shown} has no hromada with token "
                        f"{hromada.contracts['token']} on chain {hromada.chain_id}"
                    )
                return issues_by_group(session, found)
        except SQLAlchemyError as error:
            reason = getattr(error, "orig", None) or error
            raise ServiceDataError(f"the service's database {shown} cannot be read: {reason}") from error
        finally:
            engine.dispose()

    def issues(self, counts: dict[str, Any] | None) -> dict[str, Any] | None:
        """The issues section: per affected group (named as the pages name it), and the chart; None when the
        report was not given the service's database."""
        if counts is None:
            return None
        t, names = self.t, group_names(self.t)
        rows = [
            {"group": group, "name": names.get(group, group), **values}
            for group, values in counts["by_group"].items()
        ]
        chart = bar_chart(
            "issues-chart",
            t.gettext("Community issues by affected group"),
            [
                Series("issues", t.gettext("issues (all but the closed ones)"), *ISSUES_BAR),
                Series("resolved", t.gettext("resolved"), *RESOLVED_BAR),
            ],
            [
                Category(
                    row["group"],
                    row["name"],
                    [
                        Bar(row["issues"], t.number(row["issues"])),
                        Bar(row["resolved"], t.number(row["resolved"])),
                    ],
                )
                for row in rows
            ],
        )
        return {**counts, "rows": rows, "chart": chart if counts["issues"] else ""}
