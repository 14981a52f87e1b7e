"""Shared helpers for the attempt tests."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import MissionAttempt, User
from webapp.models.base import utcnow


def start(client, mission, **form) -> MissionAttempt:
    resp = client.post("/attempts", data={"mission": mission.slug, **form})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    attempt_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return db.session.get(MissionAttempt, attempt_id)


def submit(client, attempt, subtask_id, response="My analysis.", headers=None, **decisions):
    data = {"response": response, **{f"decision-{k}": v for k, v in decisions.items()}}
    return client.post(f"/attempts/{attempt.id}/subtasks/{subtask_id}", data=data, headers=headers or {})


def reload(attempt) -> MissionAttempt:
    db.session.expire_all()
    return db.session.get(MissionAttempt, attempt.id)


def attempt_state() -> list[tuple]:
    """Every attempt row and every user's time multiplier, read straight from the database."""
    db.session.expire_all()
    rows = db.session.scalars(select(MissionAttempt).order_by(MissionAttempt.id)).all()
    users = db.session.execute(select(User.id, User.time_multiplier).order_by(User.id)).all()
    return [(a.id, a.learner_id, a.status, a.current_subtask_id, a.responses, a.decisions, a.fired_events,
             a.score_penalty, a.score, a.scope_acknowledged_at, a.review_requested_at, a.completed_at)
            for a in rows] + [tuple(u) for u in users]


def age(attempt, minutes: float) -> None:
    """Move the attempt's start back in time, as if `minutes` had passed."""
    attempt.started_at = attempt.started_at - timedelta(minutes=minutes)
    db.session.commit()


def region(html: str, region_id: str) -> str:
    """The opening tag of the element with this id."""
    m = re.search(rf'<[a-z]+ id="{re.escape(region_id)}"[^>]*>', html)
    return m.group(0) if m else ""


def now():
    return utcnow()
