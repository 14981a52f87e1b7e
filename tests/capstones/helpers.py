"""Shared data and readers for the capstone tests."""
from __future__ import annotations

from sqlalchemy import select

from tests.factories import assign, make_capstone, make_mission, make_user
from webapp.extensions import db
from webapp.models import CapstoneActivity, CapstoneProject, StoredFile

# Values that complete each phase (as the service and API take them).
VALUES = {
    "investigation": {"investigation_findings": {"threats": ["Ransomware operator"], "timeline": ["02:14 alert"]},
                      "investigation_artifacts": [{"type": "link", "url": "https://evidence.example/t",
                                                   "description": "Timeline"}]},
    "decision_making": {"decisions_made": [{"decision": "Isolate FS-01", "rationale": "Stop the spread",
                                            "decided_at": "2026-11-02"}],
                        "decision_analysis": "Containment first."},
    "design_remediation": {"design_documents": [{"title": "Segmentation", "url": "https://docs.example/seg",
                                                 "description": "VLANs"}],
                           "remediation_plan": "1. Reset\n2. Segment"},
    "reporting": {"report_summary": "Contained overnight.", "report_document_url": "https://docs.example/report",
                  "report_key_findings": [{"finding": "Shared admin password", "impact": "Lateral movement",
                                           "recommendation": "LAPS"}]},
    "presentation": {"presentation_url": "https://slides.example/deck", "presentation_type": "slides",
                     "presentation_notes": "Ten minutes."},
}
# The same values as the phase form posts them (repeated names, one per row).
FORM = {
    "investigation": {"investigation_findings-threats": ["Ransomware operator"],
                      "investigation_findings-timeline": ["02:14 alert"],
                      "investigation_artifacts-type": ["link"],
                      "investigation_artifacts-url": ["https://evidence.example/t"],
                      "investigation_artifacts-description": ["Timeline"]},
    "decision_making": {"decisions_made-decision": ["Isolate FS-01"], "decisions_made-rationale": ["Stop the spread"],
                        "decisions_made-decided_at": ["2026-11-02"], "decision_analysis": "Containment first."},
    "design_remediation": {"design_documents-title": ["Segmentation"],
                           "design_documents-url": ["https://docs.example/seg"],
                           "design_documents-description": ["VLANs"], "remediation_plan": "1. Reset\n2. Segment"},
    "reporting": {"report_summary": "Contained overnight.", "report_document_url": "https://docs.example/report",
                  "report_key_findings-finding": ["Shared admin password"],
                  "report_key_findings-impact": ["Lateral movement"], "report_key_findings-recommendation": ["LAPS"]},
    "presentation": {"presentation_url": "https://slides.example/deck", "presentation_type": "slides",
                     "presentation_notes": "Ten minutes."},
}


def filled(done=(), upto=None, **fields):
    """Field values for make_capstone: every phase up to `upto` (default: the done ones) filled in."""
    from webapp.domain.phases import PHASES

    phases = PHASES[:PHASES.index(upto) + 1] if upto else done
    out = {}
    for p in phases:
        out.update(VALUES[p])
    out.update(fields)
    return out


def world():
    """A learner with an assigned mentor, plus another learner, an unassigned mentor and an admin."""
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    return {"owner": learner, "assigned_mentor": mentor, "other_learner": make_user("learner"),
            "unassigned_mentor": make_user("mentor"), "admin": make_user("admin"), "mission": make_mission()}


def capstone_for(learner, mission=None, done=(), **fields):
    return make_capstone(learner, mission or make_mission(), done=done, **{**filled(done), **fields})


def snapshot() -> dict:
    """Every capstone row (all columns), the history and the stored files, straight from the database."""
    db.session.expire_all()
    caps = db.session.execute(select(CapstoneProject.__table__).order_by(CapstoneProject.id)).all()
    acts = db.session.execute(select(CapstoneActivity.id, CapstoneActivity.action, CapstoneActivity.phase)
                              .order_by(CapstoneActivity.id)).all()
    files = db.session.execute(select(StoredFile.key, StoredFile.capstone_id, StoredFile.field,
                                      StoredFile.attached_at).order_by(StoredFile.id)).all()
    return {"capstones": [tuple(r) for r in caps], "activities": [tuple(r) for r in acts],
            "files": [tuple(r) for r in files]}


def activities(cap_id: int) -> list[tuple[str, str | None]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(CapstoneActivity.action, CapstoneActivity.phase).where(CapstoneActivity.capstone_id == cap_id)
        .order_by(CapstoneActivity.id)).all()]


def reload(cap_id: int) -> CapstoneProject | None:
    db.session.expire_all()
    return db.session.get(CapstoneProject, cap_id)
