"""The audit report (`cts report`, and "Audit report" on the public page) in Ukrainian or English.

The audit (cts.audit) recomputes the figures from chain events and draws the charts; it imports nothing
of the service. This presenter gives it the words of the pages' gettext catalogs, Kyiv time, and the page
(templates/audit_report.html): a phone-sized, self-contained page with a link back to the hromada's pages
and how to check the figures without trusting the service.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property
from typing import Any

from cts.models import Language
from cts.web.i18n import get_translator, kyiv
from cts.web.render import environment


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
            back_url=self.back_url, rpc_url=self.rpc_url, status=self.status, words=self.words, **context
        )
