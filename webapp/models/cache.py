"""Revisions of cached data: a row per cached area, changed in the same transaction as the data it covers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

if TYPE_CHECKING:
    from ..caching import Change


class CacheRevision(db.Model):
    """`revision` is a fresh random token each time data of the area `name` changes, so every worker and every
    host sees a change with one primary-key read, and a token is never reused (not even after a restore)."""

    __tablename__ = "cache_revisions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    revision: Mapped[str] = mapped_column(String(32))

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py)."""
        return set()
