"""Capstone use cases (SPEC §4): start, save a phase, complete it, upload to it, delete, reopen.

Every change appends a CapstoneActivity row in the same transaction. Writes are guarded by the
capstone's version column, so two tabs (or two requests) cannot both win: the loser's UPDATE matches
no row, is rolled back, and gets a 409 that says what happened.
"""
from __future__ import annotations

import functools
from typing import Any, BinaryIO

from flask import url_for
from sqlalchemy import and_, bindparam, delete as sa_delete, exists, or_, select
from sqlalchemy.exc import IntegrityError

from .. import caching
from ..caching import quickread
from ..domain import capstone_history as history_rules
from ..domain import capstone_rules, catalogue, phases as rules, policies, uploads
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.uploads import Rejected
from ..extensions import db
from ..models import (CapstoneActivity, CapstoneProject, MentorshipInteraction, Mission, MissionAttempt, StoredFile,
                      User)
from ..models.base import utcnow
from . import access
from . import attempts as attempt_service
from . import files as files_service
from . import notifications
from . import transitions
from .actors import actor_for

STALE_MESSAGE = ("This capstone was changed somewhere else (another tab, window or device) after you opened it. "
                 "Your text is kept here and was not saved; check it, then save again to replace the other version.")


class StaleCapstone(transitions.Stale):
    message = STALE_MESSAGE


class AlreadyStarted(Conflict):
    def __init__(self, capstone: CapstoneProject):
        super().__init__("You already have a capstone for this mission.", fields={"mission": "capstone exists"})
        self.capstone = capstone


# ---- reading and permissions --------------------------------------------------------------------------------

def get_capstone(capstone_id: int) -> CapstoneProject:
    cap = db.session.get(CapstoneProject, capstone_id)
    if cap is None:
        raise NotFound("That capstone does not exist.")
    return cap


def can_read(actor: policies.Actor, cap, track: str | None = None) -> bool:
    """The learner, their mentors for the mission's track, the mentor holding its live claim, and admins
    (services.access decides; `track` saves loading the mission when the caller has it)."""
    return access.may_read(actor, access.work_of(cap, track=track))


def get_for(user: User, capstone_id: int) -> CapstoneProject:
    cap = get_capstone(capstone_id)
    policies.require(can_read(actor_for(user), cap), "You do not have access to this capstone.")
    return cap


# What the capstone pages show of the mission: not its scenario, subtasks, rubric or events (large documents).
MISSION_COLUMNS = (Mission.id, Mission.slug, Mission.title, Mission.track, Mission.tier, Mission.is_published,
                   Mission.capstone_brief)


def get_workspace(user: User, capstone_id: int, *, with_attempt: bool = False) -> CapstoneProject:
    """get_for() with the mission's page columns and the learner loaded in the same query (the workspace page
    and the API's capstone detail), and with `with_attempt` the key columns of the attempt it builds on (the page
    shows its work, kept per version of the attempt: services.attempts.loaded() brings the rest when it is made;
    a save or the API needs none of it)."""
    from sqlalchemy.orm import joinedload

    options = [joinedload(CapstoneProject.mission).load_only(*MISSION_COLUMNS), joinedload(CapstoneProject.learner)]
    if with_attempt:
        options.append(joinedload(CapstoneProject.attempt).load_only(*attempt_service.KEY_COLUMNS))
    cap = db.session.scalar(select(CapstoneProject).options(*options).where(CapstoneProject.id == capstone_id))
    if cap is None:
        raise NotFound("That capstone does not exist.")
    policies.require(can_read(actor_for(user), cap), "You do not have access to this capstone.")
    return cap


@functools.cache
def _reader_query():
    """The capstone's learner, track and claim, with the learner's cache revision; built once."""
    return (select(CapstoneProject.learner_id, CapstoneProject.claimed_by_id, CapstoneProject.claimed_at,
                   Mission.track,
                   caching.learner_column(CapstoneProject.learner_id).label("revision"))
            .join(Mission, Mission.id == CapstoneProject.mission_id)
            .where(CapstoneProject.id == bindparam("capstone_id")))


