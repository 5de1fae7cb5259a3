"""What a notification says, in the reader's language: its heading and text on the resident's page, and the
whole plain-text e-mail (cts.notify writes it when the notification is made, in the person's language then).

The facts come from the notification's ``params`` (written by cts.notify.events from the chain's events): a
case and its programme, the outcome, the rejections' reasons; a round, its title and when voting closes; a
project and its milestone. Here they become sentences, through the same catalogs as the pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cts.models import NotificationKind
from cts.web.i18n import Translator

# The reason code of "another reason", which comes with the verifier's own words (cts.web.routes.common).
OTHER_REASON = 4


@dataclass(frozen=True)
class Told:
    """A notification as a person reads it."""

    heading: str
    text: str
    path: str  # where on the hromada's pages to read more ("/cases", "/rounds/3")


def kind_names(t: Translator) -> dict[str, str]:
    """The switches of the settings form, one per kind."""
    return {
        NotificationKind.CASE_DECIDED.value: t.gettext("My useful case is approved or rejected"),
        NotificationKind.ROUND_OPENED.value: t.gettext("Voting opens in a round"),
        NotificationKind.ROUND_CLOSING.value: t.gettext("Voting is about to close (a day before)"),
        NotificationKind.MILESTONE.value: t.gettext("A project I voted for reaches a milestone"),
    }


def _round_title(t: Translator, params: Mapping[str, Any]) -> str:
    return str(params.get("title") or t.gettext("Round #%(id)s", id=params.get("round", "?")))


def _reasons(t: Translator, reasons: Sequence[Sequence[Any]]) -> str:
    """The rejections' reasons: each one's name, and for "another reason" the verifier's words."""
    said = []
    for code, note in reasons:
        text = t.label("reason", int(code))
        said.append(f"{text}: {note}" if note and int(code) == OTHER_REASON else text)
    return "; ".join(said)


def told(t: Translator, kind: NotificationKind | str, params: Mapping[str, Any]) -> Told:
    """The heading, text and link of a notification of ``kind`` with these facts."""
    kind = NotificationKind(kind)
    if kind == NotificationKind.CASE_DECIDED:
        case, programme = params.get("case", "?"), str(params.get("programme_title") or "")
        if params.get("outcome") == "approved":
            return Told(
                t.gettext("Case #%(case)s approved", case=case),
                t.ngettext(
                    "Your useful case #%(case)s (%(programme)s) was approved: %(num)s RV was added to your "
                    "balance.",
                    "Your useful case #%(case)s (%(programme)s) was approved: %(num)s RV were added to your "
                    "balance.",
                    int(params.get("rv", 0)),
                    case=case,
                    programme=programme,
                ),
                "/cases",
            )
        reasons = _reasons(t, params.get("reasons") or [])
        text = t.gettext(
            "Your useful case #%(case)s (%(programme)s) was rejected.", case=case, programme=programme
        )
        if reasons:
            text += " " + t.gettext("The reasons given: %(reasons)s.", reasons=reasons)
        return Told(t.gettext("Case #%(case)s rejected", case=case), text, "/cases")
    if kind in (NotificationKind.ROUND_OPENED, NotificationKind.ROUND_CLOSING):
        title, closes = _round_title(t, params), t.when(int(params.get("vote_end", 0)))
        path = f"/rounds/{params.get('round', '')}"
        if kind == NotificationKind.ROUND_OPENED:
            return Told(
                t.gettext("Voting is open: %(round)s", round=title),
                t.gettext(
                    "You can vote in “%(round)s” until %(date)s: spread your RV over the projects you want "
                    "funded.",
                    round=title,
                    date=closes,
                ),
                path,
            )
        return Told(
            t.gettext("Voting closes soon: %(round)s", round=title),
            t.gettext(
                "Voting in “%(round)s” closes at %(date)s. Until then you may cast or change your ballot.",
                round=title,
                date=closes,
            ),
            path,
        )
    project = str(params.get("project_title") or t.gettext("Project #%(id)s", id=params.get("project", "?")))
    if "number" in params:  # a milestone of its delivery plan, its report accepted by the council
        text = t.gettext(
            "“%(project)s” reached milestone %(number)s of %(count)s: the council accepted its report.",
            project=project,
            number=params.get("number"),
            count=params.get("count"),
        )
    else:
        text = t.gettext(
            "“%(project)s” reached a milestone: %(milestone)s",
            project=project,
            milestone=params.get("text", ""),
        )
    return Told(
        t.gettext("News of a project you voted for: %(project)s", project=project),
        text,
        f"/rounds/{params.get('round', '')}",
    )


def email_text(
    t: Translator,
    kind: NotificationKind | str,
    params: Mapping[str, Any],
    *,
    name: str,
    hromada_name: str,
    hromada_url: str,
) -> tuple[str, str]:
    """The subject and plain text of a notification's e-mail; ``hromada_url`` is the hromada's pages'
    address ("https://cts.example.org/h/rudky")."""
    said = told(t, kind, params)
    lines = [
        t.gettext("Hello, %(name)s!", name=name),
        "",
        said.text,
        "",
        t.gettext("Read more on your page: %(url)s", url=hromada_url + said.path),
        "",
        "-- ",
        hromada_name,
        t.gettext(
            "You get this e-mail as a resident of %(hromada)s in the Citizen Token System. Choose which "
            "messages you get, or turn e-mail off: %(url)s",
            hromada=hromada_name,
            url=hromada_url + "/me/notifications",
        ),
        t.gettext("Times are the blockchain's, %(zone)s.", zone=t.zone_name),
    ]
    return f"{said.heading} — {hromada_name}", "\n".join(lines) + "\n"
