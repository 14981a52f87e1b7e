"""Notifications (SPEC §12): written with the change that causes them, listed, marked read, and the time-based
ones fired once each.

`notify` only ADDS rows to the session: the service that made the change commits them with it, so a change that
rolls back leaves no notification and one that commits never loses its own. Who is told, and what it says, is
domain/notifications.py; who mentors whose work is services/access.py. Deactivated users are never told.
E-mail is not sent here: a worker reads `email_choice(user, kind)`."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import and_, bindparam, func, select, update

from ..caching import quickread
from ..domain import notifications as rules
from ..domain.errors import NotFound
from ..domain.policies import MENTOR_ROLES
from ..extensions import db
from ..models import (CapstoneProject, MentorAssignment, MentorshipInteraction, Mission, MissionAttempt, Notification,
                      NotificationPreference, PortfolioItem, User)
from ..models.base import dialect_insert, utcnow
from . import access

PER_PAGE = 20

SUBJECT_MODELS = {"capstone": CapstoneProject, "attempt": MissionAttempt, "review": MentorshipInteraction,
                  "portfolio_item": PortfolioItem}
TYPE_OF = {model: name for name, model in SUBJECT_MODELS.items()}


# ---- writing ------------------------------------------------------------------------------------------------------

def _ids(people: Iterable) -> set[int]:
    return {p if isinstance(p, int) else p.id for p in people if p is not None}


def _active(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.is_active.is_(True))))


def notify(recipients: Iterable, kind: str, subject, actor, *, what: str = "",
           dedupe_key: str | None = None) -> list[Notification]:
    """Add one notification of `kind` about `subject` (a capstone, attempt, review or portfolio item) for each
    recipient (users or ids) who is active and is not the actor (a User, a policies.Actor, or None for the
    time-based ones). Never commits: the caller's commit writes them."""
    rules.check_kind(kind)
    actor_id = actor.id if actor is not None else None
    with db.session.no_autoflush:
        told = _active(rules.recipients(_ids(recipients), actor_id))
        if not told:
            return []
        if actor is not None and not isinstance(actor, User):       # a policies.Actor: the user is in the session
            actor = db.session.get(User, actor_id)
    title = rules.title_for(kind, actor=actor.display_name if actor is not None else None, what=what)
    rows = [Notification(user_id=uid, kind=kind, actor_id=actor_id, subject_type=TYPE_OF[type(subject)],
                         subject_id=subject.id, title=title, dedupe_key=dedupe_key) for uid in sorted(told)]
    db.session.add_all(rows)
    return rows


def _mentor_ids(where) -> set[int]:
    stmt = (select(MentorAssignment.mentor_id).join(User, User.id == MentorAssignment.mentor_id)
            .where(where, User.is_active.is_(True), User.role.in_(MENTOR_ROLES)).distinct())
    return set(db.session.scalars(stmt))


def submission_recipients(learner_id: int, track: str | None, actor_id: int | None) -> set[int]:
    """Who hears of a capstone or attempt submitted for review (domain.notifications.submission_recipients): the
    learner's mentors for its track, else the mentors of the track."""
    assigned = _mentor_ids(access.assigned_mentors_filter(learner_id, track))
    track_mentors: set[int] = set()
    if not assigned - {actor_id}:
        track_mentors = _mentor_ids(access.track_mentors_filter(track))
    return rules.submission_recipients(assigned - {actor_id}, track_mentors, actor_id)


# The event functions run inside the service's change, before its commit: their reads must not flush the change
# early (a write that lost to a concurrent one must fail at the service's commit, as a 409, not here).

def submitted_for_review(subject: CapstoneProject | MissionAttempt, actor: User) -> list[Notification]:
    """A capstone (its presentation completed) or an attempt (its review asked for) waits for a mentor."""
    with db.session.no_autoflush:
        mission = subject.mission
        kind = "capstone_submitted" if isinstance(subject, CapstoneProject) else "attempt_submitted"
        told = submission_recipients(subject.learner_id, mission.track, actor.id)
        return notify(told, kind, subject, actor, what=mission.title)


def review_submitted(review: MentorshipInteraction, actor: User, *, last: bool,
                     decision: str | None) -> list[Notification]:
    """A review phase submitted: the learner hears that it was shared, that changes were requested, or that their
    capstone was approved (on a capstone the last two link to it, where the outcome shows; on an attempt, to the
    review)."""
    with db.session.no_autoflush:
        kind = rules.review_kind(last=last, decision=decision, capstone=review.capstone_id is not None)
        on_capstone = review.capstone_id is not None and kind in ("changes_requested", "capstone_approved")
        subject = review.capstone if on_capstone else review
        return notify([review.learner_id], kind, subject, actor, what=review.mission.title)


