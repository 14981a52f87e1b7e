"""Files taken off saved work (a review recording replaced or removed, a capstone file replaced or unlinked, a
deleted capstone's files) stop being downloadable at once, for everyone, and leave no object and no row; a write
that fails keeps the file in use. Each test runs on local files and on S3 (moto's server)."""
from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.capstones.helpers import FORM, capstone_for
from tests.conftest import hx, log_in
from tests.factories import assign, make_capstone, make_mission, make_token, make_user
from tests.media_samples import sample
from tests.mentorship.helpers import reload, setup_review
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction, StoredFile
from webapp.models.base import utcnow
from webapp.services import reviews as review_service

VTT = b"WEBVTT\n\n00:00.000 --> 00:01.000\nGreat job\n"


def rows() -> dict[str, StoredFile]:
    db.session.expire_all()
    return {r.key: r for r in db.session.scalars(select(StoredFile))}


def status_for(client, users, key) -> list[int]:
    out = []
    for user in users:
        log_in(client, user)
        out.append(client.get(f"/files/{key}").status_code)
    return out


def gone(client, backend, users, *keys) -> None:
    """Each key answers 404 to every user, has no row and no stored object."""
    for key in keys:
        assert status_for(client, users, key) == [404] * len(users), key
        assert key not in rows() and not backend.exists(key), key


def kept(client, backend, users, key) -> None:
    for status in status_for(client, users, key):
        assert status in (200, 302), (key, status)      # S3: a presigned redirect
    assert backend.exists(key) and rows()[key].stored_at is not None


def _review_world():
    learner, mentor, cap, review = setup_review()
    return {"learner": learner, "mentor": mentor, "admin": make_user("admin"), "cap": cap, "review": review}


def _upload_media(client, review, kind="audio", sample_name="webm-audio"):
    resp = client.post(f"/mentorship/reviews/{review.id}/media", headers=hx(f"review-media-{kind}-slot"),
                       data={"kind": kind, "file": (io.BytesIO(sample(sample_name)), f"note.{kind}")})
    assert resp.status_code == 201, resp.text
    return reload(review)


def _key(url: str) -> str:
    assert url.startswith("/files/")
    return url.removeprefix("/files/")


def _add_captions(client, key) -> str:
    resp = client.post("/files", data={"kind": "captions", "captions_for": key, "file": (io.BytesIO(VTT), "a.vtt")},
                       headers=hx("review-media-audio-captions"))
    assert resp.status_code == 201, resp.text
    return db.session.scalar(select(StoredFile.key).where(StoredFile.parent_id.is_not(None)))


def _age_attachments(days: int = 2) -> None:
    for row in db.session.scalars(select(StoredFile)):
        row.created_at = row.created_at - timedelta(days=days)
        if row.attached_at is not None:
            row.attached_at = row.attached_at - timedelta(days=days)
    db.session.commit()


# ---- review recordings -----------------------------------------------------------------------------------------

def test_replaced_review_recording_and_its_captions_are_gone_for_everyone(client, backend):
    w = _review_world()
    users = [w["mentor"], w["learner"], w["admin"]]
    log_in(client, w["mentor"])
    old = _key(_upload_media(client, w["review"]).audio_feedback_url)
    captions = _add_captions(client, old)
    new = _key(_upload_media(client, w["review"]).audio_feedback_url)
    assert new != old
    gone(client, backend, users, old, captions)
    kept(client, backend, users, new)
    assert set(rows()) == {new}


def test_removed_review_recording_and_its_captions_are_gone_for_everyone(client, backend):
    w = _review_world()
    users = [w["mentor"], w["learner"], w["admin"]]
    log_in(client, w["mentor"])
    review = _upload_media(client, w["review"], "video", "webm-video")
    video = _key(review.video_feedback_url)
    captions = _add_captions(client, video)
    audio = _key(_upload_media(client, review).audio_feedback_url)
    resp = client.post(f"/mentorship/reviews/{review.id}/media/video/remove",
                       data={"version_id": str(reload(review).version_id)})
    assert resp.status_code == 303
    assert reload(review).video_feedback_url is None
    gone(client, backend, users, video, captions)
    kept(client, backend, users, audio)            # the other recording stays
    assert set(rows()) == {audio}


