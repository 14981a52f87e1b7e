"""Claiming several queue items at once: POST /mentorship/queue/claim with items=capstone:12&items=attempt:7.
Each item by the single claim's rules (services.reviews), all in one transaction; what was not claimed is said,
with why."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import CapstoneProject, MissionAttempt
from webapp.models.base import utcnow
from webapp.services import reviews as service

from ..conftest import hx, log_in
from ..factories import make_mission, make_user
from .helpers import make_attempt, submitted_capstone


def claims() -> dict[str, list]:
    db.session.expire_all()
    return {"capstone": db.session.execute(select(CapstoneProject.id, CapstoneProject.claimed_by_id,
                                                  CapstoneProject.claimed_at).order_by(CapstoneProject.id)).all(),
            "attempt": db.session.execute(select(MissionAttempt.id, MissionAttempt.claimed_by_id,
                                                 MissionAttempt.claimed_at).order_by(MissionAttempt.id)).all()}


def holder(model, subject_id):
    db.session.expire_all()
    return db.session.get(model, subject_id).claimed_by_id


def waiting_attempt(learner=None, mission=None):
    return make_attempt(learner or make_user("learner"), mission or make_mission(),
                        review_requested_at=utcnow() - timedelta(hours=2))


# ---- the route ---------------------------------------------------------------------------------------------------

def test_queue_offers_a_checkbox_for_claimable_items_only(client):
    mentor, learner = make_user("mentor"), make_user("learner")
    from ..factories import assign
    assign(mentor, learner)
    mine = submitted_capstone(learner)
    other = submitted_capstone()
    log_in(client, mentor)
    page = client.get("/mentorship/queue").text
    assert "Claim selected" in page and 'form="queue-claim-form"' in page
    assert f'value="capstone:{other.id}"' in page and f'value="capstone:{mine.id}"' not in page


def test_mentor_claims_a_capstone_and_an_attempt_at_once(client):
    mentor = make_user("mentor")
    cap, att = submitted_capstone(), waiting_attempt()
    log_in(client, mentor)
    resp = client.post("/mentorship/queue/claim", data={"items": [f"capstone:{cap.id}", f"attempt:{att.id}"]})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/mentorship/queue")
    assert holder(CapstoneProject, cap.id) == mentor.id and holder(MissionAttempt, att.id) == mentor.id
    page = client.get("/mentorship/queue").text
    assert "Claimed 2 submissions." in page and page.count("Claimed by you") == 2


def test_what_cannot_be_claimed_is_reported_and_the_rest_is_claimed(client):
    mentor = make_user("mentor")
    other = make_user("mentor", display_name="Olga Other")
    learner = make_user("learner", display_name="Lee Learner")
    mission = make_mission(title="Night shift")
    free = submitted_capstone(learner, mission)
    held = submitted_capstone(make_user("learner", display_name="Hal"), claimed_by_id=other.id, claimed_at=utcnow())
    approved = submitted_capstone(make_user("learner", display_name="Amy"), mentor_approved=True)
    own = submitted_capstone(mentor)
    log_in(client, mentor)
    resp = client.post("/mentorship/queue/claim", data={"items": [
        f"capstone:{held.id}", f"capstone:{free.id}", "attempt:987654", f"capstone:{approved.id}",
        f"capstone:{own.id}"]})
    assert resp.status_code == 303
    assert holder(CapstoneProject, free.id) == mentor.id
    assert holder(CapstoneProject, held.id) == other.id
    assert holder(CapstoneProject, approved.id) is None and holder(CapstoneProject, own.id) is None
    text = client.get("/mentorship/queue").text
    assert "Claimed 1 of 5 submissions." in text
    assert "Another mentor, Olga Other, claimed this submission first" in text
    assert "attempt 987654: it no longer exists" in text
    assert "Amy&#39;s capstone" in text and "not waiting for a review" in text
    assert "You cannot review your own work" in text


def test_htmx_answers_the_refreshed_queue_with_the_message(client):
    mentor = make_user("mentor")
    cap = submitted_capstone()
    log_in(client, mentor)
    resp = client.post("/mentorship/queue/claim", data={"items": f"capstone:{cap.id}"}, headers=hx("queue-list"))
    assert resp.status_code == 200 and resp.text.lstrip().startswith('<section id="queue-list"')
    assert "Claimed 1 submission." in resp.text and "Claimed by you" in resp.text
    assert "queue-claimed" in resp.headers["HX-Trigger"]
    assert holder(CapstoneProject, cap.id) == mentor.id


@pytest.mark.parametrize("data,message", [
    ({}, "Select at least one submission to claim."),
    ({"items": "capstone;1"}, "Not a submission of the queue"),
    ({"items": [f"capstone:{i}" for i in range(1, 60)]}, "Claim at most 50 submissions at once"),
])
def test_bad_selection_is_422_with_a_message_and_claims_nothing(client, data, message):
    mentor = make_user("mentor")
    cap = submitted_capstone()
    data = {k: ([f"capstone:{cap.id}"] + v if isinstance(v, list) else v) for k, v in data.items()}
    log_in(client, mentor)
    before = claims()
    page = client.post("/mentorship/queue/claim", data=data)
    assert page.status_code == 422 and message in page.text and "<html" in page.text and "Review queue" in page.text
    frag = client.post("/mentorship/queue/claim", data=data, headers=hx("queue-list"))
    assert frag.status_code == 422 and message in frag.text
    assert claims() == before


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_learners_and_visitors_are_refused_and_nothing_changes(client, who):
    cap = submitted_capstone()
    if who == "learner":
        log_in(client, make_user("learner"))
    before = claims()
    resp = client.post("/mentorship/queue/claim", data={"items": f"capstone:{cap.id}"})
    if who == "learner":
        assert resp.status_code == 403
    else:
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert claims() == before


def test_an_admin_claims_too(client):
    admin = make_user("admin")
    cap = submitted_capstone()
    log_in(client, admin)
    assert client.post("/mentorship/queue/claim", data={"items": f"capstone:{cap.id}"}).status_code == 303
    assert holder(CapstoneProject, cap.id) == admin.id


def test_a_claim_lost_to_another_mentor_midway_is_reported_and_the_others_still_claimed(monkeypatch):
    """Another mentor claims the first item after this request checked it: its compare-and-set loses, the
    transaction rolls back and the selection is tried again, so the second item is still claimed (once, in the
    final commit) and the first is reported as the other mentor's."""
    mentor = make_user("mentor")
    rival = make_user("mentor", display_name="Rita Rival")
    first, second = submitted_capstone(), waiting_attempt()
    check = service._check_claimable
    calls = []

    def racing_check(subject, actor, now):
        check(subject, actor, now)
        if not calls and isinstance(subject, CapstoneProject):
            calls.append(subject.id)
            with db.engine.begin() as conn:      # another request, committed between the check and the claim
                conn.execute(update(CapstoneProject.__table__).where(CapstoneProject.__table__.c.id == subject.id)
                             .values(claimed_by_id=rival.id, claimed_at=utcnow()))

    monkeypatch.setattr(service, "_check_claimable", racing_check)
    result = service.claim_many(mentor, [f"capstone:{first.id}", f"attempt:{second.id}"])
    assert calls == [first.id]
    assert [type(s).__name__ for s in result.claimed] == ["MissionAttempt"]
    assert "Another mentor, Rita Rival, claimed this submission first" in result.message
    assert holder(CapstoneProject, first.id) == rival.id and holder(MissionAttempt, second.id) == mentor.id
