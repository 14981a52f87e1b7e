"""Missions and recipes (SPEC §2). Mission content is validated by domain.mission_rules."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.catalogue import TIERS, TRACKS
from ..extensions import db
from .base import JSONDoc, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from ..caching import Change

# The JSON fields a mission carries, in the order of the data format.
MISSION_CONTENT_FIELDS = (
    "title", "track", "tier", "summary", "scenario", "mentor_notes", "estimated_minutes", "skills",
    "attack_techniques", "atlas_techniques", "nice_roles", "subtasks", "rubric", "escalation_events",
    "environmental_cues", "debrief", "capstone_brief", "is_published",
)


class Mission(db.Model):
    __tablename__ = "missions"
    __table_args__ = (
        CheckConstraint(check_in("track", TRACKS), name="track"),
        CheckConstraint(check_in("tier", TIERS), name="tier"),
        CheckConstraint("estimated_minutes > 0", name="estimated_minutes_positive"),
        Index("ix_missions_listing", "is_published", "track", "tier", "title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    scenario: Mapped[str] = mapped_column(Text)
    mentor_notes: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int]
    skills: Mapped[list] = mapped_column(JSONDoc, default=list)
    attack_techniques: Mapped[list] = mapped_column(JSONDoc, default=list)
    atlas_techniques: Mapped[list] = mapped_column(JSONDoc, default=list)
    nice_roles: Mapped[list] = mapped_column(JSONDoc, default=list)
    subtasks: Mapped[list] = mapped_column(JSONDoc, default=list)
    rubric: Mapped[list] = mapped_column(JSONDoc, default=list)
    escalation_events: Mapped[list] = mapped_column(JSONDoc, default=list)
    environmental_cues: Mapped[list] = mapped_column(JSONDoc, default=list)
    # Shown on a completed attempt's summary, never before (SPEC §3.1).
    debrief: Mapped[str] = mapped_column(Text, default="")
    # {phase key: Markdown}: each capstone phase's guidance for this incident (SPEC §4).
    capstone_brief: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    is_published: Mapped[bool] = mapped_column(default=True)
    # Bumped whenever the content changes, so an open attempt can tell it started on an older version.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def content(self) -> dict:
        """The mission as data-format dict (what export writes and import reads)."""
        return {"slug": self.slug, **{f: getattr(self, f) for f in MISSION_CONTENT_FIELDS}}

    @property
    def decision_count(self) -> int:
        return sum(len(s.get("decisions") or []) for s in self.subtasks or [])

    def __repr__(self) -> str:
        return f"<Mission {self.slug}>"

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the catalogue's."""
        return {"catalogue"}


class Recipe(db.Model):
    __tablename__ = "recipes"
    __table_args__ = (
        CheckConstraint(check_in("track", TRACKS), name="track"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("url IS NOT NULL OR body IS NOT NULL", name="url_or_body"),
        Index("ix_recipes_track", "track", "title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int]
    skill_tags: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def cache_areas(self, change: Change) -> set[str]:
        """Cached pages showing this row (webapp/caching/areas.py): the catalogue's."""
        return {"catalogue"}
