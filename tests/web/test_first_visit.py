"""The first visit: an anonymous "/" that explains the product, and the public catalogue (issue 19 part 5)."""
from __future__ import annotations

import pytest

from tests.attempts.test_checks import (DEBRIEF_NO, DEBRIEF_YES, EXPLAIN_IP, MISSION_DEBRIEF, MODEL,
                                        assessed_data)
from tests.conftest import count_queries, log_in
from tests.factories import make_mission, make_user
from webapp.extensions import db
from webapp.models import MissionAttempt

from .helpers import text


def test_anonymous_home_explains_the_product_with_live_examples(client):
    make_mission(title="Ransomware Night Shift", track="defender", tier="mastery", slug="ransomware-night")
    make_mission(title="Board Risk Briefing", track="grc", tier="beginner", slug="board-risk")
    make_mission(title="Unreleased Draft", track="offensive", is_published=False)
    resp = client.get("/")
    assert resp.status_code == 200
    page = text(resp)
    for concept in ("Missions", "Capstones", "Mentor reviews", "Portfolio"):
        assert f"<h3>{concept}</h3>" in page
    assert 'href="/missions/ransomware-night">Ransomware Night Shift</a>' in page
    assert 'href="/missions/board-risk">Board Risk Briefing</a>' in page
    assert "Unreleased Draft" not in page
    assert "Defender" in page and "Mastery" in page and "leads into a capstone" in page
    assert 'href="/auth/login">Sign in</a>' in page
    assert 'href="/auth/register">Create an account</a>' in page
    assert "Log out" not in page


def test_visitor_pages_offer_no_account_when_registration_is_closed(app, client):
    mission = make_mission()
    open_pages = [text(client.get(url)) for url in ("/", "/missions", f"/missions/{mission.slug}")]
    assert all("/auth/register" in page for page in open_pages)
    app.config["ALLOW_REGISTRATION"] = False
    try:
        pages = [text(client.get(url)) for url in ("/", "/missions", f"/missions/{mission.slug}")]
    finally:
        app.config["ALLOW_REGISTRATION"] = True
    for page in pages:
        assert "sign in" in page.lower()
        assert "Create an account" not in page and "/auth/register" not in page


def test_anonymous_home_with_an_empty_catalogue_says_so(client):
    page = text(client.get("/"))
    assert "The catalogue is empty for now" in page


def test_logged_in_home_is_still_the_dashboard(client, login_as):
    user = login_as("learner")
    page = text(client.get("/"))
    assert f"Welcome, {user.display_name}" in page
    assert "Learn cybersecurity by doing the job" not in page


def test_the_learner_dashboard_runs_no_more_queries_than_before(client, login_as):
    """The first visit adds nothing to a logged-in "/": the same five reads as before (user, attempts,
    capstones, portfolio counts, suggested missions)."""
    login_as("learner")
    client.get("/")
    with count_queries() as q:
        assert client.get("/").status_code == 200
    assert q.count == 5, q.statements


def test_visitor_browses_the_catalogue_without_progress_filter(client):
    make_mission(title="Ransomware Night Shift")
    make_mission(title="Draft Mission Unreleased", is_published=False)
    resp = client.get("/missions")
    assert resp.status_code == 200
    page = text(resp)
    assert "Ransomware Night Shift" in page and "Draft Mission Unreleased" not in page
    assert "Your progress" not in page
    assert "to start a mission" in page


def test_visitor_filter_by_track_works_and_status_is_ignored(client):
    make_mission(title="Ransomware Night Shift", track="defender")
    make_mission(title="Board Risk Briefing", track="grc")
    page = text(client.get("/missions?track=grc&status=completed"))
    assert "Board Risk Briefing" in page and "Ransomware Night Shift" not in page


def test_visitor_mission_page_shows_rubric_and_outline_but_no_answers(client):
    mission = make_mission(**assessed_data())
    resp = client.get(f"/missions/{mission.slug}")
    assert resp.status_code == 200
    page = text(resp)
    assert "At <strong>02:14</strong> the SOC sees an alert." in page     # the scenario
    assert "Containment" in page and "How well the containment went." in page and "Level 4" in page   # rubric
    assert "<strong>Triage</strong>" in page and "<strong>Scope</strong>" in page      # subtask titles
    assert "T1486" in page                                                                 # techniques
    for secret in (MODEL, MISSION_DEBRIEF, DEBRIEF_YES, DEBRIEF_NO, EXPLAIN_IP, "198.51.100.14",
                   "Hidden follow-up", "Intended path: isolate first.", "Read the alert.", "FS-01 encrypts."):
        assert secret not in page, secret


def test_visitor_mission_start_needs_an_account(client):
    mission = make_mission()
    page = text(client.get(f"/missions/{mission.slug}"))
    login = f"/auth/login?next=/missions/{mission.slug}"
    assert f'href="{login}">Sign in to start</a>' in page
    assert "Create an account" in page
    assert "Start this mission" not in page and 'action="/attempts"' not in page
    resp = client.post("/attempts", data={"mission": mission.slug})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert db.session.query(MissionAttempt).count() == 0


def test_visitor_unpublished_mission_is_404(client):
    mission = make_mission(is_published=False)
    assert client.get(f"/missions/{mission.slug}").status_code == 404


def test_the_api_stays_token_only(client):
    make_mission()
    assert client.get("/api/v1/missions").status_code == 401


# --- a visitor's render and a learner's never meet in the cache -------------------------------------------------

VISITOR = {"mission": "Sign in to start", "missions": "to start a mission", "home": "Learn cybersecurity"}
LEARNER = {"mission": "Start this mission", "missions": "Your progress", "home": "Welcome, "}
PATHS = {"mission": "/missions/{slug}", "missions": "/missions", "home": "/"}


@pytest.mark.parametrize("page", sorted(PATHS))
@pytest.mark.parametrize("order", ["visitor first", "learner first"])
def test_visitor_and_learner_pages_are_never_served_to_each_other(app, page, order):
    mission = make_mission()
    url = PATHS[page].format(slug=mission.slug)
    learner = make_user("learner")
    visitor_client, learner_client = app.test_client(), app.test_client()
    log_in(learner_client, learner)

    def as_visitor():
        body = text(visitor_client.get(url))
        assert VISITOR[page] in body and LEARNER[page] not in body

    def as_learner():
        body = text(learner_client.get(url))
        assert LEARNER[page] in body and VISITOR[page] not in body

    steps = [as_visitor, as_learner] if order == "visitor first" else [as_learner, as_visitor]
    for step in steps + steps:          # twice: the second round is served from the cache
        step()
