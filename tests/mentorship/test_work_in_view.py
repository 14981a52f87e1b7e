"""Issue #18 part 4: the mentor sees what they judge.

1. The review workspace shows the mission's mentor notes beside the rubric (SPEC §5: "the review workspace shows
   what is judged: ... and the mission's mentor notes"); the learner's read view of a submitted review never does.
2. A mentor who claimed an attempt from the queue opens it read-only, on the page and in the API; the claim is
   what lets them in (no claim, a lapsed claim or someone else's claim: 403).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import MentorshipInteraction, MissionAttempt
from webapp.models.base import utcnow

from ..attempts.helpers import start, submit
from ..conftest import count_queries, log_in
from ..factories import assign, make_mission, make_review, make_token, make_user
from .helpers import reload, submitted_capstone

NOTES = "Intended path: **isolate FS-01** before scoping.\n\n- Common trap: wiping the host first."
NOTES_TITLE = "Mentor notes for this mission"
NO_NOTES = "This mission has no mentor notes."


def workspace_world(notes: str = NOTES):
    """A learner's submitted capstone at a mission with these notes, their mentor, and a draft review."""
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    mission = make_mission(mentor_notes=notes)
    cap = submitted_capstone(learner, mission)
    return learner, mentor, make_review(mentor, cap, total_phases=1)


def page_of(client, user, review_id: int):
    log_in(client, user)
    resp = client.get(f"/mentorship/reviews/{review_id}")
    assert resp.status_code == 200, resp.text[:300]
    return resp.text


# ---- piece 1: the mentor notes beside the rubric ---------------------------------------------------------------

def test_workspace_shows_mission_mentor_notes_open_above_the_rubric(client):
    learner, mentor, review = workspace_world()
    html = page_of(client, mentor, review.id)
    assert NOTES_TITLE in html and NO_NOTES not in html
    assert "<strong>isolate FS-01</strong>" in html and "Common trap: wiping the host first." in html
    assert '<details id="review-mentor-notes" class="panel mentor-notes review-notes" open>' in html
    # beside the rubric: in the form's column, right before the rubric fieldset
    assert html.index(NOTES_TITLE) < html.index("<legend>Rubric</legend>")
    assert html.index('class="review-side"') < html.index(NOTES_TITLE)


def test_admin_workspace_shows_mentor_notes(client):
    learner = make_user("learner")
    admin = make_user("admin")
    cap = submitted_capstone(learner, make_mission(mentor_notes=NOTES))
    review = make_review(admin, cap, total_phases=1)
    html = page_of(client, admin, review.id)
    assert NOTES_TITLE in html and "<strong>isolate FS-01</strong>" in html


@pytest.mark.parametrize("notes", ["", "   \n  "])
def test_workspace_mission_without_notes_shows_empty_state(client, notes):
    learner, mentor, review = workspace_world(notes)
    html = page_of(client, mentor, review.id)
    assert NOTES_TITLE in html and NO_NOTES in html
    assert "Intended path" not in html


def test_workspace_notes_with_script_are_inert(client):
    learner, mentor, review = workspace_world(
        "Watch for <script>alert('notes')</script> and <img src=x onerror=\"alert(1)\"> in the logs.\n\n"
        "[click](javascript:alert(2))")
    html = page_of(client, mentor, review.id)
    start_at = html.index('id="review-mentor-notes"')
    notes = html[start_at:html.index("</details>", start_at)]
    assert "Watch for" in notes and "in the logs." in notes
    # shown as text or dropped, never as live markup
    assert "<script" not in notes and "<img" not in notes and 'href="javascript:' not in notes
    assert "&lt;script&gt;" in notes or "alert('notes')" not in notes
    assert "alert('notes')</script>" not in html


def test_learner_reading_submitted_capstone_review_never_sees_mentor_notes(client):
    learner, mentor, review = workspace_world()
    review.status, review.submitted_at, review.overall_score = "submitted", utcnow(), 80
    review.written_feedback = "Solid containment."
    db.session.commit()
    html = page_of(client, learner, review.id)
    assert "Reviews of your capstone" in html and "Solid containment." in html      # the read view, with content
    assert NOTES_TITLE not in html and NO_NOTES not in html
    assert "isolate FS-01" not in html and "Common trap" not in html


