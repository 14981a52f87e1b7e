"""E-mail waiting to be sent (the outbox) and the single-use links sent by e-mail (password reset, invitations).

A message is a row of `outgoing_emails` added in the transaction of the change that causes it
(services/mail.queue_email), and sent later by `flask worker` (services/mail.deliver_due): a change that rolls back
sends nothing, and a committed one is never lost.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.catalogue import ROLES
from ..domain.mail import EMAIL_STATUSES, TOKEN_PURPOSES
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class OutgoingEmail(db.Model):
    """One message to one address. `status` moves queued → sending (claimed by a worker) → sent, or back to queued
    with a later `next_attempt_at` after a temporary failure, or to failed with `last_error`."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (
        CheckConstraint(check_in("status", EMAIL_STATUSES), name="status"),
        # The worker's question: what is due (queued, by next_attempt_at), and which claims have gone stale.
        Index("ix_outgoing_emails_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    # The account the message is for, when it is for one: its mail is not sent once the account is deactivated.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One message per cause (e.g. one notification): queueing the same key again adds nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    user: Mapped[User | None] = relationship()

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py)."""
        return set()


class AccountToken(db.Model):
    """A single-use link sent by e-mail: a password reset (for `user_id`) or an invitation (for `email`, with the
    role and the optional mentor the new account gets, and the name and handle the admin suggested).
    Only the SHA-256 hash of the link's token is stored."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(check_in("purpose", TOKEN_PURPOSES), name="purpose"),
        CheckConstraint(check_in("role", ROLES) + " OR role IS NULL", name="role"),
        Index("ix_account_tokens_purpose_email", "purpose", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(16))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    display_name: Mapped[str | None] = mapped_column(String(120))
    handle: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    mentor: Mapped[User | None] = relationship(foreign_keys=[mentor_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): the admin page that lists invitations is not cached."""
        return set()
