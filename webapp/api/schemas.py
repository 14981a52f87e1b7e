"""Marshmallow schemas: they validate API input and describe every response in the OpenAPI document."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..domain.catalogue import ROLES, TIERS, TRACKS

MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1  # the largest value of a database integer column (ids, versions)


def an_id(**kw) -> fields.Integer:
    """An integer naming a row: 1 to MAX_ID, so that no value overflows the database's integer (a 500)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID, error=f"must be between 1 and {MAX_ID}"), **kw)


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = fields.String(required=True)
    existing_id = fields.Integer(metadata={"description": "409 on creating a capstone: the id of the one you have"})
    fields = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "field name -> message for each field at fault"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="must be 1 or more"))
    per_page = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"must be between 1 and {MAX_PER_PAGE}"))


class MissionFilterArgs(PageArgs):
    track = fields.String(validate=validate.OneOf(TRACKS))
    tier = fields.String(validate=validate.OneOf(TIERS))
    q = fields.String(validate=validate.Length(max=100))


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


# ---- Capstones (SPEC §4, §8) ---------------------------------------------------------------------------------

from ..domain.capstone_rules import ARTIFACT_TYPES, FILE_FIELDS  # noqa: E402
from ..domain.phases import COMPLETED, FINDING_KINDS, PHASES, PRESENTATION_TYPES, REVIEW_STAGE  # noqa: E402

TEXT = {"allow_none": True}


class FindingsSchema(Schema):
    threats = fields.List(fields.String(**TEXT))
    vulnerabilities = fields.List(fields.String(**TEXT))
    timeline = fields.List(fields.String(**TEXT))
    evidence = fields.List(fields.String(**TEXT))


class ArtifactSchema(Schema):
    type = fields.String(allow_none=True, metadata={"enum": list(ARTIFACT_TYPES)})
    url = fields.String(allow_none=True, metadata={"description": "an http(s) link, or /files/<key> of an upload"})
    description = fields.String(allow_none=True)


class DecisionMadeSchema(Schema):
    decision = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True, metadata={"description": "ISO date or date-time"})


class DesignDocumentSchema(Schema):
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "an http(s) link, or /files/<key> of an upload"})
    description = fields.String(allow_none=True)


class KeyFindingSchema(Schema):
    finding = fields.String(allow_none=True)
    impact = fields.String(allow_none=True)
    recommendation = fields.String(allow_none=True)


class CapstoneFieldsSchema(Schema):
    """The phase fields (SPEC §4). Blank rows are dropped; links are http(s) or an uploaded file's /files/<key>."""

    investigation_findings = fields.Nested(FindingsSchema, metadata={"description": f"lists: {', '.join(FINDING_KINDS)}"})
    investigation_artifacts = fields.List(fields.Nested(ArtifactSchema))
    decisions_made = fields.List(fields.Nested(DecisionMadeSchema))
    decision_analysis = fields.String(allow_none=True, metadata={"description": "Markdown"})
    design_documents = fields.List(fields.Nested(DesignDocumentSchema))
    remediation_plan = fields.String(allow_none=True, metadata={"description": "Markdown"})
    report_document_url = fields.String(allow_none=True)
    report_summary = fields.String(allow_none=True, metadata={"description": "Markdown"})
    report_key_findings = fields.List(fields.Nested(KeyFindingSchema))
    presentation_url = fields.String(allow_none=True)
    presentation_type = fields.String(allow_none=True, metadata={"enum": list(PRESENTATION_TYPES)})
    presentation_notes = fields.String(allow_none=True, metadata={"description": "Markdown"})


class CapstonePatchSchema(CapstoneFieldsSchema):
    version = fields.Integer(metadata={"description": "the version you read; a different current version answers 409 "
                                                      "(someone saved in between) and nothing is changed"})


class CapstoneCreateSchema(Schema):
    mission = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "the slug of a mastery mission"})


class CapstoneListArgs(PageArgs):
    mission = fields.String(validate=validate.Length(max=200), metadata={"description": "mission slug"})
    learner = fields.String(validate=validate.Length(max=100), metadata={"description": "learner handle"})
    status = fields.String(validate=validate.OneOf(("in_progress", "in_review", "approved")))


class PhaseStateSchema(Schema):
    key = fields.String(required=True, validate=validate.OneOf(PHASES))
    complete = fields.Boolean(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)


class CapstoneLearnerSchema(Schema):
    id = fields.Integer(required=True)
    handle = fields.String(required=True)
    display_name = fields.String(required=True)


class CapstoneMissionSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))


class CapstoneFileSchema(Schema):
    key = fields.String(required=True)
    field = fields.String(required=True, validate=validate.OneOf(tuple(FILE_FIELDS)))
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    duration_seconds = fields.Integer(allow_none=True)
    url = fields.String(required=True, metadata={"description": "download (authorised)"})


