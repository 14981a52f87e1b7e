"""The storage layer (SPEC §7). Tests taking `storage` run on both backends: LocalStorage and S3Storage
against moto's S3 server over real HTTP (see conftest.py)."""
from __future__ import annotations

import base64
import io
import json
import re
import secrets
import stat
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from webapp.domain.errors import DomainError, NotFound
from webapp.storage import (
    CHUNK_SIZE,
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    RangeNotSatisfiable,
    S3Storage,
    Storage,
    TooLarge,
    check_key,
    get_storage,
    make_storage,
    new_key,
)

from .conftest import REGION

MiB = 1024 * 1024
KEY_RE = re.compile(r"[a-z]+/\d{4}/\d{2}/[A-Za-z0-9_-]{32}")


class RecordingStream:
    """A binary file-like that records the size of every read() and never hands back more than 1 MiB.
    With `fail_after`, it raises OSError once that many bytes have been handed out."""

    def __init__(self, data: bytes, fail_after: int | None = None):
        self._data = data
        self._pos = 0
        self._fail_after = fail_after
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise OSError("client went away")
        n = CHUNK_SIZE if size is None or size < 0 else min(size, CHUNK_SIZE)
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk


def payload(size: int) -> bytes:
    """Bytes whose every MiB differs, so a reordered or repeated chunk would not read back equal."""
    block = secrets.token_bytes(4096)
    return b"".join(i.to_bytes(8, "big") + block[8:] for i in range(size // 4096 + 1))[:size]


# -- keys ------------------------------------------------------------------------------------------------------

def test_new_key_has_prefix_year_month_and_random_token():
    now = datetime.now(timezone.utc)
    key = new_key("attachments")
    assert KEY_RE.fullmatch(key)
    prefix, year, month, token = key.split("/")
    assert (prefix, year, month) == ("attachments", f"{now:%Y}", f"{now:%m}")
    assert len(token) == 32 and new_key("attachments") != key
    assert check_key(key) == key


@pytest.mark.parametrize("bad", [
    "../x", "a/../b", "..", "/etc/passwd", "a//b", "a\\b", "a/", "", "a/b.txt", "a b", "a/%2e%2e/b",
    "ключ", "a" * 201, None,
])
def test_check_key_refuses_traversal_and_odd_characters_as_not_found(bad):
    with pytest.raises(InvalidKey) as info:
        check_key(bad)
    assert isinstance(info.value, NotFound) and info.value.status == 404


def test_check_key_accepts_200_characters():
    assert check_key("a/" + "b" * 198) == "a/" + "b" * 198


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a//b", "a\\b"])
def test_every_method_refuses_a_bad_key(storage, leftovers, bad):
    with pytest.raises(InvalidKey):
        storage.save(bad, io.BytesIO(b"x"), content_type="text/plain", max_bytes=10)
    for call in (storage.open, storage.size, storage.exists, storage.delete):
        with pytest.raises(InvalidKey):
            call(bad)
    with pytest.raises(InvalidKey):
        storage.open_range(bad, 0, 1)
    with pytest.raises(InvalidKey):
        storage.download_url(bad, filename="x", content_type="text/plain", as_attachment=True)
    assert leftovers(storage) == []


# -- save and read back ----------------------------------------------------------------------------------------

def test_save_streams_in_1_mib_chunks_and_reads_back(storage, leftovers):
    data = payload(12 * MiB + 12345)  # past the 8 MiB multipart threshold on S3
    stream = RecordingStream(data)
    key = new_key("attachments")

    assert storage.save(key, stream, content_type="application/pdf", max_bytes=20 * MiB) == len(data)

    assert isinstance(storage, Storage)
    assert all(size is not None and 0 < size <= CHUNK_SIZE for size in stream.asked), set(stream.asked)
    assert len(stream.asked) >= 13
    assert storage.exists(key) and storage.size(key) == len(data)
    with storage.open(key) as fh:
        assert fh.read() == data
    assert storage.keys("attachments/") == [key]
    assert leftovers(storage) == [key]


def test_save_exactly_max_bytes_is_kept(storage):
    key = new_key("attachments")
    assert storage.save(key, io.BytesIO(b"x" * 1000), content_type="text/plain", max_bytes=1000) == 1000
    assert storage.size(key) == 1000


def test_save_empty_stream_stores_empty_object(storage):
    key = new_key("attachments")
    assert storage.save(key, io.BytesIO(b""), content_type="text/plain", max_bytes=10) == 0
    with storage.open(key) as fh:
        assert fh.read() == b""


@pytest.mark.parametrize(("size", "limit"), [(3000, 2999), (12 * MiB, 9 * MiB)], ids=["small", "multipart"])
def test_save_over_max_bytes_raises_too_large_and_leaves_nothing(storage, leftovers, size, limit):
    key = new_key("attachments")
    stream = RecordingStream(payload(size))

    with pytest.raises(TooLarge) as info:
        storage.save(key, stream, content_type="video/mp4", max_bytes=limit)

    assert isinstance(info.value, DomainError) and (info.value.status, info.value.code) == (413, "too_large")
    assert all(0 < s <= CHUNK_SIZE for s in stream.asked)
    assert not storage.exists(key)
    assert storage.keys() == []
    assert leftovers(storage) == []


@pytest.mark.parametrize("fail_after", [2 * MiB, 10 * MiB], ids=["small", "multipart"])
def test_save_stream_failing_halfway_leaves_nothing(storage, leftovers, fail_after):
    key = new_key("attachments")

    with pytest.raises(OSError, match="client went away"):
        storage.save(key, RecordingStream(payload(16 * MiB), fail_after=fail_after),
                     content_type="video/mp4", max_bytes=50 * MiB)

    assert not storage.exists(key)
    assert leftovers(storage) == []


def test_failed_save_does_not_disturb_other_objects(storage, leftovers):
    kept = new_key("attachments")
    storage.save(kept, io.BytesIO(b"keep me"), content_type="text/plain", max_bytes=100)

    with pytest.raises(TooLarge):
        storage.save(new_key("attachments"), io.BytesIO(b"y" * 200), content_type="text/plain", max_bytes=100)

    assert leftovers(storage) == [kept]
    with storage.open(kept) as fh:
        assert fh.read() == b"keep me"


# -- reading ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "expected"), [
    (0, 0, slice(0, 1)),
    (0, 99, slice(0, 100)),
    (1000, 2047, slice(1000, 2048)),
    (CHUNK_SIZE - 3, CHUNK_SIZE + 3, slice(CHUNK_SIZE - 3, CHUNK_SIZE + 4)),
    (2 * MiB, None, slice(2 * MiB, None)),
    (3 * MiB - 10, 10 * MiB, slice(3 * MiB - 10, None)),  # an end past the object is clamped
])
def test_open_range_returns_the_requested_bytes(storage, start, end, expected):
    data = payload(3 * MiB)
    key = new_key("media")
    storage.save(key, io.BytesIO(data), content_type="audio/mpeg", max_bytes=4 * MiB)

    with storage.open_range(key, start, end) as fh:
        assert fh.read() == data[expected]


