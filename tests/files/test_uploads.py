"""Uploads are checked by content and size, stored under random keys, and leave nothing behind when refused."""
from __future__ import annotations

import io
import re
import urllib.request

import pytest
from sqlalchemy import func, select

from tests.conftest import hx
from tests.factories import assign, make_capstone, make_mission, make_user
from tests.media_samples import sample
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import StoredFile


def upload(client, kind, name, data, *, headers=None, **extra):
    return client.post("/files", data={"kind": kind, "file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data",
                       headers=hx(target="uploads") if headers is None else headers)


def file_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def fetch(client, key, **kwargs):
    """GET a file; follow an S3 redirect to the presigned URL. Returns (status, headers, body)."""
    resp = client.get(f"/files/{key}", **kwargs)
    if resp.status_code == 302 and "X-Amz-Signature" in resp.headers["Location"]:
        request = urllib.request.Request(resp.headers["Location"], headers=kwargs.get("headers") or {})
        with urllib.request.urlopen(request) as remote:
            return remote.status, {k.title(): v for k, v in remote.headers.items()}, remote.read()
    return resp.status_code, {k.title(): v for k, v in resp.headers.items()}, resp.get_data()


@pytest.mark.parametrize("kind, sample_name, type_key, seconds", [
    ("audio", "webm-audio", "webm-audio", 3),
    ("audio", "ogg-audio", "ogg-audio", 2),
    ("audio", "mp3", "mp3", 2),
    ("audio", "m4a", "m4a", 2),
    ("audio", "wav", "wav", 2),
    ("video", "mp4-video", "mp4-video", 2),
    ("video", "webm-video", "webm-video", 3),
])
def test_upload_media_stores_it_with_the_duration_read_on_the_server(client, login_as, backend, kind, sample_name,
                                                                      type_key, seconds):
    login_as("mentor")
    resp = upload(client, kind, "take.bin", sample(sample_name), duration_seconds="999")
    assert resp.status_code == 201, resp.text
    row = db.session.scalar(select(StoredFile))
    assert (row.kind, row.type_key, row.duration_seconds) == (kind, type_key, seconds)
    assert row.size == len(sample(sample_name)) and backend.exists(row.key)
    assert not row.key.endswith("take.bin") and "take" not in row.key
    assert f'data-duration="{seconds}"' in resp.text and f"/files/{row.key}" in resp.text
    assert "<html" not in resp.text


@pytest.mark.parametrize("sample_name, type_key, filename", [
    ("pdf", "pdf", "report.pdf"), ("text", "text", "notes.md"), ("docx", "docx", "plan.docx"),
    ("png", "png", "diagram.png"), ("jpeg", "jpeg", "photo.jpg"),
])
def test_upload_document_detects_type_by_content(client, login_as, backend, sample_name, type_key, filename):
    login_as("learner")
    resp = upload(client, "document", f"../../{filename}", sample(sample_name))
    assert resp.status_code == 201, resp.text
    row = db.session.scalar(select(StoredFile))
    assert row.type_key == type_key and row.duration_seconds is None
    assert row.filename == filename  # the path is gone; the name is for display only


@pytest.mark.parametrize("kind, sample_name, expected", [
    ("document", "html", "HTML"),          # an HTML file named .pdf
    ("document", "exe", "Windows program"),
    ("document", "zip", "ZIP archive"),    # archives only where a field allows them
    ("audio", "mp4-video", "MP4 video"),   # a video is not audio
    ("video", "pdf", "PDF"),
    ("audio", "broken-media", "damaged"),  # not readable as audio: its duration cannot be read
])
def test_upload_of_a_refused_type_is_415_naming_what_is_allowed_and_stores_nothing(client, login_as, backend, kind,
                                                                                    sample_name, expected):
    login_as("learner")
    resp = upload(client, kind, "innocent.pdf", sample(sample_name))
    assert resp.status_code == 415
    assert expected in resp.text and "Accepted:" in resp.text
    assert file_count() == 0 and backend.keys("") == []


def test_evidence_kind_accepts_archives(client, login_as, backend):
    login_as("learner")
    assert upload(client, "evidence", "lab.zip", sample("zip")).status_code == 201


def test_upload_over_the_kind_limit_is_413_with_the_limit_and_stores_nothing(app, client, login_as, backend,
                                                                            monkeypatch):
    login_as("learner")
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    resp = upload(client, "document", "big.txt", b"a" * (1024 * 1024 + 10))
    assert resp.status_code == 413
    assert "limit is 1 MB" in resp.text
    assert file_count() == 0 and backend.keys("") == []


def test_upload_over_max_content_length_is_413_not_500(app, client, login_as, backend, monkeypatch):
    login_as("learner")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    resp = upload(client, "document", "big.txt", b"a" * 5000)
    assert resp.status_code == 413 and "too large" in resp.text
    assert file_count() == 0


def test_empty_file_and_missing_file_are_422_with_a_message(client, login_as, backend):
    login_as("learner")
    resp = upload(client, "document", "empty.txt", b"")
    assert resp.status_code == 422 and "The file is empty" in resp.text
    resp = client.post("/files", data={"kind": "document"}, headers=hx(target="uploads"))
    assert resp.status_code == 422 and "Choose a file" in resp.text
    assert file_count() == 0


def test_unknown_kind_is_422(client, login_as, backend):
    login_as("learner")
    resp = upload(client, "spreadsheet", "x.pdf", sample("pdf"))
    assert resp.status_code == 422 and "Unknown upload kind" in resp.text
    assert file_count() == 0


def test_failure_while_storing_leaves_no_object_and_no_record(client, login_as, backend, monkeypatch):
    login_as("learner")

    class Exploding(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 1024 * 1024:
                raise OSError("connection reset by peer")
            return super().read(size)

    from webapp.services import files as files_service

    original = files_service.store_upload

    def store_with_exploding_stream(uploader, stream, name, kind, **kw):
        data = stream.read()
        return original(uploader, Exploding(data), name, kind, **kw)

    monkeypatch.setattr(files_service, "store_upload", store_with_exploding_stream)
    with pytest.raises(OSError):
        files_service.store_upload(make_user("learner"), io.BytesIO(b"b" * (3 * 1024 * 1024)), "big.txt", "document")
    assert file_count() == 0 and backend.keys("") == []


def test_database_failure_after_storing_removes_the_object(client, login_as, backend, monkeypatch):
    login_as("learner")
    from webapp.services import files as files_service

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(files_service.db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        files_service.store_upload(make_user("learner"), io.BytesIO(sample("pdf")), "r.pdf", "document")
    monkeypatch.undo()
    assert file_count() == 0 and backend.keys("") == []


def test_the_record_is_committed_before_the_object_is_stored(client, login_as, backend, monkeypatch):
    """bench/soak.py SIGKILLs a gunicorn worker under load: a worker killed between storing the object and
    committing its row would leave an object that nothing names. So whenever the object is written, a committed
    row (seen from another database connection) already names its key."""
    login_as("learner")
    seen = []
    real_save = backend.save

    def save(key, stream, **kwargs):
        with db.engine.connect() as other:
            seen.append(other.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.key == key)))
        return real_save(key, stream, **kwargs)

    monkeypatch.setattr(backend, "save", save)
    resp = upload(client, "document", "r.pdf", sample("pdf"))
    assert resp.status_code == 201, resp.text
    assert seen == [1]
    row = db.session.scalar(select(StoredFile))
    assert backend.keys("") == [row.key] and row.size == len(sample("pdf"))


def test_while_its_object_is_being_stored_an_upload_is_nobodys_file(client, login_as, backend, monkeypatch):
    """The row exists before the object: until the object is stored, the upload is not listed, downloaded,
    attached or deleted (a delete then would leave the object the upload is about to write without a row)."""
    from webapp.services import capstones as capstone_service
    from webapp.services import files as files_service
    from webapp.services.actors import actor_for

    user = login_as("learner")
    during = {}
    real_save = backend.save

    def save(key, stream, **kwargs):
        during["listed"] = [r.key for r in files_service.list_uploads(user)]
        during["pending"] = [r.key for r in capstone_service.pending_uploads(user, cap, "design_documents")]
        for name, call in (("get", lambda: files_service.get_file(key)),
                           ("delete", lambda: files_service.delete_file(actor_for(user), key)),
                           ("attach", lambda: files_service.attach([key], owner_id=user.id, field="x"))):
            try:
                call()
                during[name] = "allowed"
            except DomainError as exc:
                during[name] = type(exc).__name__
        db.session.rollback()
        return real_save(key, stream, **kwargs)

    monkeypatch.setattr(backend, "save", save)
    cap = make_capstone(user, make_mission())
    resp = upload(client, "document", "r.pdf", sample("pdf"), uploaded_for=f"capstone:{cap.id}:design_documents")
    assert resp.status_code == 201, resp.text
    assert during == {"listed": [], "pending": [], "get": "NotFound", "delete": "NotFound", "attach": "Invalid"}
    assert [r.filename for r in capstone_service.pending_uploads(user, cap, "design_documents")] == ["r.pdf"]
    row = db.session.scalar(select(StoredFile))
    assert row.stored_at is not None
    assert [r.key for r in files_service.list_uploads(user)] == [row.key] == backend.keys("")
    assert client.get(f"/files/{row.key}").status_code in (200, 302)   # S3: a presigned redirect


def test_a_crash_before_the_object_is_stored_leaves_only_a_record_the_sweep_removes(client, login_as, backend,
                                                                                     monkeypatch, runner):
    from datetime import timedelta

    from webapp.models.base import utcnow
    from webapp.services import files as files_service

    class Killed(BaseException):
        """The process dies: no clean-up code runs."""

    def save(*args, **kwargs):
        raise Killed()

    user = make_user("learner")
    monkeypatch.setattr(backend, "save", save)
    monkeypatch.setattr(files_service, "_forget", lambda row, key: None)
    with pytest.raises(Killed):
        files_service.store_upload(user, io.BytesIO(sample("pdf")), "r.pdf", "document")
    monkeypatch.undo()
    row = db.session.scalar(select(StoredFile))
    assert row.attached_at is None and backend.keys("") == []       # no orphan object, only an unattached row
    row.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "Removed 1 unattached upload." in result.output
    assert file_count() == 0


def test_storage_failure_removes_the_record_again(client, login_as, backend, monkeypatch):
    from webapp.storage import StorageError

    login_as("learner")

    def save(*args, **kwargs):
        raise StorageError("the bucket is unreachable")

    monkeypatch.setattr(backend, "save", save)
    with pytest.raises(StorageError):
        from webapp.services import files as files_service

        files_service.store_upload(make_user("learner"), io.BytesIO(sample("pdf")), "r.pdf", "document")
    monkeypatch.undo()
    assert file_count() == 0 and backend.keys("") == []


def test_upload_without_login_redirects_and_without_csrf_is_refused(client, raw_client, login_as, backend):
    resp = upload(client, "document", "r.pdf", sample("pdf"), headers={})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    login_as("learner")
    user = make_user("learner")
    from tests.conftest import log_in

    log_in(raw_client, user)
    resp = upload(raw_client, "document", "r.pdf", sample("pdf"), headers={})
    assert resp.status_code == 400 and "session expired" in resp.text
    assert file_count() == 0


def test_plain_form_upload_without_javascript_redirects_back_with_a_message(client, login_as, backend):
    login_as("learner")
    resp = upload(client, "document", "r.pdf", sample("pdf"), headers={})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"])
    assert "Uploaded r.pdf" in page.text and "r.pdf" in page.text
    bad = upload(client, "document", "r.pdf", sample("html"), headers={})
    assert bad.status_code == 303
    assert "not an accepted document" in client.get(bad.headers["Location"]).text


# ---- downloads ----

def _stored(client, login_as, owner, sample_name="pdf", kind="document", name="report.pdf"):
    login_as(owner)
    resp = upload(client, kind, name, sample(sample_name))
    assert resp.status_code == 201, resp.text
    return db.session.scalar(select(StoredFile).order_by(StoredFile.id.desc()))


def test_owner_downloads_a_document_as_an_attachment_with_nosniff(client, login_as, backend):
    owner = make_user("learner")
    row = _stored(client, login_as, owner)
    status, headers, body = fetch(client, row.key)
    assert status == 200 and body == sample("pdf")
    assert headers["Content-Disposition"].startswith("attachment") and "report.pdf" in headers["Content-Disposition"]
    from webapp.storage import LocalStorage

    if isinstance(backend, LocalStorage):  # S3 answers the presigned URL itself
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_text_download_names_its_charset_once(client, login_as, backend):
    login_as("learner")
    resp = upload(client, "document", "notes.md", b"# Notes\n\nAll clear.\n")
    assert resp.status_code == 201
    row = db.session.scalar(select(StoredFile))
    status, headers, body = fetch(client, row.key)
    assert status == 200 and body == b"# Notes\n\nAll clear.\n"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("who, status", [("owner", 200), ("assigned_mentor", 200), ("admin", 200),
                                         ("other_learner", 403), ("other_mentor", 403)])
def test_download_permissions(client, login_as, backend, who, status):
    owner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, owner)
    row = _stored(client, login_as, owner)
    people = {"owner": owner, "assigned_mentor": mentor, "admin": make_user("admin"),
              "other_learner": make_user("learner"), "other_mentor": make_user("mentor")}
    login_as(people[who])
    got, _, body = fetch(client, row.key)
    assert got == status
    if status == 403:
        assert b"%PDF" not in body and b"do not have access" in body


