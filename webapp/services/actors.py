"""Turn a user row into the plain Actor the policies reason about."""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, select

from .. import quickread
from ..domain.policies import ANONYMOUS, Actor
from ..models import MentorAssignment, User


@functools.cache
def _mentees_query():
    return select(MentorAssignment.learner_id).where(MentorAssignment.mentor_id == bindparam("mentor_id"))


def actor_for(user: User | None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    mentees: frozenset[int] = frozenset()
    if user.role in ("mentor", "admin"):
        mentees = frozenset(quickread.scalars(_mentees_query(), {"mentor_id": user.id}))
    return Actor(id=user.id, role=user.role, mentees=mentees)
