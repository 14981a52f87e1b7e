"""S3 behind a private network (S3_PRESIGNED_URLS=false): browsers never talk to the store. Downloads are streamed by
the app, with Range for seeking in audio and video; large uploads come through the app's normal upload; no page's
CSP names the store. The store is moto's S3 server on 127.0.0.1 (tests/storage/conftest.py)."""
from __future__ import annotations

import io
import wave

import pytest
from sqlalchemy import select

from tests.conftest import hx
from tests.factories import assign, make_item, make_user
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models import StoredFile
from webapp.storage import S3Storage

from .conftest import REGION, _use


@pytest.fixture
def s3(app, s3_endpoint, s3_bucket):
    """The app on a fresh bucket, with presigned URLs off."""
    yield from _use(app, S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint, presigned_urls=False))


def upload(client, kind, name, data):
    return client.post("/files", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=hx(target="uploads"))


def stored(client, login_as, owner, sample_name="pdf", kind="document", name="report.pdf") -> StoredFile:
    login_as(owner)
    resp = upload(client, kind, name, sample(sample_name))
    assert resp.status_code == 201, resp.text
    return db.session.scalar(select(StoredFile).order_by(StoredFile.id.desc()))


def long_wav(seconds: int) -> bytes:
    """A real WAV of silence: 16-bit mono at 44.1 kHz, some 88 KB a second."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"\x00\x00" * 44100 * seconds)
    return out.getvalue()


# ---- downloads ---------------------------------------------------------------------------------------------------

def test_a_download_is_streamed_by_the_app_with_the_stored_type_and_disposition(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"))
    resp = client.get(f"/files/{row.key}")
    assert resp.status_code == 200 and "Location" not in resp.headers
    assert resp.get_data() == sample("pdf")
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Length"] == str(len(sample("pdf")))
    assert resp.headers["Content-Disposition"] == 'attachment; filename="report.pdf"; filename*=UTF-8\'\'report.pdf'
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["Cache-Control"] == "private, max-age=300"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]


def test_a_text_download_keeps_its_type_exactly(client, login_as, s3):
    login_as("learner")
    assert upload(client, "document", "notes.md", b"# Notes\n\nAll clear.\n").status_code == 201
    row = db.session.scalar(select(StoredFile))
    resp = client.get(f"/files/{row.key}")
    assert resp.status_code == 200 and resp.get_data() == b"# Notes\n\nAll clear.\n"
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_audio_is_inline_and_seeks_with_range_requests(client, login_as, s3, monkeypatch):
    row = stored(client, login_as, make_user("learner"), "wav", "audio", "take.wav")
    data, size = sample("wav"), len(sample("wav"))
    asked = []
    real_open_range = s3.open_range
    monkeypatch.setattr(s3, "open_range", lambda key, start, end: asked.append((start, end)) or
                        real_open_range(key, start, end))

    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=10-19"})
    assert resp.status_code == 206 and resp.get_data() == data[10:20]
    assert resp.headers["Content-Range"] == f"bytes 10-19/{size}"
    assert resp.headers["Content-Length"] == "10"
    assert resp.headers["Content-Type"] == row.content_type
    assert resp.headers["Content-Disposition"].startswith('inline; filename="take.wav"')
    assert asked == [(10, 19)]                           # only those bytes were asked of the store

    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=100-"})
    assert resp.status_code == 206 and resp.get_data() == data[100:]
    assert resp.headers["Content-Range"] == f"bytes 100-{size - 1}/{size}"

    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=-5"})
    assert resp.status_code == 206 and resp.get_data() == data[-5:]
    assert resp.headers["Content-Range"] == f"bytes {size - 5}-{size - 1}/{size}"

    resp = client.get(f"/files/{row.key}", headers={"Range": f"bytes=-{size + 100}"})   # longer than the file
    assert resp.status_code == 206 and resp.get_data() == data
    assert resp.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"

    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=0-"})
    assert resp.status_code == 206 and resp.get_data() == data


def test_a_range_past_the_end_is_416_naming_the_size(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"), "wav", "audio", "take.wav")
    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=999999-"})
    assert resp.status_code == 416
    assert resp.headers["Content-Range"] == f"bytes */{len(sample('wav'))}"
    assert b"RIFF" not in resp.get_data() and b"outside the file" in resp.get_data()


@pytest.mark.parametrize("headers", [
    {"Range": "bytes=0-1,5-9"},                             # several ranges: the whole file
    {"Range": "lines=1-2"},                                 # not bytes
    {"Range": "bytes=abc"},                                 # not a range at all
    {"Range": "bytes=10-19", "If-Range": '"not-this-file"'},  # the browser's copy is another file
])
def test_a_range_we_do_not_serve_gets_the_whole_file(client, login_as, s3, headers):
    row = stored(client, login_as, make_user("learner"), "wav", "audio", "take.wav")
    resp = client.get(f"/files/{row.key}", headers=headers)
    assert resp.status_code == 200 and resp.get_data() == sample("wav")
    assert "Content-Range" not in resp.headers


def test_an_unchanged_file_is_304_and_if_range_with_its_etag_gets_the_range(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"), "wav", "audio", "take.wav")
    etag = client.get(f"/files/{row.key}").headers["ETag"]
    again = client.get(f"/files/{row.key}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    ranged = client.get(f"/files/{row.key}", headers={"Range": "bytes=10-19", "If-Range": etag})
    assert ranged.status_code == 206 and ranged.get_data() == sample("wav")[10:20]


def test_a_large_file_streams_whole_and_in_ranges_across_chunks(client, login_as, s3):
    login_as("learner")
    data = long_wav(200)                                    # about 17 MiB: past the 16 MB direct-upload threshold
    assert upload(client, "audio", "long-take.wav", data).status_code == 201
    row = db.session.scalar(select(StoredFile))
    resp = client.get(f"/files/{row.key}")
    assert resp.status_code == 200 and resp.get_data() == data
    mib = 1024 * 1024
    resp = client.get(f"/files/{row.key}", headers={"Range": f"bytes={mib - 3}-{3 * mib + 2}"})
    assert resp.status_code == 206 and resp.get_data() == data[mib - 3:3 * mib + 3]


def test_a_missing_object_is_404_before_any_byte(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"))
    s3.delete(row.key)
    for headers in ({}, {"Range": "bytes=10-19"}):
        resp = client.get(f"/files/{row.key}", headers=headers)
        assert resp.status_code == 404 and b"%PDF" not in resp.get_data()


@pytest.mark.parametrize("who, status", [("owner", 200), ("assigned_mentor", 200), ("admin", 200),
                                         ("other_learner", 403), ("other_mentor", 403)])
def test_download_permissions_still_apply(client, login_as, s3, who, status):
    owner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, owner)
    row = stored(client, login_as, owner)
    people = {"owner": owner, "assigned_mentor": mentor, "admin": make_user("admin"),
              "other_learner": make_user("learner"), "other_mentor": make_user("mentor")}
    login_as(people[who])
    for headers in ({}, {"Range": "bytes=0-9"}):
        resp = client.get(f"/files/{row.key}", headers=headers)
        assert resp.status_code == (status if not headers or status != 200 else 206)
        if status == 403:
            assert b"%PDF" not in resp.get_data() and b"do not have access" in resp.get_data()


def test_an_anonymous_visitor_is_sent_to_log_in(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"))
    with client.session_transaction() as sess:
        sess.clear()
    resp = client.get(f"/files/{row.key}", headers={"Range": "bytes=0-9"})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_a_shared_portfolio_link_streams_its_evidence(client, login_as, s3):
    owner = make_user("learner")
    row = stored(client, login_as, owner)
    item = make_item(owner, status="approved", visibility="unlisted", share_token="tok-" + row.key[-12:])
    row.portfolio_item_id, row.attached_at = item.id, row.created_at
    db.session.commit()
    with client.session_transaction() as sess:
        sess.clear()
    resp = client.get(f"/s/{item.share_token}/files/{row.key}")
    assert resp.status_code == 200 and resp.get_data() == sample("pdf")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/s/wrong-token/files/{row.key}").status_code == 404


def test_an_inline_pdf_preview_streams_with_range_too(client, login_as, s3):
    row = stored(client, login_as, make_user("learner"), name="incident-report.pdf")
    resp = client.get(f"/files/{row.key}/inline")
    assert resp.status_code == 200 and resp.get_data() == sample("pdf")
    assert resp.headers["Content-Disposition"].startswith('inline; filename="incident-report.pdf"')
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    part = client.get(f"/files/{row.key}/inline", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.get_data() == b"%PDF"


# ---- pages and uploads ---------------------------------------------------------------------------------------------

def test_no_page_csp_names_the_store(client, login_as, s3, s3_endpoint):
    login_as("mentor")
    resp = client.get("/account/media")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert s3_endpoint not in csp and "127.0.0.1" not in csp
    media = next(p.strip() for p in csp.split(";") if p.strip().startswith("media-src"))
    assert media == "media-src 'self' blob:"


def test_a_large_media_upload_falls_back_to_the_app_and_lands_in_the_bucket(app, client, login_as, s3, s3_client):
    login_as("mentor")
    data = long_wav(200)
    assert len(data) >= app.config["DIRECT_UPLOAD_MIN_MB"] * 1024 * 1024
    plan = client.post("/files/direct", json={"kind": "audio", "filename": "long-take.wav", "size": len(data),
                                              "content_type": "audio/wav"})
    assert plan.status_code == 200 and plan.get_json() == {"direct": False}
    resp = upload(client, "audio", "long-take.wav", data)       # what the page's script then sends
    assert resp.status_code == 201, resp.text
    row = db.session.scalar(select(StoredFile))
    assert row.type_key == "wav" and row.size == len(data) and row.duration_seconds == 200
    assert s3_client.get_object(Bucket=s3.bucket, Key=row.key)["Body"].read() == data
    assert s3.keys("incoming") == []


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_store_stream_is_closed_once_the_response_is_done(client, login_as, s3, monkeypatch, method):
    row = stored(client, login_as, make_user("learner"), "wav", "audio", "take.wav")
    opened, closed = [], []
    real_open = s3.open

    def spy_open(key):
        stream = real_open(key)
        real_close = stream.close
        stream.close = lambda: closed.append(stream) or real_close()
        opened.append(stream)
        return stream

    monkeypatch.setattr(s3, "open", spy_open)
    resp = client.open(f"/files/{row.key}", method=method)
    assert resp.status_code == 200 and resp.headers["Content-Length"] == str(len(sample("wav")))
    assert resp.get_data() == (sample("wav") if method == "GET" else b"")
    resp.close()
    assert len(opened) == 1 and closed == opened
