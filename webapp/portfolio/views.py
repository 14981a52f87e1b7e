"""Portfolio (SPEC §6, §9): /portfolio (manage and review items), /p/<handle> (the public page) and /s/<token>
(one approved item behind a secret link, with its evidence)."""
from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import caching, htmx
from ..domain import portfolio as rules
from ..domain.errors import Invalid
from ..domain.policies import MENTOR_ROLES
from ..extensions import db
from ..files.responses import FILE_CSP, send_stored
from ..markdown import render as render_markdown
from ..security import role_required, talisman
from ..services import access
from ..services import files as files_service
from ..services import portfolio as service
from ..services.actors import actor_for
from . import queries
from .forms import ButtonForm, ItemFilterForm, ItemForm, ReviewForm, VisibilityForm

bp = Blueprint("portfolio", __name__)

PUBLIC_CACHE = "public, max-age=300"


@bp.context_processor
def portfolio_labels():
    return {"STATUS_LABELS": rules.STATUS_LABELS, "VISIBILITY_LABELS": rules.VISIBILITY_LABELS}


# ---- managing items ---------------------------------------------------------------------------------------------

@bp.get("/portfolio")
@login_required
def index():
    form = ItemFilterForm(request.args)
    valid = form.validate()
    filters = {k: form.data[k] or None for k in ("item_type", "status", "visibility")} if valid else {}
    items = db.session.scalars(queries.own_items(current_user.id, **filters)).unique().all() if valid else []
    actor = actor_for(current_user)
    ctx = {"form": form, "items": items, "filtered": any(filters.values()) if filters else False,
           "review_count": service.review_count(actor) if actor.is_mentor else 0}
    status = 200 if valid else 422
    if htmx.wants("portfolio-list"):
        return render_template("portfolio/_list.html", **ctx), status
    return render_template("portfolio/index.html", **ctx), status


@bp.get("/portfolio/reviews")
@role_required(*MENTOR_ROLES)
def reviews():
    items = db.session.scalars(service.review_queue(actor_for(current_user))).unique().all()
    return render_template("portfolio/reviews.html", items=items)


def _item_form(owner_id: int, obj=None, formdata=None) -> ItemForm:
    form = ItemForm(formdata=formdata, obj=obj) if formdata is not None else ItemForm(obj=obj)
    links = service.link_choices(owner_id)
    form.set_links(links["missions"], links["capstones"])
    if obj is not None and formdata is None:
        form.skill_tags.data = ", ".join(obj.skill_tags or [])
    return form


def _form_data(form: ItemForm, *, include_visibility: bool) -> dict:
    data = {"title": form.title.data, "summary": form.summary.data or "", "item_type": form.item_type.data,
            "skill_tags": form.skill_tags.data or "", "mission_id": form.mission_id.data,
            "capstone_id": form.capstone_id.data}
    if include_visibility:
        data["visibility"] = form.visibility.data
    return data


def _apply_errors(form, exc: Invalid) -> None:
    """Show a service refusal beside the fields it names; anything else above the form."""
    placed = False
    for name, message in exc.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors or []) + [message]
            placed = True
    if not placed or len(exc.fields) > 1 and not all(n in form._fields for n in exc.fields):
        form.form_errors.append(exc.message)


def _file_keys() -> list[str]:
    return [k for k in request.form.getlist("file_keys") if k]


@bp.get("/portfolio/items/new")
@login_required
def new():
    form = _item_form(current_user.id)
    if request.args.get("item_type") in rules.ITEM_TYPES:
        form.item_type.data = request.args["item_type"]
    return render_template("portfolio/new.html", form=form, suggestions=service.skill_suggestions(),
                           pending=service.pending_uploads(current_user))


@bp.post("/portfolio/items")
@login_required
def create():
    form = _item_form(current_user.id, formdata=request.form)
    if form.validate():
        try:
            item = service.create_item(current_user, _form_data(form, include_visibility=True), _file_keys())
        except Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash("Item saved as a draft. Submit it for a mentor's approval when it is ready.", "success")
            return redirect(url_for("portfolio.detail", item_id=item.id), 303)
    return render_template("portfolio/new.html", form=form, suggestions=service.skill_suggestions(),
                           pending=service.pending_uploads(current_user)), 422


