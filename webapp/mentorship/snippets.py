"""The comment bank (SPEC §13) on the mentorship blueprint: /mentorship/snippets (list with search, new, edit,
delete with confirmation) and /mentorship/snippets/search (the review workspace's panel, as a fragment for
htmx or a page without JavaScript). Rules and queries: services.snippets."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from .. import htmx
from ..domain import snippets as rules
from ..domain.errors import Invalid
from ..domain.policies import MENTOR_ROLES
from ..security import role_required
from ..services import reviews as review_service
from ..services import snippets as service
from .forms import SnippetForm
from .views import bp


@bp.app_context_processor
def snippet_limits():
    return {"SNIPPET_TITLE_MAX": rules.TITLE_MAX, "SNIPPET_BODY_MAX": rules.BODY_MAX}


@bp.app_template_filter("snippet_scope")
def snippet_scope(track: str | None) -> str:
    return rules.scope_label(track)


@bp.get("/snippets")
@role_required(*MENTOR_ROLES)
def snippets():
    q = rules.search_terms(request.args.get("q", ""))
    return render_template("mentorship/snippets.html", snippets=service.owned(current_user, q), q=q)


@bp.get("/snippets/new")
@role_required(*MENTOR_ROLES)
def new_snippet():
    form = SnippetForm()
    if request.args.get("track"):
        form.track.data = request.args["track"]
    return render_template("mentorship/snippet_form.html", form=form, snippet=None)


def _refused(form: SnippetForm, exc: Invalid, snippet=None):
    """The form again with what was typed and a message on each field the rule refused (422)."""
    shown = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [f"The {field.label.text.lower()} {message}."]
            shown = True
    return render_template("mentorship/snippet_form.html", form=form, snippet=snippet,
                           message=None if shown else exc.message), 422


def _review_arg(raw: str):
    """The review a comment-bank request names (`review`), checked as readable by the viewer; None without one."""
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid("Name the review by its number.", fields={"review": "must be a review number"})
    return review_service.get_for(current_user, int(raw))


@bp.post("/snippets")
@role_required(*MENTOR_ROLES)
def create_snippet():
    """A new snippet from the page's form, or from the review workspace's "Save as snippet" (htmx, with `review`):
    that answers with the panel's refreshed list; a refusal there is a message and the typed text stays."""
    review = _review_arg(request.form.get("review", "")) if htmx.wants("snippet-results") else None
    form = SnippetForm(request.form)
    try:
        snippet = service.create(current_user, form.title.data, form.body.data, form.track.data)
    except Invalid as exc:
        if review is not None:
            raise
        return _refused(form, exc)
    if review is not None:
        ctx = {"snippets": service.for_track(current_user, review.mission.track), "snippet_q": "", "saved": snippet}
        return htmx.trigger(make_response(render_template("mentorship/_snippet_results.html", **ctx)),
                            "snippet-saved")
    flash(f"Snippet “{snippet.title}” saved. It is offered in the comment bank of your reviews.", "success")
    return redirect(url_for("mentorship.snippets"), 303)


@bp.get("/snippets/<int:snippet_id>/edit")
@role_required(*MENTOR_ROLES)
def edit_snippet(snippet_id: int):
    snippet = service.get_owned(current_user, snippet_id)
    return render_template("mentorship/snippet_form.html", form=SnippetForm(obj=snippet), snippet=snippet)


@bp.post("/snippets/<int:snippet_id>")
@role_required(*MENTOR_ROLES)
def update_snippet(snippet_id: int):
    snippet = service.get_owned(current_user, snippet_id)
    form = SnippetForm(request.form)
    try:
        service.update(current_user, snippet_id, form.title.data, form.body.data, form.track.data)
    except Invalid as exc:
        return _refused(form, exc, snippet)
    flash(f"Snippet “{snippet.title}” saved.", "success")
    return redirect(url_for("mentorship.snippets"), 303)


@bp.get("/snippets/<int:snippet_id>/delete")
@role_required(*MENTOR_ROLES)
def confirm_delete_snippet(snippet_id: int):
    return render_template("mentorship/snippet_delete.html", snippet=service.get_owned(current_user, snippet_id))


@bp.post("/snippets/<int:snippet_id>/delete")
@role_required(*MENTOR_ROLES)
def delete_snippet(snippet_id: int):
    title = service.delete(current_user, snippet_id)
    flash(f"Snippet “{title}” deleted.", "success")
    return redirect(url_for("mentorship.snippets"), 303)


@bp.get("/snippets/search")
@role_required(*MENTOR_ROLES)
def snippet_search():
    """The review workspace's comment bank: the viewer's global snippets and those of the review's track that
    match `q` (`review` names the review; without it, every snippet of the viewer)."""
    review = _review_arg(request.args.get("review", ""))
    q = rules.search_terms(request.args.get("q", ""))
    results = service.for_track(current_user, review.mission.track if review else None, q)
    ctx = {"snippets": results, "snippet_q": q, "review": review}
    if htmx.wants("snippet-results"):
        return render_template("mentorship/_snippet_results.html", **ctx)
    return render_template("mentorship/snippet_search.html", **ctx)
