"""Marshmallow schemas: they validate API input and describe every response in the OpenAPI document."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ..domain.catalogue import ROLES, TIERS, TRACKS

MAX_PER_PAGE = 100


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "field name -> message for each field at fault"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="must be 1 or more"))
    per_page = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"must be between 1 and {MAX_PER_PAGE}"))


def no_nul(value: str) -> None:
    """PostgreSQL cannot hold NUL in text, so a query with one would fail there (500) instead of answering."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


class MissionFilterArgs(PageArgs):
    track = fields.String(validate=validate.OneOf(TRACKS))
    tier = fields.String(validate=validate.OneOf(TIERS))
    q = fields.String(validate=[validate.Length(max=100), no_nul])


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    handle = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    bio = fields.String(required=True)
    created_at = fields.DateTime(required=True)


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
    slug = fields.String(required=True)
    title = fields.String(required=True)
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    summary = fields.String(required=True)
    estimated_minutes = fields.Integer(required=True)
    skills = fields.List(fields.String(), required=True)
    attack_techniques = fields.List(fields.String(), required=True)
    nice_roles = fields.List(fields.String(), required=True)
    subtask_count = fields.Integer(required=True)
    is_published = fields.Boolean(required=True)
    url = fields.String(required=True, metadata={"description": "the mission's page"})


class MissionDetailSchema(MissionSummarySchema):
    scenario = fields.String(required=True, metadata={"description": "Markdown"})
    subtasks = fields.List(fields.Nested(SubtaskSchema), required=True,
                           metadata={"description": "learners do not see subtasks that are still hidden"})
    rubric = fields.List(fields.Nested(CriterionSchema), required=True)
    escalation_events = fields.List(fields.Nested(EventSchema), required=True, metadata={
        "description": "every event for mentors and admins; none for learners until their attempt reaches them"})
    environmental_cues = fields.List(fields.Nested(CueSchema), required=True, metadata={
        "description": "every cue for mentors and admins; none for learners until their attempt reaches them"})
    mentor_notes = fields.String(metadata={"description": "mentors and admins only"})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
    }, name=name)


MissionPage = page_schema(MissionSummarySchema, "MissionPage")
