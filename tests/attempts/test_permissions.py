"""Who may open and change an attempt: one parametrised test per state-changing route over anonymous, owner,
other learner, assigned mentor, unassigned mentor and admin; each case asserts the status and, on refusal,
that the database did not change. Plus the mentor's read-only view."""
from __future__ import annotations

import pytest

from tests.conftest import hx, log_in
from tests.factories import assign, make_mission, make_user
from tests.web.helpers import text
from webapp.extensions import db
from webapp.models import MissionAttempt, User

from .helpers import attempt_state, reload, start, submit

WHO = ["anonymous", "owner", "other_learner", "assigned_mentor", "unassigned_mentor", "admin"]


@pytest.fixture
def world(client):
    """A learner with an attempt in progress on subtask 1, their mentor, and everyone else."""
    mission = make_mission(slug="night-shift")
    learner = make_user("learner", display_name="Lea Learner")
    people = {"owner": learner, "other_learner": make_user("learner"), "assigned_mentor": make_user("mentor"),
              "unassigned_mentor": make_user("mentor"), "admin": make_user("admin")}
    assign(people["assigned_mentor"], learner)
    log_in(client, learner)
    attempt = start(client, mission)
    with client.session_transaction() as sess:
        sess.clear()
    return {"mission": mission, "attempt": attempt, "people": people}


def act_as(client, world, who):
    if who != "anonymous":
        log_in(client, world["people"][who])


def finish(client, world):
    log_in(client, world["people"]["owner"])
    attempt = world["attempt"]
    for sid, extra in ((1, {"isolate": "yes"}), (2, {}), (3, {})):
        submit(client, attempt, sid, **extra)
    with client.session_transaction() as sess:
        sess.clear()


def assert_refused(resp, expected, before):
    assert resp.status_code == expected
    if expected == 302:
        assert "/auth/login" in resp.headers["Location"]
    assert attempt_state() == before


# ---- viewing ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 200), ("other_learner", 403),
                                             ("assigned_mentor", 200), ("unassigned_mentor", 403), ("admin", 200)])
def test_view_attempt_by_actor(client, world, who, status):
    act_as(client, world, who)
    resp = client.get(f"/attempts/{world['attempt'].id}")
    assert resp.status_code == status
    if status == 403:
        assert "belongs to another learner" in text(resp)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 303), ("other_learner", 403),
                                             ("assigned_mentor", 403), ("unassigned_mentor", 403), ("admin", 403)])
def test_submit_subtask_by_actor(client, world, who, status):
    act_as(client, world, who)
    before = attempt_state()
    resp = submit(client, world["attempt"], 1, "An answer.", isolate="yes")
    if status == 303:
        assert resp.status_code == 303
        assert reload(world["attempt"]).responses["1"]["response"] == "An answer."
    else:
        assert_refused(resp, status, before)


def test_submit_subtask_anonymous_htmx_is_401_with_hx_redirect(client, world):
    before = attempt_state()
    resp = submit(client, world["attempt"], 1, isolate="yes", headers=hx(target="attempt-subtask"))
    assert resp.status_code == 401 and "/auth/login" in resp.headers["HX-Redirect"]
    assert attempt_state() == before


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 303), ("other_learner", 403),
                                             ("assigned_mentor", 403), ("unassigned_mentor", 403), ("admin", 403)])
def test_request_review_by_actor(client, world, who, status):
    finish(client, world)
    act_as(client, world, who)
    before = attempt_state()
    resp = client.post(f"/attempts/{world['attempt'].id}/review")
    if status == 303:
        assert resp.status_code == 303 and reload(world["attempt"]).review_requested_at is not None
    else:
        assert_refused(resp, status, before)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 303), ("other_learner", 403),
                                             ("assigned_mentor", 403), ("unassigned_mentor", 403), ("admin", 403)])