def test_anonymous_download_of_a_private_file_goes_to_login(client, login_as, backend):
    row = _stored(client, login_as, make_user("learner"))
    with client.session_transaction() as sess:
        sess.clear()
    resp = client.get(f"/files/{row.key}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


@pytest.mark.parametrize("key", ["../../etc/passwd", "files/..%2F..%2Fetc/passwd", "nope", "files//x"])
def test_bad_or_unknown_keys_are_404(client, login_as, backend, key):
    login_as("admin")
    assert client.get(f"/files/{key}").status_code == 404


def test_audio_downloads_inline_and_supports_range_requests(client, login_as, backend):
    owner = make_user("learner")
    row = _stored(client, login_as, owner, "wav", "audio", "take.wav")
    status, headers, body = fetch(client, row.key, headers={"Range": "bytes=10-19"})
    assert status == 206 and body == sample("wav")[10:20]
    assert headers.get("Content-Range", "").startswith("bytes 10-19/")
    status, headers, _ = fetch(client, row.key)
    assert status == 200 and not headers.get("Content-Disposition", "inline").startswith("attachment")


def test_local_file_responses_carry_a_sandboxing_csp(client, login_as, app, tmp_path):
    from webapp.storage import LocalStorage

    app.extensions["storage"] = LocalStorage(tmp_path / "u")
    try:
        row = _stored(client, login_as, make_user("learner"), "text", "document", "notes.txt")
        resp = client.get(f"/files/{row.key}")
        assert "sandbox" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert resp.mimetype == "text/plain"
    finally:
        app.extensions.pop("storage")


# ---- delete, captions, sweep ----

def test_uploader_deletes_an_unattached_upload_and_its_object(client, login_as, backend):
    owner = make_user("learner")
    row = _stored(client, login_as, owner)
    key = row.key
    resp = client.post(f"/files/{key}/delete", headers=hx(target=f"file-{row.id}"))
    assert resp.status_code == 200
    assert file_count() == 0 and not backend.exists(key)


def test_others_cannot_delete_and_nothing_changes(client, login_as, backend):
    row = _stored(client, login_as, make_user("learner"))
    login_as("learner")
    assert client.post(f"/files/{row.key}/delete").status_code == 403
    assert file_count() == 1 and backend.exists(row.key)
    with client.session_transaction() as sess:
        sess.clear()
    assert client.post(f"/files/{row.key}/delete").status_code == 302
    assert file_count() == 1


def test_captions_attach_to_a_recording_and_show_in_the_player(client, login_as, backend):
    mentor = make_user("mentor")
    row = _stored(client, login_as, mentor, "webm-audio", "audio", "feedback.webm")
    resp = upload(client, "captions", "subs.vtt", sample("vtt"), captions_for=row.key,
                  headers=hx(target=f"file-{row.id}-captions"))
    assert resp.status_code == 201, resp.text
    caption = db.session.scalar(select(StoredFile).where(StoredFile.parent_id == row.id))
    assert caption.type_key == "vtt" and caption.attached_at is not None
    page = client.get("/account/media")
    assert re.search(r'<track kind="captions" src="/files/' + re.escape(caption.key), page.text)
    status, headers, body = fetch(client, caption.key)
    assert status == 200 and body.startswith(b"WEBVTT")


def test_captions_must_be_webvtt_and_only_for_your_own_recording(client, login_as, backend):
    mentor = make_user("mentor")
    row = _stored(client, login_as, mentor, "webm-audio", "audio", "feedback.webm")
    resp = upload(client, "captions", "subs.vtt", sample("text"), captions_for=row.key)
    assert resp.status_code == 415
    login_as("mentor")
    resp = upload(client, "captions", "subs.vtt", sample("vtt"), captions_for=row.key)
    assert resp.status_code == 403
    assert file_count() == 1


def test_sweep_removes_old_unattached_uploads_only(client, login_as, backend, runner):
    from datetime import timedelta

    from webapp.models.base import utcnow

    owner = make_user("learner")
    old = _stored(client, login_as, owner)
    recent = _stored(client, login_as, owner)
    kept = _stored(client, login_as, owner)
    old.created_at = utcnow() - timedelta(days=2)
    kept.created_at = utcnow() - timedelta(days=2)
    kept.attached_at = utcnow()
    db.session.commit()
    old_key = old.key
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "Removed 1 unattached upload." in result.output
    assert not backend.exists(old_key)
    assert backend.exists(recent.key) and backend.exists(kept.key)
    assert file_count() == 2


def test_truncated_upload_is_refused_with_400_and_stores_nothing(client, login_as, backend):
    login_as("learner")
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ndocument\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.pdf"\r\n\r\n').encode()
    body += sample("pdf")  # the closing boundary never arrives, and the body is shorter than announced
    resp = client.post("/files", input_stream=io.BytesIO(body), headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body) + 5000),
        **hx(target="uploads")})
    assert resp.status_code in (400, 422)
    assert file_count() == 0 and backend.keys("") == []


