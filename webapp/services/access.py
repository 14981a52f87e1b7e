"""Who may see and act on whose work: the one home of the rule, as Python predicates and, side by side, the SQL
filters that select exactly the rows the predicates accept (tests/unit/test_access.py checks the predicates,
tests/app/test_access_sql.py checks each filter against its predicate over a generated world).

The facts about a piece of work (a capstone, a mission attempt, a review of one of those, a portfolio item):
- `learner_id`: whose work it is;
- `track`: the track of its mission (a portfolio item: its capstone's mission's, else its mission's; an item
  linked to neither has no track and belongs to every mentor assigned to the learner);
- the live claim on it, if any (a capstone or attempt waiting for review; `claim_holder` is the mentor whose
  claim is live, None when nobody's is).

The rules:
- read: the learner; an admin; a mentor assigned to the learner for every track or for the work's track; the
  mentor holding the live claim on it.
- act (create, edit or submit a review, approve, request changes, reopen phases, review a portfolio item):
  never on one's own work, whatever the role; an admin on anyone else's work; a mentor who may read it as
  assigned mentor or claim holder, unless another mentor holds a live claim on it.
- claim: any mentor or admin, never on their own work, not while another mentor's claim is live.
- queue: what an actor may act on or claim, plus work they may read (shown as held by someone else); never
  their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from ..domain.policies import Actor

OWN_WORK = "You cannot review your own work."
NOT_YOURS = ("Only the learner's mentor for this track, a mentor who claimed this submission, or an admin can "
             "review it.")
HELD = "Another mentor has claimed this submission: only they (or an admin) can review it now."
NOT_MENTOR = "Only mentors can review work."


@dataclass(frozen=True)
class Work:
    learner_id: int
    track: str | None = None
    claim_holder: int | None = None      # the mentor whose claim on it is live


# ---- the rule in Python -----------------------------------------------------------------------------------------

def is_assigned(actor: Actor, learner_id: int, track: str | None) -> bool:
    """A mentor (or admin) assigned to the learner for every track or for this one; work without a track
    belongs to every mentor assigned to the learner."""
    if not actor.is_mentor or actor.id is None:
        return False
    if track is None:
        return any(lid == learner_id for lid, _ in actor.assignments)
    return (learner_id, None) in actor.assignments or (learner_id, track) in actor.assignments


def mentors_learner(actor: Actor, learner_id: int) -> bool:
    """The learner themselves, an admin, or a mentor assigned to them for some track: who may ask for a list of
    the learner's work at all (each row is then filtered by read_filter)."""
    return actor.id is not None and (actor.id == learner_id or actor.is_admin
                                     or is_assigned(actor, learner_id, None))


def holds_claim(actor: Actor, work: Work) -> bool:
    return actor.is_mentor and actor.id is not None and work.claim_holder == actor.id


def may_read(actor: Actor, work: Work) -> bool:
    if actor.id is None:
        return False
    return (actor.id == work.learner_id or actor.is_admin or is_assigned(actor, work.learner_id, work.track)
            or holds_claim(actor, work))


def act_refusal(actor: Actor, work: Work) -> str | None:
    """Why the actor may not act on this work (a message for the 403), or None when they may."""
    if actor.id is None or not actor.is_mentor:
        return NOT_MENTOR
    if actor.id == work.learner_id:
        return OWN_WORK
    if actor.is_admin:
        return None
    if work.claim_holder is not None and work.claim_holder != actor.id:
        return HELD
    if is_assigned(actor, work.learner_id, work.track) or holds_claim(actor, work):
        return None
    return NOT_YOURS


def may_read_history(actor: Actor, work: Work, reviewers) -> bool:
    """A capstone's phase history (the versions its mentors reviewed): whoever may read the capstone, and a mentor
    whose review reopened its phases (`reviewers()`: their ids, asked only when reading alone does not decide)."""
    if may_read(actor, work):
        return True
    return actor.id is not None and actor.is_mentor and actor.id != work.learner_id and actor.id in reviewers()


def may_act(actor: Actor, work: Work) -> bool:
    return act_refusal(actor, work) is None


def claim_refusal(actor: Actor, work: Work) -> str | None:
    """Why the actor may not claim this work, or None. (Held by another: the caller answers 409.)"""
    if actor.id is None or not actor.is_mentor:
        return "Only mentors can claim submissions."
    if actor.id == work.learner_id:
        return OWN_WORK
    if work.claim_holder is not None and work.claim_holder != actor.id:
        return HELD
    return None


