"""Submitting one review phase from two places at once (the assigned mentor and an admin): exactly one decision
counts, the capstone follows it, and the other gets 409 saying the phase was already submitted."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.concurrency.conftest import browser, play, race
from tests.factories import assign, make_mission, make_review, make_user
from tests.mentorship.helpers import submitted_capstone
from webapp.extensions import db
from webapp.models import CapstoneActivity, CapstoneProject, MentorshipInteraction, PortfolioItem


def test_two_final_decisions_on_one_review_phase_at_once_one_counts(served, rounds):
    mission = make_mission()
    mentor, admin = make_user("mentor"), make_user("admin")
    b_mentor, b_admin = browser(served, mentor), browser(served, admin)

    def one_round(n):
        learner = make_user("learner")
        assign(mentor, learner)
        cap = submitted_capstone(learner, mission)
        review_id, cap_id = make_review(mentor, cap, total_phases=1, review_phase=1, overall_score=80).id, cap.id
        approve, change = race(
            lambda: b_mentor.post(f"/mentorship/reviews/{review_id}/submit", data={"decision": "approve"}),
            lambda: b_admin.post(f"/mentorship/reviews/{review_id}/submit",
                                 data={"decision": "request_changes", "reopen_phases": "reporting"}))
        assert sorted([approve.status_code, change.status_code]) == [303, 409], (n, approve.status_code,
                                                                                  change.status_code)
        db.session.expire_all()
        review = db.session.get(MentorshipInteraction, review_id)
        cap = db.session.get(CapstoneProject, cap_id)
        items = db.session.scalar(select(func.count()).select_from(PortfolioItem)
                                  .where(PortfolioItem.capstone_id == cap_id))
        actions = db.session.scalars(select(CapstoneActivity.action).where(CapstoneActivity.capstone_id == cap_id)
                                     .order_by(CapstoneActivity.id)).all()
        assert review.status == "submitted"
        if approve.status_code == 303:
            assert (review.decision, cap.mentor_approved, items, actions) == ("approve", True, 1, ["approved"])
            assert "This review phase was already submitted: the capstone is approved." in change.text
        else:
            assert (review.decision, cap.mentor_approved, cap.submitted_at, items, actions) == (
                "request_changes", False, None, 0, ["reopened"])
            assert "This review phase was already submitted: changes were requested." in approve.text

    play(rounds, one_round)
