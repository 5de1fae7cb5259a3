"""Passwords and session tokens.

Passwords are hashed with argon2id (parameters from the Settings; the default is argon2's
recommended profile). A session token is 32 random bytes given to the client once; the database
keeps only its SHA-256, so a copy of the database lets nobody log in as anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cts.core.config import Settings

SESSION_TOKEN_BYTES = 32
PASSWORD_MIN_LENGTH = 10
# Long enough for any passphrase; short enough that hashing it cannot be used to tie up the server.
PASSWORD_MAX_LENGTH = 1024


def build_password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash counts as no match, never as an error."""
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than ours (rehash it at the next login)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


class DummyPasswordCheck:
    """Spends the time of one password verification, for logins with an unknown identifier.

    Without it, a login for an account that does not exist answers faster than one with a wrong
    password, and the timing tells an attacker which phone numbers have accounts.
    """

    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self._hash = hasher.hash(secrets.token_urlsafe(16))

    def run(self, password: str) -> None:
        verify_password(self._hasher, self._hash, password)


def new_session_token() -> str:
    """A fresh bearer token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def hash_session_token(token: str) -> str:
    """What the database stores and looks up for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def digests_equal(first: str, second: str) -> bool:
    """Compare two digests in constant time (no early exit that timing could reveal)."""
    return hmac.compare_digest(first.encode("ascii"), second.encode("ascii"))


def session_expiry(now: datetime, settings: Settings) -> datetime:
    return now + timedelta(seconds=settings.session_ttl_seconds)
