"""Turn a user row into the plain Actor the policies reason about."""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, select

from ..caching import quickread
from ..domain.policies import ANONYMOUS, Actor
from ..models import MentorAssignment, User


@functools.cache
def _assignments_query():
    return select(MentorAssignment.learner_id, MentorAssignment.track).where(
        MentorAssignment.mentor_id == bindparam("mentor_id"))


def actor_for(user: User | None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    assignments: frozenset[tuple[int, str | None]] = frozenset()
    if user.is_mentor:
        rows = quickread.rows(_assignments_query(), {"mentor_id": user.id})
        assignments = frozenset((row[0], row[1]) for row in rows)
    return Actor(id=user.id, role=user.role, assignments=assignments)
