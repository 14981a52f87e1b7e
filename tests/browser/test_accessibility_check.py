"""The accessibility check itself: it fails on serious or critical violations, names them, and passes clean pages."""
from __future__ import annotations

import pytest

from tests.browser.conftest import AccessibilityViolation, check_accessibility

CLEAN = """<!doctype html><html lang="en"><head><title>Clean</title></head>
<body><main><h1>Clean</h1><p>Nothing wrong here.</p><button type="button">Save</button></main></body></html>"""

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head>
<body><main><h1>Broken</h1>
<img id="no-alt" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button id="no-name" type="button"></button>
<p id="faint" style="color: #bbb; background: #fff">Hard to read</p>
</main></body></html>"""


def test_checker_names_critical_violations_with_their_nodes(page):
    page.set_content(BROKEN)     # set_content: no app, no CSP, about:blank (so only the explicit check runs)
    with pytest.raises(AccessibilityViolation) as failure:
        check_accessibility(page, force=True)
    message = str(failure.value)
    assert "[critical] image-alt" in message and "#no-alt" in message
    assert "[critical] button-name" in message and "#no-name" in message
    assert "[serious] color-contrast" in message and "#faint" in message
    assert "about:blank" in message                     # the URL of the page
    assert "Images must have alternative text" in message  # axe's help text


def test_checker_passes_a_clean_page(page):
    page.set_content(CLEAN)
    check_accessibility(page, force=True)


def test_checker_works_on_an_app_page_under_its_csp(page, live_server):
    """axe is injected through the DevTools protocol, so the app's CSP (no inline script, no eval) stays."""
    response = page.goto("/auth/login")
    assert "script-src" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"].split("script-src", 1)[1].split(";")[0]
    check_accessibility(page, force=True)
    assert page.evaluate("typeof window.axe.run") == "function"


def test_journeys_are_checked_on_arrival_even_with_javascript_off(browser):
    """page.goto checks the page it arrives at; with JavaScript off, axe runs on a snapshot of the page."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.route("http://a11y.test/", lambda route: route.fulfill(body=BROKEN, content_type="text/html"))
        with pytest.raises(AccessibilityViolation) as failure:
            page.goto("http://a11y.test/")
        message = str(failure.value)
        assert "[critical] image-alt" in message and "#no-alt" in message
        assert "http://a11y.test/" in message and "JavaScript off" in message
    finally:
        context.close()