def may_claim(actor: Actor, work: Work) -> bool:
    return claim_refusal(actor, work) is None


def in_queue(actor: Actor, work: Work) -> bool:
    """Shown in the actor's review queue (when waiting): never their own work."""
    if actor.id is None or not actor.is_mentor or actor.id == work.learner_id:
        return False
    return may_act(actor, work) or may_claim(actor, work) or may_read(actor, work)


def may_set_time_multiplier(actor: Actor, learner_id: int, track: str | None) -> bool:
    """The learner's time multiplier: an admin or a mentor assigned to them (for this attempt's track); never
    the learner themselves."""
    if actor.id is None or actor.id == learner_id:
        return False
    return actor.is_admin or is_assigned(actor, learner_id, track)


def may_read_review(actor: Actor, work: Work, *, author_id: int | None, submitted: bool) -> bool:
    """A review: the learner once it is submitted; its author; whoever else may read the reviewed work."""
    if actor.id is None:
        return False
    if actor.id == work.learner_id:
        return submitted
    return actor.id == author_id or may_read(actor, work)


# ---- the same rule in SQL ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cols:
    """The columns (or expressions) of a query that carry a piece of work's facts."""
    learner: ColumnElement
    track: ColumnElement
    claimed_by: ColumnElement | None = None
    claimed_at: ColumnElement | None = None


def _assigned_sql(actor: Actor, c: Cols):
    from ..models import MentorAssignment as MA

    if not actor.is_mentor or actor.id is None or not actor.assignments:
        return false()
    return exists().where(MA.mentor_id == actor.id, MA.learner_id == c.learner,
                          or_(MA.track.is_(None), c.track.is_(None), MA.track == c.track))


def _live_sql(c: Cols, cutoff: datetime):
    if c.claimed_by is None:
        return false()
    return and_(c.claimed_by.is_not(None), c.claimed_at.is_not(None), c.claimed_at > cutoff)


def _holds_sql(actor: Actor, c: Cols, cutoff: datetime):
    if not actor.is_mentor or actor.id is None or c.claimed_by is None:
        return false()
    return and_(_live_sql(c, cutoff), c.claimed_by == actor.id)


def _held_by_other_sql(actor: Actor, c: Cols, cutoff: datetime):
    if c.claimed_by is None:
        return false()
    return and_(_live_sql(c, cutoff), c.claimed_by != actor.id)


def read_filter(actor: Actor, c: Cols, cutoff: datetime | None = None):
    """SQL: the rows may_read() accepts (`cutoff`: claims made after it are live)."""
    if actor.id is None:
        return false()
    if actor.is_admin:
        return true()
    return or_(c.learner == actor.id, _assigned_sql(actor, c), _holds_sql(actor, c, cutoff))


def act_filter(actor: Actor, c: Cols, cutoff: datetime | None = None):
    """SQL: the rows may_act() accepts."""
    if actor.id is None or not actor.is_mentor:
        return false()
    if actor.is_admin:
        return c.learner != actor.id
    return and_(c.learner != actor.id, not_(_held_by_other_sql(actor, c, cutoff)),
                or_(_assigned_sql(actor, c), _holds_sql(actor, c, cutoff)))


def claim_filter(actor: Actor, c: Cols, cutoff: datetime | None = None):
    """SQL: the rows may_claim() accepts."""
    if actor.id is None or not actor.is_mentor:
        return false()
    return and_(c.learner != actor.id, not_(_held_by_other_sql(actor, c, cutoff)))


def queue_filter(actor: Actor, c: Cols, cutoff: datetime | None = None):
    """SQL: the rows in_queue() accepts."""
    if actor.id is None or not actor.is_mentor:
        return false()
    if actor.is_admin:
        return c.learner != actor.id
    return and_(c.learner != actor.id, or_(not_(_held_by_other_sql(actor, c, cutoff)), _assigned_sql(actor, c)))


def review_read_filter(actor: Actor, c: Cols, author: ColumnElement, submitted: ColumnElement,
                       cutoff: datetime | None = None):
    """SQL: the reviews may_read_review() accepts."""
    if actor.id is None:
        return false()
    return or_(and_(c.learner == actor.id, submitted),
               and_(c.learner != actor.id, or_(author == actor.id, read_filter(actor, c, cutoff))))