def readable_learner(user: User, capstone_id: int) -> int:
    """The learner whose capstone this is, after the same access check as get_for(), reading only the two
    columns it needs (for pages served from the cache of the learner's area)."""
    reader_row = functools.cache(lambda: quickread.first(_reader_query(), {"capstone_id": capstone_id}))

    def owner() -> int | None:
        row = reader_row()
        return None if row is None else row.learner_id

    # Whether the user owns it is kept under the revision of the user's own area: a capstone becomes theirs, or
    # stops being theirs, only by a write to that area. So a learner opening their own capstone again needs no
    # query here (the revision came with the user). Anyone else's access is checked on every request.
    if (caching.knows_learner(user.id)
            and caching.value(caching.learner_area(user.id), ("capstone-owner", capstone_id), owner) == user.id):
        return user.id
    row = reader_row()
    if row is None:
        raise NotFound("That capstone does not exist.")
    policies.require(can_read(actor_for(user), row, track=row.track), "You do not have access to this capstone.")
    caching.remember_learner(row.learner_id, row.revision)
    return row.learner_id


def is_owner(user: User | None, cap: CapstoneProject) -> bool:
    return user is not None and getattr(user, "id", None) == cap.learner_id


def under_review(cap: CapstoneProject) -> bool:
    return rules.is_under_review(cap.submitted_at is not None, bool(cap.mentor_approved))


def editable_phases(cap: CapstoneProject) -> set[str]:
    if under_review(cap):
        return set()
    return set(rules.PHASES) - cap.completed_phases()


def _require_owner(actor: User, cap: CapstoneProject, doing: str) -> None:
    if not is_owner(actor, cap):
        raise Forbidden(f"Only the learner who owns this capstone can {doing}.")


def _log(cap: CapstoneProject, actor: User | None, action: str, phase: str | None, summary: str) -> None:
    db.session.add(CapstoneActivity(capstone_id=cap.id, actor_id=actor.id if actor else None, action=action,
                                    phase=phase, summary=summary[:300]))


def _log_draft(cap: CapstoneProject, actor: User, phase: str, items: list[str]) -> None:
    """A draft save in the history: it extends the newest entry when that is this person's draft of this phase
    from a moment ago (domain.capstone_history), else it is a new entry."""
    label = rules.PHASE_LABELS[phase]
    last = db.session.scalar(select(CapstoneActivity).where(CapstoneActivity.capstone_id == cap.id)
                             .order_by(CapstoneActivity.created_at.desc(), CapstoneActivity.id.desc()).limit(1))
    now = utcnow()
    if history_rules.extends(last, actor.id, phase, label, now):
        last.summary = history_rules.draft_summary(label, history_rules.draft_items(label, last.summary) + items)
        last.created_at = now
    else:
        _log(cap, actor, history_rules.SAVED, phase, history_rules.draft_summary(label, items))


def _check_version(cap: CapstoneProject, expected_version: int | None) -> None:
    transitions.check_version(cap, expected_version, StaleCapstone)


def _commit(cap: CapstoneProject) -> None:
    """Commit; a concurrent write that got there first (version moved on) becomes a 409."""
    transitions.commit(cap, StaleCapstone)


# ---- start ---------------------------------------------------------------------------------------------------

def find(learner_id: int, mission_id: int) -> CapstoneProject | None:
    return db.session.scalar(select(CapstoneProject).where(CapstoneProject.learner_id == learner_id,
                                                           CapstoneProject.mission_id == mission_id))


def basis_attempt(learner_id, mission_id):
    """SQL: the attempt a new capstone builds on (SPEC §4), the learner's latest completed attempt at the mission.
    The arguments are values or bind parameters; the mission page asks the same question as a subquery."""
    return (select(MissionAttempt.id)
            .where(MissionAttempt.learner_id == learner_id, MissionAttempt.mission_id == mission_id,
                   MissionAttempt.status == "completed")
            .order_by(MissionAttempt.completed_at.desc(), MissionAttempt.id.desc()).limit(1))


