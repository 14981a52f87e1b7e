from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..models import MentorAssignment, User

PER_PAGE = 50


def users(q: str | None, role: str | None):
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(pattern), func.lower(User.display_name).like(pattern),
                              User.handle.like(pattern)))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


def count(stmt):
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def assignments(limit: int = 200):
    return (select(MentorAssignment)
            .options(joinedload(MentorAssignment.mentor), joinedload(MentorAssignment.learner))
            .order_by(MentorAssignment.created_at.desc()).limit(limit))
