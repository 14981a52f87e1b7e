"""Mentorship-interaction endpoints of SPEC §8, with the same rules and errors as the review pages
(services.reviews)."""
from __future__ import annotations

from flask import g, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import reviews as rules
from ..domain.errors import Invalid
from ..extensions import db
from ..models import MentorshipInteraction
from ..services import access
from ..services import reviews as service
from ..services.actors import actor_for
from .core import Routes, ok, paginate
from .schemas import (ReviewCreateSchema, ReviewListArgs, ReviewPage, ReviewPatchSchema, ReviewSchema,
                      ReviewMediaForm, ReviewSubmitSchema)

routes = Routes("mentorship")
MI = MentorshipInteraction
FIELDS = ("phase", "written_feedback", "feedback_per_subtask", "feedback_per_decision", "rubric_scores",
          "rubric_comments", "subtask_scores", "overall_score", "is_scoring_meeting", "meeting_notes",
          "meeting_duration_minutes", "recommended_next_steps", "recommended_recipes", "audio_transcript",
          "video_transcript")


def _person(u) -> dict:
    return {"id": u.id, "handle": u.handle, "display_name": u.display_name} if u else {}


def review_json(r: MI) -> dict:
    total = rules.weighted_total(r.mission.rubric or [], r.rubric_scores or {})
    data = {
        "id": r.id, "mentor": _person(r.mentor), "learner": _person(r.learner),
        "mission": {"slug": r.mission.slug, "title": r.mission.title, "track": r.mission.track},
        "capstone": r.capstone_id, "attempt": r.attempt_id, "review_phase": r.review_phase,
        "total_phases": r.total_phases, "is_multi_phase": r.is_multi_phase(), "next_phase": r.get_next_phase(),
        "phase": r.phase, "status": r.status, "decision": r.decision, "reopen_phases": r.reopen_phases or [],
        "written_feedback": r.written_feedback or "", "feedback_per_subtask": r.feedback_per_subtask or {},
        "feedback_per_decision": r.feedback_per_decision or {}, "rubric_scores": r.rubric_scores or {},
        "rubric_comments": r.rubric_comments or {}, "rubric_total": float(total) if total is not None else None,
        "subtask_scores": r.subtask_scores or {},
        "overall_score": float(r.overall_score) if r.overall_score is not None else None,
        "is_scoring_meeting": bool(r.is_scoring_meeting), "meeting_notes": r.meeting_notes or "",
        "meeting_duration_minutes": r.meeting_duration_minutes,
        "recommended_next_steps": r.recommended_next_steps or [], "recommended_recipes": r.recommended_recipes or [],
        "audio_feedback_url": _abs(r.audio_feedback_url), "video_feedback_url": _abs(r.video_feedback_url),
        "audio_duration_seconds": r.audio_duration_seconds, "video_duration_seconds": r.video_duration_seconds,
        "audio_transcript": r.audio_transcript or "", "video_transcript": r.video_transcript or "",
        "acknowledged_at": r.acknowledged_at, "next_steps_done": r.next_steps_done or [],
        "submitted_at": r.submitted_at, "version": r.version_id, "created_at": r.created_at,
        "updated_at": r.updated_at, "url": url_for("mentorship.review", review_id=r.id, _external=True),
    }
    return ReviewSchema().dump(data)


def _abs(url: str | None) -> str | None:
    return request.host_url.rstrip("/") + url if url and url.startswith("/") else url


@routes.get("/mentorship-interactions", summary="Reviews you can see", query=ReviewListArgs, response=ReviewPage)
def list_reviews(args):
    """A learner sees the submitted reviews of their own work; a mentor also the reviews they wrote and every
    review of work they may read (their learners' for the assigned tracks, what they claimed); an admin sees
    all. Filter by `capstone`, `attempt` and `status`."""
    user = g.api_user
    actor = actor_for(user)
    stmt = select(MI).options(joinedload(MI.mission), joinedload(MI.mentor), joinedload(MI.learner)).where(
        access.review_read_filter(actor, access.review_cols(), MI.mentor_id, MI.status == "submitted",
                                  access.cutoff()))
    if args.get("capstone"):
        stmt = stmt.where(MI.capstone_id == args["capstone"])
    if args.get("attempt"):
        stmt = stmt.where(MI.attempt_id == args["attempt"])
    if args.get("status"):
        stmt = stmt.where(MI.status == args["status"])
    return ok(paginate(db.session, stmt.order_by(MI.id.desc()), args, review_json))


