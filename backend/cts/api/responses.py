"""OpenAPI documentation of the error responses a route can give (all in the ErrorPublic shape)."""

from __future__ import annotations

from typing import Any

from cts.schemas import ErrorPublic, ValidationErrorPublic

_DESCRIPTIONS = {
    400: "Malformed request (e.g. a missing or malformed Idempotency-Key header)",
    401: "Not logged in, or the session has expired",
    403: "Logged in, but not allowed (role, or a disabled account)",
    404: "Not found",
    409: "Conflicts with existing data, or an Idempotency-Key reused for another request",
    422: "Some fields are missing or invalid",
    429: "Too many requests: see the Retry-After header",
    503: "The chain is unreachable for now: see the Retry-After header; nothing was changed",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "model": ValidationErrorPublic if code == 422 else ErrorPublic,
            "description": _DESCRIPTIONS[code],
        }
        for code in status_codes
    }
