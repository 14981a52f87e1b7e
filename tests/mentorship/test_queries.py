"""The queue's and the review page's query counts do not grow with learners, reviews or rubric criteria."""
from __future__ import annotations

from webapp.models.base import utcnow

from ..conftest import count_queries, log_in
from ..factories import assign, make_mission, make_review, make_user
from .helpers import make_attempt, submitted_capstone


def rubric(n: int) -> list[dict]:
    return [{"id": f"c{i}", "criterion": f"Criterion {i}", "description": "How well.", "weight": 1,
             "levels": [{"score": s, "label": f"L{s}", "descriptor": f"Level {s}"} for s in (1, 2, 3)]}
            for i in range(n)]


def add_learners(mentor, n: int, mission):
    for _ in range(n):
        learner = make_user("learner")
        assign(mentor, learner)
        cap = submitted_capstone(learner, mission)
        make_review(mentor, cap, total_phases=2, status="submitted", submitted_at=utcnow(),
                    recommended_next_steps=[{"title": "Old", "priority": "low", "deadline": "2020-01-01"}])
        make_attempt(learner, mission, review_requested_at=utcnow())
        other = make_user("learner")
        submitted_capstone(other, mission)


def queue_queries(client) -> int:
    with count_queries() as q:
        resp = client.get("/mentorship/queue")
    assert resp.status_code == 200
    return q.count


def test_queue_query_count_is_constant(client):
    mentor = make_user("mentor")
    mission = make_mission()
    log_in(client, mentor)
    add_learners(mentor, 1, mission)
    small = queue_queries(client)
    add_learners(mentor, 6, mission)
    large = queue_queries(client)
    assert large == small <= 10, (small, large)


def review_page_queries(client, criteria: int, phases: int) -> int:
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    mission = make_mission(rubric=rubric(criteria))
    cap = submitted_capstone(learner, mission)
    for p in range(1, phases):
        make_review(mentor, cap, review_phase=p, total_phases=5, status="submitted", submitted_at=utcnow(),
                    rubric_scores={f"c{i}": 2 for i in range(criteria)})
    draft = make_review(mentor, cap, review_phase=phases, total_phases=5)
    log_in(client, mentor)
    with count_queries() as q:
        resp = client.get(f"/mentorship/reviews/{draft.id}")
    assert resp.status_code == 200 and f"Criterion {criteria - 1}" in resp.text
    return q.count


def test_review_page_query_count_is_constant(client):
    small = review_page_queries(client, criteria=3, phases=1)
    large = review_page_queries(client, criteria=6, phases=4)
    # 10, and one each for the comment bank's snippets, the phases' reply counts and the changes since the review
    assert large == small <= 13, (small, large)


def test_learner_view_query_count_is_constant(client):
    def run(phases: int) -> int:
        learner, mentor = make_user("learner"), make_user("mentor")
        assign(mentor, learner)
        cap = submitted_capstone(learner, make_mission(rubric=rubric(3 if phases == 1 else 6)))
        last = None
        for p in range(1, phases + 1):
            last = make_review(mentor, cap, review_phase=p, total_phases=5, status="submitted", submitted_at=utcnow(),
                               recommended_recipes=[], rubric_scores={"c0": 3})
        log_in(client, learner)
        with count_queries() as q:
            resp = client.get(f"/mentorship/reviews/{last.id}")
        assert resp.status_code == 200 and resp.text.count('class="review-phase"') == phases
        return q.count

    assert run(1) == run(4)