def _fields(body: dict) -> dict:
    return {k: body[k] for k in FIELDS if k in body}


@routes.post("/mentorship-interactions", summary="Start a review phase", body=ReviewCreateSchema,
             response=ReviewSchema, status=201, errors=(403, 404, 409, 422))
def create_review(body):
    """Give `capstone` (or `attempt`), `review_phase` and `phase` (a capstone phase or `overall`); the first
    phase also fixes `total_phases` (1-5). Each next phase must be the next number (409 otherwise, also while
    the previous phase is a draft). Only the learner's assigned mentor, a mentor who claimed the submission
    from the queue, or an admin. Mission and learner come from the capstone or attempt. Any review field may
    be given too; it is saved as the draft."""
    if bool(body.get("capstone")) == bool(body.get("attempt")):
        raise Invalid("Give either capstone or attempt.", fields={"capstone": "give capstone or attempt"})
    review = service.create(g.api_user, capstone_id=body.get("capstone"), attempt_id=body.get("attempt"),
                            review_phase=body["review_phase"], phase=body.get("phase") or rules.OVERALL,
                            total_phases=body.get("total_phases"))
    data = _fields(body)
    data.pop("phase", None)
    if data:
        try:
            service.save_draft(review, data, g.api_user)
        except Exception:
            db.session.delete(review)
            db.session.commit()
            raise
    return ok(review_json(review), 201)


def _get(review_id: int) -> MI:
    return service.get_for(g.api_user, review_id)


@routes.get("/mentorship-interactions/<int:review_id>", summary="One review phase", response=ReviewSchema,
            errors=(403, 404))
def get_review(review_id):
    """Editors (assigned mentor, claiming mentor, admin) read drafts and submitted phases; the learner reads
    submitted phases of their own work."""
    return ok(review_json(_get(review_id)))


@routes.patch("/mentorship-interactions/<int:review_id>", summary="Edit a draft review phase",
              body=ReviewPatchSchema, response=ReviewSchema, errors=(403, 404, 409, 422))
def patch_review(review_id, body):
    """A submitted phase is immutable (409). Send `version` from your last read to get a 409 instead of
    overwriting a newer save. All or nothing: one bad field (422, each named) changes nothing."""
    review = _get(review_id)
    version = body.pop("version", None)
    data = _fields(body)
    if not data:
        raise Invalid("Send at least one field to change.", fields={"body": "no fields"})
    service.save_draft(review, data, g.api_user, version)
    return ok(review_json(review))


@routes.post("/mentorship-interactions/<int:review_id>/media", summary="Upload audio or video feedback",
             response=ReviewSchema, status=201, form=ReviewMediaForm, errors=(400, 403, 404, 409, 413, 415, 422))
def upload_media(review_id):
    """`multipart/form-data` with `file` and `kind` (`audio` or `video`). The file is checked by its content
    (415 when refused, 413 when too large), stored as the learner's file, and the review's
    `audio_feedback_url`/`video_feedback_url` and duration (read from the file on the server) are set."""
    review = _get(review_id)
    if request.mimetype != "multipart/form-data":
        raise Invalid("Send the file as multipart/form-data with the parts file and kind.",
                      fields={"file": "multipart/form-data expected"})
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Choose a file to upload.", fields={"file": "missing"})
    service.upload_media(review, g.api_user, upload.stream, upload.filename, request.form.get("kind", ""))
    return ok(review_json(review), 201)


@routes.post("/mentorship-interactions/<int:review_id>/submit", summary="Submit a review phase",
             body=ReviewSubmitSchema, response=ReviewSchema, errors=(403, 404, 409, 422))
def submit_review(review_id, body):
    """Submitting makes the phase immutable and visible to the learner. The body may set `overall_score`. The
    last phase needs an overall score and, for a capstone, a `decision`: `approve` (sets the capstone's
    mentor fields and creates a draft `capstone_result` portfolio item for the learner) or `request_changes`
    with `reopen_phases` (the earliest named phase and every later one are reopened)."""
    review = _get(review_id)
    service.submit(review, g.api_user, expected_version=body.get("version"),
                   overall_score=body.get("overall_score"), decision=body.get("decision"),
                   reopen_phases=body.get("reopen_phases") or [])
    return ok(review_json(review))

