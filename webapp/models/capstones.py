"""Capstone projects (SPEC §4). Phase rules live in domain.phases."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain import phase_fields
from ..domain import phases as phase_rules
from ..extensions import db
from .attempts import MissionAttempt
from .base import JSONDoc, UTCDateTime, check_in, utcnow
from .catalogue import Mission
from .users import User

if TYPE_CHECKING:
    from ..caching import Change


class CapstoneProject(db.Model):
    __tablename__ = "capstone_projects"
    __table_args__ = (
        UniqueConstraint("learner_id", "mission_id", name="uq_capstone_projects_learner_mission"),
        CheckConstraint(check_in("presentation_type", phase_rules.PRESENTATION_TYPES)
                        + " OR presentation_type IS NULL", name="presentation_type"),
        CheckConstraint("mentor_final_score IS NULL OR (mentor_final_score >= 0 AND mentor_final_score <= 100)",
                        name="final_score_range"),
        Index("ix_capstone_projects_review_queue", "submitted_at", "mentor_approved"),
        Index("ix_capstone_projects_mission", "mission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="RESTRICT"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("mission_attempts.id", ondelete="SET NULL"))

    # investigation
    investigation_findings: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    investigation_artifacts: Mapped[list] = mapped_column(JSONDoc, default=list)
    investigation_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # decision_making
    decisions_made: Mapped[list] = mapped_column(JSONDoc, default=list)
    decision_analysis: Mapped[str] = mapped_column(Text, default="")
    decision_making_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # design_remediation
    design_documents: Mapped[list] = mapped_column(JSONDoc, default=list)
    remediation_plan: Mapped[str] = mapped_column(Text, default="")
    design_remediation_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # reporting
    report_document_url: Mapped[str | None] = mapped_column(String(500))
    report_summary: Mapped[str] = mapped_column(Text, default="")
    report_key_findings: Mapped[list] = mapped_column(JSONDoc, default=list)
    reporting_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # presentation
    presentation_url: Mapped[str | None] = mapped_column(String(500))
    presentation_type: Mapped[str | None] = mapped_column(String(20))
    presentation_notes: Mapped[str] = mapped_column(Text, default="")
    presentation_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # review (completing the presentation phase submits the capstone)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mentor_review_phases: Mapped[list] = mapped_column(JSONDoc, default=list)
    mentor_feedback_audio_url: Mapped[str | None] = mapped_column(String(500))
    mentor_feedback_video_url: Mapped[str | None] = mapped_column(String(500))
    mentor_final_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    mentor_approved: Mapped[bool] = mapped_column(default=False)
    mentor_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the mentor's last review phase requested changes (SPEC §5): set with the reopening, cleared when the
    # presentation is completed again (which resubmits the capstone). The feedback is that review's.
    changes_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A mentor who is not assigned may claim a submission from the queue; the claim expires when idle.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic locking: a stale form from a second tab cannot silently overwrite newer work.
    version_id: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version_id}

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    mission: Mapped[Mission] = relationship()
    attempt: Mapped[MissionAttempt | None] = relationship()

    def completed_phases(self) -> set[str]:
        return {p for p in phase_rules.PHASES if getattr(self, phase_rules.completed_at(p)) is not None}

    def is_phase_complete(self, phase: str) -> bool:
        phase_rules.check_phase(phase)
        return getattr(self, phase_rules.completed_at(phase)) is not None

    def get_current_phase(self) -> str:
        return phase_rules.current_phase(self.completed_phases(), self.mentor_approved)

    def missing_fields(self, phase: str) -> dict[str, str]:
        return phase_rules.missing_fields(phase, lambda name: getattr(self, name))

    # Columns the review queue does not show (the phase drafts): saving a draft must not make it stale, and every
    # saving learner would otherwise wait on the one "reviews" row.
    # The phase drafts (the phase field table) and the lock column: the review queue shows none of them.
    REVIEW_QUIET_COLUMNS = frozenset(phase_fields.FIELD_NAMES) | {"version_id", "updated_at"}

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the learner's, and the queue's unless only
        drafts changed."""
        return change.learners("learner_id") | change.unless_only(self.REVIEW_QUIET_COLUMNS, "reviews")


class CapstoneActivity(db.Model):
    """Append-only history of a capstone: who saved, completed, reopened or submitted which phase, when."""

    __tablename__ = "capstone_activities"
    __table_args__ = (Index("ix_capstone_activities_capstone", "capstone_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capstone_id: Mapped[int] = mapped_column(ForeignKey("capstone_projects.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the capstone's learner's."""
        return change.learners("capstone_id.learner_id")


class CapstonePhaseVersion(db.Model):
    """A capstone phase as a mentor reviewed it (SPEC §13, phase history): kept when a review requests changes
    and reopens the phase, one row per reopened phase, in the reopening's transaction. `fields` holds the phase's
    field values as they were (domain.phase_fields names them; uploaded files as their /files/<key> links) and
    `files` the names of the uploads those links point to ({key: filename}), so the kept version reads as it did.
    Written once, never changed."""

    __tablename__ = "capstone_phase_versions"
    __table_args__ = (
        CheckConstraint(check_in("phase", phase_rules.PHASES), name="phase"),
        Index("ix_capstone_phase_versions_capstone", "capstone_id", "phase", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    capstone_id: Mapped[int] = mapped_column(ForeignKey("capstone_projects.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(32))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship_interactions.id", ondelete="SET NULL"))
    fields: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    files: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the capstone page, in the learner's area."""
        return change.learners("capstone_id.learner_id")
