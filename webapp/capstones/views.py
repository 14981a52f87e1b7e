"""Capstone workspace (SPEC §4): /capstones and /capstones/<id>.

Every write is a plain form post that htmx enhances: with JavaScript the phase form is swapped in place
and the stepper, progress bar, status and history follow out-of-band; without it the post redirects back
to the page (or re-renders it with the errors and what was typed)."""
from __future__ import annotations

import secrets
from typing import NamedTuple

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import caching, htmx
from ..domain import capstone_rules, phase_history as history_rules, phases as rules, uploads
from ..domain.errors import Conflict, Invalid
from ..extensions import db
from ..markdown import render as render_markdown
from ..models.base import utcnow
from ..services import attempts as attempt_service
from ..services import capstones as service
from ..services import phase_history as history_service
from ..services import queue as queue_service
from ..services.actors import actor_for
from . import forms, queries

bp = Blueprint("capstones", __name__, url_prefix="/capstones")
LIST_LIMIT = 200
IMPORTED = "The attempt's events are in your timeline; the draft is saved."


@bp.get("")
@login_required
def index():
    capstones = db.session.scalars(queries.visible_capstones(actor_for(current_user))
                                   .limit(LIST_LIMIT)).all()
    own = [c for c in capstones if c.learner_id == current_user.id]
    others = [c for c in capstones if c.learner_id != current_user.id]
    return render_template("capstones/index.html", own=own, others=others, PHASES=rules.PHASES)


@bp.post("")
@login_required
def start():
    cap, created = service.start_by_slug(current_user, request.form.get("mission", "").strip())
    flash("Capstone started. Work through the phases in order." if created
          else "You already have a capstone for this mission; here it is.", "success" if created else "info")
    return redirect(url_for("capstones.detail", capstone_id=cap.id), 303)


def _load(capstone_id: int):
    return service.get_workspace(current_user, capstone_id)     # 404 or 403


def _stored_values(cap) -> dict:
    return {name: getattr(cap, name) for names in rules.PHASE_FIELDS.values() for name in names}


def _context(cap, shown: str, *, typed: dict | None = None, errors: dict | None = None, message: str = "",
             previews: dict | None = None, saved: bool = False) -> dict:
    owner = service.is_owner(current_user, cap)
    editable = service.editable_phases(cap) if owner else set()
    values = _stored_values(cap)
    if typed:
        values.update(typed)
    file_field = capstone_rules.FILE_FIELD_OF_PHASE.get(shown)
    # The owner's uploads on this phase not saved yet are offered while the phase is open.
    offer = file_field if owner and shown in editable else None
    files, pending = service.files_and_pending(current_user, cap, offer)
    done = cap.completed_phases()
    return {
        "cap": cap, "shown": shown, "current": cap.get_current_phase(), "done": done,
        "values": values, "errors": errors or {}, "message": message, "previews": previews or {},
        "typed": bool(typed), "saved": saved, "owner": owner, "editable": shown in editable,
        "can_delete": service.can_delete(current_user, cap),
        "under_review": service.under_review(cap), "files": files, "changes": service.changes_requested(cap),
        "pending": pending,
        "uploaded_for": uploads.capstone_upload_context(cap.id, file_field) if file_field else None,
        "history": service.history(cap), "progress": rules.progress_percent(done),
        # The events the attempt fired, offered for the timeline on the phase that holds it while it is open.
        "timeline_import": len(cap.attempt.fired_events or []) if cap.attempt and shown in editable
        and shown == capstone_rules.TIMELINE_PHASE else 0,
    }


def _shown_phase(cap, requested: str | None) -> str:
    if requested in rules.PHASES:
        return requested
    current = cap.get_current_phase()
    return current if current in rules.PHASES else rules.PHASES[-1]


class WorkspacePage(NamedTuple):
    title: str
    body: Markup


@bp.get("/<int:capstone_id>")
@login_required
def detail(capstone_id: int):
    learner_id = service.readable_learner(current_user, capstone_id)     # 404 or 403
    requested = request.args.get("phase")
    requested = requested if requested in rules.PHASES else None
    fragment = htmx.wants("capstone-phase-form")

    def make():
        cap = service.get_workspace(current_user, capstone_id, with_attempt=not fragment)     # 404 or 403
        ctx = _context(cap, _shown_phase(cap, requested))
        return render_template("capstones/_phase_form.html", **ctx) if fragment else _workspace(ctx)

    # What the page shows is the learner's (the capstone, its files and history, their reviews), the people
    # named, the catalogue's, or the review statistics; each viewer sees their own buttons, and a review's
    # status can change with the clock alone (a claim expiring): made at most once a minute per change.
    areas = ("catalogue", "people", "reviews", caching.learner_area(learner_id))
    page = caching.fragment(areas, ("capstone-page", capstone_id, current_user.id, requested, fragment,
                                    utcnow().strftime("%Y-%m-%dT%H:%M")), make)
    return page if fragment else _full_page(page)