def test_acknowledge_scope_by_actor(client, world, who, status):
    mission = make_mission(slug="red-team", track="offensive")
    owner = world["people"]["owner"]
    attempt = MissionAttempt(learner_id=owner.id, mission_id=mission.id, mission_snapshot=mission.content(),
                             current_subtask_id=1, responses={}, decisions={}, fired_events=[])
    db.session.add(attempt)
    db.session.commit()
    act_as(client, world, who)
    before = attempt_state()
    resp = client.post(f"/attempts/{attempt.id}/scope", data={"acknowledge_scope": "y"})
    if status == 303:
        assert resp.status_code == 303 and reload(attempt).scope_acknowledged_at is not None
    else:
        assert_refused(resp, status, before)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 403), ("other_learner", 403),
                                             ("assigned_mentor", 303), ("unassigned_mentor", 403), ("admin", 303)])
def test_set_time_multiplier_by_actor(client, world, who, status):
    act_as(client, world, who)
    before = attempt_state()
    resp = client.post(f"/attempts/{world['attempt'].id}/time-multiplier", data={"time_multiplier": "1.5"})
    if status == 303:
        assert resp.status_code == 303
        db.session.expire_all()
        assert db.session.get(User, world["people"]["owner"].id).time_multiplier == 1.5
    else:
        assert_refused(resp, status, before)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 303), ("other_learner", 303),
                                             ("assigned_mentor", 303), ("unassigned_mentor", 303), ("admin", 303)])
def test_start_by_actor_starts_their_own_attempt(client, world, who, status):
    act_as(client, world, who)
    before = attempt_state()
    resp = client.post("/attempts", data={"mission": "night-shift"})
    assert resp.status_code == status
    if who == "anonymous":
        assert attempt_state() == before
        return
    attempt = db.session.get(MissionAttempt, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert attempt.learner_id == world["people"][who].id
    if who == "owner":
        assert attempt.id == world["attempt"].id


# ---- the mentor's view -------------------------------------------------------------------------------------------

def test_assigned_mentor_sees_the_attempt_read_only_next_to_mentor_notes(client, world):
    owner = world["people"]["owner"]
    log_in(client, owner)
    submit(client, world["attempt"], 1, "Keep watching FIN-WS-042.", isolate="no")
    log_in(client, world["people"]["assigned_mentor"])
    resp = client.get(f"/attempts/{world['attempt'].id}")
    page = text(resp)
    assert "Lea Learner" in page and "read-only" in page
    assert "Mentor notes" in page and "Intended path: isolate first." in page
    assert "Keep watching FIN-WS-042." in page
    assert "<dt>Isolate now?</dt><dd>Watch</dd>" in page
    assert "FS-01 encrypts." in page and "badge-sev-high" in page and "Spread to a server." in page
    assert "Failed logons." in page
    assert 'name="response"' not in page and "Submit subtask" not in page
    assert 'hx-trigger="every' not in page
    assert 'name="time_multiplier"' in page and "Extra time" in page


def test_learner_never_sees_mentor_notes_or_the_multiplier_form(client, world):
    log_in(client, world["people"]["owner"])
    page = text(client.get(f"/attempts/{world['attempt'].id}"))
    assert "Intended path" not in page and "Mentor notes" not in page
    assert 'name="time_multiplier"' not in page


def test_mentor_sets_time_multiplier_with_htmx(client, world):
    log_in(client, world["people"]["assigned_mentor"])
    resp = client.post(f"/attempts/{world['attempt'].id}/time-multiplier", data={"time_multiplier": "2.5"},
                       headers=hx(target="attempt-multiplier"))
    assert resp.status_code == 200
    body = text(resp).strip()
    assert body.startswith('<section id="attempt-multiplier"') and body.endswith("</section>")
    assert "time multiplier is now ×2.5" in body
    assert '"time-multiplier-changed"' in resp.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(User, world["people"]["owner"].id).time_multiplier == 2.5
