"""Capstone projects (SPEC §4, §8). The phase fields come from the phase field table (domain.phase_fields), in
CapstoneFieldsSchema: the PATCH body and the detail response both take them from there."""
from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from ...domain import phases as rules
from ...domain.capstone_rules import FILE_FIELDS
from ...domain.catalogue import TRACKS
from ...domain.phase_fields import api_field_specs
from ...domain.phases import COMPLETED, PHASES, REVIEW_STAGE
from ...services import capstones as service
from .base import BINARY, Derived, Items, MissionRefSchema, PageArgs, PersonSchema, page_schema

TEXT = {"allow_none": True}


LINK = "an http(s) link, or /files/<key> of an upload"


def _column(col):
    meta = {"enum": list(col.choices)} if col.choices else {"description": LINK} if col.kind == "url" else {}
    return fields.String(allow_none=True, metadata=meta)


def _api_field(spec):
    """The API field of one phase field spec (domain.phase_fields)."""
    meta = {"description": spec.help} if spec.help else {}
    if spec.kind == "lists":
        lists = Schema.from_dict({k: fields.List(fields.String(allow_none=True)) for k in spec.lists}, name="Findings")
        return fields.Nested(lists, metadata={"description": f"lists: {', '.join(spec.lists)}"})
    if spec.kind == "rows":
        row = Schema.from_dict({c.name: _column(c) for c in spec.columns},
                               name="".join(w.capitalize() for w in spec.name.split("_")) + "Row")
        return fields.List(fields.Nested(row), metadata=meta)
    if spec.kind == "choice":
        return fields.String(allow_none=True, metadata={"enum": list(spec.choices)})
    if spec.kind == "markdown":
        return fields.String(allow_none=True, metadata={"description": "Markdown"})
    return fields.String(allow_none=True, metadata=meta)


# The phase fields (SPEC §4), derived from the phase field table: the PATCH body and the detail response both take
# them from here. Blank rows are dropped; links are http(s) or an uploaded file's /files/<key>.
CapstoneFieldsSchema = Schema.from_dict({f.name: _api_field(f) for f in api_field_specs()}, name="CapstoneFields")


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
    completed_at = Derived.DateTime(value=lambda cp: getattr(cp[0], rules.completed_at(cp[1])), allow_none=True,
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
    attempt = fields.Integer(attribute="attempt_id", allow_none=True, required=True,
                             metadata={"description": "the id of the completed mission attempt it builds on "
                                                      "(GET /api/v1/attempts/<id>)"})
    current_phase = Derived.String(value=lambda c: c.get_current_phase(), required=True,
                                   validate=validate.OneOf(PHASES + (REVIEW_STAGE, COMPLETED)))
    progress_percent = Derived.Integer(value=lambda c: rules.progress_percent(c.completed_phases()), required=True)
    phases = Derived.List(fields.Nested(PhaseStateSchema), value=lambda c: [(c, p) for p in PHASES], required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    under_review = Derived.Boolean(value=service.under_review, required=True)
    mentor_approved = Derived.Boolean(value=lambda c: bool(c.mentor_approved), required=True)
    mentor_final_score = fields.Float(allow_none=True, required=True)
    mentor_reviewed_at = fields.DateTime(allow_none=True, required=True)
    changes_requested_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "when a mentor asked for changes, until the capstone is submitted again (null otherwise)"})
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


SAVED_HISTORY = 10


class CapstoneSavedSchema(CapstoneDetailSchema):
    """The answer to a PATCH: the capstone as saved, with only its newest history entries, so an autosave's answer
    stays the same size however long the history grows."""

    history = Derived.List(fields.Nested(ActivitySchema), value=lambda c: service.history(c, limit=SAVED_HISTORY),
                           required=True, metadata={"description": f"the newest {SAVED_HISTORY} entries, newest "
                                                                  "first (GET the capstone for up to 200)"})


CapstonePage = page_schema(CapstoneSummarySchema, "CapstonePage")


class CapstoneUploadForm(Schema):
    """The multipart/form-data parts of a capstone upload (documentation only: the view reads the parts)."""

    file = fields.Raw(required=True, metadata=BINARY)
    field = fields.String(required=True, metadata={"enum": list(FILE_FIELDS)})
    description = fields.String()
