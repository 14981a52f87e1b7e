"""A shipped mastery mission played to the end through the pages and through the API (issue #17, done-when): with
wrong answers it scores low, with the model answers high, and the score is exactly SPEC §3.1's formula."""
from __future__ import annotations

import pytest

from tests.factories import make_token
from webapp.domain import assessment
from webapp.extensions import db
from webapp.models import MissionAttempt
from webapp.services import catalogue as catalogue_service
from webapp.services.catalogue import SEED_DIR

SHIPPED = "defender/hospital-ransomware-night-shift"


@pytest.fixture
def mission():
    (data,) = catalogue_service.read_missions(SEED_DIR / "missions" / f"{SHIPPED}.yaml")
    catalogue_service.upsert_missions([data])
    return catalogue_service.get_mission(data["slug"])


def answers_for(subtask: dict, right: bool) -> tuple[str, dict, dict]:
    """(response, decisions, checks): the model answer and accepted answers, or 'x' everywhere."""
    checks = {}
    for c in subtask.get("checks") or []:
        if c["kind"] == "answer":
            checks[c["id"]] = c["accept"][0] if right else "x"
        elif c["kind"] == "choice":
            wrong = next(o["id"] for o in c["options"] if o["id"] not in c["correct"])
            pick = c["correct"] if right else [wrong]
            checks[c["id"]] = pick if c.get("multiple") else pick[0]
    # The least costly option of each decision is the last in this mission; decisions are not scored.
    decisions = {d["id"]: d["options"][-1]["id"] for d in subtask.get("decisions") or []}
    return (subtask["model_answer"] if right else "x"), decisions, checks


def subtask_of(attempt: MissionAttempt, sid: int) -> dict:
    return next(s for s in attempt.mission_snapshot["subtasks"] if s["id"] == sid)


def finished(attempt_id: int) -> MissionAttempt:
    db.session.expire_all()
    attempt = db.session.get(MissionAttempt, attempt_id)
    assert attempt.status == "completed"
    expected = assessment.score(attempt.mission_snapshot, attempt.responses, attempt.score_penalty)
    assert attempt.score == expected                      # exactly SPEC §3.1's formula
    return attempt


@pytest.mark.parametrize("right", [True, False], ids=["model-answers", "wrong-answers"])
def test_played_through_the_api(client, login_as, mission, right):
    learner = login_as("learner")
    _, token = make_token(learner)
    api = {"Authorization": f"Bearer {token}"}
    body = client.post("/api/v1/attempts", json={"mission": mission.slug}, headers=api).get_json()
    while body["status"] == "in_progress":
        sid = body["current_subtask_id"]
        response, decisions, checks = answers_for(subtask_of(db.session.get(MissionAttempt, body["id"]), sid), right)
        resp = client.post(f"/api/v1/attempts/{body['id']}/subtasks/{sid}", headers=api,
                           json={"response": response, "decisions": decisions, "checks": checks})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()
    attempt = finished(body["id"])
    assert body["score"] == attempt.score
    if right:
        assert attempt.score >= 85 and body["points"] == body["points_possible"]
    else:
        assert attempt.score == 0


@pytest.mark.parametrize("right", [True, False], ids=["model-answers", "wrong-answers"])
def test_played_through_the_pages(client, login_as, mission, right):
    login_as("learner")
    resp = client.post("/attempts", data={"mission": mission.slug})
    attempt_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    attempt = db.session.get(MissionAttempt, attempt_id)
    while attempt.status == "in_progress":
        sid = attempt.current_subtask_id
        response, decisions, checks = answers_for(subtask_of(attempt, sid), right)
        form = {"response": response, **{f"decision-{k}": v for k, v in decisions.items()},
                **{f"check-{k}": v for k, v in checks.items()}}
        assert client.post(f"/attempts/{attempt_id}/subtasks/{sid}", data=form).status_code == 303
        db.session.expire_all()
        attempt = db.session.get(MissionAttempt, attempt_id)
    attempt = finished(attempt_id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'<p class="score"><strong>{attempt.score}</strong>' in page
    assert (attempt.score >= 85) if right else (attempt.score == 0)
