"""Capstone endpoints of SPEC §8, with the same rules and errors as the workspace pages (services.capstones)."""
from __future__ import annotations

from flask import g, jsonify, request, url_for
from sqlalchemy import select

from .. import caching
from ..capstones import queries
from ..domain import phases as rules
from ..domain.errors import Invalid
from ..extensions import db
from ..models import Mission, User
from ..services import capstones as service
from ..services.actors import actor_for
from .core import Routes, cached_ok, ok, paginate
from .schemas import (CapstoneCreateSchema, CapstoneDetailSchema, CapstoneFileSchema, CapstoneListArgs,
                      CapstonePage, CapstonePatchSchema, CapstoneSummarySchema,
                      CapstoneUploadForm)

routes = Routes("capstones")
FIELD_NAMES = tuple(name for names in rules.PHASE_FIELDS.values() for name in names)


def _summary_data(cap) -> dict:
    done = cap.completed_phases()
    return {
        "id": cap.id,
        "learner": {"id": cap.learner.id, "handle": cap.learner.handle, "display_name": cap.learner.display_name},
        "mission": {"slug": cap.mission.slug, "title": cap.mission.title, "track": cap.mission.track},
        "current_phase": cap.get_current_phase(),
        "progress_percent": rules.progress_percent(done),
        "phases": [{"key": p, "complete": p in done, "completed_at": getattr(cap, f"{p}_completed_at")}
                   for p in rules.PHASES],
        "submitted_at": cap.submitted_at, "under_review": service.under_review(cap),
        "mentor_approved": bool(cap.mentor_approved),
        "mentor_final_score": float(cap.mentor_final_score) if cap.mentor_final_score is not None else None,
        "mentor_reviewed_at": cap.mentor_reviewed_at, "version": cap.version_id,
        "created_at": cap.created_at, "updated_at": cap.updated_at,
        "url": url_for("capstones.detail", capstone_id=cap.id, _external=True),
    }


def summary_json(cap) -> dict:
    return CapstoneSummarySchema().dump(_summary_data(cap))


def file_json(row) -> dict:
    return {"key": row.key, "field": row.field, "filename": row.filename, "content_type": row.content_type,
            "size": row.size, "duration_seconds": row.duration_seconds,
            "url": url_for("files.download", key=row.key, _external=True)}


def detail_json(cap) -> dict:
    data = _summary_data(cap)
    data.update({name: getattr(cap, name) for name in FIELD_NAMES})
    data.update({
        "mentor_review_phases": cap.mentor_review_phases or [],
        "mentor_feedback_audio_url": cap.mentor_feedback_audio_url,
        "mentor_feedback_video_url": cap.mentor_feedback_video_url,
        "files": [file_json(f) for f in service.files_of(cap)],
        "history": [{"action": a.action, "phase": a.phase, "summary": a.summary,
                     "actor": a.actor.handle if a.actor else None, "created_at": a.created_at}
                    for a in service.history(cap)],
    })
    return CapstoneDetailSchema().dump(data)


@routes.get("/capstones", summary="Capstones you can see", query=CapstoneListArgs, response=CapstonePage)
def list_capstones(args):
    """Your own capstones; a mentor's also include their learners'; an admin sees all. Filter by `mission`
    (slug), `learner` (handle) and `status` (`in_progress`, `in_review`, `approved`). Newest change first."""
    user = g.api_user
    stmt = queries.visible_capstones(actor_for(user))
    from ..models import CapstoneProject as C

    if args.get("mission"):
        stmt = stmt.where(C.mission_id.in_(select(Mission.id).where(Mission.slug == args["mission"])))
    if args.get("learner"):
        stmt = stmt.where(C.learner_id.in_(select(User.id).where(User.handle == args["learner"])))
    status = args.get("status")
    if status == "approved":
        stmt = stmt.where(C.mentor_approved.is_(True))
    elif status == "in_review":
        stmt = stmt.where(C.submitted_at.is_not(None), C.mentor_approved.is_(False))
    elif status == "in_progress":
        stmt = stmt.where(C.submitted_at.is_(None), C.mentor_approved.is_(False))
    return ok(paginate(db.session, stmt, args, summary_json))


