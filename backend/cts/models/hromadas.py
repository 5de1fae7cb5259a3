"""The hromadas one service carries, and who holds which role in each.

A hromada is chosen by its slug in every URL that acts on it (``/h/<slug>/...``, ``/api/h/<slug>/...``).
Its contracts are the clones the factory made for it; their addresses come from a deployment manifest
when an operator onboards it (``cts hromada add``). A person has one account and holds at most one role
in each hromada (a verifier in one, a resident in another); the operator role is the service's own and
sees no hromada's private data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cts.core.db import Base, UTCDateTime, utcnow
from cts.models.users import Role, User, _string_enum

# A slug is a URL path segment: lowercase letters, digits, dashes and underscores, as manifests' keys are.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$"
# Enough for a day of the pilot's busiest work with room to spare: 854 registrations, 901 cases and
# their approvals take about 0.6 billion gas at today's costs (tests/backend/relayer/test_pilot_day.py).
# Operators change it per hromada.
DEFAULT_DAILY_GAS_BUDGET = 1_000_000_000


class Hromada(Base):
    """A hromada on one chain: its name, its contracts, and the gas the service pays for it per day."""

    __tablename__ = "hromadas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    # The factory's id of the hromada and the addresses of its five clones ("registry", "token",
    # "usefulCases", "balancedVote", "fund"); None for a hromada known by a migrated database whose
    # manifest has not been given yet (`cts hromada add` fills them in).
    factory_id: Mapped[int | None] = mapped_column(BigInteger)
    contracts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    forwarder: Mapped[str | None] = mapped_column(String(42))
    council: Mapped[str | None] = mapped_column(String(42))
    registrar: Mapped[str | None] = mapped_column(String(42))
    face_value_kopiyky: Mapped[int | None] = mapped_column(BigInteger)
    deployed_block: Mapped[int | None] = mapped_column(BigInteger)
    daily_gas_budget: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_DAILY_GAS_BUDGET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_ready(self) -> bool:
        """Whether its contracts are known (it can act)."""
        return bool(self.contracts) and self.forwarder is not None

    def __repr__(self) -> str:
        return f"Hromada(id={self.id!r}, slug={self.slug!r})"


class Membership(Base):
    """A person's role in one hromada (at most one role per hromada)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "hromada_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_string_enum(Role, "membership_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    hromada: Mapped[Hromada] = relationship()

    def __repr__(self) -> str:
        return f"Membership(user_id={self.user_id!r}, hromada_id={self.hromada_id!r}, role={self.role!r})"


class RoleBudget(Base):
    """The share of its hromada's daily gas one role may use: each person in the role, everyone in it
    together, and how many actions a person may ask per window. The council sets it; a role without a
    row uses the service's defaults (cts.budgets)."""

    __tablename__ = "role_budgets"
    __table_args__ = (UniqueConstraint("hromada_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_string_enum(Role, "role_budget_role"))
    person_daily_gas: Mapped[int] = mapped_column(BigInteger)
    role_share_percent: Mapped[int] = mapped_column(Integer)
    actions_per_window: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"RoleBudget(hromada_id={self.hromada_id!r}, role={self.role!r})"
