"""The recorder, the file input and the player in a real browser, with Chromium's fake microphone and camera."""
from __future__ import annotations


from sqlalchemy import select
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, log_in, shot, wait_until
from tests.factories import make_user
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models import StoredFile


def test_mentor_records_audio_uploads_it_and_plays_it_back_with_the_server_duration(browser, live_server):
    make_user("mentor", email="rec@example.com")
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  permissions=["microphone", "camera"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        log_in(page, "rec@example.com")
        page.goto("/account/media")

        recorder = page.locator("#rec-audio")
        recorder.get_by_role("button", name="Record").click()
        wait_until(page, "document.querySelector('#rec-audio [data-time]').textContent >= '0:02'", timeout=10)
        recorder.get_by_role("button", name="Stop").click()
        wait_until(page, "!document.querySelector('#rec-audio [data-action=upload]').disabled")
        expect(recorder.locator("audio.recorder-preview")).to_be_visible()
        recorder.get_by_role("button", name="Upload take").click()
        card = page.locator("#uploads li.file-card").first
        card.wait_for(timeout=15000)
        assert "Uploaded" in recorder.locator(".recorder-status").inner_text()

        row = db.session.scalar(select(StoredFile).order_by(StoredFile.id.desc()))
        assert row.kind == "audio" and row.type_key == "webm-audio" and row.duration_seconds >= 2
        assert card.locator(".duration").inner_text() == row.duration_label

        # The player loads the recording from the authorised download route and can play it.
        wait_until(page, "document.querySelector('#uploads audio').readyState >= 1", timeout=10)
        page.evaluate("document.querySelector('#uploads audio').play()")
        wait_until(page, "document.querySelector('#uploads audio').currentTime > 0.2", timeout=10)

        # A disguised file is refused in place, and the list does not change.
        page.set_input_files("#up-audio-input", files=[{"name": "feedback.mp3", "mimeType": "audio/mpeg",
                                                         "buffer": sample("html")}])
        wait_until(page, "document.querySelector('#up-audio-status').textContent.includes('not an accepted')")
        assert page.locator("#uploads li.file-card").count() == 1

        page.set_input_files("#up-video-input", files=[{"name": "clip.webm", "mimeType": "video/webm",
                                                         "buffer": sample("webm-video")}])
        wait_until(page, "document.querySelectorAll('#uploads li.file-card').length === 2", timeout=15)
        assert page.locator("#uploads video").count() == 1
        shot(page, "media-check")
        assert errors == [], errors
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "media-check-failure.png"), full_page=True)
        raise
    finally:
        context.close()


def test_video_recorder_shows_the_live_camera_and_uploads_a_take(browser, live_server):
    make_user("learner", email="cam@example.com")
    context = browser.new_context(base_url=live_server, permissions=["microphone", "camera"])
    page = context.new_page()
    try:
        log_in(page, "cam@example.com")
        page.goto("/account/media")
        recorder = page.locator("#rec-video")
        recorder.get_by_role("button", name="Record").click()
        wait_until(page, "document.querySelector('#rec-video .recorder-live').readyState >= 2", timeout=10)
        wait_until(page, "document.querySelector('#rec-video [data-time]').textContent >= '0:02'", timeout=10)
        recorder.get_by_role("button", name="Stop").click()
        wait_until(page, "!document.querySelector('#rec-video [data-action=upload]').disabled")
        recorder.get_by_role("button", name="Upload take").click()
        page.locator("#uploads li.file-card video").first.wait_for(timeout=20000)
        row = db.session.scalar(select(StoredFile).order_by(StoredFile.id.desc()))
        assert row.kind == "video" and row.type_key == "webm-video" and row.duration_seconds >= 2
    finally:
        context.close()
