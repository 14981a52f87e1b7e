"""The portfolio API (SPEC §8): items, evidence uploads, submit and review, the public portfolio; the same rules
and errors as the pages, every response checked against the OpenAPI document."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.api.test_api_base import API, assert_documented, assert_json_error, bearer
from tests.factories import make_item, make_mission
from tests.media_samples import sample
from webapp.domain.redaction import fingerprint
from webapp.extensions import db
from webapp.models import MissionAttempt, PortfolioItem, StoredFile

from .helpers import state

ITEM = "/api/v1/portfolio-items/{item_id}"


@pytest.fixture
def spec(client):
    return client.get(f"{API}/openapi.json").get_json()


@pytest.fixture
def auth(people):
    return {who: bearer(user) for who, user in people.items()}


def reload(item_id) -> PortfolioItem:
    db.session.expire_all()
    return db.session.get(PortfolioItem, item_id)


def test_create_list_get_patch_item(client, auth, people, spec):
    mission = make_mission(slug="night-shift")
    db.session.add(MissionAttempt(learner_id=people["owner"].id, mission_id=mission.id))
    db.session.commit()
    resp = client.post(f"{API}/portfolio-items", headers=auth["owner"], json={
        "title": "Write-up", "item_type": "writeup", "summary": "**Done**", "skill_tags": ["Triage", "triage"],
        "mission": "night-shift"})
    assert resp.status_code == 201
    assert_documented(resp, spec, f"{API}/portfolio-items", "post")
    body = resp.get_json()
    assert (body["status"], body["visibility"], body["skill_tags"], body["mission"], body["owner"]) == (
        "draft", "private", ["Triage"], "night-shift", "lea")
    assert body["history"][0]["to_status"] == "draft" and "share_url" not in body
    item_id = body["id"]
    listed = client.get(f"{API}/portfolio-items?status=draft", headers=auth["owner"])
    assert_documented(listed, spec, f"{API}/portfolio-items")
    assert [i["id"] for i in listed.get_json()["items"]] == [item_id] and listed.get_json()["total"] == 1
    assert client.get(f"{API}/portfolio-items?status=approved", headers=auth["owner"]).get_json()["total"] == 0
    got = client.get(ITEM.format(item_id=item_id), headers=auth["owner"])
    assert_documented(got, spec, f"{API}/portfolio-items/{{item_id}}")
    patched = client.patch(ITEM.format(item_id=item_id), headers=auth["owner"], json={"visibility": "unlisted",
                                                                                      "title": "Write-up v2"})
    assert patched.status_code == 200
    assert_documented(patched, spec, f"{API}/portfolio-items/{{item_id}}", "patch")
    token = reload(item_id).share_token
    assert patched.get_json()["share_url"] == f"http://mastery.test/s/{token}"
    # A mentor's view of the same item carries no secret link.
    mentor_view = client.get(ITEM.format(item_id=item_id), headers=auth["assigned_mentor"]).get_json()
    assert "share_url" not in mentor_view and mentor_view["title"] == "Write-up v2"


def test_mentor_lists_a_mentees_items_with_owner_but_not_others(client, auth, people):
    make_item(people["owner"], title="Theirs", status="submitted")
    resp = client.get(f"{API}/portfolio-items?owner=lea&status=submitted", headers=auth["assigned_mentor"])
    assert [i["title"] for i in resp.get_json()["items"]] == ["Theirs"]
    assert_json_error(client.get(f"{API}/portfolio-items?owner=lea", headers=auth["unassigned_mentor"]), 404)
    assert_json_error(client.get(f"{API}/portfolio-items?owner=lea", headers=auth["other_learner"]), 404)


@pytest.mark.parametrize("body, field", [
    ({"title": "x", "item_type": "poem"}, "item_type"),
    ({"title": "x", "item_type": "writeup", "visibility": "secret"}, "visibility"),
    ({"item_type": "writeup"}, "title"),
    ({"title": "x", "item_type": "writeup", "status": "approved"}, "status"),      # status is not writable
    ({"title": "x", "item_type": "writeup", "mission": "nope"}, "mission"),
    ({"title": "x", "item_type": "writeup", "capstone": 999}, "capstone"),
])
def test_create_with_bad_input_is_422_naming_the_field(client, auth, body, field):
    error = assert_json_error(client.post(f"{API}/portfolio-items", headers=auth["owner"], json=body), 422)
    assert field in error["fields"]
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_unknown_filter_values_are_422(client, auth):
    for query in ("status=published", "item_type=poem", "visibility=secret"):
        assert_json_error(client.get(f"{API}/portfolio-items?{query}", headers=auth["owner"]), 422)


def test_without_a_token_the_item_endpoints_are_401(client, people):
    item = make_item(people["owner"])
    for method, path in (("get", f"{API}/portfolio-items"), ("post", f"{API}/portfolio-items"),
                         ("get", ITEM.format(item_id=item.id)), ("patch", ITEM.format(item_id=item.id)),
                         ("delete", ITEM.format(item_id=item.id)), ("post", ITEM.format(item_id=item.id) + "/submit"),
                         ("post", ITEM.format(item_id=item.id) + "/review"),
                         ("post", ITEM.format(item_id=item.id) + "/evidence")):
        assert_json_error(getattr(client, method)(path, json={}), 401)


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("other_learner", 404), ("assigned_mentor", 403),
                                             ("unassigned_mentor", 404), ("admin", 403)])
def test_patch_by_actor(client, auth, people, who, status):
    item = make_item(people["owner"], title="Original")
    before = state()
    resp = client.patch(ITEM.format(item_id=item.id), headers=auth[who], json={"title": "Hijacked"})
    assert resp.status_code == status
    if status != 200:
        assert_json_error(resp, status)
        assert state() == before


@pytest.mark.parametrize(("who", "status"), [("owner", 204), ("other_learner", 404), ("assigned_mentor", 403),
                                             ("unassigned_mentor", 404), ("admin", 204)])
def test_delete_by_actor(client, auth, people, who, status):
    item = make_item(people["owner"])
    before = state()
    resp = client.delete(ITEM.format(item_id=item.id), headers=auth[who])
    assert resp.status_code == status
    assert (state() == before) == (status != 204)


@pytest.mark.parametrize(("who", "status"), [("owner", 403), ("other_learner", 404), ("assigned_mentor", 200),
                                             ("unassigned_mentor", 404), ("admin", 200)])
def test_review_by_actor(client, auth, people, who, status, spec):
    item = make_item(people["owner"], status="submitted")
    before = state()
    resp = client.post(ITEM.format(item_id=item.id) + "/review", headers=auth[who], json={"decision": "approve"})
    assert resp.status_code == status
    if status == 200:
        assert_documented(resp, spec, f"{API}/portfolio-items/{{item_id}}/review", "post")
        assert resp.get_json()["status"] == "approved" and resp.get_json()["reviewed_by"] == people[who].display_name
    else:
        assert_json_error(resp, status)
        assert state() == before


def test_review_errors(client, auth, people):
    item = make_item(people["owner"], status="draft")
    url = ITEM.format(item_id=item.id) + "/review"
    assert_json_error(client.post(url, headers=auth["assigned_mentor"], json={"decision": "approve"}), 409)
    item.status = "submitted"
    db.session.commit()
    assert "decision" in assert_json_error(client.post(url, headers=auth["assigned_mentor"],
                                                       json={"decision": "publish"}), 422)["fields"]
    assert "note" in assert_json_error(client.post(url, headers=auth["assigned_mentor"],
                                                   json={"decision": "request_changes"}), 422)["fields"]
    ok = client.post(url, headers=auth["assigned_mentor"], json={"decision": "request_changes", "note": "Redact."})
    assert ok.get_json()["status"] == "changes_requested" and ok.get_json()["review_note"] == "Redact."


def test_submit_with_findings_is_422_until_each_is_confirmed(client, auth, people, spec):
    item = make_item(people["owner"], summary="via 10.9.8.7")
    url = ITEM.format(item_id=item.id) + "/submit"
    error = assert_json_error(client.post(url, headers=auth["owner"]), 422, "unconfirmed_findings")
    fp = fingerprint("private_ip", "10.9.8.7")
    assert list(error["fields"]) == [fp] and "Private IP address in summary, line 1" in error["fields"][fp]
    assert "10.9.8.7" not in str(error)
    resp = client.post(url, headers=auth["owner"], json={"confirm": [fp]})
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    assert_documented(resp, spec, f"{API}/portfolio-items/{{item_id}}/submit", "post")
    assert_json_error(client.post(url, headers=auth["owner"]), 409)
    assert_json_error(client.post(url, headers=auth["assigned_mentor"]), 403)


def test_evidence_upload_adds_the_file_with_a_download_url(client, auth, people, store, spec):
    item = make_item(people["owner"], status="approved", visibility="public")
    url = ITEM.format(item_id=item.id) + "/evidence"
    resp = client.post(url, headers=auth["owner"], data={"file": (io.BytesIO(sample("pdf")), "report.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert_documented(resp, spec, f"{API}/portfolio-items/{{item_id}}/evidence", "post")
    body = resp.get_json()
    entry = body["evidence_files"][0]
    assert entry["filename"] == "report.pdf" and entry["url"] == f"http://mastery.test/files/{entry['key']}"
    assert store.exists(entry["key"])
    # New evidence changes what was approved: back to draft.
    assert body["status"] == "draft" and body["history"][-1]["from_status"] == "approved"


def test_evidence_upload_refusals(client, auth, people, store):
    item = make_item(people["owner"])
    url = ITEM.format(item_id=item.id) + "/evidence"
    before = state()
    assert_json_error(client.post(url, headers=auth["owner"], data={"file": (io.BytesIO(sample("exe")), "x.pdf")},
                                  content_type="multipart/form-data"), 415)
    assert_json_error(client.post(url, headers=auth["owner"], json={"file": "x"}), 415)
    assert_json_error(client.post(url, headers=auth["owner"], data={"other": "x"},
                                  content_type="multipart/form-data"), 422)
    assert_json_error(client.post(url, headers=auth["other_learner"],
                                  data={"file": (io.BytesIO(sample("pdf")), "r.pdf")},
                                  content_type="multipart/form-data"), 404)
    assert_json_error(client.post(url, headers=auth["assigned_mentor"],
                                  data={"file": (io.BytesIO(sample("pdf")), "r.pdf")},
                                  content_type="multipart/form-data"), 403)
    assert state() == before and store.keys() == []
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_evidence_upload_too_large_is_413(app, client, auth, people, store, monkeypatch):
    from webapp.domain import uploads

    item = make_item(people["owner"])
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    monkeypatch.setattr(uploads, "MB", 10)
    resp = client.post(ITEM.format(item_id=item.id) + "/evidence", headers=auth["owner"],
                       data={"file": (io.BytesIO(sample("pdf") + b" " * 100), "r.pdf")},
                       content_type="multipart/form-data")
    assert_json_error(resp, 413)
    assert store.keys() == []


def test_public_portfolio_endpoint_needs_no_token_and_shows_approved_public_items_only(client, people, spec):
    owner = people["owner"]
    make_item(owner, title="Public", status="approved", visibility="public", skill_tags=["Python"],
              reviewed_by_id=people["assigned_mentor"].id, evidence_files=[
                  {"key": "files/evidence/2026/11/aaa", "filename": "a.pdf", "content_type": "application/pdf",
                   "size": 3},
                  {"key": "files/evidence/2026/11/bbb", "filename": "b.zip", "content_type": "application/zip",
                   "size": 3}])
    make_item(owner, title="Unlisted", status="approved", visibility="unlisted", share_token="t" * 32)
    make_item(owner, title="Draft", status="draft", visibility="public", skill_tags=["Unbacked"])
    resp = client.get(f"{API}/users/lea/portfolio")
    assert resp.status_code == 200
    assert_documented(resp, spec, f"{API}/users/{{handle}}/portfolio")
    body = resp.get_json()
    assert [i["title"] for i in body["items"]] == ["Public"] and body["skills"] == ["Python"]
    item = body["items"][0]
    assert [e["filename"] for e in item["evidence_files"]] == ["a.pdf"]
    assert "share_url" not in item and item["review_note"] == ""
    assert "t" * 32 not in resp.get_data(as_text=True)
    assert_json_error(client.get(f"{API}/users/nobody/portfolio"), 404)


def test_openapi_documents_every_portfolio_path(spec):
    paths = spec["paths"]
    expected = {
        f"{API}/portfolio-items": {"get", "post"},
        f"{API}/portfolio-items/{{item_id}}": {"get", "patch", "delete"},
        f"{API}/portfolio-items/{{item_id}}/evidence": {"post"},
        f"{API}/portfolio-items/{{item_id}}/submit": {"post"},
        f"{API}/portfolio-items/{{item_id}}/review": {"post"},
        f"{API}/users/{{handle}}/portfolio": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    assert paths[f"{API}/users/{{handle}}/portfolio"]["get"]["security"] == []
    assert {"413", "415"} <= set(paths[f"{API}/portfolio-items/{{item_id}}/evidence"]["post"]["responses"])
    assert "409" in paths[f"{API}/portfolio-items/{{item_id}}/review"]["post"]["responses"]
    review_body = paths[f"{API}/portfolio-items/{{item_id}}/review"]["post"]["requestBody"]
    assert review_body["required"] is True
