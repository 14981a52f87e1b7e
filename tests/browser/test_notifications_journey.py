"""A learner submits a capstone; their mentor, on a page already open in another browser, sees the unread count in
the navigation rise without a reload (the count is polled: NOTIFICATIONS_POLL_SECONDS is 1 here), opens the
notifications and follows the notification to the submission, where the review starts."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in, shot, wait_until
from tests.capstones.helpers import VALUES, filled
from tests.factories import assign, make_capstone, make_mission, make_user
from webapp.domain.phases import PHASES


@pytest.fixture
def fast_poll(app):
    before = app.config["NOTIFICATIONS_POLL_SECONDS"]
    app.config["NOTIFICATIONS_POLL_SECONDS"] = 1
    yield
    app.config["NOTIFICATIONS_POLL_SECONDS"] = before


def test_mentor_sees_the_count_rise_and_follows_the_notification_to_the_review(browser, live_server, fast_poll):
    learner = make_user("learner", email="notify-learner@example.com", display_name="Nia Learner")
    mentor = make_user("mentor", email="notify-mentor@example.com")
    assign(mentor, learner)
    mission = make_mission(title="Ransomware at Northwind")
    cap = make_capstone(learner, mission, done=PHASES[:4], **filled(PHASES[:4]), **VALUES["presentation"])

    mentor_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    learner_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        mentor_page = mentor_ctx.new_page()
        log_in(mentor_page, mentor.email)
        mentor_page.goto("/missions")
        badge = mentor_page.locator("#notification-count")
        assert badge.get_attribute("data-poll-seconds") == "1"
        wait_until(mentor_page, "document.querySelector('#notification-count input[name=shown]') !== null")
        assert mentor_page.locator("#notification-count .badge").count() == 0
        mentor_page.evaluate("window.__stillHere = true")

        learner_page = learner_ctx.new_page()
        log_in(learner_page, learner.email)
        learner_page.goto(f"/capstones/{cap.id}")
        learner_page.get_by_text("Submit capstone for review").click()
        learner_page.get_by_role("button", name="Yes, submit for review").click()
        learner_page.locator("#capstone-status .callout-review").wait_for()

        # The mentor's page, untouched, learns of it at its next poll.
        wait_until(mentor_page, "(document.querySelector('#notification-count .badge') || {}).textContent === '1'",
                   timeout=10)
        assert mentor_page.evaluate("window.__stillHere === true")          # no reload
        link = mentor_page.get_by_role("link", name=re.compile(r"^Notifications\s*, 1 unread notification$"))
        assert link.count() == 1, mentor_page.locator(".nav-notifications").inner_html()
        wait_until(mentor_page, "document.querySelector('#notification-news').textContent"
                                ".includes('1 unread notification')")
        shot(mentor_page, "notifications-count-rose")

        link.click()
        mentor_page.wait_for_url("**/notifications")
        entry = mentor_page.locator(".notification").first
        assert "Unread" in entry.inner_text()
        title = "Nia Learner submitted the capstone “Ransomware at Northwind” for review"
        entry.get_by_role("link", name=title).click()
        mentor_page.wait_for_url(f"**/mentorship/queue#queue-capstone-{cap.id}")
        row = mentor_page.locator(f"#queue-capstone-{cap.id}")
        row.get_by_role("button", name="Review it").click()
        mentor_page.wait_for_url("**/mentorship/reviews/*")
        assert "Ransomware at Northwind" in mentor_page.content()
        # Read now: the count went down with it.
        wait_until(mentor_page, "document.querySelector('#notification-count .badge') === null")
    finally:
        mentor_ctx.close()
        learner_ctx.close()
