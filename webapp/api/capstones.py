"""Capstone endpoints of SPEC §8, with the same rules and errors as the workspace pages (services.capstones)."""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from ..capstones import queries
from ..domain.errors import Invalid
from ..services import capstones as service
from ..services.actors import actor_for
from .core import Blueprint, cached_json, learner_area, paginate
from .schemas.capstones import (CapstoneCreateSchema, CapstoneDetailSchema, CapstoneFileSchema, CapstoneListArgs,
                                CapstoneSavedSchema,
                                CapstonePage, CapstonePatchSchema, CapstoneUploadForm)

bp = Blueprint("capstones", __name__)
# The phase in the URL of "complete a phase": the `phase` converter answers 404 for an unknown one.
COMPLETE_PHASE_RULE = "/capstones/<int:capstone_id>/phases/<phase:key>/complete"


@bp.get("/capstones")
@bp.authenticated(errors=(404, 422))
@bp.arguments(CapstoneListArgs, location="query")
@bp.response(200, CapstonePage)
def list_capstones(args):
    """Capstones you can see

    Your own capstones; a mentor's also include their learners'; an admin sees all. Filter by `mission`
    (slug), `learner` (handle) and `status` (`in_progress`, `in_review`, `approved`). Newest change first."""
    return paginate(queries.visible_capstones(actor_for(g.api_user), mission=args.get("mission"),
                                              learner=args.get("learner"), status=args.get("status")), args)


@bp.post("/capstones")
@bp.authenticated(errors=(400, 404, 409, 422))
@bp.arguments(CapstoneCreateSchema)
@bp.response(201, CapstoneDetailSchema)
def create_capstone(body):
    """Start a capstone for a mastery mission

    Creates your capstone for the mastery mission `mission` (a slug) and answers 201 with it. If you already
    have one for that mission (also when two requests race), answers **409** and the error carries the existing
    capstone's id twice: as `error.existing_id` (an integer) and as `error.fields.existing_id` (a string).
    A mission that is not of the mastery tier answers 422; without a completed attempt at the mission it answers
    409 (`error.fields.mission`: "no completed attempt"): a capstone builds on that attempt and records it."""
    cap, created = service.start_by_slug(g.api_user, body["mission"])
    if not created:
        payload = {"error": {"code": "conflict", "message": "You already have a capstone for this mission.",
                             "existing_id": cap.id,
                             "fields": {"mission": "you already have a capstone for this mission",
                                        "existing_id": str(cap.id)}}}
        return jsonify(payload), 409
    return cap


def _get(capstone_id: int):
    return service.get_workspace(g.api_user, capstone_id)


@bp.get("/capstones/<int:capstone_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(200, CapstoneDetailSchema)
def get_capstone(capstone_id):
    """One capstone with its phases

    The learner, their assigned mentors and admins can read a capstone. `current_phase` is the first
    incomplete phase, then `mentor_review` until approved, then `completed`."""
    learner_id = service.readable_learner(g.api_user, capstone_id)
    # The same for every reader: made once per change to the learner's data, the people or the catalogue.
    return cached_json(("catalogue", "people", learner_area(learner_id)),
                       ("api-capstone", capstone_id, request.url_root),
                       lambda: CapstoneDetailSchema().dump(_get(capstone_id)))


@bp.patch("/capstones/<int:capstone_id>")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(CapstonePatchSchema)
@bp.response(200, CapstoneSavedSchema)
def patch_capstone(body, capstone_id):
    """Edit fields of open phases

    Only the owner; only fields of phases that are not complete; nothing while the capstone is in mentor
    review (409). All or nothing: one bad field (422, each named) changes nothing.

    Concurrent saves: with `version` (from your last read), a save made in between answers 409 `stale` and
    changes nothing, so you can merge and retry. Without `version`, the last writer wins field by field: a save
    that meets a concurrent one is retried on the capstone as that one left it (fields sent by both hold this
    request's values; fields sent by one only keep theirs), and answers 200.

    The answer is the capstone as saved with its newest 10 history entries, so an autosave's answer does not
    grow with the history."""
    cap = _get(capstone_id)
    version = body.pop("version", None)
    if not body:
        raise Invalid("Send at least one field to change.", fields={"body": "no fields"})
    service.save_fields(cap, body, g.api_user, version)
    return cap


@bp.delete("/capstones/<int:capstone_id>")
@bp.authenticated(errors=(403, 404, 409))
@bp.response(204)
def delete_capstone(capstone_id):
    """Delete a capstone

    Only the owner, and only before it is submitted for review or reviewed (else 409)."""
    service.delete(_get(capstone_id), g.api_user)
    return current_app.response_class(status=204)


@bp.post(COMPLETE_PHASE_RULE)
@bp.authenticated(errors=(403, 404, 409, 422))
@bp.response(200, CapstoneDetailSchema)
def complete_phase(capstone_id, key):
    """Complete a phase

    Phases complete in order: 409 names the phase that must come first (`error.fields.phase`); 422 names
    each missing field; an unknown phase is 404. Completing `presentation` submits the capstone for mentor review."""
    cap = _get(capstone_id)
    service.complete_phase(cap, key, g.api_user)
    return cap


@bp.post("/capstones/<int:capstone_id>/files")
@bp.authenticated(errors=(400, 403, 404, 409, 413, 415, 422))
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": CapstoneUploadForm}}})
@bp.response(201, CapstoneFileSchema)
def upload_file(capstone_id):
    """Upload a file to a phase field

    `multipart/form-data` with `file`, `field` (`investigation_artifacts`, `design_documents`,
    `report_document` or `presentation`) and an optional `description`. The file is checked by its content
    (415 when the type is not accepted, 413 when too large) and attached at once: artifacts and design
    documents gain a row, the report and the presentation take its URL. Only the owner, only open phases."""
    cap = _get(capstone_id)
    if not request.mimetype == "multipart/form-data":
        raise Invalid("Send the file as multipart/form-data with the parts file, field and description.",
                      fields={"file": "multipart/form-data expected"})
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Choose a file to upload.", fields={"file": "missing"})
    return service.upload(cap, request.form.get("field", ""), upload.stream, upload.filename, g.api_user,
                          request.form.get("description", ""))
