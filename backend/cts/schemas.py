"""What the API accepts and returns: a schema family per entity (``XCreate``, ``XPublic``, ...).

Routes declare a ``...Public`` model as their response, built field by field from the database
object, so that nothing else (password hashes, encrypted keys) can ever be serialised by accident.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from cts.core.security import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from cts.models import Language, Role, User

# E.164: "+", a country code not starting with 0, at most 15 digits in all. Ukrainian numbers are
# +380 and nine digits. Spaces, dots, dashes and parentheses typed by people are dropped first.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
# Ukrainians type their numbers without the "+": "067 123 45 67" (the national form, trunk prefix 0),
# "380671234567" or "00380671234567". Each is the same +380 number.
_UKRAINIAN_TYPED = re.compile(r"(?:(?:\+|00)?38)?(0[0-9]{9})")
# Deliberately simple (no quoted local parts, no IP literals): what people actually type.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
EMAIL_MAX_LENGTH = 254


def normalize_phone(value: str) -> str:
    """The E.164 form of a phone number typed with or without separators ("+380 67 123-45-67"),
    with Ukrainian numbers also as people type them at home ("067 123 45 67", "380671234567")."""
    compact = _PHONE_SEPARATORS.sub("", value)
    ukrainian = _UKRAINIAN_TYPED.fullmatch(compact)
    if ukrainian:
        return "+38" + ukrainian.group(1)
    if compact.startswith("+380") or not _E164.fullmatch(compact):
        # a +380 number of the wrong length is a typing slip, not some other country's number
        raise ValueError("must be a phone number, e.g. 067 123 45 67 or +380671234567")
    return compact


def normalize_email(value: str) -> str:
    """An e-mail address, trimmed and lowercased (addresses are compared case-insensitively)."""
    lowered = value.strip().lower()
    if len(lowered) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(lowered):
        raise ValueError("must be an e-mail address, e.g. name@example.org")
    return lowered


def normalize_login(value: str) -> str:
    """A login identifier: an e-mail address if it has an "@", otherwise a phone number."""
    if "@" in value:
        return normalize_email(value)
    try:
        return normalize_phone(value)
    except ValueError:
        raise ValueError(
            "must be your phone number (e.g. 067 123 45 67 or +380671234567) or your e-mail address"
        ) from None


def check_password_policy(password: SecretStr) -> SecretStr:
    length = len(password.get_secret_value())
    if length < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters long")
    if length > PASSWORD_MAX_LENGTH:
        raise ValueError(f"must be at most {PASSWORD_MAX_LENGTH} characters long")
    return password


Phone = Annotated[str, AfterValidator(normalize_phone), Field(examples=["+380671234567"])]
Email = Annotated[str, AfterValidator(normalize_email), Field(examples=["olena@example.org"])]
NewPassword = Annotated[
    SecretStr,
    AfterValidator(check_password_policy),
    Field(json_schema_extra={"minLength": PASSWORD_MIN_LENGTH, "maxLength": PASSWORD_MAX_LENGTH}),
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class UserRegister(BaseModel):
    """Sign-up by a resident: a phone number or an e-mail address (or both) and a password."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone | None = None
    email: Email | None = None
    password: NewPassword
    display_name: DisplayName
    preferred_language: Language = Language.UK

    @model_validator(mode="after")
    def _needs_phone_or_email(self) -> Self:
        if self.phone is None and self.email is None:
            raise ValueError("give a phone number or an e-mail address (or both)")
        return self


class UserCreate(UserRegister):
    """A person's account created by a hromada's council, with a role in that hromada (a verifier, a
    coordinator, an auditor, another council member, a resident)."""

    role: Role


HromadaSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")]


class SignUp(UserRegister):
    """Sign-up by a resident, who joins the hromada they live in (the only one, if the service has one)."""

    hromada: HromadaSlug | None = None


class MembershipGrant(BaseModel):
    """Give a role in this hromada to a person who already has an account (found by phone or e-mail)."""

    model_config = ConfigDict(extra="forbid")

    login: Annotated[str, AfterValidator(normalize_login), Field(examples=["+380671234567"])]
    role: Role


class MembershipPublic(BaseModel):
    hromada: str
    role: Role


class UserPublic(BaseModel):
    """A user as the API shows them: their roles per hromada, the wallet's address, nothing of its key."""

    id: int
    phone: str | None
    email: str | None
    roles: list[MembershipPublic]
    is_operator: bool
    display_name: str
    preferred_language: Language
    is_disabled: bool
    created_at: datetime
    wallet_address: str
    own_wallet_address: str | None = None

    @classmethod
    def from_user(cls, user: User, *, only_hromada_id: int | None = None) -> Self:
        """The user, with their roles (only the one in ``only_hromada_id`` when given: a hromada's council
        sees nothing of a person's roles elsewhere)."""
        memberships = [
            m for m in user.memberships if only_hromada_id is None or m.hromada_id == only_hromada_id
        ]
        return cls(
            id=user.id,
            phone=user.phone,
            email=user.email,
            roles=[MembershipPublic(hromada=m.hromada.slug, role=m.role) for m in memberships],
            is_operator=user.is_operator,
            display_name=user.display_name,
            preferred_language=user.preferred_language,
            is_disabled=user.is_disabled,
            created_at=user.created_at,
            wallet_address=user.wallet.address,
            own_wallet_address=user.own_wallet_address,
        )


class LoginRequest(BaseModel):
    """A phone number or an e-mail address, and the password."""

    model_config = ConfigDict(extra="forbid")

    login: Annotated[str, AfterValidator(normalize_login), Field(examples=["+380671234567"])]
    # No length policy here: the policy applies when a password is chosen, not when it is typed.
    password: Annotated[SecretStr, Field(max_length=PASSWORD_MAX_LENGTH)]


class SessionPublic(BaseModel):
    """A new login: the bearer token (also set as an HttpOnly cookie) and when it expires."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the OAuth 2 token type, not a secret)
    expires_at: datetime


class ErrorPublic(BaseModel):
    """Every error the API returns: a clear sentence and a stable code to branch on, and for some codes
    the figures the sentence is about (a limit refusal: ``needed_gas``, ``remaining_gas``, ``limit_gas``,
    ``renews_at`` as a Unix time)."""

    detail: str
    code: str
    params: dict[str, int | str | None] | None = None


class FieldErrorPublic(BaseModel):
    field: str
    message: str


class ValidationErrorPublic(ErrorPublic):
    """A 422: which fields are wrong and why (the values sent are never echoed back)."""

    errors: list[FieldErrorPublic]
