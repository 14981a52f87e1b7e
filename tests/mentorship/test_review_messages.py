"""The review form's validation messages name fields as the form shows them (bug: "subtask_scores.1: must be
between 0 and 100" and "choose approve or request_changes" beside buttons reading "Approve" / "Request
changes"). The API keeps its `fields` keys; only the text people read changed."""
from __future__ import annotations

import html

from ..conftest import hx, log_in
from ..factories import make_token
from .helpers import form_for, make_attempt, reload, setup_review, snapshot


def _flash_text(resp) -> str:
    return html.unescape(resp.text)


def test_save_bad_subtask_score_names_the_subtask_by_number_and_title(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    before = snapshot(review)
    resp = client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, **{"subtask_score.1": "101"}))
    page = _flash_text(resp)
    assert resp.status_code == 422 and "<html" in page
    assert "Some fields need fixing: Score for subtask 1 (Triage): must be between 0 and 100." in page
    assert "subtask_scores.1" not in page
    assert snapshot(review) == before


def test_save_bad_input_through_htmx_names_every_field_as_the_form_does(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}", headers=hx("review-save-status"),
                       data=form_for(review, overall_score="120", meeting_duration_minutes="0",
                                     step_title="Late", step_priority="low", step_deadline="2020-01-01",
                                     **{"subtask_score.2": "abc", "rubric.containment": "9"}))
    text = _flash_text(resp)
    assert resp.status_code == 422 and "<html" not in text
    for shown in ("Score for subtask 2 (Scope): must be a number from 0 to 100",
                  "Rubric level for Containment: must be one of the levels 1, 2, 3, 4",
                  "Overall score: must be between 0 and 100",
                  "Meeting duration (minutes): whole minutes, 1 to 600",
                  "Next step 1, deadline: 2020-01-01 is in the past"):
        assert shown in text, shown
    for key in ("subtask_scores.", "rubric_scores.", "overall_score:", "meeting_duration_minutes:",
                "recommended_next_steps."):
        assert key not in text, key


def test_submit_last_phase_without_decision_names_the_buttons(client):
    learner, mentor, cap, review = setup_review(total_phases=1)
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}/submit", headers=hx("review-save-status"),
                       data=form_for(review, overall_score="80"))
    text = _flash_text(resp)
    assert resp.status_code == 422 and reload(review).status == "draft"
    assert "The review cannot be submitted yet: choose Approve or Request changes." in text
    assert "request_changes" not in text
    # Without JavaScript the page comes back with the same message.
    page = _flash_text(client.post(f"/mentorship/reviews/{review.id}/submit", data=form_for(review)))
    assert ("The review cannot be submitted yet: the last phase needs an overall score (0-100); "
            "choose Approve or Request changes.") in page
    assert 'value="request_changes"' in page and "> Request changes</label>" in page   # the button it names


def test_submit_attempt_review_with_an_unknown_decision_offers_only_approve(client):
    from webapp.services import reviews as service

    from ..factories import make_mission

    from webapp.models.base import utcnow

    learner, mentor, cap, _ = setup_review()
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow())
    review = service.create(mentor, attempt_id=attempt.id, review_phase=1, total_phases=1)
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}/submit", headers=hx("review-save-status"),
                       data=form_for(review, overall_score="80", decision="reject"))
    assert resp.status_code == 422
    assert "choose Approve or leave the decision empty" in _flash_text(resp)


def test_api_keeps_field_keys_and_values_and_words_the_message_for_people(client):
    learner, mentor, cap, review = setup_review(total_phases=1)
    headers = {"Authorization": f"Bearer {make_token(mentor)[1]}"}
    resp = client.patch(f"/api/v1/mentorship-interactions/{review.id}", headers=headers,
                        json={"subtask_scores": {"1": 101, "9": 50}, "rubric_comments": {"style": "Neat."}})
    error = resp.get_json()["error"]
    assert resp.status_code == 422
    assert error["fields"] == {"subtask_scores.1": "must be between 0 and 100",
                               "subtask_scores.9": "'9' is not a subtask of this mission",
                               "rubric_comments.style": "'style' is not a rubric criterion of this mission"}
    assert "Score for subtask 1 (Triage): must be between 0 and 100" in error["message"]
    assert "Score for subtask 9: '9' is not a subtask of this mission" in error["message"]
    assert "Rubric comment style: 'style' is not a rubric criterion of this mission" in error["message"]
    submit = client.post(f"/api/v1/mentorship-interactions/{review.id}/submit", headers=headers,
                         json={"overall_score": 80})
    error = submit.get_json()["error"]
    assert submit.status_code == 422 and error["fields"] == {"decision": "choose approve or request_changes"}
    assert "choose Approve or Request changes" in error["message"]
