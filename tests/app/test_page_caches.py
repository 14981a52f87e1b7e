"""Pages served from the revision cache show every change at once, to every viewer, with their own buttons.

The capstone workspace, the review queue, the public portfolio and GET /api/v1/capstones/<id> are kept per
revision of the areas they show (webapp/caching). Each test reads a page (so it is cached), changes what it
shows the way users do, and reads it again."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests import factories
from tests.conftest import count_queries, log_in
from tests.mentorship.helpers import submitted_capstone
from webapp.extensions import db
from webapp.models import CapstoneProject, MissionAttempt
from webapp.models.base import utcnow


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def browser(app, user=None):
    client = app.test_client()
    if user is not None:
        log_in(client, user)
    return client


def test_capstone_page_shows_a_saved_phase_and_a_renamed_mission_at_once(app):
    learner = factories.make_user("learner")
    mission = factories.make_mission(tier="mastery", title="Lateral movement")
    cap = factories.make_capstone(learner, mission)
    page = browser(app, learner)
    assert "Lateral movement" in text(page.get(f"/capstones/{cap.id}?phase=decision_making"))
    resp = page.patch(f"/api/v1/capstones/{cap.id}", json={"decision_analysis": "Isolate first, then hunt."},
                      headers={"Authorization": f"Bearer {factories.make_token(learner)[1]}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Isolate first, then hunt." in text(page.get(f"/capstones/{cap.id}?phase=decision_making"))
    mission.title = "Lateral movement, revised"
    db.session.commit()
    assert "Lateral movement, revised" in text(page.get(f"/capstones/{cap.id}"))


def test_capstone_page_is_cached_per_viewer_with_their_own_buttons(app, monkeypatch):
    # The page is kept per minute (claims lapse with the clock): hold the minute still, so two requests that
    # straddle a minute's end do not count as a miss.
    minute = utcnow()
    monkeypatch.setattr("webapp.capstones.views.utcnow", lambda: minute)
    learner = factories.make_user("learner", display_name="Ada Learner")
    mentor = factories.make_user("mentor")
    factories.assign(mentor, learner)
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    own = text(browser(app, learner).get(f"/capstones/{cap.id}"))
    theirs = text(browser(app, mentor).get(f"/capstones/{cap.id}"))
    assert "Your capstone" in own and "Ada Learner's capstone" not in own
    assert "Ada Learner's capstone" in theirs and "Your capstone" not in theirs
    # A cached page reads the user, with the shared revisions and their own, and nothing else: that the
    # capstone is theirs is kept under the revision of their own data.
    again = browser(app, learner)
    again.get(f"/capstones/{cap.id}")
    with count_queries() as q:
        assert "Your capstone" in text(again.get(f"/capstones/{cap.id}"))
    assert q.count == 1, q.statements
    # Anyone else's access is checked on every request: the user and the capstone's learner and claimer.
    mentor_again = browser(app, mentor)
    mentor_again.get(f"/capstones/{cap.id}")
    with count_queries() as q:
        assert "Ada Learner's capstone" in text(mentor_again.get(f"/capstones/{cap.id}"))
    assert any("capstone_projects.claimed_by_id" in s for s in q.statements), q.statements


def test_a_capstone_deleted_or_its_id_reused_is_not_served_from_its_owners_cache(app):
    owner = factories.make_user("learner", display_name="Owner One")
    other = factories.make_user("learner", display_name="Other Two")
    mission = factories.make_mission(tier="mastery", title="Ransomware response")
    cap = factories.make_capstone(owner, mission, decision_analysis="Owner's own analysis")
    cap_id = cap.id
    page = browser(app, owner)
    assert "Owner&#39;s own analysis" in text(page.get(f"/capstones/{cap_id}?phase=decision_making"))
    db.session.delete(cap)
    db.session.commit()
    with count_queries() as q:
        assert page.get(f"/capstones/{cap_id}").status_code == 404
    assert q.count == 2, q.statements          # the user, then the capstone (once)
    # The same id again, now another learner's (SQLite can reuse the highest id after a delete).
    factories.make_capstone(other, mission, id=cap_id, decision_analysis="Someone else's analysis")
    resp = page.get(f"/capstones/{cap_id}?phase=decision_making")
    assert resp.status_code == 403 and "Someone else" not in resp.get_data(as_text=True)
    api = {"Authorization": f"Bearer {factories.make_token(owner)[1]}"}
    assert page.get(f"/api/v1/capstones/{cap_id}", headers=api).status_code == 403


def test_mission_page_buttons_follow_the_viewers_own_attempt_and_capstone(app):
    mission = factories.make_mission(tier="mastery", title="Beacon hunt")
    learner, other = factories.make_user("learner"), factories.make_user("learner")
    page = browser(app, learner)
    assert "Start this mission" in text(page.get(f"/missions/{mission.slug}"))
    resp = page.post("/attempts", data={"mission": mission.slug, "acknowledge_scope": "y"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    html = text(page.get(f"/missions/{mission.slug}"))
    assert "Resume your attempt" in html and "Start this mission" not in html
    assert "Start this mission" in text(browser(app, other).get(f"/missions/{mission.slug}"))
    # No capstone before the attempt is completed: the page says so, and starting one anyway is refused.
    assert "Start capstone" not in html and "Finish your attempt" in html
    resp = page.post("/capstones", data={"mission": mission.slug})
    assert resp.status_code == 409 and "Complete the mission first" in resp.get_data(as_text=True)
    attempt = db.session.scalar(select(MissionAttempt).where(MissionAttempt.learner_id == learner.id))
    attempt.status, attempt.completed_at = "completed", utcnow()
    db.session.commit()
    html = text(page.get(f"/missions/{mission.slug}"))
    assert "Start capstone" in html and f"/attempts/{attempt.id}" in html and "Finish your attempt" not in html
    resp = page.post("/capstones", data={"mission": mission.slug})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    assert db.session.scalar(select(CapstoneProject.attempt_id).where(CapstoneProject.learner_id == learner.id)) \
        == attempt.id
    assert "Open your capstone" in text(page.get(f"/missions/{mission.slug}"))
    # Served again: the user query (with the revisions of the catalogue and of their own data) is all it reads.
    with count_queries() as q:
        assert "Open your capstone" in text(page.get(f"/missions/{mission.slug}"))
    assert q.count == 1, q.statements


def test_cached_capstone_forms_post_with_each_sessions_own_token(app):
    learner = factories.make_user("learner")
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    for n in range(2):                          # two sessions, the second served from the cache
        client = browser(app, learner)
        client.send_csrf = False
        html = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
        assert not re.search(r"csrf-[0-9a-f]{32}", html)     # no stored placeholder is ever served
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
        version = re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', html).group(1)
        resp = client.post(f"/capstones/{cap.id}/phases/investigation",
                           data={"csrf_token": token, "version": version, "action": "save"})
        assert resp.status_code in (200, 303), resp.get_data(as_text=True)[:500]
        assert "session expired" not in resp.get_data(as_text=True).lower()


def test_queue_shows_a_new_submission_and_a_claim_at_once(app, monkeypatch):
    minute = utcnow()   # the queue is kept per minute: hold it still (see the capstone page's test)
    monkeypatch.setattr("webapp.mentorship.views.utcnow", lambda: minute)
    mentor = factories.make_user("mentor")
    other_mentor = factories.make_user("mentor")
    learner = factories.make_user("learner", display_name="Queue Learner")
    queue = browser(app, mentor)
    assert "Queue Learner" not in text(queue.get("/mentorship/queue"))
    cap = submitted_capstone(learner)
    assert "Queue Learner" in text(queue.get("/mentorship/queue"))
    cap.claimed_by_id, cap.claimed_at = other_mentor.id, utcnow()
    db.session.commit()
    # Claimed by a mentor who is not this learner's: no longer this mentor's to review.
    assert "Queue Learner" not in text(queue.get("/mentorship/queue"))
    with count_queries() as q:
        queue.get("/mentorship/queue")
    assert q.count == 1, q.statements


def test_public_portfolio_shows_a_newly_approved_item_and_a_new_name_at_once(app):
    learner = factories.make_user("learner", display_name="Grace Public")
    visitor = browser(app)
    assert "has no approved public items yet" in text(visitor.get(f"/p/{learner.handle}"))
    factories.make_item(learner, title="Phishing triage write-up", status="approved", visibility="public",
                        reviewed_at=utcnow())
    assert "Phishing triage write-up" in text(visitor.get(f"/p/{learner.handle}"))
    learner.display_name = "Grace Hopper-Public"
    db.session.commit()
    assert "Grace Hopper-Public" in text(visitor.get(f"/p/{learner.handle}"))
    with count_queries() as q:
        visitor.get(f"/p/{learner.handle}")
    assert q.count == 1, q.statements


def test_public_portfolio_tells_its_owner_and_not_a_visitor(app):
    learner = factories.make_user("learner")
    mine = text(browser(app, learner).get(f"/p/{learner.handle}"))
    public = text(browser(app).get(f"/p/{learner.handle}"))
    assert "This is your public page as visitors see it" in mine
    assert "This is your public page as visitors see it" not in public


def test_api_capstone_shows_a_review_and_history_at_once(app):
    learner, mentor = factories.make_user("learner"), factories.make_user("mentor")
    factories.assign(mentor, learner)
    cap = submitted_capstone(learner)
    auth = {"Authorization": f"Bearer {factories.make_token(learner)[1]}"}
    client = browser(app)
    before = client.get(f"/api/v1/capstones/{cap.id}", headers=auth).get_json()
    cap.mentor_approved, cap.mentor_final_score = True, 88
    db.session.commit()
    after = client.get(f"/api/v1/capstones/{cap.id}", headers=auth).get_json()
    assert (before["mentor_approved"], after["mentor_approved"]) == (False, True)
    assert float(after["mentor_final_score"]) == 88


def test_a_reader_who_loses_access_is_refused_even_with_the_page_cached(app):
    learner, mentor = factories.make_user("learner"), factories.make_user("mentor")
    link = factories.assign(mentor, learner)
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    page = browser(app, mentor)
    assert page.get(f"/capstones/{cap.id}").status_code == 200
    db.session.delete(link)
    db.session.commit()
    assert page.get(f"/capstones/{cap.id}").status_code == 403
