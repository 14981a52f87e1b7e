"""The mentorship-interaction endpoints of SPEC §8, with the same rules as the pages."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import MentorshipInteraction, PortfolioItem, StoredFile
from webapp.models.base import utcnow

from ..factories import assign, make_mission, make_token, make_user
from ..media_samples import sample
from .helpers import make_attempt, reload, setup_review, snapshot, submitted_capstone

API = "/api/v1/mentorship-interactions"


def bearer(user) -> dict:
    _, secret = make_token(user)
    return {"Authorization": f"Bearer {secret}"}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(MentorshipInteraction))


def test_openapi_documents_every_mentorship_path(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    listing = next(v for k, v in paths.items() if k.endswith("/mentorship-interactions"))
    assert {"get", "post"} <= set(listing)
    keys = [k for k in paths if "mentorship-interactions" in k]
    joined = " ".join(keys)
    for suffix in ("mentorship-interactions", "{review_id}", "{review_id}/media", "{review_id}/submit"):
        assert suffix in joined
    item = next(v for k, v in paths.items() if k.endswith("mentorship-interactions/{review_id}"))
    assert {"get", "patch"} <= set(item)


def test_create_with_a_bad_draft_field_is_one_transaction_and_leaves_nothing_behind(client):
    """Creating a review phase with draft fields is one use case: when a field is refused (422), neither the
    review nor the claim's activity time is written (it was a create, a commit, then a compensating delete)."""
    from datetime import timedelta

    from tests.snapshots import database_snapshot

    mentor = make_user("mentor")
    cap = submitted_capstone()
    cap.claimed_by_id, cap.claimed_at = mentor.id, utcnow() - timedelta(minutes=30)
    db.session.commit()
    auth = bearer(mentor)
    assert client.get("/api/v1/me", headers=auth).status_code == 200   # the token's first use is recorded
    before = database_snapshot()
    resp = client.post(API, json={"capstone": cap.id, "review_phase": 1, "total_phases": 1,
                                  "written_feedback": "Start", "rubric_scores": {"no-such-criterion": 4}},
                       headers=auth)
    assert resp.status_code == 422, resp.get_json()
    assert "rubric_scores" in " ".join(resp.get_json()["error"]["fields"])
    assert database_snapshot() == before
    good = client.post(API, json={"capstone": cap.id, "review_phase": 1, "total_phases": 1,
                                  "written_feedback": "Start"}, headers=auth)
    assert good.status_code == 201 and good.get_json()["written_feedback"] == "Start"
    assert count() == 1