def review_replied(review: MentorshipInteraction, actor: User) -> list[Notification]:
    """A reply posted under a submitted review phase (services.reviews.add_reply, before its commit): the other
    side of the conversation hears of it (domain.notifications.reply_recipients)."""
    from ..models import ReviewReply

    with db.session.no_autoflush:
        earlier = set(db.session.scalars(select(ReviewReply.author_id).where(ReviewReply.review_id == review.id)
                                         .distinct()))
        mission = review.mission
        mentors: set[int] = set()
        if actor.id == review.learner_id and not (earlier | {review.mentor_id}) - {None, actor.id}:
            mentors = _mentor_ids(access.assigned_mentors_filter(review.learner_id, mission.track))
        told = rules.reply_recipients(actor.id, learner_id=review.learner_id, mentor_id=review.mentor_id,
                                      earlier_authors=earlier, learner_mentors=mentors)
        return notify(told, "review_reply", review, actor, what=mission.title)


def portfolio_reviewed(item: PortfolioItem, actor, new_status: str) -> list[Notification]:
    with db.session.no_autoflush:
        return notify([item.owner_id], rules.portfolio_kind(new_status), item, actor, what=item.title)


# ---- links --------------------------------------------------------------------------------------------------------

MENTOR_KINDS = frozenset(rules.MENTOR_KINDS)


def link_for(subject_type: str, subject_id: int, *, kind: str | None = None, in_queue: bool = False,
             _external: bool = False) -> str:
    """The one place a notification's URL is built, from what it names (never stored, so never stale): the page
    of the thing itself; a submission still waiting, told to a mentor, is its entry in the review queue."""
    if in_queue and kind in MENTOR_KINDS and subject_type in ("capstone", "attempt"):
        return url_for("mentorship.queue", _anchor=f"queue-{subject_type}-{subject_id}", _external=_external)
    endpoint, arg = {"capstone": ("capstones.detail", "capstone_id"), "attempt": ("attempts.detail", "attempt_id"),
                     "review": ("mentorship.review", "review_id"),
                     "portfolio_item": ("portfolio.detail", "item_id")}[subject_type]
    return url_for(endpoint, _external=_external, **{arg: subject_id})


def _waiting(subject) -> bool:
    """Still waiting for review (services.reviews keeps the rule)."""
    if not isinstance(subject, (CapstoneProject, MissionAttempt)):
        return False
    from .reviews import _waiting as waiting

    return waiting(subject)


# ---- reading and marking ------------------------------------------------------------------------------------------

def list_statement(user: User, unread: bool = False):
    """The user's notifications, newest first (the index on user, read_at, created_at serves it)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def page_of(user: User, page: int = 1, per_page: int = PER_PAGE, unread: bool = False):
    """One page of the list (a page past the end: the last page)."""
    stmt = list_statement(user, unread)
    found = db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)
    if found.page > max(1, found.pages):
        found = db.paginate(stmt, page=max(1, found.pages), per_page=per_page, error_out=False)
    return found


@functools.cache
def _unread_query():
    return select(func.count()).select_from(Notification).where(Notification.user_id == bindparam("user_id"),
                                                                Notification.read_at.is_(None))


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread. The navigation polls it every minute or so: one round
    trip, before any transaction the request opens (caching.quickread)."""
    row = quickread.first(_unread_query(), {"user_id": user.id})
    return int(row[0] or 0) if row else 0


def get_own(user: User, notification_id: int) -> Notification:
    """One of the user's notifications; anyone else's is 404, as if it did not exist."""
    found = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                         Notification.user_id == user.id))
    if found is None:
        raise NotFound("There is no such notification.")
    return found


def _mark(user: User, only=None) -> int:
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if only is not None:
        stmt = stmt.where(only)
    try:
        count = db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return int(count or 0)


def mark_read(user: User, ids: Iterable[int]) -> int:
    """Mark these of the user's notifications read; ids of other users' notifications (or of none) are ignored.
    Returns how many changed from unread to read."""
    wanted = {int(i) for i in ids}
    if not wanted:
        return 0
    return _mark(user, Notification.id.in_(wanted))


def mark_one_read(user: User, notification_id: int) -> Notification:
    """Mark one notification read (404 when it is not the user's); marking it again changes nothing."""
    found = get_own(user, notification_id)
    if found.read_at is None:
        _mark(user, Notification.id == found.id)
        db.session.refresh(found)
    return found


def mark_all_read(user: User) -> int:
    return _mark(user)


def open_target(user: User, notification_id: int) -> str | None:
    """Mark the notification read and say where its link goes; None when the thing it names is gone."""
    found = mark_one_read(user, notification_id)
    subject = db.session.get(SUBJECT_MODELS[found.subject_type], found.subject_id)
    if subject is None:
        return None
    in_queue = user.is_mentor and found.kind in MENTOR_KINDS and _waiting(subject)
    return link_for(found.subject_type, found.subject_id, kind=found.kind, in_queue=in_queue)


# ---- e-mail preferences -------------------------------------------------------------------------------------------

def _stored(user: User) -> dict[str, str]:
    return dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user.id)).all())


def email_choice(user: User, kind: str) -> str:
    """How `user` wants `kind` e-mailed: "off", "immediately" or "daily" (a digest). What the mail worker reads."""
    return rules.email_choice(_stored(user), kind, active=bool(user.is_active))


