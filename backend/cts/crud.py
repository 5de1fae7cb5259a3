"""Data access for users, their wallets and their login sessions. Routes call these; none commits,
so that a route's whole change (and its idempotency record) is one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from pydantic import SecretStr
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cts.core.config import Settings
from cts.core.db import utcnow
from cts.core.keystore import build_wallet, generate_wallet
from cts.core.security import (
    digests_equal,
    hash_password,
    hash_session_token,
    new_session_token,
    session_expiry,
)
from cts.errors import AccountExistsError
from cts.models import AuthSession, Hromada, Membership, Role, User
from cts.schemas import UserRegister


def get_user_by_login(session: Session, login: str) -> User | None:
    """The user whose phone or e-mail is ``login`` (already normalised), if any."""
    column = User.email if "@" in login else User.phone
    return session.scalar(select(User).where(column == login))


def create_user(
    session: Session,
    user_in: UserRegister,
    *,
    password_hasher: PasswordHasher,
    master_key: SecretStr,
    role: Role | None = None,
    hromada: Hromada | None = None,
) -> User:
    """A new user with a new custodial wallet, flushed (so it has an id) but not committed; with ``role``
    in ``hromada`` when both are given (roles are per hromada: see cts.models.hromadas).

    Raises ``AccountExistsError`` when the phone or e-mail is taken, including by a concurrent
    sign-up that committed first (the unique constraints decide).
    """
    contacts = [
        column == value
        for column, value in ((User.phone, user_in.phone), (User.email, user_in.email))
        if value
    ]
    if session.scalar(select(User.id).where(or_(*contacts)).limit(1)) is not None:
        raise AccountExistsError()
    user = User(
        phone=user_in.phone,
        email=user_in.email,
        password_hash=hash_password(password_hasher, user_in.password.get_secret_value()),
        display_name=user_in.display_name,
        preferred_language=user_in.preferred_language,
    )
    user.wallet = build_wallet(generate_wallet(master_key))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AccountExistsError() from None
    if (role is None) != (hromada is None):
        raise ValueError("a role is given in a hromada: give both or neither")
    if role is not None and hromada is not None:
        session.add(Membership(user=user, hromada=hromada, role=role))
        session.flush()
    return user


def members_of(session: Session, hromada_id: int, roles: Iterable[Role]) -> list[tuple[User, Role]]:
    """The people holding one of ``roles`` in a hromada, with their role there, by name."""
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.hromada_id == hromada_id, Membership.role.in_(list(roles)))
        .order_by(User.display_name, User.id)
    ).all()
    return [(user, role) for user, role in rows]


@dataclass(frozen=True)
class NewAuthSession:
    """A login just created: the token (shown to the client once, never stored) and its row."""

    token: str
    auth_session: AuthSession

    def __repr__(self) -> str:
        return f"NewAuthSession(auth_session={self.auth_session!r})"


def create_auth_session(session: Session, user: User, settings: Settings) -> NewAuthSession:
    token = new_session_token()
    now = utcnow()
    auth_session = AuthSession(
        token_hash=hash_session_token(token),
        user=user,
        created_at=now,
        expires_at=session_expiry(now, settings),
    )
    session.add(auth_session)
    session.flush()
    return NewAuthSession(token=token, auth_session=auth_session)


def get_auth_session(session: Session, token: str) -> AuthSession | None:
    """The session a token belongs to, whatever its state (the caller checks expiry and revocation)."""
    token_hash = hash_session_token(token)
    found = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash))
    # The lookup is by index; the comparison again in constant time is defence in depth.
    if found is None or not digests_equal(found.token_hash, token_hash):
        return None
    return found


def is_auth_session_valid(auth_session: AuthSession, now: datetime) -> bool:
    return not auth_session.is_revoked and now < auth_session.expires_at
