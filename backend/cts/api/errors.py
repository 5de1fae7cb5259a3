"""Exception handlers: every error leaves the API as ``{"detail": "...", "code": "..."}``.

Client errors carry their fixed message; server errors a generic one (the cause goes to the log).
Validation errors list the fields and what is wrong with each, never the values sent (a password
must not come back in an error, nor go to a log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cts.api.idempotency import IdempotentReplay, replay_response
from cts.errors import AuthenticationError, CTSError, RateLimitedError, ServiceUnavailableError
from cts.schemas import ErrorPublic, FieldErrorPublic, ValidationErrorPublic

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "service_unavailable",
}


def _error_response(
    status_code: int,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    params: dict[str, int | str | None] | None = None,
) -> Response:
    return JSONResponse(
        ErrorPublic(detail=detail, code=code, params=params or None).model_dump(exclude_none=True),
        status_code=status_code,
        headers=headers,
    )


def handle_cts_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, CTSError)
    if error.status_code >= 500 and not isinstance(error, ServiceUnavailableError):
        logger.error("%s on %s %s: %s", type(error).__name__, request.method, request.url.path, error)
        return _error_response(error.status_code, CTSError.detail, error.code)
    headers: dict[str, str] = {}
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, (RateLimitedError, ServiceUnavailableError)):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return _error_response(error.status_code, error.detail, error.code, headers or None, error.params)


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def _field_error(item: dict[str, Any]) -> FieldErrorPublic:
    if item.get("type") == "json_invalid":  # its location is a character position, not a field
        return FieldErrorPublic(field="body", message="is not valid JSON")
    return FieldErrorPublic(field=_field_name(tuple(item.get("loc", ()))), message=_message(item))


def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [_field_error(item) for item in error.errors()]
    body = ValidationErrorPublic(
        detail="Some fields are missing or invalid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
        code="validation_error",
        errors=errors,
    )
    return JSONResponse(body.model_dump(), status_code=422)


def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else "The request could not be processed."
    return _error_response(error.status_code, detail, code, dict(error.headers or {}) or None)


def handle_replay(request: Request, error: Exception) -> Response:
    assert isinstance(error, IdempotentReplay)
    return replay_response(error.record)


def handle_unexpected_error(request: Request, error: Exception) -> Response:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _error_response(500, CTSError.detail, CTSError.code)


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CTSError, handle_cts_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(IdempotentReplay, handle_replay)
    app.add_exception_handler(Exception, handle_unexpected_error)
