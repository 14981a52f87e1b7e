"""Issue 15 finding 1 (nobody reviews, claims, scores or approves their own work) and finding 7 (an assignment
for a track grants that track's work only; a live claim leaves the work to its holder and admins), through the
queue page, the review pages and the API. A refusal is a 403 (or the 404 strangers get) and changes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction, PortfolioItem
from webapp.models.base import utcnow

from ..conftest import log_in
from ..factories import assign, make_item, make_mission, make_review, make_token, make_user
from .helpers import make_attempt, submitted_capstone

OWN = "You cannot review your own work."
API = "/api/v1/mentorship-interactions"


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {make_token(user)[1]}"}


def reviews() -> int:
    return db.session.scalar(select(func.count()).select_from(MentorshipInteraction))


def cap_state(cap_id: int) -> tuple:
    db.session.expire_all()
    cap = db.session.get(CapstoneProject, cap_id)
    return cap.claimed_by_id, cap.mentor_approved, cap.mentor_final_score, cap.submitted_at


# ---- finding 1: own work -----------------------------------------------------------------------------------------

def test_mentor_claiming_own_capstone_from_queue_is_403_and_unclaimed(client):
    mentor = make_user("mentor")
    cap = submitted_capstone(mentor)
    log_in(client, mentor)
    resp = client.post(f"/mentorship/queue/capstone/{cap.id}/claim")
    assert resp.status_code == 403 and OWN in resp.text
    assert cap_state(cap.id)[0] is None


def test_mentor_starting_review_of_own_claimed_capstone_on_page_is_403_no_row(client):
    mentor = make_user("mentor")
    cap = submitted_capstone(mentor, claimed_by_id=None)
    cap.claimed_by_id, cap.claimed_at = mentor.id, utcnow()       # a claim made before the fix
    db.session.commit()
    log_in(client, mentor)
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                    "total_phases": "1", "phase": "overall"})
    assert resp.status_code == 403 and OWN in resp.text
    assert reviews() == 0


def test_mentor_creating_review_of_own_capstone_through_api_is_403(client):
    mentor = make_user("mentor")
    cap = submitted_capstone(mentor, claimed_by_id=mentor.id, claimed_at=utcnow())
    resp = client.post(API, json={"capstone": cap.id, "review_phase": 1, "total_phases": 1, "phase": "overall"},
                       headers=bearer(mentor))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["message"] == OWN
    assert reviews() == 0


def test_mentor_approving_own_capstone_with_100_is_403_and_not_mastered(client):
    mentor = make_user("mentor")
    cap = submitted_capstone(mentor, claimed_by_id=mentor.id, claimed_at=utcnow())
    review = make_review(mentor, cap, total_phases=1, review_phase=1, overall_score=100)
    before = cap_state(cap.id)
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}/submit", data={"decision": "approve"})
    assert resp.status_code == 403 and OWN in resp.text
    api = client.post(f"{API}/{review.id}/submit", json={"decision": "approve", "overall_score": 100},
                      headers=bearer(mentor))
    assert api.status_code == 403
    assert cap_state(cap.id) == before and before[1] is False
    db.session.expire_all()
    assert db.session.get(MentorshipInteraction, review.id).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_admin_reviewing_own_capstone_without_claim_is_403(client):
    admin = make_user("admin")
    cap = submitted_capstone(admin)
    log_in(client, admin)
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                    "total_phases": "1", "phase": "overall"})
    assert resp.status_code == 403 and OWN in resp.text
    assert reviews() == 0


def test_admin_approving_own_capstone_is_403_and_changes_nothing(client):
    admin = make_user("admin")
    cap = submitted_capstone(admin)
    review = make_review(admin, cap, total_phases=1, review_phase=1, overall_score=100)
    before = cap_state(cap.id)
    resp = client.post(f"{API}/{review.id}/submit", json={"decision": "approve", "overall_score": 100},
                       headers=bearer(admin))
    assert resp.status_code == 403 and resp.get_json()["error"]["message"] == OWN
    assert cap_state(cap.id) == before


def test_own_work_is_absent_from_queue_and_badge_admin_and_mentor(client):
    admin, mentor = make_user("admin"), make_user("mentor")
    mission = make_mission()
    own_admin = submitted_capstone(admin, mission)
    own_mentor = submitted_capstone(mentor, mission)
    other = submitted_capstone(make_user("learner"), mission)
    log_in(client, mentor)
    page = client.get("/mentorship/queue").text
    assert f"queue-capstone-{own_mentor.id}" not in page and f"queue-capstone-{other.id}" in page
    log_in(client, admin)
    page = client.get("/mentorship/queue").text
    assert f"queue-capstone-{own_admin.id}" not in page and f"queue-capstone-{other.id}" in page
    assert f"queue-capstone-{own_mentor.id}" in page
    badge = client.get("/mentorship/badge").text
    assert ">2<" in badge.replace(" ", "")         # the mentor's and the learner's, not the admin's own


def test_admin_reviewing_own_portfolio_item_is_403_and_absent_from_review_list(client):
    admin = make_user("admin")
    item = make_item(admin, status="submitted", submitted_at=utcnow())
    log_in(client, admin)
    assert f"/portfolio/items/{item.id}" not in client.get("/portfolio/reviews").text
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"})
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).status == "submitted"


# ---- finding 7: track-scoped assignments and claims -----------------------------------------------------------

def _grc_world():
    learner, grc_mentor, holder = make_user("learner"), make_user("mentor"), make_user("mentor")
    assign(grc_mentor, learner, "grc")
    defender = make_mission(track="defender")
    grc = make_mission(track="grc")
    cap = submitted_capstone(learner, defender)
    grc_cap = submitted_capstone(learner, grc)
    attempt = make_attempt(learner, defender, review_requested_at=utcnow(), claimed_by_id=holder.id,
                           claimed_at=utcnow())
    review = make_review(holder, cap, total_phases=2, status="submitted", submitted_at=utcnow())
    item = make_item(learner, mission_id=defender.id, status="submitted", submitted_at=utcnow())
    return {"learner": learner, "grc_mentor": grc_mentor, "holder": holder, "cap": cap, "grc_cap": grc_cap,
            "attempt": attempt, "review": review, "item": item, "defender": defender}


def test_grc_only_mentor_reads_no_defender_work(client):
    w = _grc_world()
    log_in(client, w["grc_mentor"])
    assert client.get(f"/capstones/{w['cap'].id}").status_code == 403
    assert client.get(f"/capstones/{w['grc_cap'].id}").status_code == 200
    assert client.get(f"/attempts/{w['attempt'].id}").status_code == 403
    assert client.get(f"/mentorship/reviews/{w['review'].id}").status_code == 403
    assert client.get(f"/portfolio/items/{w['item'].id}").status_code == 404
    listing = client.get("/capstones").text
    assert f"/capstones/{w['grc_cap'].id}" in listing and f"/capstones/{w['cap'].id}\"" not in listing
    api = bearer(w["grc_mentor"])
    assert client.get(f"/api/v1/capstones/{w['cap'].id}", headers=api).status_code == 403
    ids = {c["id"] for c in client.get("/api/v1/capstones", headers=api).get_json()["items"]}
    assert ids == {w["grc_cap"].id}
    assert client.get(f"{API}/{w['review'].id}", headers=api).status_code == 403
    assert client.get(API, headers=api).get_json()["total"] == 0
    items = client.get(f"/api/v1/portfolio-items?owner={w['learner'].handle}", headers=api).get_json()["items"]
    assert items == []


def test_grc_only_mentor_creating_review_on_defender_attempt_claimed_by_another_is_403(client):
    w = _grc_world()
    log_in(client, w["grc_mentor"])
    resp = client.post("/mentorship/reviews", data={"kind": "attempt", "subject_id": w["attempt"].id,
                                                    "review_phase": "1", "total_phases": "1"})
    assert resp.status_code == 403
    api = client.post(API, json={"attempt": w["attempt"].id, "review_phase": 1, "total_phases": 1,
                                 "phase": "overall"}, headers=bearer(w["grc_mentor"]))
    assert api.status_code == 403
    assert reviews() == 1


def test_grc_only_mentor_approving_defender_portfolio_item_is_404_unchanged(client):
    w = _grc_world()
    log_in(client, w["grc_mentor"])
    assert f"/portfolio/items/{w['item'].id}" not in client.get("/portfolio/reviews").text
    resp = client.post(f"/portfolio/items/{w['item'].id}/review", data={"decision": "approve"})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(PortfolioItem, w["item"].id).status == "submitted"


def test_all_tracks_mentor_acting_on_work_claimed_live_by_another_is_403_admin_may(client):
    learner, mentor, holder, admin = make_user("learner"), make_user("mentor"), make_user("mentor"), make_user("admin")
    assign(mentor, learner)
    cap = submitted_capstone(learner, claimed_by_id=holder.id, claimed_at=utcnow())
    draft = make_review(holder, cap, total_phases=2, review_phase=1)
    data = {"kind": "capstone", "subject_id": cap.id, "review_phase": "2"}
    log_in(client, mentor)
    assert client.post(f"/mentorship/reviews/{draft.id}", data={"version_id": draft.version_id,
                                                                "written_feedback": "mine"}).status_code == 403
    assert client.post(f"/mentorship/queue/capstone/{cap.id}/claim").status_code == 409
    page = client.get("/mentorship/queue").text
    assert f"queue-capstone-{cap.id}" in page and ">Review it" not in page and ">Claim<" not in page
    db.session.expire_all()
    assert db.session.get(MentorshipInteraction, draft.id).written_feedback in (None, "")
    assert cap_state(cap.id)[0] == holder.id
    log_in(client, admin)
    assert client.post(f"/mentorship/reviews/{draft.id}", data={"version_id": draft.version_id,
                                                                "written_feedback": "admin"}).status_code == 303
    del data


def test_lapsed_claim_lets_the_assigned_mentor_act_again(client):
    learner, mentor, holder = make_user("learner"), make_user("mentor"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner, claimed_by_id=holder.id, claimed_at=utcnow() - timedelta(days=5))
    log_in(client, mentor)
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                    "total_phases": "1", "phase": "overall"})
    assert resp.status_code == 303 and reviews() == 1


def test_admin_cannot_reassign_a_submission_to_its_own_learner(client):
    admin, learner = make_user("admin"), make_user("mentor")
    cap = submitted_capstone(learner)
    log_in(client, admin)
    resp = client.post(f"/mentorship/queue/capstone/{cap.id}/reassign", data={"mentor_email": learner.email})
    assert resp.status_code == 422 and "own work" in resp.text
    assert cap_state(cap.id)[0] is None