def test_open_range_past_the_end_is_416(storage):
    key = new_key("media")
    storage.save(key, io.BytesIO(b"0123456789"), content_type="audio/mpeg", max_bytes=100)

    with pytest.raises(RangeNotSatisfiable) as info:
        storage.open_range(key, 10, None)
    assert info.value.status == 416


def test_missing_object_is_not_found(storage):
    key = new_key("attachments")
    assert storage.exists(key) is False
    for call in (storage.open, storage.size):
        with pytest.raises(ObjectNotFound) as info:
            call(key)
        assert info.value.status == 404
    with pytest.raises(ObjectNotFound):
        storage.open_range(key, 0, 10)


# -- delete and list -------------------------------------------------------------------------------------------

def test_delete_removes_the_object_and_is_idempotent(storage, leftovers):
    key = new_key("attachments")
    storage.save(key, io.BytesIO(b"bye"), content_type="text/plain", max_bytes=10)

    storage.delete(key)
    storage.delete(key)
    storage.delete(new_key("attachments"))  # never existed

    assert not storage.exists(key)
    assert leftovers(storage) == []


def test_keys_lists_every_key_under_a_prefix_sorted(storage):
    made = {p: [new_key(p) for _ in range(3)] for p in ("attachments", "media", "incoming")}
    for keys in made.values():
        for key in keys:
            storage.save(key, io.BytesIO(key.encode()), content_type="text/plain", max_bytes=1000)

    assert storage.keys("media/") == sorted(made["media"])
    assert storage.keys("media") == sorted(made["media"])
    assert storage.keys() == sorted(k for keys in made.values() for k in keys)
    assert storage.keys("nothing/") == []
    with pytest.raises(InvalidKey):
        storage.keys("../")


