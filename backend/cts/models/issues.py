"""Community issues (issue 18): what residents, NGOs and the council say the hromada needs, where, and for
whom; residents' endorsements; and the hromada's map area and settlements that issues are placed in.

Everything here lives in the service's database, per hromada (no rule of it needs the chain). Points are
stored as whole microdegrees (``lat_e6`` = latitude x 1,000,000), never floats: 1e-6 degree is about 11 cm.
Projects answering issues, partners and pledges (the rest of issue 18) will refer to ``issues.id``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cts.core.db import Base, UTCDateTime, utcnow
from cts.models.users import User, _string_enum


class IssueState(enum.StrEnum):
    """An issue's lifecycle: open; being answered (a project or the council works on it); resolved; closed
    with a reason (a duplicate, out of the hromada's remit...). Only the council moves it."""

    OPEN = "open"
    ANSWERING = "answering"
    RESOLVED = "resolved"
    CLOSED = "closed"


class IssueCategory(enum.StrEnum):
    INFRASTRUCTURE = "infrastructure"
    SAFETY = "safety"  # safety and shelters
    SOCIAL_CARE = "social_care"
    IDPS = "idps"
    VETERANS = "veterans"
    YOUTH = "youth"
    ENVIRONMENT = "environment"
    ECONOMY = "economy"
    OTHER = "other"


class AffectedGroup(enum.StrEnum):
    """The groups an issue affects, so that the council sees the issues of vulnerable groups apart."""

    ELDERLY = "elderly"
    DISABILITIES = "disabilities"
    IDPS = "idps"
    VETERANS = "veterans"  # veterans and their families
    CHILDREN = "children"
    LOW_INCOME = "low_income"


class IssueArea(Base):
    """A hromada's map: the box that every issue's point must lie in (microdegrees), set by the council."""

    __tablename__ = "issue_areas"
    __table_args__ = (CheckConstraint("south_e6 < north_e6 AND west_e6 < east_e6", name="box_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"), unique=True)
    south_e6: Mapped[int] = mapped_column(Integer)
    west_e6: Mapped[int] = mapped_column(Integer)
    north_e6: Mapped[int] = mapped_column(Integer)
    east_e6: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def contains(self, lat_e6: int, lon_e6: int) -> bool:
        return self.south_e6 <= lat_e6 <= self.north_e6 and self.west_e6 <= lon_e6 <= self.east_e6


class Settlement(Base):
    """A town or village of a hromada (issues name the one they are in)."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("hromada_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Issue(Base):
    """One issue of one hromada. ``number`` counts the hromada's issues from 1 (its address: /issues/<n>)."""

    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("hromada_id", "number"),
        CheckConstraint("(lat_e6 IS NULL) = (lon_e6 IS NULL)", name="point_whole"),
        CheckConstraint("state != 'closed' OR close_reason IS NOT NULL", name="closed_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hromada_id: Mapped[int] = mapped_column(ForeignKey("hromadas.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    lat_e6: Mapped[int | None] = mapped_column(Integer)
    lon_e6: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[IssueCategory] = mapped_column(_string_enum(IssueCategory, "issue_category"))
    state: Mapped[IssueState] = mapped_column(
        _string_enum(IssueState, "issue_state"), default=IssueState.OPEN, index=True
    )
    close_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship()
    settlement: Mapped[Settlement] = relationship()
    groups: Mapped[list[IssueGroup]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", order_by="IssueGroup.id"
    )
    photos: Mapped[list[IssuePhoto]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", order_by="IssuePhoto.id"
    )

    @property
    def group_names(self) -> list[str]:
        return [group.group.value for group in self.groups]

    @property
    def has_point(self) -> bool:
        return self.lat_e6 is not None and self.lon_e6 is not None


class IssueGroup(Base):
    """One group an issue affects (a row each, so the breakdown by group is a plain GROUP BY)."""

    __tablename__ = "issue_groups"
    __table_args__ = (UniqueConstraint("issue_id", "group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    group: Mapped[AffectedGroup] = mapped_column(_string_enum(AffectedGroup, "affected_group"))

    issue: Mapped[Issue] = relationship(back_populates="groups")


class IssuePhoto(Base):
    """A photo of an issue: stored by its SHA-256 as case evidence is (cts.web.files), but public."""

    __tablename__ = "issue_photos"
    __table_args__ = (UniqueConstraint("issue_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)

    issue: Mapped[Issue] = relationship(back_populates="photos")

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"


class IssueEndorsement(Base):
    """A resident's endorsement of an issue: one per resident per issue; withdrawing deletes it."""

    __tablename__ = "issue_endorsements"
    __table_args__ = (UniqueConstraint("issue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
