"""Sign-up, login, logout and "who am I"."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

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
from cts.core.signin import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, sign_in
from cts.crud import create_auth_session, create_user
from cts.hromadas import hromada_to_join
from cts.models import Role
from cts.schemas import LoginRequest, SessionPublic, SignUp, UserPublic

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409, 422, 429),
)
def signup(
    user_in: SignUp,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a resident's account and their custodial wallet, as a resident of the hromada named (or of
    the service's only hromada). Log in afterwards."""
    hromada = hromada_to_join(session, user_in.hromada)
    user = create_user(
        session,
        user_in,
        role=Role.RESIDENT if hromada is not None else None,
        hromada=hromada,
        password_hasher=password_hasher,
        master_key=settings.master_key,
    )
    return idempotency.respond(UserPublic.from_user(user), status.HTTP_201_CREATED)


@router.post("/login", response_model=SessionPublic, responses=error_responses(401, 403, 422, 429))
def login(
    credentials: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    dummy_password_check: DummyPasswordCheckDep,
) -> SessionPublic:
    """Log in with a phone number or e-mail and a password.

    Returns a bearer token and sets the same token as an HttpOnly, SameSite=Lax cookie: a web page
    uses the cookie, other clients the ``Authorization: Bearer`` header. Not idempotency-keyed:
    every call opens a new session. Throttled per phone/e-mail (whether or not an account exists) and
    failed attempts per client address; a device that signed in to the account before (the HttpOnly
    `cts_device` cookie) has an allowance of its own, so that strangers' guesses cannot lock it out.
    """
    signed_in = sign_in(
        session,
        settings,
        password_hasher,
        dummy_password_check,
        login=credentials.login,
        password=credentials.password.get_secret_value(),
        client=request.client.host if request.client else "unknown",
        device_cookie=request.cookies.get(DEVICE_COOKIE),
    )
    user = signed_in.user
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
    response.set_cookie(
        DEVICE_COOKIE,
        signed_in.device_cookie,
        max_age=DEVICE_COOKIE_MAX_AGE,
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
