"""Turn a user row into the plain Actor the policies reason about."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.policies import ANONYMOUS, Actor
from ..extensions import db
from ..models import MentorAssignment, User


def actor_for(user: User | None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    mentees: frozenset[int] = frozenset()
    if user.role in ("mentor", "admin"):
        mentees = frozenset(db.session.scalars(
            select(MentorAssignment.learner_id).where(MentorAssignment.mentor_id == user.id)).all())
    return Actor(id=user.id, role=user.role, mentees=mentees)
