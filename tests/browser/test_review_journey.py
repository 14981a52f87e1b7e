"""The mentor reviews a learner's submitted capstone in two phases in headless chromium, records an audio comment
with the fake microphone and approves; the learner then reads the reviews and hears the audio."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, log_in, shot, wait_until
from tests.factories import assign, make_capstone, make_mission, make_user
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction, PortfolioItem
from webapp.models.base import utcnow


def wait_for_db(page, check, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the database")
        page.wait_for_timeout(100)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_mentor_reviews_in_two_phases_with_recorded_audio_and_learner_hears_it(browser, live_server):
    learner = make_user("learner", email="review-learner@example.com")
    mentor = make_user("mentor", email="review-mentor@example.com")
    assign(mentor, learner)
    mission = make_mission(title="Ransomware at Northwind")
    cap = make_capstone(learner, mission, done=PHASES, submitted_at=utcnow() - timedelta(hours=3),
                        report_summary="We contained the ransomware within an hour.",
                        remediation_plan="Segment the file servers.", decision_analysis="Isolating was right.",
                        decisions_made=[{"decision": "Isolate FS-01", "rationale": "Stop the spread"}],
                        investigation_findings={"threats": ["Ransomware"], "vulnerabilities": [], "timeline": [],
                                                "evidence": []})
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  permissions=["microphone", "camera"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        log_in(page, mentor.email)
        page.goto("/mentorship/queue")
        row = page.locator(f"#queue-capstone-{cap.id}")
        assert "Ransomware at Northwind" in row.inner_text()
        # The card links to the work; how many phases, and what the first reviews, are chosen beside the work.
        assert row.get_by_role("link", name="Ransomware at Northwind").get_attribute("href") == f"/capstones/{cap.id}"
        assert row.get_by_label("Phases").count() == 0
        row.get_by_role("button", name="Review it").click()
        page.wait_for_url("**/mentorship/reviews/*")
        assert "Review phase 1 of 1" in page.locator("h1").inner_text()
        page.get_by_label("Review phases in all").select_option("2")
        page.get_by_label("This phase reviews").select_option("investigation")
        wait_until(page, "document.querySelector('h1').textContent.includes('of 2 · Investigation')")
        wait_for_db(page, lambda: db.session.scalars(select(MentorshipInteraction.total_phases)).one() == 2)

        # Rubric: picking levels updates the weighted total live and pre-fills the overall score.
        page.locator("input[name='rubric.containment'][value='4']").check()
        wait_until(page, "document.querySelector('#review-total output').textContent.trim() === '100'")
        page.locator("input[name='rubric.analysis'][value='3']").check()
        # Points per level: containment 4/4 (weight 3) and analysis 3/4 (weight 2) give (3 + 1.5) / 5 = 90.
        wait_until(page, "document.querySelector('#overall-score').value === '90'")
        page.get_by_label("Feedback (Markdown)").fill("Solid **containment**. Work on the timeline.")
        page.get_by_label("Feedback (Markdown)").blur()
        wait_until(page, "document.querySelector('#review-save-status').textContent.includes('Draft saved')")

        # Record an audio comment with the fake microphone and upload it.
        recorder = page.locator("#recorder-audio")
        recorder.get_by_role("button", name="Record").click()
        wait_until(page, "document.querySelector('#recorder-audio [data-time]').textContent >= '0:02'", timeout=10)
        recorder.get_by_role("button", name="Stop").click()
        wait_until(page, "!document.querySelector('#recorder-audio [data-action=upload]').disabled")
        recorder.get_by_role("button", name="Upload take").click()
        wait_until(page, "document.querySelector('#review-media-audio-slot audio') !== null", timeout=15)
        # Typing after the upload still saves (the version moved on out of band).
        page.get_by_label("Audio transcript").fill("Great job isolating FS-01 quickly.")
        page.get_by_label("Audio transcript").blur()
        wait_for_db(page, lambda: db.session.scalars(select(MentorshipInteraction)).one().audio_transcript
                    == "Great job isolating FS-01 quickly.")
        assert "save-status-error" not in page.locator("#review-save-status").get_attribute("class")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "review-workspace")
        page.screenshot(path=str(ARTIFACTS / "review-workspace-top.png"))
        page.locator("#review-media").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "review-workspace-media.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        assert no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "review-workspace-390.png"))
        page.set_viewport_size({"width": 1280, "height": 900})

        # Submitting asks first; cancelling leaves the draft a draft.
        dismissed = []
        page.once("dialog", lambda dialog: (dismissed.append(dialog.message), dialog.dismiss()))
        page.get_by_role("button", name="Submit phase 1").click()
        wait_until(page, "true")   # let a request that should not be sent go out, if it were
        assert dismissed and "/mentorship/reviews/" in page.url
        db.session.expire_all()
        assert db.session.scalars(select(MentorshipInteraction.status)).all() == ["draft"]
        dialogs = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        with page.expect_navigation():
            page.get_by_role("button", name="Submit phase 1").click()
        assert dialogs and "can no longer be changed" in dialogs[0]
        assert page.locator("h1").inner_text().startswith("Reviews of")
        db.session.expire_all()
        first = db.session.scalars(select(MentorshipInteraction).where(MentorshipInteraction.review_phase == 1)).one()
        assert first.status == "submitted" and first.audio_duration_seconds is not None
        assert first.audio_feedback_url.startswith("/files/")

        # Phase 2 from the queue: overall, then approve.
        page.goto("/mentorship/queue")
        page.locator(f"#queue-capstone-{cap.id}").get_by_role("button", name="Review it: phase 2").click()
        page.wait_for_url("**/mentorship/reviews/*")
        assert "Review phase 2 of 2" in page.locator("h1").inner_text()
        page.locator("input[name='rubric.containment'][value='4']").check()
        page.locator("input[name='rubric.analysis'][value='4']").check()
        page.locator("input[name='rubric.communication'][value='3']").check()
        wait_until(page, "document.querySelector('#overall-score').value === '96'")   # 95.83, shown whole
        page.get_by_label("Overall score (0–100)").fill("92")
        page.get_by_label("Approve").check()
        dialogs = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        with page.expect_navigation():
            page.get_by_role("button", name="Submit phase 2").click()
        assert dialogs and "can no longer be changed" in dialogs[0]
        assert page.locator("h1").inner_text().startswith("Reviews of")
        db.session.expire_all()
        c = db.session.get(CapstoneProject, cap.id)
        assert c.mentor_approved and float(c.mentor_final_score) == 92.0
        item = db.session.scalars(select(PortfolioItem).where(PortfolioItem.capstone_id == cap.id)).one()
        assert item.status == "draft" and item.item_type == "capstone_result" and item.owner_id == learner.id
        context.clear_cookies()

        # The learner reads both phases and hears the audio comment.
        log_in(page, learner.email)
        assert page.locator("#review-badge .badge").inner_text() == "2" or wait_until(
            page, "document.querySelector('#review-badge .badge') && "
                  "document.querySelector('#review-badge .badge').textContent === '2'") is None
        page.goto(f"/mentorship/reviews/{first.id}")
        assert page.locator(".review-phase").count() == 2
        assert page.locator("svg.rubric-chart[role=img] title").count() == 2
        audio = page.locator("#review-%d-learner audio" % first.id)
        wait_until(page, "document.querySelector('#review-%d-learner audio').readyState >= 1" % first.id, timeout=10)
        audio.evaluate("a => { a.muted = true; return a.play(); }")
        wait_until(page, "document.querySelector('#review-%d-learner audio').currentTime > 0.2" % first.id, timeout=10)
        page.locator(f"#review-{first.id}-learner").get_by_role("button", name="Acknowledge phase 1").click()
        wait_until(page, f"document.querySelector('#review-{first.id}-learner').textContent.includes('Acknowledged')")
        wait_until(page, "document.querySelector('#review-badge .badge') !== null && "
                         "document.querySelector('#review-badge .badge').textContent === '1'")
        shot(page, "learner-reviews")
        page.set_viewport_size({"width": 390, "height": 844})
        assert no_sideways_scroll(page)
        shot(page, "learner-reviews-390")
        assert not errors, errors
    finally:
        context.close()
