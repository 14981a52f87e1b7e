"""The attempt API (SPEC §8, issue #17): start, read, submit with checks, abandon; the same rules as the attempt
page, and a check's answers and explanation never sent before its subtask is submitted."""
from __future__ import annotations

import json

import pytest

from tests.factories import assign, make_mission, make_token, make_user
from webapp.extensions import db
from webapp.models import MissionAttempt

from .helpers import attempt_state, reload
from .test_checks import EXPLAIN_IP, EXPLAIN_VERDICT, MISSION_DEBRIEF, MODEL, assessed_data


def auth(user) -> dict:
    _, token = make_token(user)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def learner():
    return make_user("learner")


@pytest.fixture
def mission():
    return make_mission(**assessed_data())


def start(client, learner, mission) -> dict:
    resp = client.post("/api/v1/attempts", json={"mission": mission.slug}, headers=auth(learner))
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return resp.get_json()


RIGHT = {"response": "Revoke the sessions and force a password reset.", "decisions": {"isolate": "yes"},
         "checks": {"s1-ip": "198.51.100.14", "s1-verdict": "phish"}}
WRONG = {"response": "x", "decisions": {"isolate": "no"}, "checks": {"s1-ip": "x", "s1-verdict": "spam"}}


def test_start_is_201_and_a_second_start_resumes_with_200(client, learner, mission):
    resp = client.post("/api/v1/attempts", json={"mission": mission.slug}, headers=auth(learner))
    body = resp.get_json()
    assert resp.status_code == 201
    assert body["mission"] == mission.slug and body["status"] == "in_progress" and body["score"] is None
    assert body["current_subtask_id"] == 1 and [s["id"] for s in body["subtasks"]] == [1]
    again = client.post("/api/v1/attempts", json={"mission": mission.slug}, headers=auth(learner))
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]


def test_the_open_subtask_carries_its_check_prompts_and_nothing_that_answers_them(client, learner, mission):
    body = start(client, learner, mission)
    checks = {c["id"]: c for c in body["subtasks"][0]["checks"]}
    assert set(checks) == {"s1-ip", "s1-verdict", "s1-ideas"}
    assert checks["s1-ip"]["prompt"] == "Which IP handed the message to our MX?"
    assert {o["id"] for o in checks["s1-verdict"]["options"]} == {"phish", "spam"}
    raw = json.dumps(body)
    for secret in ("198.51.100.14", EXPLAIN_IP, EXPLAIN_VERDICT, MODEL, "password reset", "accept", "correct",
                   "explanation", "Names the sending IP", MISSION_DEBRIEF, "Isolating stops"):
        assert secret not in raw, secret
    detail = client.get(f"/api/v1/attempts/{body['id']}", headers=auth(learner)).get_data(as_text=True)
    assert "198.51.100.14" not in detail and EXPLAIN_IP not in detail
    mission_doc = client.get(f"/api/v1/missions/{mission.slug}", headers=auth(learner)).get_data(as_text=True)
    assert "198.51.100.14" not in mission_doc and EXPLAIN_IP not in mission_doc and "s1-ip" not in mission_doc


def test_submit_marks_the_checks_and_answers_with_this_subtasks_results(client, learner, mission):
    attempt = start(client, learner, mission)
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/subtasks/1", json=RIGHT, headers=auth(learner))
    body = resp.get_json()
    assert resp.status_code == 200
    first = body["subtasks"][0]
    assert first["submitted"] and first["response"] == RIGHT["response"]
    assert first["check_results"]["s1-ip"] == {"correct": True, "points": 2, "explanation": EXPLAIN_IP}
    assert first["check_results"]["s1-ideas"]["correct"] is True
    assert first["model_answer"] == MODEL and first["key_points"][0] == "Names the sending IP"
    assert first["decisions"][0]["choice"] == "yes"
    assert body["points"] == 5 and body["points_possible"] == 5
    assert body["current_subtask_id"] == 2
    assert "Three hosts beaconed." not in json.dumps(body)          # the next subtask's explanation


def play(client, learner, attempt_id, first: dict, answer: str) -> dict:
    body = client.post(f"/api/v1/attempts/{attempt_id}/subtasks/1", json=first, headers=auth(learner)).get_json()
    while body["status"] == "in_progress":
        sid = body["current_subtask_id"]
        body = client.post(f"/api/v1/attempts/{attempt_id}/subtasks/{sid}",
                           json={"response": "Three hosts.", "checks": {f"s{sid}-n": answer}},
                           headers=auth(learner)).get_json()
    return body


def test_model_answers_through_the_api_score_100_and_show_the_debrief(client, learner, mission):
    body = play(client, learner, start(client, learner, mission)["id"], RIGHT, "three")
    assert body["status"] == "completed" and body["score"] == 100
    assert body["debrief"] == MISSION_DEBRIEF + "\n" or body["debrief"].startswith(MISSION_DEBRIEF)


