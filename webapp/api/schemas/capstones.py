"""Capstone projects (SPEC §4, §8). The phase fields are declared once, in CapstoneFieldsSchema: the PATCH body
and the detail response both take them from there."""
from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from ...domain import phases as rules
from ...domain.capstone_rules import ARTIFACT_TYPES, FILE_FIELDS
from ...domain.catalogue import TRACKS
from ...domain.phases import COMPLETED, FINDING_KINDS, PHASES, PRESENTATION_TYPES, REVIEW_STAGE
from ...services import capstones as service
from .base import BINARY, Derived, Items, MissionRefSchema, PageArgs, PersonSchema, page_schema

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
    """The phase fields (SPEC §4), the one list of them in the API. Blank rows are dropped; links are http(s) or an
    uploaded file's /files/<key>."""

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
    """Dumps a (capstone, phase) pair."""

    key = Derived.String(value=lambda cp: cp[1], required=True, validate=validate.OneOf(PHASES))
    complete = Derived.Boolean(value=lambda cp: cp[0].is_phase_complete(cp[1]), required=True)
    completed_at = Derived.DateTime(value=lambda cp: getattr(cp[0], f"{cp[1]}_completed_at"), allow_none=True,
                                    required=True)


class CapstoneMissionSchema(MissionRefSchema):
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))


class CapstoneFileSchema(Schema):
    """Dumps a StoredFile attached to a capstone."""

    key = fields.String(required=True)
    field = fields.String(required=True, validate=validate.OneOf(tuple(FILE_FIELDS)))
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    duration_seconds = fields.Integer(allow_none=True)
    url = Derived.String(value=lambda f: url_for("files.download", key=f.key, _external=True), required=True,
                         metadata={"description": "download (authorised)"})


class ActivitySchema(Schema):
    """Dumps a CapstoneActivity."""

    action = fields.String(required=True, metadata={"description": "started, saved, completed, submitted, reopened"})
    phase = fields.String(allow_none=True)
    summary = fields.String(required=True)
    actor = fields.Pluck(PersonSchema, "handle", allow_none=True, metadata={"description": "handle"})
    created_at = fields.DateTime(required=True)


class CapstoneSummarySchema(Schema):
    """Dumps a CapstoneProject."""

    id = fields.Integer(required=True)
    learner = fields.Nested(PersonSchema, required=True)
    mission = fields.Nested(CapstoneMissionSchema, required=True)
    current_phase = Derived.String(value=lambda c: c.get_current_phase(), required=True,
                                   validate=validate.OneOf(PHASES + (REVIEW_STAGE, COMPLETED)))
    progress_percent = Derived.Integer(value=lambda c: rules.progress_percent(c.completed_phases()), required=True)
    phases = Derived.List(fields.Nested(PhaseStateSchema), value=lambda c: [(c, p) for p in PHASES], required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    under_review = Derived.Boolean(value=service.under_review, required=True)
    mentor_approved = Derived.Boolean(value=lambda c: bool(c.mentor_approved), required=True)
    mentor_final_score = fields.Float(allow_none=True, required=True)
    mentor_reviewed_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(attribute="version_id", required=True,
                             metadata={"description": "send it back in PATCH to detect conflicts"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = Derived.String(value=lambda c: url_for("capstones.detail", capstone_id=c.id, _external=True),
                         required=True, metadata={"description": "the workspace page"})


class CapstoneDetailSchema(CapstoneSummarySchema, CapstoneFieldsSchema):
    mentor_review_phases = Items(fields.Dict(), required=True)
    mentor_feedback_audio_url = fields.String(allow_none=True, required=True)
    mentor_feedback_video_url = fields.String(allow_none=True, required=True)
    files = Derived.List(fields.Nested(CapstoneFileSchema), value=service.files_of, required=True)
    history = Derived.List(fields.Nested(ActivitySchema), value=service.history, required=True,
                           metadata={"description": "newest first"})


CapstonePage = page_schema(CapstoneSummarySchema, "CapstonePage")


class CapstoneUploadForm(Schema):
    """The multipart/form-data parts of a capstone upload (documentation only: the view reads the parts)."""

    file = fields.Raw(required=True, metadata=BINARY)
    field = fields.String(required=True, metadata={"enum": list(FILE_FIELDS)})
    description = fields.String()
