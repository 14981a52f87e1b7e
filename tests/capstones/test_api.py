"""The capstone API (SPEC §8): the same rules and errors as the pages, documented in the OpenAPI document."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.capstones.helpers import VALUES, capstone_for, reload, snapshot, world
from tests.factories import make_completed_attempt, make_mission, make_review, make_token, make_user
from tests.media_samples import sample
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, StoredFile
from webapp.models.base import utcnow


def auth(user) -> dict:
    _, token = make_token(user)
    return {"Authorization": f"Bearer {token}"}


def test_create_capstone_is_201_with_phases_and_current_phase(client):
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission, completed_at=utcnow() - timedelta(days=2))      # an older one
    attempt = make_completed_attempt(learner, mission)
    resp = client.post("/api/v1/capstones", json={"mission": mission.slug}, headers=auth(learner))
    body = resp.get_json()
    assert resp.status_code == 201
    assert body["attempt"] == attempt.id        # it builds on the latest completed attempt
    assert body["current_phase"] == "investigation" and body["progress_percent"] == 0
    assert body["phases"] == [{"key": p, "complete": False, "completed_at": None} for p in PHASES]
    assert body["mission"]["slug"] == mission.slug and body["learner"]["handle"] == learner.handle
    assert body["history"][0]["action"] == "started" and body["version"] == 1


def test_create_capstone_without_a_completed_attempt_is_409_and_creates_nothing(client):
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(make_user("learner"), mission)                       # someone else's does not count
    make_completed_attempt(learner, mission, status="abandoned", completed_at=None)
    make_completed_attempt(learner, mission, status="in_progress", completed_at=None, score=None)
    resp = client.post("/api/v1/capstones", json={"mission": mission.slug}, headers=auth(learner))
    err = resp.get_json()["error"]
    assert resp.status_code == 409 and err["code"] == "conflict"
    assert "Complete the mission first" in err["message"] and err["fields"]["mission"] == "no completed attempt"
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


def test_create_capstone_twice_is_409_with_existing_id(client):
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission)
    headers = auth(learner)
    first = client.post("/api/v1/capstones", json={"mission": mission.slug}, headers=headers).get_json()
    resp = client.post("/api/v1/capstones", json={"mission": mission.slug}, headers=headers)
    err = resp.get_json()["error"]
    assert resp.status_code == 409 and err["code"] == "conflict"
    assert err["existing_id"] == first["id"] and err["fields"]["existing_id"] == str(first["id"])


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "mission"), ({"mission": ""}, 422, "mission"), ({"mission": "nope"}, 404, "mission"),
    ({"mission": "x", "extra": 1}, 422, "extra"),
])
def test_create_capstone_bad_input(client, body, status, field):
    resp = client.post("/api/v1/capstones", json=body, headers=auth(make_user("learner")))
    assert resp.status_code == status and field in resp.get_json()["error"]["fields"]


def test_create_capstone_for_a_lower_tier_mission_is_422(client):
    mission = make_mission(tier="advanced")
    resp = client.post("/api/v1/capstones", json={"mission": mission.slug}, headers=auth(make_user("learner")))
    assert resp.status_code == 422 and "mastery" in resp.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


def test_list_capstones_paginates_visible_ones_and_filters(client):
    w = world()
    capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    capstone_for(w["owner"])
    capstone_for(w["other_learner"])
    body = client.get("/api/v1/capstones", headers=auth(w["owner"])).get_json()
    assert body["total"] == 2 and body["page"] == 1 and {c["learner"]["handle"] for c in body["items"]} == {
        w["owner"].handle}
    assert client.get("/api/v1/capstones?status=in_review", headers=auth(w["owner"])).get_json()["total"] == 1
    assert client.get(f"/api/v1/capstones?mission={w['mission'].slug}",
                      headers=auth(w["owner"])).get_json()["items"][0]["current_phase"] == "mentor_review"
    assert client.get("/api/v1/capstones", headers=auth(w["assigned_mentor"])).get_json()["total"] == 2
    assert client.get("/api/v1/capstones", headers=auth(w["admin"])).get_json()["total"] == 3
    assert client.get("/api/v1/capstones?per_page=500", headers=auth(w["owner"])).status_code == 422


def test_get_capstone_reads_for_owner_mentor_admin_and_refuses_others(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    for who in ("owner", "assigned_mentor", "admin"):
        body = client.get(f"/api/v1/capstones/{cap.id}", headers=auth(w[who])).get_json()
        assert body["current_phase"] == "decision_making" and body["phases"][0]["complete"] is True
        assert body["investigation_findings"]["threats"] == ["Ransomware operator"]
    for who in ("other_learner", "unassigned_mentor"):
        assert client.get(f"/api/v1/capstones/{cap.id}", headers=auth(w[who])).status_code == 403
    assert client.get("/api/v1/capstones/9999", headers=auth(w["owner"])).status_code == 404


def test_patch_edits_open_phases_and_returns_the_new_version(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=auth(w["owner"]), json={
        "version": 1, **VALUES["decision_making"], "remediation_plan": "Plan"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["version"] == 2
    assert body["decisions_made"][0]["rationale"] == "Stop the spread" and body["remediation_plan"] == "Plan"
    assert [h["phase"] for h in body["history"][:2]] == ["design_remediation", "decision_making"]


@pytest.mark.parametrize("payload, status, field", [
    ({"investigation_findings": {"threats": "not a list"}}, 422, "investigation_findings.threats"),
    ({"investigation_artifacts": [{"type": "link", "url": "ftp://x"}]}, 422, "investigation_artifacts.0.url"),
    ({"decisions_made": [{"decision": "d", "decided_at": "tomorrow"}]}, 422, "decisions_made.0.decided_at"),
    ({"presentation_type": "podcast"}, 422, "presentation_type"),
    ({"mentor_approved": True}, 422, "mentor_approved"),
    ({}, 422, "body"),
])
def test_patch_bad_input_is_422_naming_the_field_and_changes_nothing(client, payload, status, field):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    headers = auth(w["owner"])
    before = snapshot()
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=headers, json=payload)
    assert resp.status_code == status and field in resp.get_json()["error"]["fields"], resp.get_json()
    assert snapshot() == before


def test_patch_completed_phase_is_409_and_stale_version_is_409(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    headers = auth(w["owner"])
    before = snapshot()
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=headers,
                        json={"investigation_findings": {"threats": ["x"]}})
    assert resp.status_code == 409 and "read-only" in resp.get_json()["error"]["message"]
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=headers, json={"remediation_plan": "p", "version": 7})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "stale"
    assert snapshot() == before


def test_patch_under_review_is_409(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES, submitted_at=db.func.now())
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=auth(w["owner"]), json={"presentation_notes": "x"})
    assert resp.status_code == 409 and "under mentor review" in resp.get_json()["error"]["message"]


def test_complete_phases_in_order_through_the_api_submits_for_review(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    headers = auth(w["owner"])
    resp = client.post(f"/api/v1/capstones/{cap.id}/phases/decision_making/complete", headers=headers)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"] == {"phase": "investigation"}
    resp = client.post(f"/api/v1/capstones/{cap.id}/phases/investigation/complete", headers=headers)
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"investigation_findings"}
    for phase in PHASES:
        assert client.patch(f"/api/v1/capstones/{cap.id}", headers=headers, json=VALUES[phase]).status_code == 200
        resp = client.post(f"/api/v1/capstones/{cap.id}/phases/{phase}/complete", headers=headers)
        assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["current_phase"] == "mentor_review" and body["under_review"] and body["submitted_at"]
    assert body["progress_percent"] == 100
    again = client.post(f"/api/v1/capstones/{cap.id}/phases/presentation/complete", headers=headers)
    assert again.status_code == 409
    unknown = client.post(f"/api/v1/capstones/{cap.id}/phases/overall/complete", headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"   # no such phase: no route


def test_delete_by_owner_is_204_and_after_review_is_409(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    reviewed = capstone_for(w["owner"])
    make_review(w["assigned_mentor"], reviewed)
    headers = auth(w["owner"])
    assert client.delete(f"/api/v1/capstones/{cap.id}", headers=headers).status_code == 204
    assert reload(cap.id) is None
    resp = client.delete(f"/api/v1/capstones/{reviewed.id}", headers=headers)
    assert resp.status_code == 409 and reload(reviewed.id) is not None


def test_upload_attaches_a_file_to_the_phase_field(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers=auth(w["owner"]), content_type="multipart/form-data",
                       data={"field": "investigation_artifacts", "description": "EDR export",
                             "file": (io.BytesIO(sample("pdf")), "edr.pdf")})
    body = resp.get_json()
    assert resp.status_code == 201 and body["field"] == "investigation_artifacts" and body["filename"] == "edr.pdf"
    cap = reload(cap.id)
    assert cap.investigation_artifacts[-1] == {"type": "file", "url": f"/files/{body['key']}",
                                               "description": "EDR export"}
    detail = client.get(f"/api/v1/capstones/{cap.id}", headers=auth(w["owner"])).get_json()
    assert detail["files"][0]["key"] == body["key"]


def test_upload_presentation_video_sets_the_presentation_url(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=PHASES[:4])
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers=auth(w["owner"]), content_type="multipart/form-data",
                       data={"field": "presentation", "file": (io.BytesIO(sample("webm-video")), "talk.webm")})
    assert resp.status_code == 201, resp.get_json()
    assert reload(cap.id).presentation_url == f"/files/{resp.get_json()['key']}"


@pytest.mark.parametrize("data, status, field", [
    ({"field": "investigation_artifacts", "file": (io.BytesIO(b"<html><script>x</script></html>"), "a.pdf")},
     415, "file"),
    ({"field": "decisions_made", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")}, 422, "field"),
    ({"field": "investigation_artifacts"}, 422, "file"),
])
def test_upload_refused_leaves_no_file_and_no_change(client, data, status, field):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    headers = auth(w["owner"])
    before = snapshot()
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers=headers, content_type="multipart/form-data",
                       data=data)
    assert resp.status_code == status and field in resp.get_json()["error"]["fields"], resp.get_json()
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_upload_too_large_is_413(client, app, monkeypatch):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    headers = auth(w["owner"])
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10) + b"\n%%EOF\n"
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers=headers, content_type="multipart/form-data",
                       data={"field": "design_documents", "file": (io.BytesIO(big), "big.pdf")})
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_upload_to_a_completed_phase_is_409(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers=auth(w["owner"]), content_type="multipart/form-data",
                       data={"field": "investigation_artifacts", "file": (io.BytesIO(sample("pdf")), "a.pdf")})
    assert resp.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_openapi_documents_every_capstone_path_with_its_schemas_and_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/capstones": {"get", "post"},
        "/api/v1/capstones/{capstone_id}": {"get", "patch", "delete"},
        "/api/v1/capstones/{capstone_id}/phases/{key}/complete": {"post"},
        "/api/v1/capstones/{capstone_id}/files": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create = paths["/api/v1/capstones"]["post"]
    assert {"201", "409", "422", "401"} <= set(create["responses"]) and "existing_id" in create["description"]
    assert "requestBody" in create
    complete = paths["/api/v1/capstones/{capstone_id}/phases/{key}/complete"]["post"]
    assert {"200", "409", "422", "403", "404"} <= set(complete["responses"])
    files = paths["/api/v1/capstones/{capstone_id}/files"]["post"]
    assert {"201", "413", "415"} <= set(files["responses"]) and "multipart" in files["description"]
    schemas = spec["components"]["schemas"]
    assert "current_phase" in schemas["CapstoneDetail"]["properties"]
    assert "phases" in schemas["CapstoneDetail"]["properties"]


def test_an_autosave_answer_does_not_grow_with_the_history(client):
    """PATCH answers with the newest 10 history entries; GET keeps up to 200."""
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    headers = auth(w["owner"])
    sizes = []
    for i in range(25):   # alternating phases: each save is an entry of its own (one phase's saves are one entry)
        field = ("decision_analysis", "remediation_plan")[i % 2]
        resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=headers, json={field: f"draft {i}"})
        assert resp.status_code == 200
        sizes.append(len(resp.data))
        body = resp.get_json()
    assert len(body["history"]) == 10 and body["history"][0]["summary"].startswith("Saved a draft")
    assert body["decision_analysis"] == "draft 24" and body["remediation_plan"] == "draft 23"
    assert max(sizes[10:]) - min(sizes[10:]) < 20          # the same size, but for the digits that change
    full = client.get(f"/api/v1/capstones/{cap.id}", headers=headers).get_json()
    assert len(full["history"]) >= 25