def email_choices(user: User) -> dict[str, str]:
    """Every kind's choice, in the order of domain.notifications.KINDS (the account page's selects)."""
    stored = _stored(user)
    return {kind: rules.email_choice(stored, kind) for kind in rules.KINDS}


def save_email_choices(user: User, choices: dict[str, str]) -> dict[str, str]:
    """Store the user's choices (every kind given must be known and every choice one of EMAIL_CHOICES; nothing is
    saved when one is not). A choice equal to the default is stored too: a later change of default leaves it."""
    for kind, choice in choices.items():
        rules.check_kind(kind)
        rules.check_email_choice(kind, choice)
    existing = {p.kind: p for p in db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id))}
    try:
        for kind, choice in choices.items():
            if kind in existing:
                existing[kind].email = choice
            else:
                db.session.add(NotificationPreference(user_id=user.id, kind=kind, email=choice))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return email_choices(user)


# ---- time-based notifications ---------------------------------------------------------------------------------------

def _step_rows(now: datetime) -> list[dict]:
    """step_due / step_overdue for each next step of a submitted review, for active learners."""
    MI = MentorshipInteraction
    stmt = (select(MI.id, MI.learner_id, MI.recommended_next_steps, MI.next_steps_done, Mission.title)
            .join(Mission, Mission.id == MI.mission_id).join(User, User.id == MI.learner_id)
            .where(MI.status == "submitted", User.is_active.is_(True)))
    rows = []
    for review_id, learner_id, steps, done, mission_title in db.session.execute(stmt):
        for kind, index, step in rules.due_steps(steps or [], done or [], now.date()):
            title = str(step.get("title") or f"a next step of “{mission_title}”")
            rows.append({"user_id": learner_id, "kind": kind, "subject_type": "review", "subject_id": review_id,
                         "title": rules.title_for(kind, what=title),
                         "dedupe_key": rules.step_dedupe_key(kind, review_id, index, str(step.get("deadline")))})
    return rows


def _claim_rows(now: datetime) -> list[dict]:
    """claim_lapsing for each live claim on a waiting submission that lapses within the warning window."""
    from .reviews import attempt_review_done

    hours = access.claim_hours()
    live_after = now - timedelta(hours=hours)                  # access.cutoff(now)
    lapses_by = live_after + rules.lapse_warning(hours)         # claimed before this: lapses within the window
    rows = []
    for model, subject_type, waiting in (
            (CapstoneProject, "capstone", and_(CapstoneProject.submitted_at.is_not(None),
                                               CapstoneProject.mentor_approved.is_(False))),
            (MissionAttempt, "attempt", and_(MissionAttempt.review_requested_at.is_not(None),
                                             ~attempt_review_done()))):
        stmt = (select(model.id, model.claimed_by_id, model.claimed_at, Mission.title)
                .join(Mission, Mission.id == model.mission_id).join(User, User.id == model.claimed_by_id)
                .where(waiting, model.claimed_at > live_after, model.claimed_at <= lapses_by,
                       User.is_active.is_(True), User.role.in_(MENTOR_ROLES)))
        for subject_id, holder, claimed_at, mission_title in db.session.execute(stmt):
            if not rules.claim_lapsing(claimed_at, now, hours):
                continue
            rows.append({"user_id": holder, "kind": "claim_lapsing", "subject_type": subject_type,
                         "subject_id": subject_id, "title": rules.title_for("claim_lapsing", what=mission_title),
                         "dedupe_key": rules.claim_dedupe_key(subject_type, subject_id, claimed_at)})
    return rows


def _new_only(rows: list[dict]) -> list[dict]:
    """Drop the rows whose (user, dedupe key) was already fired."""
    keys = sorted({r["dedupe_key"] for r in rows})
    fired: set[tuple[int, str]] = set()
    for start in range(0, len(keys), 500):
        fired.update(db.session.execute(select(Notification.user_id, Notification.dedupe_key).where(
            Notification.dedupe_key.in_(keys[start:start + 500]))))
    seen: set[tuple[int, str]] = set()
    out = []
    for r in rows:
        key = (r["user_id"], r["dedupe_key"])
        if key not in fired and key not in seen:
            seen.add(key)
            out.append(r)
    return out


def fire_due(now: datetime | None = None) -> dict[str, int]:
    """Write the time-based notifications due at `now`: a next step due tomorrow or overdue, a claim about to
    lapse; each once per (user, dedupe key), for active users only. Safe to run from several processes at once
    (a key written meanwhile by another is skipped by the unique constraint). Returns the counts written by kind."""
    now = now or utcnow()
    rows = _new_only(_step_rows(now) + _claim_rows(now))
    counts = {kind: 0 for kind in ("step_due", "step_overdue", "claim_lapsing")}
    if not rows:
        return counts
    for r in rows:
        r["created_at"] = now
    insert = dialect_insert(db.engine.dialect.name)
    try:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            db.session.execute(insert(Notification).values(chunk).on_conflict_do_nothing(
                index_elements=["user_id", "dedupe_key"]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for r in rows:
        counts[r["kind"]] += 1
    return counts
