"""Read queries of the capstone pages (eager loading: no lazy loads in loops)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain.phases import is_under_review
from ..domain.policies import Actor
from ..models import CapstoneProject, Mission, User
from ..services import access
from ..services.capstones import MISSION_COLUMNS


C = CapstoneProject
# A capstone's status as the lists filter it, in SQL beside its Python form (status_of); tested against each other.
STATUS_FILTERS = {
    "in_progress": (C.submitted_at.is_(None), C.mentor_approved.is_(False)),
    "in_review": (C.submitted_at.is_not(None), C.mentor_approved.is_(False)),
    "approved": (C.mentor_approved.is_(True),),
}
STATUSES = tuple(STATUS_FILTERS)


def status_of(submitted: bool, approved: bool) -> str:
    """The Python form of STATUS_FILTERS: approved, else in review (domain.phases.is_under_review), else in
    progress."""
    if approved:
        return "approved"
    return "in_review" if is_under_review(submitted, approved) else "in_progress"


def visible_capstones(actor: Actor, *, mission: str | None = None, learner: str | None = None,
                      status: str | None = None):
    """The capstones the actor may read (services.access): a learner's own; a mentor's own, their learners'
    for the assigned tracks and the ones they hold a live claim on; every capstone for an admin. Newest change
    first; optionally only those of a mission (slug), of a learner (handle) or in a status (STATUSES)."""
    stmt = (select(C)
            .options(joinedload(C.mission).load_only(*MISSION_COLUMNS), joinedload(C.learner))
            .where(access.read_filter(actor, access.capstone_cols(), access.cutoff()))
            .order_by(C.updated_at.desc(), C.id.desc()))
    if mission:
        stmt = stmt.where(C.mission_id.in_(select(Mission.id).where(Mission.slug == mission)))
    if learner:
        stmt = stmt.where(C.learner_id.in_(select(User.id).where(User.handle == learner)))
    if status:
        stmt = stmt.where(*STATUS_FILTERS[status])
    return stmt