def _shared_item(owner, row, status="approved", visibility="unlisted"):
    from tests.factories import make_item

    item = make_item(owner, status=status, visibility=visibility, share_token="tok-" + row.key[-12:])
    row.portfolio_item_id, row.attached_at = item.id, row.created_at
    db.session.commit()
    return item


def test_anyone_with_an_unlisted_items_link_downloads_its_evidence(client, login_as, backend):
    owner = make_user("learner")
    row = _stored(client, login_as, owner)
    item = _shared_item(owner, row)
    with client.session_transaction() as sess:
        sess.clear()
    resp = client.get(f"/s/{item.share_token}/files/{row.key}")
    if resp.status_code == 302:
        assert "X-Amz-Signature" in resp.headers["Location"]
    else:
        assert resp.status_code == 200 and resp.get_data() == sample("pdf")
        assert "sandbox" in resp.headers["Content-Security-Policy"]
    # the private route still refuses the anonymous visitor
    assert client.get(f"/files/{row.key}").status_code == 302


@pytest.mark.parametrize("status, visibility", [("draft", "unlisted"), ("submitted", "unlisted"),
                                                ("approved", "private")])
def test_share_link_of_an_unapproved_or_private_item_serves_nothing(client, login_as, backend, status, visibility):
    owner = make_user("learner")
    row = _stored(client, login_as, owner)
    item = _shared_item(owner, row, status=status, visibility=visibility)
    assert client.get(f"/s/{item.share_token}/files/{row.key}").status_code == 404


