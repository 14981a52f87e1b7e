"""No spoilers (the API and the pages show a learner only what their attempt reached) and the query count of
/attempts/<id> (constant as responses and fired events grow)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import count_queries, log_in, transactions_begun
from tests.factories import make_mission, make_token, make_user, mission_data
from tests.web.helpers import text
from webapp.extensions import db
from webapp.models import MissionAttempt
from webapp.models.base import utcnow

from .helpers import start, submit

API = "/api/v1"
REVEALED = {"cue_type": "chat", "description": "Legal asks for a hold.", "location": "Slack", "significance": "x"}


def spoiler_mission():
    data = mission_data()
    events = data["escalation_events"] + [
        {"subtask_id": 3, "event_type": "press_call", "description": "A journalist calls.",
         "triggers": [{"on": "subtask_completed", "subtask_id": 2}],
         "consequences": {"severity": "low", "message": "A journalist is on the phone.", "reveal_cue": REVEALED}},
    ]
    cues = data["environmental_cues"] + [
        {"subtask_id": 3, "cue_type": "document", "description": "The IR plan, page 4.", "location": "Wiki",
         "significance": "Who must be told."},
    ]
    return make_mission(slug="night-shift", escalation_events=events, environmental_cues=cues)


def api_detail(client, user):
    _, secret = make_token(user)
    resp = client.get(f"{API}/missions/night-shift", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200
    return resp.get_json()


def test_api_learner_without_attempt_sees_no_events_or_cues(client):
    spoiler_mission()
    body = api_detail(client, make_user("learner"))
    assert body["escalation_events"] == [] and body["environmental_cues"] == []
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3]


def test_api_learner_sees_exactly_what_their_attempt_reached(client):
    mission = spoiler_mission()
    learner = make_user("learner")
    log_in(client, learner)
    attempt = start(client, mission)
    body = api_detail(client, learner)
    assert [c["description"] for c in body["environmental_cues"]] == ["Failed logons."]
    assert body["escalation_events"] == []

    submit(client, attempt, 1, isolate="no")          # fires event 0, unlocks subtask 4
    submit(client, attempt, 2)                        # reaches 3, fires event 1 (reveals a cue)
    body = api_detail(client, learner)
    assert [e["event_type"] for e in body["escalation_events"]] == ["lateral_movement", "press_call"]
    assert [c["description"] for c in body["environmental_cues"]] == [
        "Failed logons.", "The IR plan, page 4.", "Legal asks for a hold."]
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3, 4]
    # Another learner still sees nothing.
    other = api_detail(client, make_user("learner"))
    assert other["escalation_events"] == [] and other["environmental_cues"] == []
    assert [s["id"] for s in other["subtasks"]] == [1, 2, 3]


def test_api_learner_without_escalation_never_sees_the_hidden_subtask_or_its_event(client):
    mission = spoiler_mission()
    learner = make_user("learner")
    log_in(client, learner)
    attempt = start(client, mission)
    submit(client, attempt, 1, isolate="yes")
    body = api_detail(client, learner)
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3]
    assert body["escalation_events"] == []
    assert "FS-01" not in str(body)


def test_api_detail_made_once_is_never_served_to_a_reader_who_sees_something_else(client):
    """The detail is cached per distinct view: a mentor's (with notes and every event) first, then a learner's,
    then that learner's again after their attempt reached more, then a mentor's again: each as it should be."""
    mission = spoiler_mission()
    mentor_body = api_detail(client, make_user("mentor"))
    assert len(mentor_body["escalation_events"]) == 2 and "mentor_notes" in mentor_body
    learner = make_user("learner")
    first = api_detail(client, learner)
    assert first["escalation_events"] == [] and "mentor_notes" not in first
    assert api_detail(client, make_user("learner")) == first          # the same view, served from the cache
    log_in(client, learner)
    attempt = start(client, mission)
    submit(client, attempt, 1, isolate="no")
    submit(client, attempt, 2)
    later = api_detail(client, learner)
    assert [e["event_type"] for e in later["escalation_events"]] == ["lateral_movement", "press_call"]
    assert api_detail(client, make_user("admin"))["escalation_events"] == mission.escalation_events


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_api_mentor_still_sees_everything(client, role):
    mission = spoiler_mission()
    body = api_detail(client, make_user(role))
    assert len(body["escalation_events"]) == 2 and len(body["environmental_cues"]) == 2
    assert body["escalation_events"] == mission.escalation_events


def test_attempt_page_shows_learner_only_reached_cues_and_fired_events(client, login_as):
    mission = spoiler_mission()
    login_as("learner")
    attempt = start(client, mission)
    page = text(client.get(f"/attempts/{attempt.id}"))
    for spoiler in ("The IR plan, page 4.", "Legal asks for a hold.", "A journalist", "FS-01 encrypts.",
                    "Hidden follow-up", "Spread to a server.", "Intended path"):
        assert spoiler not in page
    mission_page = text(client.get("/missions/night-shift"))
    for spoiler in ("The IR plan, page 4.", "Legal asks for a hold.", "FS-01 encrypts.", "Hidden follow-up"):
        assert spoiler not in mission_page


# ---- query count -------------------------------------------------------------------------------------------------

def _attempt_with(learner, mission, submitted: int, fired: int) -> MissionAttempt:
    started = utcnow() - timedelta(minutes=5)
    subtasks = mission.subtasks
    attempt = MissionAttempt(
        learner_id=learner.id, mission_id=mission.id, mission_snapshot=mission.content(),
        started_at=started, current_subtask_id=subtasks[submitted]["id"] if submitted < len(subtasks) else None,
        responses={str(s["id"]): {"response": f"answer {s['id']}", "submitted_at": started.isoformat()}
                   for s in subtasks[:submitted]},
        decisions={"isolate": "yes"} if submitted else {},
        fired_events=[{"index": i, "fired_at": started.isoformat()} for i in range(fired)])
    db.session.add(attempt)
    db.session.commit()
    return attempt


def test_attempt_page_query_count_is_constant_as_work_grows(client, login_as):
    # Events that never fire on their own (a decision nobody made), so viewing the page writes nothing.
    events = [{"subtask_id": 1, "event_type": f"event_{i}", "description": f"Event {i}.",
               "triggers": [{"on": "decision", "decision_id": "isolate", "choice": "no"}],
               "consequences": {"severity": "low", "message": f"Message {i}.", "score_penalty": 1}}
              for i in range(8)]
    subtasks = [{"id": i, "title": f"Step {i}", "instructions": "Do it.", "decisions": []} for i in range(2, 7)]
    mission = make_mission(escalation_events=events,
                           subtasks=mission_data()["subtasks"][:1] + subtasks)
    learner = login_as("learner")
    small = _attempt_with(learner, mission, submitted=1, fired=1)
    big = _attempt_with(learner, mission, submitted=5, fired=8)
    small_id, big_id = small.id, big.id
    db.session.close()          # the request starts with no transaction open, as in a server
    with transactions_begun() as began, count_queries() as q_small:
        assert client.get(f"/attempts/{small_id}").status_code == 200
    assert began == []
    small_count = q_small.count
    db.session.expire_all()
    with count_queries() as q_big:
        page = text(client.get(f"/attempts/{big_id}"))
    assert "Message 7." in page and "answer 6" not in page
    assert q_big.count == small_count, q_big.statements
    # The user, then the attempt with its mission and learner in one statement; through caching.quickread, and
    # no session transaction was begun above: viewing fires nothing here.
    assert small_count == 2, q_small.statements


def test_api_detail_read_again_costs_the_token_query_alone_until_the_learners_attempt_moves(client):
    """Which view a learner has is worked out once per revision of the catalogue and of their own data (the view
    fires nothing, so the clock does not change it); a read served from there runs only the token's query."""
    mission = spoiler_mission()
    learner = make_user("learner")
    log_in(client, learner)
    attempt = start(client, mission)
    _, secret = make_token(learner)
    headers = {"Authorization": f"Bearer {secret}"}
    client.get(f"{API}/missions/night-shift", headers=headers)
    with count_queries() as cached:
        body = client.get(f"{API}/missions/night-shift", headers=headers).get_json()
    assert cached.count == 1, cached.statements
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3]
    submit(client, attempt, 1, isolate="no")          # unlocks subtask 4: the learner's own data moved
    body = client.get(f"{API}/missions/night-shift", headers=headers).get_json()
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3, 4]
