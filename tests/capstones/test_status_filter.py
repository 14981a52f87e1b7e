"""The capstone list's status filter (GET /api/v1/capstones?status=...): its SQL form in capstones/queries.py
answers what its Python form says, for every combination of submitted and approved."""
from __future__ import annotations

import itertools

from webapp.capstones import queries
from webapp.domain.policies import Actor
from webapp.extensions import db
from webapp.models.base import utcnow

from ..factories import make_capstone, make_mission, make_token, make_user


def test_sql_status_filter_matches_the_python_status_for_every_state():
    learner = make_user("learner")
    caps = {}
    for submitted, approved in itertools.product((False, True), repeat=2):
        caps[make_capstone(learner, make_mission(), submitted_at=utcnow() if submitted else None,
                           mentor_approved=approved).id] = (submitted, approved)
    admin = Actor(id=make_user("admin").id, role="admin")
    for status in queries.STATUSES:
        found = set(db.session.scalars(queries.visible_capstones(admin, status=status)).unique())
        assert {c.id for c in found} == {i for i, state in caps.items() if queries.status_of(*state) == status}, status
    assert {queries.status_of(*s) for s in caps.values()} == set(queries.STATUSES)


def test_the_api_filters_by_status_as_the_query_does(client):
    learner = make_user("learner")
    mission = make_mission()
    started = make_capstone(learner, mission)
    auth = {"Authorization": f"Bearer {make_token(learner)[1]}"}
    in_review = make_capstone(learner, make_mission(), submitted_at=utcnow())
    approved = make_capstone(learner, make_mission(), submitted_at=utcnow(), mentor_approved=True)
    for status, cap in (("in_progress", started), ("in_review", in_review), ("approved", approved)):
        body = client.get(f"/api/v1/capstones?status={status}", headers=auth).get_json()
        assert [c["id"] for c in body["items"]] == [cap.id], status
    body = client.get(f"/api/v1/capstones?mission={mission.slug}&learner={learner.handle}", headers=auth).get_json()
    assert [c["id"] for c in body["items"]] == [started.id]
