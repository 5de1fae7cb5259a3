"""The errors of CTS: one root, ``CTSError``, so that callers can catch everything of ours at once.

Each error carries a fixed, clear ``detail`` (safe to show to a resident: no stack trace, no input
echoed back, nothing secret), a stable machine-readable ``code``, and the HTTP status the API answers
with. Services raise these; the API's exception handler turns them into
``{"detail": ..., "code": ...}``. Error messages never contain key material or passwords.
"""

from __future__ import annotations

from typing import ClassVar


class CTSError(Exception):
    """Raised for every failure that CTS itself detects; the root of all errors below."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    detail: str = "Something went wrong on our side. Please try again later."
    # Figures the message is about (what is left of a limit, when it renews), safe to show: the API
    # returns them beside the code, and the pages put them into the translated message.
    params: dict[str, int | str | None]

    def __init__(self, detail: str | None = None) -> None:
        if detail is not None:
            self.detail = detail
        self.params = {}
        super().__init__(self.detail)


# 400: the request cannot be processed as sent.


class BadRequestError(CTSError):
    """Raised when a request is malformed in a way that field validation does not cover."""

    status_code = 400
    code = "bad_request"
    detail = "The request is malformed."


class IdempotencyKeyMissingError(BadRequestError):
    """Raised when a mutating request comes without an ``Idempotency-Key`` header."""

    code = "idempotency_key_missing"
    detail = (
        "This request changes data and needs an Idempotency-Key header "
        "(8 to 128 characters: letters, digits, '-' or '_'), unique for each new action."
    )


class IdempotencyKeyInvalidError(BadRequestError):
    """Raised when the ``Idempotency-Key`` header is not 8-128 characters of [A-Za-z0-9_-]."""

    code = "idempotency_key_invalid"
    detail = "The Idempotency-Key header must be 8 to 128 characters: letters, digits, '-' or '_'."


# 401: we do not know who is asking.


class AuthenticationError(CTSError):
    """Raised when a request needs a signed-in user and does not identify one."""

    status_code = 401
    code = "not_authenticated"
    detail = "Please log in."


class NotAuthenticatedError(AuthenticationError):
    """Raised when a request that needs a signed-in user carries no session token."""


class SessionExpiredError(AuthenticationError):
    """Raised when the session token is unknown, revoked or past its expiry."""

    code = "session_expired"
    detail = "Your session has expired or was ended. Please log in again."


class InvalidCredentialsError(AuthenticationError):
    """Raised when a login does not match an account; the same message whether or not the account exists."""

    code = "invalid_credentials"
    detail = "The phone number or e-mail and password do not match."


# 403: we know who is asking, and they may not do this.


class PermissionDeniedError(CTSError):
    """Raised when a signed-in user may not perform the action."""

    status_code = 403
    code = "permission_denied"
    detail = "You are not allowed to do this."


class RoleRequiredError(PermissionDeniedError):
    """Raised when the action is reserved to roles the user does not have."""

    code = "role_required"
    detail = "Your role does not allow this action."


class AccountDisabledError(PermissionDeniedError):
    """Raised when a disabled account tries to log in or act."""

    code = "account_disabled"
    detail = "This account is disabled. Please contact your hromada's coordinator."


# 404


class NotFoundError(CTSError):
    """Raised when the requested thing does not exist (or the user may not know that it does)."""

    status_code = 404
    code = "not_found"
    detail = "Not found."


# 409: the request conflicts with what is already there.


class ConflictError(CTSError):
    """Raised when a request conflicts with the current state."""

    status_code = 409
    code = "conflict"
    detail = "The request conflicts with the current state."


class AccountExistsError(ConflictError):
    """Raised when signing up (or creating a user) with a phone number or e-mail already in use."""

    code = "account_exists"
    detail = "An account with this phone number or e-mail already exists."


class IdempotencyKeyReusedError(ConflictError):
    """Raised when an ``Idempotency-Key`` already used for a different request is sent again."""

    code = "idempotency_key_reused"
    detail = (
        "This Idempotency-Key was already used for a different request. "
        "Use a new key for a new action, or resend exactly the same request to retry."
    )


# 422: well-formed but not acceptable. (Field validation errors are 422 too, from the API layer.)


class InvalidInputError(CTSError):
    """Raised when input is well-formed but not acceptable, beyond per-field validation."""

    status_code = 422
    code = "invalid_input"
    detail = "The request contains invalid values."


# 429


class RateLimitedError(CTSError):
    """Raised when a user (or another subject) exceeds a rate limit; says when to try again."""

    status_code = 429
    code = "rate_limited"
    detail = "Too many requests. Please wait a little and try again."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__()
        self.retry_after_seconds = max(1, retry_after_seconds)


# 503: a service we depend on is away; the request may succeed later.


class ServiceUnavailableError(CTSError):
    """Raised when a service CTS depends on (the chain) does not answer; says when to try again."""

    status_code = 503
    code = "service_unavailable"
    detail = "The service is temporarily unavailable. Please try again in a minute."

    def __init__(self, detail: str | None = None, retry_after_seconds: int = 30) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


# 500: our fault. The details go to the operator's log, never to the client.


class KeystoreError(CTSError):
    """Raised when a custodial key cannot be encrypted, decrypted or re-encrypted."""

    code = "keystore_error"


class KeyVersionMismatchError(KeystoreError):
    """Raised when a key record was encrypted under a different master key than the one given."""


class KeyDecryptionError(KeystoreError):
    """Raised when a key record fails authenticated decryption (wrong key, or tampered record)."""
