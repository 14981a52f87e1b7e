"""The mentor review queue (issue 6): submissions waiting for review, claims, overdue next steps, badge counts
and the typical review time. Each function runs a fixed number of queries, whatever the number of learners,
submissions or reviews."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from ..domain import reviews as rules
from ..domain.policies import Actor
from ..extensions import db
from ..models import CapstoneProject, MentorshipInteraction, Mission, MissionAttempt, Recipe, User
from ..models.base import utcnow
from . import access
from .actors import actor_for
from .reviews import attempt_review_done, media_files, recipes_by_slug, replies_of

MI = MentorshipInteraction
TYPICAL_WINDOW = timedelta(days=90)
TYPICAL_SAMPLE = 500


@dataclass
class Entry:
    kind: str                       # "capstone" or "attempt"
    subject: CapstoneProject | MissionAttempt
    waiting_since: datetime
    relation: str                   # "assigned", "claimed" (by me), "claimable", "held" (someone else's claim)
    claimed_by: User | None = None
    claim_live: bool = False
    can_act: bool = False           # may start or continue a review phase (services.access)
    can_claim: bool = False         # may claim it (services.access), when not already theirs to act on
    reviews: list[MI] = field(default_factory=list)

    @property
    def learner(self) -> User:
        return self.subject.learner

    @property
    def mission(self) -> Mission:
        return self.subject.mission

    @property
    def draft(self) -> MI | None:
        return next((r for r in self.reviews if r.status == "draft"), None)

    @property
    def round_reviews(self) -> list[MI]:
        return self.reviews

    @property
    def next_phase(self) -> int:
        return (max(r.review_phase for r in self.reviews) + 1) if self.reviews else 1

    @property
    def total_phases(self) -> int | None:
        if not self.reviews:
            return None
        last = max(self.reviews, key=lambda r: r.review_phase)
        if rules.starts_new_round(last.review_phase, last.total_phases, last.decision):
            return None        # a new round after a resubmission
        return last.total_phases

    @property
    def total_choices(self) -> range:
        """The totals a first review phase of a round may fix: from its number up to the most there can be."""
        return range(self.next_phase, rules.MAX_TOTAL_PHASES + 1)

    @property
    def is_first(self) -> bool:
        return self.total_phases is None

    def waited(self, now: datetime) -> timedelta:
        return now - self.waiting_since


def _cols(model):
    """The access facts of a queue query (which joins the mission)."""
    return access.Cols(model.learner_id, Mission.track, model.claimed_by_id, model.claimed_at)


def _visible(model, actor: Actor, cutoff: datetime):
    return access.queue_filter(actor, _cols(model), cutoff)


def _relation(work: access.Work, actor: Actor) -> tuple[str, bool]:
    live = work.claim_holder is not None
    if live and work.claim_holder == actor.id:
        return "claimed", True
    if access.is_assigned(actor, work.learner_id, work.track):
        return "assigned", live
    if live:
        return "held", True
    return "claimable", False


QUEUE_LIMIT = 25      # others' submissions shown, of each kind
MINE_LIMIT = 200      # the mentor's own learners' and claimed submissions shown, of each kind (all, in practice)
MISSION_COLUMNS = (Mission.id, Mission.slug, Mission.title, Mission.track, Mission.tier)
LEARNER_COLUMNS = (User.id, User.display_name, User.handle)
# The queue shows who and what waits since when, not the work itself: loading the phase texts and JSON
# documents of every waiting capstone was most of the page's cost.
CAPSTONE_COLUMNS = (CapstoneProject.id, CapstoneProject.learner_id, CapstoneProject.mission_id,
                    CapstoneProject.submitted_at, CapstoneProject.mentor_approved, CapstoneProject.claimed_by_id,
                    CapstoneProject.claimed_at)
ATTEMPT_COLUMNS = (MissionAttempt.id, MissionAttempt.learner_id, MissionAttempt.mission_id,
                   MissionAttempt.review_requested_at, MissionAttempt.claimed_by_id, MissionAttempt.claimed_at)
# Of each review, where it stands (Entry), not what it says: a review row holds its feedback, transcripts, rubric
# and scores, and the queue reads the reviews of every entry.
REVIEW_COLUMNS = (MI.id, MI.capstone_id, MI.attempt_id, MI.status, MI.review_phase, MI.total_phases, MI.phase,
                  MI.decision)
# Of each submitted review the overdue list reads, its next steps and whose they are.
STEP_COLUMNS = (MI.id, MI.learner_id, MI.mission_id, MI.mentor_id, MI.status, MI.review_phase, MI.submitted_at,
                MI.recommended_next_steps, MI.next_steps_done)


def _statements(actor: Actor, track: str | None, cutoff: datetime):
    """The capstones and attempts waiting in this actor's queue (no loading options, no order)."""
    caps = select(CapstoneProject).join(CapstoneProject.mission).where(
        CapstoneProject.submitted_at.is_not(None), CapstoneProject.mentor_approved.is_(False),
        _visible(CapstoneProject, actor, cutoff))
    atts = select(MissionAttempt).join(MissionAttempt.mission).where(
        MissionAttempt.review_requested_at.is_not(None), ~attempt_review_done(),
        _visible(MissionAttempt, actor, cutoff))
    if track:
        caps = caps.where(Mission.track == track)
        atts = atts.where(Mission.track == track)
    return caps, atts