def _download_url(key: str) -> str:
    return url_for("files.download", key=key)


def _detail_context(item, actor, *, form=None, findings=None, review_form=None) -> dict:
    can_edit = rules.can_edit_item(actor, item.owner_id)
    can_review = access.may_act(actor, access.item_work(item)) and rules.awaits_review(item.status)
    study = service.case_studies([item]).get(item.id)
    return {
        "item": item, "can_edit": can_edit, "can_delete": rules.can_delete_item(actor, item.owner_id),
        "can_submit": can_edit and rules.can_submit(item.status),
        "can_review": can_review,
        "form": form or (_item_form(item.owner_id, obj=item) if can_edit else None),
        "visibility_form": VisibilityForm(obj=item), "review_form": review_form or ReviewForm(
            seen=item.submitted_at.isoformat() if item.submitted_at else ""),
        "button_form": ButtonForm(), "history": service.history(item), "findings": findings,
        "suggestions": service.skill_suggestions() if can_edit else [],
        "pending": service.pending_uploads(current_user) if can_edit else [],
        "share_url": url_for("portfolio.shared", token=item.share_token, _external=True)
        if item.share_token and item.visibility == "unlisted" else None,
        "study": study, "media": service.case_study_media({item.id: study}) if study else {},
        "file_url": _download_url,
        # The mentor deciding on the item sees what the learner confirmed as redacted or safe to share (SPEC §6).
        "confirmed": service.confirmed_findings(item) if can_review else [],
    }


