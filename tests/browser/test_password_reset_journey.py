"""A learner who forgot their password resets it from the e-mailed link, and the session they left open elsewhere
ends (SPEC §12). The e-mail goes through the worker (`--once`) to a real SMTP server on loopback."""
from __future__ import annotations

import re

from tests.browser.conftest import log_in
from tests.factories import make_user
from tests.mail.smtp import smtp_server  # noqa: F401 (fixture)
from webapp import worker

NEW_PASSWORD = "correct-horse-battery"


def test_a_forgotten_password_is_reset_from_the_email_and_the_other_session_ends(app, page, browser, live_server,
                                                                                 smtp_server):  # noqa: F811
    make_user("learner", email="ann@example.com", display_name="Ann Analyst")
    # The first browser: Ann is logged in on her work laptop.
    log_in(page, "ann@example.com")
    assert "Welcome, Ann Analyst" in page.content()

    # The second browser: at home, she has forgotten the password.
    home = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    try:
        other = home.new_page()
        other.goto("/auth/login")
        other.get_by_role("link", name="Forgot password?").click()
        other.wait_for_url(re.compile(r".*/auth/reset$"))
        other.get_by_label("Email").fill("ann@example.com")
        other.get_by_role("button", name="Send the link").click()
        other.get_by_text("If an account uses that address, we sent a link").wait_for()

        worker.run(app, once=True, worker="journey")
        assert len(smtp_server.messages) == 1
        text, html = smtp_server.bodies()
        link = re.search(r"(http://127\.0\.0\.1:\d+/auth/reset/[A-Za-z0-9_-]+)", text).group(1)
        assert link in html

        other.goto(link)
        other.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        other.get_by_label("Repeat password").fill(NEW_PASSWORD)
        other.get_by_role("button", name="Save the new password").click()
        other.wait_for_url(re.compile(r".*/$"))
        assert "Welcome, Ann Analyst" in other.content()
        assert "every other session of your account has ended" in other.content()

        # The link worked once.
        other.goto(link)
        assert "This password-reset link has already been used." in other.content()
    finally:
        home.close()

    # Back on the laptop: the next page load finds the session ended (the home page is the visitor's; a page
    # of the account sends to the login form).
    page.reload()
    assert "Welcome, Ann Analyst" not in page.content()
    page.goto("/account")
    page.wait_for_url(re.compile(r".*/auth/login.*"))
    assert "Log in" in page.content()
    log_in(page, "ann@example.com", NEW_PASSWORD)
    assert "Welcome, Ann Analyst" in page.content()
