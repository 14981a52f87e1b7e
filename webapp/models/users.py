"""Users and mentor assignments (SPEC §1)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.catalogue import ROLES, TRACKS
from ..domain.policies import MENTOR_ROLES
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from ..caching import Change


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("time_multiplier >= 1 AND time_multiplier <= 4", name="time_multiplier_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="learner", index=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    # The public page's links and contact (services.portfolio.clean_public_links: https only, never required).
    website_url: Mapped[str | None] = mapped_column(String(300))
    github_url: Mapped[str | None] = mapped_column(String(300))
    linkedin_url: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Capstone scores on the public page, its API view and its metadata: the learner opts in (README, Portfolio).
    show_scores: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(default=True)
    # Stretches time_elapsed triggers for learners who need extra time (set by a mentor or admin).
    time_multiplier: Mapped[float] = mapped_column(default=1.0, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    mentor_links: Mapped[list[MentorAssignment]] = relationship(
        foreign_keys="MentorAssignment.learner_id", back_populates="learner", cascade="all, delete-orphan")
    learner_links: Mapped[list[MentorAssignment]] = relationship(
        foreign_keys="MentorAssignment.mentor_id", back_populates="mentor", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_mentor(self) -> bool:
        return self.role in MENTOR_ROLES

    # The login session this instance was loaded for (services.sessions sets it; never stored in a column).
    # Flask-Login keeps this id, not the user's, in the session and the remember-me cookie (see auth/login.py):
    # a session that ends on the server then ends for every copy of its cookies.
    session_token = None
    session_id = None

    def get_session_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("Log in through services.sessions, which opens a session for the user.")
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.handle} {self.role}>"

    # Columns no cached page shows: a login or a new password must not make every cached page stale.
    CACHE_QUIET_COLUMNS = frozenset({"last_login_at", "password_hash", "updated_at"})

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): every page naming people, and the user's own."""
        if change.only(self.CACHE_QUIET_COLUMNS):
            return set()
        return {"people"} | change.learners("id")


class UserSession(db.Model):
    """A login session (one per login, on one device). The session cookie and the remember-me cookie carry a
    random id whose SHA-256 hash is `token_hash`; the row going away ends the session wherever its cookies are."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "Keep me logged in": the session lives as long as the remember-me cookie, else as the session cookie.
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved forward at most once an hour by a request of the session (services.sessions.TOUCH_EVERY).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): a login changes nothing cached."""
        return set()


class MentorAssignment(db.Model):
    """A mentor mentors a learner, for every track (track is NULL) or for one track."""

    __tablename__ = "mentor_assignments"
    __table_args__ = (
        UniqueConstraint("mentor_id", "learner_id", "track", name="uq_mentor_assignments_pair_track"),
        # NULL (every track) is distinct to a plain unique constraint, so the all-tracks case gets its own index.
        Index("uq_mentor_assignments_pair_all_tracks", "mentor_id", "learner_id", unique=True,
              sqlite_where=text("track IS NULL"), postgresql_where=text("track IS NULL")),
        CheckConstraint("mentor_id <> learner_id", name="not_self"),
        CheckConstraint(check_in("track", TRACKS) + " OR track IS NULL", name="track"),
        Index("ix_mentor_assignments_learner", "learner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    track: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], back_populates="learner_links")
    learner: Mapped[User] = relationship(foreign_keys=[learner_id], back_populates="mentor_links")

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): who mentors whom, the queue, the learner's."""
        return {"people", "reviews"} | change.learners("learner_id")
