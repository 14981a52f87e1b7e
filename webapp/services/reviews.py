"""Mentor reviews (SPEC §5, issue 6): create a review phase, save drafts, attach media, submit (approve or
request changes), the learner's acknowledgement and checklist, claims and reassignment.

Every write is guarded by the review's version column: a draft saved from a stale tab gets a 409 that says
so and changes nothing. Only services commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from flask import url_for
from sqlalchemy import and_, func, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload, selectinload

from ..domain import phases as phase_rules
from ..domain import policies
from ..domain import reviews as rules
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import (CapstoneActivity, CapstoneProject, MentorshipInteraction, MissionAttempt, PortfolioItem,
                      Recipe, ReviewReply, StoredFile, User)
from ..models.base import utcnow
from . import access
from . import attempts as attempt_service
from . import files as files_service
from . import notifications
from . import transitions
from .actors import actor_for

MI = MentorshipInteraction
STALE_MESSAGE = ("This review was saved somewhere else (another tab, window or device) after you opened it. "
                 "Nothing was overwritten and your text is still in the form: copy what you need, reload the "
                 "page to see the other version, then save again.")
MEDIA_KINDS = ("audio", "video")


class StaleReview(transitions.Stale):
    message = STALE_MESSAGE
    version_field = "version_id"


def claim_hours() -> float:
    return access.claim_hours()


def _today() -> date:
    return utcnow().date()


# ---- who may do what ----------------------------------------------------------------------------------------

def subject_of(review: MI) -> CapstoneProject | MissionAttempt:
    return review.capstone if review.capstone_id else review.attempt


def can_review(actor: policies.Actor, subject) -> bool:
    """May create or edit reviews of this capstone or attempt (services.access decides)."""
    return access.may_act(actor, access.work_of(subject))


def can_read(actor: policies.Actor, review: MI) -> bool:
    """The learner once the phase is submitted; its author; whoever may read the reviewed work."""
    return access.may_read_review(actor, access.work_of(subject_of(review)), author_id=review.mentor_id,
                                  submitted=review.status == "submitted")


def _require_review(user: User, subject) -> policies.Actor:
    actor = actor_for(user)
    refusal = access.act_refusal(actor, access.work_of(subject))
    if refusal:
        raise Forbidden(refusal)
    return actor


# ---- reading --------------------------------------------------------------------------------------------------

def load_review(review_id: int) -> MI:
    review = db.session.scalar(select(MI).where(MI.id == review_id).options(
        joinedload(MI.mission), joinedload(MI.learner), joinedload(MI.mentor),
        joinedload(MI.capstone), joinedload(MI.attempt)))
    if review is None:
        raise NotFound("That review does not exist.")
    return review


def get_for(user: User, review_id: int) -> MI:
    review = load_review(review_id)
    actor = actor_for(user)
    if not can_read(actor, review):
        if actor.is_mentor and actor.id == review.learner_id:
            raise Forbidden(access.OWN_WORK)
        raise Forbidden("You do not have access to this review.")
    return review


def can_edit(user: User, review: MI) -> bool:
    return review.status == "draft" and can_review(actor_for(user), subject_of(review))


def require_edit(user: User, review: MI) -> None:
    """403 for someone who may not review this work; 409 for a phase that is already submitted."""
    _require_review(user, subject_of(review))
    if review.status != "draft":
        raise Conflict("This review phase is submitted and can no longer be changed.")


def phases_of(review: MI) -> list[MI]:
    """Every review phase of the same capstone or attempt, in order (one query)."""
    col = MI.capstone_id if review.capstone_id else MI.attempt_id
    return db.session.scalars(select(MI).where(col == (review.capstone_id or review.attempt_id))
                              .order_by(MI.review_phase)).all()


def media_files(reviews: list[MI]) -> dict[int, dict[str, StoredFile]]:
    """{review_id: {"audio": file, "video": file}} for the given reviews, captions loaded (two queries)."""
    ids = [r.id for r in reviews]
    if not ids:
        return {}
    rows = db.session.scalars(select(StoredFile).where(StoredFile.review_id.in_(ids), StoredFile.parent_id.is_(None))
                              .options(selectinload(StoredFile.captions)).order_by(StoredFile.id)).all()
    urls = {}
    for r in reviews:
        urls[(r.id, "audio")] = r.audio_feedback_url
        urls[(r.id, "video")] = r.video_feedback_url
    out: dict[int, dict[str, StoredFile]] = {}
    for row in rows:
        if row.kind in MEDIA_KINDS and urls.get((row.review_id, row.kind)) == file_url(row.key):
            out.setdefault(row.review_id, {})[row.kind] = row
    return out


# The review form's fields, each shown as typed (a form answered with errors) or else as stored.
FORM_FIELDS = ("rubric_scores", "rubric_comments", "feedback_per_subtask", "subtask_scores", "feedback_per_decision",
               "written_feedback", "overall_score", "is_scoring_meeting", "meeting_notes", "meeting_duration_minutes",
               "recommended_next_steps", "recommended_recipes", "audio_transcript", "video_transcript")


def workspace(review: MI, typed: dict[str, Any], recipe_q: str = "") -> dict:
    """What the review page shows its reviewer (the caller checked can_edit): every phase of the review, this
    phase's media, the recipes it names, the rubric total, the form's values (`typed` over the stored ones),
    recipe search results for `recipe_q`, and the learner's work (work_shown)."""
    phases = phases_of(review)
    return {
        "review": review, "phases": phases, "plan": plan_of(review, phases),
        "reply_counts": reply_counts([p.id for p in phases]),
        "media": media_files([review]).get(review.id, {}),
        "recipes": recipes_by_slug(list(typed.get("recommended_recipes") or review.recommended_recipes or [])),
        "total": rules.weighted_total(review.rubric_of(), review.rubric_scores or {}),
        "v": {k: (typed[k] if k in typed else getattr(review, k)) for k in FORM_FIELDS},
        "today": _today().isoformat(), "recipe_q": recipe_q,
        "recipe_results": search_recipes(recipe_q, exclude=list(review.recommended_recipes or []),
                                         track=review.mission.track) if recipe_q else [],
        **work_shown(review)}


