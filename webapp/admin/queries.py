from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..models import AccountToken, MentorAssignment, User

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


ASSIGNMENTS_SHOWN = 50


def assignments(q: str | None = None):
    """Mentor assignments, newest first; with a search, those whose mentor or learner matches it."""
    from sqlalchemy.orm import aliased

    mentor, learner = aliased(User), aliased(User)
    stmt = (select(MentorAssignment)
            .join(mentor, MentorAssignment.mentor_id == mentor.id)
            .join(learner, MentorAssignment.learner_id == learner.id)
            .options(joinedload(MentorAssignment.mentor), joinedload(MentorAssignment.learner))
            .order_by(MentorAssignment.created_at.desc(), MentorAssignment.id.desc()))
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(mentor.email.like(pattern), learner.email.like(pattern),
                              mentor.handle.like(pattern), learner.handle.like(pattern)))
    return stmt


INVITATIONS_SHOWN = 50


def invitations():
    """Invitations not yet accepted nor revoked (expired ones too: they can be resent), newest first."""
    return (select(AccountToken)
            .where(AccountToken.purpose == "invite", AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
            .options(joinedload(AccountToken.mentor), joinedload(AccountToken.created_by))
            .order_by(AccountToken.created_at.desc(), AccountToken.id.desc()))
