"""A mentor's page for one learner (SPEC §13; issue #18's queue cards link to it): what the viewer may see of the
learner, track by track, in a constant number of queries; refused to everyone else."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import count_queries, log_in
from tests.factories import (assign, make_capstone, make_completed_attempt as make_attempt, make_item, make_mission,
                             make_review, make_user)
from tests.mentorship.helpers import submitted_capstone
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models.base import utcnow


def _world():
    learner = make_user("learner", handle="lena", display_name="Lena Learner")
    defender, grc = make_mission(track="defender", title="Night Shift"), make_mission(track="grc", title="Audit Week")
    mentor = make_user("mentor")
    assign(mentor, learner)
    make_attempt(learner, defender, score=72)
    make_attempt(learner, grc, score=64)
    cap = submitted_capstone(learner, defender)
    make_capstone(learner, grc, done=PHASES[:2])
    review = make_review(mentor, cap, total_phases=1, review_phase=1, status="submitted", submitted_at=utcnow(),
                         recommended_next_steps=[
                             {"title": "Read the Sysmon guide", "priority": "high",
                              "deadline": (utcnow() - timedelta(days=2)).date().isoformat()},
                             {"title": "Write a detection", "priority": "low", "deadline": ""}],
                         next_steps_done=[])
    make_item(learner, title="Ransomware write-up", status="submitted")
    make_item(learner, title="Private draft", status="draft")
    return learner, mentor, cap, review


def test_the_assigned_mentor_sees_everything_of_the_learner(client):
    learner, mentor, cap, review = _world()
    log_in(client, mentor)
    page = client.get("/mentorship/learners/lena").text
    for shown in ("Lena Learner", "Night Shift", "Audit Week", "<td>72</td>", "<td>64</td>", "In mentor review",
                  f'href="/capstones/{cap.id}"', f'href="/mentorship/reviews/{review.id}"',
                  "Read the Sysmon guide", "Overdue", "Write a detection", "Ransomware write-up"):
        assert shown in page, shown
    assert "Private draft" not in page
    assert page.index("Read the Sysmon guide") < page.index("Write a detection")       # overdue first


def test_a_mentor_assigned_for_one_track_sees_that_tracks_work_only(client):
    learner, _, _, _ = _world()
    scoped = make_user("mentor")
    assign(scoped, learner, track="grc")
    log_in(client, scoped)
    page = client.get("/mentorship/learners/lena").text
    assert "Audit Week" in page and "Night Shift" not in page and "Read the Sysmon guide" not in page


def test_an_admin_sees_any_learner(client):
    _world()
    log_in(client, make_user("admin"))
    assert "Night Shift" in client.get("/mentorship/learners/lena").text


def test_everyone_else_is_refused_with_no_data(client):
    learner, _, cap, _ = _world()
    holder = make_user("mentor")                          # holds a claim on the capstone, not assigned
    cap.claimed_by_id, cap.claimed_at = holder.id, utcnow()
    db.session.commit()
    for who in (make_user("mentor"), holder, learner, make_user("learner")):
        log_in(client, who)
        resp = client.get("/mentorship/learners/lena")
        assert resp.status_code == 403 and "Night Shift" not in resp.text, who.role
    log_in(client, make_user("admin"))
    assert client.get("/mentorship/learners/nobody-here").status_code == 404


def test_the_queue_card_and_the_dashboard_link_to_the_learner_page(client):
    learner, mentor, _, _ = _world()
    submitted_capstone(learner, make_mission(title="Second"))
    log_in(client, mentor)
    assert 'href="/mentorship/learners/lena">Lena Learner</a>' in client.get("/mentorship/queue").text
    assert 'href="/mentorship/learners/lena"><strong>Lena Learner</strong></a>' in client.get("/").text


def test_the_page_runs_the_same_queries_however_much_the_learner_did(client):
    learner, mentor, _, _ = _world()
    log_in(client, mentor)
    client.get("/mentorship/learners/lena")
    with count_queries() as few:
        client.get("/mentorship/learners/lena")
    for n in range(6):
        mission = make_mission(title=f"Extra {n}")
        make_attempt(learner, mission, score=50 + n)
        cap = submitted_capstone(learner, mission)
        make_review(mentor, cap, total_phases=1, review_phase=1)
        make_item(learner, title=f"Item {n}", status="submitted")
    with count_queries() as many:
        page = client.get("/mentorship/learners/lena").text
    assert "Extra 5" in page and many.count == few.count, (few.count, many.count)
