"""Large media can go straight from the browser to S3 with a presigned POST, then is checked like any upload."""
from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from sqlalchemy import func, select

from tests.conftest import hx
from tests.factories import make_user
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models import StoredFile


def post_to_bucket(url: str, fields: dict, data: bytes, filename: str) -> int:
    """A browser-style multipart POST of the presigned fields and the file, over real HTTP."""
    boundary = secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f'Content-Type: {fields.get("Content-Type", "application/octet-stream")}\r\n\r\n'.encode())
    body = b"".join(parts) + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request) as resp:
        return resp.status


def start(client, kind="audio", size=1000, content_type="audio/webm", filename="take.webm"):
    return client.post("/files/direct", json={"kind": kind, "filename": filename, "size": size,
                                              "content_type": content_type})


@pytest.fixture
def s3(s3_backend):
    return s3_backend


def test_direct_upload_to_s3_is_confirmed_checked_and_kept_under_a_final_key(client, login_as, s3):
    login_as("mentor")
    data = sample("webm-audio")
    resp = start(client, size=len(data))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["direct"] is True and body["fields"]["key"].startswith("incoming/audio/")
    assert post_to_bucket(body["url"], body["fields"], data, "take.webm") in (200, 201, 204)
    done = client.post(body["confirm_url"], data={"token": body["token"]}, headers=hx(target="uploads"))
    assert done.status_code == 201, done.text
    row = db.session.scalar(select(StoredFile))
    assert row.type_key == "webm-audio" and row.duration_seconds == 3 and row.key.startswith("files/audio/")
    assert s3.exists(row.key) and s3.keys("incoming") == []


def test_a_direct_upload_keeps_the_capstone_phase_it_was_made_on(client, login_as, s3):
    from tests.factories import make_capstone, make_mission
    from webapp.services import capstones as capstone_service

    learner = login_as("learner")
    cap = make_capstone(learner, make_mission())
    data = sample("pdf")
    body = client.post("/files/direct", json={"kind": "document", "filename": "deck.pdf", "size": len(data),
                                              "content_type": "application/pdf",
                                              "uploaded_for": f"capstone:{cap.id}:presentation"}).get_json()
    assert post_to_bucket(body["url"], body["fields"], data, "deck.pdf") in (200, 201, 204)
    assert client.post(body["confirm_url"], data={"token": body["token"]}, headers=hx(target="x")).status_code == 201
    row = db.session.scalar(select(StoredFile))
    assert row.uploaded_for == f"capstone:{cap.id}:presentation"
    assert capstone_service.pending_uploads(learner, cap, "presentation") == [row]
    assert capstone_service.pending_uploads(learner, cap, "design_documents") == []


def test_direct_upload_of_a_disguised_file_is_refused_and_removed(client, login_as, s3):
    login_as("mentor")
    body = start(client).get_json()
    post_to_bucket(body["url"], body["fields"], sample("html"), "take.webm")
    done = client.post(body["confirm_url"], data={"token": body["token"]}, headers=hx(target="uploads"))
    assert done.status_code == 415 and "not an accepted audio" in done.text
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert s3.keys("") == []


def test_only_the_uploader_can_confirm_and_a_forged_token_is_refused(client, login_as, s3):
    login_as("mentor")
    body = start(client).get_json()
    post_to_bucket(body["url"], body["fields"], sample("webm-audio"), "take.webm")
    login_as(make_user("mentor"))
    assert client.post(body["confirm_url"], data={"token": body["token"]}).status_code in (303, 403)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    forged = body["token"][:-4] + "AAAA"
    resp = client.post(body["confirm_url"], data={"token": forged}, headers=hx(target="uploads"))
    assert resp.status_code == 422 and "not valid or has expired" in resp.text


def test_direct_upload_refuses_a_declared_size_over_the_limit(client, login_as, s3):
    login_as("mentor")
    resp = start(client, size=10 * 1024 * 1024 * 1024)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert start(client, kind="bogus").status_code == 422
    assert s3.keys("") == []


def test_local_storage_says_to_upload_normally(client, login_as, local_backend):
    login_as("mentor")
    resp = start(client)
    assert resp.status_code == 200 and resp.get_json() == {"direct": False}


def test_direct_endpoints_need_login_and_csrf(client, raw_client, local_backend):
    assert start(client).status_code == 302
    user = make_user("mentor")
    from tests.conftest import log_in

    log_in(raw_client, user)
    resp = raw_client.post("/files/direct", data=json.dumps({"kind": "audio", "size": 10}),
                           content_type="application/json")
    assert resp.status_code == 400


def test_with_s3_the_pages_csp_allows_the_bucket_host_for_players_and_uploads(client, login_as, s3, s3_endpoint):
    login_as("mentor")
    csp = client.get("/account/media").headers["Content-Security-Policy"]
    for directive in ("media-src", "connect-src", "img-src"):
        part = next(p for p in csp.split(";") if p.strip().startswith(directive))
        assert s3_endpoint in part
    assert s3_endpoint not in next(p for p in csp.split(";") if p.strip().startswith("script-src"))
