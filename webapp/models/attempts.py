"""Mission attempts (SPEC §3). The engine (domain.engine) is a pure function of (mission, state, now)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONDoc, UTCDateTime, check_in, utcnow
from .catalogue import Mission
from .users import User

if TYPE_CHECKING:
    from ..caching import Change

ATTEMPT_STATUSES = ("in_progress", "completed", "abandoned")


class MissionAttempt(db.Model):
    __tablename__ = "mission_attempts"
    __table_args__ = (
        CheckConstraint(check_in("status", ATTEMPT_STATUSES), name="status"),
        CheckConstraint("score_penalty >= 0", name="penalty_not_negative"),
        Index("ix_mission_attempts_learner", "learner_id", "status", "started_at"),
        Index("ix_mission_attempts_mission", "mission_id"),
        Index("ix_mission_attempts_review_queue", "review_requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    # The mission content the attempt started on, so later edits do not change a running attempt.
    mission_version: Mapped[int] = mapped_column(default=1)
    mission_snapshot: Mapped[dict | None] = mapped_column(JSONDoc)
    current_subtask_id: Mapped[int | None]
    # When the current subtask became current (for subtask_open_for triggers).
    current_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {subtask_id: {"response": str, "submitted_at": iso, "checks": {check_id: answer},
    #               "marks": {check_id: points earned}, "covered": [key point index]}} — keys are strings in JSON.
    responses: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # {subtask_id: {"response": str, "checks": {check_id: answer}, "saved_at": iso}}: what the learner is typing
    # for a subtask not yet submitted (dropped when it is submitted).
    drafts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # {decision_id: option_id}
    decisions: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # [{"index": event index in the mission, "fired_at": iso}]
    fired_events: Mapped[list] = mapped_column(JSONDoc, default=list)
    score_penalty: Mapped[int] = mapped_column(default=0)
    score: Mapped[int | None]
    scope_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Review of the attempt itself: requested by the learner, claimable from the mentor queue.
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    mission: Mapped[Mission] = relationship()

    # Columns the review queue does not show (the attempt's progress): working on an attempt must not make it
    # stale, and every working learner would otherwise wait on the one "reviews" row.
    REVIEW_QUIET_COLUMNS = frozenset({"responses", "decisions", "fired_events", "current_subtask_id",
                                      "current_since", "drafts", "updated_at"})

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the learner's, and the queue's unless only
        progress changed or the attempt never went to review (the queue lists only attempts whose review was
        requested: starting, playing and finishing one for practice leave it as it is)."""
        if not change.ever_set("review_requested_at"):
            return change.learners("learner_id")
        return change.learners("learner_id") | change.unless_only(self.REVIEW_QUIET_COLUMNS, "reviews")