NEEDS_ATTEMPT = ("Complete the mission first: a capstone builds on your completed attempt at it (its answers, "
                 "decisions and events).")


def start(learner: User, mission: Mission) -> tuple[CapstoneProject, bool]:
    """The learner's capstone for a mastery mission: (capstone, created). It records the attempt it builds on,
    and needs one (409 without a completed attempt). Starting twice returns the existing one; under concurrent
    starts the unique constraint decides and the loser gets the winner's capstone."""
    if not catalogue.offers_capstone(mission.tier):
        raise Invalid(f"Capstones are for mastery missions; '{mission.title}' is {mission.tier}.",
                      fields={"mission": "not a mastery mission"})
    if not mission.is_published and not actor_for(learner).is_mentor:
        raise NotFound("That mission does not exist.")
    existing = find(learner.id, mission.id)
    if existing is not None:
        return existing, False
    attempt_id = db.session.scalar(basis_attempt(learner.id, mission.id))
    if attempt_id is None:
        raise Conflict(NEEDS_ATTEMPT, fields={"mission": "no completed attempt"})
    cap = CapstoneProject(learner_id=learner.id, mission_id=mission.id, attempt_id=attempt_id)
    db.session.add(cap)
    try:
        db.session.flush()
        _log(cap, learner, "started", None, f"Started the capstone for {mission.title}.")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = find(learner.id, mission.id)
        if existing is None:
            raise
        return existing, False
    return cap, True


def start_by_slug(learner: User, slug: str) -> tuple[CapstoneProject, bool]:
    mission = db.session.scalar(select(Mission).where(Mission.slug == slug))
    if mission is None:
        raise NotFound(f"There is no mission '{slug}'.", fields={"mission": "no such mission"})
    return start(learner, mission)


# ---- save and complete ---------------------------------------------------------------------------------------

def save_phase(cap: CapstoneProject, phase: str, data: dict[str, Any], actor: User,
               expected_version: int | None = None, file_keys: list[str] | tuple[str, ...] = (), *,
               complete: bool = False, import_timeline: bool = False) -> CapstoneProject:
    """Keep a draft of one open phase. Only the owner; not a completed phase; not while under review.

    With `complete`, the same click also completes the phase (complete_phase's rules), in the same transaction:
    the draft and the completion are saved together or not at all, so a refused completion (fields missing,
    out of order, changed meanwhile) leaves the stored capstone as it was. With `import_timeline` (the
    investigation only), the events the attempt fired are added to the draft's timeline before it is saved."""
    rules.check_phase(phase)
    _require_owner(actor, cap, "edit it")
    rules.check_can_edit(phase, cap.completed_phases(), under_review(cap))
    _check_version(cap, expected_version)
    if import_timeline:
        data = {**data, capstone_rules.TIMELINE_FIELD: _with_attempt_timeline(cap, phase, data)}
    stored = {name: getattr(cap, name) for name in rules.PHASE_FIELDS[phase]}
    try:
        try:
            clean = capstone_rules.clean_phase_data(phase, data)
        except Invalid as exc:
            if complete and exc.fields:
                # The draft did not clean: name what completing would still lack too, all in one answer.
                missing = capstone_rules.missing_when_completing(phase, data, stored)
                raise Invalid(exc.message, fields={**missing, **exc.fields}) from None
            raise
        changed = [name for name, value in clean.items() if getattr(cap, name) != value]
        for name in changed:
            setattr(cap, name, clean[name])
        attached = []
        keys = [k for k in dict.fromkeys(file_keys) if k]
        if keys:
            field = capstone_rules.FILE_FIELD_OF_PHASE.get(phase)
            if field is None:
                raise Invalid(f"The {rules.PHASE_LABELS[phase]} phase takes no files.",
                              fields={"file_keys": "no files"})
            attached = _attach(cap, field, keys)
        if not changed and not attached and not complete:
            return cap
        if changed or attached:
            _log_draft(cap, actor, phase, [capstone_rules.FIELD_LABELS[n] for n in changed]
                       + [f"the file {f.filename}" for f in attached])
        if complete:
            _mark_complete(cap, phase, actor)
        unlinked = _release_unlinked(cap) if attached or _links_changed(changed) else []
    except Exception:
        db.session.rollback()
        raise
    _commit_phase(cap, phase if complete else None)
    files_service.purge(unlinked)
    return cap