def _workspace(ctx: dict) -> WorkspacePage:
    """The whole workspace: the phase form's context, and the reviews panel only the page shows."""
    panel = queue_service.reviews_panel(ctx["cap"], current_user)
    since = history_service.latest_round(ctx["cap"], ctx["files"])
    return WorkspacePage(f"Capstone: {ctx['cap'].mission.title}",
                         Markup(render_template("capstones/_detail_body.html", reviews_panel=panel,  # nosec B704
                                                attempt_panel=_attempt_panel(ctx["cap"], ctx["owner"]), since=since,
                                                **ctx)))


def _attempt_panel(cap, owner: bool) -> Markup:
    """The attempt the capstone builds on, read-only beside the phase form. It is made from the attempt's row
    alone (its copy of the mission among it), which every write moves `updated_at` of, so it is kept per version
    of the attempt: the capstone's autosaves, which make the rest of the page stale, leave it as it is."""
    attempt = cap.attempt

    def make():
        work = attempt_service.work_view(attempt_service.loaded(attempt) if attempt else None)
        return render_template("capstones/_attempt.html", cap=cap, owner=owner, work=work)

    if attempt is None:
        return Markup(make())  # nosec B704 (our own template's output)
    return caching.fragment("catalogue", ("capstone-attempt", attempt.id, attempt.updated_at, owner), make)


def _full_page(page: WorkspacePage) -> str:
    return render_template("capstones/detail.html", page=page)


def _render_form(ctx: dict, status: int = 200):
    if htmx.is_htmx():
        return render_template("capstones/_phase_form.html", **ctx), status
    return _full_page(_workspace(ctx)), status


@bp.get("/<int:capstone_id>/phases/<phase:phase>")
@login_required
def phase_page(capstone_id: int, phase: str):
    """The save URL opened as a page (the address bar after a form that was answered with errors, which a plain
    upload then returns to): the workspace on that phase."""
    cap = _load(capstone_id)
    return redirect(url_for("capstones.detail", capstone_id=cap.id, phase=phase), 303)


@bp.get("/<int:capstone_id>/phases/<phase:phase>/history")
@login_required
def history(capstone_id: int, phase: str):
    """The versions of a phase its mentors reviewed, newest first, each with what changed since. Under the capstone
    (not /mentorship) because the learner reads it too: it is the capstone's history, read with the capstone's
    access (plus the mentors whose reviews reopened the phase). A phase never reopened has no earlier version:
    404, with a page that says so."""
    cap, versions, files = history_service.history(current_user, capstone_id, phase)
    ctx = {"cap": cap, "phase": phase, "versions": versions, "files": files,
           "owner": service.is_owner(current_user, cap), "never": history_rules.NEVER_REOPENED}
    return render_template("capstones/history.html", **ctx), 200 if versions else 404


@bp.post("/<int:capstone_id>/phases/<phase:phase>")
@login_required
def save(capstone_id: int, phase: str):
    cap = _load(capstone_id)
    action = request.form.get("action", "save")
    typed = forms.phase_data(phase, request.form)
    # Without JavaScript, the row, file and preview buttons post the whole form: answer with the page, nothing
    # saved.
    kind, _, arg = action.partition(":")
    if kind in ("add", "remove", "preview", "clear"):
        previews = {}
        if kind == "clear":
            if arg in rules.PHASE_FIELDS[phase] and arg in capstone_rules.URL_FIELDS:
                typed[arg] = None        # the file leaves the field; saving the draft makes it so
        elif kind == "add":
            forms.with_row_added(typed, arg)
        elif kind == "remove":
            field, _, index = arg.rpartition(":")
            forms.with_row_removed(typed, field, index)
        elif arg in capstone_rules.MARKDOWN_FIELDS:
            previews[arg] = render_markdown(request.form.get(arg, ""))
        return _render_form(_context(cap, phase, typed=typed, previews=previews))
    completed = action == "complete"
    imported = action == "import_timeline"
    try:
        # One click, one transaction: "Complete" saves the draft and completes the phase together, or neither;
        # "Import" adds the attempt's events to the typed timeline and saves the draft with them.
        service.save_phase(cap, phase, typed, current_user, request.form.get("version", type=int),
                           request.form.getlist("file_keys"), complete=completed, import_timeline=imported)
    except (Invalid, Conflict) as exc:
        # Nothing was saved; nothing the learner typed is lost: the form comes back with their text and the
        # errors beside it.
        return _render_form(_context(cap, phase, typed=typed, errors=dict(exc.fields or {}),
                                     message=_refusal(exc, completed)), exc.status)
    if htmx.is_htmx():
        shown = _shown_phase(cap, None) if completed else phase
        resp = make_response(render_template("capstones/_phase_saved.html",
                                             **_context(cap, shown, saved=False if completed else
                                                        IMPORTED if imported else True)))
        return htmx.trigger(resp, "phase-completed" if completed else "phase-saved", {"phase": phase})
    if completed:
        nxt = cap.get_current_phase()
        flash(f"{rules.PHASE_LABELS[phase]} complete." + (
            f" Next: {rules.PHASE_LABELS[nxt]}." if nxt in rules.PHASES else
            " Your capstone is submitted for mentor review."), "success")
        return redirect(url_for("capstones.detail", capstone_id=cap.id), 303)
    flash(IMPORTED if imported else
          f"Draft of {rules.PHASE_LABELS[phase]} saved.", "success")
    return redirect(url_for("capstones.detail", capstone_id=cap.id, phase=phase), 303)


