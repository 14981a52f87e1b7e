"""An employer (no account) opens a learner's public page: the capstone's presentation video plays inline, the
report downloads, the mentor's verdict is the note written for publication, the learner's links carry
rel="me noopener", scores stay hidden until the learner shows them; the page fits a phone and prints without
navigation. Screenshots: test-artifacts/public-case-study-{desktop,phone,print}.png."""
from __future__ import annotations

import io
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import shot, wait_until
from tests.factories import assign, make_capstone, make_item, make_mission, make_review, make_user
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.services import files as files_service
from webapp.services.portfolio import take_case_study

PHASES = ("investigation", "decision_making", "design_remediation", "reporting", "presentation")
REPORT = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _published_case_study():
    learner = make_user("learner", email="noa@example.com", handle="noa", display_name="Noa Responder",
                        bio="Incident responder.", website_url="https://noa.example.org/",
                        github_url="https://github.com/noa", contact_email="noa@example.org")
    mentor = make_user("mentor", email="mia@example.com", display_name="Mia Mentor")
    assign(mentor, learner)
    mission = make_mission(title="Ransomware on the Night Shift", tier="mastery", track="defender",
                           summary="Contain a ransomware outbreak at a regional hospital during the night shift.")
    cap = make_capstone(learner, mission, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("91.00"),
                        mentor_reviewed_at=utcnow(), report_summary="Contained within four hours.",
                        decisions_made=[{"decision": "Isolate the imaging VLAN", "rationale": "Only infected hosts",
                                         "decided_at": "2026-11-01"}])
    make_review(mentor, cap, status="submitted", written_feedback="PRIVATE feedback for Noa only.",
                rubric_scores={"containment": 4})
    video = files_service.store_upload(learner, io.BytesIO(sample("webm-video")), "briefing.webm", "video")
    report = files_service.store_upload(learner, io.BytesIO(REPORT), "report.pdf", "document")
    files_service.attach([video.key], owner_id=learner.id, field="presentation", capstone_id=cap.id)
    files_service.attach([report.key], owner_id=learner.id, field="report_document", capstone_id=cap.id)
    files_service.store_upload(learner, io.BytesIO(sample("vtt")), "briefing.vtt", "captions", parent=video)
    cap.presentation_url, cap.presentation_type = f"/files/{video.key}", "video"
    cap.report_document_url = f"/files/{report.key}"
    db.session.commit()
    make_item(learner, title="Capstone: Ransomware on the Night Shift", item_type="capstone_result",
              capstone_id=cap.id, status="approved", visibility="public", reviewed_by_id=mentor.id,
              reviewed_at=utcnow(), review_note="PRIVATE review note.", skill_tags=["Incident response"],
              public_note="Noa contained the outbreak **calmly** and explained every trade-off.",
              case_study=take_case_study(cap))
    return learner, video, report


def test_visitor_plays_the_case_study_video_and_reads_the_public_verdict(browser, live_server):
    _, video, report = _published_case_study()
    ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/p/noa")
    expect(page.get_by_role("heading", name="Noa Responder")).to_be_visible()

    # The video plays for a visitor with no account: the browser loads its metadata (a login page would not).
    player = page.locator(".case-study video")
    expect(player).to_be_visible()
    wait_until(page, "document.querySelector('.case-study video').readyState >= 1")
    assert page.evaluate("document.querySelector('.case-study video').duration") > 0
    assert page.evaluate("document.querySelector('.case-study video').currentSrc").endswith(f"/files/{video.key}")
    assert page.evaluate("document.querySelectorAll('.case-study video track[kind=captions]').length") == 1
    # The report is a download.
    with page.expect_download() as info:
        page.get_by_role("link", name="Report: report.pdf").click()
    assert info.value.suggested_filename == "report.pdf"

    # The verdict is the public note; the private words are nowhere; the approval line once.
    verdict = page.locator(".mentor-verdict")
    expect(verdict).to_contain_text("contained the outbreak calmly")
    body = page.locator("main").inner_text()
    assert "PRIVATE" not in body
    assert body.count("Approved by Mia Mentor") == 1
    # Scores are opt-in: none shown.
    assert "91" not in body and "Rubric scores" not in body

    # Links and contact.
    for name in ("https://noa.example.org/", "https://github.com/noa", "noa@example.org"):
        link = page.get_by_role("link", name=name)
        expect(link).to_have_attribute("rel", "me noopener")
    shot(page, "public-case-study-desktop")

    # A phone: nothing wider than the screen, the player fits.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator(".case-study video")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(".case-study video").bounding_box()
    assert box and box["width"] <= 390
    shot(page, "public-case-study-phone")

    # Print: no navigation, no player, web links with their address.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".case-study video")).to_be_hidden()
    expect(page.locator(".profile-links")).to_contain_text("https://noa.example.org/")
    expect(page.locator(".case-study-player figcaption")).to_contain_text("Download briefing.webm")
    shot(page, "public-case-study-print")
    assert errors == []
    ctx.close()
