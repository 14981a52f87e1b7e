"""Mentorship interactions: the review phases (SPEC §5, §8)."""
from __future__ import annotations

from flask import request, url_for
from marshmallow import Schema, fields, validate

from ...domain.reviews import MAX_REPLY, MAX_TOTAL_PHASES, PRIORITIES, REVIEW_DECISIONS, REVIEW_TARGETS, weighted_total
from .base import BINARY, Derived, Flag, Items, Map, MissionRefSchema, PageArgs, PersonSchema, Text, an_id, page_schema
from .missions import CriterionSchema


class NextStepSchema(Schema):
    title = fields.String(required=True)
    priority = fields.String(load_default="medium", metadata={"enum": list(PRIORITIES)})
    deadline = fields.String(allow_none=True, metadata={"description": "ISO date (YYYY-MM-DD), not in the past"})


class ReviewFieldsSchema(Schema):
    """Editable review fields. Keys of the per-item maps must exist in the mission; scores are 0-100 with at
    most two decimals; rubric values are level scores of the mission's rubric."""

    phase = fields.String(metadata={"enum": list(REVIEW_TARGETS)})
    written_feedback = fields.String(metadata={"description": "Markdown"})
    feedback_per_subtask = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    feedback_per_decision = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    rubric_scores = fields.Dict(keys=fields.String(), values=fields.Raw(),
                                metadata={"description": "{criterion_id: level score}"})
    rubric_comments = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    subtask_scores = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "{subtask_id: 0-100}"})
    overall_score = fields.Raw(allow_none=True, metadata={"type": "number", "description": "0-100, two decimals"})
    is_scoring_meeting = fields.Boolean()
    meeting_notes = fields.String(metadata={"description": "Markdown"})
    meeting_duration_minutes = fields.Integer(allow_none=True)
    recommended_next_steps = fields.List(fields.Raw(), metadata={"description": "[{title, priority, deadline}]"})
    recommended_recipes = fields.List(fields.String(), metadata={"description": "recipe slugs"})
    audio_transcript = fields.String()
    video_transcript = fields.String()


class ReviewPatchSchema(ReviewFieldsSchema):
    version = fields.Integer(metadata={"description": "the version you read; another current version answers 409 "
                                                      "and nothing changes"})


class ReviewCreateSchema(ReviewFieldsSchema):
    capstone = an_id(metadata={"description": "the capstone's id (or give attempt)"})
    attempt = an_id(metadata={"description": "the mission attempt's id (or give capstone)"})
    review_phase = fields.Integer(required=True, validate=validate.Range(min=1))
    total_phases = fields.Integer(validate=validate.Range(min=1, max=MAX_TOTAL_PHASES, error=(
        f"must be between 1 and {MAX_TOTAL_PHASES}")), metadata={"description": "first review phase only"})


class ReviewSubmitSchema(Schema):
    overall_score = fields.Raw(allow_none=True, metadata={"type": "number"})
    decision = fields.String(allow_none=True, metadata={"enum": list(REVIEW_DECISIONS),
                                                         "description": "required on the last phase of a capstone"})
    reopen_phases = fields.List(fields.String(), metadata={"description": "capstone phases to reopen (request_changes)"})
    version = fields.Integer()


class ReviewListArgs(PageArgs):
    capstone = an_id()
    attempt = an_id()
    status = fields.String(validate=validate.OneOf(("draft", "submitted")))


def _absolute(url: str | None) -> str | None:
    """A recording stored here (/files/<key>) as an absolute URL; an external link as it is."""
    return request.host_url.rstrip("/") + url if url and url.startswith("/") else url


def _rubric_total(review) -> float | None:
    total = weighted_total(review.rubric_of(), review.rubric_scores or {})
    return float(total) if total is not None else None


