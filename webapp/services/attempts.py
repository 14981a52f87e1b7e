"""Mission attempts (SPEC §3): start or resume, acknowledge scope, submit subtasks, time-based events,
review requests and the learner's time multiplier. The engine (domain.engine) decides; this module loads,
checks policy, persists and commits."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, select

from ..caching import quickread
from ..domain import assessment, engine
from ..domain.attempt_rules import can_play_attempt
from ..domain.errors import Conflict, Invalid, NotFound
from ..domain.mission_rules import hidden_subtask_ids
from ..domain.policies import Actor, can_see_mentor_notes, require
from ..extensions import db
from ..models import Mission, MissionAttempt, User
from ..models.base import utcnow
from . import access, notifications, transitions


def content_of(attempt: MissionAttempt) -> dict:
    """The mission content the attempt plays: its snapshot (older rows without one use the mission)."""
    return attempt.mission_snapshot or attempt.mission.content()


def state_of(attempt: MissionAttempt) -> engine.AttemptState:
    return engine.state_from(attempt.started_at, attempt.responses, attempt.decisions, attempt.fired_events,
                             attempt.current_subtask_id, attempt.current_since)


def progress_of(attempt: MissionAttempt, now: datetime | None = None, *, fire: bool = False) -> engine.Progress:
    return engine.evaluate(content_of(attempt), state_of(attempt), now or utcnow(),
                           attempt.learner.time_multiplier if attempt.learner else 1.0, fire=fire)


def scenario_clock(attempt: MissionAttempt, now: datetime | None = None) -> float:
    """The attempt's scenario clock in minutes (domain.engine.scenario_minutes): running while the attempt is in
    progress, stopped when it was completed or abandoned."""
    if attempt.status == "completed" and attempt.completed_at:
        until = attempt.completed_at
    elif attempt.status == "abandoned":
        until = attempt.updated_at
    else:
        until = now or utcnow()
    return engine.scenario_minutes(attempt.started_at, until, attempt.learner.time_multiplier if attempt.learner else 1)


def needs_scope(attempt: MissionAttempt) -> bool:
    return engine.requires_scope_acknowledgement(content_of(attempt)) and attempt.scope_acknowledged_at is None


@functools.cache
def _attempt_query():
    """The attempt with its mission and learner, as one row of their columns; built once."""
    return (select(*quickread.columns(MissionAttempt), *quickread.columns(Mission), *quickread.columns(User))
            .join(Mission, Mission.id == MissionAttempt.mission_id).join(User, User.id == MissionAttempt.learner_id)
            .where(MissionAttempt.id == bindparam("attempt_id")))


def get_attempt(attempt_id: int, actor: Actor) -> MissionAttempt:
    """The attempt if the actor may see it: 404 when it does not exist, 403 when it is someone else's. With its
    mission and learner, in one round trip before the request's transaction (caching.quickread): reading the
    attempt page opens no transaction unless a timed event fires, and every write locks or compares the row
    again first."""
    row = quickread.first(_attempt_query(), {"attempt_id": attempt_id})
    if row is None:
        raise NotFound("No such attempt.")
    mission_at = len(quickread.columns(MissionAttempt))
    learner_at = mission_at + len(quickread.columns(Mission))
    attempt = quickread.adopt(MissionAttempt, row[:mission_at],
                              mission=quickread.adopt(Mission, row[mission_at:learner_at]),
                              learner=quickread.adopt(User, row[learner_at:]))
    require(access.may_read(actor, access.work_of(attempt)), "This attempt belongs to another learner.")
    return attempt


def latest_for(learner_id: int, mission_id: int) -> MissionAttempt | None:
    """The learner's attempt in progress at a mission, else their latest one. One query."""
    return db.session.scalar(
        select(MissionAttempt)
        .where(MissionAttempt.learner_id == learner_id, MissionAttempt.mission_id == mission_id)
        .order_by(case((MissionAttempt.status == "in_progress", 0), else_=1), MissionAttempt.started_at.desc(),
                  MissionAttempt.id.desc())
        .limit(1))


def _in_progress(learner_id: int, mission_id: int) -> list[MissionAttempt]:
    return list(db.session.scalars(select(MissionAttempt).where(
        MissionAttempt.learner_id == learner_id, MissionAttempt.mission_id == mission_id,
        MissionAttempt.status == "in_progress").order_by(MissionAttempt.id)))