def _mine_first(model, actor: Actor, cutoff: datetime):
    """Sort key: what the actor may act on as assigned mentor or claim holder before everyone else's submissions
    (for an admin, as for any mentor: their learners' and their claims first)."""
    mine = access.act_filter(Actor(id=actor.id, role="mentor", assignments=actor.assignments),
                             _cols(model), cutoff)
    return case((mine, 0), else_=1)


def _kept(stmt, model, waiting_since, actor: Actor, limit: int, cutoff: datetime):
    """The ids the page shows of one kind: the actor's own learners' and claimed submissions (up to MINE_LIMIT),
    and the `limit` longest-waiting others, ranked in the database so the site's backlog is never loaded."""
    mine = _mine_first(model, actor, cutoff)
    rank = func.row_number().over(partition_by=mine, order_by=(waiting_since, model.id))
    ranked = stmt.with_only_columns(model.id.label("id"), mine.label("mine"), rank.label("rank"),
                                    maintain_column_froms=True).subquery()
    return select(ranked.c.id).where(or_(and_(ranked.c.mine == 0, ranked.c.rank <= MINE_LIMIT),
                                         and_(ranked.c.mine == 1, ranked.c.rank <= limit)))


def waiting_count(user: User, track: str | None = None, now: datetime | None = None,
                  actor: Actor | None = None) -> int:
    """How many submissions wait in this queue in all (the page shows at most QUEUE_LIMIT of each kind)."""
    actor = actor or actor_for(user)
    cutoff = access.cutoff(now)
    caps, atts = _statements(actor, track, cutoff)
    counts = [select(func.count()).select_from(stmt.subquery()).scalar_subquery() for stmt in (caps, atts)]
    return sum(db.session.execute(select(*counts)).one())


def entries(user: User, track: str | None = None, now: datetime | None = None,
            actor: Actor | None = None, limit: int = QUEUE_LIMIT) -> list[Entry]:
    """The queue, oldest submission first: the actor's own learners' and claimed submissions (up to MINE_LIMIT of
    each kind), then the oldest other submissions up to `limit` of each kind (a site-wide backlog must not make
    the page slow)."""
    actor = actor or actor_for(user)
    now = now or utcnow()
    cutoff = access.cutoff(now)
    caps, atts = _statements(actor, track, cutoff)
    # Learners by selectinload: joining users before the LIMIT makes PostgreSQL hash every user on the site.
    # (The mission join is already there for the track filter, and the catalogue is small.)
    caps = caps.where(CapstoneProject.id.in_(_kept(caps, CapstoneProject, CapstoneProject.submitted_at, actor, limit,
                                                   cutoff)))
    caps = caps.options(load_only(*CAPSTONE_COLUMNS), selectinload(CapstoneProject.learner).load_only(*LEARNER_COLUMNS),
                        contains_eager(CapstoneProject.mission).load_only(*MISSION_COLUMNS)).order_by(
        _mine_first(CapstoneProject, actor, cutoff), CapstoneProject.submitted_at, CapstoneProject.id)
    atts = atts.where(MissionAttempt.id.in_(_kept(atts, MissionAttempt, MissionAttempt.review_requested_at, actor,
                                                  limit, cutoff)))
    atts = atts.options(load_only(*ATTEMPT_COLUMNS), selectinload(MissionAttempt.learner).load_only(*LEARNER_COLUMNS),
                        contains_eager(MissionAttempt.mission).load_only(*MISSION_COLUMNS)).order_by(
        _mine_first(MissionAttempt, actor, cutoff), MissionAttempt.review_requested_at, MissionAttempt.id)
    out: list[Entry] = []
    subjects = ([("capstone", cap, cap.submitted_at) for cap in db.session.scalars(caps).unique().all()]
                + [("attempt", att, att.review_requested_at) for att in db.session.scalars(atts).unique().all()])
    for kind, subject, since in subjects:
        work = access.work_of(subject, now)
        relation, live = _relation(work, actor)
        if actor.is_admin and relation == "claimable":
            relation = "admin"
        can_act = access.may_act(actor, work)
        out.append(Entry(kind, subject, since, relation, claim_live=live, can_act=can_act,
                         can_claim=not can_act and access.may_claim(actor, work)))
    cap_ids = [e.subject.id for e in out if e.kind == "capstone"]
    att_ids = [e.subject.id for e in out if e.kind == "attempt"]
    if cap_ids or att_ids:
        of_entries = or_(MI.capstone_id.in_(cap_ids or [-1]), MI.attempt_id.in_(att_ids or [-1]))
        reviews = db.session.scalars(select(MI).options(load_only(*REVIEW_COLUMNS)).where(of_entries)
                                     .order_by(MI.review_phase)).all()
        by_key: dict[tuple[str, int], list[MI]] = {}
        for r in reviews:
            by_key.setdefault(("capstone", r.capstone_id) if r.capstone_id else ("attempt", r.attempt_id), []).append(r)
        for e in out:
            e.reviews = by_key.get((e.kind, e.subject.id), [])
    claimer_ids = {e.subject.claimed_by_id for e in out if e.subject.claimed_by_id}
    if claimer_ids:
        claimers = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(claimer_ids))).all()}
        for e in out:
            e.claimed_by = claimers.get(e.subject.claimed_by_id)
    out.sort(key=lambda e: (e.waiting_since, e.kind, e.subject.id))
    return out


