"""Sign-up, login, logout and "who am I"."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Response, status

from cts.api.deps import (
    SESSION_COOKIE,
    AuthenticationDep,
    CurrentUser,
    DummyPasswordCheckDep,
    PasswordHasherDep,
    SessionDep,
    SettingsDep,
)
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.core.config import Settings
from cts.core.ratelimit import RateLimit, enforce_rate_limit
from cts.core.security import password_needs_rehash, verify_password
from cts.crud import create_auth_session, create_user, get_user_by_login
from cts.errors import AccountDisabledError, InvalidCredentialsError
from cts.models import Role
from cts.schemas import LoginRequest, SessionPublic, UserPublic, UserRegister

router = APIRouter(prefix="/auth", tags=["auth"])


def login_subject(login: str) -> str:
    """The throttling bucket of a login identifier: hashed, so that the table keeps no phone numbers
    or e-mail addresses (of accounts that may not even exist)."""
    return "login:" + hashlib.sha256(login.encode("utf-8")).hexdigest()[:32]


def _login_limit(settings: Settings) -> RateLimit:
    return RateLimit(
        scope="login",
        capacity=settings.login_attempts_per_window,
        period_seconds=settings.login_window_seconds,
    )


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409, 422, 429),
)
def signup(
    user_in: UserRegister,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a resident's account and their custodial wallet. Log in afterwards."""
    user = create_user(
        session,
        user_in,
        role=Role.RESIDENT,
        password_hasher=password_hasher,
        master_key=settings.master_key,
    )
    return idempotency.respond(UserPublic.from_user(user), status.HTTP_201_CREATED)


@router.post("/login", response_model=SessionPublic, responses=error_responses(401, 403, 422, 429))
def login(
    credentials: LoginRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    dummy_password_check: DummyPasswordCheckDep,
) -> SessionPublic:
    """Log in with a phone number or e-mail and a password.

    Returns a bearer token and sets the same token as an HttpOnly, SameSite=Lax cookie: a web page
    uses the cookie, other clients the ``Authorization: Bearer`` header. Not idempotency-keyed:
    every call opens a new session. Throttled per phone/e-mail, whether or not an account exists.
    """
    enforce_rate_limit(session, _login_limit(settings), login_subject(credentials.login))
    session.commit()  # failed attempts count too

    password = credentials.password.get_secret_value()
    user = get_user_by_login(session, credentials.login)
    if user is None:
        dummy_password_check.run(password)
        raise InvalidCredentialsError()
    if not verify_password(password_hasher, user.password_hash, password):
        raise InvalidCredentialsError()
    if user.is_disabled:
        raise AccountDisabledError()
    if password_needs_rehash(password_hasher, user.password_hash):
        user.password_hash = password_hasher.hash(password)
    new_session = create_auth_session(session, user, settings)
    session.commit()

    response.set_cookie(
        SESSION_COOKIE,
        new_session.token,
        max_age=settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=not settings.is_development,
        path="/",
    )
    return SessionPublic(access_token=new_session.token, expires_at=new_session.auth_session.expires_at)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(400, 409),
)
def logout(
    authentication: AuthenticationDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """End the session whose token the request carries, and clear the cookie.

    Succeeds also when the session had already ended: logging out twice is not an error.
    """
    if authentication.auth_session is not None:
        authentication.auth_session.is_revoked = True
    response = idempotency.respond(None, status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=not settings.is_development
    )
    return response


@router.get("/me", response_model=UserPublic, responses=error_responses(401, 403))
def read_me(user: CurrentUser) -> UserPublic:
    """The signed-in user, with their wallet's address."""
    return UserPublic.from_user(user)
