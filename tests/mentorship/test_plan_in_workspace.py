"""The queue and workspace flow (issue #18, part 5): a queued item opens as a draft review, and the number of
review phases and what a phase reviews are chosen in the workspace beside the work; the queue card links to the
work; the mentor dashboard's counts are links and agree with the navigation badge."""
from __future__ import annotations

import re

from tests.conftest import log_in
from tests.factories import assign, make_mission, make_review, make_user
from tests.mentorship.helpers import make_attempt, setup_review, submitted_capstone
from webapp.extensions import db
from webapp.models import MentorshipInteraction as MI
from webapp.models.base import utcnow

HTMX = {"HX-Request": "true"}


def _save(client, review, **fields):
    return client.post(f"/mentorship/reviews/{review.id}", headers=HTMX,
                       data={"version_id": str(review.version_id), **fields})


def _stored(review_id: int) -> MI:
    db.session.expire_all()
    return db.session.get(MI, review_id)


def test_the_queue_opens_a_draft_and_the_workspace_chooses_the_phases_and_the_target(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    log_in(client, mentor)
    queue = client.get("/mentorship/queue").text
    card = queue[queue.index(f'id="queue-capstone-{cap.id}"'):]
    assert f'href="/capstones/{cap.id}"' in card[:2000] and 'name="total_phases" value="1"' in card[:4000]
    assert "<select" not in card[:card.index("</li>")]                # nothing to decide before seeing the work
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                    "total_phases": "1", "phase": "overall"})
    review = db.session.query(MI).one()
    page = client.get(resp.headers["Location"]).text
    assert 'id="total-phases"' in page and 'id="review-target"' in page and "Review phase 1 of 1" in page
    resp = _save(client, review, total_phases="3", phase="investigation")
    assert resp.status_code == 200 and "Draft saved" in resp.text
    assert 'id="review-plan-heading" hx-swap-oob="true">Review phase 1 of 3 · Investigation' in resp.text
    stored = _stored(review.id)
    assert (stored.total_phases, stored.phase) == (3, "investigation")


def test_a_later_phase_keeps_its_rounds_number_of_phases(client):
    learner, mentor, cap, first = setup_review(total_phases=2)
    first.status, first.submitted_at = "submitted", utcnow()
    db.session.commit()
    second = make_review(mentor, cap, total_phases=2, review_phase=2)
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{second.id}").text
    assert 'id="total-phases"' not in page and 'id="review-target"' in page
    resp = _save(client, second, total_phases="4")
    assert resp.status_code == 422 and _stored(second.id).total_phases == 2


def test_a_number_of_phases_out_of_range_is_422_and_saves_nothing(client):
    _, mentor, _, review = setup_review(total_phases=1)
    log_in(client, mentor)
    for bad in ("0", "6", "two"):
        resp = _save(client, review, total_phases=bad, written_feedback="kept?")
        assert resp.status_code == 422, bad
        stored = _stored(review.id)
        assert stored.total_phases == 1 and not stored.written_feedback


def test_an_attempt_is_reviewed_as_a_whole(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow())
    log_in(client, mentor)
    resp = client.post("/mentorship/reviews", data={"kind": "attempt", "subject_id": attempt.id,
                                                    "review_phase": "1", "total_phases": "1"})
    review = db.session.query(MI).one()
    page = client.get(resp.headers["Location"]).text
    assert 'id="review-target"' not in page and 'id="total-phases"' in page
    assert _save(client, review, phase="investigation").status_code == 422
    assert _stored(review.id).phase == "overall"


def test_only_the_reviewer_plans_the_draft(client):
    learner, mentor, _, review = setup_review(total_phases=1)
    for who in (learner, make_user("mentor"), make_user("learner")):
        log_in(client, who)
        assert _save(client, review, total_phases="3").status_code == 403
    assert _stored(review.id).total_phases == 1


def test_the_mentor_dashboard_counts_link_to_the_queue_and_agree_with_the_badge(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    submitted_capstone(learner)
    make_attempt(learner, make_mission(), review_requested_at=utcnow())
    submitted_capstone(make_user("learner"))                         # not theirs: counted for nobody but admins
    log_in(client, mentor)
    page = client.get("/").text
    assert re.search(r'<a href="/mentorship/queue"><strong>2 submissions</strong>', page)
    assert "1 capstone, 1 mission attempt" in page
    badge = client.get("/mentorship/badge").text
    assert '<span class="badge badge-new">2</span>' in badge
    log_in(client, make_user("admin"))
    page = client.get("/").text
    assert re.search(r'<dt>Submissions awaiting review</dt><dd><a href="/mentorship/queue">3</a>', page)
    assert '<span class="badge badge-new">3</span>' in client.get("/mentorship/badge").text
