"""Mentor reviews (SPEC §5, issue 6): /mentorship/queue and /mentorship/reviews/<id>.

Writes are plain form posts that htmx enhances: a draft save answers with a small status region and the new
version out of band (focus stays where it was); without JavaScript it redirects back to the page."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import caching, htmx
from ..domain import phases as phase_rules
from ..domain import reviews as rules
from ..domain.catalogue import TRACKS
from ..domain.errors import DomainError, Invalid
from ..domain.policies import MENTOR_ROLES
from ..models import MentorshipInteraction
from ..models.base import utcnow
from ..security import role_required
from ..services import gradebook as gradebook_service
from ..services import learners as learners_service
from ..services import queue as queue_service
from ..services import reviews as service
from ..services import snippets as snippet_service
from ..services.actors import actor_for
from . import forms

bp = Blueprint("mentorship", __name__, url_prefix="/mentorship")
MI = MentorshipInteraction


@bp.app_context_processor
def review_constants():
    return {"REVIEW_PRIORITIES": rules.PRIORITIES, "MAX_REPLY": rules.MAX_REPLY,
            "MAX_BULK_CLAIM": rules.MAX_BULK_CLAIM}


def _hours_label(hours: float | None) -> str:
    if hours is None:
        return ""
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"about {round(hours)} hour{'s' if round(hours) != 1 else ''}"
    return f"about {round(hours / 24)} days"


@bp.app_template_filter("waited")
def waited_filter(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    return _hours_label(delta.total_seconds() / 3600).replace("about ", "")


@bp.app_template_filter("typical")
def typical_filter(hours: float | None) -> str:
    return _hours_label(hours)


# ---- home, badge ---------------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def home():
    if current_user.is_mentor:
        return redirect(url_for("mentorship.queue"))
    return redirect(url_for("mentorship.index"))


@bp.get("/badge")
def badge():
    count = 0
    if getattr(current_user, "is_authenticated", False):
        count = (queue_service.mentor_badge_count(current_user) if current_user.is_mentor
                 else queue_service.learner_badge_count(current_user))
    return render_template("mentorship/_badge.html", count=count)


# ---- queue ---------------------------------------------------------------------------------------------------

def _queue_context(track: str, now) -> dict:
    actor = actor_for(current_user)
    return {"entries": queue_service.entries(current_user, track or None, actor=actor), "track": track,
            "waiting_total": queue_service.waiting_count(current_user, track or None, actor=actor),
            "now": now, "actor": actor, "claim_hours": service.claim_hours(),
            "overdue": queue_service.overdue_steps(current_user, actor=actor), "PHASES": phase_rules.PHASES,
            "may_open_learner": learners_service.may_open}


def _queue_track(value: str | None) -> str:
    return value if value in TRACKS else ""


@bp.get("/queue")
@role_required(*MENTOR_ROLES)
def queue():
    track = _queue_track(request.args.get("track", ""))
    fragment = htmx.wants("queue-list")
    now = utcnow()

    def make() -> str:
        ctx = _queue_context(track, now)
        return render_template("mentorship/_queue_list.html" if fragment else "mentorship/_queue_body.html", **ctx)

    # The queue shows submissions, claims, reviews and mentor assignments ("reviews"), the people and missions
    # they name, and how long each has waited: made at most once a minute per change, for each mentor.
    html = caching.fragment(("catalogue", "people", "reviews"),
                            ("queue", current_user.id, track, fragment, now.strftime("%Y-%m-%dT%H:%M")), make)
    if fragment:
        return html
    return render_template("mentorship/queue.html", body=html)


@bp.post("/queue/<any(capstone, attempt):kind>/<int:subject_id>/claim")
@login_required
def claim(kind: str, subject_id: int):
    service.claim(current_user, kind, subject_id)
    flash("Claimed. It is yours to review while you keep working on it.", "success")
    return redirect(url_for("mentorship.queue"), 303)


@bp.post("/queue/claim")
@role_required(*MENTOR_ROLES)
def claim_selected():
    """Claim the queue items ticked (`items=capstone:12&items=attempt:7`), in one transaction
    (services.reviews.claim_many); the answer is the refreshed queue and what was and was not claimed."""
    track = _queue_track(request.form.get("track", ""))
    try:
        result = service.claim_many(current_user, request.form.getlist("items"))
    except Invalid as exc:
        if htmx.is_htmx():
            raise
        flash(exc.message, "error")
        body = render_template("mentorship/_queue_body.html", **_queue_context(track, utcnow()))
        return render_template("mentorship/queue.html", body=body), exc.status
    category = "success" if result.claimed and not result.refused else ("info" if result.claimed else "error")
    if htmx.is_htmx():
        resp = make_response(render_template("mentorship/_queue_list.html", claim_message=result.message,
                                             claim_category=category, **_queue_context(track, utcnow())))
        return htmx.trigger(resp, "queue-claimed")
    flash(result.message, category)
    return redirect(url_for("mentorship.queue", track=track or None), 303)


@bp.post("/queue/<any(capstone, attempt):kind>/<int:subject_id>/reassign")
@login_required
def reassign(kind: str, subject_id: int):
    mentor = service.reassign(current_user, kind, subject_id, request.form.get("mentor_email", ""))
    flash(f"Reassigned to {mentor.display_name}.", "success")
    return redirect(url_for("mentorship.queue"), 303)


# ---- one learner ----------------------------------------------------------------------------------------------

@bp.get("/learners/<handle>")
@role_required(*MENTOR_ROLES)
def learner(handle: str):
    """Everything of one learner the mentor may see (services.learners)."""
    ctx = learners_service.learner_view(actor_for(current_user), handle)
    return render_template("mentorship/learner.html", **ctx)


@bp.get("/gradebook")
@role_required(*MENTOR_ROLES)
def gradebook():
    """The viewer's learners × a track's mastery missions (services.gradebook); `?format=csv` downloads it."""
    actor = actor_for(current_user)
    track = request.args.get("track") or TRACKS[0]
    sort = request.args.get("sort", "name")
    cohort = request.args.get("cohort")
    if request.args.get("format") == "csv":
        table = gradebook_service.gradebook(actor, track, sort=sort, page=None, cohort=cohort)
        out = io.StringIO()
        csv.writer(out).writerows(gradebook_service.csv_rows(table, _stage_label))
        resp = make_response(out.getvalue().encode("utf-8"))
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
        name = table["track"] + (f"-cohort-{table['cohort'].id}" if table["cohort"] else "")
        resp.headers["Content-Disposition"] = f'attachment; filename="gradebook-{name}.csv"'
        resp.headers["Cache-Control"] = "no-store"
        return resp
    page = request.args.get("page", "1")
    table = gradebook_service.gradebook(actor, track, sort=sort, page=int(page) if page.isdigit() else 1,
                                        cohort=cohort)
    return render_template("mentorship/gradebook.html", stage_label=_stage_label, **table)


def _stage_label(stage: str | None) -> str:
    """A capstone's stage as the gradebook says it."""
    if stage == phase_rules.COMPLETED:
        return "Approved"
    if stage == phase_rules.REVIEW_STAGE:
        return "In review"
    return phase_rules.PHASE_LABELS.get(stage, "") if stage else ""


# ---- reviews -------------------------------------------------------------------------------------------------

@bp.get("/reviews")
@login_required
def index():
    """The reviews of your own work."""
    reviews = service.received(current_user)
    return render_template("mentorship/index.html", reviews=reviews,
                           reply_counts=service.reply_counts([r.id for r in reviews]))


@bp.post("/reviews")
@login_required
def create():
    kind = request.form.get("kind")
    raw_id = request.form.get("subject_id", "")
    if kind not in ("capstone", "attempt") or not raw_id.isdigit():
        raise Invalid("Choose a capstone or an attempt to review.", fields={"subject_id": "missing"})
    total = request.form.get("total_phases", "").strip()
    review = service.create(current_user, capstone_id=int(raw_id) if kind == "capstone" else None,
                            attempt_id=int(raw_id) if kind == "attempt" else None,
                            review_phase=int(request.form["review_phase"]) if request.form.get(
                                "review_phase", "").isdigit() else None,
                            phase=request.form.get("phase") or rules.OVERALL,
                            total_phases=int(total) if total.isdigit() else None)
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


def _page(review: MI, status: int = 200, form_values: dict | None = None, reply_typed: dict | None = None):
    editable = service.can_edit(current_user, review)
    if not editable:
        subject = service.subject_of(review)
        kind = "capstone" if review.capstone_id else "attempt"
        return render_template("mentorship/read.html", review=review, subject=subject, kind=kind,
                               reviews_panel=queue_service.learner_view(subject, current_user),
                               reply_typed=reply_typed), status
    ctx = service.workspace(review, form_values or {}, request.args.get("recipe_q", ""))
    ctx["snippets"] = snippet_service.for_track(current_user, review.mission.track)
    return render_template("mentorship/review.html", PHASES=phase_rules.PHASES, snippet_q="",
                           learner_link=learners_service.may_open(actor_for(current_user), review.learner_id),
                           **ctx), status


