"""S3 on a private network (S3_PRESIGNED_URLS=false): the browser never talks to the store. A file chosen in the file
input is offered a direct upload, is told no, and goes through the app; the player streams from the app with Range
requests and seeks."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import log_in, wait_until
from tests.factories import make_user
from tests.files.conftest import REGION, _use
from tests.files.test_s3_private import long_wav
from tests.storage.conftest import s3_bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)
from webapp.extensions import db
from webapp.models import StoredFile
from webapp.storage import S3Storage


@pytest.fixture
def private_s3(app, s3_endpoint, s3_bucket, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "DIRECT_UPLOAD_MIN_MB", 0)     # every file asks for a direct upload first
    yield from _use(app, S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint, presigned_urls=False))


def test_upload_falls_back_to_the_app_and_the_player_seeks_through_the_app(page, private_s3, s3_endpoint):  # noqa: F811
    make_user("learner", email="private@example.com")
    requests, ranged = [], []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    page.on("response", lambda r: ranged.append(r.status) if "/files/" in r.url and r.request.method == "GET"
            and r.request.headers.get("range") else None)
    log_in(page, "private@example.com")
    page.goto("/account/media")
    data = long_wav(30)
    page.set_input_files("#up-audio-input", files=[{"name": "briefing.wav", "mimeType": "audio/wav",
                                                     "buffer": data}])
    wait_until(page, "document.querySelectorAll('#uploads li.file-card').length === 1", timeout=20)
    posts = [url for method, url in requests if method == "POST"]
    assert any(url.endswith("/files/direct") for url in posts) and any(url.endswith("/files") for url in posts)
    row = db.session.scalar(select(StoredFile))
    assert row.type_key == "wav" and row.size == len(data) and private_s3.exists(row.key)

    wait_until(page, "document.querySelector('#uploads audio').readyState >= 1", timeout=10)
    page.evaluate("document.querySelector('#uploads audio').currentTime = 25")
    wait_until(page, "(a => !a.seeking && a.currentTime >= 25 && a.readyState >= 2)"
                     "(document.querySelector('#uploads audio'))", timeout=10)
    assert 206 in ranged, ranged                                      # the player asked for byte ranges
    assert not any(url.startswith(s3_endpoint) for _, url in requests)  # never the store
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors
