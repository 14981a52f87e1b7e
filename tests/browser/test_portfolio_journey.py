"""A learner publishes an item with evidence (submit, confirm a finding, mentor approval, public), and an
anonymous visitor sees it on /p/<handle> and downloads its evidence; the public page fits a phone."""
from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in, shot, wait_until
from tests.factories import assign, make_capstone, make_item, make_mission, make_review, make_user
from webapp.models.base import utcnow
from webapp.services.portfolio import take_case_study

PHASES = ("investigation", "decision_making", "design_remediation", "reporting", "presentation")


def _errors(page):
    # The refused submission (findings to confirm) is answered 422 by design; chromium logs that status.
    return [m for m in page.console_messages if m.startswith(("error", "pageerror")) and "status of 422" not in m]


def test_learner_publishes_an_item_and_a_visitor_downloads_its_evidence(browser, live_server, tmp_path):
    # Pia shows her capstone scores (they are opt-in: tests/portfolio/test_public_case_study.py).
    learner = make_user("learner", email="pia@example.com", handle="pia", display_name="Pia Analyst",
                        bio="SOC analyst who likes **clean timelines**.", show_scores=True)
    mentor = make_user("mentor", email="max@example.com", display_name="Max Mentor")
    assign(mentor, learner)
    make_mission(skills=["Log analysis", "Incident triage"])
    # An earlier capstone, approved by the mentor, with its result item already public (SPEC §5 creates it).
    mastery = make_mission(title="Ransomware on the Night Shift", tier="mastery", track="defender",
                           summary="Contain a ransomware outbreak at a regional hospital during the night shift.")
    cap = make_capstone(learner, mastery, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("86.50"),
                        mentor_reviewed_at=utcnow(), decisions_made=[
                            {"decision": "Isolate the imaging VLAN", "rationale": "It held the only infected hosts",
                             "decided_at": "2026-11-01"}],
                        remediation_plan="Rotate service accounts; segment the imaging network.",
                        report_summary="Contained within four hours; no patient data left the network.",
                        presentation_url="https://example.org/slides", presentation_type="slides")
    make_review(mentor, cap, status="submitted", written_feedback="Calm under pressure; clear trade-offs.",
                rubric_scores={"containment": 4, "analysis": 3, "communication": 3})
    # Approved items show the snapshot of the capstone taken at their approval.
    make_item(learner, title="Capstone: Ransomware on the Night Shift", item_type="capstone_result",
              capstone_id=cap.id, status="approved", visibility="public", reviewed_by_id=mentor.id,
              reviewed_at=utcnow(), skill_tags=["Incident response"], case_study=take_case_study(cap))
    evidence = tmp_path / "timeline.md"
    evidence.write_text("# Timeline\n\n02:14 alert on the file server\n02:20 host isolated\n")

    def context():
        ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
        pg = ctx.new_page()
        pg.console_messages = []
        pg.on("console", lambda msg: pg.console_messages.append(f"{msg.type}: {msg.text}"))
        pg.on("pageerror", lambda err: pg.console_messages.append(f"pageerror: {err}"))
        return ctx, pg

    # The learner creates the item with an evidence file (uploaded at once through htmx).
    ctx, page = context()
    log_in(page, learner.email)
    page.get_by_role("link", name="Portfolio", exact=True).click()
    page.wait_for_url(re.compile(r".*/portfolio$"))
    page.get_by_role("link", name="New item").click()
    page.get_by_label("Title").fill("Night-shift ransomware timeline")
    page.get_by_label("Type").select_option("lab_report")
    page.get_by_label("Summary").fill("Rebuilt the **timeline** from the logs of fs01.corp.")
    wait_until(page, "document.querySelector('#item-preview strong') !== null")
    page.get_by_label("Skill tags").fill("Log analysis, Timeline reconstruction")
    page.get_by_label("Upload evidence").set_input_files(str(evidence))
    wait_until(page, "document.querySelector('#item-new-evidence input[name=file_keys]') !== null")
    shot(page, "portfolio-new-item")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/portfolio/items/\d+$"))
    expect(page.get_by_role("link", name="timeline.md")).to_be_visible()

    # Submitting finds the internal host name; the learner confirms it is safe, then the submission passes.
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Internal host name")).to_be_visible()
    shot(page, "portfolio-findings")
    page.get_by_label("I have redacted this / it is safe to share").check()
    page.get_by_role("button", name="Confirm and submit").click()
    expect(page.get_by_text("Submitted: your mentor will review it.")).to_be_visible()
    item_url = page.url
    assert _errors(page) == [], page.console_messages
    ctx.close()

    # The mentor approves it from the review list.
    ctx, page = context()
    log_in(page, mentor.email)
    page.goto("/portfolio")
    page.get_by_role("link", name="Open the review list").click()
    page.get_by_role("link", name="Night-shift ransomware timeline").click()
    page.get_by_label("Approve").check()
    page.get_by_label("Note to the learner").fill("Clear and well evidenced.")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_text("Approved: the learner can now show it.")).to_be_visible()
    ctx.close()

    # The learner makes it public.
    ctx, page = context()
    log_in(page, learner.email)
    page.goto(item_url)
    expect(page.get_by_text("Submitted → Approved")).to_be_visible()
    page.locator("#visibility").select_option("public")
    page.get_by_role("button", name="Save visibility").click()
    expect(page.get_by_text("Visibility: public.")).to_be_visible()
    # The list filters through htmx and the URL follows; the pushed URL renders the whole page.
    page.goto("/portfolio")
    assert page.locator(".portfolio-card").count() == 2
    page.get_by_label("Type").select_option("lab_report")
    page.wait_for_url(re.compile(r".*item_type=lab_report.*"))
    wait_until(page, "document.querySelectorAll('.portfolio-card').length === 1")
    page.reload()
    assert page.locator(".portfolio-card").count() == 1
    assert _errors(page) == [], page.console_messages
    ctx.close()

    # An anonymous visitor sees it on the public page and downloads the evidence.
    ctx, page = context()
    page.goto("/p/pia")
    expect(page.get_by_role("heading", name="Pia Analyst")).to_be_visible()
    expect(page.get_by_role("heading", name="Night-shift ransomware timeline")).to_be_visible()
    item_card = page.locator(".public-item", has=page.get_by_role("heading", name="Night-shift ransomware timeline"))
    expect(item_card.get_by_text("Approved by Max Mentor")).to_be_visible()
    assert page.locator(".bio strong").inner_text() == "clean timelines"
    expect(page.get_by_role("img", name=re.compile("Rubric scores"))).to_be_visible()
    expect(page.get_by_text("mastery reached")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="timeline.md").click()
    download = download_info.value
    assert download.suggested_filename == "timeline.md"
    assert "02:20 host isolated" in open(download.path(), encoding="utf-8").read()
    shot(page, "public-portfolio")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    shot(page, "public-portfolio-print")
    page.emulate_media(media="screen")
    assert _errors(page) == [], page.console_messages
    ctx.close()

    # The same page on a phone does not scroll sideways.
    phone = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    try:
        page.goto("/p/pia")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the public page scrolls sideways on a phone ({width}px)"
        shot(page, "public-portfolio-phone")
    finally:
        phone.close()


def test_owner_copies_the_secret_link_and_a_visitor_opens_it(page):
    learner = make_user("learner", email="uma@example.com", handle="uma")
    item = make_item(learner, title="Unlisted lab", status="approved", visibility="unlisted",
                     share_token="uma-secret-link-abcdefghijklmnopqrstuvwxyz", summary="Only **by link**.")
    log_in(page, learner.email)
    page.goto(f"/portfolio/items/{item.id}")
    assert page.get_by_label("Secret link").input_value().endswith("/s/uma-secret-link-abcdefghijklmnopqrstuvwxyz")
    page.get_by_role("button", name="Copy link").click()
    wait_until(page, "document.getElementById('share-url-status').textContent.length > 0")
    page.goto("/s/uma-secret-link-abcdefghijklmnopqrstuvwxyz")
    expect(page.get_by_role("heading", name="Unlisted lab")).to_be_visible()
    assert page.locator(".prose strong").inner_text() == "by link"
    assert _errors(page) == [], page.console_messages
