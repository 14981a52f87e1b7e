"""Rate-limit counters kept in the app's database, so a limit holds across workers and hosts
(webapp/ratelimit.py; RATELIMIT_STORAGE_URI=database://, the default)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

if TYPE_CHECKING:
    from ..caching import Change


class RateLimitCounter(db.Model):
    """One fixed window of one limit for one client: `count` hits until `expires_at` (seconds since the epoch)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)

    def cache_areas(self, change: Change) -> set[str]:
        """Shown on no cached page (webapp/caching/areas.py)."""
        return set()
