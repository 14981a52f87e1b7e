"""Each event of SPEC §12 writes a notification, in the transaction of the change, for the right people and
never for the one who acted; a change that rolls back writes none; deactivated users get none."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from webapp.domain.errors import Conflict
from webapp.extensions import db
from webapp.models import CapstoneProject, MissionAttempt, Notification
from webapp.models.base import utcnow
from webapp.services import attempts as attempt_service
from webapp.services import capstones as capstone_service
from webapp.services import notifications as service
from webapp.services import portfolio as portfolio_service
from webapp.services import reviews as review_service
from webapp.services.actors import actor_for

from ..factories import assign, make_item, make_mission, make_user
from ..mentorship.helpers import make_attempt, reload, setup_review
from .helpers import ready_capstone, rows


def test_a_submitted_capstone_tells_the_learners_mentors_for_its_track_and_nobody_else():
    learner = make_user("learner", display_name="Ada")
    mentor, grc_mentor, other_mentor = make_user("mentor"), make_user("mentor"), make_user("mentor")
    assign(mentor, learner)                     # every track
    assign(grc_mentor, learner, "grc")          # another track than the mission's (defender)
    assign(other_mentor, make_user("learner"), "defender")
    mission = make_mission(title="Ransomware at Acme")
    cap = ready_capstone(learner, mission)
    capstone_service.complete_phase(cap, "presentation", learner)
    assert rows() == [(mentor.id, "capstone_submitted", "capstone", cap.id, learner.id)]
    n = db.session.scalars(db.select(Notification)).one()
    assert n.title == "Ada submitted the capstone “Ransomware at Acme” for review" and n.read_at is None


def test_work_nobody_is_assigned_to_reaches_the_mentors_of_its_track():
    learner = make_user("learner")
    defender, every_track, grc = make_user("mentor"), make_user("mentor"), make_user("mentor")
    assign(defender, make_user("learner"), "defender")
    assign(every_track, make_user("learner"))
    assign(grc, make_user("learner"), "grc")
    make_user("mentor")                          # mentors nobody: not a mentor of the track
    cap = ready_capstone(learner, make_mission())
    capstone_service.complete_phase(cap, "presentation", learner)
    assert sorted(r[0] for r in rows()) == sorted([defender.id, every_track.id])


def test_deactivated_mentors_are_not_told_and_do_not_count_as_assigned():
    learner = make_user("learner")
    gone = make_user("mentor", is_active=False)
    assign(gone, learner)
    track_mentor = make_user("mentor")
    assign(track_mentor, make_user("learner"), "defender")
    cap = ready_capstone(learner, make_mission())
    capstone_service.complete_phase(cap, "presentation", learner)
    assert [r[0] for r in rows()] == [track_mentor.id]


def test_an_attempt_sent_for_review_tells_the_mentor_once():
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission())
    attempt_service.request_review(attempt, actor_for(learner))
    attempt_service.request_review(db.session.get(MissionAttempt, attempt.id), actor_for(learner))   # asked again
    assert rows() == [(mentor.id, "attempt_submitted", "attempt", attempt.id, learner.id)]


def test_an_intermediate_review_phase_is_shared_with_the_learner_not_the_mentor():
    learner, mentor, cap, review = setup_review(total_phases=2)
    review_service.submit(review, mentor)
    assert rows() == [(learner.id, "review_shared", "review", review.id, mentor.id)]


def test_approval_and_changes_requested_tell_the_learner_about_the_capstone():
    learner, mentor, cap, review = setup_review(total_phases=1)
    review_service.submit(review, mentor, overall_score=90, decision="approve")
    assert rows() == [(learner.id, "capstone_approved", "capstone", cap.id, mentor.id)]

    learner2, mentor2, cap2, review2 = setup_review(total_phases=1)
    review_service.submit(review2, mentor2, overall_score=40, decision="request_changes", reopen_phases=["reporting"])
    assert rows("changes_requested") == [(learner2.id, "changes_requested", "capstone", cap2.id, mentor2.id)]


def test_changes_requested_on_an_attempt_link_to_the_review():
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow())
    review = review_service.create(mentor, attempt_id=attempt.id, total_phases=1)
    review_service.submit(review, mentor, overall_score=50, decision="request_changes")
    assert rows() == [(learner.id, "changes_requested", "review", review.id, mentor.id)]


def test_an_admin_reviewing_their_own_learners_work_is_the_actor_and_is_not_told():
    learner = make_user("learner")
    admin = make_user("admin")
    assign(admin, learner)
    cap = ready_capstone(learner, make_mission())
    capstone_service.complete_phase(cap, "presentation", learner)
    assert [r[0] for r in rows()] == [admin.id]
    # The learner acts on their own work: they are never told of their own submission.
    assert learner.id not in [r[0] for r in rows()]


def test_portfolio_decisions_tell_the_owner():
    owner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, owner)
    approved = make_item(owner, title="Write-up", summary="s", status="submitted")
    sent_back = make_item(owner, title="Notes", summary="s", status="submitted")
    portfolio_service.review_item(actor_for(mentor), approved, "approve")
    portfolio_service.review_item(actor_for(mentor), sent_back, "request_changes", "Add sources.")
    assert rows() == [(owner.id, "portfolio_approved", "portfolio_item", approved.id, mentor.id),
                      (owner.id, "portfolio_sent_back", "portfolio_item", sent_back.id, mentor.id)]


def test_a_deactivated_learner_gets_no_notification():
    learner, mentor, cap, review = setup_review(total_phases=2)
    learner.is_active = False
    db.session.commit()
    review_service.submit(reload(review), mentor)
    assert rows() == []


def test_a_change_that_rolls_back_writes_no_notification():
    """The capstone's submission loses to a concurrent write (its version moved on): the request rolls back, and
    the notification it had added goes with it."""
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    cap = ready_capstone(learner, make_mission())
    loaded = db.session.get(CapstoneProject, cap.id)
    with db.engine.begin() as conn:           # another request saves the capstone meanwhile
        conn.execute(update(CapstoneProject).where(CapstoneProject.id == cap.id)
                     .values(version_id=CapstoneProject.version_id + 1))
    with pytest.raises(Conflict):
        capstone_service.complete_phase(loaded, "presentation", learner)
    assert rows() == []
    assert reload(cap).submitted_at is None


def test_notify_adds_to_the_session_and_never_commits():
    learner = make_user("learner")
    mentor = make_user("mentor")
    cap = ready_capstone(learner, make_mission())
    made = service.notify([mentor, learner.id, None], "capstone_submitted", cap, learner, what="M")
    assert [n.user_id for n in made] == [mentor.id]          # the actor and nobody are dropped
    db.session.rollback()
    assert rows() == []