@bp.get("/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    return _page(service.get_for(current_user, review_id))


def _status(review: MI, message: str, category: str = "success", status: int = 200):
    resp = make_response(render_template("mentorship/_save_status.html", review=review, message=message,
                                         category=category), status)
    return resp


@bp.post("/reviews/<int:review_id>")
@login_required
def save(review_id: int):
    review = service.load_review(review_id)
    data = forms.review_data(request.form)
    try:
        service.save_draft(review, data, current_user, forms.version(request.form))
    except DomainError as exc:
        if exc.status in (409, 422) and service.can_read(actor_for(current_user), review):
            if htmx.is_htmx():
                return _status(review, exc.message, "error", exc.status)
            flash(exc.message, "error")
            return _page(review, exc.status, form_values=data)
        raise
    if htmx.is_htmx():
        return htmx.trigger(_status(review, f"Draft saved at {utcnow():%H:%M:%S} UTC."), "review-saved")
    flash("Draft saved.", "success")
    action = request.form.get("action", "")
    if action == "search_recipes":
        return redirect(url_for("mentorship.review", review_id=review.id,
                                recipe_q=request.form.get("recipe_q", "")) + "#review-recipes", 303)
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


@bp.post("/reviews/<int:review_id>/total")
@login_required
def total(review_id: int):
    review = service.get_for(current_user, review_id)
    service.require_edit(current_user, review)
    rubric = review.rubric_of()
    value = rules.weighted_total(rubric, forms.rubric_scores_loose(request.form, rubric))
    typed = (request.form.get("overall_score") or "").strip()
    previous = (request.form.get("rubric_total") or "").strip()
    prefill = typed == "" or typed == previous
    return render_template("mentorship/_total.html", review=review, total=value, prefill=prefill,
                           overall=rules.shown_score(value) if prefill else typed)


@bp.post("/reviews/<int:review_id>/media")
@login_required
def media(review_id: int):
    review = service.load_review(review_id)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    try:
        row = service.upload_media(review, current_user, upload.stream if upload else None,
                                   upload.filename if upload else None, kind)
    except DomainError as exc:
        if htmx.is_htmx():
            return render_template("files/_upload_error.html", message=exc.message), exc.status
        raise
    if htmx.is_htmx():
        resp = make_response(render_template("mentorship/_media_saved.html", review=review, kind=kind, file=row), 201)
        return htmx.trigger(resp, "review-saved")
    flash(f"{kind.capitalize()} feedback added ({row.duration_label}).", "success")
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


@bp.post("/reviews/<int:review_id>/media/<any(audio, video):kind>/remove")
@login_required
def remove_media(review_id: int, kind: str):
    review = service.load_review(review_id)
    service.remove_media(review, current_user, kind, forms.version(request.form))
    flash(f"{kind.capitalize()} feedback removed.", "success")
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


@bp.post("/reviews/<int:review_id>/submit")
@login_required
def submit(review_id: int):
    review = service.load_review(review_id)
    data = forms.review_data(request.form) if request.form.get("version_id") else None
    try:
        service.submit(review, current_user, data=data, expected_version=forms.version(request.form),
                       decision=request.form.get("decision") or None,
                       reopen_phases=request.form.getlist("reopen_phases"))
    except DomainError as exc:
        if exc.status in (409, 422) and service.can_read(actor_for(current_user), review) and data is not None:
            if htmx.is_htmx():
                return _status(review, exc.message, "error", exc.status)
            flash(exc.message, "error")
            return _page(review, exc.status, form_values=data)
        raise
    flash(rules.submitted_message(review.review_phase, review.total_phases, review.decision), "success")
    target = url_for("mentorship.review", review_id=review.id)
    if htmx.is_htmx():
        return htmx.trigger(htmx.redirect(make_response("", 200), target), "review-submitted")
    return redirect(target, 303)


@bp.get("/reviews/<int:review_id>/step-row")
@login_required
def step_row(review_id: int):
    review = service.get_for(current_user, review_id)
    service.require_edit(current_user, review)
    return render_template("mentorship/_step_row.html", review=review, step={"priority": "medium"},
                           today=utcnow().date().isoformat())


@bp.get("/recipes")
@role_required(*MENTOR_ROLES)
def recipes():
    results = service.search_recipes(request.args.get("recipe_q", ""), exclude=request.args.getlist("recipe"),
                                     track=request.args.get("track") or None)
    ctx = {"recipe_results": results, "recipe_q": request.args.get("recipe_q", "")}
    if not htmx.is_htmx():   # opened as a page: the search with its results, not a bare fragment
        return render_template("mentorship/recipes.html", **ctx)
    return render_template("mentorship/_recipe_options.html", **ctx)


# ---- the learner's side ----------------------------------------------------------------------------------------

def _phase_fragment(review: MI, message: str):
    view = queue_service.learner_view(service.subject_of(review), current_user)
    r = next(x for x in view.reviews if x.id == review.id)
    return render_template("mentorship/_review_phase.html", r=r, view=view, message=message)


@bp.post("/reviews/<int:review_id>/acknowledge")
@login_required
def acknowledge(review_id: int):
    review = service.acknowledge(review_id, current_user)
    if htmx.is_htmx():
        return htmx.trigger(make_response(_phase_fragment(review, "Acknowledged.")), "review-acknowledged")
    flash("Thanks — your mentor can see you have read this review.", "success")
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


@bp.post("/reviews/<int:review_id>/steps/<int:index>/toggle")
@login_required
def toggle_step(review_id: int, index: int):
    done = request.form.get("done")
    review = service.toggle_step(review_id, current_user, index,
                                 None if done is None else done in ("1", "true", "on"))
    if htmx.is_htmx():
        return _phase_fragment(review, "")
    return redirect(url_for("mentorship.review", review_id=review.id), 303)


# ---- the conversation under a submitted phase ---------------------------------------------------------------------

def _back() -> str:
    """Which page the reply form sits on (for the redirect without JavaScript): the capstone's, the attempt's, or
    the review's own page."""
    back = request.form.get("back", "")
    return back if back in ("capstone", "attempt") else "review"


def _back_url(review: MI, back: str) -> str:
    if back == "capstone" and review.capstone_id:
        url = url_for("capstones.detail", capstone_id=review.capstone_id)
    elif back == "attempt" and review.attempt_id:
        url = url_for("attempts.detail", attempt_id=review.attempt_id)
    else:
        url = url_for("mentorship.review", review_id=review.id)
    return f"{url}#review-{review.id}-replies"


def _thread(review: MI, status: int = 200, **ctx):
    """The conversation of one phase, as the thread partial htmx swaps in."""
    return make_response(render_template(
        "mentorship/_replies.html", r=review, replies=service.replies_of([review.id])[review.id],
        is_learner=review.learner_id == current_user.id, reply_back=_back(), **ctx), status)


@bp.post("/reviews/<int:review_id>/replies")
@login_required
def reply(review_id: int):
    """Post a reply under a submitted review phase. htmx: the thread again, with the reply last and the box
    empty; without JavaScript: back to the thread on the page it was sent from. Refused text stays in the box."""
    body = request.form.get("body", "")
    try:
        review = service.add_reply(review_id, current_user, body).review
    except DomainError as exc:
        if exc.status != 422:
            raise
        review = service.get_for(current_user, review_id)
        typed = {review.id: {"body": body, "error": exc.message}}
        if htmx.is_htmx():
            return _thread(review, exc.status, reply_typed=typed)
        flash(exc.message, "error")
        return _page(review, exc.status, reply_typed=typed)
    if htmx.is_htmx():
        return htmx.trigger(_thread(review, message="Reply sent."), "reply-posted")
    flash("Reply sent.", "success")
    return redirect(_back_url(review, _back()), 303)
