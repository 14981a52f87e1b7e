"""Read queries of the dashboard: a fixed number per role, whatever the data size."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..models import CapstoneProject, MentorAssignment, Mission, MissionAttempt, PortfolioItem, Recipe, User


def learner_attempts(user_id: int, limit: int = 5):
    return (select(MissionAttempt).options(joinedload(MissionAttempt.mission))
            .where(MissionAttempt.learner_id == user_id)
            .order_by(MissionAttempt.updated_at.desc()).limit(limit))


def learner_capstones(user_id: int, limit: int = 5):
    return (select(CapstoneProject).options(joinedload(CapstoneProject.mission))
            .where(CapstoneProject.learner_id == user_id)
            .order_by(CapstoneProject.updated_at.desc()).limit(limit))


def portfolio_counts(user_id: int):
    return (select(PortfolioItem.status, func.count()).where(PortfolioItem.owner_id == user_id)
            .group_by(PortfolioItem.status))


def suggested_missions(limit: int = 3):
    return (select(Mission).where(Mission.is_published.is_(True), Mission.tier == "beginner")
            .order_by(Mission.track, Mission.title).limit(limit))


def mentees(mentor_id: int):
    return (select(User, func.count(func.distinct(CapstoneProject.id)))
            .join(MentorAssignment, MentorAssignment.learner_id == User.id)
            .outerjoin(CapstoneProject, CapstoneProject.learner_id == User.id)
            .where(MentorAssignment.mentor_id == mentor_id)
            .group_by(User.id).order_by(User.display_name))


def awaiting_review(mentor_id: int | None):
    """Capstones submitted and not yet approved; for one mentor's learners, or all (admin)."""
    stmt = (select(func.count(func.distinct(CapstoneProject.id)))
            .where(CapstoneProject.submitted_at.is_not(None), CapstoneProject.mentor_approved.is_(False)))
    if mentor_id is not None:
        stmt = stmt.join(MentorAssignment, MentorAssignment.learner_id == CapstoneProject.learner_id).where(
            MentorAssignment.mentor_id == mentor_id)
    return stmt


def site_counts():
    return {
        "users": select(User.role, func.count()).group_by(User.role),
        "missions": select(func.count()).select_from(Mission),
        "recipes": select(func.count()).select_from(Recipe),
    }