@bp.post("/<int:capstone_id>/phases/<phase:phase>/draft")
@login_required
def autosave(capstone_id: int, phase: str):
    """Keep what is typed as a draft while the learner types (htmx, a moment after each change): answers with the
    save status and the capstone's new version (out of band, for the form's next save). Nothing is swapped into
    the form, so a refusal (a bad link, the phase completed or changed in another tab) keeps the text in place
    and says why in the status."""
    cap = _load(capstone_id)
    try:
        service.save_phase(cap, phase, forms.phase_data(phase, request.form), current_user,
                           request.form.get("version", type=int))
    except (Invalid, Conflict) as exc:
        return render_template("capstones/_autosave_status.html", cap=cap, problem=_autosave_problem(exc)), \
            exc.status
    return render_template("capstones/_autosave_status.html", cap=cap, saved_at=utcnow())


def _autosave_problem(exc: Invalid | Conflict) -> str:
    """What the status says of a refused autosave: the first fields to fix, by their labels ("artifacts, row 1:
    must be an http(s) link"), or the refusal (completed or changed elsewhere)."""
    if isinstance(exc, Invalid) and exc.fields:
        def where(path: str) -> str:
            name, _, rest = path.partition(".")
            row = rest.split(".")[0]
            label = capstone_rules.FIELD_LABELS.get(name, name.replace("_", " "))
            return f"{label}, row {int(row) + 1}" if row.isdigit() else label
        return "Not saved yet: " + "; ".join(f"{where(path)}: {message}"
                                              for path, message in list(exc.fields.items())[:3]) + "."
    return f"Not saved: {exc.message}"


def _refusal(exc: Invalid | Conflict, completing: bool) -> str:
    """What the phase form says above a refused save or completion (neither kept anything)."""
    if isinstance(exc, Invalid) and exc.fields:
        return ("This phase cannot be completed yet: correct the fields marked below. Nothing was saved; what you "
                "typed is still here." if completing else
                "Nothing was saved: correct the fields marked below. What you typed is still here.")
    if completing and exc.code != "stale":      # the stale message says so already
        return f"{exc.message} Nothing was saved; what you typed is still here."
    return exc.message


@bp.get("/<int:capstone_id>/rows/<field>")
@login_required
def blank_row(capstone_id: int, field: str):
    """One blank repeatable row (htmx 'Add a row')."""
    cap = _load(capstone_id)
    if field.startswith("investigation_findings-"):
        if field.split("-", 1)[1] not in rules.FINDING_KINDS:
            abort(404)
        columns = ()
    elif field in capstone_rules.ROW_FIELDS:
        columns = capstone_rules.ROW_FIELDS[field]
    else:
        abort(404)
    return render_template("capstones/_phase_row.html", cap=cap, field=field, columns=columns, row={} if columns
                           else "", key=secrets.token_hex(4), errors={}, readonly=False)


@bp.post("/<int:capstone_id>/preview")
@login_required
def preview(capstone_id: int):
    """Markdown preview of one text area, sanitised like everything else rendered from Markdown."""
    _load(capstone_id)
    field = request.form.get("action", "").partition(":")[2] or request.form.get("field", "")
    if field not in capstone_rules.MARKDOWN_FIELDS:
        raise Invalid("Nothing to preview.", fields={"field": "not a Markdown field"})
    return render_template("capstones/_preview.html", field=field,
                           html=render_markdown(request.form.get(field, "")))


@bp.post("/<int:capstone_id>/delete")
@login_required
def delete(capstone_id: int):
    cap = _load(capstone_id)
    title = cap.mission.title
    service.delete(cap, current_user)
    flash(f"Capstone for {title} deleted.", "success")
    if htmx.is_htmx():
        return htmx.redirect(make_response("", 200), url_for("capstones.index"))
    return redirect(url_for("capstones.index"), 303)
