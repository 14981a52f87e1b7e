"""Shared set-up for the notification tests."""
from __future__ import annotations

from sqlalchemy import select

from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import Notification

from ..capstones.helpers import VALUES, capstone_for


def rows(kind: str | None = None) -> list[tuple[int, str, str, int, int | None]]:
    """(recipient, kind, subject type, subject id, actor) of every notification, in id order."""
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return [(n.user_id, n.kind, n.subject_type, n.subject_id, n.actor_id) for n in db.session.scalars(stmt)]


def ready_capstone(learner, mission):
    """A capstone with every phase but the presentation complete, the presentation filled in: completing it
    submits the capstone for review."""
    return capstone_for(learner, mission, done=PHASES[:4], **VALUES["presentation"])


def add(user, kind="review_shared", subject_type="review", subject_id=1, title="Something happened", **fields):
    n = Notification(user_id=user.id, kind=kind, subject_type=subject_type, subject_id=subject_id, title=title,
                     **fields)
    db.session.add(n)
    db.session.commit()
    return n
