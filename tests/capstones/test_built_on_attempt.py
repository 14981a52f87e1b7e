"""The capstone builds on the attempt (SPEC §4) and a request for changes stays in view (SPEC §5): the workspace
shows the attempt beside the phase form, its events start the investigation timeline with one action, and after
"Request changes" the learner's pages say so with the mentor's feedback until the capstone is resubmitted."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.capstones.helpers import FORM, VALUES, activities, reload, snapshot
from tests.conftest import log_in
from tests.factories import (assign, make_capstone, make_completed_attempt, make_mission, make_token, make_user)
from webapp.domain import capstone_rules
from webapp.domain.phase_fields import MAX_ROWS
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, MissionAttempt
from webapp.models.base import utcnow


def text(resp) -> str:
    return resp.get_data(as_text=True)


def played_attempt(learner, mission):
    """A completed attempt with an answer, a decision and one fired event (the factory mission's only event)."""
    started = utcnow() - timedelta(hours=1)
    return make_completed_attempt(
        learner, mission, started_at=started,
        responses={"1": {"response": "Isolated **WS-14** from the network.",
                         "submitted_at": (started + timedelta(minutes=5)).isoformat()},
                   "2": {"response": "Scoped to FS-01.", "submitted_at": (started + timedelta(minutes=20)).isoformat()}},
        decisions={"isolate": "no"},
        fired_events=[{"index": 0, "fired_at": (started + timedelta(minutes=12)).isoformat()}])


@pytest.fixture
def built(client):
    """A learner's capstone built on a played attempt, their assigned mentor, and the client logged in as the
    learner."""
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    mission = make_mission()
    attempt = played_attempt(learner, mission)
    cap = make_capstone(learner, mission, attempt_id=attempt.id)
    log_in(client, learner)
    return {"learner": learner, "mentor": mentor, "mission": mission, "attempt": attempt, "cap": cap}


# ---- the rule, as plain functions ------------------------------------------------------------------------------

def test_timeline_entry_reads_offset_time_message_and_severity():
    at = utcnow().replace(year=2026, month=12, day=7, hour=9, minute=40)
    assert capstone_rules.timeline_entry("FS-01  encrypts.\n", "high", at, 12) == \
        "+12 min (2026-12-07 09:40 UTC): FS-01 encrypts. [high]"
    assert capstone_rules.timeline_entry("Quiet.", None, None, None) == "Quiet."
    assert len(capstone_rules.timeline_entry("x" * 5000, "low", at, 1)) == capstone_rules.MAX_CELL


def test_with_timeline_appends_once_keeps_the_other_lists_and_stops_at_the_limit():
    findings = {"threats": ["Operator"], "timeline": ["02:14 alert", "+12 min: spread"]}
    out = capstone_rules.with_timeline(findings, ["+12 min: spread", "  ", "+30 min: note"])
    assert out["timeline"] == ["02:14 alert", "+12 min: spread", "+30 min: note"]
    assert out["threats"] == ["Operator"] and out["vulnerabilities"] == [] and out["evidence"] == []
    assert findings["timeline"] == ["02:14 alert", "+12 min: spread"]          # the input is not changed
    full = capstone_rules.with_timeline({"timeline": [f"e{i}" for i in range(MAX_ROWS)]}, ["new"])
    assert len(full["timeline"]) == MAX_ROWS and "new" not in full["timeline"]
    assert capstone_rules.with_timeline(None, ["a"])["timeline"] == ["a"]


# ---- the workspace shows the attempt -----------------------------------------------------------------------------

def test_workspace_shows_the_attempt_beside_the_phase_form(client, built):
    page = text(client.get(f"/capstones/{built['cap'].id}"))
    aside = page[page.index('id="capstone-attempt"'):]
    assert page.index('id="capstone-phase-form"') < page.index('id="capstone-attempt"')
    assert "Your mission attempt" in aside and "<strong>WS-14</strong>" in aside and "Scoped to FS-01." in aside
    assert "Isolate now?" in aside and "Watch" in aside                                   # the decision taken
    assert "FS-01 encrypts." in aside and "+12 min" in aside                              # the fired event
    assert f'href="/attempts/{built["attempt"].id}"' in aside


def test_the_attempt_beside_the_form_is_read_again_only_when_the_attempt_itself_changes(client, built):
    from tests.conftest import count_queries

    cap, attempt = built["cap"], built["attempt"]
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "Scoped to FS-01." in page
    # An autosave of the capstone makes the page stale, not the attempt beside it: the page is made again with the
    # new draft, without reading the attempt's responses or its copy of the mission again.
    saved = client.post(f"/capstones/{cap.id}/phases/investigation/draft", headers={"HX-Request": "true"},
                        data={**FORM["investigation"], "version": str(reload(cap.id).version_id),
                              "investigation_findings-threats": ["Typed after the attempt"]})
    assert saved.status_code == 200
    with count_queries() as q:
        page = text(client.get(f"/capstones/{cap.id}"))
    assert "Typed after the attempt" in page and "Scoped to FS-01." in page and "<strong>WS-14</strong>" in page
    assert not [s for s in q.statements if "mission_snapshot" in s], q.statements
    # Any write to the attempt's row shows at once.
    row = db.session.get(MissionAttempt, attempt.id)
    row.responses = {**row.responses, "2": {**row.responses["2"], "response": "Scoped to FS-01 and FS-02."}}
    db.session.commit()
    aside = text(client.get(f"/capstones/{cap.id}"))
    assert "Scoped to FS-01 and FS-02." in aside[aside.index('id="capstone-attempt"'):]


def test_the_assigned_mentor_reads_the_attempt_too_and_gets_no_import_button(client, built):
    log_in(client, built["mentor"])
    page = text(client.get(f"/capstones/{built['cap'].id}"))
    assert "The mission attempt behind it" in page and "Scoped to FS-01." in page
    assert 'value="import_timeline"' not in page


def test_a_capstone_with_no_recorded_attempt_says_so(client, login_as):
    learner = login_as("learner")
    cap = make_capstone(learner, make_mission())
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "started before capstones recorded the attempt" in page and 'value="import_timeline"' not in page


# ---- importing the timeline ----------------------------------------------------------------------------------

def _import(client, cap, **form):
    data = {**FORM["investigation"], "action": "import_timeline", "version": str(cap.version_id), **form}
    return client.post(f"/capstones/{cap.id}/phases/investigation", data=data)


def test_import_adds_the_events_to_the_timeline_with_what_was_typed_in_one_save(client, built):
    cap = built["cap"]
    page = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    assert "Add the attempt's 1 event to the timeline" in page
    resp = _import(client, cap, **{"investigation_findings-threats": ["Typed just now"]})
    assert resp.status_code == 303
    findings = reload(cap.id).investigation_findings
    assert findings["threats"] == ["Typed just now"]                 # the typed text is saved with the import
    assert findings["timeline"][0] == "02:14 alert"
    assert findings["timeline"][1].startswith("+12 min (") and "FS-01 encrypts. [high]" in findings["timeline"][1]
    assert activities(cap.id)[-1] == ("saved", "investigation")
    # A second import adds nothing twice.
    _import(client, reload(cap.id), **{"investigation_findings-timeline": findings["timeline"]})
    assert reload(cap.id).investigation_findings["timeline"] == findings["timeline"]


def test_import_through_htmx_answers_the_form_with_the_entries_and_says_so(client, built):
    cap = built["cap"]
    resp = client.post(f"/capstones/{cap.id}/phases/investigation", headers={"HX-Request": "true"},
                       data={**FORM["investigation"], "action": "import_timeline", "version": str(cap.version_id)})
    html = text(resp)
    assert resp.status_code == 200 and "The attempt&#39;s events are in your timeline" in html
    assert "FS-01 encrypts. [high]" in html


@pytest.mark.parametrize("who", ["other_learner", "mentor", "admin"])
def test_only_the_owner_imports(client, built, who):
    user = built["mentor"] if who == "mentor" else make_user("admin" if who == "admin" else "learner")
    log_in(client, user)
    before = snapshot()
    assert _import(client, built["cap"]).status_code == 403
    assert snapshot() == before


def test_import_into_a_completed_investigation_is_409_and_changes_nothing(client, built):
    cap = built["cap"]
    cap.investigation_completed_at = utcnow()
    db.session.commit()
    before = snapshot()
    resp = _import(client, reload(cap.id))
    assert resp.status_code == 409 and snapshot() == before


def test_import_without_events_or_without_an_attempt_is_409_with_the_text_kept(client, login_as):
    learner = login_as("learner")
    mission = make_mission()
    quiet = make_completed_attempt(learner, mission)                   # fired nothing
    for cap in (make_capstone(learner, mission, attempt_id=quiet.id), make_capstone(learner, make_mission())):
        before = snapshot()
        resp = _import(client, cap, **{"investigation_findings-threats": ["Kept text"]})
        assert resp.status_code == 409 and "Kept text" in text(resp)
        assert snapshot() == before


def test_import_on_another_phase_is_refused(client, built):
    cap = built["cap"]
    resp = client.post(f"/capstones/{cap.id}/phases/decision_making",
                       data={**FORM["decision_making"], "action": "import_timeline", "version": "1"})
    assert resp.status_code in (409, 422)
    assert reload(cap.id).investigation_findings == {}


# ---- changes requested -----------------------------------------------------------------------------------------

def _request_changes(client, cap, mentor, feedback="Tighten the **timeline**."):
    from tests.factories import make_review

    review = make_review(mentor, cap, total_phases=1, written_feedback=feedback)
    _, token = make_token(mentor)
    resp = client.post(f"/api/v1/mentorship-interactions/{review.id}/submit",
                       json={"overall_score": 60, "decision": "request_changes", "reopen_phases": ["reporting"]},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, text(resp)
    return review


def test_request_changes_is_stored_and_shown_with_the_feedback_until_resubmitted(client, built):
    cap = built["cap"]
    for phase in PHASES:
        setattr(cap, f"{phase}_completed_at", utcnow())
        for name, value in VALUES[phase].items():
            setattr(cap, name, value)
    cap.submitted_at = utcnow()
    db.session.commit()
    review = _request_changes(client, cap, built["mentor"])
    cap = reload(cap.id)
    assert cap.changes_requested_at is not None and cap.submitted_at is None
    _, token = make_token(built["learner"])
    body = client.get(f"/api/v1/capstones/{cap.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["changes_requested_at"] is not None and body["attempt"] == built["attempt"].id
    page = text(client.get(f"/capstones/{cap.id}"))
    status = page[page.index('id="capstone-status"'):page.index('class="capstone-track')]
    assert "Changes requested" in status and "<strong>timeline</strong>" in status
    assert "reopened Reporting, Presentation" in status and f'/mentorship/reviews/{review.id}"' in status
    assert "Changes requested" in text(client.get("/"))                   # the dashboard says so too
    assert "Changes requested" in text(client.get("/capstones"))
    # The mentor reading the capstone sees the state, not the learner's instructions.
    log_in(client, built["mentor"])
    assert "back with the learner" in text(client.get(f"/capstones/{cap.id}"))
    # Resubmitted: the request is answered and the callout goes.
    log_in(client, built["learner"])
    for phase in ("reporting", "presentation"):
        resp = client.post(f"/capstones/{cap.id}/phases/{phase}",
                           data={**FORM[phase], "action": "complete", "version": str(reload(cap.id).version_id)})
        assert resp.status_code == 303, text(resp)[:400]
    cap = reload(cap.id)
    assert cap.changes_requested_at is None and cap.submitted_at is not None
    page = text(client.get(f"/capstones/{cap.id}"))
    assert 'id="changes-h"' not in page and "In mentor review." in page      # the review list keeps its history
    assert "Changes requested" not in text(client.get("/"))


def test_approval_is_not_shown_as_changes_requested(client, built):
    cap = db.session.scalar(select(CapstoneProject).where(CapstoneProject.id == built["cap"].id))
    cap.mentor_approved, cap.mentor_reviewed_at = True, utcnow()
    for phase in PHASES:
        setattr(cap, f"{phase}_completed_at", utcnow())
    cap.submitted_at = utcnow()
    db.session.commit()
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "Approved by your mentor" in page and "Changes requested" not in page
