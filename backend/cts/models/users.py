"""People and their custodial wallets and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from cts.models.hromadas import Membership

from cts.core.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a person may do in one hromada (see cts.models.hromadas.Membership): one role per hromada."""

    RESIDENT = "resident"
    VERIFIER = "verifier"
    COORDINATOR = "coordinator"
    COUNCIL = "council"
    AUDITOR = "auditor"
    PARTNER = "partner"  # a business, the local budget, an NGO, a donor (docs/cofinancing.md)


class Language(enum.StrEnum):
    """Language of the pages and messages a user sees; Ukrainian by default."""

    UK = "uk"
    EN = "en"


def _string_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """An enum stored as its string value with a CHECK constraint (portable: no native ENUM type)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class User(Base):
    """A person with an account: a resident, or someone who runs or audits the hromada's programmes.

    A user logs in with a phone number (E.164) or an e-mail address (stored lowercased); at least
    one of the two is present.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="phone_or_email"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    preferred_language: Mapped[Language] = mapped_column(
        _string_enum(Language, "language"), default=Language.UK, server_default=Language.UK.value
    )
    is_disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The service's operator: onboards hromadas and watches the service's health; no role in any hromada
    # follows from it (an operator sees no hromada's private data).
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A wallet the person holds themselves (its key is theirs alone), linked by a signed statement
    # (POST /api/users/me/own-wallet): only this account may relay requests that wallet signed.
    own_wallet_address: Mapped[str | None] = mapped_column(String(42), unique=True)

    wallet: Mapped[Wallet] = relationship(back_populates="user")
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def role_in(self, hromada_id: int) -> Role | None:
        """The person's role in a hromada, or None."""
        for membership in self.memberships:
            if membership.hromada_id == hromada_id:
                return membership.role
        return None

    def __repr__(self) -> str:
        # No phone, e-mail or hash: reprs end up in logs.
        return f"User(id={self.id!r})"


class Wallet(Base):
    """A user's custodial wallet: the address, and its private key encrypted under the master key.

    The key columns are written and read only by ``cts.core.keystore``; see there for the format.
    ``migrated_from`` keeps the previous address when a resident was moved to a new one.
    """

    __tablename__ = "wallets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: deleting a user must never silently delete the only copy of a key.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    address: Mapped[str] = mapped_column(String(42), unique=True)
    key_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    key_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_version: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    migrated_from: Mapped[str | None] = mapped_column(String(42))

    user: Mapped[User] = relationship(back_populates="wallet")

    def __repr__(self) -> str:
        return f"Wallet(id={self.id!r}, user_id={self.user_id!r}, address={self.address!r})"


class AuthSession(Base):
    """A login. Only the SHA-256 of the session token is stored, so a database leak yields no sessions."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_revoked: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"AuthSession(id={self.id!r}, user_id={self.user_id!r}, expires_at={self.expires_at!r})"
