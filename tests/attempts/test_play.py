"""Playing a mission through the test client: start, resume, submit subtasks (plain posts and htmx), events,
cues, hidden subtasks, time-based events, the summary and the request for a mentor review."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import hx, log_in
from tests.factories import make_mission, make_user
from tests.web.helpers import flashes, text
from webapp.extensions import db
from webapp.models import MissionAttempt

from .helpers import age, region, reload, start, submit

REVEALED = {"cue_type": "email", "description": "The CFO asks why payroll is down.", "location": "Inbox",
            "significance": "Business pressure to restore early."}


def timed_mission(**overrides):
    """The factory mission plus a time-based event that reveals a cue after 30 minutes."""
    from tests.factories import mission_data

    events = mission_data()["escalation_events"] + [
        {"subtask_id": 1, "event_type": "executive_pressure", "description": "The CFO calls.",
         "triggers": [{"on": "subtask_started", "subtask_id": 1}, {"on": "time_elapsed", "minutes": 30}],
         "consequences": {"severity": "medium", "message": "The CFO wants an update now.", "score_penalty": 5,
                          "reveal_cue": REVEALED}},
    ]
    return make_mission(escalation_events=events, **overrides)


def count_attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(MissionAttempt))


# ---- start and resume -----------------------------------------------------------------------------------------

def test_mission_page_offers_to_start_with_a_form_posting_to_attempts(client, login_as):
    make_mission(slug="night-shift")
    login_as("learner")
    page = text(client.get("/missions/night-shift"))
    assert 'action="/attempts"' in page
    assert 'name="mission" type="hidden" value="night-shift"' in page
    assert "Start this mission" in page
    assert "rules of engagement" not in page.lower()


def test_start_creates_attempt_with_snapshot_and_opens_it(client, login_as):
    mission = make_mission(slug="night-shift")
    learner = login_as("learner")
    resp = client.post("/attempts", data={"mission": "night-shift"})
    assert resp.status_code == 303
    attempt = db.session.scalars(select(MissionAttempt)).one()
    assert resp.headers["Location"].endswith(f"/attempts/{attempt.id}")
    assert (attempt.learner_id, attempt.mission_id, attempt.status) == (learner.id, mission.id, "in_progress")
    assert attempt.mission_snapshot == mission.content()
    assert attempt.mission_version == mission.version
    assert attempt.current_subtask_id == 1
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "Attempt started" in page
    assert "At <strong>02:14</strong> the SOC sees an alert." in page       # scenario, rendered Markdown
    assert "Triage" in page and "Read the alert." in page                   # current subtask and instructions
    assert 'name="decision-isolate" value="yes"' in page                    # decision options as radios
    assert '<label class="radio" for="decision-isolate-yes">' in page
    assert "Failed logons." in page and "SIEM" in page and "Brute force." in page   # cue of subtask 1
    assert "Nothing has happened yet" in page


def test_start_twice_resumes_the_attempt_in_progress(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    first = start(client, mission)
    resp = client.post("/attempts", data={"mission": "night-shift"})
    assert resp.headers["Location"].endswith(f"/attempts/{first.id}")
    assert count_attempts() == 1
    assert "continues where you left off" in " ".join(flashes(text(client.get(resp.headers["Location"]))))


def test_mission_page_offers_resume_then_last_attempt_and_a_new_one(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    page = text(client.get("/missions/night-shift"))
    assert f'href="/attempts/{attempt.id}"' in page and "Resume your attempt" in page
    assert "Start this mission" not in page
    for sid, extra in ((1, {"isolate": "yes"}), (2, {}), (3, {})):
        assert submit(client, attempt, sid, **extra).status_code == 303
    page = text(client.get("/missions/night-shift"))
    assert "Your last attempt: 100/100" in page
    assert "Start a new attempt" in page
    again = start(client, mission)
    assert again.id != attempt.id and count_attempts() == 2


def test_start_unknown_or_unpublished_mission_is_404(client, login_as):
    make_mission(slug="draft", is_published=False)
    login_as("learner")
    assert client.post("/attempts", data={"mission": "nope"}).status_code == 404
    assert client.post("/attempts", data={"mission": "draft"}).status_code == 404
    assert count_attempts() == 0


def test_start_anonymous_goes_to_login_and_creates_nothing(client):
    make_mission(slug="night-shift")
    resp = client.post("/attempts", data={"mission": "night-shift"})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert count_attempts() == 0


def test_start_without_csrf_token_is_refused(raw_client):
    make_mission(slug="night-shift")
    log_in(raw_client, make_user("learner"))
    resp = raw_client.post("/attempts", data={"mission": "night-shift"})
    assert resp.status_code == 400
    assert count_attempts() == 0


# ---- offensive missions: rules of engagement and scope ---------------------------------------------------------

def test_offensive_mission_asks_for_scope_acknowledgement_on_the_mission_page(client, login_as):
    make_mission(slug="red-team", track="offensive")
    login_as("learner")
    page = text(client.get("/missions/red-team"))
    assert "Rules of engagement and scope" in page
    assert 'name="acknowledge_scope"' in page


def test_offensive_start_without_acknowledgement_is_422_and_creates_nothing(client, login_as):
    make_mission(slug="red-team", track="offensive")
    login_as("learner")
    resp = client.post("/attempts", data={"mission": "red-team"})
    assert resp.status_code == 422
    page = text(resp)
    assert "<html" in page and "Before you start" in page
    assert "Acknowledge the rules of engagement" in page
    assert 'id="acknowledge_scope-error"' in page
    assert count_attempts() == 0


def test_offensive_start_with_acknowledgement_records_it(client, login_as):
    mission = make_mission(slug="red-team", track="offensive")
    login_as("learner")
    attempt = start(client, mission, acknowledge_scope="y")
    assert attempt.scope_acknowledged_at is not None
    assert attempt.scope_acknowledged_at == attempt.started_at


def test_offensive_attempt_without_acknowledgement_asks_first_and_refuses_submissions(client, login_as):
    mission = make_mission(slug="red-team", track="offensive")
    learner = login_as("learner")
    attempt = MissionAttempt(learner_id=learner.id, mission_id=mission.id, mission_snapshot=mission.content(),
                             current_subtask_id=1, responses={}, decisions={}, fired_events=[])
    db.session.add(attempt)
    db.session.commit()
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "Acknowledge and start" in page
    assert 'name="response"' not in page
    assert 'hx-trigger="every' not in page                   # no clock before the acknowledgement
    assert submit(client, attempt, 1, isolate="yes").status_code == 409
    resp = client.post(f"/attempts/{attempt.id}/scope", data={})
    assert resp.status_code == 422 and "Tick the box" in text(resp)
    assert reload(attempt).scope_acknowledged_at is None
    resp = client.post(f"/attempts/{attempt.id}/scope", data={"acknowledge_scope": "y"})
    assert resp.status_code == 303
    assert reload(attempt).scope_acknowledged_at is not None
    assert 'name="response"' in text(client.get(f"/attempts/{attempt.id}"))


# ---- playing to the summary -------------------------------------------------------------------------------------

def test_play_with_plain_posts_to_summary_with_penalty_unlocked_subtask_and_score(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "Hidden follow-up" not in page and "Subtask 1 of 3" in page

    resp = submit(client, attempt, 1, "Watch the host for lateral movement.", isolate="no")
    assert resp.status_code == 303
    attempt = reload(attempt)
    assert attempt.decisions == {"isolate": "no"}
    assert attempt.responses["1"]["response"] == "Watch the host for lateral movement."
    assert [e["index"] for e in attempt.fired_events] == [0]
    assert attempt.score_penalty == 10 and attempt.current_subtask_id == 2
    page = text(client.get(resp.headers["Location"]))
    assert "1 new event in the timeline" in page
    assert "FS-01 encrypts." in page and "badge-sev-high" in page and "−10 points" in page
    assert "Subtask 2 of 4" in page                           # the hidden subtask is now counted

    for sid in (2, 3):
        assert submit(client, attempt, sid, f"Answer {sid}").status_code == 303
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "Hidden follow-up" in page and "Deal with the fallout." in page
    resp = submit(client, attempt, 4, "Restore from backups.")
    assert resp.status_code == 303
    attempt = reload(attempt)
    assert attempt.status == "completed" and attempt.score == 90 and attempt.completed_at is not None
    assert attempt.current_subtask_id is None

    summary = text(client.get(f"/attempts/{attempt.id}"))
    assert "Mission complete" in summary
    assert '<p class="score"><strong>90</strong>' in summary
    assert "minus 10" in summary
    assert "Watch the host for lateral movement." in summary and "Restore from backups." in summary
    assert "<dt>Isolate now?</dt><dd>Watch</dd>" in summary          # the decision, by its label
    assert "FS-01 encrypts." in summary
    assert 'href="/missions/night-shift">Go to the capstone for this mission' in summary
    assert "Request mentor review of this attempt" in summary
    assert 'hx-trigger="every' not in summary                         # polling stops at the end
    assert 'name="response"' not in summary


def test_play_without_escalation_keeps_hidden_subtask_hidden_and_scores_100(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    submit(client, attempt, 1, isolate="yes")
    submit(client, attempt, 2)
    submit(client, attempt, 3)
    attempt = reload(attempt)
    assert attempt.status == "completed" and attempt.score == 100 and attempt.fired_events == []
    summary = text(client.get(f"/attempts/{attempt.id}"))
    assert "Hidden follow-up" not in summary and "Deal with the fallout" not in summary
    assert "No escalation fired" in summary


def test_lower_tier_summary_offers_more_missions_instead_of_a_capstone(client, login_as):
    mission = make_mission(slug="warm-up", tier="beginner")
    login_as("learner")
    attempt = start(client, mission)
    for sid, extra in ((1, {"isolate": "yes"}), (2, {}), (3, {})):
        submit(client, attempt, sid, **extra)
    summary = text(client.get(f"/attempts/{attempt.id}"))
    assert "Go to the capstone" not in summary
    assert "More Defender missions" in summary


def test_htmx_submit_swaps_subtask_and_updates_cues_timeline_and_status_out_of_band(client, login_as):
    mission = timed_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    resp = submit(client, attempt, 1, headers=hx(target="attempt-subtask"), isolate="no")
    assert resp.status_code == 200
    body = text(resp)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="attempt-subtask"')
    assert "Scope the incident." in body and "autofocus" in body
    assert 'id="attempt-cues" class="attempt-cues" aria-labelledby="attempt-cues-h" hx-swap-oob="true"' in body
    assert 'hx-swap-oob="true"' in region(body, "attempt-timeline")
    assert 'hx-trigger="every 20s"' in region(body, "attempt-timeline")
    assert 'hx-swap-oob="true"' in region(body, "attempt-status")
    assert "FS-01 encrypts." in body and "badge-new" in body
    assert '"subtask-submitted"' in resp.headers["HX-Trigger"]
    assert 'id="flashes"' in body and "“Triage” submitted. 1 new event in the timeline." in body
    assert "HX-Request" in resp.headers["Vary"]


def test_htmx_last_submit_shows_summary_and_stops_polling(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    submit(client, attempt, 1, isolate="yes")
    submit(client, attempt, 2)
    resp = submit(client, attempt, 3, headers=hx(target="attempt-subtask"))
    body = text(resp)
    assert "Mission complete" in body and "Request mentor review of this attempt" in body
    assert "hx-trigger" not in region(body, "attempt-timeline")
    assert '"completed": true' in resp.headers["HX-Trigger"]


# ---- fragments ---------------------------------------------------------------------------------------------------

def test_attempt_page_without_htmx_headers_is_a_full_page(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    resp = client.get(f"/attempts/{attempt.id}")
    page = text(resp)
    assert "<html" in page
    assert 'id="attempt-timeline"' in page and 'id="attempt-cues"' in page and 'id="attempt-subtask"' in page
    assert f'hx-get="/attempts/{attempt.id}" hx-trigger="every 20s" hx-target="this"' in page
    assert "HX-Request" in resp.headers["Vary"]


def test_timeline_fragment_for_its_target_is_only_the_timeline(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    resp = client.get(f"/attempts/{attempt.id}", headers=hx(target="attempt-timeline"))
    assert resp.status_code == 200
    body = text(resp).strip()
    assert body.startswith('<section id="attempt-timeline"') and body.endswith("</section>")
    assert body.count("<section") == 1
    assert "<html" not in body
    assert "HX-Request" in resp.headers["Vary"] and "HX-Target" in resp.headers["Vary"]


def test_htmx_request_aimed_elsewhere_or_history_restore_gets_full_page(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    assert "<html" in text(client.get(f"/attempts/{attempt.id}", headers=hx(target="main")))
    restore = hx(target="attempt-timeline", **{"HX-History-Restore-Request": "true"})
    assert "<html" in text(client.get(f"/attempts/{attempt.id}", headers=restore))


# ---- time-based events -------------------------------------------------------------------------------------------

def test_polled_timeline_shows_a_time_based_event_and_its_revealed_cue(client, login_as):
    mission = timed_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    body = text(client.get(f"/attempts/{attempt.id}", headers=hx(target="attempt-timeline")))
    assert "The CFO wants an update now." not in body
    age(attempt, 31)
    resp = client.get(f"/attempts/{attempt.id}", headers=hx(target="attempt-timeline"))
    body = text(resp)
    assert body.lstrip().startswith('<section id="attempt-timeline"')
    assert "The CFO wants an update now." in body and "badge-sev-medium" in body and "+31 min" in body
    assert 'hx-swap-oob="true"' in region(body, "attempt-cues")
    assert "The CFO asks why payroll is down." in body and "revealed by an event" in body
    attempt = reload(attempt)
    assert [e["index"] for e in attempt.fired_events] == [1] and attempt.score_penalty == 5
    # Polling again records nothing twice.
    client.get(f"/attempts/{attempt.id}", headers=hx(target="attempt-timeline"))
    assert len(reload(attempt).fired_events) == 1


def test_time_multiplier_stretches_time_based_events(client, login_as):
    mission = timed_mission(slug="night-shift")
    login_as("learner", time_multiplier=2.0)
    attempt = start(client, mission)
    age(attempt, 45)
    client.get(f"/attempts/{attempt.id}")
    assert reload(attempt).fired_events == []
    age(attempt, 16)
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "The CFO wants an update now." in page
    assert "time ×2" in page


def test_time_events_are_recorded_only_for_the_owner_not_a_mentor_looking(client, login_as):
    from tests.factories import assign

    mission = timed_mission(slug="night-shift")
    learner = login_as("learner")
    attempt = start(client, mission)
    age(attempt, 31)
    mentor = make_user("mentor")
    assign(mentor, learner)
    login_as(mentor)
    assert client.get(f"/attempts/{attempt.id}").status_code == 200
    assert reload(attempt).fired_events == []


# ---- the mission changes while the attempt is open ----------------------------------------------------------------

def test_mission_edited_while_attempt_open_keeps_the_started_version(client, login_as):
    from webapp.services.catalogue import upsert_missions

    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    submit(client, attempt, 1, isolate="yes")
    edited = mission.content()
    edited["subtasks"] = [dict(s, title=f"Renamed {s['id']}") for s in edited["subtasks"]][:3]
    edited["escalation_events"] = []
    upsert_missions([edited])
    assert db.session.get(type(mission), mission.id).version == 2
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "This mission has been updated since you started" in page
    assert "Scope" in page and "Renamed 2" not in page
    assert submit(client, attempt, 2).status_code == 303
    assert submit(client, attempt, 3).status_code == 303
    attempt = reload(attempt)
    assert attempt.status == "completed" and attempt.mission_version == 1
    assert attempt.mission_snapshot["subtasks"][1]["title"] == "Scope"


# ---- review request -------------------------------------------------------------------------------------------------

def test_request_review_of_completed_attempt_records_it_once(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    for sid, extra in ((1, {"isolate": "yes"}), (2, {}), (3, {})):
        submit(client, attempt, sid, **extra)
    resp = client.post(f"/attempts/{attempt.id}/review", headers=hx(target="attempt-next"))
    assert resp.status_code == 200
    body = text(resp)
    assert body.lstrip().startswith('<div id="attempt-next"') and "Mentor review requested" in body
    first = reload(attempt).review_requested_at
    assert first is not None
    assert client.post(f"/attempts/{attempt.id}/review").status_code == 303
    assert reload(attempt).review_requested_at == first
    page = text(client.get(f"/attempts/{attempt.id}"))
    assert "Mentor review requested" in page and "Request mentor review of this attempt" not in page


def test_request_review_of_unfinished_attempt_is_409(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    attempt = start(client, mission)
    resp = client.post(f"/attempts/{attempt.id}/review")
    assert resp.status_code == 409 and "Finish the attempt" in text(resp)
    assert reload(attempt).review_requested_at is None


def test_attempt_ids_in_urls_are_integers(client, login_as):
    login_as("learner")
    assert client.get("/attempts/abc").status_code == 404
    assert client.get("/attempts/999").status_code == 404
    assert re.search("No such attempt", text(client.get("/attempts/999")))
