"""services.capstones: the domain rules through the service, with the database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.capstones.helpers import VALUES, activities, capstone_for, reload, snapshot, world
from tests.factories import make_completed_attempt, make_mission, make_review, make_user
from webapp.domain.errors import Conflict, Forbidden, Invalid, NotFound
from webapp.domain.phases import PHASES, MissingFields, PhaseOrderError
from webapp.extensions import db
from webapp.models import CapstoneActivity, CapstoneProject
from webapp.models.base import utcnow
from webapp.services import capstones as svc


# ---- start -----------------------------------------------------------------------------------------------------

def test_start_mastery_mission_creates_capstone_and_history():
    learner, mission = make_user("learner"), make_mission()
    attempt = make_completed_attempt(learner, mission)
    cap, created = svc.start(learner, mission)
    assert created and cap.get_current_phase() == "investigation" and cap.attempt_id == attempt.id
    assert activities(cap.id) == [("started", None)]


def test_start_without_a_completed_attempt_is_409_and_creates_nothing():
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission, status="abandoned", completed_at=None)
    with pytest.raises(Conflict) as info:
        svc.start(learner, mission)
    assert "Complete the mission first" in info.value.message
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


def test_start_builds_on_the_latest_completed_attempt():
    learner, mission = make_user("learner"), make_mission()
    latest = make_completed_attempt(learner, mission, score=40)
    make_completed_attempt(learner, mission, score=95, completed_at=utcnow() - timedelta(days=1))
    cap, _ = svc.start(learner, mission)
    assert cap.attempt_id == latest.id


def test_start_twice_returns_the_existing_capstone():
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission)
    first, _ = svc.start(learner, mission)
    second, created = svc.start(learner, mission)
    assert not created and second.id == first.id
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 1


def test_start_lower_tier_mission_is_422_and_creates_nothing():
    with pytest.raises(Invalid) as info:
        svc.start(make_user("learner"), make_mission(tier="advanced"))
    assert "mastery" in info.value.message
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


def test_start_unknown_slug_is_404():
    with pytest.raises(NotFound):
        svc.start_by_slug(make_user("learner"), "no-such-mission")


def test_start_losing_the_race_to_the_unique_constraint_returns_the_winners_capstone(monkeypatch):
    """The check-then-insert window: another request inserts in between; the constraint decides."""
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission)
    winner = CapstoneProject(learner_id=learner.id, mission_id=mission.id)
    real_find = svc.find
    calls = []

    def find_after_the_other_request(learner_id, mission_id):
        calls.append(1)
        if len(calls) == 1:
            # The other request commits its capstone right after our check.
            from sqlalchemy import insert

            db.session.execute(insert(CapstoneProject).values(learner_id=learner_id, mission_id=mission_id,
                                                              version_id=1))
            db.session.commit()
            return None
        return real_find(learner_id, mission_id)

    monkeypatch.setattr(svc, "find", find_after_the_other_request)
    cap, created = svc.start(learner, mission)
    assert not created
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 1
    assert cap.learner_id == learner.id and winner.id is None


# ---- save_phase ------------------------------------------------------------------------------------------------

def test_save_phase_keeps_a_draft_and_logs_it():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    svc.save_phase(cap, "investigation", VALUES["investigation"], w["owner"], expected_version=cap.version_id)
    cap = reload(cap.id)
    assert cap.investigation_findings["threats"] == ["Ransomware operator"]
    assert cap.investigation_completed_at is None
    assert activities(cap.id) == [("saved", "investigation")]


def test_save_phase_with_no_change_writes_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], investigation_findings={"threats": ["x"], "vulnerabilities": [],
                                                                         "timeline": [], "evidence": []})
    before = snapshot()
    svc.save_phase(cap, "investigation", {"investigation_findings": {"threats": ["x"]}}, w["owner"])
    assert snapshot() == before


@pytest.mark.parametrize("who", ["assigned_mentor", "other_learner", "admin", "unassigned_mentor"])
def test_save_phase_by_anyone_but_the_owner_is_forbidden_and_changes_nothing(who):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    before = snapshot()
    with pytest.raises(Forbidden):
        svc.save_phase(cap, "investigation", VALUES["investigation"], w[who])
    assert snapshot() == before


def test_save_phase_completed_phase_is_409_and_changes_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    before = snapshot()
    with pytest.raises(Conflict) as info:
        svc.save_phase(cap, "investigation", {"investigation_findings": {"threats": ["new"]}}, w["owner"])
    assert "read-only" in info.value.message
    assert snapshot() == before


def test_save_phase_under_review_is_409_and_changes_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    before = snapshot()
    with pytest.raises(Conflict) as info:
        svc.save_phase(cap, "presentation", {"presentation_notes": "late edit"}, w["owner"])
    assert "under mentor review" in info.value.message
    assert snapshot() == before


def test_save_phase_stale_version_is_409_and_changes_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    svc.save_phase(cap, "investigation", {"investigation_findings": {"threats": ["tab one"]}}, w["owner"],
                   expected_version=1)
    before = snapshot()
    with pytest.raises(Conflict) as info:
        svc.save_phase(cap, "investigation", {"investigation_findings": {"threats": ["tab two"]}}, w["owner"],
                       expected_version=1)
    assert info.value.status == 409 and "another tab" in info.value.message
    assert snapshot() == before
    assert reload(cap.id).investigation_findings["threats"] == ["tab one"]


def test_save_phase_malformed_row_is_422_and_changes_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    before = snapshot()
    with pytest.raises(Invalid) as info:
        svc.save_phase(cap, "decision_making", {"decisions_made": [{"decision": "d", "rationale": "r",
                                                                    "decided_at": "soon"}]}, w["owner"])
    assert "decisions_made.0.decided_at" in info.value.fields
    assert snapshot() == before


def test_save_fields_across_phases_is_all_or_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    before = snapshot()
    with pytest.raises(Conflict) as info:
        svc.save_fields(cap, {"remediation_plan": "ok", "investigation_findings": {"threats": ["x"]}}, w["owner"])
    assert "investigation_findings" in info.value.fields
    assert snapshot() == before


# ---- complete_phase --------------------------------------------------------------------------------------------

def test_complete_phase_out_of_order_is_409_naming_first_open_phase():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], **VALUES["reporting"])
    before = snapshot()
    with pytest.raises(PhaseOrderError) as info:
        svc.complete_phase(cap, "reporting", w["owner"])
    assert info.value.must_come_first == "investigation" and "Investigation" in info.value.message
    assert snapshot() == before


def test_complete_phase_missing_fields_is_422_naming_each_field():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    before = snapshot()
    with pytest.raises(MissingFields) as info:
        svc.complete_phase(cap, "decision_making", w["owner"])
    assert set(info.value.fields) == {"decisions_made", "decision_analysis"}
    assert snapshot() == before


def test_complete_phase_in_order_sets_completion_and_logs_it():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], **VALUES["investigation"])
    svc.complete_phase(cap, "investigation", w["owner"])
    cap = reload(cap.id)
    assert cap.is_phase_complete("investigation") and cap.get_current_phase() == "decision_making"
    assert cap.submitted_at is None
    assert activities(cap.id) == [("completed", "investigation")]


def test_complete_presentation_submits_for_review():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES[:4], **VALUES["presentation"])
    svc.complete_phase(cap, "presentation", w["owner"])
    cap = reload(cap.id)
    assert cap.submitted_at is not None and cap.get_current_phase() == "mentor_review"
    assert svc.under_review(cap)
    assert activities(cap.id)[-2:] == [("completed", "presentation"), ("submitted", None)]


def test_complete_phase_by_mentor_is_forbidden():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], **VALUES["investigation"])
    with pytest.raises(Forbidden):
        svc.complete_phase(cap, "investigation", w["assigned_mentor"])
    assert reload(cap.id).investigation_completed_at is None


# ---- save and complete: one click, one transaction -------------------------------------------------------------

def _commits(monkeypatch) -> list[int]:
    """Counts the commits the service makes (each one a transaction of its own)."""
    made: list[int] = []
    real = db.session.commit

    def commit():
        made.append(1)
        return real()

    monkeypatch.setattr(db.session, "commit", commit)
    return made


def test_save_and_complete_is_one_commit_keeping_the_draft_and_the_completion(monkeypatch):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    commits = _commits(monkeypatch)
    svc.save_phase(cap, "investigation", VALUES["investigation"], w["owner"], expected_version=cap.version_id,
                   complete=True)
    assert len(commits) == 1
    cap = reload(cap.id)
    assert cap.investigation_findings["threats"] == ["Ransomware operator"] and cap.is_phase_complete("investigation")
    assert activities(cap.id) == [("saved", "investigation"), ("completed", "investigation")]


def test_save_and_complete_of_the_presentation_submits_in_the_same_commit(monkeypatch):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES[:4])
    commits = _commits(monkeypatch)
    svc.save_phase(cap, "presentation", VALUES["presentation"], w["owner"], complete=True)
    assert len(commits) == 1
    cap = reload(cap.id)
    assert cap.submitted_at is not None and cap.get_current_phase() == "mentor_review"
    assert activities(cap.id)[-3:] == [("saved", "presentation"), ("completed", "presentation"), ("submitted", None)]


def test_save_and_complete_with_missing_fields_is_422_and_leaves_the_stored_draft_unchanged():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    before = snapshot()
    with pytest.raises(MissingFields) as info:
        svc.save_phase(cap, "decision_making", {"decisions_made": [{"decision": "Isolate", "rationale": "",
                                                                    "decided_at": ""}]}, w["owner"], complete=True)
    assert set(info.value.fields) == {"decisions_made", "decision_analysis"}
    assert snapshot() == before


def test_save_and_complete_out_of_order_is_409_and_leaves_the_stored_draft_unchanged():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    before = snapshot()
    with pytest.raises(PhaseOrderError) as info:
        svc.save_phase(cap, "reporting", VALUES["reporting"], w["owner"], complete=True)
    assert info.value.must_come_first == "investigation"
    assert snapshot() == before


def test_save_and_complete_with_a_field_that_does_not_clean_names_the_missing_fields_too():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES[:3])
    before = snapshot()
    with pytest.raises(Invalid) as info:
        svc.save_phase(cap, "reporting", {"report_document_url": "not a link", "report_summary": ""}, w["owner"],
                       complete=True)
    assert "report_document_url" in info.value.fields and "report_summary" in info.value.fields
    assert snapshot() == before


def test_save_and_complete_losing_to_a_concurrent_save_is_409_and_saves_nothing():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    stale = cap.version_id
    svc.save_phase(reload(cap.id), "investigation", {"investigation_findings": {"threats": ["other tab"]}},
                   w["owner"])
    before = snapshot()
    with pytest.raises(Conflict) as info:
        svc.save_phase(reload(cap.id), "investigation", VALUES["investigation"], w["owner"], expected_version=stale,
                       complete=True)
    assert info.value.status == 409 and "another tab" in info.value.message
    assert snapshot() == before
    assert reload(cap.id).investigation_completed_at is None


# ---- delete and reopen -----------------------------------------------------------------------------------------

def test_delete_by_owner_before_review_removes_capstone_and_history():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    svc.save_phase(cap, "investigation", VALUES["investigation"], w["owner"])
    svc.delete(cap, w["owner"])
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0
    assert db.session.scalar(select(func.count()).select_from(CapstoneActivity)) == 0


def test_delete_after_submission_is_409():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    before = snapshot()
    with pytest.raises(Conflict):
        svc.delete(cap, w["owner"])
    assert snapshot() == before


def test_delete_with_a_review_is_409():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    make_review(w["assigned_mentor"], cap)
    with pytest.raises(Conflict):
        svc.delete(cap, w["owner"])
    assert reload(cap.id) is not None


def test_reopen_by_assigned_mentor_clears_later_completions_and_leaves_the_queue():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    cleared = svc.reopen(reload(cap.id), ["reporting", "design_remediation"], w["assigned_mentor"])
    assert cleared == ("design_remediation", "reporting", "presentation")
    cap = reload(cap.id)
    assert cap.completed_phases() == {"investigation", "decision_making"}
    assert cap.submitted_at is None and cap.get_current_phase() == "design_remediation"
    assert activities(cap.id)[-1] == ("reopened", "design_remediation")
    # The reopened phase is editable again; the earlier ones stay read-only.
    svc.save_phase(cap, "design_remediation", {"remediation_plan": "Better plan"}, w["owner"])
    with pytest.raises(Conflict):
        svc.save_phase(cap, "decision_making", {"decision_analysis": "x"}, w["owner"])


@pytest.mark.parametrize("who", ["owner", "other_learner", "unassigned_mentor"])
def test_reopen_by_others_is_forbidden(who):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    before = snapshot()
    with pytest.raises(Forbidden):
        svc.reopen(reload(cap.id), ["reporting"], w[who])
    assert snapshot() == before


def test_reopen_by_admin_is_allowed():
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    assert svc.reopen(reload(cap.id), ["presentation"], w["admin"]) == ("presentation",)


def test_read_access_learner_assigned_mentor_admin_and_claimer_only():
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    for who in ("owner", "assigned_mentor", "admin"):
        assert svc.get_for(w[who], cap.id).id == cap.id
    for who in ("other_learner", "unassigned_mentor"):
        with pytest.raises(Forbidden):
            svc.get_for(w[who], cap.id)
    cap.claimed_by_id, cap.claimed_at = w["unassigned_mentor"].id, utcnow() - timedelta(days=30)
    db.session.commit()
    with pytest.raises(Forbidden):      # a lapsed claim grants nothing (issue 15 finding 7)
        svc.get_for(w["unassigned_mentor"], cap.id)
    cap.claimed_at = utcnow()
    db.session.commit()
    assert svc.get_for(w["unassigned_mentor"], cap.id).id == cap.id
