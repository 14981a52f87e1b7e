"""A capstone's history keeps one entry per working stretch on a phase (domain.capstone_history): autosaves of
one phase by one person extend the newest entry; a completion, another phase, another person or a pause starts
a new one."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.capstones.helpers import capstone_for
from tests.factories import make_user
from webapp.domain.capstone_history import DRAFT_STRETCH
from webapp.extensions import db
from webapp.models import CapstoneActivity
from webapp.services import capstones as service


def entries(cap_id: int) -> list[tuple[str, str | None, str]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(CapstoneActivity.action, CapstoneActivity.phase, CapstoneActivity.summary)
        .where(CapstoneActivity.capstone_id == cap_id).order_by(CapstoneActivity.id)).all()]


def test_autosaves_of_one_phase_are_one_entry_listing_what_was_saved():
    learner = make_user("learner")
    cap = capstone_for(learner)
    for text in ("first", "second", "third"):
        service.save_fields(cap, {"decision_analysis": text}, learner)
    service.save_fields(cap, {"decisions_made": [{"decision": "Isolate", "rationale": "Stop the spread",
                                                  "decided_at": "2026-12-01"}]}, learner)
    assert entries(cap.id) == [("saved", "decision_making",
                                "Saved a draft of Decision making: decision analysis, decisions.")]
    assert cap.decision_analysis == "third"


def test_another_phase_a_completion_or_a_pause_start_a_new_entry():
    learner = make_user("learner")
    cap = capstone_for(learner)
    service.save_fields(cap, {"decision_analysis": "a"}, learner)
    service.save_fields(cap, {"remediation_plan": "b"}, learner)            # another phase
    service.save_fields(cap, {"decision_analysis": "c"}, learner)           # back: the newest entry is another phase's
    last = db.session.scalars(select(CapstoneActivity).order_by(CapstoneActivity.id.desc())).first()
    last.created_at = last.created_at - DRAFT_STRETCH - timedelta(seconds=1)
    db.session.commit()
    service.save_fields(cap, {"decision_analysis": "d"}, learner)           # after a pause
    assert [(a, p) for a, p, _ in entries(cap.id)] == [
        ("saved", "decision_making"), ("saved", "design_remediation"), ("saved", "decision_making"),
        ("saved", "decision_making")]


def test_a_save_after_the_entry_moved_on_keeps_its_newest_time():
    learner = make_user("learner")
    cap = capstone_for(learner)
    service.save_fields(cap, {"decision_analysis": "a"}, learner)
    first = db.session.scalars(select(CapstoneActivity)).one()
    first.created_at = first.created_at - timedelta(minutes=5)
    db.session.commit()
    earlier = first.created_at
    service.save_fields(cap, {"decision_analysis": "b"}, learner)
    db.session.expire_all()
    again = db.session.scalars(select(CapstoneActivity)).one()
    assert again.created_at > earlier
