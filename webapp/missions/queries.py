"""Read queries of the mission pages."""
from __future__ import annotations

import functools
from typing import NamedTuple

from sqlalchemy import Select, bindparam, case, func, literal, or_, select, true
from sqlalchemy.orm import load_only

from ..domain.catalogue import TIERS
from ..models import CapstoneProject, Mission, MissionAttempt
from ..services import capstones as capstones_service

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
    (`:mission_id`), else their latest (`id`, `status`, `started_at`, `score`, all None without one), their
    capstone's id (`capstone_id`) and the completed attempt a capstone would build on (`completed_attempt_id`). Built once: building a statement costs more than running it."""
    user_id, mission_id = bindparam("user_id"), bindparam("mission_id")
    attempt = (select(MissionAttempt.id, MissionAttempt.status, MissionAttempt.started_at, MissionAttempt.score)
               .where(MissionAttempt.learner_id == user_id, MissionAttempt.mission_id == mission_id)
               .order_by(case((MissionAttempt.status == "in_progress", 0), else_=1),
                         MissionAttempt.started_at.desc(), MissionAttempt.id.desc())
               .limit(1).subquery())
    capstone = (select(CapstoneProject.id).where(CapstoneProject.learner_id == user_id,
                                                 CapstoneProject.mission_id == mission_id)
                .limit(1).scalar_subquery())
    basis = capstones_service.basis_attempt(user_id, mission_id).scalar_subquery()
    one = select(literal(1).label("one")).subquery()
    return (select(attempt.c.id, attempt.c.status, attempt.c.started_at, attempt.c.score,
                   capstone.label("capstone_id"), basis.label("completed_attempt_id"))
            .select_from(one.outerjoin(attempt, true())))


# ---- the viewer's standing at each mission (the catalogue's status badges and filter) ---------------------------
# A mission is `in_progress` for a viewer with an attempt in progress there, else `completed` (with the best score)
# with a completed attempt, else `not_started` (an abandoned attempt alone counts as not started).
VIEWER_STATUSES = ("not_started", "in_progress", "completed")


class Standing(NamedTuple):
    status: str
    best_score: int | None


NOT_STARTED = Standing("not_started", None)


def standing_of(playing: bool, completed: bool, best_score: int | None) -> Standing:
    """The rule, on one mission's aggregate of the viewer's attempts (the SQL below computes the aggregate)."""
    if playing:
        return Standing("in_progress", best_score)
    if completed:
        return Standing("completed", best_score)
    return NOT_STARTED


@functools.cache
def viewer_attempts() -> Select:
    """One row per mission the viewer (`:user_id`) has attempted: whether one is in progress, whether one was
    completed, and the best completed score. One query for the whole catalogue, whatever its size."""
    return (select(MissionAttempt.mission_id,
                   func.max(case((MissionAttempt.status == "in_progress", 1), else_=0)).label("playing"),
                   func.max(case((MissionAttempt.status == "completed", 1), else_=0)).label("completed"),
                   func.max(case((MissionAttempt.status == "completed", MissionAttempt.score))).label("best_score"))
            .where(MissionAttempt.learner_id == bindparam("user_id"))
            .group_by(MissionAttempt.mission_id))


def viewer_standings(session, user_id: int) -> dict[int, Standing]:
    """{mission id: Standing} for every mission the viewer has attempted (others are NOT_STARTED)."""
    rows = session.execute(viewer_attempts(), {"user_id": user_id})
    return {r.mission_id: standing_of(bool(r.playing), bool(r.completed), r.best_score) for r in rows}