# -- local specifics -------------------------------------------------------------------------------------------

def test_local_files_are_private_and_never_executable(local_storage, tmp_path):
    key = new_key("attachments")
    local_storage.save(key, io.BytesIO(b"#!/bin/sh\necho hi\n"), content_type="text/x-shellscript", max_bytes=100)

    path = tmp_path / "store" / key
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600
    assert not mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_local_root_is_created_when_missing(tmp_path):
    root = tmp_path / "a" / "b" / "uploads"
    LocalStorage(root)
    assert root.is_dir()


def test_local_has_no_direct_browser_urls(local_storage):
    key = new_key("attachments")
    local_storage.save(key, io.BytesIO(b"x"), content_type="text/plain", max_bytes=10)
    assert local_storage.download_url(key, filename="x.txt", content_type="text/plain", as_attachment=True) is None
    assert local_storage.presigned_post(key, content_type="text/plain", max_bytes=10) is None


def test_s3_with_presigned_urls_off_offers_browsers_nothing_on_the_store(s3_endpoint, s3_bucket):
    private = S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint, presigned_urls=False)
    key = new_key("attachments")
    private.save(key, io.BytesIO(b"%PDF-1.7 report"), content_type="application/pdf", max_bytes=100)
    assert private.download_url(key, filename="r.pdf", content_type="application/pdf", as_attachment=True) is None
    assert private.presigned_post(key, content_type="application/pdf", max_bytes=100) is None
    assert private.origins() == ()
    with private.open_range(key, 0, 3) as fh:          # the app still reads everything itself
        assert fh.read() == b"%PDF"
    with pytest.raises(InvalidKey):
        private.download_url("../x", filename="x", content_type="text/plain", as_attachment=True)
    public = S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint)
    assert public.origins() == (s3_endpoint,)
    assert public.download_url(key, filename="r.pdf", content_type="application/pdf", as_attachment=True)


@pytest.mark.parametrize("setting, expected", [(None, True), (True, True), (False, False)])
def test_make_storage_passes_s3_presigned_urls_on(s3_endpoint, s3_bucket, setting, expected):
    config = {"STORAGE_BACKEND": "s3", "S3_BUCKET": s3_bucket, "S3_REGION": REGION, "S3_ENDPOINT_URL": s3_endpoint}
    if setting is not None:
        config["S3_PRESIGNED_URLS"] = setting
    storage = make_storage(config)
    assert storage.presigned_urls is expected
    assert bool(storage.origins()) is expected


# -- S3 presigned URLs, fetched over HTTP with urllib ----------------------------------------------------------

def test_s3_presigned_get_serves_content_as_attachment(s3_storage):
    key = new_key("attachments")
    s3_storage.save(key, io.BytesIO(b"%PDF-1.7 report"), content_type="application/pdf", max_bytes=100)

    url = s3_storage.download_url(key, filename="Rapport d'été.pdf", content_type="application/pdf",
                                  as_attachment=True)

    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.read() == b"%PDF-1.7 report"
        disposition = resp.headers["Content-Disposition"]
        assert resp.headers["Content-Type"] == "application/pdf"
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Rapport%20d%27%C3%A9t%C3%A9.pdf" in disposition
    assert 'filename="Rapport d\'_t_.pdf"' in disposition


def test_s3_presigned_get_inline_sets_inline_disposition(s3_storage):
    key = new_key("media")
    s3_storage.save(key, io.BytesIO(b"ID3audio"), content_type="audio/mpeg", max_bytes=100)

    url = s3_storage.download_url(key, filename="talk.mp3", content_type="audio/mpeg", as_attachment=False)

    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"ID3audio"
        assert resp.headers["Content-Disposition"].startswith("inline; ")
        assert resp.headers["Content-Type"] == "audio/mpeg"


def test_s3_presigned_get_is_signed_v4_and_expires(s3_storage):
    """moto 5.2.5 does not check presigned-URL expiry or signatures (see docs/storage.md), so this checks
    what AWS enforces: a SigV4 URL that says it lives for one second from now."""
    key = new_key("attachments")
    s3_storage.save(key, io.BytesIO(b"x"), content_type="text/plain", max_bytes=10)

    url = s3_storage.download_url(key, filename="x.txt", content_type="text/plain", as_attachment=True, expires=1)

    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["1"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert re.fullmatch(r"[0-9a-f]{64}", query["X-Amz-Signature"][0])
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - signed_at) < timedelta(minutes=1)
    assert urlsplit(url).path == f"/{s3_storage.bucket}/{key}"  # path-style on a custom endpoint