class ActivitySchema(Schema):
    action = fields.String(required=True, metadata={"description": "started, saved, completed, submitted, reopened"})
    phase = fields.String(allow_none=True)
    summary = fields.String(required=True)
    actor = fields.String(allow_none=True, metadata={"description": "handle"})
    created_at = fields.DateTime(required=True)


class CapstoneSummarySchema(Schema):
    id = fields.Integer(required=True)
    learner = fields.Nested(CapstoneLearnerSchema, required=True)
    mission = fields.Nested(CapstoneMissionSchema, required=True)
    current_phase = fields.String(required=True, validate=validate.OneOf(PHASES + (REVIEW_STAGE, COMPLETED)))
    progress_percent = fields.Integer(required=True)
    phases = fields.List(fields.Nested(PhaseStateSchema), required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    under_review = fields.Boolean(required=True)
    mentor_approved = fields.Boolean(required=True)
    mentor_final_score = fields.Float(allow_none=True, required=True)
    mentor_reviewed_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(required=True, metadata={"description": "send it back in PATCH to detect conflicts"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = fields.String(required=True, metadata={"description": "the workspace page"})


class CapstoneDetailSchema(CapstoneSummarySchema, CapstoneFieldsSchema):
    mentor_review_phases = fields.List(fields.Dict(), required=True)
    mentor_feedback_audio_url = fields.String(allow_none=True, required=True)
    mentor_feedback_video_url = fields.String(allow_none=True, required=True)
    files = fields.List(fields.Nested(CapstoneFileSchema), required=True)
    history = fields.List(fields.Nested(ActivitySchema), required=True, metadata={"description": "newest first"})


CapstonePage = page_schema(CapstoneSummarySchema, "CapstonePage")

BINARY = {"type": "string", "format": "binary"}


class CapstoneUploadForm(Schema):
    """The multipart/form-data parts of a capstone upload (documentation only: the view reads the parts)."""

    file = fields.Raw(required=True, metadata=BINARY)
    field = fields.String(required=True, metadata={"enum": list(FILE_FIELDS)})
    description = fields.String()



# ---- Portfolio (SPEC §6, §8) ------------------------------------------------------------------------------------

from ..domain.portfolio import DECISIONS as PORTFOLIO_DECISIONS  # noqa: E402
from ..domain.portfolio import ITEM_TYPES, STATUSES, VISIBILITIES  # noqa: E402


class EvidenceFileSchema(Schema):
    key = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "download URL (authorised: public evidence for "
                                                               "anyone, the rest for the owner, mentors, admins)"})


class PortfolioTransitionSchema(Schema):
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True)
    actor = fields.String(allow_none=True, required=True, metadata={"description": "handle of who did it"})
    note = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class PortfolioItemSchema(Schema):
    id = fields.Integer(required=True)
    owner = fields.String(required=True, metadata={"description": "the owner's handle"})
    title = fields.String(required=True)
    summary = fields.String(required=True, metadata={"description": "Markdown"})
    item_type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    skill_tags = fields.List(fields.String(), required=True)
    evidence_files = fields.List(fields.Nested(EvidenceFileSchema), required=True)
    mission = fields.String(allow_none=True, required=True, metadata={"description": "linked mission's slug"})
    capstone = fields.Integer(allow_none=True, required=True, metadata={"description": "linked capstone's id"})
    reviewed_by = fields.String(allow_none=True, required=True, metadata={"description": "reviewer's display name"})
    reviewed_at = fields.DateTime(allow_none=True, required=True)
    review_note = fields.String(required=True)
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = fields.String(required=True, metadata={"description": "the item's page"})
    share_url = fields.String(metadata={"description": "the secret link; only in the owner's view of an "
                                                      "unlisted item"})
    history = fields.List(fields.Nested(PortfolioTransitionSchema),
                          metadata={"description": "every status change (single-item responses)"})


class PortfolioFilterArgs(PageArgs):
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    owner = fields.String(validate=validate.Length(max=40), metadata={
        "description": "a learner's handle (mentors and admins); default: the caller"})


class PortfolioItemUpdate(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=[validate.Length(max=20000)])
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    skill_tags = fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=20))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    mission = fields.String(allow_none=True, metadata={"description": "slug of a mission you attempted"})
    capstone = an_id(allow_none=True, metadata={"description": "id of one of your capstones"})


class PortfolioItemCreate(PortfolioItemUpdate):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    item_type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))


class PortfolioSubmitBody(Schema):
    confirm = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list, metadata={
        "description": "fingerprints of findings you have redacted or confirm as safe to share"})


class PortfolioReviewBody(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(PORTFOLIO_DECISIONS)))
    note = fields.String(load_default="", validate=validate.Length(max=5000),
                         metadata={"description": "required when requesting changes"})


class PublicCapstoneSchema(Schema):
    mission = fields.String(required=True)
    title = fields.String(required=True)
    track = fields.String(required=True)
    tier = fields.String(required=True)
    score = fields.Float(allow_none=True, required=True)
    approved_at = fields.DateTime(allow_none=True, required=True)


