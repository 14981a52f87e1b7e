"""Read queries of the portfolio pages (eager loading: no lazy loads in loops)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..models import CapstoneProject, PortfolioItem


def own_items(owner_id: int, item_type: str | None = None, status: str | None = None,
              visibility: str | None = None):
    """The owner's items for /portfolio, newest change first, filtered by type, status and visibility."""
    stmt = (select(PortfolioItem)
            .options(joinedload(PortfolioItem.mission), joinedload(PortfolioItem.capstone)
                     .joinedload(CapstoneProject.mission), joinedload(PortfolioItem.reviewed_by))
            .where(PortfolioItem.owner_id == owner_id)
            .order_by(PortfolioItem.updated_at.desc(), PortfolioItem.id.desc()))
    if item_type:
        stmt = stmt.where(PortfolioItem.item_type == item_type)
    if status:
        stmt = stmt.where(PortfolioItem.status == status)
    if visibility:
        stmt = stmt.where(PortfolioItem.visibility == visibility)
    return stmt
