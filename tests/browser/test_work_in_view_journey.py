"""Issue #18's journey end to end in headless chromium, on a desktop and on a phone: a learner who completed a
mission starts its capstone from the mission page, sees the attempt and the brief beside the investigation form,
imports the timeline, lets a draft save itself and submits with the confirmation; their mentor opens it from the
queue, previews the uploaded PDF in the page, sees the attempt's answers and the mentor notes, and requests
changes; the learner's capstone page then opens with the callout and the mentor's feedback. Screenshots:
test-artifacts/work-in-view-*.png."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, log_in, wait_until
from tests.browser.test_inline_preview import one_page_pdf
from tests.factories import assign, make_user
from webapp.extensions import db
from webapp.models import CapstoneProject, Mission
from webapp.models.base import utcnow
from webapp.services import capstones as capstone_service
from webapp.services import catalogue, files as files_service
from webapp.services.demo import _phase_values, play_attempt

SEED = __import__("pathlib").Path(__file__).resolve().parents[2] / "seed" / "missions"


def _mission() -> Mission:
    data = [m for m in catalogue.read_missions(SEED / "defender") if m["tier"] == "mastery"][0]
    catalogue.upsert_missions([data])
    return db.session.scalar(select(Mission).where(Mission.slug == data["slug"]))


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_capstone_builds_on_the_attempt_and_the_review_loop_closes(browser, live_server, viewport):
    size = "desktop" if viewport["width"] > 600 else "phone"
    mission = _mission()
    learner = make_user("learner", email=f"journey-{size}@example.com", display_name="Jo Journey")
    mentor = make_user("mentor", email=f"mentor-{size}@example.com", display_name="Morgan Mentor")
    assign(mentor, learner)
    play_attempt(learner, mission, utcnow() - timedelta(hours=3))
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    try:
        # The learner starts the capstone from the mission page.
        log_in(page, learner.email)
        page.goto(f"/missions/{mission.slug}")
        page.get_by_role("button", name="Start capstone").click()
        page.wait_for_url(re.compile(r".*/capstones/\d+$"))
        cap = db.session.scalar(select(CapstoneProject).where(CapstoneProject.learner_id == learner.id))
        assert page.locator(".phase-brief").inner_text().strip()                 # this phase's brief
        assert page.locator("#capstone-attempt .timeline-item").count() >= 1      # the attempt beside it
        page.screenshot(path=str(ARTIFACTS / f"work-in-view-{size}-workspace.png"))

        # Investigation: the timeline from the attempt, a finding typed and saved by itself.
        page.get_by_role("button", name=re.compile(r"Add the attempt's \d+ events? to the timeline")).click()
        page.locator("#capstone-phase-form .flash-success", has_text="events are in your timeline").wait_for()
        page.locator("#investigation_findings-threats-0").fill("Trojanised vendor update with a C2 beacon")
        page.locator("#phase-save-status", has_text="Draft saved at").wait_for()
        db.session.expire_all()
        stored = db.session.get(CapstoneProject, cap.id)
        assert stored.investigation_findings["threats"] == ["Trojanised vendor update with a C2 beacon"]
        assert len(stored.investigation_findings["timeline"]) >= 1

        # The middle phases as the demo fills them; the report is an uploaded PDF the mentor will preview.
        values = _phase_values(mission)
        for phase in ("investigation", "decision_making", "design_remediation", "reporting"):
            capstone_service.save_phase(stored, phase, values[phase], learner, complete=True)
        pdf = files_service.store_upload(learner, io.BytesIO(one_page_pdf("Incident report for the board")),
                                         "incident-report.pdf", "document")
        files_service.attach([pdf.key], owner_id=learner.id, field="report_document", capstone_id=cap.id)
        stored.report_document_url = f"/files/{pdf.key}"
        db.session.commit()

        # The presentation, submitted through the confirmation that says what is sent.
        page.goto(f"/capstones/{cap.id}?phase=presentation")
        page.locator("#presentation_url").fill("https://slides.example/board-briefing")
        page.locator("#presentation_type").select_option("slides")
        page.get_by_text("Submit capstone for review").click()
        assert "read-only" in page.locator("#submit-confirm .submit-summary").inner_text()
        page.get_by_role("button", name="Yes, submit for review").click()
        page.locator("#capstone-status .callout-review").wait_for()
        context.clear_cookies()

        # The mentor: from the queue to the work, the PDF previewed in the page, the answers and the notes.
        log_in(page, mentor.email)
        page.goto("/mentorship/queue")
        card = page.locator(f"#queue-capstone-{cap.id}")
        card.get_by_role("button", name="Review it").click()
        page.wait_for_url("**/mentorship/reviews/*")
        assert page.locator("#review-mentor-notes").is_visible()
        assert "The mission attempt behind it" in page.locator("#review-work").inner_text()
        page.locator("#review-work summary", has_text="Reporting").click()        # the phase the report is in
        page.locator("#review-work summary", has_text="Preview incident-report.pdf").click()
        page.locator("#review-work iframe").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / f"work-in-view-{size}-mentor.png"))
        page.get_by_label("Feedback (Markdown)").fill("Good containment. **Rework the report** for the board.")
        page.get_by_label("Request changes").check()
        page.get_by_label("Overall score (0–100)").fill("62")
        page.locator("input[name=reopen_phases][value=reporting]").check()
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(r"Submit phase 1")).click()
        context.clear_cookies()

        # The learner sees the request, with the feedback, at the top of the capstone page.
        log_in(page, learner.email)
        page.goto(f"/capstones/{cap.id}")
        callout = page.locator("#capstone-status .callout-changes")
        callout.wait_for()
        assert "Changes requested" in callout.inner_text() and "Rework the report" in callout.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"work-in-view-{size}-changes.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
