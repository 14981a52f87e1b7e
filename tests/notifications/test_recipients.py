"""Who hears of a submission, in SQL (services/access.py's assigned_mentors_filter), agrees with the access
rule's `is_assigned` over a generated world of assignments."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from webapp.domain.policies import Actor
from webapp.extensions import db
from webapp.models import MentorAssignment
from webapp.services import access

from ..factories import assign, make_user


def test_the_assigned_mentors_in_sql_are_the_ones_is_assigned_accepts():
    learners = [make_user("learner") for _ in range(2)]
    mentors = [make_user("mentor") for _ in range(4)]
    assign(mentors[0], learners[0])
    assign(mentors[1], learners[0], "defender")
    assign(mentors[2], learners[0], "grc")
    assign(mentors[3], learners[1], "defender")
    assign(mentors[2], learners[1])
    actors = {}
    for m in mentors:
        rows = db.session.execute(select(MentorAssignment.learner_id, MentorAssignment.track).where(
            MentorAssignment.mentor_id == m.id)).all()
        actors[m.id] = Actor(id=m.id, role="mentor", assignments=frozenset((r[0], r[1]) for r in rows))
    for learner, track in itertools.product(learners, ("defender", "grc", "offensive", None)):
        in_sql = set(db.session.scalars(select(MentorAssignment.mentor_id).where(
            access.assigned_mentors_filter(learner.id, track))))
        by_rule = {mid for mid, actor in actors.items() if access.is_assigned(actor, learner.id, track)}
        assert in_sql == by_rule, (learner.id, track)
