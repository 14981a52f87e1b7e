"""services.reviews and services.queue: the rules with a database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import Conflict, Forbidden, Invalid
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneActivity, MentorshipInteraction, PortfolioItem
from webapp.models.base import utcnow
from webapp.services import queue as queue_service
from webapp.services import reviews as service

from ..factories import assign, make_mission, make_user
from .helpers import make_attempt, make_recipe, reload, setup_review, snapshot, submitted_capstone

MI = MentorshipInteraction


def count_reviews() -> int:
    return db.session.scalar(select(func.count()).select_from(MI))


def test_create_first_review_fixes_total_phases():
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    review = service.create(mentor, capstone_id=cap.id, review_phase=1, phase="investigation", total_phases=3)
    assert (review.total_phases, review.learner_id, review.mission_id) == (3, learner.id, cap.mission_id)


@pytest.mark.parametrize("phase, total", [(2, 3), (1, 0), (1, 6), (1, None)])
def test_create_first_review_bad_phase_or_total_is_refused(phase, total):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    with pytest.raises((Conflict, Invalid)):
        service.create(mentor, capstone_id=cap.id, review_phase=phase, total_phases=total)
    assert count_reviews() == 0


def test_create_repeated_or_skipped_phase_is_409():
    learner, mentor, cap, first = setup_review(total_phases=3, status="submitted", submitted_at=utcnow())
    for phase in (1, 3):
        with pytest.raises(Conflict):
            service.create(mentor, capstone_id=cap.id, review_phase=phase)
    assert count_reviews() == 1
    assert service.create(mentor, capstone_id=cap.id, review_phase=2).total_phases == 3


def test_create_next_phase_while_previous_is_draft_is_409():
    learner, mentor, cap, first = setup_review(total_phases=2)
    with pytest.raises(Conflict, match="earlier review phase"):
        service.create(mentor, capstone_id=cap.id, review_phase=2)


def test_create_for_capstone_not_submitted_is_409():
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    from ..factories import make_capstone

    cap = make_capstone(learner, make_mission(), done=PHASES[:2])
    with pytest.raises(Conflict):
        service.create(mentor, capstone_id=cap.id, review_phase=1, total_phases=1)


def test_create_by_unassigned_mentor_is_403_until_claimed():
    learner, other = make_user("learner"), make_user("mentor")
    cap = submitted_capstone(learner)
    with pytest.raises(Forbidden):
        service.create(other, capstone_id=cap.id, review_phase=1, total_phases=1)
    service.claim(other, "capstone", cap.id)
    assert service.create(other, capstone_id=cap.id, review_phase=1, total_phases=1).mentor_id == other.id


def test_claim_expires_after_configured_hours_without_activity(app):
    learner, first, second = make_user("learner"), make_user("mentor"), make_user("mentor")
    cap = submitted_capstone(learner)
    service.claim(first, "capstone", cap.id)
    with pytest.raises(Conflict):
        service.claim(second, "capstone", cap.id)
    review = service.create(first, capstone_id=cap.id, review_phase=1, total_phases=1)
    # Saving a draft is activity: it renews the claim.
    cap.claimed_at = utcnow() - timedelta(hours=47)
    db.session.commit()
    service.save_draft(review, {"written_feedback": "Working on it"}, first)
    assert reload(cap).claimed_at > utcnow() - timedelta(minutes=1)
    # Idle past REVIEW_CLAIM_HOURS: the claim lapses, the first mentor loses edit rights, another may claim.
    app.config["REVIEW_CLAIM_HOURS"] = 2
    try:
        cap = reload(cap)
        cap.claimed_at = utcnow() - timedelta(hours=3)
        db.session.commit()
        with pytest.raises(Forbidden):
            service.save_draft(reload(review), {"written_feedback": "late"}, first)
        assert reload(review).written_feedback == "Working on it"
        service.claim(second, "capstone", cap.id)
        assert reload(cap).claimed_by_id == second.id
    finally:
        app.config["REVIEW_CLAIM_HOURS"] = 48


def test_save_draft_bad_inputs_are_422_and_change_nothing():
    learner, mentor, cap, review = setup_review()
    make_recipe("known")
    before = snapshot(review)
    bad = [
        {"rubric_scores": {"style": 2}},
        {"rubric_scores": {"containment": 7}},
        {"feedback_per_subtask": {"99": "x"}},
        {"feedback_per_decision": {"nuke": "x"}},
        {"subtask_scores": {"1": 140}},
        {"overall_score": "-3"},
        {"overall_score": "50.123"},
        {"recommended_next_steps": [{"title": "Late", "priority": "low",
                                     "deadline": (utcnow() - timedelta(days=1)).date().isoformat()}]},
        {"recommended_recipes": ["no-such-recipe"]},
        {"meeting_duration_minutes": "0"},
        {"phase": "mentor_review"},
    ]
    for data in bad:
        with pytest.raises(Invalid) as exc:
            service.save_draft(reload(review), {"written_feedback": "new", **data}, mentor)
        assert exc.value.fields, data
        assert snapshot(review) == before, data


def test_save_draft_stale_version_is_409_and_keeps_the_other_save():
    learner, mentor, cap, review = setup_review()
    version = review.version_id
    service.save_draft(review, {"written_feedback": "Tab A"}, mentor, version)
    with pytest.raises(service.StaleReview) as exc:
        service.save_draft(reload(review), {"written_feedback": "Tab B"}, mentor, version)
    assert "another tab" in exc.value.message
    assert reload(review).written_feedback == "Tab A"


def test_submitted_review_is_immutable():
    learner, mentor, cap, review = setup_review(total_phases=2)
    service.submit(review, mentor)
    before = snapshot(review)
    with pytest.raises(Conflict):
        service.save_draft(reload(review), {"written_feedback": "changed"}, mentor)
    with pytest.raises(Conflict):
        service.submit(reload(review), mentor)
    assert snapshot(review) == before


def test_approve_sets_capstone_fields_and_creates_draft_capstone_result():
    learner, mentor, cap, first = setup_review(total_phases=2, phase="investigation", overall_score=70)
    service.submit(first, mentor)
    second = service.create(mentor, capstone_id=cap.id, review_phase=2)
    service.upload_media(second, mentor, __import__("io").BytesIO(__import__("tests.media_samples", fromlist=["sample"])
                                                                   .sample("webm-audio")), "note.webm", "audio")
    service.submit(reload(second), mentor, overall_score="91.25", decision="approve")
    c = reload(cap)
    assert c.mentor_approved and c.mentor_final_score == pytest.approx(91.25) and c.mentor_reviewed_at
    assert [p["review_phase"] for p in c.mentor_review_phases] == [1, 2]
    assert c.mentor_review_phases[1]["decision"] == "approve"
    assert c.mentor_feedback_audio_url == reload(second).audio_feedback_url is not None
    assert db.session.scalar(select(CapstoneActivity).where(CapstoneActivity.action == "approved")) is not None
    item = db.session.scalars(select(PortfolioItem)).one()
    assert (item.title, item.item_type, item.status, item.owner_id, item.capstone_id, item.mission_id) == (
        f"Capstone: {c.mission.title}", "capstone_result", "draft", learner.id, cap.id, cap.mission_id)
    assert item.skill_tags == c.mission.skills
    assert queue_service.entries(mentor) == []


def test_request_changes_reopens_phases_and_leaves_the_queue():
    learner, mentor, cap, review = setup_review(total_phases=1)
    with pytest.raises(Invalid):
        service.submit(review, mentor, overall_score=40, decision="request_changes")
    assert reload(review).status == "draft"
    service.submit(reload(review), mentor, overall_score=40, decision="request_changes", reopen_phases=["reporting"])
    c = reload(cap)
    assert c.reporting_completed_at is None and c.presentation_completed_at is None
    assert c.design_remediation_completed_at is not None and c.submitted_at is None and not c.mentor_approved
    assert reload(review).reopen_phases == ["reporting"]
    assert queue_service.entries(mentor) == []
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_attempt_review_last_phase_completes_without_capstone_fields():
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow() - timedelta(hours=2))
    assert [e.kind for e in queue_service.entries(mentor)] == ["attempt"]
    review = service.create(mentor, attempt_id=attempt.id, review_phase=1, total_phases=1)
    with pytest.raises(Invalid):
        service.submit(review, mentor)
    service.submit(reload(review), mentor, overall_score=75)
    assert reload(review).status == "submitted"
    assert queue_service.entries(mentor) == []
    assert queue_service.typical_review_hours() == pytest.approx(2, abs=0.1)


def test_learner_acknowledges_and_ticks_steps_of_submitted_review_only():
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    learner, mentor, cap, review = setup_review(total_phases=2, recommended_next_steps=[
        {"title": "Read", "priority": "low", "deadline": day}])
    with pytest.raises(Forbidden):
        service.acknowledge(review.id, learner)        # a draft is not the learner's to see
    service.submit(review, mentor)
    with pytest.raises(Forbidden):
        service.acknowledge(review.id, mentor)
    assert service.acknowledge(review.id, learner).acknowledged_at is not None
    assert service.toggle_step(review.id, learner, 0).next_steps_done == [0]
    assert service.toggle_step(review.id, learner, 0).next_steps_done == []


def test_reassign_by_admin_moves_claim_and_drafts():
    learner, admin, target = make_user("learner"), make_user("admin"), make_user("mentor")
    cap = submitted_capstone(learner)
    draft = service.create(admin, capstone_id=cap.id, review_phase=1, total_phases=1)
    with pytest.raises(Forbidden):
        service.reassign(target, "capstone", cap.id, target.email)
    with pytest.raises(Invalid):
        service.reassign(admin, "capstone", cap.id, learner.email)
    service.reassign(admin, "capstone", cap.id, target.email.upper())
    assert reload(cap).claimed_by_id == target.id and reload(draft).mentor_id == target.id


def test_queue_shows_assigned_claimable_and_hides_others_claims():
    mine, theirs, free = make_user("learner"), make_user("learner"), make_user("learner")
    me, other = make_user("mentor"), make_user("mentor")
    assign(me, mine)
    a = submitted_capstone(mine, hours_ago=1)
    b = submitted_capstone(theirs, hours_ago=10, claimed_by_id=other.id, claimed_at=utcnow())
    c = submitted_capstone(free, hours_ago=5)
    rows = queue_service.entries(me)
    assert [(e.subject.id, e.relation) for e in rows] == [(c.id, "claimable"), (a.id, "assigned")]
    assert queue_service.mentor_badge_count(me) == 1
    admin_rows = queue_service.entries(make_user("admin"))
    assert [e.subject.id for e in admin_rows] == [b.id, c.id, a.id]
    assert [e.subject.id for e in queue_service.entries(me, track="grc")] == []


def test_overdue_next_steps_reach_the_mentor():
    learner, mentor, cap, review = setup_review(total_phases=2)
    review.recommended_next_steps = [{"title": "Old", "priority": "high", "deadline": "2020-01-01"},
                                     {"title": "Done", "priority": "low", "deadline": "2020-01-01"}]
    review.next_steps_done = [1]
    review.status = "submitted"
    db.session.commit()
    rows = queue_service.overdue_steps(mentor)
    assert [(o.step["title"], o.index) for o in rows] == [("Old", 0)]
    assert queue_service.overdue_steps(make_user("mentor")) == []


def test_refused_media_leaves_no_file_and_no_url():
    import io

    from webapp.models import StoredFile

    learner, mentor, cap, review = setup_review()
    with pytest.raises(Exception) as exc:
        service.upload_media(review, mentor, io.BytesIO(b"<html>not audio</html>"), "x.webm", "audio")
    assert getattr(exc.value, "status", None) == 415
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert reload(review).audio_feedback_url is None


def test_review_claim_hours_comes_from_the_environment():
    from webapp.config import ConfigError, defaults, load_config

    assert defaults()["REVIEW_CLAIM_HOURS"] == 48
    assert load_config({"REVIEW_CLAIM_HOURS": "12"})["REVIEW_CLAIM_HOURS"] == 12
    with pytest.raises(ConfigError):
        load_config({"REVIEW_CLAIM_HOURS": "soon"})


def test_queue_limits_other_submissions_but_always_shows_my_learners_and_counts_everything():
    me = make_user("mentor")
    mine = make_user("learner")
    assign(me, mine)
    own = submitted_capstone(mine, hours_ago=1)                       # the newest, but mine
    others = [submitted_capstone(make_user("learner"), hours_ago=10 + i) for i in range(4)]
    rows = queue_service.entries(me, limit=2)
    # mine, then the two others waiting longest; the limit is on others only
    assert {e.subject.id for e in rows} == {own.id, others[3].id, others[2].id}
    assert queue_service.waiting_count(me) == 5
    # more of my own learners than the limit: every one of them is shown, and still two others
    more_mine = []
    for _ in range(3):
        learner = make_user("learner")
        assign(me, learner)
        more_mine.append(submitted_capstone(learner, hours_ago=2))
    rows = queue_service.entries(me, limit=2)
    assert {e.subject.id for e in rows} == {own.id, *(c.id for c in more_mine), others[3].id, others[2].id}
    assert queue_service.waiting_count(me) == 8
