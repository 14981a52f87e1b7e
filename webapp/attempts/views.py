"""Mission attempts (SPEC §3): start or resume from a mission, play /attempts/<id>, finish with a summary.

Every write is a plain form post that htmx enhances; the attempt page answers with the whole page, or with
one of its regions when htmx aims at it (the timeline polls itself while the attempt runs).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import htmx
from ..domain import engine, policies
from ..domain.attempt_rules import can_play_attempt
from ..domain.errors import Conflict, Invalid
from ..services import access
from ..services import attempts as service
from ..services import catalogue as catalogue_service
from ..services import queue as queue_service
from ..services.actors import actor_for
from .forms import (SCOPE_LABEL, AbandonForm, ReviewRequestForm, ScopeForm, SelfAssessmentForm, StartAttemptForm,
                    SubmitSubtaskForm, TimeMultiplierForm, checks_from, decisions_from)

bp = Blueprint("attempts", __name__, url_prefix="/attempts")
POLL_SECONDS = 20   # how often an open attempt page asks for new time-based events (ATTEMPT_POLL_SECONDS)


@bp.app_context_processor
def attempt_helpers():
    """For the start button on the mission page: whether the mission asks the learner to accept its rules of
    engagement first, and the checkbox's label."""

    def needs_scope_acknowledgement(mission):
        return engine.requires_scope_acknowledgement({"track": mission.track})

    return {"SCOPE_LABEL": SCOPE_LABEL, "needs_scope_acknowledgement": needs_scope_acknowledgement}


def _context(attempt, actor, **extra) -> dict:
    """Everything the attempt page and its partials need (the partials list what they use)."""
    view = service.seen(attempt)
    progress = view.progress
    owner = can_play_attempt(actor, attempt.learner_id)
    ctx = {
        "attempt": attempt, "mission": attempt.mission, "content": view.content, "progress": progress,
        "owner": owner, "mentor_view": not owner,
        "current": view.current, "current_checks": view.current_checks,
        "position": (progress.visible.index(progress.current) + 1) if progress.current in progress.visible else None,
        "answers": view.answers,
        "last_result": service.last_submitted(view.answers) if attempt.status == "in_progress" else None,
        "possible": view.possible, "earned": view.earned,
        "timeline": view.timeline,
        "cues": view.cues,
        "needs_scope": owner and service.needs_scope(attempt),
        "clock_minutes": service.scenario_clock(attempt),
        "mission_changed": attempt.mission.version != attempt.mission_version,
        "poll_seconds": current_app.config.get("ATTEMPT_POLL_SECONDS", POLL_SECONDS),
        "show_mentor_notes": not owner and policies.can_see_mentor_notes(actor),
        "can_set_multiplier": access.may_set_time_multiplier(actor, attempt.learner_id, attempt.mission.track),
        "form": SubmitSubtaskForm(formdata=None),
        "scope_form": ScopeForm(formdata=None),
        "review_form": ReviewRequestForm(formdata=None),
        "self_form": SelfAssessmentForm(formdata=None),
        "abandon_form": AbandonForm(formdata=None),
        "multiplier_form": TimeMultiplierForm(formdata=None, time_multiplier=f"{attempt.learner.time_multiplier:g}"),
        "typed": {}, "errors": {}, "rejected": None, "focus": False, "oob": False, "new_events": [],
    }
    ctx.update(extra)
    if owner and not ctx["typed"]:
        ctx["typed"] = service.draft_of(attempt, progress.current) or {}     # what was typed before a reload
    return ctx


def _detail_page(ctx: dict) -> str:
    """The whole attempt page: the context its regions share, and the reviews panel only the page shows."""
    return render_template("attempts/detail.html", reviews_panel=queue_service.reviews_panel(ctx["attempt"],
                                                                                          current_user), **ctx)


def _load(attempt_id: int):
    actor = actor_for(current_user)
    return service.get_attempt(attempt_id, actor), actor


def _back(attempt):
    return redirect(url_for("attempts.detail", attempt_id=attempt.id), 303)


@bp.post("")
@login_required
def start():
    """Start an attempt at a mission, or resume the one in progress."""
    form = StartAttemptForm()
    actor = actor_for(current_user)
    mission = catalogue_service.get_mission(form.mission.data or "",
                                            include_unpublished=policies.can_see_unpublished_missions(actor))
    try:
        attempt, created = service.start_or_resume(current_user, mission,
                                                   acknowledge_scope=bool(form.acknowledge_scope.data))
    except Invalid as exc:
        form.acknowledge_scope.errors = [exc.fields.get("acknowledge_scope", exc.message)]
        return render_template("attempts/start.html", mission=mission, form=form, message=exc.message), 422
    flash("Attempt started. Good luck." if created else "Welcome back: your attempt continues where you left off.",
          "success")
    return _back(attempt)


@bp.get("/<int:attempt_id>")
@login_required
def detail(attempt_id: int):
    attempt, actor = _load(attempt_id)
    new_events = service.tick(attempt) if can_play_attempt(actor, attempt.learner_id) else []
    ctx = _context(attempt, actor, new_events=new_events)
    if htmx.wants("attempt-timeline"):
        # The timeline polls itself: new events may also reveal cues or open a subtask.
        return render_template("attempts/_polled.html", **ctx)
    return _detail_page(ctx)


@bp.post("/<int:attempt_id>/scope")
@login_required
def scope(attempt_id: int):
    attempt, actor = _load(attempt_id)
    form = ScopeForm()
    try:
        service.acknowledge_scope(attempt, actor, confirmed=bool(form.acknowledge_scope.data))
    except Invalid as exc:
        form.acknowledge_scope.errors = [exc.fields.get("acknowledge_scope", exc.message)]
        ctx = _context(attempt, actor, scope_form=form)
        if htmx.is_htmx():
            return render_template("attempts/_subtask.html", **ctx), 422
        return _detail_page(ctx), 422
    if htmx.is_htmx():
        return render_template("attempts/_subtask.html", **_context(attempt, actor, focus=True))
    flash("Scope acknowledged. The clock starts now.", "success")
    return _back(attempt)


