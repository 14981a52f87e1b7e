"""Mentorship-interaction endpoints of SPEC §8, with the same rules and errors as the review pages
(services.reviews)."""
from __future__ import annotations

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import reviews as rules
from ..domain.errors import Invalid
from ..models import MentorshipInteraction
from ..services import access
from ..services import reviews as service
from ..services.actors import actor_for
from .core import Blueprint, paginate
from .schemas.base import PageArgs
from .schemas.mentorship import (ReplyCreateSchema, ReplyPage, ReplySchema, ReviewCreateSchema, ReviewFieldsSchema,
                                 ReviewListArgs, ReviewMediaForm, ReviewPage, ReviewPatchSchema, ReviewSchema,
                                 ReviewSubmitSchema)

bp = Blueprint("mentorship", __name__)
MI = MentorshipInteraction
FIELDS = tuple(ReviewFieldsSchema().fields)  # the review fields a body may set


def _fields(body: dict) -> dict:
    return {k: body[k] for k in FIELDS if k in body}


@bp.get("/mentorship-interactions")
@bp.authenticated(errors=(404, 422))
@bp.arguments(ReviewListArgs, location="query")
@bp.response(200, ReviewPage)
def list_reviews(args):
    """Reviews you can see

    A learner sees the submitted reviews of their own work; a mentor also the reviews they wrote and every
    review of work they may read (their learners' for the assigned tracks, what they claimed); an admin sees
    all. Filter by `capstone`, `attempt` and `status`."""
    actor = actor_for(g.api_user)
    stmt = select(MI).options(joinedload(MI.mission), joinedload(MI.mentor), joinedload(MI.learner)).where(
        access.review_read_filter(actor, access.review_cols(), MI.mentor_id, MI.status == "submitted",
                                  access.cutoff()))
    if args.get("capstone"):
        stmt = stmt.where(MI.capstone_id == args["capstone"])
    if args.get("attempt"):
        stmt = stmt.where(MI.attempt_id == args["attempt"])
    if args.get("status"):
        stmt = stmt.where(MI.status == args["status"])
    return paginate(stmt.order_by(MI.id.desc()), args)


@bp.post("/mentorship-interactions")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(ReviewCreateSchema)
@bp.response(201, ReviewSchema)
def create_review(body):
    """Start a review phase

    Give `capstone` (or `attempt`), `review_phase` and `phase` (a capstone phase or `overall`); the first
    phase also fixes `total_phases` (1-5). Each next phase must be the next number (409 otherwise, also while
    the previous phase is a draft). Only the learner's assigned mentor, a mentor who claimed the submission
    from the queue, or an admin. Mission and learner come from the capstone or attempt. Any review field may
    be given too; it is saved as the draft (all or nothing)."""
    if bool(body.get("capstone")) == bool(body.get("attempt")):
        raise Invalid("Give either capstone or attempt.", fields={"capstone": "give capstone or attempt"})
    draft = _fields(body)
    draft.pop("phase", None)
    return service.create(g.api_user, capstone_id=body.get("capstone"), attempt_id=body.get("attempt"),
                          review_phase=body["review_phase"], phase=body.get("phase") or rules.OVERALL,
                          total_phases=body.get("total_phases"), draft=draft)


def _get(review_id: int) -> MI:
    return service.get_for(g.api_user, review_id)


@bp.get("/mentorship-interactions/<int:review_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(200, ReviewSchema)
def get_review(review_id):
    """One review phase

    Editors (assigned mentor, claiming mentor, admin) read drafts and submitted phases; the learner reads
    submitted phases of their own work."""
    return _get(review_id)


@bp.patch("/mentorship-interactions/<int:review_id>")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(ReviewPatchSchema)
@bp.response(200, ReviewSchema)
def patch_review(body, review_id):
    """Edit a draft review phase

    A submitted phase is immutable (409). Send `version` from your last read to get a 409 instead of
    overwriting a newer save. All or nothing: one bad field (422, each named) changes nothing."""
    review = _get(review_id)
    version = body.pop("version", None)
    data = _fields(body)
    if not data:
        raise Invalid("Send at least one field to change.", fields={"body": "no fields"})
    return service.save_draft(review, data, g.api_user, version)


@bp.post("/mentorship-interactions/<int:review_id>/media")
@bp.authenticated(errors=(400, 403, 404, 409, 413, 415, 422))
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ReviewMediaForm}}})
@bp.response(201, ReviewSchema)
def upload_media(review_id):
    """Upload audio or video feedback

    `multipart/form-data` with `file` and `kind` (`audio` or `video`). The file is checked by its content
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
    return review


@bp.post("/mentorship-interactions/<int:review_id>/submit")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(ReviewSubmitSchema)
@bp.response(200, ReviewSchema)
def submit_review(body, review_id):
    """Submit a review phase

    Submitting makes the phase immutable and visible to the learner. The body may set `overall_score`. The
    last phase needs an overall score and, for a capstone, a `decision`: `approve` (sets the capstone's
    mentor fields and creates a draft `capstone_result` portfolio item for the learner) or `request_changes`
    with `reopen_phases` (the earliest named phase and every later one are reopened)."""
    review = _get(review_id)
    service.submit(review, g.api_user, expected_version=body.get("version"),
                   overall_score=body.get("overall_score"), decision=body.get("decision"),
                   reopen_phases=body.get("reopen_phases") or [])
    return review


@bp.get("/mentorship-interactions/<int:review_id>/replies")
@bp.authenticated(errors=(403, 404, 422))
@bp.arguments(PageArgs, location="query")
@bp.response(200, ReplyPage)
def list_replies(args, review_id):
    """The conversation under a review phase

    Oldest first, as the page shows it. The learner of the review, the reviewing mentor, the learner's mentors
    for the track (or the mentor holding the claim) and admins; a phase still in draft has no conversation
    (403)."""
    review = service.conversation_for(g.api_user, review_id)
    return paginate(service.replies_query([review.id]), args)


@bp.post("/mentorship-interactions/<int:review_id>/replies")
@bp.authenticated(errors=(400, 403, 404, 422))
@bp.arguments(ReplyCreateSchema)
@bp.response(201, ReplySchema)
def create_reply(body, review_id):
    """Reply under a review phase

    `body` is Markdown (shown sanitised), 1 to 10,000 characters. Who may: as for reading the conversation;
    a draft phase answers 403."""
    return service.add_reply(review_id, g.api_user, body["body"])