def multipart_body(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it for an S3 POST upload (the file field last)."""
    boundary = "----mastery" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
              f"Content-Type: {content_type}\r\n\r\n".encode())
    out.write(content)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_s3_presigned_post_accepts_a_browser_form_upload(s3_storage, s3_client):
    key = new_key("incoming")
    post = s3_storage.presigned_post(key, content_type="video/mp4", max_bytes=5 * MiB)
    assert set(post) == {"url", "fields"} and post["fields"]["key"] == key
    content = payload(300 * 1024)
    body, form_type = multipart_body(post["fields"], "clip.mp4", content, "video/mp4")

    request = urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": form_type})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 204

    assert s3_storage.keys("incoming/") == [key]
    with s3_storage.open(key) as fh:
        assert fh.read() == content
    assert s3_client.head_object(Bucket=s3_storage.bucket, Key=key)["ContentType"] == "video/mp4"


def test_s3_presigned_post_policy_limits_size_type_and_lifetime(s3_storage):
    """AWS refuses a POST outside the signed policy; moto 5.2.5 stores it anyway (see docs/storage.md),
    so this checks the signed policy document itself."""
    key = new_key("incoming")
    before = datetime.now(timezone.utc).replace(microsecond=0)

    post = s3_storage.presigned_post(key, content_type="video/mp4", max_bytes=5 * MiB, expires=600)

    fields = post["fields"]
    assert fields["Content-Type"] == "video/mp4"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and fields["x-amz-signature"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 5 * MiB] in policy["conditions"]
    assert {"Content-Type": "video/mp4"} in policy["conditions"]
    assert {"key": key} in policy["conditions"]
    assert {"bucket": s3_storage.bucket} in policy["conditions"]
    expires_at = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before + timedelta(seconds=595) <= expires_at <= before + timedelta(seconds=610)


def test_s3_presigned_get_of_missing_key_serves_nothing(s3_storage):
    # S3 answers 404 when the signer may list the bucket and 403 otherwise; moto answers 403.
    url = s3_storage.download_url(new_key("attachments"), filename="x", content_type="text/plain",
                                  as_attachment=True)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code in (403, 404)


def test_content_disposition_filename_cannot_break_the_header(s3_storage):
    key = new_key("attachments")
    s3_storage.save(key, io.BytesIO(b"x"), content_type="text/plain", max_bytes=10)

    url = s3_storage.download_url(key, filename='a"b\r\nSet-Cookie: x=1;.txt', content_type="text/plain",
                                  as_attachment=True)

    with urllib.request.urlopen(url, timeout=10) as resp:
        disposition = resp.headers["Content-Disposition"]
        assert resp.headers.get("Set-Cookie") is None
    assert disposition.startswith('attachment; filename="a_bSet-Cookie: x=1_.txt"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("''", 1)[1]) == 'a"bSet-Cookie: x=1;.txt'


# -- get_storage() ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["local", "s3"])
def test_get_storage_builds_the_configured_backend_once_per_app(tmp_path, request, backend):
    from webapp import create_app

    config = {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": "storage-test-secret",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "storage.sqlite3"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "STORAGE_BACKEND": backend,
    }
    if backend == "s3":
        config.update(S3_BUCKET=request.getfixturevalue("s3_bucket"), S3_REGION="us-east-1",
                      S3_ENDPOINT_URL=request.getfixturevalue("s3_endpoint"))
    app, other = create_app(dict(config)), create_app(dict(config))

    with app.app_context():
        storage = get_storage()
        assert get_storage() is storage
        key = new_key("attachments")
        storage.save(key, io.BytesIO(b"through the app"), content_type="text/plain", max_bytes=100)
    assert app.extensions["storage"] is storage
    with other.app_context():
        assert get_storage() is not storage
        with get_storage().open(key) as fh:
            assert fh.read() == b"through the app"

    if backend == "local":
        assert isinstance(storage, LocalStorage)
        assert storage.root == str((tmp_path / "instance" / "uploads").resolve())
        assert (tmp_path / "instance" / "uploads" / key).is_file()
    else:
        assert isinstance(storage, S3Storage) and storage.bucket == config["S3_BUCKET"]
        assert storage.client.meta.endpoint_url == config["S3_ENDPOINT_URL"]
        assert storage.client.meta.config.s3["addressing_style"] == "path"

