"""The review pages: full page vs fragment (STYLE §7), the live total, drafts and conflicts, media, the learner's
partials, the badge."""
from __future__ import annotations

import io
import re

from flask import render_template
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import StoredFile
from webapp.models.base import utcnow
from webapp.services import reviews as service

from ..conftest import hx, log_in
from ..factories import assign, make_user
from ..media_samples import sample
from .helpers import form_for, make_recipe, reload, setup_review, snapshot, submitted_capstone


def test_queue_full_page_and_fragment(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner, hours_ago=30)
    log_in(client, mentor)
    page = client.get("/mentorship/queue?track=defender")
    assert "<html" in page.text and 'id="queue-list"' in page.text and "Waiting 30 hours" in page.text
    frag = client.get("/mentorship/queue?track=defender", headers=hx("queue-list"))
    assert "<html" not in frag.text and frag.text.lstrip().startswith('<section id="queue-list"')
    assert cap.mission.title in frag.text and "HX-Request" in frag.headers["Vary"]
    other = client.get("/mentorship/queue?track=grc", headers=hx("queue-list"))
    assert cap.mission.title not in other.text and "Nothing is waiting" in other.text


def test_queue_is_for_mentors_and_admins(client):
    log_in(client, make_user("learner"))
    assert client.get("/mentorship/queue").status_code == 403


def test_total_fragment_prefills_overall_unless_typed(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    url = f"/mentorship/reviews/{review.id}/total"
    resp = client.post(url, data={"rubric.containment": "4", "rubric.analysis": "4"}, headers=hx("review-total"))
    assert resp.text.lstrip().startswith('<div id="review-total"') and '<output class="score" for="review-form">100</output>' in resp.text
    assert 'value="100"' in resp.text
    resp = client.post(url, data={"rubric.containment": "4", "rubric.analysis": "1"}, headers=hx("review-total"))
    assert 'value="70"' in resp.text
    typed = client.post(url, data={"rubric.containment": "1", "overall_score": "77", "rubric_total": "70"},
                        headers=hx("review-total"))
    assert 'id="overall-score" name="overall_score"' in typed.text and 'value="77"' in typed.text
    # Bad picks do not count towards the total.
    odd = client.post(url, data={"rubric.containment": "9", "rubric.nope": "1"}, headers=hx("review-total"))
    assert "—" in odd.text


def test_two_tabs_second_save_is_409_with_message_and_nothing_overwritten(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    stale = review.version_id
    first = client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, written_feedback="Tab A"),
                        headers=hx("review-save-status"))
    assert first.status_code == 200 and "Draft saved" in first.text
    second = client.post(f"/mentorship/reviews/{review.id}", headers=hx("review-save-status"),
                         data=form_for(review, version_id=str(stale), written_feedback="Tab B"))
    assert second.status_code == 409 and "another tab" in second.text
    assert 'id="review-save-status"' in second.text and "hx-swap-oob" not in second.text
    assert reload(review).written_feedback == "Tab A"
    # Without JavaScript the page comes back with what was typed and the message.
    plain = client.post(f"/mentorship/reviews/{review.id}",
                        data=form_for(review, version_id=str(stale), written_feedback="Tab B typed"))
    assert plain.status_code == 409 and "Tab B typed" in plain.text and "another tab" in plain.text


def test_save_bad_input_is_422_naming_fields_and_keeps_text(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    before = snapshot(review)
    resp = client.post(f"/mentorship/reviews/{review.id}",
                       data=form_for(review, written_feedback="keep me", overall_score="120",
                                     step_title="Late", step_priority="low", step_deadline="2020-01-01"))
    assert resp.status_code == 422 and "keep me" in resp.text
    assert "Overall score: must be between 0 and 100" in resp.text
    assert "Next step 1, deadline: 2020-01-01 is in the past" in resp.text
    assert snapshot(review) == before


def test_save_without_js_redirects_and_keeps_steps_and_recipes(client):
    learner, mentor, cap, review = setup_review()
    make_recipe("sysmon-basics")
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}", data=form_for(
        review, step_title=["One", "Two"], step_priority=["low", "high"], step_deadline=["", ""],
        remove_step="0", recipe="sysmon-basics", is_scoring_meeting="1", meeting_duration_minutes="30"))
    assert resp.status_code == 303
    r = reload(review)
    assert r.recommended_next_steps == [{"title": "Two", "priority": "high", "deadline": None}]
    assert r.recommended_recipes == ["sysmon-basics"] and r.is_scoring_meeting and r.meeting_duration_minutes == 30


