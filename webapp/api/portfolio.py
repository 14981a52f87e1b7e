"""Portfolio endpoints of SPEC §8: items, evidence uploads, the approval workflow and the public portfolio."""
from __future__ import annotations

from flask import g, request, url_for
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
from .core import Routes, ok, paginate
from .schemas import (EvidenceUploadForm, PortfolioFilterArgs, PortfolioItemCreate, PortfolioItemPage,
                      PortfolioItemSchema, PortfolioItemUpdate, PortfolioReviewBody, PortfolioSubmitBody,
                      PublicPortfolioSchema)

routes = Routes("portfolio")


def evidence_json(entry: dict) -> dict:
    return {**{k: entry.get(k) for k in ("key", "filename", "content_type", "size")},
            "url": url_for("files.download", key=entry["key"], _external=True)}


def item_json(item, *, owner_view: bool, history: bool = False, public: bool = False) -> dict:
    evidence = service.public_evidence(item) if public else (item.evidence_files or [])
    data = {
        "id": item.id, "owner": item.owner.handle, "title": item.title, "summary": item.summary or "",
        "item_type": item.item_type, "status": item.status, "visibility": item.visibility,
        "skill_tags": list(item.skill_tags or []), "evidence_files": [evidence_json(e) for e in evidence],
        "mission": item.mission.slug if item.mission else None, "capstone": item.capstone_id,
        "reviewed_by": item.reviewed_by.display_name if item.reviewed_by else None,
        "reviewed_at": item.reviewed_at, "review_note": "" if public else (item.review_note or ""),
        "submitted_at": None if public else item.submitted_at,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "url": url_for("portfolio.public", handle=item.owner.handle, _external=True) + f"#item-{item.id}" if public
        else url_for("portfolio.detail", item_id=item.id, _external=True),
    }
    if owner_view and item.visibility == "unlisted" and item.share_token:
        data["share_url"] = url_for("portfolio.shared", token=item.share_token, _external=True)
    if history:
        data["history"] = [{"from_status": t.from_status, "to_status": t.to_status, "note": t.note or "",
                            "actor": t.actor.handle if t.actor else None, "created_at": t.created_at}
                           for t in service.history(item)]
    return PortfolioItemSchema().dump(data)


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


@routes.get("/portfolio-items", summary="Portfolio items", query=PortfolioFilterArgs, response=PortfolioItemPage,
            errors=(403, 404))
def list_portfolio_items(args):
    """The caller's items, filtered by `item_type`, `status` and `visibility`. Mentors and admins may pass
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
    return ok(paginate(db.session, stmt, args, lambda i: item_json(i, owner_view=owner.id == user.id)))


@routes.post("/portfolio-items", summary="Create a portfolio item", body=PortfolioItemCreate,
             response=PortfolioItemSchema, status=201)
def create_portfolio_item(body):
    """A new draft item owned by the caller (private unless `visibility` says otherwise). Upload evidence
    with `POST /portfolio-items/{id}/evidence`. A `capstone_result` item names one of the caller's approved
    capstones in `capstone` (else 422 naming `capstone`)."""
    user, _ = _me()
    try:
        item = service.create_item(user, _links(body))
    except Invalid as exc:
        raise _errors_in_fields(exc) from None
    return ok(item_json(service.get_item(item.id), owner_view=True, history=True), 201)


@routes.get("/portfolio-items/<int:item_id>", summary="One portfolio item with its history",
            response=PortfolioItemSchema, errors=(404,))
def get_portfolio_item(item_id):
    """The owner, the owner's mentors and admins; anyone else gets 404."""
    user, actor = _me()
    item = service.get_for(actor, item_id)
    return ok(item_json(item, owner_view=item.owner_id == user.id, history=True))


@routes.patch("/portfolio-items/<int:item_id>", summary="Edit a portfolio item", body=PortfolioItemUpdate,
              response=PortfolioItemSchema, errors=(403, 404))
