"""Read queries of the dashboard: a fixed number per role, whatever the data size."""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, load_only

from ..domain.policies import Actor
from ..models import CapstoneProject, Mission, MissionAttempt, PortfolioItem, Recipe, User
from ..services import access


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


def mentees(actor: Actor):
    """The mentor's learners, each with the number of their capstones the mentor may read (services.access)."""
    readable = and_(CapstoneProject.learner_id == User.id,
                    access.read_filter(actor, access.capstone_cols(), access.cutoff()))
    return (select(User, func.count(func.distinct(CapstoneProject.id)))
            .outerjoin(CapstoneProject, readable)
            .where(User.id.in_(sorted(actor.mentees) or [-1]))
            .group_by(User.id).order_by(User.display_name))


def site_counts():
    return {
        "users": select(User.role, func.count()).group_by(User.role),
        "missions": select(func.count()).select_from(Mission),
        "recipes": select(func.count()).select_from(Recipe),
    }


def welcome_examples(session, per_track: int = 1) -> list[Mission]:
    """The first visit's live examples: for each track, its published mission of the highest tier (a mastery
    mission, which leads into a capstone, where the track has one), by title. One query over the catalogue's
    small columns; the page caches the result per catalogue revision."""
    from ..domain.catalogue import TIERS, TRACKS

    rows = session.scalars(select(Mission).options(load_only(
        Mission.slug, Mission.title, Mission.track, Mission.tier, Mission.summary, Mission.estimated_minutes))
        .where(Mission.is_published.is_(True)).order_by(Mission.title)).all()
    rank = {t: i for i, t in enumerate(TIERS)}
    out: list[Mission] = []
    for track in TRACKS:
        mine = sorted((m for m in rows if m.track == track), key=lambda m: -rank.get(m.tier, -1))
        out.extend(mine[:per_track])
    return out
