"""Ids past the database's integer range (bug: `/capstones/9223372036854775808` answered 500 with
`OverflowError: Python int too large to convert to SQLite INTEGER`). The app's `int` URL converter is bounded to
the database's integer range (webapp/routing.py), so every such URL answers the normal 404 page, anonymous or
logged in, HTML or API, and a refused write changes nothing."""
from __future__ import annotations


import pytest

from tests.conftest import log_in
from tests.factories import make_capstone, make_item, make_mission, make_review, make_token, make_user
from tests.snapshots import database_snapshot
from webapp.api.schemas import MAX_ID

SQLITE_OVERFLOW = 2**63          # one past SQLite's (and PostgreSQL's bigint) INTEGER
HUGE_IDS = [SQLITE_OVERFLOW, 10**30, MAX_ID + 1, 2**63 - 1]

PAGES = ["/capstones/{id}", "/attempts/{id}", "/mentorship/reviews/{id}", "/portfolio/items/{id}",
         "/capstones/{id}/rows/investigation_findings-threats", "/mentorship/reviews/{id}/step-row"]
# POST /portfolio/items/{id} and /mentorship/reviews/{id} share their URL with a GET: still 404, not 405.
WRITES = ["/capstones/{id}/delete", "/portfolio/items/{id}/delete", "/mentorship/reviews/{id}/submit",
          "/portfolio/items/{id}", "/mentorship/reviews/{id}",
          "/attempts/{id}/subtasks/{id}", "/mentorship/reviews/1/steps/{id}/toggle",
          "/admin/users/{id}/deactivate", "/account/tokens/{id}/revoke"]


def _world():
    learner, mentor = make_user("learner"), make_user("mentor")
    cap = make_capstone(learner, make_mission())
    make_review(mentor, cap)
    make_item(learner)
    return {"anon": None, "learner": learner, "mentor": mentor, "admin": make_user("admin"), "capstone": cap}


def _world_as(client, actor: str) -> dict:
    """The world, with `client` logged in as `actor` (or anonymous)."""
    people = _world()
    if people[actor]:
        log_in(client, people[actor])
    return people


def _assert_not_found_page(resp, where: str) -> None:
    body = resp.get_data(as_text=True)
    assert resp.status_code == 404, f"{where}: {resp.status_code} {body[:300]!r}"
    assert "<html" in body and "Not found" in body and "We could not find that page." in body, where


@pytest.mark.parametrize("actor", ["anon", "learner", "mentor", "admin"])
@pytest.mark.parametrize("page", PAGES)
def test_page_with_id_past_database_range_is_404_page(client, page, actor):
    _world_as(client, actor)
    for huge in HUGE_IDS:
        url = page.format(id=huge)
        _assert_not_found_page(client.get(url), f"GET {url} as {actor}")


@pytest.mark.parametrize("actor", ["anon", "learner", "mentor", "admin"])
@pytest.mark.parametrize("action", WRITES)
def test_post_with_id_past_database_range_is_404_and_changes_nothing(client, action, actor):
    _world_as(client, actor)
    before = database_snapshot()
    for huge in HUGE_IDS:
        url = action.format(id=huge)
        _assert_not_found_page(client.post(url, data={"written_feedback": "x", "role": "admin"}),
                               f"POST {url} as {actor}")
    after = database_snapshot()
    assert {t for t in before if before[t] != after[t]} == set()


def test_htmx_request_with_huge_id_gets_404_fragment(client):
    from tests.conftest import hx

    log_in(client, _world()["learner"])
    resp = client.get(f"/capstones/{SQLITE_OVERFLOW}", headers=hx(target="main"))
    assert resp.status_code == 404
    assert "<html" not in resp.get_data(as_text=True)
    assert "We could not find that page." in resp.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/capstones/{id}", "/api/v1/mentorship-interactions/{id}",
                                  "/api/v1/portfolio-items/{id}"])
def test_api_with_huge_id_is_json_404_and_changes_nothing(client, path, method):
    user = _world()["learner"]
    headers = {"Authorization": f"Bearer {make_token(user)[1]}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200   # stamps the token before the snapshot
    before = database_snapshot()
    for huge in HUGE_IDS:
        if method == "DELETE" and "mentorship" in path:
            continue   # reviews have no DELETE: 405 for any id
        resp = client.open(path.format(id=huge), method=method, headers=headers, json={"title": "Renamed"})
        assert resp.status_code == 404, f"{method} {path} {huge}: {resp.status_code}"
        assert resp.get_json()["error"]["code"] == "not_found"
    after = database_snapshot()
    assert {t for t in before if before[t] != after[t]} == set()


def test_ids_within_range_still_reach_the_view(client):
    people = _world()
    log_in(client, people["learner"])
    resp = client.get(f"/capstones/{people['capstone'].id}")
    assert resp.status_code == 200 and people["capstone"].mission.title in resp.get_data(as_text=True)
    # The largest id the database can hold is still looked up: no such row, the view's own 404.
    assert client.get(f"/capstones/{MAX_ID}").status_code == 404


@pytest.mark.parametrize("bound", [0, 9, 10, 255, 1000, 2047, MAX_ID])
def test_converter_pattern_matches_exactly_the_numbers_up_to_its_bound(bound):
    import re

    from webapp.routing import digits_up_to

    pattern = re.compile(digits_up_to(bound) + r"\Z")
    near = range(max(0, bound - 3000), bound + 3000)
    for n in [*range(0, 3000), *near, bound * 10, bound * 10 + 9, 2**63]:
        assert bool(pattern.match(str(n))) == (n <= bound), n
    assert bool(pattern.match("0007")) == (bound >= 7) and not pattern.match("-1") and not pattern.match("")
