"""Refused submissions (SPEC §3, issue 'Bad input'): hidden, already submitted, out of order, unknown decision or
option, missing answers, a finished attempt. Each is a clear 409 or 422, never a 500, the database does not
change, and what the learner typed is kept."""
from __future__ import annotations

import pytest

from tests.conftest import hx
from tests.factories import make_mission
from tests.web.helpers import text

from .helpers import attempt_state, reload, start, submit


@pytest.fixture
def playing(client, login_as):
    mission = make_mission(slug="night-shift")
    login_as("learner")
    return start(client, mission)


def test_out_of_order_submission_is_409_naming_current_and_keeps_the_text(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 2, "My scoping notes, typed with care.")
    assert resp.status_code == 409
    page = text(resp)
    assert "<html" in page
    assert "Subtasks go in order: submit “Triage” first." in page
    assert "My scoping notes, typed with care." in page            # shown again, ready to copy
    assert 'id="rejected-response"' in page
    assert 'name="response"' in page                               # the current subtask's form is there too
    assert attempt_state() == before


def test_hidden_subtask_submission_is_409_without_revealing_it(client, playing):
    submit(client, playing, 1, isolate="yes")
    before = attempt_state()
    resp = submit(client, playing, 4, "Trying the hidden one.")
    assert resp.status_code == 409
    page = text(resp)
    assert "not open yet" in page
    assert "Hidden follow-up" not in page and "Deal with the fallout" not in page
    assert attempt_state() == before


def test_already_submitted_subtask_is_409_and_the_first_answer_stays(client, playing):
    submit(client, playing, 1, "First answer.", isolate="yes")
    before = attempt_state()
    resp = submit(client, playing, 1, "Second answer.", isolate="no")
    assert resp.status_code == 409
    assert "already submitted" in text(resp)
    assert attempt_state() == before
    assert reload(playing).responses["1"]["response"] == "First answer."


def test_unknown_subtask_is_404(client, playing):
    before = attempt_state()
    assert submit(client, playing, 99).status_code == 404
    assert attempt_state() == before


def test_unknown_option_is_422_with_the_field_marked_and_text_kept(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "Keep this analysis.", isolate="maybe")
    assert resp.status_code == 422
    page = text(resp)
    assert "<html" in page
    assert 'id="decision-isolate-error"' in page and "“maybe” is not an option of “Isolate now?”" in page
    assert ">Keep this analysis.</textarea>" in page
    assert attempt_state() == before


def test_missing_decision_is_422_and_keeps_the_text(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "Analysis without a decision.")
    assert resp.status_code == 422
    page = text(resp)
    assert "Choose an answer to “Isolate now?”" in page
    assert ">Analysis without a decision.</textarea>" in page
    assert attempt_state() == before


def test_unknown_decision_is_422(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "Text.", isolate="yes", reboot="now")
    assert resp.status_code == 422
    assert "“reboot” is not a decision of this subtask." in text(resp)
    assert attempt_state() == before


def test_empty_response_is_422_and_keeps_the_chosen_option(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "   ", isolate="no")
    assert resp.status_code == 422
    page = text(resp)
    assert 'id="response-error"' in page and "Write your response" in page
    assert 'value="no" required checked' in page
    assert attempt_state() == before


def test_htmx_invalid_submission_returns_the_form_partial_with_errors(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "Typed in the browser.", headers=hx(target="attempt-subtask"))
    assert resp.status_code == 422
    body = text(resp).strip()
    assert body.startswith('<section id="attempt-subtask"') and body.endswith("</section>")
    assert "<html" not in body
    assert ">Typed in the browser.</textarea>" in body and "Choose an answer" in body
    assert attempt_state() == before


def test_htmx_conflict_answers_a_message_in_flashes_and_leaves_the_form(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 2, "Typed.", headers=hx(target="attempt-subtask"))
    assert resp.status_code == 409
    assert resp.headers["HX-Retarget"] == "#flashes"
    assert "submit “Triage” first" in text(resp)
    assert 'id="attempt-subtask"' not in text(resp)
    assert attempt_state() == before


def test_submission_to_a_completed_attempt_is_409(client, playing):
    for sid, extra in ((1, {"isolate": "yes"}), (2, {}), (3, {})):
        submit(client, playing, sid, **extra)
    before = attempt_state()
    resp = submit(client, playing, 3, "Again.")
    assert resp.status_code == 409
    assert attempt_state() == before


def test_huge_response_is_422_not_500(client, playing):
    resp = submit(client, playing, 1, "x" * 20_001, isolate="yes")
    assert resp.status_code == 422
    assert "under 20,000 characters" in text(resp)


def test_response_with_nul_character_is_422_not_500(client, playing):
    before = attempt_state()
    resp = submit(client, playing, 1, "before\x00after", isolate="yes")
    assert resp.status_code == 422
    assert "NUL character" in text(resp)
    assert attempt_state() == before


@pytest.mark.parametrize("value", ["0", "5", "abc", "", "nan"])
def test_time_multiplier_out_of_range_is_422_and_changes_nothing(client, login_as, value):
    from tests.factories import assign, make_user

    mission = make_mission(slug="night-shift")
    learner = login_as("learner")
    attempt = start(client, mission)
    mentor = make_user("mentor")
    assign(mentor, learner)
    login_as(mentor)
    before = attempt_state()
    resp = client.post(f"/attempts/{attempt.id}/time-multiplier", data={"time_multiplier": value})
    assert resp.status_code == 422
    assert "from 1 to 4" in text(resp)
    assert attempt_state() == before
    resp = client.post(f"/attempts/{attempt.id}/time-multiplier", data={"time_multiplier": value},
                       headers=hx(target="attempt-multiplier"))
    assert resp.status_code == 422 and text(resp).lstrip().startswith('<section id="attempt-multiplier"')