def received(user: User, limit: int = 200) -> list[MI]:
    """The submitted review phases of the user's own work, newest first."""
    return db.session.scalars(select(MI).options(joinedload(MI.mission), joinedload(MI.mentor)).where(
        MI.learner_id == user.id, MI.status == "submitted").order_by(MI.submitted_at.desc())
        .limit(limit)).unique().all()


def work_shown(review: MI) -> dict:
    """The learner's work beside the review form: the attempt (an attempt's review, or the attempt a capstone
    builds on) with its answers, the timeline of fired events and the cues reached (attempts.work_view); and for a
    capstone, the files its phases link to (`capstone_files`, in one query, so the chips show names and types) with
    `files_by_phase` (phase -> those files) for the previews under each phase, and `since`: the phases the last
    request for changes reopened, with what changed since (services.phase_history.latest_round)."""
    from ..domain.capstone_rules import FILE_FIELDS, FILE_TARGETS, file_links, links_to_file
    from .capstones import files_of

    attempt = review.attempt if review.attempt_id else (review.capstone.attempt if review.capstone else None)
    shown = attempt_service.work_view(attempt, attempt.mission_snapshot or review.mission.content()
                                      if attempt else None)
    from . import phase_history

    cap = review.capstone
    files, since = [], {}
    if cap is not None:
        links = file_links({name: getattr(cap, name) for name in FILE_TARGETS})
        every = files_of(cap)
        files = [f for f in every if f.parent_id is None and links_to_file(links, f.key)]
        since = phase_history.latest_round(cap, every)
    by_phase: dict[str, list] = {}
    for f in files:
        if f.field in FILE_FIELDS:
            by_phase.setdefault(FILE_FIELDS[f.field][0], []).append(f)
    return {**shown, "capstone_files": files, "files_by_phase": by_phase, "since": since}


def recipes_by_slug(slugs: list[str]) -> dict[str, Recipe]:
    slugs = list(dict.fromkeys(slugs))
    if not slugs:
        return {}
    return {r.slug: r for r in db.session.scalars(select(Recipe).where(Recipe.slug.in_(slugs))).all()}


def search_recipes(q: str, exclude: list[str] | tuple[str, ...] = (), track: str | None = None,
                   limit: int = 8) -> list[Recipe]:
    stmt = select(Recipe)
    q = (q or "").strip()[:100]     # NUL was refused with the request (webapp/boundary.py)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(func.lower(Recipe.title).like(like) | func.lower(Recipe.summary).like(like)
                          | func.lower(Recipe.slug).like(like))
    if exclude:
        stmt = stmt.where(Recipe.slug.not_in(list(exclude)))
    if track and not q:
        stmt = stmt.where(Recipe.track == track)
    return db.session.scalars(stmt.order_by(Recipe.title).limit(limit)).all()