def test_replacing_through_the_api_deletes_the_old_recording(client, backend):
    w = _review_world()
    _, token = make_token(w["mentor"])
    url = f"/api/v1/mentorship-interactions/{w['review'].id}/media"
    keys = []
    for _ in range(2):
        resp = client.post(url, headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
                           data={"kind": "audio", "file": (io.BytesIO(sample("webm-audio")), "a.webm")})
        assert resp.status_code == 201, resp.get_json()
        keys.append(_key(urlsplit(resp.get_json()["audio_feedback_url"]).path))
    gone(client, backend, [w["mentor"], w["learner"], w["admin"]], keys[0])
    assert set(rows()) == {keys[1]}


def test_a_replacement_whose_commit_fails_keeps_the_recording_in_use(client, backend, monkeypatch):
    w = _review_world()
    users = [w["mentor"], w["learner"], w["admin"]]
    log_in(client, w["mentor"])
    old = _key(_upload_media(client, w["review"]).audio_feedback_url)
    captions = _add_captions(client, old)
    before = reload(w["review"]).version_id

    def failing_commit(review):
        db.session.rollback()
        raise review_service.StaleReview(review.version_id)

    monkeypatch.setattr(review_service, "_commit", failing_commit)
    resp = client.post(f"/mentorship/reviews/{w['review'].id}/media", headers=hx("review-media-audio-slot"),
                       data={"kind": "audio", "file": (io.BytesIO(sample("ogg-audio")), "b.ogg")})
    assert resp.status_code == 409
    resp = client.post(f"/mentorship/reviews/{w['review'].id}/media/audio/remove", data={"version_id": str(before)})
    assert resp.status_code == 409
    monkeypatch.undo()
    review = reload(w["review"])
    assert review.audio_feedback_url == f"/files/{old}" and review.version_id == before
    kept(client, backend, users, old)
    kept(client, backend, users, captions)
    assert set(rows()) == {old, captions} and rows()[old].review_id == review.id


def test_a_stale_remove_is_409_and_keeps_the_recording(client, backend):
    w = _review_world()
    log_in(client, w["mentor"])
    old = _key(_upload_media(client, w["review"]).audio_feedback_url)
    resp = client.post(f"/mentorship/reviews/{w['review'].id}/media/audio/remove", data={"version_id": "1"})
    assert resp.status_code == 409
    kept(client, backend, [w["mentor"], w["learner"]], old)


def test_a_crash_after_the_commit_leaves_only_records_the_sweep_removes(client, backend, monkeypatch, runner):
    """The process dies between the commit and deleting the objects: the old key already answers 404, and the
    sweep removes its object and row."""
    from webapp.services import files as files_service

    class Killed(BaseException):
        pass

    def die(keys):
        raise Killed()

    w = _review_world()
    log_in(client, w["mentor"])
    old = _key(_upload_media(client, w["review"]).audio_feedback_url)
    monkeypatch.setattr(files_service, "purge", die)
    with pytest.raises(Killed):
        review_service.remove_media(reload(w["review"]), w["mentor"], "audio")
    monkeypatch.undo()
    assert status_for(client, [w["mentor"], w["learner"], w["admin"]], old) == [404, 404, 404]
    assert backend.exists(old)
    later = utcnow() + timedelta(days=2)
    assert files_service.sweep_unattached(now=later) == 1
    assert rows() == {} and not backend.exists(old)


def test_sweep_removes_review_recordings_their_review_no_longer_names(client, backend, runner):
    """Left attached by replacements made before this was fixed."""
    w = _review_world()
    log_in(client, w["mentor"])
    old = _key(_upload_media(client, w["review"]).audio_feedback_url)
    captions = _add_captions(client, old)
    review = reload(w["review"])
    review.audio_feedback_url = None             # what a replacement used to leave behind
    db.session.commit()
    current = _key(_upload_media(client, review, "video", "webm-video").video_feedback_url)
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "Removed 0 " in result.output, result.output   # attached today: kept a day
    kept(client, backend, [w["mentor"]], old)
    _age_attachments()
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "Removed 1 " in result.output, result.output
    gone(client, backend, [w["mentor"], w["learner"], w["admin"]], old, captions)
    kept(client, backend, [w["mentor"], w["learner"]], current)


# ---- capstone files ---------------------------------------------------------------------------------------------

def _api_upload(client, cap, owner, field, sample_name, name):
    _, token = make_token(owner)
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data",
                       data={"field": field, "file": (io.BytesIO(sample(sample_name)), name)})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["key"]


