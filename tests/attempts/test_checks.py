"""Checks on the attempt page (SPEC §3.1, issue #17): the prompts in the subtask form, marking on submission,
results and explanations after it (never before), key points with the learner's self-assessment, the model
answer, and the score and debriefs on the summary of a completed attempt."""
from __future__ import annotations

import pytest

from tests.conftest import hx, log_in
from tests.factories import assign, make_mission, make_user, mission_data
from tests.web.helpers import text

from .helpers import attempt_state, reload, start

EXPLAIN_IP = "The Received header shows 198.51.100.14 handing the message to our MX."
EXPLAIN_VERDICT = "DMARC failed for our own domain: someone spoofed it."
EXPLAIN_IDEAS = "A strong answer revokes sessions and resets the password."
MODEL = "Verdict: phishing. Purge, block the sender, reset Maria's password."
MISSION_DEBRIEF = "An expert checks the headers before the link, then searches for other recipients."
DEBRIEF_YES = "Isolating stops the spread at the cost of the ward printer."
DEBRIEF_NO = "Watching keeps evidence but lets the encryptor reach the shares."


def assessed_data(**overrides) -> dict:
    data = mission_data(slug="phish-triage", **overrides)
    first, second, third, hidden = data["subtasks"]
    first["checks"] = [
        {"id": "s1-ip", "kind": "answer", "prompt": "Which IP handed the message to our MX?",
         "accept": ["198.51.100.14"], "points": 2, "explanation": EXPLAIN_IP},
        {"id": "s1-verdict", "kind": "choice", "prompt": "Your verdict?", "points": 1,
         "options": [{"id": "phish", "label": "Phishing"}, {"id": "spam", "label": "Bulk spam"}],
         "correct": ["phish"], "explanation": EXPLAIN_VERDICT},
        {"id": "s1-ideas", "kind": "keywords", "groups": [["revoke", "invalidate"], ["password reset", "reset"]],
         "min": 2, "points": 2, "explanation": EXPLAIN_IDEAS},
    ]
    first["key_points"] = ["Names the sending IP", "Calls it phishing", "Resets the password"]
    first["model_answer"] = MODEL
    first["decisions"][0]["options"][0]["debrief"] = DEBRIEF_YES
    first["decisions"][0]["options"][1]["debrief"] = DEBRIEF_NO
    for sub in (second, third, hidden):
        sub["checks"] = [{"id": f"s{sub['id']}-n", "kind": "answer", "prompt": "How many hosts?",
                          "accept": ["3", "three"], "points": 1, "explanation": "Three hosts beaconed."}]
    data["debrief"] = MISSION_DEBRIEF
    return data


@pytest.fixture
def playing(client, login_as):
    mission = make_mission(**assessed_data())
    learner = login_as("learner")
    attempt = start(client, mission)
    attempt.learner = learner
    return attempt


def post(client, attempt, subtask_id, response="My analysis.", headers=None, **fields):
    return client.post(f"/attempts/{attempt.id}/subtasks/{subtask_id}", data={"response": response, **fields},
                       headers=headers or {})


RIGHT_1 = {"check-s1-ip": " 198.51.100.14 ", "check-s1-verdict": "phish", "decision-isolate": "yes"}
WRONG_1 = {"check-s1-ip": "x", "check-s1-verdict": "spam", "decision-isolate": "no"}


def test_the_form_asks_the_check_prompts_without_giving_the_answers_away(client, playing):
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "Which IP handed the message to our MX?" in page and 'name="check-s1-ip"' in page
    assert 'name="check-s1-verdict"' in page and "Bulk spam" in page
    assert "marked too (2 points)" in page
    for secret in ("198.51.100.14", EXPLAIN_IP, EXPLAIN_VERDICT, EXPLAIN_IDEAS, MODEL, "password reset",
                   "Names the sending IP", MISSION_DEBRIEF, DEBRIEF_YES, DEBRIEF_NO):
        assert secret not in page, secret


def test_submitting_marks_the_checks_and_shows_results_and_explanations_beside_the_next_subtask(client, playing):
    resp = post(client, playing, 1, "Revoke the sessions and force a password reset.", **RIGHT_1)
    assert resp.status_code == 303
    attempt = reload(playing)
    entry = attempt.responses["1"]
    assert entry["checks"] == {"s1-ip": "198.51.100.14", "s1-verdict": "phish"}
    assert entry["marks"] == {"s1-ip": 2, "s1-verdict": 1, "s1-ideas": 2}
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "Result of “Triage”: 5 of 5 points" in page
    for shown in (EXPLAIN_IP, EXPLAIN_VERDICT, EXPLAIN_IDEAS, MODEL, "Names the sending IP"):
        assert shown in page
    assert "How many hosts?" in page                                  # the next subtask's check
    assert "Three hosts beaconed." not in page                        # …whose explanation stays hidden
    assert MISSION_DEBRIEF not in page and DEBRIEF_NO not in page     # debriefs wait for the summary


