"""Phase history in headless chromium: the mentor requests changes reopening the investigation; the learner edits a
finding and resubmits; the mentor's next review workspace marks the change, and the kept version reads as reviewed."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.browser.conftest import log_in, shot, wait_until
from tests.capstones.helpers import filled
from tests.factories import assign, make_capstone, make_mission, make_review, make_user
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstonePhaseVersion, CapstoneProject
from webapp.models.base import utcnow
from webapp.services import reviews as review_service

OLD, NEW = "Ransomware operator", "Ransomware operator with stolen VPN credentials"


def _complete(page, n_done):
    page.get_by_role("button", name="Complete phase").click()
    wait_until(page, f"document.querySelectorAll('#capstone-stepper .step-done').length === {n_done}")


def test_mentor_sees_what_changed_since_the_review(page):
    learner = make_user("learner", email="history-learner@example.com")
    mentor = make_user("mentor", email="history-mentor@example.com", display_name="Morgan Mentor")
    assign(mentor, learner)
    cap = make_capstone(learner, make_mission(title="Night shift at Northwind"), done=PHASES,
                        submitted_at=utcnow() - timedelta(hours=2), **filled(upto="presentation"))
    review = make_review(mentor, cap, total_phases=1)

    # The mentor asks for changes on the investigation.
    log_in(page, mentor.email)
    page.goto(f"/mentorship/reviews/{review.id}")
    page.get_by_label("Overall score (0–100)").fill("55")
    page.get_by_label("Request changes").check()
    page.locator("fieldset.reopen").get_by_label("Investigation").check()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Submit phase 1").click()
    db.session.expire_all()
    kept = db.session.scalars(select(CapstonePhaseVersion).where(CapstonePhaseVersion.capstone_id == cap.id)).all()
    assert sorted(v.phase for v in kept) == sorted(PHASES)
    page.context.clear_cookies()

    # The learner sees their version as reviewed, edits a finding and resubmits.
    log_in(page, learner.email)
    page.goto(f"/capstones/{cap.id}")
    changes = page.locator("#capstone-changes")
    assert "Your version as reviewed on" in changes.inner_text()
    assert "<del>" not in changes.inner_html()
    page.locator("#investigation_findings-threats-0").fill(NEW)
    for n in range(1, 5):
        _complete(page, n)
    page.get_by_text("Submit capstone for review").click()
    page.get_by_role("button", name="Yes, submit for review").click()
    wait_until(page, "document.querySelectorAll('#capstone-stepper .step-done').length === 5")
    db.session.expire_all()
    assert db.session.get(CapstoneProject, cap.id).submitted_at is not None
    # Their kept version still reads as it was reviewed.
    page.goto(f"/capstones/{cap.id}")
    with page.expect_navigation():
        page.locator("#capstone-changes").get_by_role(
            "link", name=re.compile("Your version as reviewed on")).first.click()
    assert "/phases/investigation/history" in page.url
    assert OLD in page.locator(".phase-version-full").first.inner_text()
    page.context.clear_cookies()

    # The mentor's next review phase marks what changed, in words as well as by <ins>/<del>.
    nxt = review_service.create(db.session.get(type(mentor), mentor.id), capstone_id=cap.id)
    log_in(page, mentor.email)
    page.goto(f"/mentorship/reviews/{nxt.id}")
    phase = page.locator("details.work-phase").filter(has_text="Investigation").first
    assert phase.get_attribute("open") is not None
    assert "Changed since your review" in phase.locator("summary").inner_text()
    since = phase.locator(".changes-since")
    assert since.locator("del", has_text=OLD).count() == 1
    assert since.locator("ins", has_text=NEW).count() == 1
    assert since.locator(".diff-item .diff-tag").first.text_content() == "Changed"
    since.scroll_into_view_if_needed()
    shot(page, "phase-history-workspace")
    with page.expect_navigation():
        since.get_by_role("link", name=re.compile("The full version as reviewed on")).click()
    assert page.locator("h1").inner_text() == "Investigation: the versions reviewed"
    assert page.locator(".phase-version").count() == 1
    assert page.locator(".phase-diff ins", has_text=NEW).count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "phase-history-page-390")
