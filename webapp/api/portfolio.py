"""Portfolio endpoints of SPEC §8: items, evidence uploads, the approval workflow and the public portfolio."""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..domain import uploads
from ..domain.errors import Invalid, NotFound
from ..extensions import db
from ..models import Mission, User
from ..portfolio import queries
from ..services import access
from ..services import portfolio as service
from ..services.actors import actor_for
from .core import Blueprint, paginate
from .schemas.portfolio import (EvidenceUploadForm, PortfolioFilterArgs, PortfolioItemCreate, PortfolioItemPage,
                                PortfolioItemSchema, PortfolioItemUpdate, PortfolioReviewBody, PortfolioSubmitBody,
                                PublicPortfolioSchema)

bp = Blueprint("portfolio", __name__)


def _links(body: dict) -> dict:
    """The API names a mission by slug and a capstone by id; the service takes ids."""
    data = {k: body[k] for k in ("title", "summary", "item_type", "skill_tags", "visibility") if k in body}
    if "mission" in body:
        slug = body["mission"]
        mission_id = None
        if slug:
            mission_id = db.session.scalar(select(Mission.id).where(Mission.slug == slug))
            if mission_id is None:
                raise Invalid(f"There is no mission “{slug}”.", fields={"mission": "unknown mission"})
        data["mission_id"] = mission_id
    if "capstone" in body:
        data["capstone_id"] = body["capstone"]
    return data


def _errors_in_fields(exc: Invalid) -> Invalid:
    """The service names fields by column (mission_id); the API by its own names."""
    renamed = {{"mission_id": "mission", "capstone_id": "capstone"}.get(k, k): v for k, v in exc.fields.items()}
    exc.fields = renamed
    return exc


def _me():
    return g.api_user, actor_for(g.api_user)


@bp.get("/portfolio-items")
@bp.authenticated(errors=(403, 404, 422))
@bp.arguments(PortfolioFilterArgs, location="query")
@bp.response(200, PortfolioItemPage)
def list_portfolio_items(args):
    """Portfolio items

    The caller's items, filtered by `item_type`, `status` and `visibility`. Mentors and admins may pass
    `owner` (a learner's handle) to list the items of a learner they mentor."""
    user, actor = _me()
    owner = user
    if args.get("owner") and args["owner"] != user.handle:
        owner = db.session.scalar(select(User).where(User.handle == args["owner"]))
        if owner is None or not access.mentors_learner(actor, owner.id):
            raise NotFound(f"There is no learner “{args['owner']}” whose portfolio you may read.",
                           fields={"owner": "unknown or not yours to read"})
    stmt = queries.own_items(owner.id, args.get("item_type"), args.get("status"), args.get("visibility"))
    if owner.id != user.id:
        # A mentor assigned for some tracks sees the items of those tracks (and those without one).
        stmt = stmt.where(access.read_filter(actor, access.item_cols()))
    return paginate(stmt, args)


@bp.post("/portfolio-items")
@bp.authenticated(errors=(400, 422))
@bp.arguments(PortfolioItemCreate)
@bp.response(201, PortfolioItemSchema)
def create_portfolio_item(body):
    """Create a portfolio item

    A new draft item owned by the caller (private unless `visibility` says otherwise). Upload evidence
    with `POST /portfolio-items/{id}/evidence`. A `capstone_result` item names one of the caller's approved
    capstones in `capstone` (else 422 naming `capstone`)."""
    user, _ = _me()
    try:
        item = service.create_item(user, _links(body))
    except Invalid as exc:
        raise _errors_in_fields(exc) from None
    return service.get_item(item.id)


@bp.get("/portfolio-items/<int:item_id>")
@bp.authenticated(errors=(404,))
@bp.response(200, PortfolioItemSchema)
def get_portfolio_item(item_id):
    """One portfolio item with its history

    The owner, the owner's mentors and admins; anyone else gets 404."""
    _, actor = _me()
    return service.get_for(actor, item_id)


