"""Errors in place (issue #18, part 8): when an htmx request fails, offline or with a server error, the message
appears beside the control that sent it, the "Submitting…" state goes, nothing typed is lost, and an autosave
status never claims "saved"."""
from __future__ import annotations

from tests.browser.conftest import log_in
from tests.factories import make_mission, make_user
from tests.mentorship.helpers import setup_review
from webapp.services import attempts as attempt_service


def _fail_posts(page, pattern: str, *, offline: bool = False) -> None:
    def handle(route):
        if route.request.method != "POST":
            route.continue_()
        elif offline:
            route.abort()
        else:
            route.fulfill(status=500, body="<h1>Internal Server Error</h1>", content_type="text/html")
    page.route(pattern, handle)


def test_a_review_autosave_that_fails_says_so_in_its_status_line(page):
    _, mentor, _, review = setup_review()
    log_in(page, mentor.email)
    page.goto(f"/mentorship/reviews/{review.id}")
    _fail_posts(page, f"**/mentorship/reviews/{review.id}")
    page.locator("#written-feedback").fill("Scope earlier; the timeline is clear.")
    page.locator("#written-feedback").dispatch_event("change")
    status = page.locator("#review-save-status.save-status-error", has_text="server had a problem (500)")
    status.wait_for()
    assert "saved" not in status.inner_text().lower().replace("not", "")
    assert page.locator("#written-feedback").input_value() == "Scope earlier; the timeline is clear."


def test_a_subtask_submission_that_cannot_reach_the_server_says_so_beside_the_form(page):
    learner = make_user("learner", email="offline@example.com")
    mission = make_mission()
    attempt, _ = attempt_service.start_or_resume(learner, mission, acknowledge_scope=True)
    log_in(page, learner.email)
    page.goto(f"/attempts/{attempt.id}")
    _fail_posts(page, f"**/attempts/{attempt.id}/subtasks/*", offline=True)
    page.locator("#decision-isolate-yes").check()
    page.locator("textarea[name=response]").fill("Isolate WS-14 first, then scope.")
    page.get_by_role("button", name="Submit subtask").click()
    error = page.locator("#attempt-subtask + .request-error, form.subtask-form + .request-error")
    error.wait_for()
    assert "could not be reached" in error.inner_text()
    # "Submitting…" is gone: the request state is off the form, and its indicator is transparent again.
    assert page.locator(".htmx-request").count() == 0
    page.wait_for_function("getComputedStyle(document.querySelector('.subtask-form .htmx-indicator')).opacity === '0'")
    assert page.locator("textarea[name=response]").input_value() == "Isolate WS-14 first, then scope."
