"""services.access: each SQL filter selects exactly the rows its Python predicate accepts (issue 15 finding 7).

A seeded random world: learners; mentors assigned for every track or for one track; a mentor and an admin who are
also learners with their own work; live, lapsed and no claims; portfolio items linked to a capstone, a mission or
nothing; reviews in draft and submitted. For every actor (anonymous too) and every filter, the ids the database
returns equal the ids the predicate accepts, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import assign, make_item, make_mission, make_user
from webapp.domain.policies import ANONYMOUS
from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction, MissionAttempt, PortfolioItem
from webapp.models.base import utcnow
from webapp.services import access
from webapp.services.actors import actor_for

TRACKS = ("defender", "grc", "offensive")


def _world(seed: int) -> list:
    rnd = random.Random(seed)
    now = utcnow()
    learners = [make_user("learner") for _ in range(3)]
    mentors = [make_user("mentor") for _ in range(4)]
    admin = make_user("admin")
    owners = learners + [mentors[0], admin]          # a mentor and an admin who are also learners
    missions = [make_mission(track=t) for t in TRACKS]
    for mentor in mentors + [admin]:
        for learner in rnd.sample([u for u in owners if u.id != mentor.id], 2):
            assign(mentor, learner, rnd.choice((None,) + TRACKS))
    claimers = mentors + [admin]

    def claim():
        holder = rnd.choice([None] + claimers)
        when = rnd.choice([now - timedelta(hours=1), now - timedelta(days=10), None])
        return {"claimed_by_id": holder.id if holder else None, "claimed_at": when if holder else None}

    caps, atts = [], []
    for owner in owners:
        for mission in missions:
            if rnd.random() < 0.7:
                caps.append(CapstoneProject(learner_id=owner.id, mission_id=mission.id, submitted_at=now, **claim()))
            if rnd.random() < 0.6:
                atts.append(MissionAttempt(learner_id=owner.id, mission_id=mission.id, status="completed",
                                           review_requested_at=now, **claim()))
    db.session.add_all(caps + atts)
    db.session.commit()
    for owner in owners:
        mine = [c for c in caps if c.learner_id == owner.id]
        make_item(owner, title="Loose")
        make_item(owner, title="Mission", mission_id=rnd.choice(missions).id)
        if mine:
            cap = rnd.choice(mine)
            make_item(owner, title="Capstone", capstone_id=cap.id,
                      mission_id=rnd.choice([None, cap.mission_id, rnd.choice(missions).id]))
    for subject in rnd.sample(caps, min(6, len(caps))) + rnd.sample(atts, min(6, len(atts))):
        author = rnd.choice(claimers)
        db.session.add(MentorshipInteraction(
            mentor_id=author.id, learner_id=subject.learner_id, mission_id=subject.mission_id,
            capstone_id=subject.id if isinstance(subject, CapstoneProject) else None,
            attempt_id=subject.id if isinstance(subject, MissionAttempt) else None, review_phase=1, total_phases=1,
            phase="overall", status=rnd.choice(["draft", "submitted"])))
    db.session.commit()
    return [None] + learners + mentors + [admin]


def _ids(model, condition) -> set[int]:
    return set(db.session.scalars(select(model.id).where(condition)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_sql_filter_selects_what_its_predicate_accepts(seed):
    users = _world(seed)
    cutoff = access.cutoff()
    caps = db.session.scalars(select(CapstoneProject)).all()
    atts = db.session.scalars(select(MissionAttempt)).all()
    items = db.session.scalars(select(PortfolioItem)).all()
    reviews = db.session.scalars(select(MentorshipInteraction)).all()
    assert caps and atts and items and reviews
    checked = 0
    for user in users:
        actor = actor_for(user) if user is not None else ANONYMOUS
        for model, rows, cols in ((CapstoneProject, caps, access.capstone_cols()),
                                  (MissionAttempt, atts, access.attempt_cols())):
            works = {r.id: access.work_of(r) for r in rows}
            for predicate, sql in ((access.may_read, access.read_filter), (access.may_act, access.act_filter),
                                   (access.may_claim, access.claim_filter), (access.in_queue, access.queue_filter)):
                expected = {i for i, w in works.items() if predicate(actor, w)}
                assert _ids(model, sql(actor, cols, cutoff)) == expected, (model.__name__, predicate.__name__, actor)
                checked += 1
        item_works = {i.id: access.item_work(i) for i in items}
        for predicate, sql in ((access.may_read, access.read_filter), (access.may_act, access.act_filter)):
            expected = {i for i, w in item_works.items() if predicate(actor, w)}
            assert _ids(PortfolioItem, sql(actor, access.item_cols(), cutoff)) == expected, (predicate.__name__, actor)
            checked += 1
        review_works = {r.id: (access.work_of(r.capstone or r.attempt), r) for r in reviews}
        expected = {i for i, (w, r) in review_works.items()
                    if access.may_read_review(actor, w, author_id=r.mentor_id, submitted=r.status == "submitted")}
        MI = MentorshipInteraction
        got = _ids(MI, access.review_read_filter(actor, access.review_cols(), MI.mentor_id, MI.status == "submitted",
                                                 cutoff))
        assert got == expected, ("review", actor)
        checked += 1
    assert checked == len(users) * 11