# ---- the facts of each kind of work --------------------------------------------------------------------------------

def _mission_track(mission_id_col):
    from ..models import Mission

    return select(Mission.track).where(Mission.id == mission_id_col).correlate_except(Mission).scalar_subquery()


def capstone_cols(track: ColumnElement | None = None) -> Cols:
    """A query over capstones (pass Mission.track when the query already joins the mission)."""
    from ..models import CapstoneProject as C

    return Cols(C.learner_id, track if track is not None else _mission_track(C.mission_id), C.claimed_by_id,
                C.claimed_at)


def attempt_cols(track: ColumnElement | None = None) -> Cols:
    from ..models import MissionAttempt as A

    return Cols(A.learner_id, track if track is not None else _mission_track(A.mission_id), A.claimed_by_id,
                A.claimed_at)


def item_cols() -> Cols:
    """A query over portfolio items: the track of the linked capstone's mission, else of the linked mission."""
    from ..models import CapstoneProject, Mission, PortfolioItem as P

    via_capstone = (select(Mission.track).join(CapstoneProject, CapstoneProject.mission_id == Mission.id)
                    .where(CapstoneProject.id == P.capstone_id).correlate_except(Mission, CapstoneProject)
                    .scalar_subquery())
    return Cols(P.owner_id, func.coalesce(via_capstone, _mission_track(P.mission_id)))


def review_cols() -> Cols:
    """A query over reviews: the reviewed capstone's or attempt's facts."""
    from ..models import CapstoneProject, MentorshipInteraction as MI, MissionAttempt

    def of(model, column, fk):
        return select(column).where(model.id == fk).correlate_except(model).scalar_subquery()

    claimed_by = func.coalesce(of(CapstoneProject, CapstoneProject.claimed_by_id, MI.capstone_id),
                          of(MissionAttempt, MissionAttempt.claimed_by_id, MI.attempt_id))
    claimed_at = func.coalesce(of(CapstoneProject, CapstoneProject.claimed_at, MI.capstone_id),
                          of(MissionAttempt, MissionAttempt.claimed_at, MI.attempt_id))
    return Cols(MI.learner_id, _mission_track(MI.mission_id), claimed_by, claimed_at)


def claim_holder(claimed_by_id: int | None, claimed_at: datetime | None, cutoff: datetime) -> int | None:
    """The mentor whose claim is live (made after `cutoff`), or None."""
    if claimed_by_id is None or claimed_at is None or not claimed_at > cutoff:
        return None
    return claimed_by_id


def claim_hours() -> float:
    """How long a claim lasts after the last activity on it (REVIEW_CLAIM_HOURS, default 48)."""
    from flask import current_app

    return float(current_app.config.get("REVIEW_CLAIM_HOURS", 48))


def cutoff(now: datetime | None = None) -> datetime:
    """Claims made (or touched) after this moment are live."""
    from ..models.base import utcnow

    return (now or utcnow()) - timedelta(hours=claim_hours())


def work_of(subject, now: datetime | None = None, track: str | None = None) -> Work:
    """The facts of a capstone or attempt (its mission is loaded unless `track` is given)."""
    return Work(subject.learner_id, track if track is not None else subject.mission.track,
                claim_holder(subject.claimed_by_id, subject.claimed_at, cutoff(now)))


def item_track(item) -> str | None:
    if item.capstone_id is not None and item.capstone is not None:
        return item.capstone.mission.track
    if item.mission_id is not None and item.mission is not None:
        return item.mission.track
    return None


def item_work(item) -> Work:
    return Work(item.owner_id, item_track(item))


# ---- the other way round: who mentors a piece of work (the people a submission is told to) --------------------------

def assigned_mentors_filter(learner_id: int, track: str | None):
    """SQL over MentorAssignment: the assignments that make their mentor `is_assigned` to this learner's work of
    `track` (for every track or for this one; work without a track: any assignment to the learner)."""
    from ..models import MentorAssignment as MA

    if track is None:
        return MA.learner_id == learner_id
    return and_(MA.learner_id == learner_id, or_(MA.track.is_(None), MA.track == track))


def track_mentors_filter(track: str | None):
    """SQL over MentorAssignment: the assignments that make their mentor a mentor of `track` (assigned to some
    learner for it or for every track)."""
    from ..models import MentorAssignment as MA

    if track is None:
        return true()
    return or_(MA.track.is_(None), MA.track == track)