class PublicPortfolioSchema(Schema):
    handle = fields.String(required=True)
    display_name = fields.String(required=True)
    bio = fields.String(required=True, metadata={"description": "Markdown"})
    url = fields.String(required=True)
    tracks_mastered = fields.List(fields.String(), required=True, metadata={
        "description": "tracks with a mentor-approved capstone on a mastery mission"})
    skills = fields.List(fields.String(), required=True, metadata={
        "description": "skills backed by approved public items"})
    capstones = fields.List(fields.Nested(PublicCapstoneSchema), required=True)
    items = fields.List(fields.Nested(PortfolioItemSchema), required=True,
                        metadata={"description": "approved public items only"})


PortfolioItemPage = page_schema(PortfolioItemSchema, "PortfolioItemPage")


class EvidenceUploadForm(Schema):
    """The multipart/form-data part of an evidence upload (documentation only)."""

    file = fields.Raw(required=True, metadata=BINARY)


# ---- Mentorship interactions (SPEC §5, §8) ------------------------------------------------------------------

from ..domain.reviews import (MAX_TOTAL_PHASES as _MAX_REVIEW_PHASES, PRIORITIES as _REVIEW_PRIORITIES,  # noqa: E402
                              REVIEW_DECISIONS as _REVIEW_DECISIONS, REVIEW_TARGETS as _REVIEW_TARGETS)


class NextStepSchema(Schema):
    title = fields.String(required=True)
    priority = fields.String(load_default="medium", metadata={"enum": list(_REVIEW_PRIORITIES)})
    deadline = fields.String(allow_none=True, metadata={"description": "ISO date (YYYY-MM-DD), not in the past"})


class ReviewFieldsSchema(Schema):
    """Editable review fields. Keys of the per-item maps must exist in the mission; scores are 0-100 with at
    most two decimals; rubric values are level scores of the mission's rubric."""

    phase = fields.String(metadata={"enum": list(_REVIEW_TARGETS)})
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
    total_phases = fields.Integer(validate=validate.Range(min=1, max=_MAX_REVIEW_PHASES, error=(
        f"must be between 1 and {_MAX_REVIEW_PHASES}")), metadata={"description": "first review phase only"})


class ReviewSubmitSchema(Schema):
    overall_score = fields.Raw(allow_none=True, metadata={"type": "number"})
    decision = fields.String(allow_none=True, metadata={"enum": list(_REVIEW_DECISIONS),
                                                         "description": "required on the last phase of a capstone"})
    reopen_phases = fields.List(fields.String(), metadata={"description": "capstone phases to reopen (request_changes)"})
    version = fields.Integer()


class ReviewListArgs(PageArgs):
    capstone = an_id()
    attempt = an_id()
    status = fields.String(validate=validate.OneOf(("draft", "submitted")))


class ReviewSchema(Schema):
    id = fields.Integer(required=True)
    mentor = fields.Dict(required=True)
    learner = fields.Dict(required=True)
    mission = fields.Dict(required=True)
    capstone = fields.Integer(allow_none=True, required=True)
    attempt = fields.Integer(allow_none=True, required=True)
    review_phase = fields.Integer(required=True)
    total_phases = fields.Integer(required=True)
    is_multi_phase = fields.Boolean(required=True)
    next_phase = fields.Integer(allow_none=True, required=True)
    phase = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "submitted"]})
    decision = fields.String(allow_none=True, required=True)
    reopen_phases = fields.List(fields.String(), required=True)
    written_feedback = fields.String(required=True)
    feedback_per_subtask = fields.Dict(required=True)
    feedback_per_decision = fields.Dict(required=True)
    rubric_scores = fields.Dict(required=True)
    rubric_comments = fields.Dict(required=True)
    rubric_total = fields.Float(allow_none=True, required=True)
    subtask_scores = fields.Dict(required=True)
    overall_score = fields.Float(allow_none=True, required=True)
    is_scoring_meeting = fields.Boolean(required=True)
    meeting_notes = fields.String(required=True)
    meeting_duration_minutes = fields.Integer(allow_none=True, required=True)
    recommended_next_steps = fields.List(fields.Dict(), required=True)
    recommended_recipes = fields.List(fields.String(), required=True)
    audio_feedback_url = fields.String(allow_none=True, required=True)
    video_feedback_url = fields.String(allow_none=True, required=True)
    audio_duration_seconds = fields.Integer(allow_none=True, required=True)
    video_duration_seconds = fields.Integer(allow_none=True, required=True)
    audio_transcript = fields.String(required=True)
    video_transcript = fields.String(required=True)
    acknowledged_at = fields.DateTime(allow_none=True, required=True)
    next_steps_done = fields.List(fields.Integer(), required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = fields.String(required=True)


ReviewPage = page_schema(ReviewSchema, "ReviewPage")


class ReviewMediaForm(Schema):
    """The multipart/form-data parts of a feedback recording upload (documentation only)."""

    file = fields.Raw(required=True, metadata=BINARY)
    kind = fields.String(required=True, metadata={"enum": ["audio", "video"]})