def update_portfolio_item(item_id, body):
    """Owner only. Changing the title, summary, type, tags, evidence, `mission` or `capstone` of a submitted or
    approved item sends it back to `draft` (and off the public page); visibility changes do not. A
    `capstone_result` item needs one of the caller's approved capstones (else 422 naming `capstone`)."""
    user, actor = _me()
    item = service.get_for(actor, item_id)
    try:
        service.update_item(actor, item, _links(body))
    except Invalid as exc:
        raise _errors_in_fields(exc) from None
    return ok(item_json(service.get_for(actor, item_id), owner_view=True, history=True))


@routes.delete("/portfolio-items/<int:item_id>", summary="Delete a portfolio item and its evidence files",
               status=204, errors=(403, 404))
def delete_portfolio_item(item_id):
    """The owner (or an admin). The evidence files are deleted from storage too."""
    _, actor = _me()
    service.delete_item(actor, service.get_for(actor, item_id))
    return "", 204


@routes.post("/portfolio-items/<int:item_id>/evidence", summary="Upload an evidence file (multipart)",
             response=PortfolioItemSchema, status=201, form=EvidenceUploadForm, errors=(403, 404, 413, 415, 422))
def upload_portfolio_evidence(item_id):
    """`multipart/form-data` with one part `file`. The type is detected from the content: documents (PDF,
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
    return ok(item_json(service.get_for(actor, item_id), owner_view=True, history=True), 201)


@routes.post("/portfolio-items/<int:item_id>/submit", summary="Submit an item for a mentor's approval",
             body=PortfolioSubmitBody, response=PortfolioItemSchema, errors=(403, 404, 409))
def submit_portfolio_item(item_id, body):
    """Owner only, from `draft` or `changes_requested`. The summary and text evidence are scanned for likely
    secrets and internal details first: while any finding is unconfirmed the answer is 422 with code
    `unconfirmed_findings` and one entry in `fields` per finding (fingerprint -> what and where). Send the
    fingerprints you have redacted or confirm as safe in `confirm` and submit again."""
    _, actor = _me()
    item = service.get_for(actor, item_id)
    service.submit_item(actor, item, body.get("confirm") or [])
    return ok(item_json(service.get_for(actor, item_id), owner_view=True, history=True))


@routes.post("/portfolio-items/<int:item_id>/review", summary="Approve an item or request changes",
             body=PortfolioReviewBody, response=PortfolioItemSchema, errors=(403, 404, 409))
def review_portfolio_item(item_id, body):
    """The owner's assigned mentors and admins, never the owner; only `submitted` items (else 409).
    `request_changes` needs a `note`."""
    _, actor = _me()
    item = service.get_for(actor, item_id)
    service.review_item(actor, item, body["decision"], body.get("note") or "")
    return ok(item_json(service.get_for(actor, item_id), owner_view=False, history=True))


@routes.get("/users/<handle>/portfolio", summary="A learner's public portfolio", auth=False,
            response=PublicPortfolioSchema, errors=(404,))
def public_portfolio(handle):
    """No authentication. Approved public items only, with the tracks mastered, the skills they back and
    the approved capstones with their scores."""
    profile = service.public_profile(handle)
    user = profile["user"]
    payload = PublicPortfolioSchema(exclude=("items",)).dump({
        "handle": user.handle, "display_name": user.display_name, "bio": user.bio or "",
        "url": url_for("portfolio.public", handle=user.handle, _external=True),
        "tracks_mastered": profile["tracks"], "skills": profile["skills"],
        "capstones": [{"mission": c.mission.slug, "title": c.mission.title, "track": c.mission.track,
                       "tier": c.mission.tier,
                       "score": float(c.mentor_final_score) if c.mentor_final_score is not None else None,
                       "approved_at": c.mentor_reviewed_at} for c in profile["capstones"]],
    })
    payload["items"] = [item_json(i, owner_view=False, public=True) for i in profile["items"]]
    return ok(payload)