@routes.post("/capstones", summary="Start a capstone for a mastery mission", body=CapstoneCreateSchema,
             response=CapstoneDetailSchema, status=201, errors=(404, 409))
def create_capstone(body):
    """Creates your capstone for the mastery mission `mission` (a slug) and answers 201 with it. If you already
    have one for that mission (also when two requests race), answers **409** and the error carries the existing
    capstone's id twice: as `error.existing_id` (an integer) and as `error.fields.existing_id` (a string).
    A mission that is not of the mastery tier answers 422."""
    cap, created = service.start_by_slug(g.api_user, body["mission"])
    if not created:
        payload = {"error": {"code": "conflict", "message": "You already have a capstone for this mission.",
                             "existing_id": cap.id,
                             "fields": {"mission": "you already have a capstone for this mission",
                                        "existing_id": str(cap.id)}}}
        return jsonify(payload), 409
    return ok(detail_json(cap), 201)


def _get(capstone_id: int):
    return service.get_workspace(g.api_user, capstone_id)


@routes.get("/capstones/<int:capstone_id>", summary="One capstone with its phases", response=CapstoneDetailSchema,
            errors=(403, 404))
def get_capstone(capstone_id):
    """The learner, their assigned mentors and admins can read a capstone. `current_phase` is the first
    incomplete phase, then `mentor_review` until approved, then `completed`."""
    learner_id = service.readable_learner(g.api_user, capstone_id)
    # The same for every reader: made once per change to the learner's data, the people or the catalogue.
    return cached_ok(("catalogue", "people", caching.learner_area(learner_id)),
                     ("api-capstone", capstone_id, request.url_root), lambda: detail_json(_get(capstone_id)))


@routes.patch("/capstones/<int:capstone_id>", summary="Edit fields of open phases", body=CapstonePatchSchema,
              response=CapstoneDetailSchema, errors=(403, 404, 409))
def patch_capstone(capstone_id, body):
    """Only the owner; only fields of phases that are not complete; nothing while the capstone is in mentor
    review (409). Send `version` from your last read to be told (409) when someone saved in between.
    All or nothing: one bad field (422, each named) changes nothing."""
    cap = _get(capstone_id)
    version = body.pop("version", None)
    if not body:
        raise Invalid("Send at least one field to change.", fields={"body": "no fields"})
    service.save_fields(cap, body, g.api_user, version)
    return ok(detail_json(cap))


@routes.delete("/capstones/<int:capstone_id>", summary="Delete a capstone", status=204, errors=(403, 404, 409))
def delete_capstone(capstone_id):
    """Only the owner, and only before it is submitted for review or reviewed (else 409)."""
    service.delete(_get(capstone_id), g.api_user)
    return "", 204


@routes.post("/capstones/<int:capstone_id>/phases/<key>/complete", summary="Complete a phase",
             response=CapstoneDetailSchema, errors=(403, 404, 409, 422))
def complete_phase(capstone_id, key):
    """Phases complete in order: 409 names the phase that must come first (`error.fields.phase`); 422 names
    each missing field. Completing `presentation` submits the capstone for mentor review."""
    cap = _get(capstone_id)
    if key not in rules.PHASES:
        raise Invalid(f"Unknown phase '{key}'. Phases are: {', '.join(rules.PHASES)}.", fields={"key": "unknown"})
    service.complete_phase(cap, key, g.api_user)
    return ok(detail_json(cap))


@routes.post("/capstones/<int:capstone_id>/files", summary="Upload a file to a phase field",
             response=CapstoneFileSchema, status=201, form=CapstoneUploadForm,
             errors=(400, 403, 404, 409, 413, 415, 422))
def upload_file(capstone_id):
    """`multipart/form-data` with `file`, `field` (`investigation_artifacts`, `design_documents`,
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
    row = service.upload(cap, request.form.get("field", ""), upload.stream, upload.filename, g.api_user,
                         request.form.get("description", ""))
    return ok(file_json(row), 201)
