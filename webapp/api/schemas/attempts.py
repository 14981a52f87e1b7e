"""Mission attempts (SPEC §3, §3.1, §8). An attempt dumps from services.attempts.Seen through the view in
api/attempts.py: only the subtasks the learner has reached, checks as prompts until the subtask is submitted."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...models.attempts import ATTEMPT_STATUSES
from .base import Derived, PageArgs, page_schema
from .missions import CueSchema, OptionSchema


class AttemptListArgs(PageArgs):
    mission = fields.String(validate=validate.Length(max=200), metadata={"description": "mission slug"})
    status = fields.String(validate=validate.OneOf(ATTEMPT_STATUSES))


class AttemptStartSchema(Schema):
    mission = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "the mission's slug"})
    acknowledge_scope = fields.Boolean(load_default=False, metadata={
        "description": "offensive-track missions need the rules of engagement acknowledged (true) to start"})


class SubmitSchema(Schema):
    response = fields.String(required=True, metadata={"description": "the written response (at most 20,000 "
                                                                     "characters)"})
    decisions = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                            metadata={"description": "decision id -> option id, one for every decision of the subtask"})
    checks = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict, metadata={
        "description": "check id -> answer: a text for an `answer` check, an option id (or a list of them when "
                       "`multiple`) for a `choice` check; a `keywords` check marks the response itself"})


class AttemptDecisionSchema(Schema):
    id = fields.String(required=True)
    prompt = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    choice = fields.String(allow_none=True, metadata={"description": "the option chosen (once submitted)"})


class CheckSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("answer", "choice", "keywords")))
    prompt = fields.String(allow_none=True, metadata={"description": "none for a keywords check"})
    options = fields.List(fields.Nested(OptionSchema), required=True)
    multiple = fields.Boolean(required=True)
    points = fields.Float(required=True)


class CheckResultSchema(Schema):
    correct = fields.Boolean(required=True)
    points = fields.Float(required=True, metadata={"description": "points earned"})
    explanation = fields.String(required=True, metadata={"description": "Markdown"})


class AttemptSubtaskSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    instructions = fields.String(required=True, metadata={"description": "Markdown"})
    submitted = fields.Boolean(required=True)
    response = fields.String(allow_none=True)
    decisions = fields.List(fields.Nested(AttemptDecisionSchema), required=True)
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    check_results = fields.Dict(keys=fields.String(), values=fields.Nested(CheckResultSchema), metadata={
        "description": "after submission only: check id -> the mark"})
    key_points = fields.List(fields.String(), metadata={"description": "after submission only"})
    covered = fields.List(fields.Integer(), metadata={"description": "the key points (indices) you ticked"})
    model_answer = fields.String(allow_none=True, metadata={"description": "after submission only; Markdown"})


class TimelineEventSchema(Schema):
    title = fields.String(required=True)
    message = fields.String(required=True)
    severity = fields.String(allow_none=True)
    score_penalty = fields.Integer(required=True)
    fired_at = fields.DateTime(allow_none=True)


class AttemptSummarySchema(Schema):
    """Dumps a MissionAttempt (its mission loaded with it)."""

    id = fields.Integer(required=True)
    mission = Derived.String(value=lambda a: a.mission.slug, required=True, metadata={"description": "slug"})
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    score = fields.Integer(allow_none=True, metadata={"description": "null until completed"})
    started_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)


class AttemptSchema(AttemptSummarySchema):
    """Dumps the dict api/attempts.py makes of an attempt."""

    mission = fields.String(required=True, metadata={"description": "slug"})
    current_subtask_id = fields.Integer(allow_none=True, metadata={"description": "null when none is open"})
    elapsed_minutes = fields.Float(required=True, metadata={
        "description": "scenario time since the start (real minutes divided by the learner's time multiplier)"})
    estimated_minutes = fields.Integer(required=True)
    points = fields.Float(required=True, metadata={"description": "check points earned so far"})
    points_possible = fields.Float(required=True, metadata={"description": "check points of the submitted subtasks"})
    score_penalty = fields.Integer(required=True)
    subtasks = fields.List(fields.Nested(AttemptSubtaskSchema), required=True, metadata={
        "description": "the subtasks reached, not hidden ones"})
    timeline = fields.List(fields.Nested(TimelineEventSchema), required=True)
    cues = fields.List(fields.Nested(CueSchema), required=True)
    debrief = fields.String(allow_none=True, metadata={"description": "the mission's debrief, once completed"})


AttemptPage = page_schema(AttemptSummarySchema, "AttemptPage")