def attempt_timeline(cap: CapstoneProject) -> list[str]:
    """The events the capstone's attempt fired, as entries of the investigation timeline (oldest first)."""
    if cap.attempt is None:
        return []
    return [capstone_rules.timeline_entry(e["message"], e["severity"], e["fired_at"], e["offset_minutes"])
            for e in attempt_service.timeline_of(cap.attempt)]


def _with_attempt_timeline(cap: CapstoneProject, phase: str, data: dict[str, Any]) -> dict[str, Any]:
    field = capstone_rules.TIMELINE_FIELD
    if phase != capstone_rules.TIMELINE_PHASE:
        raise Invalid(f"The attempt's events go into the {rules.PHASE_LABELS[capstone_rules.TIMELINE_PHASE]} "
                      "timeline.", fields={"phase": capstone_rules.TIMELINE_PHASE})
    if cap.attempt is None:
        raise Conflict("This capstone records no mission attempt, so there are no events to import.",
                       fields={field: "no attempt"})
    entries = attempt_timeline(cap)
    if not entries:
        raise Conflict("Your attempt fired no events, so there is nothing to import into the timeline.",
                       fields={field: "no events"})
    findings = data[field] if field in data else getattr(cap, field)
    if not isinstance(findings, dict):
        findings = {}      # a malformed draft: the import starts the lists afresh, the clean step checks the rest
    return capstone_rules.with_timeline(findings, entries)


SAVE_TRIES = 5


def save_fields(cap: CapstoneProject, data: dict[str, Any], actor: User,
                expected_version: int | None = None) -> CapstoneProject:
    """The API's PATCH: fields of any open phases at once, all or nothing.

    With `expected_version`, a concurrent save is a 409 (StaleCapstone). Without it, the last writer wins: a save
    that meets a concurrent one is made again on the capstone as that one left it (re-read by the failed commit),
    up to SAVE_TRIES times; its rules are checked again each time (the phase may have been completed meanwhile)."""
    tries = 1 if expected_version is not None else SAVE_TRIES
    for attempt in range(1, tries + 1):
        try:
            return _save_fields(cap, data, actor, expected_version)
        except StaleCapstone:
            if attempt == tries:
                raise
    return cap  # never reached: the last try returns or raises


def _save_fields(cap: CapstoneProject, data: dict[str, Any], actor: User,
                 expected_version: int | None) -> CapstoneProject:
    _require_owner(actor, cap, "edit it")
    _check_version(cap, expected_version)
    grouped = capstone_rules.split_by_phase(data)
    problems = {}
    for phase in grouped:
        try:
            rules.check_can_edit(phase, cap.completed_phases(), under_review(cap))
        except Conflict as exc:
            if under_review(cap):
                raise
            problems.update({name: f"the {rules.PHASE_LABELS[phase]} phase is complete and read-only"
                             for name in grouped[phase]})
            message = exc.message
    if problems:
        raise Conflict(message if len(grouped) == 1 else
                       "Some fields belong to completed phases, which are read-only.", fields=problems)
    clean, invalid = {}, {}
    for phase, values in grouped.items():
        try:
            clean.update(capstone_rules.clean_phase_data(phase, values))
        except Invalid as exc:
            invalid.update(exc.fields)
    if invalid:
        raise Invalid("Some fields need fixing: " + "; ".join(f"{k}: {v}" for k, v in invalid.items()) + ".",
                      fields=invalid)
    changed = [name for name, value in clean.items() if getattr(cap, name) != value]
    if not changed:
        return cap
    # Nothing is flushed before the commit, so a concurrent save is met there, as StaleCapstone, and only there.
    with db.session.no_autoflush:
        for name in changed:
            setattr(cap, name, clean[name])
        phases_changed = sorted({rules.phase_of_field(n) for n in changed}, key=rules.PHASES.index)
        for phase in phases_changed:
            _log_draft(cap, actor, phase, [capstone_rules.FIELD_LABELS[n] for n in changed
                                           if rules.phase_of_field(n) == phase])
        unlinked = _release_unlinked(cap) if _links_changed(changed) else []
    _commit(cap)
    files_service.purge(unlinked)
    return cap


