"""The refusals of community issues: each a CTSError with a stable code (the pages translate it, the API
returns it) and, for a field's refusal, the field it is about."""

from __future__ import annotations

from typing import ClassVar

from cts.errors import ConflictError, InvalidInputError, PermissionDeniedError, RateLimitedError


class IssueInvalidError(InvalidInputError):
    """Raised when an issue's fields cannot be accepted; ``field`` and ``code`` say which and why."""

    code = "issue_invalid"
    DETAILS: ClassVar[dict[str, str]] = {
        "issue_title_missing": "Give the issue a title.",
        "issue_title_too_long": "The title is too long.",
        "issue_description_missing": "Describe the issue.",
        "issue_description_too_long": "The description is too long.",
        "issue_settlement_unknown": "Choose one of the hromada's settlements.",
        "issue_category_unknown": "Choose one of the categories.",
        "issue_group_unknown": "Choose groups from the list only.",
        "issue_point_half": "Give both the latitude and the longitude, or neither.",
        "issue_point_invalid": "Latitude and longitude are decimal degrees, such as 49.6532 and 23.4811.",
        "issue_point_outside": "The point is outside the hromada's map area.",
        "issue_area_missing": "The hromada has no map area yet, so an issue cannot be given a point.",
        "issue_photos_too_many": "Too many photos.",
        "issue_photo_type": "A photo must be a JPEG, PNG or WebP picture.",
        "issue_photo_too_large": "A photo is too large.",
        "issue_close_reason_missing": "Say why the issue is closed.",
        "issue_close_reason_too_long": "The reason is too long.",
        "issue_state_unknown": "Choose one of the states.",
        "area_box_invalid": "The map area must be south < north and west < east, in degrees, at most 2 "
        "degrees across.",
        "area_settlements_missing": "Name at least one settlement.",
        "area_settlement_too_long": "A settlement's name is too long.",
        "area_settlement_in_use": "A settlement that issues name cannot be removed.",
    }

    def __init__(self, field: str, code: str, **params: int | str) -> None:
        super().__init__(self.DETAILS.get(code, "Some values are not acceptable."))
        self.field = field
        self.code = code  # type: ignore[misc]
        self.params = {"field": field, **params}
        # Every wrong field of the same request (a form marks each), this one first.
        self.problems: dict[str, IssueInvalidError] = {field: self}


class IssueConflictError(ConflictError):
    """Raised when an action does not fit the issue's state: endorsing twice, withdrawing what was never
    given, moving an issue to a state it cannot reach from its own."""

    DETAILS: ClassVar[dict[str, str]] = {
        "issue_already_endorsed": "You already endorse this issue; an endorsement counts once.",
        "issue_not_endorsed": "You do not endorse this issue, so there is nothing to withdraw.",
        "issue_not_open": "Only open issues and issues being answered can be endorsed.",
        "issue_state_transition": "The issue cannot move to that state from its current one.",
    }

    def __init__(self, code: str, **params: int | str) -> None:
        super().__init__(self.DETAILS[code])
        self.code = code  # type: ignore[misc]
        self.params = dict(params)


class IssueForbiddenError(PermissionDeniedError):
    """Raised when the person may not do this to an issue (their own issue, not a registered resident)."""

    DETAILS: ClassVar[dict[str, str]] = {
        "issue_own": "You cannot endorse an issue you posted yourself.",
        "issue_endorser_not_registered": "Only residents the council has registered can endorse issues.",
    }

    def __init__(self, code: str) -> None:
        super().__init__(self.DETAILS[code])
        self.code = code  # type: ignore[misc]


class IssueDailyLimitError(RateLimitedError):
    """Raised when a person posts more issues in a day than anyone needs to."""

    code = "issue_daily_limit"
    detail = "You have posted the most issues one person may post in a day. Please come back tomorrow."