def test_old_or_wrong_share_token_and_other_items_files_are_404(client, login_as, backend):
    owner = make_user("learner")
    row = _stored(client, login_as, owner)
    other = _stored(client, login_as, owner, "text", "document", "other.txt")
    item = _shared_item(owner, row)
    assert client.get(f"/s/not-the-token/files/{row.key}").status_code == 404
    assert client.get(f"/s/{item.share_token}/files/{other.key}").status_code == 404
    item.share_token = "rotated-token"
    db.session.commit()
    assert client.get(f"/s/tok-{row.key[-12:]}/files/{row.key}").status_code == 404


def test_public_approved_evidence_downloads_for_visitors_but_archives_never_do(client, login_as, backend):
    owner = make_user("learner")
    doc = _stored(client, login_as, owner)
    archive = _stored(client, login_as, owner, "zip", "evidence", "lab.zip")
    for row in (doc, archive):
        _shared_item(owner, row, visibility="public")
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get(f"/files/{doc.key}").status_code in (200, 302)
    assert client.get(f"/files/{archive.key}").status_code == 302  # to the login page
    assert "/auth/login" in client.get(f"/files/{archive.key}").headers["Location"]


def _damaged_odf(how: str) -> bytes:
    """An OpenDocument-looking archive whose `mimetype` member cannot be read (found by hypothesis)."""
    import zipfile as zf

    buf = io.BytesIO()
    with zf.ZipFile(buf, "w") as archive:
        archive.writestr(zf.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text" * 2,
                         compress_type=zf.ZIP_DEFLATED)
    raw = bytearray(buf.getvalue())
    if how == "corrupt":
        raw[38] ^= 0xFF                       # inside the deflated data
    elif how == "encrypted":
        raw[6] |= 0x01                        # the local header's "encrypted" flag
        central = raw.rfind(b"PK\x01\x02")
        raw[central + 8] |= 0x01              # and the central directory's
    else:
        raw[8] = 99                           # an unknown compression method, in both headers
        central = raw.rfind(b"PK\x01\x02")
        raw[central + 10] = 99
    return bytes(raw)


@pytest.mark.parametrize("how", ["corrupt", "encrypted", "unknown-method"])
def test_a_damaged_archive_is_refused_with_415_and_nothing_stored(client, login_as, how):
    login_as("learner")
    resp = upload(client, "evidence", "report.odt", _damaged_odf(how))
    assert resp.status_code == 415, resp.text
    assert file_count() == 0