def complete_phase(cap: CapstoneProject, phase: str, actor: User,
                   expected_version: int | None = None) -> CapstoneProject:
    """Complete a phase in order, with its required fields. Completing the presentation submits the capstone
    for mentor review. Two concurrent completions: one wins, the other gets 409."""
    rules.check_phase(phase)
    _require_owner(actor, cap, "complete its phases")
    if under_review(cap):
        raise Conflict("This capstone is under mentor review, so it is read-only until the review ends.",
                       fields={"phase": "under review"})
    _check_version(cap, expected_version)
    _mark_complete(cap, phase, actor)
    _commit_phase(cap, phase)
    return cap


def _mark_complete(cap: CapstoneProject, phase: str, actor: User) -> None:
    """Complete `phase` in this transaction (the caller commits): in order and with its required fields, as the
    values stand now. The presentation's completion submits the capstone for review."""
    rules.check_can_complete(phase, cap.completed_phases(), cap.missing_fields(phase))
    now = utcnow()
    setattr(cap, rules.completed_at(phase), now)
    _log(cap, actor, "completed", phase, f"Completed {rules.PHASE_LABELS[phase]}.")
    if cap.get_current_phase() == rules.REVIEW_STAGE:
        cap.submitted_at = now
        cap.changes_requested_at = None     # submitted again: the request for changes is answered
        _log(cap, actor, "submitted", None, "Submitted the capstone for mentor review.")
        notifications.submitted_for_review(cap, actor)


def _commit_phase(cap: CapstoneProject, completing: str | None) -> None:
    """Commit; when the request completes a phase that a concurrent request completed first, say so."""
    try:
        _commit(cap)
    except StaleCapstone:
        if completing and cap.is_phase_complete(completing):
            raise Conflict(f"The {rules.PHASE_LABELS[completing]} phase is already complete.",
                           fields={"phase": completing}) from None
        raise


# ---- files ---------------------------------------------------------------------------------------------------

def file_url(key: str) -> str:
    return url_for("files.download", key=key)


def _attach(cap: CapstoneProject, field: str, keys: list[str]) -> list[StoredFile]:
    """Attach uploads to a phase field, recording each in the field (a row or the phase's URL)."""
    phase, target, _kinds = capstone_rules.check_file_field(field)
    try:
        rows = files_service.attach(keys, owner_id=cap.learner_id, field=field, capstone_id=cap.id)
    except Invalid as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise Invalid(f"{exc.message} ({problems})", fields={"file_keys": f"{exc.message} ({problems})"}) from None
    for row in rows:
        url = file_url(row.key)
        if target == "investigation_artifacts":
            current = list(cap.investigation_artifacts or [])
            if not any(r.get("url") == url for r in current):
                cap.investigation_artifacts = current + [{"type": "file", "url": url, "description": row.filename}]
        elif target == "design_documents":
            current = list(cap.design_documents or [])
            if not any(r.get("url") == url for r in current):
                cap.design_documents = current + [{"title": row.filename, "url": url, "description": ""}]
        else:
            setattr(cap, target, url)
    return rows


