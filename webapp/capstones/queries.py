"""Read queries of the capstone pages (eager loading: no lazy loads in loops)."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..models import CapstoneProject, MentorAssignment
from ..services.capstones import MISSION_COLUMNS


def visible_capstones(user_id: int, role: str):
    """A learner's own capstones; a mentor's own plus their learners'; every capstone for an admin."""
    stmt = (select(CapstoneProject)
            .options(joinedload(CapstoneProject.mission).load_only(*MISSION_COLUMNS),
                     joinedload(CapstoneProject.learner))
            .order_by(CapstoneProject.updated_at.desc(), CapstoneProject.id.desc()))
    if role == "admin":
        return stmt
    if role == "mentor":
        mentees = select(MentorAssignment.learner_id).where(MentorAssignment.mentor_id == user_id)
        return stmt.where(or_(CapstoneProject.learner_id == user_id, CapstoneProject.learner_id.in_(mentees)))
    return stmt.where(CapstoneProject.learner_id == user_id)
