"""The main navigation by keyboard: on a phone (or a desktop zoomed until the phone layout applies) the links sit
behind a "Menu" control that can be reached with Tab and operated with Enter or Space, with JavaScript (a real
button with aria-expanded) and without it (a visually hidden checkbox whose label shows it); on a desktop the
links are simply there."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in, shot
from tests.factories import make_user

PHONE = {"width": 390, "height": 844}
NAV_LINKS = ("Dashboard", "Missions", "Capstones", "Portfolio")


def _focused(page) -> str:
    """A short description of the focused element: its tag, its type (inputs) and its text or label."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const label = el.labels && el.labels.length ? el.labels[0].textContent : el.textContent;
        return [el.tagName.toLowerCase() + (el.type && el.tagName === 'INPUT' ? ':' + el.type : ''),
                (el.getAttribute('aria-label') || label || '').trim()].join(' ');
    }""")


def _tab_from_top(page, presses: int) -> list[str]:
    """Press Tab from the top of the page, noting where the focus lands each time."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stops.append(_focused(page))
    return stops


def test_phone_menu_opens_and_closes_with_the_keyboard_as_a_button(browser, live_server):
    user = make_user("learner", email="keys@example.com", display_name="Kim Keys")
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, user.email)
        menu = page.get_by_role("button", name="Menu")
        missions = page.get_by_role("link", name="Missions", exact=True)
        expect(missions).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(menu).to_have_attribute("aria-controls", "nav-links")

        # Skip link, logo, then the menu button (before: the toggle was skipped and focus went to the content).
        assert _tab_from_top(page, 3) == ["a Skip to content", "a Mastery\xa0Tracks", "button Menu"]
        expect(menu).to_be_focused()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        for name in NAV_LINKS:
            expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
        shot(page, "menu-phone-open")

        # The links follow the button in the tab order, each one visible and focused in turn.
        for name in NAV_LINKS:
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name=name, exact=True)).to_be_focused()

        # Escape closes the menu from inside it and puts the focus back on the button; Space opens and closes it.
        page.keyboard.press("Escape")
        expect(menu).to_be_focused()
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(missions).to_be_hidden()
        page.keyboard.press("Space")
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(missions).to_be_visible()
        page.keyboard.press("Space")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(missions).to_be_hidden()

        # The menu still takes you places: open it and follow a link with the keyboard.
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(missions).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url("**/missions")
        expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    finally:
        context.close()


def test_phone_menu_works_by_keyboard_with_javascript_off(browser, live_server):
    user = make_user("learner", email="nojs-menu@example.com")
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, user.email)
        toggle = page.get_by_role("checkbox", name="Menu")
        missions = page.get_by_role("link", name="Missions", exact=True)
        expect(missions).to_be_hidden()
        assert _tab_from_top(page, 3) == ["a Skip to content", "a Mastery\xa0Tracks", "input:checkbox Menu"]
        expect(toggle).to_be_focused()
        # The checkbox itself is visually hidden: its label shows where the focus is.
        ring = page.evaluate("getComputedStyle(document.querySelector('.nav-toggle-label')).outlineStyle")
        assert ring == "solid"

        page.keyboard.press("Space")
        expect(toggle).to_be_checked()
        for name in NAV_LINKS:
            expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_focused()
        shot(page, "menu-phone-open-no-js")

        toggle.focus()
        page.keyboard.press("Space")
        expect(toggle).not_to_be_checked()
        expect(missions).to_be_hidden()
    finally:
        context.close()


def test_desktop_shows_the_links_without_a_menu_control(page):
    user = make_user("learner", email="wide@example.com")
    log_in(page, user.email)
    for name in NAV_LINKS:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    assert _tab_from_top(page, 3) == ["a Skip to content", "a Mastery\xa0Tracks", "a Dashboard"]
