"""A learner logs in, filters the catalogue with htmx (the URL follows), opens a mission; a phone works too."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, shot, wait_until
from tests.factories import make_mission, make_user


def test_learner_filters_catalogue_and_opens_a_mission_without_console_errors(page):
    user = make_user("learner", email="ana@example.com", display_name="Ana Analyst")
    make_mission(slug="night-shift", title="Ransomware on the Night Shift", track="defender")
    make_mission(slug="board-briefing", title="Briefing the Board", track="leadership")
    make_mission(slug="vendor-audit", title="Vendor Audit Under Pressure", track="grc")

    log_in(page, user.email)
    expect(page.get_by_role("heading", name="Welcome, Ana Analyst")).to_be_visible()

    page.get_by_role("link", name="Missions", exact=True).click()
    page.wait_for_url(re.compile(r".*/missions$"))
    assert page.locator(".mission-card").count() == 3

    page.get_by_label("Track").select_option("leadership")
    page.wait_for_url(re.compile(r".*track=leadership.*"))
    wait_until(page, "document.querySelectorAll('.mission-card').length === 1")
    assert page.locator(".mission-card").first.inner_text().find("Briefing the Board") >= 0
    shot(page, "catalogue-filtered")

    # The pushed URL renders the whole page on its own.
    page.reload()
    assert page.locator(".mission-card").count() == 1
    assert page.get_by_label("Track").input_value() == "leadership"

    # Back after two filter changes shows the earlier filter in the form and the list alike.
    page.get_by_label("Track").select_option("grc")
    page.wait_for_url(re.compile(r".*track=grc.*"))
    page.get_by_label("Search").fill("vendor")
    page.wait_for_url(re.compile(r".*q=vendor.*"))
    page.go_back()
    page.wait_for_url(re.compile(r".*track=grc&tier=&q=&status=$"))
    # The URL changes at once; the page the server sends for it replaces the body a moment later.
    expect(page.get_by_label("Search")).to_have_value("")
    expect(page.get_by_label("Track")).to_have_value("grc")
    wait_until(page, "document.querySelectorAll('.mission-card').length === 1")
    page.go_back()
    page.wait_for_url(re.compile(r".*track=leadership&tier=&q=&status=$"))
    expect(page.get_by_label("Track")).to_have_value("leadership")
    expect(page.locator(".mission-card")).to_have_count(1)
    expect(page.locator(".mission-card").first).to_contain_text("Briefing the Board")

    page.get_by_role("link", name="Briefing the Board").click()
    page.wait_for_url(re.compile(r".*/missions/board-briefing$"))
    expect(page.get_by_role("heading", name="Scenario")).to_be_visible()
    assert page.locator(".prose strong").first.inner_text() == "02:14"
    shot(page, "mission-detail")

    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors


def test_catalogue_works_on_a_phone_with_the_menu_behind_a_toggle(browser, live_server):
    user = make_user("learner", email="phone@example.com")
    make_mission(slug="phone-mission", title="Phone Mission")
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, user.email)
        expect(page.get_by_role("link", name="Missions", exact=True)).to_be_hidden()
        page.locator(".nav-toggle-label").click()
        page.get_by_role("link", name="Missions", exact=True).click()
        page.wait_for_url(re.compile(r".*/missions$"))
        expect(page.get_by_role("link", name="Phone Mission")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        shot(page, "catalogue-phone")
    finally:
        context.close()
