"""What the issue pages call categories, groups and states, and what they say for each refusal of
cts.issues (by its code), in the page's language."""

from __future__ import annotations

from cts.errors import CTSError
from cts.web.i18n import Translator


def category_names(t: Translator) -> dict[str, str]:
    pgettext = t.pgettext
    return {
        "infrastructure": pgettext("issue category", "Infrastructure"),
        "safety": pgettext("issue category", "Safety and shelters"),
        "social_care": pgettext("issue category", "Social care"),
        "idps": pgettext("issue category", "Internally displaced people"),
        "veterans": pgettext("issue category", "Veterans"),
        "youth": pgettext("issue category", "Youth"),
        "environment": pgettext("issue category", "Environment"),
        "economy": pgettext("issue category", "Economy"),
        "other": pgettext("issue category", "Other"),
    }


def group_names(t: Translator) -> dict[str, str]:
    pgettext = t.pgettext
    return {
        "elderly": pgettext("affected group", "Elderly people"),
        "disabilities": pgettext("affected group", "People with disabilities"),
        "idps": pgettext("affected group", "Internally displaced people"),
        "veterans": pgettext("affected group", "Veterans and their families"),
        "children": pgettext("affected group", "Children"),
        "low_income": pgettext("affected group", "Low-income households"),
    }


def state_names(t: Translator) -> dict[str, str]:
    pgettext = t.pgettext
    return {
        "open": pgettext("issue state", "open"),
        "answering": pgettext("issue state", "being answered"),
        "resolved": pgettext("issue state", "resolved"),
        "closed": pgettext("issue state", "closed"),
    }


def issue_error_messages(t: Translator) -> dict[str, str]:
    """The refusals of cts.issues by code (merged into cts.web.messages.error_messages, so that ``t.error``
    and ``t.refusal`` know them)."""
    _ = t.gettext
    return {
        "issue_invalid": _("Some values of the issue are not acceptable."),
        "issue_title_missing": _("Give the issue a short title."),
        "issue_title_too_long": _("The title is too long: at most %(max)s characters."),
        "issue_description_missing": _("Describe the issue: what is wrong, and since when."),
        "issue_description_too_long": _("The description is too long: at most %(max)s characters."),
        "issue_settlement_unknown": _("Choose one of the hromada's settlements."),
        "issue_category_unknown": _("Choose one of the categories."),
        "issue_group_unknown": _("Choose groups from the list only."),
        "issue_point_half": _("Give both the latitude and the longitude, or leave both empty."),
        "issue_point_invalid": _("Write degrees as a decimal number, for example 49.6532."),
        "issue_point_outside": _(
            "This point is outside the hromada's map: latitude from %(south)s to %(north)s, longitude from "
            "%(west)s to %(east)s."
        ),
        "issue_area_missing": _(
            "The council has not yet set the hromada's map, so a point cannot be given: leave it empty."
        ),
        "issue_photos_too_many": _("At most %(max)s photos."),
        "issue_photo_type": _("A photo must be a JPEG, PNG or WebP picture."),
        "issue_photo_too_large": _("This photo is larger than the limit written under the field."),
        "issue_close_reason_missing": _(
            "Say why the issue is closed: the people who endorsed it will read it."
        ),
        "issue_close_reason_too_long": _("The reason is too long: at most %(max)s characters."),
        "issue_state_unknown": _("Choose one of the states."),
        "issue_already_endorsed": _("You already endorse this issue; an endorsement counts once."),
        "issue_not_endorsed": _("You do not endorse this issue, so there is nothing to withdraw."),
        "issue_not_open": _("Only open issues and issues being answered can be endorsed."),
        "issue_state_transition": _("The issue cannot move to that state from its current one."),
        "issue_own": _("You cannot endorse an issue you posted yourself."),
        "issue_endorser_not_registered": _(
            "Only residents the council has registered can endorse issues: one endorsement, one person."
        ),
        "issue_daily_limit": _(
            "You have posted the most issues one person may post in a day. Please come back tomorrow."
        ),
        "area_box_invalid": _(
            "The map must be south below north and west below east, in decimal degrees, at most 2 degrees "
            "across."
        ),
        "area_settlements_missing": _("Name at least one settlement, one per line."),
        "area_settlement_too_long": _("A settlement's name is too long: at most %(max)s characters."),
        "area_settlement_in_use": _("“%(name)s” cannot be removed: issues name it."),
    }


def field_errors(t: Translator, error: CTSError) -> dict[str, str]:
    """Each wrong field of a refused issue (IssueInvalidError names them all) and its message."""
    problems = getattr(error, "problems", None) or {}
    return {name: t.refusal(problem) for name, problem in problems.items()}
