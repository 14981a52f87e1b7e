"""Permission matrix for every state-changing capstone route (pages and API): anonymous, owner, other learner,
assigned mentor, unassigned mentor and admin. Each refusal leaves the database as it was."""
from __future__ import annotations

import io

import pytest

from tests.capstones.helpers import FORM, VALUES, capstone_for, snapshot, world
from tests.conftest import log_in
from tests.factories import make_completed_attempt, make_token
from tests.media_samples import sample

ROLES = ["anonymous", "owner", "other_learner", "assigned_mentor", "unassigned_mentor", "admin"]


def _setup(client, who):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], **VALUES["investigation"])
    if who != "anonymous":
        log_in(client, w[who])
    return w, cap


PAGE_ROUTES = {
    # name: (request, status for the owner)
    "save": (lambda c, cap: c.post(f"/capstones/{cap.id}/phases/investigation",
                                   data={**FORM["investigation"], "action": "save", "version": "1"}), 303),
    "complete": (lambda c, cap: c.post(f"/capstones/{cap.id}/phases/investigation",
                                       data={**FORM["investigation"], "action": "complete", "version": "1"}), 303),
    "delete": (lambda c, cap: c.post(f"/capstones/{cap.id}/delete"), 303),
}
# Readers (assigned mentor, admin) reach the capstone but may not change it (403); strangers get 403 too.
PAGE_EXPECTED = {"anonymous": 302, "other_learner": 403, "assigned_mentor": 403, "unassigned_mentor": 403,
                 "admin": 403}


@pytest.mark.parametrize("route", list(PAGE_ROUTES))
@pytest.mark.parametrize("who", ROLES)
def test_page_write_permission_matrix(client, who, route):
    _, cap = _setup(client, who)
    before = snapshot()
    request, owner_status = PAGE_ROUTES[route]
    resp = request(client, cap)
    if who == "owner":
        assert resp.status_code == owner_status
        assert snapshot() != before
    else:
        assert resp.status_code == PAGE_EXPECTED[who]
        assert snapshot() == before
        if who == "anonymous":
            assert "/auth/login" in resp.headers["Location"]


@pytest.mark.parametrize("who", ROLES)
def test_page_read_permission_matrix(client, who):
    _, cap = _setup(client, who)
    resp = client.get(f"/capstones/{cap.id}")
    expected = {"anonymous": 302, "owner": 200, "other_learner": 403, "assigned_mentor": 200,
                "unassigned_mentor": 403, "admin": 200}[who]
    assert resp.status_code == expected


@pytest.mark.parametrize("who", ROLES)
def test_start_permission_anonymous_is_sent_to_log_in_and_everyone_else_starts_their_own(client, who):
    w, _ = _setup(client, who)
    if who not in ("anonymous", "owner"):
        make_completed_attempt(w[who], w["mission"])     # a capstone builds on the starter's own completed attempt
    before = snapshot()
    resp = client.post("/capstones", data={"mission": w["mission"].slug})
    after = snapshot()
    if who == "anonymous":
        assert resp.status_code == 302 and after == before
    elif who == "owner":
        assert resp.status_code == 303 and after == before           # opens the existing one
    else:
        assert resp.status_code == 303 and len(after["capstones"]) == len(before["capstones"]) + 1
        assert after["capstones"][-1][1] == w[who].id                # their own, never the owner's


API_ROUTES = {
    "patch": ("PATCH", lambda cap: f"/api/v1/capstones/{cap.id}",
              lambda: {"json": {"investigation_findings": {"threats": ["changed"]}}}, 200),
    "complete": ("POST", lambda cap: f"/api/v1/capstones/{cap.id}/phases/investigation/complete", dict, 200),
    "delete": ("DELETE", lambda cap: f"/api/v1/capstones/{cap.id}", dict, 204),
    "files": ("POST", lambda cap: f"/api/v1/capstones/{cap.id}/files",
              lambda: {"data": {"field": "investigation_artifacts", "description": "Timeline",
                                "file": (io.BytesIO(sample("pdf")), "t.pdf")},
                       "content_type": "multipart/form-data"}, 201),
}
API_EXPECTED = {"anonymous": 401, "other_learner": 403, "assigned_mentor": 403, "unassigned_mentor": 403,
                "admin": 403}


@pytest.mark.parametrize("route", list(API_ROUTES))
@pytest.mark.parametrize("who", ROLES)
def test_api_write_permission_matrix(client, who, route):
    w, cap = _setup(client, "anonymous")
    method, path, kwargs, owner_status = API_ROUTES[route]
    resp_kwargs = kwargs()
    headers = {}
    if who != "anonymous":
        _, token = make_token(w[who])       # before the snapshot: only the request itself is compared
        headers["Authorization"] = f"Bearer {token}"
    before = snapshot()
    resp = client.open(path(cap), method=method, headers=headers, **resp_kwargs)
    if who == "owner":
        assert resp.status_code == owner_status, resp.get_json()
        assert snapshot() != before
    else:
        assert resp.status_code == API_EXPECTED[who], resp.get_json()
        assert resp.get_json()["error"]["code"] in ("unauthorized", "forbidden")
        assert snapshot() == before
