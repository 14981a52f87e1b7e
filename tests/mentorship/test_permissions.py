"""The permission matrix of every state-changing review route: status AND an unchanged database on refusal."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction, StoredFile
from webapp.models.base import utcnow

from ..conftest import log_in
from ..factories import assign, make_review, make_user
from ..media_samples import sample
from .helpers import form_for, submitted_capstone

ROLES = ("anonymous", "owner", "other_learner", "assigned_mentor", "unassigned_mentor", "claiming_mentor", "admin")
# The claiming mentor's claim is live, so the assigned mentor (the review's author) reads the work but may not act
# on it until the claim lapses (issue 15 finding 7: a live claim by another mentor excludes all but admins).
EDITORS = {"claiming_mentor", "admin"}
READERS = EDITORS | {"assigned_mentor"}


def world(status: str = "draft"):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    users = {"owner": learner, "other_learner": make_user("learner"), "assigned_mentor": mentor,
             "unassigned_mentor": make_user("mentor"), "claiming_mentor": make_user("mentor"),
             "admin": make_user("admin")}
    cap = submitted_capstone(learner, claimed_by_id=users["claiming_mentor"].id, claimed_at=utcnow())
    review = make_review(mentor, cap, total_phases=2, status=status,
                         submitted_at=utcnow() if status == "submitted" else None,
                         recommended_next_steps=[{"title": "Read", "priority": "low", "deadline": None}])
    return users, cap, review


def state() -> tuple:
    reviews = db.session.execute(select(MentorshipInteraction.__table__)).all()
    caps = db.session.execute(select(CapstoneProject.__table__)).all()
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    return [tuple(r) for r in reviews], [tuple(c) for c in caps], files


def act(client, role, users):
    if role != "anonymous":
        log_in(client, users[role])


def check(resp, role, allowed_roles, ok_status, before):
    db.session.expire_all()
    if role in allowed_roles:
        assert resp.status_code == ok_status, (role, resp.status_code, resp.text[:300])
    else:
        expected = (302, 401) if role == "anonymous" else (403,)
        assert resp.status_code in expected, (role, resp.status_code, resp.text[:300])
        assert state() == before, role


@pytest.mark.parametrize("role", ROLES)
def test_create_review_permissions(client, role):
    users, cap, review = world()
    db.session.delete(review)
    db.session.commit()
    before = state()
    act(client, role, users)
    resp = client.post("/mentorship/reviews", data={"kind": "capstone", "subject_id": cap.id, "review_phase": "1",
                                                   "total_phases": "1", "phase": "overall"})
    check(resp, role, EDITORS, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_save_draft_permissions(client, role):
    users, cap, review = world()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, written_feedback="changed"))
    check(resp, role, EDITORS, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_media_upload_permissions(client, role):
    users, cap, review = world()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/reviews/{review.id}/media",
                       data={"kind": "audio", "file": (io.BytesIO(sample("webm-audio")), "note.webm")})
    check(resp, role, EDITORS, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_media_remove_permissions(client, role):
    users, cap, review = world()
    review.audio_feedback_url = "/files/x"
    db.session.commit()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/reviews/{review.id}/media/audio/remove")
    check(resp, role, EDITORS, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_submit_permissions(client, role):
    users, cap, review = world()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/reviews/{review.id}/submit", data=form_for(review))
    check(resp, role, EDITORS, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_edit_submitted_review_is_409_for_editors_403_for_others(client, role):
    users, cap, review = world(status="submitted")
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, written_feedback="changed"))
    db.session.expire_all()
    expected = {409} if role in EDITORS else ({302, 401} if role == "anonymous" else {403})
    assert resp.status_code in expected and state() == before


@pytest.mark.parametrize("role", ROLES)
def test_acknowledge_permissions(client, role):
    users, cap, review = world(status="submitted")
    before = state()
    act(client, role, users)
    check(client.post(f"/mentorship/reviews/{review.id}/acknowledge"), role, {"owner"}, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_toggle_step_permissions(client, role):
    users, cap, review = world(status="submitted")
    before = state()
    act(client, role, users)
    check(client.post(f"/mentorship/reviews/{review.id}/steps/0/toggle"), role, {"owner"}, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_claim_permissions(client, role):
    users, cap, review = world()
    cap.claimed_by_id, cap.claimed_at = None, None
    db.session.commit()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/queue/capstone/{cap.id}/claim")
    check(resp, role, {"assigned_mentor", "unassigned_mentor", "claiming_mentor", "admin"}, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_reassign_permissions(client, role):
    users, cap, review = world()
    before = state()
    act(client, role, users)
    resp = client.post(f"/mentorship/queue/capstone/{cap.id}/reassign",
                       data={"mentor_email": users["unassigned_mentor"].email})
    check(resp, role, {"admin"}, 303, before)


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_draft_review(client, role):
    users, cap, review = world()
    act(client, role, users)
    resp = client.get(f"/mentorship/reviews/{review.id}")
    expected = {200} if role in READERS else ({302, 401} if role == "anonymous" else {403})
    assert resp.status_code in expected
    if role in EDITORS:
        assert 'name="written_feedback"' in resp.text
    elif role in READERS:
        assert 'name="written_feedback"' not in resp.text


def test_csrf_is_required_for_review_writes(raw_client):
    users, cap, review = world()
    before = state()
    log_in(raw_client, users["assigned_mentor"])
    resp = raw_client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, written_feedback="x"))
    assert resp.status_code == 400 and state() == before