@bp.get("/portfolio/items/<int:item_id>")
@login_required
def detail(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    return render_template("portfolio/detail.html", **_detail_context(item, actor))


@bp.post("/portfolio/items/<int:item_id>")
@login_required
def update(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    if not rules.can_edit_item(actor, item.owner_id):
        service.update_item(actor, item, {})      # raises Forbidden with the service's message
    form = _item_form(item.owner_id, formdata=request.form)
    if form.validate():
        try:
            before = item.status
            service.update_item(actor, item, _form_data(form, include_visibility=False), _file_keys())
        except Invalid as exc:
            _apply_errors(form, exc)
        else:
            if before != item.status:
                flash("Saved. The content changed, so the item is back to draft: submit it again for approval.",
                      "success")
            else:
                flash("Saved.", "success")
            return redirect(url_for("portfolio.detail", item_id=item.id), 303)
    db.session.rollback()
    item = service.get_for(actor, item_id)
    return render_template("portfolio/detail.html", **_detail_context(item, actor, form=form)), 422


@bp.post("/portfolio/preview")
@login_required
def preview():
    """The Markdown summary as it will be shown (sanitised): an htmx fragment."""
    return render_template("portfolio/_preview.html", html=render_markdown(request.form.get("summary", "")[:20000]))


@bp.post("/portfolio/items/<int:item_id>/evidence/remove")
@login_required
def remove_evidence(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    service.remove_evidence(actor, item, request.form.get("key", ""))
    if htmx.wants("item-evidence"):
        return render_template("portfolio/_evidence.html", item=item, can_edit=True, button_form=ButtonForm())
    flash("File removed and deleted.", "success")
    return redirect(url_for("portfolio.detail", item_id=item.id), 303)


@bp.post("/portfolio/items/<int:item_id>/submit")
@login_required
def submit(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    try:
        service.submit_item(actor, item, request.form.getlist("confirm"))
    except service.UnconfirmedFindings as exc:
        item = service.get_for(actor, item_id)
        if htmx.wants("item-findings"):
            return render_template("portfolio/_findings.html", item=item, findings=exc.findings,
                                   message=exc.message, button_form=ButtonForm()), 422
        return render_template("portfolio/detail.html",
                               **_detail_context(item, actor, findings=exc.findings)), 422
    flash("Submitted: your mentor will review it.", "success")
    return redirect(url_for("portfolio.detail", item_id=item.id), 303)


@bp.post("/portfolio/items/<int:item_id>/review")
@login_required
def review(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    form = ReviewForm()
    try:
        service.review_item(actor, item, form.decision.data or "", form.note.data or "", seen=form.seen.data or None,
                            public_note=form.public_note.data or "")
    except Invalid as exc:
        # The item page again, the decision and note kept, the problem beside the field it names.
        db.session.rollback()
        _apply_errors(form, exc)
        item = service.get_for(actor, item_id)
        return render_template("portfolio/detail.html", **_detail_context(item, actor, review_form=form)), 422
    flash("Approved: the learner can now show it." if item.status == "approved"
          else "Changes requested: the learner sees your note.", "success")
    return redirect(url_for("portfolio.reviews"), 303)


@bp.post("/portfolio/items/<int:item_id>/visibility")
@login_required
def visibility(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    service.set_visibility(actor, item, request.form.get("visibility", ""))
    flash(f"Visibility: {rules.VISIBILITY_LABELS[item.visibility].lower()}."
          + ("" if item.status == "approved" else " It shows only once a mentor approves it."), "success")
    return redirect(url_for("portfolio.detail", item_id=item.id), 303)


@bp.post("/portfolio/items/<int:item_id>/rotate")
@login_required
def rotate(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    service.rotate_link(actor, item)
    flash("New secret link made: the old one no longer works.", "success")
    return redirect(url_for("portfolio.detail", item_id=item.id), 303)


@bp.post("/portfolio/items/<int:item_id>/delete")
@login_required
def delete(item_id: int):
    actor = actor_for(current_user)
    item = service.get_for(actor, item_id)
    title = item.title
    service.delete_item(actor, item)
    flash(f"Deleted “{title}” and its files.", "success")
    return redirect(url_for("portfolio.index"), 303)


# ---- what visitors see ------------------------------------------------------------------------------------------

def _visitor_response(html: str):
    """Anonymous visitors get a cacheable page with no cookie; logged-in views stay private (templating)."""
    resp = make_response(html)
    if not current_user.is_authenticated:
        resp.headers["Cache-Control"] = PUBLIC_CACHE
        # Rendering base.html made a CSRF token; a visitor's page has no form to use it, and a shared cache
        # must never store a Set-Cookie.
        session.modified = False
    return resp


class PublicPage(NamedTuple):
    title: str
    meta: Markup
    body: Markup


@bp.get("/p/<handle>")
def public(handle: str):
    owner_id = service.public_owner_id(handle)
    own = current_user.is_authenticated and current_user.id == owner_id

    def make() -> PublicPage:
        profile = service.public_profile(handle)
        ctx = {**profile, "own": own, "evidence_for": service.public_evidence, "public_file_url": _download_url,
               "links": service.public_links(profile["user"]), "media": service.case_study_media(profile["studies"]),
               "hide_scores": not profile["user"].show_scores,
               "page_url": url_for("portfolio.public", handle=handle, _external=True)}
        return PublicPage(f"{profile['user'].display_name} — portfolio",
                          Markup(render_template("portfolio/_public_meta.html", **ctx)),  # nosec B704
                          Markup(render_template("portfolio/_public_body.html", **ctx)))  # nosec B704

    # Everything on the page is the owner's (items, capstones, reviews), the people named (reviewers) or the
    # catalogue's: made once per change to any of them, for visitors and for the owner.
    page = caching.fragment(("catalogue", "people", caching.learner_area(owner_id)),
                            ("public-portfolio", handle, own, request.url_root), make)
    return _visitor_response(render_template("portfolio/public.html", page=page))


@bp.get("/s/<token>")
def shared(token: str):
    item = service.shared_item(token)
    study = service.case_studies([item]).get(item.id)
    html = render_template("portfolio/shared.html", item=item, study=study,
                           evidence=service.public_evidence(item), heading="h1",
                           media=service.case_study_media({item.id: study}) if study else {},
                           hide_scores=not item.owner.show_scores,
                           shared_file_url=lambda key: url_for("portfolio.shared_file", token=token, key=key))
    resp = make_response(html)
    # The link may be rotated at any moment: no cache may keep the page (or its URL) around.
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    if not current_user.is_authenticated:
        session.modified = False
    return resp


@bp.get("/s/<token>/files/<path:key>")
@talisman(content_security_policy=FILE_CSP)
def shared_file(token: str, key: str):
    """Evidence of an approved item, for anyone holding the item's (current) secret link."""
    row = files_service.shared_evidence(token, key)
    return send_stored(row)
