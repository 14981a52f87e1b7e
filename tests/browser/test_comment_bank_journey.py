"""The comment bank and the review workspace's keyboard in headless chromium: a mentor writes a snippet, opens a
review, searches the bank, inserts the snippet into the rubric comment they were writing, and drives a
criterion's level and the save from the keyboard; then claims two queue items at once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.browser.conftest import log_in, shot, wait_settled, wait_until
from tests.browser.test_review_journey import no_sideways_scroll, wait_for_db
from tests.factories import assign, make_user
from tests.mentorship.helpers import make_attempt, submitted_capstone
from webapp.extensions import db
from webapp.models import CapstoneProject, CommentSnippet, MentorshipInteraction, MissionAttempt
from webapp.models.base import utcnow

from ..factories import make_mission, make_review


def review_of(review_id: int) -> MentorshipInteraction:
    db.session.expire_all()
    return db.session.get(MentorshipInteraction, review_id)


def test_mentor_inserts_a_snippet_into_a_rubric_comment_and_drives_the_rubric_by_keyboard(page):
    learner = make_user("learner", email="bank-learner@example.com")
    mentor = make_user("mentor", email="bank-mentor@example.com")
    assign(mentor, learner)
    cap = submitted_capstone(learner, make_mission(title="Phishing at Fabrikam"))
    review = make_review(mentor, cap, total_phases=1)
    log_in(page, mentor.email)

    # An empty bank says what it is for; a new snippet for the Defender track.
    page.goto("/mentorship/snippets")
    assert "You have no snippets yet" in page.locator("main").inner_text()
    page.get_by_role("link", name="Write your first snippet").click()
    page.get_by_label("Title").fill("Timeline first")
    page.get_by_label("Offered in reviews of").select_option("defender")
    page.get_by_label("Text (Markdown)").fill("Start with a **timeline**: when each host was touched.")
    page.get_by_role("button", name="Save snippet").click()
    page.wait_for_url("**/mentorship/snippets")
    assert "Timeline first" in page.locator("#snippet-list").inner_text()
    db.session.expire_all()
    assert db.session.scalars(select(CommentSnippet.title)).all() == ["Timeline first"]

    page.goto(f"/mentorship/reviews/{review.id}")
    bank = page.locator("#review-comment-bank")
    assert "Timeline first" in bank.inner_text()

    # Search: the fragment replaces the results as the mentor types.
    bank.get_by_label("Search snippets").fill("zebra")
    wait_until(page, "document.querySelector('#snippet-results').textContent.includes('No snippet matches')")
    bank.get_by_label("Search snippets").fill("TIMELINE")
    wait_until(page, "document.querySelector('#snippet-results').textContent.includes('Timeline first')")
    wait_settled(page)

    # The mentor writes in the analysis criterion's comment, then inserts the snippet at the cursor.
    comment = page.get_by_label("Comment on Analysis")
    comment.fill("Good. ")
    comment.press("End")
    bank.get_by_role("button", name="Insert").click()
    expected = "Good. Start with a **timeline**: when each host was touched."
    assert comment.input_value() == expected
    assert "Inserted “Timeline first” into Comment on Analysis." in bank.inner_text()
    # The insert counts as a change: the autosave keeps it.
    wait_until(page, "document.querySelector('#review-save-status').textContent.includes('Draft saved')")
    wait_for_db(page, lambda: review_of(review.id).rubric_comments.get("analysis") == expected)

    # Keyboard: the next criterion, then a level up twice, down once; the live total follows.
    page.locator("input[name='rubric.containment'][value='1']").check()
    page.locator("input[name='rubric.containment'][value='1']").focus()
    page.keyboard.press("Alt+Shift+ArrowDown")
    assert page.evaluate("document.activeElement.name") == "rubric.analysis"
    page.keyboard.press("Alt+Shift+ArrowRight")
    page.keyboard.press("Alt+Shift+ArrowRight")
    page.keyboard.press("Alt+Shift+ArrowLeft")
    assert page.locator("input[name='rubric.analysis']:checked").get_attribute("value") == "1"
    page.keyboard.press("Alt+Shift+ArrowRight")
    assert page.locator("input[name='rubric.analysis']:checked").get_attribute("value") == "2"
    wait_for_db(page, lambda: review_of(review.id).rubric_scores.get("analysis") == 2)

    # Shortcuts leave typing alone, except the save chord, which saves at once.
    written = page.get_by_label("Feedback (Markdown)")
    written.fill("Clear report.")
    written.press("Alt+Shift+ArrowRight")
    assert page.locator("input[name='rubric.analysis']:checked").get_attribute("value") == "2"
    written.press("Control+s")
    wait_for_db(page, lambda: review_of(review.id).written_feedback == "Clear report.")
    # A shortcut to the comment bank's search, from outside a text field.
    page.locator("input[name='rubric.analysis']:checked").focus()
    page.keyboard.press("Alt+Shift+B")
    assert page.evaluate("document.activeElement.id") == "snippet-q"

    # Save as snippet: the text of the field last worked in becomes a new snippet, listed at once.
    page.get_by_label("Feedback (Markdown)").click()
    bank.locator("#snippet-save summary").click()
    bank.get_by_role("button", name="Copy from the field I was writing in").click()
    assert bank.get_by_label("Text (Markdown)").input_value() == "Clear report."
    bank.get_by_label("Title").fill("Praise the report")
    bank.get_by_role("button", name="Save snippet").click()
    wait_until(page, "document.querySelector('#snippet-results').textContent.includes('Saved “Praise the report”')")
    assert page.evaluate("document.getElementById('snippet-save').open") is False
    db.session.expire_all()
    assert sorted(db.session.scalars(select(CommentSnippet.title)).all()) == ["Praise the report", "Timeline first"]
    assert "/mentorship/reviews/" in page.url     # the review page stayed

    assert "Keyboard shortcuts" in page.locator("#review-keys summary").inner_text()
    page.locator("#review-keys summary").click()
    shot(page, "comment-bank-review")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    # (htmx reports the live total's replaced requests as console errors: quick key presses supersede them.)
    assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages


def test_mentor_ticks_two_queue_items_and_claims_them_at_once(page):
    mentor = make_user("mentor", email="bulk-mentor@example.com")
    cap = submitted_capstone()
    att = make_attempt(make_user("learner"), make_mission(), review_requested_at=utcnow() - timedelta(hours=1))
    log_in(page, mentor.email)
    page.goto("/mentorship/queue")
    page.locator(f"#queue-capstone-{cap.id}").get_by_label("Select").check()
    page.locator(f"#queue-attempt-{att.id}").get_by_label("Select").check()
    assert page.get_by_role("button", name="Claim selected").count() == 2     # above and below the list
    page.get_by_role("button", name="Claim selected").last.click()
    wait_until(page, "document.querySelector('#queue-list').textContent.includes('Claimed 2 submissions.')")
    assert page.locator("#queue-list").inner_text().count("Claimed by you") == 2
    db.session.expire_all()
    assert db.session.get(CapstoneProject, cap.id).claimed_by_id == mentor.id
    assert db.session.get(MissionAttempt, att.id).claimed_by_id == mentor.id