@dataclass
class Overdue:
    review: MI
    index: int
    step: dict


def overdue_steps(user: User, actor: Actor | None = None, now: datetime | None = None,
                  limit: int = 300) -> list[Overdue]:
    """Next steps past their deadline and not ticked, from submitted reviews of the mentor's learners (or that
    the mentor wrote); admins see all. Reads the `limit` most recent submitted reviews."""
    actor = actor or actor_for(user)
    today = (now or utcnow()).date()
    stmt = select(MI).options(load_only(*STEP_COLUMNS), selectinload(MI.learner).load_only(*LEARNER_COLUMNS),
                              joinedload(MI.mission).load_only(*MISSION_COLUMNS)).where(
        MI.status == "submitted")
    # The reviews the mentor may read (services.access), never those of their own work.
    stmt = stmt.where(MI.learner_id != actor.id, access.review_read_filter(
        actor, access.review_cols(), MI.mentor_id, MI.status == "submitted", access.cutoff(now)))
    rows = db.session.scalars(stmt.order_by(MI.submitted_at.desc()).limit(limit)).unique().all()
    out = []
    for review in rows:
        steps, done = review.recommended_next_steps or [], review.next_steps_done or []
        for index, step in rules.overdue_steps(steps, done, today):
            out.append(Overdue(review, index, dict(step)))
    out.sort(key=lambda o: o.step.get("deadline") or "")
    return out


def waiting_counts(user: User) -> dict[str, int]:
    """Submissions waiting on this mentor, by kind ({"capstones": n, "attempts": n}): what they may review
    (services.access: their learners' for the assigned tracks and the ones they claimed; admins: everyone else's),
    never their own. The navigation badge and the dashboard both count with this."""
    actor = actor_for(user)
    cutoff = access.cutoff()
    caps = select(func.count()).select_from(CapstoneProject).where(
        CapstoneProject.submitted_at.is_not(None), CapstoneProject.mentor_approved.is_(False),
        access.act_filter(actor, access.capstone_cols(), cutoff))
    atts = select(func.count()).select_from(MissionAttempt).where(
        MissionAttempt.review_requested_at.is_not(None), ~attempt_review_done(),
        access.act_filter(actor, access.attempt_cols(), cutoff))
    return {"capstones": int(db.session.scalar(caps) or 0), "attempts": int(db.session.scalar(atts) or 0)}


def mentor_badge_count(user: User) -> int:
    """The navigation badge: every submission waiting on this mentor (waiting_counts)."""
    return sum(waiting_counts(user).values())


def learner_badge_count(user: User) -> int:
    """Submitted review phases of the learner's work they have not acknowledged yet."""
    return int(db.session.scalar(select(func.count()).select_from(MI).where(
        MI.learner_id == user.id, MI.status == "submitted", MI.acknowledged_at.is_(None))) or 0)