# ---- create ---------------------------------------------------------------------------------------------------

def _subject(capstone_id: int | None, attempt_id: int | None):
    if bool(capstone_id) == bool(attempt_id):
        raise Invalid("Review either a capstone or an attempt.", fields={"capstone": "give capstone or attempt"})
    if capstone_id:
        cap = db.session.get(CapstoneProject, capstone_id)
        if cap is None:
            raise NotFound("That capstone does not exist.", fields={"capstone": "no such capstone"})
        return cap
    attempt = db.session.get(MissionAttempt, attempt_id)
    if attempt is None:
        raise NotFound("That attempt does not exist.", fields={"attempt": "no such attempt"})
    return attempt


def _waiting(subject) -> bool:
    if isinstance(subject, CapstoneProject):
        return subject.submitted_at is not None and not subject.mentor_approved
    if subject.review_requested_at is None:
        return False
    done = db.session.scalar(select(MI.id).where(
        MI.attempt_id == subject.id, MI.status == "submitted", MI.review_phase >= MI.total_phases,
        MI.submitted_at >= subject.review_requested_at).limit(1))
    return done is None


def attempt_review_done():
    """SQL: the attempt's last review phase was submitted after its latest review request."""
    from sqlalchemy import exists

    return exists().where(MI.attempt_id == MissionAttempt.id, MI.status == "submitted",
                          MI.review_phase >= MI.total_phases, MI.submitted_at >= MissionAttempt.review_requested_at)


def create(user: User, *, capstone_id: int | None = None, attempt_id: int | None = None,
           review_phase: int | None = None, phase: str = rules.OVERALL, total_phases: int | None = None,
           draft: dict[str, Any] | None = None) -> MI:
    """Start a review phase, with the `draft` fields saved in it (checked as save_draft checks them): one
    transaction, so a refused field leaves nothing behind."""
    subject = _subject(capstone_id, attempt_id)
    _require_review(user, subject)
    rules.check_target(phase or rules.OVERALL)
    if isinstance(subject, MissionAttempt) and phase != rules.OVERALL:
        raise Invalid("An attempt is reviewed as a whole: phase must be 'overall'.", fields={"phase": "overall"})
    col = MI.capstone_id if isinstance(subject, CapstoneProject) else MI.attempt_id
    existing = db.session.execute(select(MI.review_phase, MI.total_phases, MI.status, MI.decision)
                                  .where(col == subject.id)).all()
    if not _waiting(subject):
        raise Conflict("This work is not waiting for a review (it has not been submitted, or it is already "
                       "approved).", fields={"capstone" if capstone_id else "attempt": "not submitted for review"})
    if review_phase is None:
        review_phase = 1 if not existing else max(r[0] for r in existing) + 1
    total = rules.plan_new_review([tuple(r) for r in existing], int(review_phase), total_phases)
    review = MI(mentor_id=user.id, learner_id=subject.learner_id, mission_id=subject.mission_id,
                capstone_id=subject.id if isinstance(subject, CapstoneProject) else None,
                attempt_id=subject.id if isinstance(subject, MissionAttempt) else None,
                review_phase=int(review_phase), total_phases=total, phase=phase or rules.OVERALL, status="draft")
    if draft:
        review.mission = subject.mission
        for name, value in clean(review, draft).items():
            setattr(review, name, value)
    db.session.add(review)
    _touch_claim(subject, user)
    try:
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        from sqlalchemy.exc import IntegrityError

        if isinstance(exc, IntegrityError):
            raise Conflict(f"Review phase {review_phase} already exists.", fields={"review_phase": "exists"}) from None
        raise
    return review


def _touch_claim(subject, user: User) -> None:
    """Activity keeps a claim alive."""
    if subject.claimed_by_id == user.id:
        subject.claimed_at = utcnow()


# ---- save a draft ---------------------------------------------------------------------------------------------

