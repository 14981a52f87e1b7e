"""Stored files: uploads kept by the storage backend under random keys (SPEC §7).

A file is uploaded first and attached when the form that uses it is saved; `flask files sweep`
removes files left unattached (and their stored objects) after a day.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.uploads import KINDS, format_duration
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class StoredFile(db.Model):
    __tablename__ = "stored_files"
    __table_args__ = (
        CheckConstraint(check_in("kind", KINDS), name="kind"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration_not_negative"),
        Index("ix_stored_files_owner", "owner_id", "created_at"),
        Index("ix_stored_files_unattached", "attached_at", "created_at"),
        Index("ix_stored_files_capstone", "capstone_id"),
        Index("ix_stored_files_review", "review_id"),
        Index("ix_stored_files_portfolio_item", "portfolio_item_id"),
        Index("ix_stored_files_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    # Whose work the file belongs to (the learner); the uploader may be their mentor.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    type_key: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(160))
    size: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[int | None]
    capstone_id: Mapped[int | None] = mapped_column(ForeignKey("capstone_projects.id", ondelete="SET NULL"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship_interactions.id", ondelete="SET NULL"))
    portfolio_item_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_items.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(String(60))
    # Captions (WebVTT) belong to the audio or video file they caption.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"))
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the upload was made, until it is attached (capstone_rules.upload_context): only there is it offered.
    uploaded_for: Mapped[str | None] = mapped_column(String(80))
    # None while the object is being stored (the row is committed first): such a row is nobody's file yet.
    # No default: SQLAlchemy would apply one to an explicit None (services/files.py sets it once stored).
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    captions: Mapped[list[StoredFile]] = relationship(order_by="StoredFile.id")

    @property
    def is_media(self) -> bool:
        return self.kind in ("audio", "video")

    @property
    def duration_label(self) -> str:
        return format_duration(self.duration_seconds)

    def as_evidence(self) -> dict:
        """The {key, filename, content_type, size} entry of SPEC §6 evidence_files."""
        return {"key": self.key, "filename": self.filename, "content_type": self.content_type, "size": self.size}

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): its owner's, and the learner's whose capstone,
        review or portfolio item it belongs to (a mentor's audio comment is the mentor's file but shows on the
        learner's pages)."""
        return change.learners("owner_id", "capstone_id.learner_id", "review_id.learner_id",
                               "portfolio_item_id.owner_id")