@bp.post("/<int:attempt_id>/subtasks/<int:subtask_id>")
@login_required
def submit(attempt_id: int, subtask_id: int):
    attempt, actor = _load(attempt_id)
    form = SubmitSubtaskForm()
    decisions = decisions_from(request.form)
    checks = checks_from(request.form)
    typed = {"subtask_id": subtask_id, "response": form.response.data or "", "decisions": decisions,
             "checks": checks}
    try:
        result = service.submit_subtask(attempt, subtask_id, form.response.data, decisions, actor, checks=checks)
    except Invalid as exc:
        # Shown again with what the learner typed and chose, and a message beside each field.
        ctx = _context(attempt, actor, typed=typed, errors=exc.fields, error_message=exc.message)
        if htmx.is_htmx():
            return render_template("attempts/_subtask.html", **ctx), 422
        return _detail_page(ctx), 422
    except Conflict as exc:
        if htmx.is_htmx():
            raise  # a message in #flashes; the form and its text stay as they are
        ctx = _context(attempt, actor, rejected={**typed, "message": exc.message})
        return _detail_page(ctx), 409
    if htmx.is_htmx():
        ctx = _context(result.attempt, actor, new_events=result.new_events, focus=True, submitted=result.subtask)
        resp = make_response(render_template("attempts/_submitted.html", **ctx))
        return htmx.trigger(resp, "subtask-submitted", {"subtask": subtask_id,
                                                         "completed": result.attempt.status == "completed"})
    if result.attempt.status == "completed":
        flash("Mission complete. Here is your summary.", "success")
    else:
        flash(f"“{result.subtask.get('title', 'Subtask')}” submitted."
              + (f" {len(result.new_events)} new event{'s' if len(result.new_events) > 1 else ''} in the timeline."
                 if result.new_events else ""), "success")
    return _back(result.attempt)


@bp.post("/<int:attempt_id>/subtasks/<int:subtask_id>/draft")
@login_required
def draft(attempt_id: int, subtask_id: int):
    """Autosave of the subtask form while the learner types (htmx, every few seconds); answers the small status
    line under the form. Without JavaScript the form is simply submitted."""
    attempt, actor = _load(attempt_id)
    form = SubmitSubtaskForm()
    try:
        saved = service.save_draft(attempt, subtask_id, form.response.data, decisions_from(request.form),
                                   checks_from(request.form), actor)
    except (Invalid, Conflict) as exc:
        return render_template("attempts/_draft_status.html", problem=exc.message), exc.status
    if saved is None:
        return "", 204          # submitted meanwhile: nothing to keep, nothing to show
    return render_template("attempts/_draft_status.html", saved_at=service.draft_of(attempt, subtask_id)["saved_at"])


@bp.post("/<int:attempt_id>/subtasks/<int:subtask_id>/key-points")
@login_required
def self_assessment(attempt_id: int, subtask_id: int):
    """The learner ticks the key points their response covered."""
    attempt, actor = _load(attempt_id)
    SelfAssessmentForm()
    service.record_self_assessment(attempt, subtask_id, request.form.getlist("covered"), actor)
    message = "Self-assessment saved: your mentor sees which key points you covered."
    if htmx.is_htmx():
        ctx = _context(attempt, actor)
        row = next((a for a in ctx["answers"] if a["subtask"].get("id") == subtask_id), None)
        return render_template("attempts/_key_points.html", a=row, saved=message, **ctx)
    flash(message, "success")
    return _back(attempt)


@bp.post("/<int:attempt_id>/review")
@login_required
def request_review(attempt_id: int):
    attempt, actor = _load(attempt_id)
    ReviewRequestForm()
    service.request_review(attempt, actor)
    if htmx.is_htmx():
        resp = make_response(render_template("attempts/_next.html", **_context(attempt, actor)))
        return htmx.trigger(resp, "review-requested")
    flash("Review requested: your mentor will see this attempt in their queue.", "success")
    return _back(attempt)


@bp.post("/<int:attempt_id>/abandon")
@login_required
def abandon(attempt_id: int):
    """The learner abandons the attempt (after confirming on the page); it is kept for the record."""
    attempt, actor = _load(attempt_id)
    AbandonForm()
    service.abandon(attempt, actor)
    flash("Attempt abandoned. It is kept as it was; you can start the mission again whenever you like.", "success")
    return _back(attempt)


@bp.post("/<int:attempt_id>/time-multiplier")
@login_required
def time_multiplier(attempt_id: int):
    attempt, actor = _load(attempt_id)
    form = TimeMultiplierForm()
    try:
        service.set_time_multiplier(actor, attempt, form.time_multiplier.data)
    except Invalid as exc:
        form.time_multiplier.errors = [exc.fields.get("time_multiplier", exc.message)]
        ctx = _context(attempt, actor, multiplier_form=form)
        if htmx.is_htmx():
            return render_template("attempts/_multiplier.html", **ctx), 422
        return _detail_page(ctx), 422
    message = f"{attempt.learner.display_name}'s time multiplier is now ×{attempt.learner.time_multiplier:g}."
    if htmx.is_htmx():
        resp = make_response(render_template("attempts/_multiplier.html", **_context(attempt, actor, saved=message)))
        return htmx.trigger(resp, "time-multiplier-changed")
    flash(message, "success")
    return _back(attempt)
