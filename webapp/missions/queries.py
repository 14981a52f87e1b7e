"""Read queries of the mission pages."""
from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, case, literal, or_, select, true
from sqlalchemy.orm import load_only

from ..domain.catalogue import TIERS
from ..models import CapstoneProject, Mission, MissionAttempt

TIER_ORDER = case({t: i for i, t in enumerate(TIERS)}, value=Mission.tier)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def catalogue(track: str | None = None, tier: str | None = None, q: str | None = None,
              include_unpublished: bool = False) -> Select:
    """Missions for the catalogue list, ordered by track, tier then title. One query, no lazy loads.

    Loads only what the list page and the API summary show: the scenario, rubric, events and cues are large
    JSON documents, and decoding them for every mission was a large part of the list's cost (bench/run.py)."""
    stmt = select(Mission).options(load_only(
        Mission.slug, Mission.title, Mission.track, Mission.tier, Mission.summary, Mission.estimated_minutes,
        Mission.skills, Mission.attack_techniques, Mission.nice_roles, Mission.subtasks, Mission.is_published,
    )).order_by(Mission.track, TIER_ORDER, Mission.title)
    if not include_unpublished:
        stmt = stmt.where(Mission.is_published.is_(True))
    if track:
        stmt = stmt.where(Mission.track == track)
    if tier:
        stmt = stmt.where(Mission.tier == tier)
    if q:
        pattern = f"%{_escape_like(q.strip().lower())}%"
        from sqlalchemy import func

        stmt = stmt.where(or_(func.lower(Mission.title).like(pattern, escape="\\"),
                              func.lower(Mission.summary).like(pattern, escape="\\"),
                              func.lower(Mission.slug).like(pattern, escape="\\")))
    return stmt


@functools.cache
def viewer_standing() -> Select:
    """One row for the mission page's buttons: the user's (`:user_id`) attempt in progress at the mission
    (`:mission_id`), else their latest (`id`, `status`, `started_at`, `score`, all None without one), and their
    capstone's id (`capstone_id`). Built once: building a statement costs more than running it."""
    user_id, mission_id = bindparam("user_id"), bindparam("mission_id")
    attempt = (select(MissionAttempt.id, MissionAttempt.status, MissionAttempt.started_at, MissionAttempt.score)
               .where(MissionAttempt.learner_id == user_id, MissionAttempt.mission_id == mission_id)
               .order_by(case((MissionAttempt.status == "in_progress", 0), else_=1),
                         MissionAttempt.started_at.desc(), MissionAttempt.id.desc())
               .limit(1).subquery())
    capstone = (select(CapstoneProject.id).where(CapstoneProject.learner_id == user_id,
                                                 CapstoneProject.mission_id == mission_id)
                .limit(1).scalar_subquery())
    one = select(literal(1).label("one")).subquery()
    return (select(attempt.c.id, attempt.c.status, attempt.c.started_at, attempt.c.score,
                   capstone.label("capstone_id"))
            .select_from(one.outerjoin(attempt, true())))
