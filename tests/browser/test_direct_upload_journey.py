"""With S3, a file chosen in the file input travels from the browser straight to the bucket, then is confirmed."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from tests.browser.conftest import log_in, wait_until
from tests.factories import make_user
from tests.files.conftest import s3_backend  # noqa: F401 (fixture)
from tests.media_samples import sample
from tests.storage.conftest import s3_bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)
from webapp.extensions import db
from webapp.models import StoredFile


@pytest.fixture
def direct_everything(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECT_UPLOAD_MIN_MB", 0)


def test_file_input_uploads_straight_to_s3_and_the_player_streams_from_the_bucket(page, s3_backend, s3_endpoint,
                                                                                   direct_everything):
    make_user("learner", email="direct@example.com")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    log_in(page, "direct@example.com")
    page.goto("/account/media")
    page.set_input_files("#up-audio-input", files=[{"name": "briefing.ogg", "mimeType": "audio/ogg",
                                                     "buffer": sample("ogg-audio")}])
    wait_until(page, "document.querySelectorAll('#uploads li.file-card').length === 1", timeout=15)
    assert any(url.startswith(s3_endpoint) for url in posts), posts  # the bytes went to the bucket
    assert not any(url.endswith("/files") for url in posts)             # not through the app
    row = db.session.scalar(select(StoredFile))
    assert row.type_key == "ogg-audio" and row.duration_seconds == 2
    assert s3_backend.exists(row.key) and s3_backend.keys("incoming") == []
    wait_until(page, "document.querySelector('#uploads audio').readyState >= 1", timeout=10)
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors
