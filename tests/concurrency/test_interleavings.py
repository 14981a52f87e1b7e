"""Transitions read a state, then write one. Here the other request's write lands between the read and
the write (committed on its own connection), the interleaving a race produces; the second writer must notice."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.factories import make_mission, make_user
from tests.mentorship.helpers import make_attempt
from webapp.domain.policies import Actor
from webapp.extensions import db
from webapp.models import MissionAttempt
from webapp.models.base import utcnow
from webapp.services import attempts as service
from webapp.services.actors import actor_for


def _meanwhile(attempt_id: int, **values) -> None:
    """Another request's committed write, on its own connection."""
    with db.engine.begin() as conn:
        conn.execute(update(MissionAttempt).where(MissionAttempt.id == attempt_id).values(**values))


def test_a_review_request_racing_another_keeps_the_first_time():
    learner = make_user("learner")
    attempt = make_attempt(learner, make_mission())
    actor: Actor = actor_for(learner)
    assert attempt.review_requested_at is None          # what this request read
    first = utcnow() - timedelta(minutes=5)
    _meanwhile(attempt.id, review_requested_at=first)   # the other tab asked first
    answered = service.request_review(attempt, actor, now=utcnow())
    assert answered.review_requested_at == first
    db.session.expire_all()
    assert db.session.get(MissionAttempt, attempt.id).review_requested_at == first


def test_a_scope_acknowledgement_racing_another_keeps_the_first_and_the_clock():
    learner = make_user("learner")
    attempt = make_attempt(learner, make_mission(), started_at=utcnow() - timedelta(minutes=30))
    attempt.status, attempt.responses, attempt.decisions, attempt.completed_at = "in_progress", {}, {}, None
    db.session.commit()
    actor = actor_for(learner)
    assert attempt.scope_acknowledged_at is None
    first = utcnow() - timedelta(minutes=10)
    _meanwhile(attempt.id, scope_acknowledged_at=first, started_at=first,
               responses={"1": {"response": "Scoped.", "submitted_at": utcnow().isoformat()}})
    service.acknowledge_scope(attempt, actor)
    db.session.expire_all()
    row = db.session.get(MissionAttempt, attempt.id)
    assert (row.scope_acknowledged_at, row.started_at) == (first, first)


def test_reviewing_an_item_deleted_meanwhile_is_404_and_records_nothing():
    import pytest
    from sqlalchemy import delete, func, select

    from tests.factories import assign, make_item
    from webapp.domain.errors import NotFound
    from webapp.models import PortfolioItem, PortfolioTransition
    from webapp.services import portfolio

    owner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, owner)
    item = make_item(owner, status="submitted", submitted_at=utcnow())
    actor = actor_for(mentor)
    assert item.status == "submitted"                    # what the mentor's request read
    with db.engine.begin() as conn:                      # the owner deleted it meanwhile
        conn.execute(delete(PortfolioItem).where(PortfolioItem.id == item.id))
    with pytest.raises(NotFound, match="deleted while you were working on it"):
        portfolio.review_item(actor, item, "approve")
    assert db.session.scalar(select(func.count()).select_from(PortfolioTransition)) == 0