def clean(review: MI, data: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields present in `data` against the mission; collect every problem before failing."""
    mission = review.mission
    subtasks = mission.subtasks or []
    rubric = review.rubric_of()
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}

    def run(name, fn):
        try:
            out[name] = fn()
        except Invalid as exc:
            problems.update(exc.fields or {name: exc.message})

    if "rubric_scores" in data:
        run("rubric_scores", lambda: rules.check_rubric_scores(rubric, data["rubric_scores"] or {}))
    if "rubric_comments" in data:
        run("rubric_comments", lambda: rules.check_rubric_comments(rubric, data["rubric_comments"] or {}))
    if "feedback_per_subtask" in data:
        run("feedback_per_subtask", lambda: rules.check_keyed_texts(
            rules.subtask_ids(subtasks), data["feedback_per_subtask"] or {}, "feedback_per_subtask", "subtask"))
    if "feedback_per_decision" in data:
        run("feedback_per_decision", lambda: rules.check_keyed_texts(
            rules.decision_ids(subtasks), data["feedback_per_decision"] or {}, "feedback_per_decision", "decision"))
    if "subtask_scores" in data:
        run("subtask_scores", lambda: rules.check_subtask_scores(subtasks, data["subtask_scores"] or {}))
    if "overall_score" in data:
        run("overall_score", lambda: rules.check_score(data["overall_score"], "overall_score"))
    if "recommended_next_steps" in data:
        run("recommended_next_steps", lambda: rules.check_next_steps(data["recommended_next_steps"] or [], _today()))
    if "recommended_recipes" in data:
        slugs = [str(s) for s in data["recommended_recipes"] or []]
        run("recommended_recipes", lambda: rules.check_recipes(slugs, set(recipes_by_slug(slugs))))
    if "meeting_duration_minutes" in data:
        run("meeting_duration_minutes", lambda: rules.check_meeting_minutes(data["meeting_duration_minutes"]))
    if "is_scoring_meeting" in data:
        out["is_scoring_meeting"] = bool(data["is_scoring_meeting"])
    for name in ("written_feedback", "meeting_notes", "audio_transcript", "video_transcript"):
        if name in data:
            out[name] = rules._text(data[name], name, problems)
    if "total_phases" in data and data["total_phases"] not in (None, ""):
        run("total_phases", lambda: _round_total(review, data["total_phases"]))
    if "phase" in data and data["phase"] is not None:
        run("phase", lambda: rules.check_target(str(data["phase"])))
        if review.attempt_id and out.get("phase") not in (None, rules.OVERALL):
            problems["phase"] = "an attempt is reviewed as a whole: overall"
    if problems:
        # The message names each field as the form does; `fields` keeps the keys API clients rely on.
        raise Invalid("Some fields need fixing: " + rules.describe_problems(problems, subtasks, rubric)
                      + ".", fields=problems)
    return out


def _round_total(review: MI, raw: Any) -> int:
    """A draft's number of review phases, chosen in the workspace: a change is allowed only on a phase that starts
    a round, within the round's bounds (domain.reviews.plan_new_review decides, as for a new review)."""
    try:
        total = int(str(raw).strip())
    except ValueError:
        raise Invalid("total_phases must be a whole number.",
                      fields={"total_phases": f"a whole number from 1 to {rules.MAX_TOTAL_PHASES}"}) from None
    if review.id is None or total == review.total_phases:
        return total
    others = [(r.review_phase, r.total_phases, r.status, r.decision) for r in phases_of(review) if r.id != review.id]
    return rules.plan_new_review(others, review.review_phase, total)


def plan_of(review: MI, phases: list[MI]) -> dict:
    """What the workspace offers for planning this draft: the numbers of phases it may choose (empty: fixed by
    its round) and whether it may choose the capstone phase it reviews."""
    previous = next((p for p in phases if p.review_phase == review.review_phase - 1), None)
    return {"total_choices": rules.total_choices(
                review.review_phase,
                None if previous is None else (previous.review_phase, previous.total_phases, previous.decision)),
            "targets": bool(review.capstone_id)}


def _check_version(review: MI, expected_version: int | None) -> None:
    transitions.check_version(review, expected_version, StaleReview)


def _commit(review: MI) -> None:
    transitions.commit(review, StaleReview)


def _editable(review: MI, user: User) -> None:
    _require_review(user, subject_of(review))
    rules.check_editable(review.status)


def save_draft(review: MI, data: dict[str, Any], user: User, expected_version: int | None = None) -> MI:
    """Keep a draft. Refused (409) when submitted or when the form is older than the saved review."""
    _editable(review, user)
    _check_version(review, expected_version)
    values = clean(review, data)
    changed = [k for k, v in values.items() if getattr(review, k) != v]
    for name in changed:
        setattr(review, name, values[name])
    _touch_claim(subject_of(review), user)
    if changed:
        review.updated_at = utcnow()
    _commit(review)
    return review


def file_url(key: str) -> str:
    """The site-relative download URL (also outside a request, e.g. from the CLI or the demo seed)."""
    return url_for("files.download", key=key, _external=False)


def _media_rows(review: MI, kind: str) -> list[StoredFile]:
    """The recordings of `kind` attached to this review (one, or more left by replacements before they were
    deleted), with their captions."""
    return db.session.scalars(select(StoredFile).where(StoredFile.review_id == review.id, StoredFile.kind == kind,
                                                       StoredFile.parent_id.is_(None))
                              .options(selectinload(StoredFile.captions))).all()


def upload_media(review: MI, user: User, stream: BinaryIO | None, client_name: str | None, kind: str,
                 expected_version: int | None = None) -> StoredFile:
    """Store audio or video feedback (checked by the files layer, owned by the learner) and attach it at once:
    the review's url points at it and its duration is the one read from the stored file. The recording it
    replaces (and its captions) is deleted once the change is saved; if saving fails, it stays."""
    if kind not in MEDIA_KINDS:
        raise Invalid("kind must be audio or video.", fields={"kind": "audio or video"})
    _editable(review, user)
    _check_version(review, expected_version)
    row = files_service.store_upload(user, stream, client_name, kind, owner=review.learner)
    try:
        replaced = files_service.release(_media_rows(review, kind))
        files_service.attach([row.key], owner_id=review.learner_id, field=f"{kind}_feedback", review_id=review.id)
        setattr(review, f"{kind}_feedback_url", file_url(row.key))
        setattr(review, f"{kind}_duration_seconds", row.duration_seconds)
        _touch_claim(subject_of(review), user)
        _commit(review)
    except Exception:
        db.session.rollback()
        _drop(row)
        raise
    files_service.purge(replaced)
    try:
        db.session.refresh(row)     # what the answer shows, read now: a second upload may replace it any moment
    except InvalidRequestError:
        raise Conflict(f"Another {kind} recording was saved on this review at the same moment and replaced this "
                       "one. Reload the review to see the recording it keeps.") from None
    return row


def _drop(row: StoredFile) -> None:
    """Delete a new upload whose review change failed (the transaction is rolled back): released and committed
    first, so a failure half-way leaves a row the sweep removes, never an object nothing names."""
    obj = db.session.get(StoredFile, row.id)
    if obj is None:
        return
    keys = files_service.release([obj])
    db.session.commit()
    files_service.purge(keys)


def remove_media(review: MI, user: User, kind: str, expected_version: int | None = None) -> MI:
    """Take the recording of `kind` off the draft; it and its captions are deleted once that is saved."""
    if kind not in MEDIA_KINDS:
        raise Invalid("kind must be audio or video.", fields={"kind": "audio or video"})
    _editable(review, user)
    _check_version(review, expected_version)
    removed = files_service.release(_media_rows(review, kind))
    setattr(review, f"{kind}_feedback_url", None)
    setattr(review, f"{kind}_duration_seconds", None)
    _commit(review)
    files_service.purge(removed)
    return review


# ---- submit ---------------------------------------------------------------------------------------------------

def submit(review: MI, user: User, *, data: dict[str, Any] | None = None, expected_version: int | None = None,
           overall_score: Any = None, decision: str | None = None,
           reopen_phases: list[str] | tuple[str, ...] = ()) -> MI:
    """Submit a phase (optionally saving `data` first, in the same transaction). The last phase needs an
    overall score and a decision: approve updates the capstone and creates a draft capstone_result item;
    request_changes reopens the named phases."""
    _require_review(user, subject_of(review))
    if review.status != "draft":
        raise _submitted_meanwhile(review)      # submitted before this request read it: say what was decided
    _check_version(review, expected_version)
    read_version = review.version_id
    if data:
        values = clean(review, data)
        for name, value in values.items():
            setattr(review, name, value)
    if overall_score not in (None, ""):
        review.overall_score = rules.check_score(overall_score, "overall_score")
    last = rules.is_last_phase(review.review_phase, review.total_phases)
    decision = (decision or None) if last else (decision or None)
    reopen = [p for p in dict.fromkeys(reopen_phases or []) if p]
    reviewable = phase_rules.PHASES if review.capstone_id else None
    rules.check_submit(last, review.overall_score, decision, reopen, reviewable)
    now = utcnow()
    # Draft to submitted once: of two submissions at once (two tabs, or the mentor and an admin) one decides.
    # The rubric it was scored against is kept with it: a later edit of the mission's rubric changes no submitted
    # review (MentorshipInteraction.rubric_of).
    transitions.transition(review, {"status": "submitted", "submitted_at": now, "rubric": review.rubric_of(),
                                    "decision": decision if last else None,
                                    "reopen_phases": reopen if decision == "request_changes" else []},
                           when=[MI.status == "draft"], expected_version=read_version, conflict=_submitted_meanwhile)
    subject = subject_of(review)
    if last and review.capstone_id:
        cap = review.capstone
        if decision == "approve":
            _approve(cap, review, user, now)
        else:
            _reopen_capstone(cap, reopen, user, review)
    if last and review.attempt_id:
        # The attempt's review is complete: it leaves the queue (see services.queue).
        subject.claimed_by_id, subject.claimed_at = None, None
    _touch_claim(subject, user)
    notifications.review_submitted(review, user, last=last, decision=decision if last else None)
    _commit(review)
    return review


def _submitted_meanwhile(current: MI) -> Conflict:
    if current.status != "submitted":
        return StaleReview(current.version_id)      # still a draft, saved elsewhere meanwhile
    work = "capstone" if current.capstone_id else "attempt"
    outcome = {"approve": f": the {work} is approved", "request_changes": ": changes were requested"}
    return Conflict(f"This review phase was already submitted{outcome.get(current.decision, '')}. Nothing of yours "
                    "was saved; reload the page to see it.",
                    fields={"status": "submitted", "decision": current.decision or ""})


def _approve(cap: CapstoneProject, last: MI, user: User, now: datetime) -> None:
    phases = [r for r in phases_of(last) if r.id != last.id and r.status == "submitted"] + [last]
    phases.sort(key=lambda r: r.review_phase)
    cap.mentor_approved = True
    cap.mentor_final_score = last.overall_score
    cap.mentor_reviewed_at = now
    cap.mentor_review_phases = [rules.phase_summary(r.review_phase, r.total_phases, r.phase, r.overall_score,
                                                    r.decision, r.submitted_at,
                                                    rules.mentor_name(r.mentor.display_name if r.mentor else None))
                                  for r in phases]
    audio = next((r.audio_feedback_url for r in reversed(phases) if r.audio_feedback_url), None)
    video = next((r.video_feedback_url for r in reversed(phases) if r.video_feedback_url), None)
    cap.mentor_feedback_audio_url, cap.mentor_feedback_video_url = audio, video
    cap.claimed_by_id, cap.claimed_at = None, None
    score = f" with {last.overall_score}/100" if last.overall_score is not None else ""
    db.session.add(CapstoneActivity(capstone_id=cap.id, actor_id=user.id, action="approved", phase=None,
                                    summary=f"Approved by the mentor{score}."[:300]))
    mission = cap.mission
    exists = db.session.scalar(select(PortfolioItem.id).where(PortfolioItem.capstone_id == cap.id,
                                                               PortfolioItem.item_type == "capstone_result"))
    if exists is None:
        summary = (cap.report_summary or mission.summary or "").strip()
        db.session.add(PortfolioItem(owner_id=cap.learner_id, title=f"Capstone: {mission.title}"[:200],
                                     summary=summary, item_type="capstone_result", status="draft",
                                     visibility="private", skill_tags=list(mission.skills or []),
                                     capstone_id=cap.id, mission_id=mission.id))


def _reopen_capstone(cap: CapstoneProject, phases: list[str], user: User, review: MI) -> None:
    """services.capstones.reopen clears the named phases and every later one (keeping each as reviewed), takes the
    capstone out of the queue and logs it; it runs inside this transaction."""
    from . import capstones as capstone_service

    capstone_service.reopen(cap, phases, user, commit=False, review=review)
    cap.claimed_by_id, cap.claimed_at = None, None


# ---- the learner's side ----------------------------------------------------------------------------------------

def _learner_review(review_id: int, user: User) -> MI:
    review = load_review(review_id)
    if review.learner_id != getattr(user, "id", None):
        if can_read(actor_for(user), review):
            raise Forbidden("Only the learner whose work was reviewed can do that.")
        raise Forbidden("You do not have access to this review.")
    if review.status != "submitted":
        raise Forbidden("You do not have access to this review.")
    return review


def acknowledge(review_id: int, user: User) -> MI:
    review = _learner_review(review_id, user)
    if review.acknowledged_at is None:
        review.acknowledged_at = utcnow()
        _commit(review)
    return review


def toggle_step(review_id: int, user: User, index: int, done: bool | None = None) -> MI:
    review = _learner_review(review_id, user)
    steps = review.recommended_next_steps or []
    if not 0 <= index < len(steps):
        raise NotFound("That next step does not exist.", fields={"step": "no such step"})
    ticked = set(review.next_steps_done or [])
    want = (index not in ticked) if done is None else done
    ticked.add(index) if want else ticked.discard(index)
    review.next_steps_done = sorted(ticked)
    _commit(review)
    return review


# ---- the conversation under a submitted review phase (SPEC §13) ------------------------------------------------
# Who takes part is who may read the phase (can_read: the learner, the reviewing mentor, the learner's mentors for
# the track or the claim holder, admins); a draft has no conversation yet.

def replies_of(review_ids: list[int]) -> dict[int, list[ReviewReply]]:
    """{review_id: its replies, oldest first, authors loaded}: one query, however many phases and replies."""
    if not review_ids:
        return {}
    out: dict[int, list[ReviewReply]] = {i: [] for i in review_ids}
    for reply in db.session.scalars(replies_query(review_ids)).all():
        out[reply.review_id].append(reply)
    return out


def replies_query(review_ids: list[int]):
    """The replies of these review phases, oldest first, each with its author (the API pages through it)."""
    return (select(ReviewReply).options(joinedload(ReviewReply.author)).where(ReviewReply.review_id.in_(review_ids))
            .order_by(ReviewReply.created_at, ReviewReply.id))


def reply_counts(review_ids: list[int]) -> dict[int, int]:
    """{review_id: number of replies} for the lists that name review phases (one query)."""
    if not review_ids:
        return {}
    rows = db.session.execute(select(ReviewReply.review_id, func.count()).where(
        ReviewReply.review_id.in_(list(review_ids))).group_by(ReviewReply.review_id)).all()
    return {review_id: count for review_id, count in rows}


def conversation_for(user: User, review_id: int) -> MI:
    """The review phase whose conversation `user` reads or joins: 404 when it does not exist, 403 for whoever may
    not read the phase (get_for), 403 with its own message while the phase is a draft."""
    review = get_for(user, review_id)
    rules.check_can_reply(review.status)
    return review


def add_reply(review_id: int, user: User, body: Any) -> ReviewReply:
    """The moment a reply is posted: checks who may (conversation_for) and the text (domain.reviews.check_reply),
    stores it and commits. Anything that must happen with a reply (the other side's notification) belongs here,
    in this transaction, before the commit."""
    review = conversation_for(user, review_id)
    reply = ReviewReply(review=review, author=user, body=rules.check_reply(body))
    notifications.review_replied(review, user)      # the other side hears of it, in this transaction
    db.session.add(reply)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return reply


# ---- claims and reassignment ------------------------------------------------------------------------------------

def _queued_subject(kind: str, subject_id: int):
    if kind == "capstone":
        return _subject(subject_id, None)
    if kind == "attempt":
        return _subject(None, subject_id)
    raise NotFound("Unknown kind of submission.")


def waiting_sql(model):
    """SQL twin of _waiting(): the capstone or attempt waits in the review queue."""
    if model is CapstoneProject:
        return and_(CapstoneProject.submitted_at.is_not(None), CapstoneProject.mentor_approved.is_(False))
    return and_(MissionAttempt.review_requested_at.is_not(None), ~attempt_review_done())


def _holder_name(subject) -> str | None:
    holder = db.session.get(User, subject.claimed_by_id) if subject.claimed_by_id else None
    return holder.display_name if holder else None


def _check_claimable(subject, actor: policies.Actor, now: datetime) -> None:
    """access.claim_refusal() for this submission as it is now: never one's own work (403), only waiting work,
    never work another mentor holds (409 naming the holder)."""
    work = access.work_of(subject, now)
    if actor.id == work.learner_id:
        raise Forbidden(access.OWN_WORK)
    if not _waiting(subject):
        raise Conflict("This submission is not waiting for a review.", fields={"submission": "not waiting"})
    if not access.may_claim(actor, work):
        name = _holder_name(subject) or "another mentor"
        raise Conflict(f"Another mentor, {name}, claimed this submission first.",
                       fields={"submission": "claimed", "claimed_by": name})


def _take(subject, actor: policies.Actor, now: datetime) -> None:
    """Stage the claim of a submission _check_claimable() let through, as one compare-and-set: when another
    mentor got there first, the request's transaction is rolled back and the 409 names them."""
    model = type(subject)
    cols = access.capstone_cols() if model is CapstoneProject else access.attempt_cols()
    transitions.transition(subject, {"claimed_by_id": actor.id, "claimed_at": now},
                           when=[waiting_sql(model), access.claim_filter(actor, cols, access.cutoff(now))],
                           conflict=lambda current: _check_claimable(current, actor, utcnow()))


def claim(user: User, kind: str, subject_id: int) -> CapstoneProject | MissionAttempt:
    """A mentor claims a waiting submission that nobody holds (or whose claim lapsed); never their own work. Of two
    mentors claiming at once exactly one gets it; the other gets 409 naming the holder."""
    actor = actor_for(user)
    policies.require(actor.is_mentor, "Only mentors can claim submissions.")
    subject = _queued_subject(kind, subject_id)
    now = utcnow()
    _check_claimable(subject, actor, now)
    _take(subject, actor, now)
    db.session.commit()
    return subject


def _claim_label(kind: str, subject_id: int, subject=None) -> str:
    if subject is None:
        return f"{kind} {subject_id}"
    what = "capstone" if kind == "capstone" else "attempt"
    return f"{subject.learner.display_name}'s {what} at {subject.mission.title}"


@dataclass
class BulkClaim:
    """What claim_many did: the submissions claimed, and each refused one with a label and the reason."""
    claimed: list[CapstoneProject | MissionAttempt] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def message(self) -> str:
        return rules.bulk_claim_message(len(self.claimed), self.refused)


def claim_many(user: User, keys: list[str]) -> BulkClaim:
    """Claim several queue items at once ("capstone:12", "attempt:7"; domain.reviews.parse_claim_keys), each by
    the rules of claim() and all in one transaction. An item that may not be claimed (gone, not waiting, the
    mentor's own work, held by another mentor) is reported, not claimed, and the others still are. When another
    mentor wins a race for one of them, the transaction rolls back and the selection is tried again from the
    top, so that item is then reported as theirs."""
    actor = actor_for(user)
    policies.require(actor.is_mentor, "Only mentors can claim submissions.")
    items = rules.parse_claim_keys(keys)
    for _ in range(len(items) + 1):
        result, raced, now = BulkClaim(), False, utcnow()
        for kind, subject_id in items:
            try:
                subject = _queued_subject(kind, subject_id)
            except NotFound:
                result.refused.append((_claim_label(kind, subject_id), "it no longer exists"))
                continue
            try:
                _check_claimable(subject, actor, now)
            except (Forbidden, Conflict) as exc:
                result.refused.append((_claim_label(kind, subject_id, subject), exc.message))
                continue
            try:
                _take(subject, actor, now)
            except (Conflict, NotFound):
                raced = True        # rolled back: every claim staged so far is undone
                break
            result.claimed.append(subject)
        if not raced:
            db.session.commit()
            return result
    raise Conflict("The queue kept changing while you claimed. Nothing was claimed; reload the queue and try again.")


def reassign(user: User, kind: str, subject_id: int, mentor_email: str) -> User:
    """An admin hands a submission (and its draft review phases) to a mentor."""
    policies.require(actor_for(user).is_admin, "Only admins can reassign submissions.")
    subject = _queued_subject(kind, subject_id)
    email = (mentor_email or "").strip().lower()
    mentor = db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if mentor is None or not mentor.is_mentor or not mentor.is_active:
        raise Invalid("There is no active mentor with that email.", fields={"mentor_email": "not an active mentor"})
    if mentor.id == subject.learner_id:
        raise Invalid("Nobody reviews their own work: choose another mentor.",
                      fields={"mentor_email": "the learner whose work this is"})
    model, held_by, held_at = type(subject), subject.claimed_by_id, subject.claimed_at

    def conflict(current) -> Conflict:
        name = _holder_name(current)
        return Conflict(f"The claim on this submission changed while you reassigned it: "
                        f"{f'{name} holds it now' if name else 'nobody holds it now'}. Nothing was reassigned; "
                        "reload the queue and choose again.", fields={"submission": "claimed",
                                                                       "claimed_by": name or ""})

    # From the claim the admin's request read: a mentor claiming at the same moment is not silently overridden.
    transitions.transition(subject, {"claimed_by_id": mentor.id, "claimed_at": utcnow()}, when=[
        model.claimed_by_id.is_(None) if held_by is None else model.claimed_by_id == held_by,
        model.claimed_at.is_(None) if held_at is None else model.claimed_at == held_at], conflict=conflict)
    col = MI.capstone_id if isinstance(subject, CapstoneProject) else MI.attempt_id
    for draft in db.session.scalars(select(MI).where(col == subject.id, MI.status == "draft")).all():
        draft.mentor_id = mentor.id
    db.session.commit()
    return mentor