def test_recipe_search_and_step_row_fragments(client):
    learner, mentor, cap, review = setup_review()
    make_recipe("sysmon-basics", "Sysmon basics")
    make_recipe("phishing-101", "Phishing triage")
    log_in(client, mentor)
    resp = client.get("/mentorship/recipes?recipe_q=sysmon", headers=hx("recipe-options"))
    assert resp.text.lstrip().startswith('<ul id="recipe-options"') and "Sysmon basics" in resp.text
    assert "Phishing" not in resp.text
    excluded = client.get("/mentorship/recipes?recipe_q=sysmon&recipe=sysmon-basics", headers=hx("recipe-options"))
    assert "Sysmon basics" not in excluded.text
    row = client.get(f"/mentorship/reviews/{review.id}/step-row", headers=hx("review-steps"))
    assert 'name="step_title"' in row.text and row.text.lstrip().startswith("<li")
    # Opened as a page, the same URL is a whole page with a search form, not a bare fragment.
    page = client.get("/mentorship/recipes?recipe_q=sysmon")
    assert page.status_code == 200 and "<html" in page.text and "<h1>Recipes</h1>" in page.text
    assert "Sysmon basics" in page.text and "Phishing" not in page.text and 'name="recipe_q" value="sysmon"' in page.text
    assert "No recipe matches “nothing-like-it”" in client.get("/mentorship/recipes?recipe_q=nothing-like-it").text


def test_media_upload_sets_url_and_server_duration(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}/media", headers=hx("review-media-audio-slot"),
                       data={"kind": "audio", "file": (io.BytesIO(sample("webm-audio")), "note.webm"),
                             "duration_seconds": "999"})
    assert resp.status_code == 201, resp.text
    row = db.session.scalars(select(StoredFile)).one()
    r = reload(review)
    assert r.audio_feedback_url == f"/files/{row.key}" and r.audio_duration_seconds == row.duration_seconds != 999
    assert row.owner_id == learner.id and row.uploaded_by_id == mentor.id and row.review_id == review.id
    assert 'hx-swap-oob="true"' in resp.text and f'value="{r.version_id}"' in resp.text
    log_in(client, learner)
    assert client.get(r.audio_feedback_url).status_code == 200


def test_media_refused_by_files_layer_is_415_and_nothing_stored(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}/media", headers=hx("review-media-audio-slot"),
                       data={"kind": "audio", "file": (io.BytesIO(b"<html><script>x</script>"), "x.mp3")})
    assert resp.status_code == 415 and "upload-error" in resp.text
    assert db.session.scalars(select(StoredFile)).all() == [] and reload(review).audio_feedback_url is None


def test_learner_reads_submitted_review_page_not_drafts(client):
    learner, mentor, cap, review = setup_review(total_phases=2, written_feedback="**Nice** work")
    log_in(client, learner)
    assert client.get(f"/mentorship/reviews/{review.id}").status_code == 403
    service.submit(reload(review), mentor)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert page.status_code == 200 and "<strong>Nice</strong>" in page.text and "Acknowledge phase 1" in page.text
    assert 'name="written_feedback"' not in page.text


def test_acknowledge_and_toggle_answer_fragment_or_redirect(client):
    day = utcnow().date().isoformat()
    learner, mentor, cap, review = setup_review(total_phases=2, recommended_next_steps=[
        {"title": "Read the runbook", "priority": "high", "deadline": day}])
    service.submit(review, mentor)
    log_in(client, learner)
    frag = client.post(f"/mentorship/reviews/{review.id}/steps/0/toggle", data={"done": "1"},
                       headers=hx(f"review-{review.id}-learner"))
    assert frag.text.lstrip().startswith(f'<article id="review-{review.id}-learner"')
    assert 'aria-checked="true"' in frag.text
    assert reload(review).next_steps_done == [0]
    ack = client.post(f"/mentorship/reviews/{review.id}/acknowledge")
    assert ack.status_code == 303 and reload(review).acknowledged_at is not None


def test_badge_counts_waiting_for_mentor_and_unacknowledged_for_learner(client):
    learner, mentor, cap, review = setup_review(total_phases=2)
    log_in(client, mentor)
    resp = client.get("/mentorship/badge", headers=hx("review-badge"))
    assert resp.text.lstrip().startswith('<span id="review-badge"') and ">1<" in resp.text
    assert 'hx-trigger="every 60s' in resp.text
    log_in(client, learner)
    assert ">1<" not in client.get("/mentorship/badge").text
    service.submit(reload(review), mentor)
    assert ">1<" in client.get("/mentorship/badge").text