class ReviewSchema(Schema):
    """Dumps a MentorshipInteraction."""

    id = fields.Integer(required=True)
    mentor = fields.Nested(PersonSchema, required=True, allow_none=True, metadata={
        "description": "null once the mentor deleted their account (the review is kept, by a former mentor)"})
    learner = fields.Nested(PersonSchema, required=True)
    mission = fields.Nested(MissionRefSchema, required=True)
    capstone = fields.Integer(attribute="capstone_id", allow_none=True, required=True)
    attempt = fields.Integer(attribute="attempt_id", allow_none=True, required=True)
    review_phase = fields.Integer(required=True)
    total_phases = fields.Integer(required=True)
    is_multi_phase = Derived.Boolean(value=lambda r: r.is_multi_phase(), required=True)
    next_phase = Derived.Integer(value=lambda r: r.get_next_phase(), allow_none=True, required=True)
    phase = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "submitted"]})
    decision = fields.String(allow_none=True, required=True)
    reopen_phases = Items(fields.String(), required=True)
    written_feedback = Text(required=True)
    feedback_per_subtask = Map(required=True)
    feedback_per_decision = Map(required=True)
    rubric_scores = Map(required=True)
    rubric_comments = Map(required=True)
    rubric_total = Derived.Float(value=_rubric_total, allow_none=True, required=True)
    rubric = Derived.List(fields.Nested(CriterionSchema), value=lambda r: r.rubric_of(), required=True, metadata={
        "description": "the rubric the phase is scored against: kept when it was submitted (a later edit of the "
                       "mission's rubric changes nothing here); a draft's is the mission's current rubric"})
    subtask_scores = Map(required=True)
    overall_score = fields.Float(allow_none=True, required=True)
    is_scoring_meeting = Flag(required=True)
    meeting_notes = Text(required=True)
    meeting_duration_minutes = fields.Integer(allow_none=True, required=True)
    recommended_next_steps = Items(fields.Dict(), required=True)
    recommended_recipes = Items(fields.String(), required=True)
    audio_feedback_url = Derived.String(value=lambda r: _absolute(r.audio_feedback_url), allow_none=True,
                                        required=True)
    video_feedback_url = Derived.String(value=lambda r: _absolute(r.video_feedback_url), allow_none=True,
                                        required=True)
    audio_duration_seconds = fields.Integer(allow_none=True, required=True)
    video_duration_seconds = fields.Integer(allow_none=True, required=True)
    audio_transcript = Text(required=True)
    video_transcript = Text(required=True)
    acknowledged_at = fields.DateTime(allow_none=True, required=True)
    next_steps_done = Items(fields.Integer(), required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(attribute="version_id", required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = Derived.String(value=lambda r: url_for("mentorship.review", review_id=r.id, _external=True), required=True)


ReviewPage = page_schema(ReviewSchema, "ReviewPage")


class ReviewMediaForm(Schema):
    """The multipart/form-data parts of a feedback recording upload (documentation only)."""

    file = fields.Raw(required=True, metadata=BINARY)
    kind = fields.String(required=True, metadata={"enum": ["audio", "video"]})


# ---- the conversation under a submitted review phase (SPEC §13) -------------------------------------------------

class ReplyCreateSchema(Schema):
    body = fields.String(required=True, metadata={"description": f"Markdown, 1 to {MAX_REPLY} characters"})


class ReplySchema(Schema):
    """Dumps a ReviewReply (its review loaded: the author's role is relative to it)."""

    id = fields.Integer(required=True)
    review = fields.Integer(attribute="review_id", required=True)
    author = fields.Nested(PersonSchema, allow_none=True, required=True,
                           metadata={"description": "null once the author's account is deleted"})
    author_role = Derived.String(value=lambda reply: reply.role_in(reply.review) or None, allow_none=True,
                                 required=True, metadata={"enum": ["learner", "reviewing mentor", "mentor", "admin"]})
    body = fields.String(required=True, metadata={"description": "Markdown as written"})
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)


ReplyPage = page_schema(ReplySchema, "ReplyPage")
