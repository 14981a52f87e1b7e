"""Read queries of the attempt pages (eager loading: no lazy loads while rendering)."""
from __future__ import annotations

from sqlalchemy import Select, case, select

from ..models import MissionAttempt


def attempt_for_mission(user_id: int, mission_id: int) -> Select:
    """The user's attempt in progress at a mission, else their latest one."""
    return (select(MissionAttempt)
            .where(MissionAttempt.learner_id == user_id, MissionAttempt.mission_id == mission_id)
            .order_by(case((MissionAttempt.status == "in_progress", 0), else_=1),
                      MissionAttempt.started_at.desc(), MissionAttempt.id.desc())
            .limit(1))
