"""A mentor's view of one learner (SPEC §13, `/mentorship/learners/<handle>`): everything of the learner the
viewer may see, in a constant number of queries whatever the learner's history.

Who may open it: an admin, or a mentor assigned to the learner for some track (`access.mentors_learner`); each
list is then filtered by the same read rule as everywhere else (`access.read_filter` and friends), so a mentor
assigned for one track sees that track's work only.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import reviews as review_rules
from ..domain.errors import Forbidden, NotFound
from ..domain.policies import Actor
from ..extensions import db
from ..models import CapstoneProject, MentorshipInteraction as MI, Mission, MissionAttempt, PortfolioItem, User
from ..models.base import utcnow
from . import access, cohorts as cohort_service
from .reviews import reply_counts

LIMIT = 100          # rows per list; the page says when there are more
NOT_YOURS = "You can only open the pages of learners you mentor."


def may_open(actor: Actor, learner_id: int) -> bool:
    """An admin, or a mentor assigned to the learner for some track (never a learner, even on their own)."""
    return actor.is_mentor and access.mentors_learner(actor, learner_id)


@dataclass(frozen=True)
class OpenStep:
    review: MI
    index: int
    step: dict
    overdue: bool


def learner_view(actor: Actor, handle: str) -> dict:
    """The learner (404 when no such learner, 403 when the viewer may not open their page), the cohorts they are
    in, and, as far as the viewer may read them: attempts, capstones, reviews, open next steps and portfolio items
    awaiting approval."""
    learner = db.session.scalar(select(User).where(User.handle == (handle or "")[:100]))
    if learner is None:
        raise NotFound("There is no learner with that handle.")
    if not may_open(actor, learner.id):
        raise Forbidden(NOT_YOURS)
    cutoff = access.cutoff()
    attempts = db.session.scalars(
        select(MissionAttempt).options(joinedload(MissionAttempt.mission).load_only(Mission.slug, Mission.title,
                                                                                    Mission.track, Mission.tier))
        .where(MissionAttempt.learner_id == learner.id,
               access.read_filter(actor, access.attempt_cols(), cutoff))
        .order_by(MissionAttempt.started_at.desc(), MissionAttempt.id.desc()).limit(LIMIT + 1)).all()
    capstones = db.session.scalars(
        select(CapstoneProject).options(joinedload(CapstoneProject.mission).load_only(
            Mission.slug, Mission.title, Mission.track, Mission.tier))
        .where(CapstoneProject.learner_id == learner.id,
               access.read_filter(actor, access.capstone_cols(), cutoff))
        .order_by(CapstoneProject.updated_at.desc(), CapstoneProject.id.desc()).limit(LIMIT + 1)).all()
    reviews = db.session.scalars(
        select(MI).options(joinedload(MI.mission).load_only(Mission.slug, Mission.title, Mission.track),
                           joinedload(MI.mentor))
        .where(MI.learner_id == learner.id,
               access.review_read_filter(actor, access.review_cols(), MI.mentor_id, MI.status == "submitted",
                                         cutoff))
        .order_by(MI.updated_at.desc(), MI.id.desc()).limit(LIMIT + 1)).unique().all()
    items = db.session.scalars(
        select(PortfolioItem).where(PortfolioItem.owner_id == learner.id, PortfolioItem.status == "submitted",
                                    access.read_filter(actor, access.item_cols(), cutoff))
        .order_by(PortfolioItem.updated_at.desc()).limit(LIMIT + 1)).all()
    today = utcnow().date()
    steps = [OpenStep(r, i, dict(step), overdue) for r in reviews if r.status == "submitted"
             for i, step, overdue in review_rules.open_steps(r.recommended_next_steps or [],
                                                             r.next_steps_done or [], today)]
    steps.sort(key=lambda s: (not s.overdue, s.step.get("deadline") or "9999"))
    more = {name: len(rows) > LIMIT for name, rows in
            (("attempts", attempts), ("capstones", capstones), ("reviews", reviews), ("items", items))}
    return {"learner": learner, "cohorts": cohort_service.cohorts_of(learner.id), "attempts": attempts[:LIMIT],
            "capstones": capstones[:LIMIT], "reviews": reviews[:LIMIT], "items": items[:LIMIT], "steps": steps,
            "more": more, "reply_counts": reply_counts([r.id for r in reviews[:LIMIT]])}
