"""A visitor's first look: "/" explains the product with live missions, the catalogue opens without an account,
and starting asks to sign in and comes back to the mission; at desktop and phone widths."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.attempts.test_checks import MODEL, assessed_data
from tests.browser.conftest import shot
from tests.factories import PASSWORD, make_mission, make_user

PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_visitor_reads_the_home_opens_a_mission_and_signs_in_to_start(page, viewport):
    page.set_viewport_size(viewport)
    make_mission(**assessed_data(title="Phishing at the Front Desk"))
    make_mission(slug="board-briefing", title="Briefing the Board", track="leadership", tier="beginner")
    user = make_user("learner", email="vic@example.com", display_name="Vic Visitor")
    wide = "phone" if viewport is PHONE else "desktop"

    page.goto("/")
    expect(page.get_by_role("heading", name="Learn cybersecurity by doing the job")).to_be_visible()
    for concept in ("Missions", "Capstones", "Mentor reviews", "Portfolio"):
        expect(page.get_by_role("heading", name=concept, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_be_visible()
    # Nothing runs off the side of a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"first-visit-home-{wide}")

    page.get_by_role("link", name="Phishing at the Front Desk").click()
    page.wait_for_url(re.compile(r".*/missions/phish-triage$"))
    expect(page.get_by_role("heading", name="How it is assessed")).to_be_visible()
    expect(page.get_by_role("heading", name="Scenario")).to_be_visible()
    assert MODEL not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"first-visit-mission-{wide}")

    page.get_by_role("link", name="Sign in to start").click()
    page.wait_for_url(re.compile(r".*/auth/login\?next=.*"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/missions/phish-triage$"))
    expect(page.get_by_role("button", name="Start this mission")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in to start")).to_have_count(0)

    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors
