"""The mission catalogue (SPEC §2, §8)."""
from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, missing, validate

from ...domain.catalogue import TIERS, TRACKS
from .base import Derived, PageArgs, page_schema


class MissionFilterArgs(PageArgs):
    track = fields.String(validate=validate.OneOf(TRACKS))
    tier = fields.String(validate=validate.OneOf(TIERS))
    q = fields.String(validate=validate.Length(max=100))


class OptionSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)


class DecisionSchema(Schema):
    id = fields.String(required=True)
    prompt = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)


class SubtaskSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    instructions = fields.String(required=True)
    decisions = fields.List(fields.Nested(DecisionSchema), required=True)


class LevelSchema(Schema):
    score = fields.Integer(required=True)
    label = fields.String(required=True)
    descriptor = fields.String(required=True)


class CriterionSchema(Schema):
    id = fields.String(required=True)
    criterion = fields.String(required=True)
    description = fields.String(required=True)
    weight = fields.Float(required=True)
    levels = fields.List(fields.Nested(LevelSchema), required=True)
    attack_techniques = fields.List(fields.String())
    nice_roles = fields.List(fields.String())


class CueSchema(Schema):
    subtask_id = fields.Integer()
    cue_type = fields.String(required=True)
    description = fields.String(required=True)
    location = fields.String(required=True)
    significance = fields.String(required=True)


class EventSchema(Schema):
    subtask_id = fields.Integer(required=True)
    event_type = fields.String(required=True)
    description = fields.String(required=True)
    triggers = fields.List(fields.Dict(), required=True)
    consequences = fields.Dict(required=True)


class MissionSummarySchema(Schema):
    """Dumps a Mission (or a services.attempts.MissionAsSeen)."""

    slug = fields.String(required=True)
    title = fields.String(required=True)
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    summary = fields.String(required=True)
    estimated_minutes = fields.Integer(required=True)
    skills = fields.List(fields.String(), required=True)
    attack_techniques = fields.List(fields.String(), required=True)
    nice_roles = fields.List(fields.String(), required=True)
    subtask_count = Derived.Integer(value=lambda m: len(m.subtasks or []), required=True)
    is_published = fields.Boolean(required=True)
    url = Derived.String(value=lambda m: url_for("missions.detail", slug=m.slug, _external=True), required=True,
                         metadata={"description": "the mission's page"})


class MissionDetailSchema(MissionSummarySchema):
    """Dumps a services.attempts.MissionAsSeen: the mission as the caller may see it."""

    subtask_count = Derived.Integer(value=lambda m: len(m.mission.subtasks or []), required=True)
    scenario = fields.String(required=True, metadata={"description": "Markdown"})
    atlas_techniques = fields.List(fields.String(), required=True,
                                   metadata={"description": "MITRE ATLAS ids (attacks on machine-learning systems)"})
    subtasks = fields.List(fields.Nested(SubtaskSchema), required=True,
                           metadata={"description": "learners do not see subtasks that are still hidden"})
    rubric = fields.List(fields.Nested(CriterionSchema), required=True)
    escalation_events = fields.List(fields.Nested(EventSchema), required=True, metadata={
        "description": "every event for mentors and admins; none for learners until their attempt reaches them"})
    environmental_cues = fields.List(fields.Nested(CueSchema), required=True, metadata={
        "description": "every cue for mentors and admins; none for learners until their attempt reaches them"})
    mentor_notes = Derived.String(value=lambda m: m.mission.mentor_notes if m.with_notes else missing,
                                  metadata={"description": "mentors and admins only"})


MissionPage = page_schema(MissionSummarySchema, "MissionPage")
