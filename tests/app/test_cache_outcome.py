"""CACHE_SERVER_TIMING: each answer that used the page cache says whether it was found there (for load tests)."""
from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import log_in
from webapp.caching import outcome


@pytest.fixture
def timing(app):
    app.config["CACHE_SERVER_TIMING"] = True
    yield
    app.config["CACHE_SERVER_TIMING"] = False


def cache_of(resp) -> str | None:
    assert resp.status_code == 200, resp.status_code
    return resp.headers.get("Server-Timing")


def test_a_page_is_a_miss_then_a_hit_then_a_miss_after_a_write_that_makes_it_stale(app, timing, monkeypatch):
    from webapp.models.base import utcnow

    minute = utcnow()
    monkeypatch.setattr("webapp.capstones.views.utcnow", lambda: minute)
    learner = factories.make_user("learner")
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    client = app.test_client()
    log_in(client, learner)
    path = f"/capstones/{cap.id}?phase=decision_making"
    assert cache_of(client.get(path)) == 'cache;desc="miss"'
    assert cache_of(client.get(path)) == 'cache;desc="hit"'
    resp = client.patch(f"/api/v1/capstones/{cap.id}", json={"decision_analysis": "Contain, then hunt."},
                        headers={"Authorization": f"Bearer {factories.make_token(learner)[1]}"})
    assert resp.status_code == 200
    assert cache_of(client.get(path)) == 'cache;desc="miss"'
    assert cache_of(client.get(path)) == 'cache;desc="hit"'


def test_an_api_document_reports_too(app, timing):
    learner = factories.make_user("learner")
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    headers = {"Authorization": f"Bearer {factories.make_token(learner)[1]}"}
    client = app.test_client()
    assert cache_of(client.get(f"/api/v1/capstones/{cap.id}", headers=headers)) == 'cache;desc="miss"'
    assert cache_of(client.get(f"/api/v1/capstones/{cap.id}", headers=headers)) == 'cache;desc="hit"'


def test_off_by_default_and_absent_where_nothing_cached_was_used(app):
    learner = factories.make_user("learner")
    cap = factories.make_capstone(learner, factories.make_mission(tier="mastery"))
    client = app.test_client()
    log_in(client, learner)
    assert cache_of(client.get(f"/capstones/{cap.id}")) is None
    app.config["CACHE_SERVER_TIMING"] = True
    try:
        assert cache_of(client.get("/healthz")) is None
        assert client.get(f"/capstones/{cap.id}").headers["Server-Timing"].startswith("cache;desc=")
    finally:
        app.config["CACHE_SERVER_TIMING"] = False


def test_an_existing_server_timing_entry_is_kept(app):
    resp = app.response_class("x")
    resp.headers["Server-Timing"] = "db;dur=1.5"
    with app.test_request_context("/"):
        app.config["CACHE_SERVER_TIMING"] = True
        try:
            outcome.record(hit=True)
            outcome.record(hit=False)
            assert outcome.add_header(resp).headers["Server-Timing"] == 'db;dur=1.5, cache;desc="miss"'
        finally:
            app.config["CACHE_SERVER_TIMING"] = False


def test_the_setting_is_read_from_the_environment():
    from webapp.config import load_config

    assert load_config({"CACHE_SERVER_TIMING": "1"})["CACHE_SERVER_TIMING"] is True
    assert load_config({"CACHE_SERVER_TIMING": "no"})["CACHE_SERVER_TIMING"] is False
    assert "CACHE_SERVER_TIMING" not in load_config({})