def start_or_resume(learner: User, mission: Mission, *, acknowledge_scope: bool = False,
                    now: datetime | None = None) -> tuple[MissionAttempt, bool]:
    """The learner's attempt in progress at this mission, or a new one. Returns (attempt, created).

    A new attempt snapshots the mission content, so later edits do not change it. An offensive-track mission
    needs the learner to acknowledge the rules of engagement and scope first (422 without it).
    """
    existing = _in_progress(learner.id, mission.id)
    if existing:
        attempt = existing[0]
        if acknowledge_scope and needs_scope(attempt):
            attempt.scope_acknowledged_at = now or utcnow()
            db.session.commit()
        return attempt, False
    content = mission.content()
    if engine.requires_scope_acknowledgement(content) and not acknowledge_scope:
        raise Invalid("Acknowledge the rules of engagement and scope before you start this mission.",
                      fields={"acknowledge_scope": "Tick the box to confirm you will stay within the scope."})
    now = now or utcnow()
    first = engine.subtask_ids(content)[0] if content.get("subtasks") else None
    attempt = MissionAttempt(learner_id=learner.id, mission_id=mission.id, status="in_progress",
                             mission_version=mission.version, mission_snapshot=content, current_subtask_id=first,
                             current_since=now, responses={}, decisions={}, drafts={}, fired_events=[],
                             score_penalty=0, started_at=now,
                             scope_acknowledged_at=now if engine.requires_scope_acknowledgement(content) else None)
    db.session.add(attempt)
    try:
        db.session.flush()
        _apply(attempt, engine.evaluate(content, state_of(attempt), now, learner.time_multiplier), now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # Two concurrent starts may both insert: keep the oldest, drop ours.
    rows = _in_progress(learner.id, mission.id)
    if len(rows) > 1 and rows[0].id != attempt.id:
        db.session.delete(attempt)
        db.session.commit()
        return rows[0], False
    return attempt, True


def acknowledge_scope(attempt: MissionAttempt, actor: Actor, *, confirmed: bool = True,
                      now: datetime | None = None) -> MissionAttempt:
    """Record that the learner acknowledged the rules of engagement and scope. Before any submission the
    clock restarts, so time-based events count from the acknowledgement."""
    require(can_play_attempt(actor, attempt.learner_id), "Only the learner who started this attempt can do that.")
    if not confirmed:
        raise Invalid("Acknowledge the rules of engagement and scope before you start.",
                      fields={"acknowledge_scope": "Tick the box to confirm you will stay within the scope."})
    if attempt.scope_acknowledged_at is not None:
        return attempt
    if attempt.status != "in_progress":
        raise Conflict("This attempt has ended.")
    now = now or utcnow()
    values = {"scope_acknowledged_at": now}
    if not attempt.responses and not attempt.fired_events:
        values["started_at"] = values["current_since"] = now
    # Once: a second tab acknowledging at the same moment keeps the first time (and the clock it started).
    if transitions.compare_and_set(attempt, values, when=[MissionAttempt.status == "in_progress",
                                                          MissionAttempt.scope_acknowledged_at.is_(None)]):
        db.session.commit()
    elif attempt.scope_acknowledged_at is None:
        raise Conflict("This attempt has ended.")
    return attempt


def _apply(attempt: MissionAttempt, progress: engine.Progress, now: datetime) -> None:
    """Copy the engine's outcome onto the row (new JSON values, so the change is seen)."""
    if progress.new_events:
        attempt.fired_events = list(attempt.fired_events or []) + [
            {"index": f.index, "fired_at": f.at.isoformat()} for f in progress.new_events]
    attempt.score_penalty = progress.penalty
    if progress.current != attempt.current_subtask_id:
        attempt.current_subtask_id = progress.current
        attempt.current_since = now if progress.current is not None else None
    if progress.completed and attempt.status == "in_progress":
        attempt.status = "completed"
        attempt.completed_at = now
        attempt.score = assessment.score(content_of(attempt), attempt.responses, progress.penalty)


_STATE_COLUMNS = ["status", "started_at", "current_subtask_id", "current_since", "responses", "drafts", "decisions",
                  "fired_events",
                  "score_penalty", "score", "scope_acknowledged_at", "review_requested_at", "completed_at",
                  "updated_at"]


def _lock(attempt: MissionAttempt) -> None:
    """Re-read the row before a write (SELECT … FOR UPDATE on PostgreSQL), so two tabs or a poll racing a
    submission cannot overwrite each other's events."""
    db.session.refresh(attempt, attribute_names=_STATE_COLUMNS, with_for_update=True)


def tick(attempt: MissionAttempt, now: datetime | None = None) -> list[dict]:
    """Fire the time-based events that are due (recording their time). Returns the new events' views.

    Runs when the learner's own attempt page or its timeline is requested: the events are a deterministic
    consequence of the clock, so recording them when first observed is safe to repeat.
    """
    if attempt.status != "in_progress" or needs_scope(attempt):
        return []
    now = now or utcnow()
    progress = progress_of(attempt, now, fire=True)
    if not progress.new_events and progress.current == attempt.current_subtask_id:
        return []
    try:
        _lock(attempt)
        if attempt.status != "in_progress":
            db.session.rollback()
            return []
        progress = progress_of(attempt, now, fire=True)
        _apply(attempt, progress, now)
        transitions.commit(attempt)     # keeps the rows it read: the answer shows them
    except Exception:
        db.session.rollback()
        raise
    content = content_of(attempt)
    return [engine.event_view(content, f.index) for f in progress.new_events]


@dataclass
class Submitted:
    attempt: MissionAttempt
    new_events: list[dict]
    subtask: dict


def submit_subtask(attempt: MissionAttempt, subtask_id: int, response: str | None, decisions: dict | None,
                   actor: Actor, now: datetime | None = None, *, checks: dict | None = None) -> Submitted:
    """Record a subtask's response, decisions and check answers with their marks (domain.assessment), run the
    engine, persist fired events, penalties and the next subtask, and drop the subtask's draft; the last
    visible subtask completes the attempt with its score (SPEC §3.1)."""
    require(can_play_attempt(actor, attempt.learner_id), "Only the learner who started this attempt can submit it.")
    now = now or utcnow()
    try:
        _lock(attempt)
        if attempt.status != "in_progress":
            raise Conflict("This attempt has ended; its subtasks can no longer be submitted.",
                           fields={"subtask": "attempt ended"})
        if needs_scope(attempt):
            raise Conflict("Acknowledge the rules of engagement and scope before you submit a subtask.",
                           fields={"acknowledge_scope": "required"})
        content = content_of(attempt)
        before = progress_of(attempt, now, fire=True)
        submitted = frozenset(int(k) for k in attempt.responses or {})
        accepted = engine.check_submission(content, before, subtask_id, response, decisions, submitted, checks)
        stored, _ = engine.clean_response(response)
        item = engine.subtask(content, subtask_id) or {}
        entry = {"response": stored, "submitted_at": now.isoformat()}
        if assessment.checks_of(item):
            entry.update(checks=accepted.answers, marks=assessment.mark(item, accepted.answers, stored))
        attempt.responses = {**(attempt.responses or {}), str(subtask_id): entry}
        attempt.decisions = {**(attempt.decisions or {}), **accepted.decisions}
        if str(subtask_id) in (attempt.drafts or {}):
            attempt.drafts = {k: v for k, v in attempt.drafts.items() if k != str(subtask_id)}
        after = progress_of(attempt, now, fire=True)
        _apply(attempt, after, now)
        transitions.commit(attempt)     # keeps the rows it read: the answer shows them
    except Exception:
        db.session.rollback()
        raise
    return Submitted(attempt, [engine.event_view(content, f.index) for f in after.new_events],
                     engine.subtask(content, subtask_id) or {})


def save_draft(attempt: MissionAttempt, subtask_id: int, response: str | None, decisions: dict | None,
               checks: dict | None, actor: Actor, now: datetime | None = None) -> dict | None:
    """Keep what the learner is typing for the current subtask (the response, the options chosen and the check
    answers) until it is submitted, so a reload or a lost connection loses nothing. Only the learner, only the
    current subtask of an attempt in progress (409 otherwise); a response over the limit or with a NUL is refused
    (422). Answers a check or decision would refuse are left out of the draft (submitting says why).

    A late autosave of a subtask that has just been submitted (the browser's timer outlived the form) keeps
    nothing and returns None: the submission has the text."""
    require(can_play_attempt(actor, attempt.learner_id), "Only the learner who started this attempt can do that.")
    now = now or utcnow()
    text, rule = engine.clean_response(response)
    if rule:
        raise Invalid("Draft not saved: " + (f"keep your response under {engine.MAX_RESPONSE_CHARS:,} characters."
                                             if "at most" in rule else f"your response {rule}."),
                      fields={"response": rule})
    try:
        _lock(attempt)
        if str(subtask_id) in (attempt.responses or {}):
            db.session.rollback()
            return None
        if attempt.status != "in_progress":
            raise Conflict("This attempt has ended; there is nothing to keep a draft for.",
                           fields={"subtask": "attempt ended"})
        if subtask_id != attempt.current_subtask_id:
            raise Conflict("That subtask is not the one open now: reload the page to see where the attempt is.",
                           fields={"subtask": f"the current subtask is {attempt.current_subtask_id}"})
        item = engine.subtask(content_of(attempt), subtask_id) or {}
        answers, _ = assessment.clean_answers(item, checks)
        options = {d["id"]: {o["id"] for o in d.get("options") or []} for d in item.get("decisions") or []}
        chosen = {k: v for k, v in (decisions or {}).items() if isinstance(v, str) and v in options.get(k, ())}
        draft = {"response": text, "decisions": chosen, "checks": answers, "saved_at": now.isoformat()}
        attempt.drafts = {**(attempt.drafts or {}), str(subtask_id): draft}
        transitions.commit(attempt)     # keeps the rows it read: the answer shows them
    except Exception:
        db.session.rollback()
        raise
    return draft


def draft_of(attempt: MissionAttempt, subtask_id: int | None) -> dict | None:
    """The saved draft of a subtask, as the subtask form takes what the learner typed (or None)."""
    draft = (attempt.drafts or {}).get(str(subtask_id)) if subtask_id is not None else None
    if not draft:
        return None
    return {"subtask_id": subtask_id, "response": draft.get("response") or "",
            "decisions": draft.get("decisions") or {}, "checks": draft.get("checks") or {},
            "saved_at": _parse_time(draft.get("saved_at"))}


def abandon(attempt: MissionAttempt, actor: Actor) -> MissionAttempt:
    """The learner gives up an attempt in progress: it is kept for the record (status `abandoned`, read-only) and
    the mission can be started afresh. 409 when it has already ended."""
    require(can_play_attempt(actor, attempt.learner_id), "Only the learner who started this attempt can abandon it.")
    # Once: a submission or a second abandon racing this one finds the status changed.
    if not transitions.compare_and_set(attempt, {"status": "abandoned", "drafts": {}},
                                       when=[MissionAttempt.status == "in_progress"]):
        raise Conflict("This attempt has already ended: only an attempt in progress can be abandoned.",
                       fields={"status": attempt.status})
    db.session.commit()
    return attempt


def request_review(attempt: MissionAttempt, actor: Actor, now: datetime | None = None) -> MissionAttempt:
    """The learner asks for a mentor review of a completed attempt; asking twice keeps the first time."""
    require(can_play_attempt(actor, attempt.learner_id),
            "Only the learner who made this attempt can ask for its review.")
    if attempt.status != "completed":
        raise Conflict("Finish the attempt before asking for a review: submit every subtask first.")
    # Once: of two requests at once the first time is kept (the other answers as a repeated request does).
    if attempt.review_requested_at is None and transitions.compare_and_set(
            attempt, {"review_requested_at": now or utcnow()},
            when=[MissionAttempt.status == "completed", MissionAttempt.review_requested_at.is_(None)]):
        notifications.submitted_for_review(attempt, attempt.learner)
        db.session.commit()
    return attempt


def set_time_multiplier(actor: Actor, attempt: MissionAttempt, value) -> User:
    """A mentor of the learner (for this attempt's track) or an admin stretches time_elapsed triggers for the
    attempt's learner (1.0 to 4.0)."""
    learner = attempt.learner
    require(access.may_set_time_multiplier(actor, learner.id, attempt.mission.track),
            "Only the learner's mentor or an admin can change their time multiplier.")
    learner.time_multiplier = engine.check_time_multiplier(value)
    db.session.commit()
    return learner


def reached_for_learner(learner_id: int, mission: Mission) -> dict:
    """What the learner's attempt at a mission has reached, for the no-spoiler mission detail: the fired
    events, the visible cues and the unlocked subtask ids (nothing when there is no attempt)."""
    attempt = latest_for(learner_id, mission.id)
    if attempt is None:
        return {"events": [], "cues": [], "unlocked": set()}
    content = attempt.mission_snapshot or mission.content()
    progress = engine.evaluate(content, state_of(attempt), utcnow(), fire=False)
    events = content.get("escalation_events") or []
    locks = engine.hidden_by_design(content)
    return {
        "events": [events[i] for i in progress.fired],
        "cues": [{k: v for k, v in c.items() if k != "revealed_by"} for c in progress.cues],
        "unlocked": {sid for sid in locks if sid not in progress.hidden},
    }


@dataclass(frozen=True)
class MissionAsSeen:
    """A mission as one reader may see it: mentors and admins see every subtask, event and cue and the mentor
    notes; a learner sees no spoilers (hidden subtasks, events and cues only as their attempt, the one in progress
    or else the latest, reached them, as that attempt saw them). Other attributes are the mission's."""

    mission: Mission
    subtasks: list
    escalation_events: list
    environmental_cues: list
    with_notes: bool

    def __getattr__(self, name: str):
        return getattr(self.mission, name)

    def view_key(self) -> tuple:
        """Equal for two readers exactly when they see the same mission text: what is shown beyond the mission's
        own fields (the subtasks, events and cues reached, as the attempt saw them, and the notes), as a digest.
        A cache of the serialised view is keyed by this under the catalogue's revision."""
        import hashlib
        import json

        shown = [[s.get("id") for s in self.subtasks], self.escalation_events, self.environmental_cues,
                 self.with_notes]
        digest = hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()
        return (self.mission.slug, digest)


def as_seen_by(actor: Actor, mission: Mission) -> MissionAsSeen:
    if can_see_mentor_notes(actor):
        return MissionAsSeen(mission, mission.subtasks, mission.escalation_events, mission.environmental_cues, True)
    reached = reached_for_learner(actor.id, mission)
    hidden = hidden_subtask_ids(mission.content()) - reached["unlocked"]
    return MissionAsSeen(mission, [s for s in mission.subtasks if s["id"] not in hidden], reached["events"],
                         reached["cues"], False)


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def timeline_of(attempt: MissionAttempt, content: dict | None = None) -> list[dict]:
    """The fired events as the incident timeline shows them, oldest first, with their time and offset."""
    content = content or content_of(attempt)
    rows = []
    for entry in attempt.fired_events or []:
        view = engine.event_view(content, int(entry.get("index", -1)))
        at = _parse_time(entry.get("fired_at"))
        view["fired_at"] = at
        view["offset_minutes"] = int((at - attempt.started_at).total_seconds() // 60) if at else None
        rows.append(view)
    return rows


def answers_of(attempt: MissionAttempt, content: dict | None = None, progress: engine.Progress | None = None) -> list[dict]:
    """Each visible subtask with its response, chosen options and state (submitted, current, upcoming); a
    submitted one also with its check results, key points (ticked as covered or not) and model answer; once the
    attempt is completed, each decision with every option's debrief (SPEC §3.1: never before)."""
    content = content or content_of(attempt)
    progress = progress or progress_of(attempt)
    rows = []
    responses = attempt.responses or {}
    chosen = attempt.decisions or {}
    debriefs = attempt.status == "completed"
    for sid in progress.visible:
        item = engine.subtask(content, sid) or {}
        answer = responses.get(str(sid)) or {}
        decisions = engine.chosen_options(item, chosen, debriefs=debriefs)
        submitted = str(sid) in responses
        state = "submitted" if submitted else ("current" if sid == progress.current else "upcoming")
        covered = set(answer.get("covered") or [])
        results = assessment.results(item, answer) if submitted else []
        rows.append({"subtask": item, "response": answer.get("response"),
                     "submitted_at": _parse_time(answer.get("submitted_at")), "decisions": decisions,
                     "state": state, "results": results,
                     "earned": sum(r["earned"] for r in results), "possible": sum(r["points"] for r in results),
                     "key_points": [{"index": i, "text": text, "covered": i in covered}
                                    for i, text in enumerate(item.get("key_points") or [])] if submitted else [],
                     "self_assessed": "covered" in answer,
                     "model_answer": item.get("model_answer") if submitted else None})
    return rows


# What the capstone page needs of the attempt it builds on, without its large documents: which version of the
# attempt's work it shows (updated_at moves with every write to the row) and the events it fired (offered for the
# investigation's timeline).
KEY_COLUMNS = (MissionAttempt.id, MissionAttempt.learner_id, MissionAttempt.mission_id, MissionAttempt.status,
               MissionAttempt.completed_at, MissionAttempt.updated_at, MissionAttempt.fired_events)


def loaded(attempt: MissionAttempt) -> MissionAttempt:
    """The attempt with every column loaded, in one query (a page that read only its KEY_COLUMNS, about to show
    its work)."""
    return db.session.get(MissionAttempt, attempt.id, populate_existing=True) or attempt


def work_view(attempt: MissionAttempt | None, content: dict | None = None) -> dict:
    """An attempt as the work beside a capstone or a review shows it, read-only: `attempt`, the `answers` of the
    subtasks submitted or decided, the `timeline` of fired events and the `cues` reached (all empty without an
    attempt)."""
    out = {"attempt": attempt, "timeline": [], "answers": [], "cues": []}
    if attempt is None:
        return out
    content = content or content_of(attempt)
    try:
        out["timeline"] = timeline_of(attempt, content)
    except Exception:           # an older attempt row the engine cannot read: show the answers only
        out["timeline"] = []
    responses = attempt.responses or {}
    out["answers"] = [a for a in answers_of(attempt, content)
                      if a["state"] == "submitted" or any(d["label"] for d in a["decisions"])]
    reached = {int(k) for k in responses if str(k).isdigit()}
    out["cues"] = [c for c in content.get("environmental_cues") or [] if c.get("subtask_id") in reached]
    return out


@dataclass(frozen=True)
class Seen:
    """What the attempt page and the API show of an attempt: the subtasks reached (answers), the current one with
    its checks as the learner may see them before submitting (never the answers), the timeline and the cues."""

    content: dict
    progress: engine.Progress
    answers: list[dict]
    current: dict | None
    current_checks: list[dict]
    timeline: list[dict]

    @property
    def cues(self) -> tuple[dict, ...]:
        return self.progress.cues

    @property
    def earned(self) -> float:
        return sum(a["earned"] for a in self.answers)

    @property
    def possible(self) -> float:
        return sum(a["possible"] for a in self.answers)


def seen(attempt: MissionAttempt) -> Seen:
    content = content_of(attempt)
    progress = progress_of(attempt)
    current = engine.subtask(content, progress.current)
    return Seen(content=content, progress=progress, answers=answers_of(attempt, content, progress), current=current,
                current_checks=[assessment.prompt_view(c) for c in assessment.checks_of(current)],
                timeline=timeline_of(attempt, content))


def last_submitted(answers: list[dict]) -> dict | None:
    """The answer row of the subtask submitted last (its result is shown beside the next subtask)."""
    done = [a for a in answers if a["state"] == "submitted" and a["submitted_at"] is not None]
    return max(done, key=lambda a: a["submitted_at"]) if done else None


def record_self_assessment(attempt: MissionAttempt, subtask_id: int, covered, actor: Actor) -> dict:
    """The learner ticks which key points their submitted response covered (not scored; shown to the mentor).
    Saving again replaces the earlier ticks."""
    require(can_play_attempt(actor, attempt.learner_id), "Only the learner who made this attempt can do that.")
    if attempt.status == "abandoned":
        raise Conflict("This attempt was abandoned; it is kept as it was.")
    content = content_of(attempt)
    item = engine.subtask(content, subtask_id)
    if item is None:
        raise NotFound(f"This mission has no subtask {subtask_id}.")
    try:
        _lock(attempt)
        answer = (attempt.responses or {}).get(str(subtask_id))
        if answer is None:
            raise Conflict("Submit the subtask before you assess it against the key points.",
                           fields={"subtask": "not submitted"})
        ticks = assessment.check_covered(item, covered)
        attempt.responses = {**attempt.responses, str(subtask_id): {**answer, "covered": ticks}}
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return attempt.responses[str(subtask_id)]
