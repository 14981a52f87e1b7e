"""Database constraints and the model methods the SPEC names (§1, §2, §4, §5). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tests import factories
from webapp.domain.errors import Invalid
from webapp.domain.mission_rules import check_mission
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, MentorAssignment, MentorshipInteraction, Mission, User


def assert_integrity_error(obj) -> None:
    """Adding `obj` is refused by the database; the session is usable again afterwards."""
    db.session.add(obj)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def count(model) -> int:
    return len(db.session.scalars(select(model)).all())


def new_user(**fields) -> User:
    values = {"email": "someone@example.com", "handle": "someone", "display_name": "Someone",
              "password_hash": factories._HASH, "role": "learner"}
    values.update(fields)
    return User(**values)


# ---- unique constraints ------------------------------------------------------------------------------------

def test_user_duplicate_email_is_integrity_error():
    factories.make_user(email="dup@example.com")
    assert_integrity_error(new_user(email="dup@example.com", handle="another"))
    assert count(User) == 1


def test_user_upper_case_email_is_integrity_error():
    assert_integrity_error(new_user(email="Mixed@Example.com"))
    assert count(User) == 0


def test_user_duplicate_handle_is_integrity_error():
    factories.make_user(handle="taken")
    assert_integrity_error(new_user(email="other@example.com", handle="taken"))
    assert count(User) == 1


def test_mission_duplicate_slug_is_integrity_error():
    original = factories.make_mission(slug="only-once", title="Original").title
    data = check_mission(factories.mission_data(slug="only-once", title="Another"), None)
    assert_integrity_error(Mission(**data))
    assert [m.title for m in db.session.scalars(select(Mission))] == [original]


def test_capstone_second_for_same_learner_and_mission_is_integrity_error():
    learner = factories.make_user()
    mission = factories.make_mission()
    factories.make_capstone(learner, mission)
    assert_integrity_error(CapstoneProject(learner_id=learner.id, mission_id=mission.id))
    assert count(CapstoneProject) == 1


def test_capstone_same_mission_for_other_learner_is_stored():
    mission = factories.make_mission()
    factories.make_capstone(factories.make_user(), mission)
    factories.make_capstone(factories.make_user(), mission)
    assert count(CapstoneProject) == 2


def test_mentor_assignment_duplicate_for_one_track_is_integrity_error():
    mentor, learner = factories.make_user("mentor"), factories.make_user()
    factories.assign(mentor, learner, track="grc")
    assert_integrity_error(MentorAssignment(mentor_id=mentor.id, learner_id=learner.id, track="grc"))
    assert count(MentorAssignment) == 1


def test_mentor_assignment_duplicate_for_all_tracks_is_integrity_error():
    mentor, learner = factories.make_user("mentor"), factories.make_user()
    factories.assign(mentor, learner)
    assert_integrity_error(MentorAssignment(mentor_id=mentor.id, learner_id=learner.id, track=None))
    assert count(MentorAssignment) == 1


# ---- CHECK constraints -------------------------------------------------------------------------------------

def test_user_bad_role_is_integrity_error():
    assert_integrity_error(new_user(role="superuser"))
    assert count(User) == 0


def test_mission_bad_track_is_integrity_error():
    data = check_mission(factories.mission_data(), None)
    data["track"] = "purple"
    assert_integrity_error(Mission(**data))
    assert count(Mission) == 0


def test_mission_bad_tier_is_integrity_error():
    data = check_mission(factories.mission_data(), None)
    data["tier"] = "expert"
    assert_integrity_error(Mission(**data))
    assert count(Mission) == 0


def test_capstone_final_score_101_is_integrity_error():
    learner, mission = factories.make_user(), factories.make_mission()
    assert_integrity_error(CapstoneProject(learner_id=learner.id, mission_id=mission.id,
                                           mentor_final_score=Decimal("101")))
    assert count(CapstoneProject) == 0


def test_capstone_final_score_100_is_stored_with_two_decimals():
    learner, mission = factories.make_user(), factories.make_mission()
    cap = factories.make_capstone(learner, mission, mentor_final_score=Decimal("99.99"))
    db.session.expire_all()
    assert db.session.get(CapstoneProject, cap.id).mentor_final_score == Decimal("99.99")


def test_capstone_bad_presentation_type_is_integrity_error():
    learner, mission = factories.make_user(), factories.make_mission()
    assert_integrity_error(CapstoneProject(learner_id=learner.id, mission_id=mission.id, presentation_type="podcast"))
    assert count(CapstoneProject) == 0


def test_mentor_assignment_to_self_is_integrity_error():
    mentor = factories.make_user("mentor")
    assert_integrity_error(MentorAssignment(mentor_id=mentor.id, learner_id=mentor.id))
    assert count(MentorAssignment) == 0


def test_mentor_assignment_unknown_track_is_integrity_error():
    mentor, learner = factories.make_user("mentor"), factories.make_user()
    assert_integrity_error(MentorAssignment(mentor_id=mentor.id, learner_id=learner.id, track="purple"))
    assert count(MentorAssignment) == 0


@pytest.fixture
def review_parties():
    mentor = factories.make_user(role="mentor")
    learner = factories.make_user()
    capstone = factories.make_capstone(learner, factories.make_mission())
    return mentor, capstone


def new_review(mentor, capstone, **fields) -> MentorshipInteraction:
    return MentorshipInteraction(mentor_id=mentor.id, learner_id=capstone.learner_id, mission_id=capstone.mission_id,
                                 capstone_id=capstone.id, **fields)


@pytest.mark.parametrize("fields", [
    {"review_phase": 0},
    {"total_phases": 6, "review_phase": 1},
    {"total_phases": 0, "review_phase": 1},
    {"total_phases": 2, "review_phase": 3},
    {"status": "published"},
    {"decision": "maybe"},
    {"overall_score": Decimal("100.01")},
], ids=["review_phase_0", "total_phases_6", "total_phases_0", "phase_beyond_total", "bad_status", "bad_decision",
        "overall_over_100"])
def test_review_check_constraint_violation_is_integrity_error(review_parties, fields):
    mentor, capstone = review_parties
    assert_integrity_error(new_review(mentor, capstone, **fields))
    assert count(MentorshipInteraction) == 0


def test_review_second_with_same_phase_is_integrity_error(review_parties):
    mentor, capstone = review_parties
    factories.make_review(mentor, capstone, review_phase=1, total_phases=2)
    assert_integrity_error(new_review(mentor, capstone, review_phase=1, total_phases=2))
    assert count(MentorshipInteraction) == 1


# ---- CapstoneProject phase methods -------------------------------------------------------------------------

def test_capstone_get_current_phase_follows_completion_timestamps():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission())
    assert cap.get_current_phase() == "investigation"
    for i, phase in enumerate(PHASES):
        assert not cap.is_phase_complete(phase)
        setattr(cap, f"{phase}_completed_at", datetime(2026, 1, 1, 9, i, tzinfo=UTC))
        db.session.commit()
        db.session.expire_all()
        cap = db.session.get(CapstoneProject, cap.id)
        assert cap.is_phase_complete(phase)
        expected = PHASES[i + 1] if i + 1 < len(PHASES) else "mentor_review"
        assert cap.get_current_phase() == expected
    cap.mentor_approved = True
    db.session.commit()
    assert cap.get_current_phase() == "completed"


def test_capstone_cleared_timestamp_reopens_phase():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission(), done=PHASES)
    assert cap.get_current_phase() == "mentor_review"
    cap.reporting_completed_at = None
    cap.presentation_completed_at = None
    db.session.commit()
    assert cap.get_current_phase() == "reporting"
    assert cap.is_phase_complete("design_remediation") and not cap.is_phase_complete("reporting")


def test_capstone_is_phase_complete_unknown_phase_is_invalid():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission())
    with pytest.raises(Invalid):
        cap.is_phase_complete("mentor_review")


def test_capstone_missing_fields_reads_its_columns():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission())
    assert set(cap.missing_fields("reporting")) == {"report_summary", "report_key_findings"}
    cap.remediation_plan = "Segment the network."
    assert cap.missing_fields("design_remediation") == {}


# ---- MentorshipInteraction methods -------------------------------------------------------------------------

@pytest.mark.parametrize(("review_phase", "total", "multi", "following"), [
    (1, 1, False, None), (1, 3, True, 2), (2, 3, True, 3), (3, 3, True, None), (4, 5, True, 5),
])
def test_review_phase_methods_follow_phase_and_total(review_parties, review_phase, total, multi, following):
    mentor, capstone = review_parties
    review = factories.make_review(mentor, capstone, review_phase=review_phase, total_phases=total)
    db.session.expire_all()
    review = db.session.get(MentorshipInteraction, review.id)
    assert review.is_multi_phase() is multi
    assert review.get_next_phase() == following


# ---- optimistic locking ------------------------------------------------------------------------------------

def test_capstone_stale_write_from_second_session_is_stale_data_error():
    cap_id = factories.make_capstone(factories.make_user(), factories.make_mission()).id
    db.session.remove()
    with Session(db.engine) as first, Session(db.engine) as second:
        mine = first.get(CapstoneProject, cap_id)
        theirs = second.get(CapstoneProject, cap_id)
        assert mine.version_id == theirs.version_id == 1
        mine.remediation_plan = "Saved first"
        first.commit()
        theirs.remediation_plan = "Saved from a stale tab"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    stored = db.session.get(CapstoneProject, cap_id)
    assert stored.remediation_plan == "Saved first"
    assert stored.version_id == 2


# ---- UTCDateTime -------------------------------------------------------------------------------------------

def test_utc_datetime_default_is_read_back_aware_utc():
    user = factories.make_user()
    db.session.expire_all()
    created = db.session.get(User, user.id).created_at
    assert created.tzinfo is not None
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_utc_datetime_other_zone_is_stored_as_same_instant_in_utc():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission())
    cap.investigation_completed_at = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(CapstoneProject, cap.id).investigation_completed_at
    assert stored == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_utc_datetime_naive_value_is_taken_as_utc():
    cap = factories.make_capstone(factories.make_user(), factories.make_mission())
    cap.submitted_at = datetime(2026, 3, 1, 8, 0)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(CapstoneProject, cap.id).submitted_at
    assert stored == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert stored.tzinfo is not None