def typical_review_hours(now: datetime | None = None) -> float | None:
    """Median time from submission to the first submitted review phase, over the last 90 days (the most recent
    TYPICAL_SAMPLE reviews of each kind, so the cost does not grow with the site's history)."""
    since = (now or utcnow()) - TYPICAL_WINDOW
    first = MI.review_phase == 1
    cap_rows = db.session.execute(select(MI.submitted_at, CapstoneProject.submitted_at).join(
        CapstoneProject, CapstoneProject.id == MI.capstone_id).where(
        first, MI.status == "submitted", MI.submitted_at >= since, CapstoneProject.submitted_at.is_not(None))
        .order_by(MI.submitted_at.desc()).limit(TYPICAL_SAMPLE)).all()
    att_rows = db.session.execute(select(MI.submitted_at, MissionAttempt.review_requested_at).join(
        MissionAttempt, MissionAttempt.id == MI.attempt_id).where(
        first, MI.status == "submitted", MI.submitted_at >= since)
        .order_by(MI.submitted_at.desc()).limit(TYPICAL_SAMPLE)).all()
    hours = [(done - start).total_seconds() / 3600 for done, start in list(cap_rows) + list(att_rows)
             if done and start and done >= start]
    return rules.median(hours)


@dataclass
class LearnerReviews:
    """What a page shows of the reviews of one capstone or attempt (templates/mentorship/_review_status.html and
    _review_phase.html read it as `view`): the submitted review phases with their media, recipes and rubric
    bars, the status line, the typical review time, and whether the viewer is the learner (who acknowledges
    and ticks off next steps)."""
    reviews: list[MI]
    media: dict[int, dict]
    recipes: dict[str, Recipe]
    bars: dict[int, list[dict]]
    status: dict
    typical_hours: float | None
    is_learner: bool
    today: str
    replies: dict[int, list] = field(default_factory=dict)   # {review_id: the conversation under that phase}
    # The weighted rubric total of each phase, against the rubric it was scored with (rubric_of).
    totals: dict[int, Decimal | None] = field(default_factory=dict)


def status_of(subject, now: datetime | None = None, last: MI | None = None) -> dict:
    """What the learner sees about their submission (domain.reviews.learner_status): waiting, in review,
    changes requested, approved. `last`: the latest submitted review phase, if any."""
    now = now or utcnow()
    capstone = isinstance(subject, CapstoneProject)
    return rules.learner_status(
        capstone=capstone, approved=capstone and bool(subject.mentor_approved),
        approved_at=subject.mentor_reviewed_at if capstone else None,
        submitted_at=subject.submitted_at if capstone else subject.review_requested_at,
        claim_live=access.claim_holder(subject.claimed_by_id, subject.claimed_at, access.cutoff(now)) is not None,
        now=now, last=last)


def learner_view(subject: CapstoneProject | MissionAttempt, viewer: User | None,
                 now: datetime | None = None) -> LearnerReviews:
    """The submitted review phases of a capstone or attempt with everything they show: a fixed number of
    queries, whatever the number of phases. (The caller has checked that `viewer` may read them.)"""
    now = now or utcnow()
    col = MI.capstone_id if isinstance(subject, CapstoneProject) else MI.attempt_id
    reviews = db.session.scalars(select(MI).options(joinedload(MI.mentor), joinedload(MI.mission)).where(
        col == subject.id, MI.status == "submitted").order_by(MI.review_phase)).unique().all()
    return LearnerReviews(
        reviews=reviews, media=media_files(reviews),
        recipes=recipes_by_slug([s for r in reviews for s in r.recommended_recipes or []]),
        bars={r.id: rules.rubric_bars(r.rubric_of(), r.rubric_scores or {}) for r in reviews},
        totals={r.id: rules.weighted_total(r.rubric_of(), r.rubric_scores or {}) for r in reviews},
        status=status_of(subject, now, reviews[-1] if reviews else None),
        typical_hours=typical_review_hours(now),
        is_learner=viewer is not None and getattr(viewer, "id", None) == subject.learner_id,
        today=now.date().isoformat(), replies=replies_of([r.id for r in reviews]))


def reviews_panel(subject: CapstoneProject | MissionAttempt, viewer: User | None) -> LearnerReviews | None:
    """The reviews panel of the capstone or attempt page: shown once the work went to review (a capstone
    submitted, approved or reviewed; an attempt whose review was requested), None before (and no query)."""
    if isinstance(subject, CapstoneProject):
        shown = rules.capstone_went_to_review(subject.submitted_at is not None, bool(subject.mentor_approved),
                                              bool(subject.mentor_review_phases))
    else:
        shown = subject.review_requested_at is not None
    return learner_view(subject, viewer) if shown else None
