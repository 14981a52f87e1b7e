"""Time-based notifications (fire_due, `flask notifications due`) with a fixed now: each fires once per
dedupe key, for active users only."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.extensions import db
from webapp.services import notifications as service

from ..factories import make_user
from ..mentorship.helpers import make_attempt, setup_review, submitted_capstone
from .helpers import rows

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _steps():
    return [{"title": "Practise scoping", "priority": "high", "deadline": "2026-12-08"},       # due tomorrow
            {"title": "Read the SANS paper", "priority": "low", "deadline": "2026-12-01"},     # overdue
            {"title": "Ticked off", "priority": "low", "deadline": "2026-12-01"},             # done
            {"title": "Next week", "priority": "low", "deadline": "2026-12-14"},              # not yet
            {"title": "No deadline", "priority": "low", "deadline": None}]


def _reviewed_learner(**review_fields):
    learner, mentor, cap, review = setup_review(
        total_phases=2, status="submitted", submitted_at=NOW - timedelta(days=3), recommended_next_steps=_steps(),
        next_steps_done=[2], **review_fields)
    return learner, mentor, review


def test_steps_due_tomorrow_and_overdue_fire_once_each():
    learner, mentor, review = _reviewed_learner()
    assert service.fire_due(NOW) == {"step_due": 1, "step_overdue": 1, "claim_lapsing": 0}
    assert sorted(rows()) == [(learner.id, "step_due", "review", review.id, None),
                              (learner.id, "step_overdue", "review", review.id, None)]
    titles = sorted(n.title for n in db.session.scalars(db.select(service.Notification)))
    assert titles == ["A next step is due tomorrow: “Practise scoping”",
                      "A next step is overdue: “Read the SANS paper”"]
    # Run again, an hour later and the day after: nothing new for the same steps.
    assert service.fire_due(NOW + timedelta(hours=1)) == {"step_due": 0, "step_overdue": 0, "claim_lapsing": 0}
    # Two days later "Practise scoping" is overdue: a reminder of another kind, once.
    assert service.fire_due(NOW + timedelta(days=2, hours=1))["step_overdue"] == 1
    assert sorted(r[1] for r in rows()) == ["step_due", "step_overdue", "step_overdue"]
    service.fire_due(NOW + timedelta(days=2, hours=5))
    assert len(rows()) == 3


def test_a_draft_review_and_a_deactivated_learner_get_no_reminder():
    _reviewed_learner(is_scoring_meeting=False)
    learner, mentor, cap, draft = setup_review(total_phases=2, recommended_next_steps=_steps())   # a draft
    gone, _, _ = _reviewed_learner()
    gone.is_active = False
    db.session.commit()
    service.fire_due(NOW)
    told = {r[0] for r in rows()}
    assert learner.id not in told and gone.id not in told and len(told) == 1


def test_a_claim_about_to_lapse_warns_its_holder_once(app):
    holder = make_user("mentor")
    hours = app.config["REVIEW_CLAIM_HOURS"]          # 48: warned in the last 12 hours
    lapsing = submitted_capstone(claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=hours - 5))
    fresh = submitted_capstone(claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=2))
    lapsed = submitted_capstone(claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=hours + 1))
    attempt = make_attempt(make_user("learner"), lapsing.mission, review_requested_at=NOW - timedelta(days=3),
                           claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=hours - 1))
    assert service.fire_due(NOW)["claim_lapsing"] == 2
    assert sorted(rows()) == sorted([(holder.id, "claim_lapsing", "capstone", lapsing.id, None),
                                     (holder.id, "claim_lapsing", "attempt", attempt.id, None)])
    assert service.fire_due(NOW + timedelta(minutes=30))["claim_lapsing"] == 0
    assert fresh.id not in [r[3] for r in rows()] and lapsed.id not in [r[3] for r in rows()]


def test_a_claim_touched_again_may_warn_again_when_the_new_one_nears_its_end(app):
    holder = make_user("mentor")
    hours = app.config["REVIEW_CLAIM_HOURS"]
    cap = submitted_capstone(claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=hours - 5))
    service.fire_due(NOW)
    cap.claimed_at = NOW                    # the mentor saved a draft: the claim lives on
    db.session.commit()
    assert service.fire_due(NOW + timedelta(hours=hours - 5))["claim_lapsing"] == 1
    assert len(rows("claim_lapsing")) == 2


def test_a_deactivated_claim_holder_is_not_warned(app):
    holder = make_user("mentor", is_active=False)
    submitted_capstone(claimed_by_id=holder.id, claimed_at=NOW - timedelta(hours=app.config["REVIEW_CLAIM_HOURS"] - 5))
    assert service.fire_due(NOW)["claim_lapsing"] == 0


def test_the_cli_command_fires_what_is_due(runner):
    _reviewed_learner()
    result = runner.invoke(args=["notifications", "due", "--now", "2026-12-07T09:00"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "step due: 1, step overdue: 1, claim lapsing: 0."
    again = runner.invoke(args=["notifications", "due", "--now", "2026-12-07T10:00"])
    assert again.output.strip() == "step due: 0, step overdue: 0, claim lapsing: 0."
    bad = runner.invoke(args=["notifications", "due", "--now", "yesterday"])
    assert bad.exit_code == 2 and "not an ISO time" in bad.output
