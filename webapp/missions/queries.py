"""Read queries of the mission pages."""
from __future__ import annotations

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import load_only

from ..domain.catalogue import TIERS
from ..models import Mission

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