def test_wrong_answers_through_the_api_score_low(client, learner, mission):
    body = play(client, learner, start(client, learner, mission)["id"], WRONG, "x")
    assert body["status"] == "completed" and body["score"] <= 20


@pytest.mark.parametrize("payload, status, field", [
    ({**RIGHT, "checks": {"s2-n": "3"}}, 422, "check-s2-n"),             # a check of another subtask
    ({**RIGHT, "checks": {"nope": "x"}}, 422, "check-nope"),
    ({**RIGHT, "checks": {"s1-verdict": "maybe"}}, 422, "check-s1-verdict"),
    ({**RIGHT, "decisions": {"isolate": "perhaps"}}, 422, "decision-isolate"),
    ({**RIGHT, "response": "y" * 20_001}, 422, "response"),
    ({**RIGHT, "response": "bad \x00 text"}, 422, "response"),
    ({**RIGHT, "checks": {"s1-ip": "\ud800"}}, 422, None),
])
def test_bad_submissions_are_4xx_and_record_nothing(client, learner, mission, payload, status, field):
    attempt = start(client, learner, mission)
    before = attempt_state()
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/subtasks/1", data=json.dumps(payload),
                       content_type="application/json", headers=auth(learner))
    assert resp.status_code in (status, 400), resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    if field:
        assert field in error["fields"]
    assert attempt_state() == before


def test_submitting_out_of_order_or_to_an_ended_attempt_is_409(client, learner, mission):
    attempt = start(client, learner, mission)
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/subtasks/2", json=RIGHT, headers=auth(learner))
    assert resp.status_code == 409
    client.post(f"/api/v1/attempts/{attempt['id']}/abandon", headers=auth(learner))
    before = attempt_state()
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/subtasks/1", json=RIGHT, headers=auth(learner))
    assert resp.status_code == 409 and attempt_state() == before


def test_abandon_keeps_the_attempt_and_a_new_start_begins_afresh(client, learner, mission):
    attempt = start(client, learner, mission)
    client.post(f"/api/v1/attempts/{attempt['id']}/subtasks/1", json=RIGHT, headers=auth(learner))
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/abandon", headers=auth(learner))
    assert resp.status_code == 200 and resp.get_json()["status"] == "abandoned"
    assert reload(db.session.get(MissionAttempt, attempt["id"])).responses["1"]["response"] == RIGHT["response"]
    again = client.post(f"/api/v1/attempts/{attempt['id']}/abandon", headers=auth(learner))
    assert again.status_code == 409
    fresh = client.post("/api/v1/attempts", json={"mission": mission.slug}, headers=auth(learner))
    assert fresh.status_code == 201 and fresh.get_json()["id"] != attempt["id"]
    listed = client.get("/api/v1/attempts", headers=auth(learner)).get_json()
    assert [a["status"] for a in listed["items"]] == ["in_progress", "abandoned"] and listed["total"] == 2
    only = client.get("/api/v1/attempts?status=abandoned", headers=auth(learner)).get_json()
    assert [a["id"] for a in only["items"]] == [attempt["id"]]


@pytest.mark.parametrize("who", ["other", "mentor", "admin"])
def test_nobody_else_may_submit_or_abandon(client, learner, mission, who):
    attempt = start(client, learner, mission)
    actor = make_user("learner" if who == "other" else who)
    if who == "mentor":
        assign(actor, learner)
    before = attempt_state()
    for path, payload in ((f"subtasks/1", RIGHT), ("abandon", None)):
        resp = client.post(f"/api/v1/attempts/{attempt['id']}/{path}", json=payload, headers=auth(actor))
        assert resp.status_code in (403, 404)
    assert attempt_state() == before


@pytest.mark.parametrize("who, status", [("other", 403), ("mentor", 200), ("admin", 200), ("stranger", 403)])
def test_who_may_read_an_attempt(client, learner, mission, who, status):
    attempt = start(client, learner, mission)
    actor = make_user("learner" if who == "other" else "mentor" if who == "stranger" else who)
    if who == "mentor":
        assign(actor, learner)
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=auth(actor)).status_code == status


def test_the_list_holds_only_the_callers_attempts(client, learner, mission):
    start(client, learner, mission)
    other = make_user("learner")
    assert client.get("/api/v1/attempts", headers=auth(other)).get_json()["items"] == []
    assert client.get("/api/v1/attempts").status_code == 401


def test_an_unknown_mission_or_attempt_is_404(client, learner):
    assert client.post("/api/v1/attempts", json={"mission": "nope"}, headers=auth(learner)).status_code == 404
    assert client.get("/api/v1/attempts/999999", headers=auth(learner)).status_code == 404
    assert client.post("/api/v1/attempts/999999/abandon", headers=auth(learner)).status_code == 404
