"""Signing in, one implementation for the API's login and the pages' sign-in, with its three limits:

- per account (``login``): a few guesses, then one per interval, whether or not the account exists;
- per client address (``login-client``): failed attempts only, so that one client cannot try password
  after password over many accounts (a shared address, such as a library or a mobile operator's NAT,
  is not refused for its successful sign-ins);
- per known device (``login-device``): a browser or app that signed in to this account before carries a
  device token (a cookie, HMAC-signed by the service). Its attempts are counted on their own, so the
  per-account lock that anybody can trigger by guessing never locks out the owner on their own device.

Only hashes of logins and client addresses are stored, never the values themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextlib import suppress
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from cts.core.config import Settings
from cts.core.ratelimit import RateLimit, check_rate_limit, enforce_rate_limit
from cts.core.security import DummyPasswordCheck, password_needs_rehash, verify_password
from cts.crud import get_user_by_login
from cts.errors import AccountDisabledError, InvalidCredentialsError, RateLimitedError
from cts.models import User

DEVICE_COOKIE = "cts_device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
# A shared device (a coordinator's tablet at the community centre) remembers this many accounts.
DEVICE_TOKENS_KEPT = 8
_TOKEN_SEPARATOR = "~"  # noqa: S105  (a separator, not a secret)


def login_subject(login: str) -> str:
    """The throttling bucket of a login identifier: hashed, so that the table keeps no phone numbers
    or e-mail addresses (of accounts that may not even exist)."""
    return "login:" + hashlib.sha256(login.encode("utf-8")).hexdigest()[:32]


def client_subject(client: str) -> str:
    return "client:" + hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]


def login_limit(settings: Settings) -> RateLimit:
    return RateLimit("login", settings.login_attempts_per_window, settings.login_window_seconds)


def client_limit(settings: Settings) -> RateLimit:
    return RateLimit("login-client", settings.login_client_failures_per_window, settings.login_window_seconds)


def device_limit(settings: Settings) -> RateLimit:
    return RateLimit("login-device", settings.login_attempts_per_window, settings.login_window_seconds)


def _device_key(settings: Settings) -> bytes:
    return hmac.new(
        settings.master_key.get_secret_value().encode(), b"cts/device-token/v1", hashlib.sha256
    ).digest()


def _device_mac(settings: Settings, login: str, nonce: str) -> str:
    message = f"{login_subject(login)}|{nonce}".encode()
    return hmac.new(_device_key(settings), message, hashlib.sha256).hexdigest()[:32]


def _device_tokens(cookie: str | None) -> list[str]:
    if not cookie:
        return []
    return [token for token in cookie.split(_TOKEN_SEPARATOR) if token][:DEVICE_TOKENS_KEPT]


def known_device(settings: Settings, login: str, cookie: str | None) -> str | None:
    """The device's nonce if ``cookie`` holds a valid device token for ``login``, else None."""
    for token in _device_tokens(cookie):
        nonce, _, mac = token.partition(".")
        if nonce and mac and hmac.compare_digest(mac, _device_mac(settings, login, nonce)):
            return nonce
    return None


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the user, and the device cookie to set (this account remembered first)."""

    user: User
    device_cookie: str


def sign_in(
    session: Session,
    settings: Settings,
    password_hasher: PasswordHasher,
    dummy_password_check: DummyPasswordCheck,
    *,
    login: str,
    password: str,
    client: str,
    device_cookie: str | None,
) -> SignIn:
    """Check a login and password within the limits above. Raises RateLimitedError,
    InvalidCredentialsError or AccountDisabledError; commits the attempt's tokens in every case (a failed
    attempt must count). The caller opens the session."""
    device = known_device(settings, login, device_cookie)
    if device is not None:
        enforce_rate_limit(session, device_limit(settings), "device:" + device)
    else:
        check_rate_limit(session, client_limit(settings), client_subject(client))
        enforce_rate_limit(session, login_limit(settings), login_subject(login))
    session.commit()

    user = get_user_by_login(session, login)
    if user is None:
        dummy_password_check.run(password)
    if user is None or not verify_password(password_hasher, user.password_hash, password):
        if device is None:
            # Already out of tokens: the next attempt from this client is refused anyway.
            with suppress(RateLimitedError):
                enforce_rate_limit(session, client_limit(settings), client_subject(client))
            session.commit()
        raise InvalidCredentialsError()
    if user.is_disabled:
        raise AccountDisabledError()
    if password_needs_rehash(password_hasher, user.password_hash):
        user.password_hash = password_hasher.hash(password)
    nonce = device or secrets.token_urlsafe(12)
    token = f"{nonce}.{_device_mac(settings, login, nonce)}"
    others = [t for t in _device_tokens(device_cookie) if t != token]
    return SignIn(user, _TOKEN_SEPARATOR.join([token, *others][:DEVICE_TOKENS_KEPT]))
