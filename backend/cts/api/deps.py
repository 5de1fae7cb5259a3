"""Dependencies of the routes, as ``Annotated`` aliases: the settings, a database session, the
signed-in user and role checks. Role checks live here, on the route's signature, never in its body."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.core.db import utcnow
from cts.core.ratelimit import RateLimit, enforce_rate_limit, user_subject
from cts.core.security import DummyPasswordCheck
from cts.crud import get_auth_session, is_auth_session_valid
from cts.errors import (
    AccountDisabledError,
    NotAuthenticatedError,
    RoleRequiredError,
    SessionExpiredError,
)
from cts.hromadas import HromadaDirectory, get_hromada
from cts.models import AuthSession, Hromada, Role, User
from cts.models.hromadas import SLUG_PATTERN
from cts.relayer.service import RelayerService

SESSION_COOKIE = "cts_session"


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request. Routes commit their work; anything uncommitted is rolled back."""
    session_factory: sessionmaker[Session] = request.app.state.session_factory
    with session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]


def get_dummy_password_check(request: Request) -> DummyPasswordCheck:
    check: DummyPasswordCheck = request.app.state.dummy_password_check
    return check


DummyPasswordCheckDep = Annotated[DummyPasswordCheck, Depends(get_dummy_password_check)]

# Declared as security schemes so that OpenAPI (and /api/docs) shows both ways of sending the token.
_bearer_scheme = HTTPBearer(auto_error=False, description="The access_token returned by /api/auth/login.")
_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Set by /api/auth/login (HttpOnly)."
)


@dataclass(frozen=True)
class Authentication:
    """What the request says about who is asking: the token it carries and the session it opens."""

    token: str | None
    auth_session: AuthSession | None

    def __repr__(self) -> str:
        return f"Authentication(auth_session={self.auth_session!r})"

    @property
    def user(self) -> User | None:
        return self.auth_session.user if self.auth_session is not None else None


def get_authentication(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
    cookie: Annotated[str | None, Depends(_cookie_scheme)],
) -> Authentication:
    """Read the token from ``Authorization: Bearer`` (preferred) or the session cookie.

    A token that is unknown, revoked or expired yields no session (``auth_session`` is None).
    """
    token = bearer.credentials if bearer is not None else cookie
    if not token:
        return Authentication(token=None, auth_session=None)
    auth_session = get_auth_session(session, token)
    if auth_session is None or not is_auth_session_valid(auth_session, utcnow()):
        return Authentication(token=token, auth_session=None)
    return Authentication(token=token, auth_session=auth_session)


AuthenticationDep = Annotated[Authentication, Depends(get_authentication)]


def get_optional_user(authentication: AuthenticationDep) -> User | None:
    """The signed-in user, or None for an anonymous request (or one whose session has ended)."""
    user = authentication.user
    if user is not None and user.is_disabled:
        return None
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(authentication: AuthenticationDep) -> User:
    """The signed-in user: 401 without a valid session, 403 if the account is disabled."""
    if authentication.token is None:
        raise NotAuthenticatedError()
    user = authentication.user
    if user is None:
        raise SessionExpiredError()
    if user.is_disabled:
        raise AccountDisabledError()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_directory(request: Request) -> HromadaDirectory:
    directory: HromadaDirectory = request.app.state.directory
    return directory


DirectoryDep = Annotated[HromadaDirectory, Depends(get_directory)]


def get_current_hromada(
    slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64, description="The hromada's key")],
    session: SessionDep,
) -> Hromada:
    """The hromada named by the URL (``/api/h/<slug>/...``): every read and write of the route is scoped
    by it. 404 if the service carries no such hromada."""
    return get_hromada(session, slug)


CurrentHromada = Annotated[Hromada, Depends(get_current_hromada)]


def require_roles(*roles: Role) -> Callable[[User, Hromada], User]:
    """A dependency that lets through only signed-in users holding one of ``roles`` in the URL's hromada
    (403 otherwise, whatever role they hold elsewhere)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)

    def check_role(user: CurrentUser, hromada: CurrentHromada) -> User:
        if user.role_in(hromada.id) not in allowed:
            raise RoleRequiredError()
        return user

    check_role.__name__ = "require_" + "_or_".join(role.value for role in roles)
    return check_role


ResidentUser = Annotated[User, Depends(require_roles(Role.RESIDENT))]
# Verifiers and coordinators both approve useful cases; coordinators also record them for residents.
VerifierUser = Annotated[User, Depends(require_roles(Role.VERIFIER, Role.COORDINATOR))]
CoordinatorUser = Annotated[User, Depends(require_roles(Role.COORDINATOR))]
CouncilUser = Annotated[User, Depends(require_roles(Role.COUNCIL))]
AuditorUser = Annotated[User, Depends(require_roles(Role.AUDITOR))]
PartnerUser = Annotated[User, Depends(require_roles(Role.PARTNER))]
MemberUser = Annotated[User, Depends(require_roles(*Role))]


def require_operator(user: CurrentUser) -> User:
    """The service's operator (onboards hromadas, sees the service's health, no hromada's private data)."""
    if not user.is_operator:
        raise RoleRequiredError()
    return user


OperatorUser = Annotated[User, Depends(require_operator)]


def rate_limited(limit: RateLimit) -> Callable[[User, Session], None]:
    """A dependency that takes one token of ``limit`` per request of the signed-in user (429 when empty).

    The token is committed at once, so that requests that fail afterwards still count.
    """

    def take_token(user: CurrentUser, session: SessionDep) -> None:
        enforce_rate_limit(session, limit, user_subject(user.id))
        session.commit()

    take_token.__name__ = f"rate_limit_{limit.scope}"
    return take_token


def get_relayer(request: Request, hromada: CurrentHromada, directory: DirectoryDep) -> RelayerService:
    """The relayer acting for the URL's hromada (its contracts and allowlist; one shared chain connection)."""
    settings: Settings = request.app.state.settings
    return RelayerService(settings, directory.context(hromada), hromada)


RelayerDep = Annotated[RelayerService, Depends(get_relayer)]
