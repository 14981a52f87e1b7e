"""In-app notifications and each user's e-mail choices for them (SPEC §12)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain import notifications as rules
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class Notification(db.Model):
    """One event told to one user. Written in the transaction of the change that causes it
    (services.notifications.notify); the link is built from `subject_type` and `subject_id` when shown
    (services.notifications.link_for), so it follows the thing itself."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(check_in("kind", rules.KINDS), name="kind"),
        CheckConstraint(check_in("subject_type", rules.SUBJECT_TYPES), name="subject_type"),
        # Time-based notifications fire once per user and key (NULL keys never collide).
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe_key"),
        # The list (newest first), the unread filter and the unread count.
        Index("ix_notifications_user_read_created", "user_id", "read_at", "created_at"),
        CheckConstraint("email_state IS NULL OR " + check_in("email_state", rules.EMAIL_STATES), name="email_state"),
        # The worker's e-mail jobs: the ones not yet looked at, and the ones waiting for a digest.
        Index("ix_notifications_email_state", "email_state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(rules.TITLE_MAX))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where it stands with e-mail (domain.notifications.EMAIL_STATES); NULL until the worker looks at it.
    email_state: Mapped[str | None] = mapped_column(String(12))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): the list and the count are read per request."""
        return set()


class NotificationPreference(db.Model):
    """A user's e-mail choice for one kind of notification; no row means the default
    (domain.notifications.DEFAULT_EMAIL)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint(check_in("kind", rules.KINDS), name="kind"),
        CheckConstraint(check_in("email", rules.EMAIL_CHOICES), name="email"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): only the account page, rendered per request."""
        return set()