def test_learner_reading_submitted_attempt_review_never_sees_mentor_notes(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    mission = make_mission(mentor_notes=NOTES)
    attempt = finished_attempt(client, learner, mission)
    review = MentorshipInteraction(mentor_id=mentor.id, learner_id=learner.id, mission_id=mission.id,
                                   attempt_id=attempt.id, status="submitted", submitted_at=utcnow(),
                                   overall_score=75, written_feedback="Good triage.")
    db.session.add(review)
    db.session.commit()
    html = page_of(client, learner, review.id)
    assert "Reviews of your attempt" in html and "Good triage." in html
    assert NOTES_TITLE not in html and "isolate FS-01" not in html and "Common trap" not in html


def test_workspace_query_count_is_the_same_with_or_without_notes(client):
    def queries(notes: str) -> int:
        learner, mentor, review = workspace_world(notes)
        log_in(client, mentor)
        with count_queries() as q:
            resp = client.get(f"/mentorship/reviews/{review.id}")
        assert resp.status_code == 200 and NOTES_TITLE in resp.text
        return q.count

    assert queries("") == queries(NOTES)


# ---- piece 2: a mentor who claimed an attempt can open it ------------------------------------------------------

def finished_attempt(client, learner, mission, request_review: bool = True) -> MissionAttempt:
    """The learner plays the mission through the pages (subtasks 1-3; 4 stays hidden) and asks for a review."""
    log_in(client, learner)
    attempt = start(client, mission)
    for sid, response, extra in ((1, "Isolated FS-01 at 02:20.", {"isolate": "yes"}),
                                 (2, "Scoped to the finance VLAN.", {}), (3, "Report sent to the CISO.", {})):
        assert submit(client, attempt, sid, response, **extra).status_code == 303
    if request_review:
        assert client.post(f"/attempts/{attempt.id}/review").status_code == 303
    with client.session_transaction() as sess:
        sess.clear()
    return reload(attempt)


@pytest.fixture
def claimed(client):
    """A waiting attempt, claimed from the queue by a mentor who is not assigned to the learner."""
    learner = make_user("learner", display_name="Lea Learner")
    mission = make_mission(slug="night-shift", mentor_notes=NOTES)
    attempt = finished_attempt(client, learner, mission)
    assert attempt.status == "completed" and attempt.review_requested_at is not None
    claimer = make_user("mentor")
    log_in(client, claimer)
    assert client.get(f"/attempts/{attempt.id}").status_code == 403        # no claim yet: not theirs to read
    assert client.post(f"/mentorship/queue/attempt/{attempt.id}/claim").status_code == 303
    assert reload(attempt).claimed_by_id == claimer.id
    return {"learner": learner, "mission": mission, "attempt": attempt, "claimer": claimer}


def lapse(attempt) -> None:
    row = reload(attempt)
    row.claimed_at = utcnow() - timedelta(days=5)
    db.session.commit()


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {make_token(user)[1]}"}


def test_claiming_mentor_opens_the_attempt_read_only_with_the_answers(client, claimed):
    attempt = claimed["attempt"]
    resp = client.get(f"/attempts/{attempt.id}")
    assert resp.status_code == 200
    html = resp.text
    assert "Lea Learner" in html and "It is read-only." in html
    assert "Isolated FS-01 at 02:20." in html and "Scoped to the finance VLAN." in html
    assert "Report sent to the CISO." in html and "<dt>Isolate now?</dt><dd>Isolate</dd>" in html
    assert "Intended path" in html                                         # a mentor: the attempt page's notes
    # nothing to play or change: no submit form, no abandon button, no form posting to the attempt at all
    assert 'name="response"' not in html and "Submit subtask" not in html
    assert "Abandon this attempt" not in html and f'action="/attempts/{attempt.id}' not in html
    assert reload(attempt).responses == attempt.responses                 # reading it changed nothing


def test_claiming_mentor_reviews_the_attempt_with_the_notes_beside_the_rubric(client, claimed):
    attempt = claimed["attempt"]
    resp = client.post("/mentorship/reviews", data={"kind": "attempt", "subject_id": str(attempt.id),
                                                    "total_phases": "1"})
    assert resp.status_code == 303
    html = client.get(resp.headers["Location"]).text
    assert NOTES_TITLE in html and "<strong>isolate FS-01</strong>" in html
    assert "Isolated FS-01 at 02:20." in html                               # the work being judged


def test_mentor_of_another_track_without_claim_is_403(client, claimed):
    other = make_user("mentor")
    assign(other, claimed["learner"], "grc")
    log_in(client, other)
    resp = client.get(f"/attempts/{claimed['attempt'].id}")
    assert resp.status_code == 403 and "belongs to another learner" in resp.text
    assert "Isolated FS-01" not in resp.text
    api = client.get(f"/api/v1/attempts/{claimed['attempt'].id}", headers=bearer(other))
    assert api.status_code == 403 and api.get_json()["error"]["code"]


def test_claiming_mentor_after_claim_lapses_is_403(client, claimed):
    lapse(claimed["attempt"])
    resp = client.get(f"/attempts/{claimed['attempt'].id}")
    assert resp.status_code == 403 and "belongs to another learner" in resp.text
    assert "Isolated FS-01" not in resp.text


def test_claiming_mentor_after_another_mentor_claims_is_403_and_the_new_holder_reads_it(client, claimed):
    attempt = claimed["attempt"]
    lapse(attempt)
    second = make_user("mentor")
    log_in(client, second)
    assert client.post(f"/mentorship/queue/attempt/{attempt.id}/claim").status_code == 303
    assert reload(attempt).claimed_by_id == second.id
    second_view = client.get(f"/attempts/{attempt.id}")
    assert second_view.status_code == 200 and "Isolated FS-01 at 02:20." in second_view.text
    log_in(client, claimed["claimer"])
    resp = client.get(f"/attempts/{attempt.id}")
    assert resp.status_code == 403 and "Isolated FS-01" not in resp.text


def test_api_detail_follows_the_page_for_the_claiming_mentor_and_the_list_stays_their_own(client, claimed):
    attempt, claimer = claimed["attempt"], claimed["claimer"]
    headers = bearer(claimer)
    resp = client.get(f"/api/v1/attempts/{attempt.id}", headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == attempt.id and body["mission"] == "night-shift" and body["status"] == "completed"
    responses = {s["id"]: s["response"] for s in body["subtasks"]}
    assert responses == {1: "Isolated FS-01 at 02:20.", 2: "Scoped to the finance VLAN.",
                         3: "Report sent to the CISO."}
    listing = client.get("/api/v1/attempts", headers=headers).get_json()
    assert listing["total"] == 0 and listing["items"] == []               # the list is the caller's own attempts
    # and a claimer cannot play it through the API either
    before = reload(attempt).responses
    refused = client.post(f"/api/v1/attempts/{attempt.id}/abandon", headers=headers)
    assert refused.status_code == 403 and reload(attempt).status == "completed"
    assert reload(attempt).responses == before
    lapse(attempt)
    assert client.get(f"/api/v1/attempts/{attempt.id}", headers=headers).status_code == 403