def test_create_patch_media_submit_approve_through_the_api(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    auth = bearer(mentor)
    resp = client.post(API, json={"capstone": cap.id, "review_phase": 1, "phase": "investigation",
                                  "total_phases": 2, "written_feedback": "Start"}, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["learner"]["id"], body["mission"]["slug"], body["total_phases"], body["status"]) == (
        learner.id, cap.mission.slug, 2, "draft")
    rid = body["id"]
    resp = client.patch(f"{API}/{rid}", json={"rubric_scores": {"containment": 4}, "version": body["version"]},
                        headers=auth)
    assert resp.status_code == 200 and resp.get_json()["rubric_total"] == 100.0
    stale = client.patch(f"{API}/{rid}", json={"written_feedback": "old tab", "version": body["version"]},
                         headers=auth)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    media = client.post(f"{API}/{rid}/media", headers=auth,
                        data={"kind": "audio", "file": (io.BytesIO(sample("webm-audio")), "a.webm")})
    assert media.status_code == 201, media.get_json()
    m = media.get_json()
    row = db.session.scalars(select(StoredFile)).one()
    assert m["audio_duration_seconds"] == row.duration_seconds and m["audio_feedback_url"].endswith(row.key)
    assert row.owner_id == learner.id
    assert client.post(f"{API}/{rid}/submit", json={}, headers=auth).status_code == 200
    assert client.patch(f"{API}/{rid}", json={"written_feedback": "x"}, headers=auth).status_code == 409
    skip = client.post(API, json={"capstone": cap.id, "review_phase": 3, "phase": "overall"}, headers=auth)
    assert skip.status_code == 409 and "2" in skip.get_json()["error"]["message"]
    second = client.post(API, json={"capstone": cap.id, "review_phase": 2, "phase": "overall"}, headers=auth)
    assert second.status_code == 201
    sid = second.get_json()["id"]
    missing = client.post(f"{API}/{sid}/submit", json={}, headers=auth)
    assert missing.status_code == 422 and {"overall_score", "decision"} <= set(missing.get_json()["error"]["fields"])
    done = client.post(f"{API}/{sid}/submit", json={"overall_score": 90.5, "decision": "approve"}, headers=auth)
    assert done.status_code == 200 and done.get_json()["decision"] == "approve"
    c = reload(cap)
    assert c.mentor_approved and float(c.mentor_final_score) == 90.5
    assert db.session.scalars(select(PortfolioItem)).one().item_type == "capstone_result"
    # The learner reads the submitted phases of their own work.
    mine = client.get(API, headers=bearer(learner)).get_json()
    assert mine["total"] == 2 and {i["status"] for i in mine["items"]} == {"submitted"}


def test_request_changes_through_the_api_reopens_phases(client):
    learner, mentor, cap, review = setup_review(total_phases=1)
    auth = bearer(mentor)
    no_phases = client.post(f"{API}/{review.id}/submit", json={"overall_score": 40, "decision": "request_changes"},
                            headers=auth)
    assert no_phases.status_code == 422 and "reopen_phases" in no_phases.get_json()["error"]["fields"]
    ok = client.post(f"{API}/{review.id}/submit", headers=auth,
                     json={"overall_score": 40, "decision": "request_changes", "reopen_phases": ["presentation"]})
    assert ok.status_code == 200
    c = reload(cap)
    assert c.presentation_completed_at is None and c.reporting_completed_at is not None and c.submitted_at is None


@pytest.mark.parametrize("body, status, field", [
    ({"rubric_scores": {"style": 3}}, 422, "rubric_scores.style"),
    ({"rubric_scores": {"containment": 9}}, 422, "rubric_scores.containment"),
    ({"feedback_per_subtask": {"42": "x"}}, 422, "feedback_per_subtask.42"),
    ({"feedback_per_decision": {"nope": "x"}}, 422, "feedback_per_decision.nope"),
    ({"subtask_scores": {"1": 101}}, 422, "subtask_scores.1"),
    ({"overall_score": -1}, 422, "overall_score"),
    ({"recommended_next_steps": [{"title": "x", "priority": "low", "deadline": "2001-01-01"}]}, 422,
     "recommended_next_steps.0.deadline"),
])
def test_patch_bad_input_is_refused_naming_the_field(client, body, status, field):
    learner, mentor, cap, review = setup_review()
    before = snapshot(review)
    resp = client.patch(f"{API}/{review.id}", json=body, headers=bearer(mentor))
    assert resp.status_code == status and field in resp.get_json()["error"]["fields"]
    assert snapshot(review) == before


def test_api_permissions_for_create_and_read(client):
    learner, mentor, cap, review = setup_review()
    stranger, other_learner = make_user("mentor"), make_user("learner")
    before = count()
    resp = client.post(API, json={"capstone": cap.id, "review_phase": 2}, headers=bearer(stranger))
    assert resp.status_code == 403 and count() == before
    assert client.get(f"{API}/{review.id}", headers=bearer(stranger)).status_code == 403
    assert client.get(f"{API}/{review.id}", headers=bearer(learner)).status_code == 403      # still a draft
    assert client.get(f"{API}/{review.id}", headers=bearer(other_learner)).status_code == 403
    resp = client.patch(f"{API}/{review.id}", json={"written_feedback": "x"}, headers=bearer(learner))
    assert resp.status_code == 403
    assert client.get(f"{API}/{review.id}").status_code == 401
    assert client.get(f"{API}/{review.id}", headers=bearer(make_user("admin"))).status_code == 200


def test_api_create_needs_capstone_or_attempt_and_derives_learner(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow())
    auth = bearer(mentor)
    assert client.post(API, json={"review_phase": 1, "total_phases": 1}, headers=auth).status_code == 422
    resp = client.post(API, json={"attempt": attempt.id, "review_phase": 1, "total_phases": 1}, headers=auth)
    assert resp.status_code == 201 and resp.get_json()["learner"]["id"] == learner.id
    resp = client.post(API, json={"attempt": 999, "review_phase": 1, "total_phases": 1}, headers=auth)
    assert resp.status_code == 404


def test_api_media_refused_by_files_layer(client):
    learner, mentor, cap, review = setup_review()
    resp = client.post(f"{API}/{review.id}/media", headers=bearer(mentor),
                       data={"kind": "audio", "file": (io.BytesIO(b"%PDF-1.4 not audio"), "a.mp3")})
    assert resp.status_code == 415 and db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    bad_kind = client.post(f"{API}/{review.id}/media", headers=bearer(mentor),
                           data={"kind": "image", "file": (io.BytesIO(sample("webm-audio")), "a.webm")})
    assert bad_kind.status_code == 422


def test_api_create_with_a_bad_field_creates_nothing(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    resp = client.post(API, json={"capstone": cap.id, "review_phase": 1, "total_phases": 1,
                                  "subtask_scores": {"1": 300}}, headers=bearer(mentor))
    assert resp.status_code == 422 and "subtask_scores.1" in resp.get_json()["error"]["fields"]
    assert count() == 0