def upload(cap: CapstoneProject, field: str, stream: BinaryIO | None, client_name: str | None, actor: User,
           description: str = "") -> StoredFile:
    """Store an uploaded file (checked by content and size by the files layer) and attach it to a phase field
    at once: the API's multipart upload."""
    _require_owner(actor, cap, "add files to it")
    phase, _target, kinds = capstone_rules.check_file_field(field)
    rules.check_can_edit(phase, cap.completed_phases(), under_review(cap))
    problems: dict[str, str] = {}
    description = capstone_rules._text(description, "description", problems, capstone_rules.MAX_CELL)
    if problems:
        raise Invalid("The description is not valid.", fields=problems)
    row = None
    for i, kind in enumerate(kinds):
        try:
            if stream is not None:
                stream.seek(0)
            row = files_service.store_upload(actor, stream, client_name, kind)
            break
        except Rejected:
            if i == len(kinds) - 1:
                raise
    try:
        _attach(cap, field, [row.key])
        if description:
            _describe(cap, field, file_url(row.key), description)
        _log(cap, actor, "saved", phase, f"Added the file {row.filename} to {rules.PHASE_LABELS[phase]}.")
        replaced = _release_unlinked(cap)
        _commit(cap)
    except Exception:
        db.session.rollback()
        files_service.delete_file(actor_for(actor), row.key)
        raise
    files_service.purge(replaced)
    return row


def _describe(cap: CapstoneProject, field: str, url: str, description: str) -> None:
    if field in ("investigation_artifacts", "design_documents"):
        rows = [dict(r) for r in getattr(cap, field)]
        for r in rows:
            if r.get("url") == url:
                r["description"] = description
        setattr(cap, field, rows)


def _release_unlinked(cap: CapstoneProject) -> list[str]:
    """Files attached to the capstone that neither its fields nor its kept phase versions link to (a report or
    presentation replaced, an artifact or design document row removed) stop being part of it in this transaction;
    the caller purges the returned keys after the commit (files_service.release)."""
    from . import phase_history

    links = capstone_rules.file_links({name: getattr(cap, name) for name in capstone_rules.FILE_TARGETS})
    # An upload a kept version of a phase links to (the version a mentor reviewed) stays: its history reads it.
    links |= phase_history.kept_links(cap.id)
    return files_service.release([r for r in files_of(cap) if not capstone_rules.links_to_file(links, r.key)])


def _links_changed(changed: list[str]) -> bool:
    """Whether a save that changed these fields can have dropped a link to a file: only a field that records
    uploads can (a save that changes none leaves every attached file linked, as the last save that did left it)."""
    return any(name in capstone_rules.FILE_TARGETS for name in changed)


def files_of(cap: CapstoneProject) -> list[StoredFile]:
    return db.session.scalars(select(StoredFile).where(StoredFile.capstone_id == cap.id)
                              .order_by(StoredFile.id)).all()


def _pending(user: User, cap: CapstoneProject, file_field: str):
    """The user's uploads made on this phase of this capstone and not yet saved there (e.g. uploaded with
    JavaScript off). An upload left unsaved elsewhere is never offered here."""
    return and_(StoredFile.uploaded_by_id == user.id, StoredFile.owner_id == user.id, StoredFile.attached_at.is_(None),
                StoredFile.uploaded_for == uploads.capstone_upload_context(cap.id, file_field),
                StoredFile.parent_id.is_(None), StoredFile.stored_at.is_not(None))


def pending_uploads(user: User, cap: CapstoneProject, file_field: str, limit: int = 10) -> list[StoredFile]:
    """The user's pending uploads on this phase (_pending), newest first."""
    return db.session.scalars(select(StoredFile).where(_pending(user, cap, file_field))
                              .order_by(StoredFile.id.desc()).limit(limit)).all()


def files_and_pending(user: User, cap: CapstoneProject, file_field: str | None,
                      limit: int = 10) -> tuple[list[StoredFile], list[StoredFile]]:
    """files_of(cap) and, for a file field, pending_uploads(user, cap, file_field) in one query (the workspace
    shows both)."""
    if not file_field:
        return files_of(cap), []
    attached, pending = StoredFile.capstone_id == cap.id, _pending(user, cap, file_field)
    rows = db.session.execute(select(StoredFile, attached.label("attached"), pending.label("pending"))
                              .where(or_(attached, pending)).order_by(StoredFile.id)).all()
    files = [f for f, is_attached, _ in rows if is_attached]
    return files, [f for f, _, is_pending in reversed(rows) if is_pending][:limit]


