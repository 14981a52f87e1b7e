"""Portfolio items (SPEC §6)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.portfolio import ITEM_TYPES, STATUSES, VISIBILITIES
from ..extensions import db
from .base import JSONDoc, UTCDateTime, check_in, utcnow
from .capstones import CapstoneProject
from .catalogue import Mission
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class PortfolioItem(db.Model):
    __tablename__ = "portfolio_items"
    __table_args__ = (
        CheckConstraint(check_in("item_type", ITEM_TYPES), name="item_type"),
        CheckConstraint(check_in("status", STATUSES), name="status"),
        CheckConstraint(check_in("visibility", VISIBILITIES), name="visibility"),
        Index("ix_portfolio_items_owner", "owner_id", "status", "visibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    item_type: Mapped[str] = mapped_column(String(32))
    evidence_files: Mapped[list] = mapped_column(JSONDoc, default=list)
    skill_tags: Mapped[list] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id", ondelete="SET NULL"))
    capstone_id: Mapped[int | None] = mapped_column(ForeignKey("capstone_projects.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")
    # What the approving mentor wrote for publication (opt-in: empty shows nothing). The only words of the mentor
    # a visitor sees; review_note and the capstone review's feedback stay with the learner and their mentors.
    public_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fingerprints of the likely secrets found in the item that the owner confirmed as safe or redacted.
    confirmed_findings: Mapped[list] = mapped_column(JSONDoc, default=list)
    # A capstone_result's case study as the mentor approved it (domain.portfolio.make_case_study), taken when the
    # item is approved: what an approved item shows, never the live capstone. None until the first approval.
    case_study: Mapped[dict | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    mission: Mapped[Mission | None] = relationship()
    capstone: Mapped[CapstoneProject | None] = relationship()

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the owner's."""
        return change.learners("owner_id")


class PortfolioTransition(db.Model):
    """Every status change of an item: who, when, from what to what, and the note."""

    __tablename__ = "portfolio_transitions"
    __table_args__ = (Index("ix_portfolio_transitions_item", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("portfolio_items.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the item's owner's."""
        return change.learners("item_id.owner_id")
