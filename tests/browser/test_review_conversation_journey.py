"""The conversation under a shared review phase, in headless chromium: the learner opens the review shared with
them and asks a question; the mentor opens it and answers; the learner sees the answer. With JavaScript the
reply is sent by htmx (the thread comes back with the reply last and the box empty, the keyboard still in it);
without JavaScript the form posts and the page comes back at the thread."""
from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import log_in, shot, wait_until
from tests.factories import assign, make_mission, make_review, make_user
from tests.mentorship.helpers import submitted_capstone
from webapp.extensions import db
from webapp.models import ReviewReply
from webapp.models.base import utcnow


def bodies() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewReply.body).order_by(ReviewReply.id)))


def test_learner_asks_the_mentor_answers_and_the_learner_reads_the_answer(browser, live_server):
    learner = make_user("learner", email="conv-learner@example.com", display_name="Lena Learner")
    mentor = make_user("mentor", email="conv-mentor@example.com", display_name="Max Mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner, make_mission(title="Ransomware at Northwind"))
    review = make_review(mentor, cap, review_phase=1, total_phases=2, status="submitted", submitted_at=utcnow(),
                         written_feedback="Scope the incident before you contain it.")
    thread = f"#review-{review.id}-replies"

    learner_ctx = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    mentor_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    try:
        # The learner, on a phone, opens the review shared with them and asks a question.
        page = learner_ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, learner.email)
        page.goto("/mentorship/reviews")
        page.get_by_role("link", name="Ransomware at Northwind — review phase 1 of 2").click()
        page.wait_for_url(f"**/mentorship/reviews/{review.id}")
        section = page.locator(thread)
        assert "No replies yet — ask your mentor about anything in this review." in section.inner_text()
        box = section.get_by_label("Ask your mentor")
        box.fill("Why **scope** first? Containing at once felt safer.")
        section.get_by_role("button", name="Send reply").click()
        wait_until(page, f"document.querySelectorAll('{thread} .reply').length === 1")
        section = page.locator(thread)
        assert "Reply sent." in section.inner_text()
        assert section.locator(".reply strong", has_text="scope").count() == 1     # Markdown, rendered
        assert section.get_by_label("Ask your mentor").input_value() == ""
        assert page.evaluate("document.activeElement && document.activeElement.name") == "body"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, "review-conversation-learner-asked")
        assert bodies() == ["Why **scope** first? Containing at once felt safer."]

        # The mentor opens the shared phase and answers.
        mpage = mentor_ctx.new_page()
        mpage.on("pageerror", lambda e: errors.append(str(e)))
        log_in(mpage, mentor.email)
        mpage.goto(f"/mentorship/reviews/{review.id}")
        msection = mpage.locator(thread)
        assert "Lena Learner" in msection.inner_text() and "Why scope first?" in msection.inner_text()
        msection.get_by_label("Your reply").fill("Because containment **destroys evidence** you need later.")
        msection.get_by_role("button", name="Send reply").click()
        wait_until(mpage, f"document.querySelectorAll('{thread} .reply').length === 2")
        shot(mpage, "review-conversation-mentor-answered")

        # The learner comes back to the capstone page and finds the answer under the phase, newest last.
        page.goto(f"/capstones/{cap.id}")
        section = page.locator(thread)
        replies = section.locator(".reply")
        assert replies.count() == 2
        assert "Lena Learner" in replies.nth(0).inner_text()
        last = replies.nth(1).inner_text()
        assert "Max Mentor" in last and "Reviewing mentor" in last and "destroys evidence" in last
        assert "2 replies" in section.inner_text()
        shot(page, "review-conversation-learner-reads-answer")

        # An empty reply is refused in place (the browser's own check is bypassed to reach the server's).
        page.evaluate(f"document.querySelector('{thread} textarea').removeAttribute('required')")
        section.get_by_label("Ask your mentor").fill("   ")
        section.get_by_role("button", name="Send reply").click()
        wait_until(page, f"document.querySelector('{thread} .error') !== null")
        assert "Write a reply before sending it." in page.locator(thread).inner_text()
        assert len(bodies()) == 2
        assert errors == []
    finally:
        learner_ctx.close()
        mentor_ctx.close()


def test_without_javascript_a_reply_posts_and_returns_to_the_thread(browser, live_server):
    learner = make_user("learner", email="conv-nojs@example.com")
    mentor = make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner, make_mission(title="Phishing at Contoso"))
    review = make_review(mentor, cap, review_phase=1, total_phases=1, status="submitted", submitted_at=utcnow(),
                         written_feedback="Good catch on the headers.")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, learner.email)
        page.goto(f"/capstones/{cap.id}")
        section = page.locator(f"#review-{review.id}-replies")
        section.get_by_label("Ask your mentor").fill("Which header gave it away?")
        section.get_by_role("button", name="Send reply").click()
        page.wait_for_url(f"**/capstones/{cap.id}#review-{review.id}-replies")
        assert "Which header gave it away?" in page.locator(f"#review-{review.id}-replies").inner_text()
        assert bodies() == ["Which header gave it away?"]
    finally:
        context.close()
