"""The scenario clock and drafts on the attempt page (SPEC §3, issue #17): the clock shows scenario time (real
time divided by the learner's multiplier) next to the estimate and stops when the attempt ends; what the
learner types is kept as a draft until the subtask is submitted, and only the learner may keep one."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import hx, log_in
from tests.factories import assign, make_mission, make_user
from tests.web.helpers import text
from webapp.extensions import db

from .helpers import age, attempt_state, reload, start, submit
from .test_checks import assessed_data


@pytest.fixture
def playing(client, login_as):
    mission = make_mission(**assessed_data(estimated_minutes=90))
    learner = login_as("learner")
    attempt = start(client, mission)
    attempt.learner = learner
    return attempt


def clock(page: str) -> str:
    m = re.search(r'scenario time <strong><time[^>]*>([^<]*)</time></strong>( of about [^<]*)?', page)
    assert m, "no scenario clock on the page"
    return m.group(1) + (m.group(2) or "")


def test_the_clock_shows_scenario_time_and_the_estimate_and_ticks_in_the_browser(client, playing):
    age(playing, 65)
    page = text(client.get(f"/attempts/{playing.id}"))
    assert clock(page) == "1 h 5 min of about 1 h 30 min"
    assert f'data-clock-start="{reload(playing).started_at.isoformat()}"' in page


def test_the_clock_runs_at_the_learners_time_multiplier(client, playing):
    playing.learner.time_multiplier = 2
    db.session.commit()
    age(playing, 65)
    page = text(client.get(f"/attempts/{playing.id}"))
    assert clock(page).startswith("32 min") and 'data-clock-multiplier="2"' in page


def test_the_clock_stops_when_the_attempt_is_abandoned(client, playing):
    age(playing, 20)
    client.post(f"/attempts/{playing.id}/abandon")
    age(playing, 100)                          # time passes after the end: the clock does not move
    page = text(client.get(f"/attempts/{playing.id}"))
    assert "data-clock-start" not in page


def test_a_draft_is_kept_and_shown_again_after_a_reload_until_submitted(client, playing):
    resp = client.post(f"/attempts/{playing.id}/subtasks/1/draft", headers=hx("draft-status"),
                       data={"response": "Half-written: the header shows", "decision-isolate": "no",
                             "check-s1-ip": "198.51", "check-s1-verdict": "phish"})
    assert resp.status_code == 200 and "Draft saved at" in resp.get_data(as_text=True)
    draft = reload(playing).drafts["1"]
    assert draft["response"] == "Half-written: the header shows"
    assert draft["decisions"] == {"isolate": "no"} and draft["checks"] == {"s1-ip": "198.51", "s1-verdict": "phish"}
    page = text(client.get(f"/attempts/{playing.id}"))
    assert ">Half-written: the header shows</textarea>" in page
    assert 'value="198.51"' in page and 'id="decision-isolate-no" name="decision-isolate" value="no" required checked' in page
    submit(client, playing, 1, "Final text.", isolate="yes")
    assert reload(playing).drafts == {}


def test_drafts_refuse_other_subtasks_ended_attempts_and_oversized_text(client, playing):
    before = attempt_state()
    assert client.post(f"/attempts/{playing.id}/subtasks/2/draft", data={"response": "x"}).status_code == 409
    assert client.post(f"/attempts/{playing.id}/subtasks/1/draft", data={"response": "y" * 20_001}).status_code == 422
    assert client.post(f"/attempts/{playing.id}/subtasks/1/draft", data={"response": "a\x00b"}).status_code in (400, 422)
    assert attempt_state() == before and reload(playing).drafts == {}
    client.post(f"/attempts/{playing.id}/abandon")
    assert client.post(f"/attempts/{playing.id}/subtasks/1/draft", data={"response": "x"}).status_code == 409


def test_invalid_answers_are_left_out_of_a_draft(client, playing):
    client.post(f"/attempts/{playing.id}/subtasks/1/draft",
                data={"response": "x", "check-nope": "1", "check-s1-verdict": "maybe", "decision-isolate": "perhaps"})
    draft = reload(playing).drafts["1"]
    assert draft["checks"] == {} and draft["decisions"] == {}


@pytest.mark.parametrize("who", ["other", "mentor", "admin"])
def test_nobody_but_the_learner_may_keep_a_draft(client, playing, who):
    actor = make_user("learner" if who == "other" else who)
    if who == "mentor":
        assign(actor, playing.learner)
    log_in(client, actor)
    before = attempt_state()
    assert client.post(f"/attempts/{playing.id}/subtasks/1/draft", data={"response": "x"}).status_code == 403
    assert reload(playing).drafts == {} and attempt_state() == before


def test_a_late_autosave_after_the_submission_keeps_nothing_and_shows_nothing(client, playing):
    submit(client, playing, 1, "Final text.", isolate="yes")
    resp = client.post(f"/attempts/{playing.id}/subtasks/1/draft", headers=hx("draft-status"),
                       data={"response": "Final text."})
    assert resp.status_code == 204 and resp.get_data() == b""
    assert reload(playing).drafts == {}