@bp.patch("/portfolio-items/<int:item_id>")
@bp.authenticated(errors=(400, 403, 404, 422))
@bp.arguments(PortfolioItemUpdate)
@bp.response(200, PortfolioItemSchema)
def update_portfolio_item(body, item_id):
    """Edit a portfolio item

    Owner only. Changing the title, summary, type, tags, evidence, `mission` or `capstone` of a submitted or
    approved item sends it back to `draft` (and off the public page); visibility changes do not. A
    `capstone_result` item needs one of the caller's approved capstones (else 422 naming `capstone`)."""
    _, actor = _me()
    item = service.get_for(actor, item_id)
    try:
        service.update_item(actor, item, _links(body))
    except Invalid as exc:
        raise _errors_in_fields(exc) from None
    return service.get_for(actor, item_id)


@bp.delete("/portfolio-items/<int:item_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(204)
def delete_portfolio_item(item_id):
    """Delete a portfolio item and its evidence files

    The owner (or an admin). The evidence files are deleted from storage too."""
    _, actor = _me()
    service.delete_item(actor, service.get_for(actor, item_id))
    return current_app.response_class(status=204)


@bp.post("/portfolio-items/<int:item_id>/evidence")
@bp.authenticated(errors=(403, 404, 413, 415, 422))
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": EvidenceUploadForm}}})
@bp.response(201, PortfolioItemSchema)
def upload_portfolio_evidence(item_id):
    """Upload an evidence file (multipart)

    `multipart/form-data` with one part `file`. The type is detected from the content: documents (PDF,
    text, Office, OpenDocument, PNG, JPEG) or a ZIP archive (never offered to visitors), up to the evidence
    limit. Adding evidence to a submitted or approved item sends it back to `draft`."""
    user, actor = _me()
    item = service.get_for(actor, item_id)
    try:
        if not request.mimetype.startswith("multipart/form-data"):
            raise uploads.Rejected("Send the file as multipart/form-data with a part named 'file'.",
                                   fields={"file": "multipart/form-data expected"})
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise uploads.TooLargeUpload("The upload is larger than this site accepts.",
                                     fields={"file": "too large"}) from None
    if upload is None or not upload.filename:
        raise Invalid("Send the file in a part named 'file'.", fields={"file": "required"})
    service.add_evidence(actor, user, item, upload.stream, upload.filename)
    return service.get_for(actor, item_id)


@bp.post("/portfolio-items/<int:item_id>/submit")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(PortfolioSubmitBody)
@bp.response(200, PortfolioItemSchema)
def submit_portfolio_item(body, item_id):
    """Submit an item for a mentor's approval

    Owner only, from `draft` or `changes_requested`. The summary and text evidence are scanned for likely
    secrets and internal details first: while any finding is unconfirmed the answer is 422 with code
    `unconfirmed_findings` and one entry in `fields` per finding (fingerprint -> what and where). Send the
    fingerprints you have redacted or confirm as safe in `confirm` and submit again."""
    _, actor = _me()
    item = service.get_for(actor, item_id)
    service.submit_item(actor, item, body.get("confirm") or [])
    return service.get_for(actor, item_id)


@bp.post("/portfolio-items/<int:item_id>/review")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(PortfolioReviewBody)
@bp.response(200, PortfolioItemSchema)
def review_portfolio_item(body, item_id):
    """Approve an item or request changes

    The owner's assigned mentors and admins, never the owner; only `submitted` items (else 409).
    `request_changes` needs a `note`. With `approve`, an optional `public_note` is shown on the public page as
    the mentor's verdict (the `note` never is)."""
    _, actor = _me()
    item = service.get_for(actor, item_id)
    service.review_item(actor, item, body["decision"], body.get("note") or "",
                        public_note=body.get("public_note") or "")
    return service.get_for(actor, item_id)


@bp.get("/users/<handle>/portfolio")
@bp.public(errors=(404,))
@bp.response(200, PublicPortfolioSchema)
def public_portfolio(handle):
    """A learner's public portfolio

    No authentication. Approved public items only, with the tracks mastered, the skills they back and
    the approved capstones with their scores."""
    return service.public_profile(handle)