# ---- delete and reopen ---------------------------------------------------------------------------------------

def has_reviews(cap: CapstoneProject) -> bool:
    return bool(db.session.scalar(select(exists().where(MentorshipInteraction.capstone_id == cap.id))))


def _delete_facts(cap: CapstoneProject) -> tuple[bool, bool]:
    """(submitted, reviewed): what phases.can_delete decides on."""
    return cap.submitted_at is not None or bool(cap.mentor_approved), has_reviews(cap)


def can_delete(user: User | None, cap: CapstoneProject) -> bool:
    """Whether the page offers Delete: the owner, and the same rule `delete` enforces."""
    return is_owner(user, cap) and rules.can_delete(*_delete_facts(cap))


def delete(cap: CapstoneProject, actor: User) -> None:
    """The owner deletes a capstone before it is submitted or reviewed. Its files and its history go with it
    (the files' objects once the deletion is saved)."""
    _require_owner(actor, cap, "delete it")
    rules.check_can_delete(*_delete_facts(cap))
    doomed = files_service.release(files_of(cap))
    # SQLite enforces no ON DELETE CASCADE here, so the history goes explicitly.
    db.session.execute(sa_delete(CapstoneActivity).where(CapstoneActivity.capstone_id == cap.id))
    db.session.delete(cap)
    _commit(cap)
    files_service.purge(doomed)


def reopen(cap: CapstoneProject, phases: list[str] | tuple[str, ...], actor: User,
           commit: bool = True, review: MentorshipInteraction | None = None) -> tuple[str, ...]:
    """A mentor's request for changes reopens phases: the earliest named one and every later one lose their
    completion, and the capstone leaves the review queue until the presentation is completed again. Each reopened
    phase is kept as the mentor reviewed it (services.phase_history, with the `review` that reopened it).
    The reviews service calls this (with commit=False inside its own transaction)."""
    from . import phase_history

    refusal = access.act_refusal(actor_for(actor), access.work_of(cap))
    if refusal:
        raise Forbidden(refusal)
    cleared = rules.reopen_plan(list(phases), cap.completed_phases())
    phase_history.keep(cap, cleared, review)
    for phase in cleared:
        setattr(cap, rules.completed_at(phase), None)
    cap.submitted_at = None
    cap.mentor_approved = False
    cap.changes_requested_at = utcnow()
    names = ", ".join(rules.PHASE_LABELS[p] for p in cleared)
    _log(cap, actor, "reopened", cleared[0], f"Reopened for changes: {names}.")
    from . import portfolio as portfolio_service

    portfolio_service.capstone_reopened(cap, actor.id)   # its capstone results leave the public page
    if commit:
        _commit(cap)
    return cleared


def changes_requested(cap: CapstoneProject) -> MentorshipInteraction | None:
    """The submitted review phase whose request for changes the capstone has not answered yet (the learner's
    capstone page shows its feedback), or None when none is open."""
    if cap.changes_requested_at is None:
        return None
    from sqlalchemy.orm import joinedload

    return db.session.scalar(select(MentorshipInteraction).options(joinedload(MentorshipInteraction.mentor))
                             .where(MentorshipInteraction.capstone_id == cap.id,
                                    MentorshipInteraction.status == "submitted",
                                    MentorshipInteraction.decision == "request_changes")
                             .order_by(MentorshipInteraction.submitted_at.desc(), MentorshipInteraction.id.desc())
                             .limit(1))


# ---- history -------------------------------------------------------------------------------------------------

def history(cap: CapstoneProject, limit: int = 200) -> list[CapstoneActivity]:
    from sqlalchemy.orm import joinedload

    return db.session.scalars(select(CapstoneActivity).options(joinedload(CapstoneActivity.actor))
                              .where(CapstoneActivity.capstone_id == cap.id)
                              .order_by(CapstoneActivity.created_at.desc(), CapstoneActivity.id.desc())
                              .limit(limit)).all()
