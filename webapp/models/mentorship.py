"""Mentorship interactions: multi-phase reviews of a capstone or an attempt (SPEC §5)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain import reviews as review_rules
from ..extensions import db
from .attempts import MissionAttempt
from .base import JSONDoc, UTCDateTime, check_in, utcnow
from .capstones import CapstoneProject
from .catalogue import Mission
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class MentorshipInteraction(db.Model):
    __tablename__ = "mentorship_interactions"
    __table_args__ = (
        UniqueConstraint("capstone_id", "review_phase", name="uq_mentorship_interactions_capstone_phase"),
        UniqueConstraint("attempt_id", "review_phase", name="uq_mentorship_interactions_attempt_phase"),
        CheckConstraint(check_in("status", review_rules.REVIEW_STATUSES), name="status"),
        CheckConstraint("decision IS NULL OR " + check_in("decision", review_rules.REVIEW_DECISIONS), name="decision"),
        CheckConstraint("review_phase >= 1", name="review_phase_positive"),
        CheckConstraint(f"total_phases >= 1 AND total_phases <= {review_rules.MAX_TOTAL_PHASES}", name="total_phases"),
        CheckConstraint("review_phase <= total_phases", name="phase_within_total"),
        CheckConstraint("overall_score IS NULL OR (overall_score >= 0 AND overall_score <= 100)", name="overall_range"),
        CheckConstraint("capstone_id IS NOT NULL OR attempt_id IS NOT NULL", name="reviews_something"),
        Index("ix_mentorship_interactions_mentor", "mentor_id", "status", "updated_at"),
        Index("ix_mentorship_interactions_learner", "learner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the mentor deleted their account: the review stays, by a "former mentor"
    # (domain.reviews.mentor_name; README, Your data).
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    capstone_id: Mapped[int | None] = mapped_column(ForeignKey("capstone_projects.id", ondelete="CASCADE"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("mission_attempts.id", ondelete="CASCADE"))

    review_phase: Mapped[int] = mapped_column(default=1)
    total_phases: Mapped[int] = mapped_column(default=1)
    phase: Mapped[str] = mapped_column(String(32), default=review_rules.OVERALL)
    audio_feedback_url: Mapped[str | None] = mapped_column(String(500))
    video_feedback_url: Mapped[str | None] = mapped_column(String(500))
    audio_duration_seconds: Mapped[int | None]
    video_duration_seconds: Mapped[int | None]
    written_feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_per_subtask: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    feedback_per_decision: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    rubric_scores: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # The mission's rubric as it was when this phase was submitted (a draft keeps NULL and is scored against the
    # mission's current rubric): rubric_of() is the one reader.
    rubric: Mapped[list | None] = mapped_column(JSONDoc)
    # {criterion_id: comment} beside each rubric score
    rubric_comments: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    subtask_scores: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    overall_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    is_scoring_meeting: Mapped[bool] = mapped_column(default=False)
    meeting_notes: Mapped[str] = mapped_column(Text, default="")
    meeting_duration_minutes: Mapped[int | None]
    recommended_next_steps: Mapped[list] = mapped_column(JSONDoc, default=list)
    recommended_recipes: Mapped[list] = mapped_column(JSONDoc, default=list)
    # Typed transcripts shown with the audio/video players (captions files hang off the media file).
    audio_transcript: Mapped[str] = mapped_column(Text, default="")
    video_transcript: Mapped[str] = mapped_column(Text, default="")
    # The learner's side: when they acknowledged this phase, and which next steps they ticked off.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_steps_done: Mapped[list] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    decision: Mapped[str | None] = mapped_column(String(20))
    reopen_phases: Mapped[list] = mapped_column(JSONDoc, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version_id}

    mentor: Mapped[User | None] = relationship(foreign_keys=[mentor_id])
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    mission: Mapped[Mission] = relationship()
    capstone: Mapped[CapstoneProject | None] = relationship()
    attempt: Mapped[MissionAttempt | None] = relationship()

    def is_multi_phase(self) -> bool:
        return review_rules.is_multi_phase(self.total_phases)

    def get_next_phase(self) -> int | None:
        return review_rules.next_phase(range(1, self.review_phase + 1), self.total_phases)

    def rubric_of(self) -> list:
        """The rubric this review phase is scored against: kept at submission, the mission's current one before."""
        return review_rules.rubric_of(self.status, self.rubric, lambda: self.mission.rubric)

    # What a mentor writes in a draft phase: the queue shows a draft's phase and status, never these.
    DRAFT_CONTENT_COLUMNS = frozenset({
        "written_feedback", "rubric_scores", "rubric_comments", "subtask_scores", "overall_score",
        "is_scoring_meeting", "meeting_notes", "meeting_duration_minutes", "recommended_next_steps",
        "recommended_recipes", "audio_transcript", "video_transcript", "decision", "reopen_phases", "version_id",
        "updated_at"})

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the learner's, and the queue's unless only a
        draft's content changed (a mentor's autosave)."""
        quiet = self.status == "draft" and change.only(self.DRAFT_CONTENT_COLUMNS)
        return change.learners("learner_id") | (set() if quiet else {"reviews"})


class ReviewReply(db.Model):
    """One message of the conversation under a submitted review phase (SPEC §13): the learner asks, the mentor
    answers. Newest last; the body is Markdown, sanitised when shown.

    `author_id` is SET NULL, not CASCADE: deleting an account (say, a mentor who left) must not cut the other
    side's answers out of a thread the learner keeps; the reply stays and reads "former user". Deleting the
    review (or the learner, whose reviews go with them) takes its replies along (review_id CASCADE)."""

    __tablename__ = "review_replies"
    __table_args__ = (
        CheckConstraint(f"length(body) <= {review_rules.MAX_REPLY}", name="body_length"),
        Index("ix_review_replies_review", "review_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("mentorship_interactions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    review: Mapped[MentorshipInteraction] = relationship()
    author: Mapped[User | None] = relationship()

    def role_in(self, review: MentorshipInteraction) -> str:
        return review_rules.reply_role(self.author_id, self.author.role if self.author else None,
                                       learner_id=review.learner_id, mentor_id=review.mentor_id)

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the reviewed learner's own area (the capstone
        page's reviews panel is a cached fragment of it). The queue shows no replies."""
        return change.learners("review_id.learner_id")
