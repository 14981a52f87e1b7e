"""The comment bank (SPEC §13): feedback snippets a mentor saves and inserts while reviewing."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain import snippets as rules
from ..domain.catalogue import TRACKS
from ..extensions import db
from .base import UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from ..caching import Change


class CommentSnippet(db.Model):
    __tablename__ = "comment_snippets"
    __table_args__ = (
        CheckConstraint("track IS NULL OR " + check_in("track", TRACKS), name="track"),
        Index("ix_comment_snippets_owner", "owner_id", "track", "title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None: offered in reviews of every track; else only in reviews of that track's missions.
    track: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(rules.TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py): only its owner's comment bank and review
        workspace, both rendered per request."""
        return set()