def test_capstone_and_attempt_partials_render_in_a_request_context(app, client):
    from .helpers import make_attempt

    learner, mentor, cap, review = setup_review(total_phases=1, overall_score=80, rubric_scores={"containment": 3},
                                                 recommended_recipes=[])
    service.submit(review, mentor, decision="approve")
    with app.test_request_context("/"):
        from flask_login import login_user

        from webapp.services import sessions

        sessions.start_session(learner)   # login_user stores the session's id (services/sessions.py)
        login_user(learner)
        from webapp.services import queue as queue_service

        html = render_template("mentorship/_capstone_reviews.html",
                               reviews_panel=queue_service.reviews_panel(reload(cap), learner))
        assert html.lstrip().startswith('<section id="capstone-reviews"')
        assert 'role="img"' in html and "<title" in html and "Approved" in html and "Acknowledge phase 1" in html
        attempt = make_attempt(learner, cap.mission, review_requested_at=utcnow())
        html = render_template("mentorship/_attempt_reviews.html",
                               reviews_panel=queue_service.reviews_panel(attempt, learner))
        assert html.lstrip().startswith('<section id="attempt-reviews"') and "Waiting for a mentor" in html


def test_nav_has_reviews_link_with_badge(client):
    log_in(client, make_user("learner"))
    page = client.get("/mentorship/reviews")
    assert 'id="review-badge"' in page.text and 'hx-trigger="load, every 60s' in page.text


def test_captions_for_review_audio_are_the_learners_and_show_in_the_player(client):
    learner, mentor, cap, review = setup_review(total_phases=2)
    row = service.upload_media(review, mentor, io.BytesIO(sample("webm-audio")), "note.webm", "audio")
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert "Add captions (WebVTT)" in page.text, re.findall(r"review-media-audio.{0,300}", page.text, re.S)[:2]
    assert f'value="{row.key}"' in page.text
    vtt = b"WEBVTT\n\n00:00.000 --> 00:01.000\nGreat job\n"
    resp = client.post("/files", data={"kind": "captions", "captions_for": row.key, "file": (io.BytesIO(vtt), "a.vtt")},
                       headers=hx("review-media-audio-captions"))
    assert resp.status_code == 201, resp.text
    service.submit(reload(review), mentor)
    log_in(client, learner)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert '<track kind="captions"' in page.text
    caption = db.session.scalars(select(StoredFile).where(StoredFile.parent_id.is_not(None))).one()
    assert caption.owner_id == learner.id and client.get(f"/files/{caption.key}").status_code == 200


def test_attempt_review_page_shows_answers_decisions_and_timeline(client):
    from .helpers import make_attempt

    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    from ..factories import make_mission

    mission = make_mission()
    attempt = make_attempt(learner, mission, review_requested_at=utcnow(),
                           fired_events=[{"index": 0, "fired_at": utcnow().isoformat()}])
    review = service.create(mentor, attempt_id=attempt.id, review_phase=1, total_phases=1)
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert page.status_code == 200
    assert "Isolated the host." in page.text and "Isolate" in page.text and "FS-01 encrypts." in page.text
    assert 'value="request_changes"' not in page.text


def test_request_changes_through_the_page_reopens_and_tells_the_learner(client):
    learner, mentor, cap, review = setup_review(total_phases=1)
    log_in(client, mentor)
    missing = client.post(f"/mentorship/reviews/{review.id}/submit", headers=hx("review-save-status"),
                          data=form_for(review, overall_score="45", decision="request_changes"))
    assert missing.status_code == 422 and "reopen" in missing.text and reload(review).status == "draft"
    resp = client.post(f"/mentorship/reviews/{review.id}/submit", headers=hx("review-save-status"),
                       data=form_for(reload(review), overall_score="45", decision="request_changes",
                                     reopen_phases=["design_remediation"]))
    assert resp.status_code == 200 and resp.headers["HX-Redirect"].endswith(f"/mentorship/reviews/{review.id}")
    c = reload(cap)
    assert c.design_remediation_completed_at is None and c.reporting_completed_at is None
    assert c.decision_making_completed_at is not None
    assert cap.mission.title not in client.get("/mentorship/queue").text.split('id="queue-overdue"')[0]
    log_in(client, learner)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert "Changes requested (reopened: Design &amp; remediation)" in page.text


def test_recipe_search_without_javascript_goes_through_the_page(client):
    learner, mentor, cap, review = setup_review()
    make_recipe("sysmon-basics", "Sysmon basics")
    log_in(client, mentor)
    resp = client.post(f"/mentorship/reviews/{review.id}", data=form_for(review, action="search_recipes",
                                                                          recipe_q="sysmon"))
    assert resp.status_code == 303 and "recipe_q=sysmon" in resp.headers["Location"]
    page = client.get(resp.headers["Location"])
    assert 'value="sysmon-basics"' in page.text