def _cap_world(done=()):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = capstone_for(learner, make_mission(), done=done)
    return learner, mentor, cap


def test_replaced_capstone_report_document_is_gone(client, backend):
    learner, mentor, cap = _cap_world(done=PHASES[:3])
    users = [learner, mentor, make_user("admin")]
    old = _api_upload(client, cap, learner, "report_document", "pdf", "r1.pdf")
    new = _api_upload(client, cap, learner, "report_document", "pdf", "r2.pdf")
    assert db.session.get(CapstoneProject, cap.id).report_document_url == f"/files/{new}"
    gone(client, backend, users, old)
    kept(client, backend, users, new)


def test_capstone_files_unlinked_in_the_phase_form_are_gone(client, backend):
    learner, mentor, cap = _cap_world(done=PHASES[:4])
    users = [learner, mentor, make_user("admin")]
    video = _api_upload(client, cap, learner, "presentation", "webm-video", "talk.webm")
    log_in(client, learner)
    page = client.get(f"/capstones/{cap.id}?phase=presentation").text
    assert f"/files/{video}" in page
    version = db.session.get(CapstoneProject, cap.id).version_id
    resp = client.post(f"/capstones/{cap.id}/phases/presentation",
                       data={**FORM["presentation"], "action": "save", "version": str(version)})
    assert resp.status_code == 303
    assert reload(cap).presentation_url == FORM["presentation"]["presentation_url"]
    gone(client, backend, users, video)
    log_in(client, learner)
    assert f"/files/{video}" not in client.get(f"/capstones/{cap.id}?phase=presentation").text


def test_capstone_artifact_row_removed_through_the_api_takes_its_file(client, backend):
    learner, mentor, cap = _cap_world()
    users = [learner, mentor]
    first = _api_upload(client, cap, learner, "investigation_artifacts", "pdf", "a.pdf")
    second = _api_upload(client, cap, learner, "investigation_artifacts", "pdf", "b.pdf")
    rows_now = reload(cap).investigation_artifacts
    _, token = make_token(learner)
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers={"Authorization": f"Bearer {token}"},
                        json={"investigation_artifacts": [r for r in rows_now if r["url"] != f"/files/{first}"]})
    assert resp.status_code == 200, resp.get_json()
    gone(client, backend, users, first)
    kept(client, backend, users, second)
    assert [f["key"] for f in resp.get_json()["files"]] == [second]


def test_deleted_capstone_files_are_gone_at_once(client, backend):
    learner, mentor, cap = _cap_world()
    key = _api_upload(client, cap, learner, "investigation_artifacts", "pdf", "a.pdf")
    log_in(client, learner)
    assert client.post(f"/capstones/{cap.id}/delete").status_code == 303
    gone(client, backend, [learner, mentor, make_user("admin")], key)


def test_sweep_removes_capstone_files_their_capstone_no_longer_names(client, backend, runner):
    learner, mentor, cap = _cap_world()
    old = _api_upload(client, cap, learner, "report_document", "pdf", "r1.pdf")
    kept_key = _api_upload(client, cap, learner, "investigation_artifacts", "pdf", "a.pdf")
    c = db.session.get(CapstoneProject, cap.id)
    c.report_document_url = "https://docs.example/report"      # what an edit used to leave behind
    db.session.commit()
    _age_attachments()
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "Removed 1 " in result.output, result.output
    gone(client, backend, [learner, mentor], old)
    kept(client, backend, [learner, mentor], kept_key)


# ---- two at once ------------------------------------------------------------------------------------------------

def test_two_replacements_at_once_leave_exactly_the_recording_the_review_names(app, client, backend):
    from tests.capstones.test_concurrency import _race

    w = _review_world()
    log_in(client, w["mentor"])
    review = _upload_media(client, w["review"])
    review_id = review.id
    results = _race(app, w["mentor"], lambda c: c.post(
        f"/mentorship/reviews/{review_id}/media", headers=hx("review-media-audio-slot"),
        data={"kind": "audio", "file": (io.BytesIO(sample("webm-audio")), "again.webm")}))
    assert sorted(s for s, _ in results) in ([201, 201], [201, 409]), results
    named = _key(reload(review).audio_feedback_url)
    assert set(rows()) == {named} and backend.keys("") == [named]
    kept(client, backend, [w["mentor"], w["learner"]], named)
