"""Cohorts (SPEC §13): a named group of learners with their mentors ("Spring 2027 SOC cohort").

A cohort filters and organises (the gradebook's cohort filter, the learner page); it grants no access: what a
mentor may see stays the mentor assignments (services/access.py). Whether a member is a learner or a mentor of
the cohort is their user role (domain/cohorts.member_kind).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.catalogue import TRACKS
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        UniqueConstraint("name", name="uq_cohorts_name"),
        CheckConstraint(check_in("track", TRACKS) + " OR track IS NULL", name="track"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # The track the cohort studies, if one (shown beside its name; the gradebook's track filter stays separate).
    track: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The ORM deletes the member rows itself (SQLite does not enforce the foreign keys' ON DELETE CASCADE).
    members: Mapped[list[CohortMember]] = relationship(back_populates="cohort", cascade="all, delete-orphan")

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): the admin pages, the gradebook and the learner page
        that show cohorts are made per request."""
        return set()

    def __repr__(self) -> str:
        return f"<Cohort {self.name!r}>"


class CohortMember(db.Model):
    """A user in a cohort: a learner or a mentor of it, by their role."""

    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id", name="uq_cohort_members_pair"),
        Index("ix_cohort_members_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (see Cohort.cache_areas)."""
        return set()