def test_wrong_answers_show_what_was_accepted(client, playing):
    post(client, playing, 1, "x", **WRONG_1)
    assert reload(playing).responses["1"]["marks"] == {"s1-ip": 0, "s1-verdict": 0, "s1-ideas": 0}
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "0 of 5 points" in page
    assert "Your answer: x · Accepted: 198.51.100.14" in page
    assert "Your choice: Bulk spam · Right: Phishing" in page


def test_htmx_submission_answers_with_the_result_and_the_next_subtask(client, playing):
    resp = post(client, playing, 1, "Revoke sessions, reset.", headers=hx("attempt-subtask"), **RIGHT_1)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'id="attempt-subtask"' in body and EXPLAIN_IP in body and "How many hosts?" in body


def play_through(client, attempt, right: bool):
    post(client, attempt, 1, "Revoke sessions and reset the password." if right else "x", **(RIGHT_1 if right else WRONG_1))
    attempt = reload(attempt)
    while attempt.status == "in_progress":       # choosing "no" opens the hidden follow-up (the factory's event)
        sid = attempt.current_subtask_id
        post(client, attempt, sid, "Three hosts." if right else "x", **{f"check-s{sid}-n": "three" if right else "x"})
        attempt = reload(attempt)
    return attempt


def test_model_answers_score_high_and_wrong_answers_score_low(client, playing):
    done = play_through(client, playing, right=True)
    assert done.status == "completed" and done.score == 100


def test_x_everywhere_scores_zero(client, playing):
    done = play_through(client, playing, right=False)
    assert done.status == "completed" and done.score == 0


def test_the_summary_shows_the_score_breakdown_and_the_debriefs_once_complete(client, playing):
    play_through(client, playing, right=False)
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "You earned 0 of 8 points on the questions (0%)" in page     # the follow-up opened: 5 + 3 × 1
    assert MISSION_DEBRIEF in page
    assert DEBRIEF_YES in page and DEBRIEF_NO in page
    assert "your choice" in page


def test_an_unanswered_check_earns_nothing_but_the_subtask_is_accepted(client, playing):
    resp = post(client, playing, 1, "Revoke and reset.", **{"decision-isolate": "yes"})
    assert resp.status_code == 303
    assert reload(playing).responses["1"]["marks"] == {"s1-ip": 0, "s1-verdict": 0, "s1-ideas": 2}


@pytest.mark.parametrize("fields, field", [
    ({"check-nope": "x"}, "check-nope"),
    ({"check-s2-n": "3"}, "check-s2-n"),                     # a check of another subtask
    ({"check-s1-verdict": "maybe"}, "check-s1-verdict"),     # an option the check does not offer
    ({"check-s1-verdict": ["phish", "spam"]}, "check-s1-verdict"),
    ({"check-s1-ip": "9" * 201}, "check-s1-ip"),
])
def test_a_bad_check_answer_is_422_with_the_field_marked_and_nothing_recorded(client, playing, fields, field):
    before = attempt_state()
    resp = post(client, playing, 1, "Keep this text.", **{"decision-isolate": "yes", **fields})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in page or "not a question of this subtask" in page
    assert "Keep this text." in page
    assert attempt_state() == before


def test_the_learner_ticks_key_points_and_the_mentor_sees_them(client, playing):
    post(client, playing, 1, "Revoke and reset.", **RIGHT_1)
    resp = client.post(f"/attempts/{playing.id}/subtasks/1/key-points", data={"covered": ["0", "2"]})
    assert resp.status_code == 303
    assert reload(playing).responses["1"]["covered"] == [0, 2]
    mentor = make_user("mentor")
    assign(mentor, playing.learner)
    log_in(client, mentor)
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "ticked by the learner as covered" in page
    assert ">covered:</span> Names the sending IP" in page and ">not covered:</span> Calls it phishing" in page


def test_self_assessment_by_htmx_answers_the_key_points_region(client, playing):
    post(client, playing, 1, "Revoke and reset.", **RIGHT_1)
    resp = client.post(f"/attempts/{playing.id}/subtasks/1/key-points", data={"covered": "1"},
                       headers=hx("key-points-1"))
    assert resp.status_code == 200 and "Self-assessment saved" in resp.get_data(as_text=True)
    assert reload(playing).responses["1"]["covered"] == [1]


@pytest.mark.parametrize("subtask_id, covered, status", [(1, ["7"], 422), (1, ["x"], 422), (2, ["0"], 409),
                                                         (99, ["0"], 404)])
def test_a_bad_self_assessment_is_refused_and_changes_nothing(client, playing, subtask_id, covered, status):
    post(client, playing, 1, "Revoke and reset.", **RIGHT_1)
    before = attempt_state()
    resp = client.post(f"/attempts/{playing.id}/subtasks/{subtask_id}/key-points", data={"covered": covered})
    assert resp.status_code == status
    assert attempt_state() == before


@pytest.mark.parametrize("who", ["other", "mentor", "admin"])
def test_nobody_but_the_learner_may_tick_their_key_points(client, playing, who):
    post(client, playing, 1, "Revoke and reset.", **RIGHT_1)
    actor = make_user("learner" if who == "other" else who)
    if who == "mentor":
        assign(actor, playing.learner)
    log_in(client, actor)
    before = attempt_state()
    resp = client.post(f"/attempts/{playing.id}/subtasks/1/key-points", data={"covered": ["0"]})
    assert resp.status_code == 403
    assert attempt_state() == before


# ---- abandon (the page) ---------------------------------------------------------------------------------------

def test_the_learner_abandons_after_confirming_and_can_start_again(client, playing):
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "Abandon this attempt…" in page and "Yes, abandon this attempt" in page
    resp = client.post(f"/attempts/{playing.id}/abandon")
    assert resp.status_code == 303
    assert reload(playing).status == "abandoned"
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "Attempt abandoned" in page and 'name="response"' not in page
    mission_page = text(client.get("/missions/phish-triage"))
    assert "(abandoned)" in mission_page and "Start a new attempt" in mission_page
    fresh = start(client, playing.mission)
    assert fresh.id != playing.id and fresh.status == "in_progress"


def test_abandoning_twice_is_409_and_nobody_else_may_abandon(client, playing):
    other = make_user("learner")
    log_in(client, other)
    assert client.post(f"/attempts/{playing.id}/abandon").status_code == 403
    assert reload(playing).status == "in_progress"
    log_in(client, playing.learner)
    client.post(f"/attempts/{playing.id}/abandon")
    before = attempt_state()
    assert client.post(f"/attempts/{playing.id}/abandon").status_code == 409
    assert attempt_state() == before


def test_an_event_fired_by_a_submission_is_announced_beside_the_form(client, playing):
    resp = post(client, playing, 1, "x", headers=hx("attempt-subtask"), **WRONG_1)
    body = resp.get_data(as_text=True)
    news = body[body.index('id="attempt-news"'):]
    assert 'hx-swap-oob="true"' in news[:200]
    announcement = news[:news.index("</div>")]
    assert "Something happened" in announcement and "FS-01 encrypts." in announcement


def test_a_quiet_submission_clears_the_announcement(client, playing):
    resp = post(client, playing, 1, "Revoke and reset.", headers=hx("attempt-subtask"), **RIGHT_1)
    body = resp.get_data(as_text=True)
    start_at = body.index('id="attempt-news"')
    assert "Something happened" not in body[start_at:start_at + 400]


def test_the_mentors_review_workspace_shows_the_marks_and_the_self_assessment(client, playing):
    from webapp.extensions import db
    from webapp.models import MentorshipInteraction

    post(client, playing, 1, "Revoke and reset.", **RIGHT_1)
    client.post(f"/attempts/{playing.id}/subtasks/1/key-points", data={"covered": ["0"]})
    mentor = make_user("mentor")
    assign(mentor, playing.learner)
    review = MentorshipInteraction(mentor_id=mentor.id, learner_id=playing.learner_id, mission_id=playing.mission_id,
                                   attempt_id=playing.id, review_phase=1, total_phases=1)
    db.session.add(review)
    db.session.commit()
    log_in(client, mentor)
    page = text(client.get(f"/mentorship/reviews/{review.id}"))
    assert "Checks: 5 of 5 points · 1 of 3 key points ticked" in page
    assert ">covered:</span> Names the sending IP" in page and EXPLAIN_IP in page
