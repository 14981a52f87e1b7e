"""Browser tests: Playwright for Python driving Debian's chromium against the app served on 127.0.0.1.

Every page a journey visits also gets an accessibility check with axe-core (vendored in vendor/, see its
README); a serious or critical violation fails the test. See "Accessibility check" below."""
from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_path():
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI needs it", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser(browser_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.console_messages = []
    pg.on("console", lambda msg: pg.console_messages.append(f"{msg.type}: {msg.text}"))
    pg.on("pageerror", lambda err: pg.console_messages.append(f"pageerror: {err}"))
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name
        pg.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        (ARTIFACTS / f"{name}-failure.html").write_text(pg.content(), encoding="utf-8")
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(pg.console_messages), encoding="utf-8")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def shot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/. Shots mark the states a journey cares about (often right
    after an htmx swap), so the page is checked for accessibility again here if it changed since its check."""
    check_accessibility(page, force=True)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(page, expression: str, timeout: float = 10.0, interval: float = 0.1) -> None:
    """Poll a JavaScript expression until it is truthy. (page.wait_for_function evaluates strings in the
    page's main world, which our Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(interval * 1000)
    _auto_check(page)   # what the journey waited for (often an htmx swap) is there: check the page


def wait_settled(page) -> None:
    """Wait until htmx has finished processing swapped-in content: new elements carry `htmx-added` until htmx
    has attached their triggers, so acting on them earlier (a file chosen right after a swap) can go unheard."""
    wait_until(page, "document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping') === null")


def log_in(page, email: str, password: str | None = None) -> None:
    """Log in through the real form and wait for the dashboard."""
    from tests.factories import PASSWORD

    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


# --- Accessibility check ------------------------------------------------------------------------------------
#
# axe-core runs on every page a journey visits and fails the test on a serious or critical violation.
#
# How axe gets into the page: through the DevTools protocol, which the page's Content-Security-Policy does not
# govern (it governs the page's own scripts), so the app's CSP stays exactly as the journeys test it: no
# bypass_csp, no inline <script>, no change to the app. Every context with JavaScript on gets the vendored script
# as an init script (Chromium evaluates it in each new document; sending 650 kB per check through
# page.evaluate() cost 0.2-1 s a page), and a page that lacks it anyway gets it through page.evaluate(). axe only
# adds window.axe, which the app's scripts do not use.
# A page of a context with JavaScript off cannot run axe (its timers and callbacks never fire), so such a page
# is checked from a snapshot: its DOM, without scripts, served at the same URL in a JavaScript-enabled context
# (same stylesheets, same viewport), which is exactly what a visitor without JavaScript sees.
#
# When it runs (only while a browser test's body runs, and never while an exception is on its way out):
#   - after page.goto / reload / go_back / go_forward / wait_for_url, locator.wait_for and wait_until()
#     (the points where a journey waits for a navigation or an htmx swap);
#   - before an action (click, fill, check, select_option, ...), before goto, before a screenshot or a viewport
#     change, and before a context closes, so a page reached by a click and left by the next one is checked too;
#   - in shot(), whenever the DOM changed since the page was checked (a screenshot marks a state the journey
#     cares about, often right after an htmx swap);
#   - when the test body returns, on every page still open.
# Each (browser context, URL, viewport width) is checked once per test, except by shot(): a context is one
# signed-in user, and the same URL shows another user other things. A check takes ~0.1-0.5 s
# (AXE_VERBOSE=1 with -s lists each check and its time).

AXE_IMPACTS = ("serious", "critical")

# Rule exceptions: {rule id: {CSS selector as axe reports it (targets joined by " >>> "): why}}. Only for a
# genuine false positive, one selector at a time; never to hide a real problem. Empty on purpose.
AXE_EXCEPTIONS: dict[str, dict[str, str]] = {}

_AXE_RUN = """async (impacts) => {
  if (document.contentType !== 'text/html' || !document.body) return {url: location.href, skipped: true};
  const results = await axe.run(document, {resultTypes: ['violations']});
  // Note whether the DOM changes after this check, so shot() can skip a page that is still exactly as checked.
  if (!window.__axeWatch) {
    window.__axeWatch = new MutationObserver(() => { window.__axeDirty = true; });
    window.__axeWatch.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  window.__axeDirty = false;
  return {
    url: location.href,
    version: axe.version,
    violations: results.violations.filter(v => impacts.includes(v.impact)).map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t),
                                summary: n.failureSummary || ''})),
    })),
  };
}"""


class AccessibilityViolation(AssertionError):
    """axe-core found serious or critical violations on a page."""


class _A11yState:
    active = False            # inside a browser test's body
    checked: set = set()      # (context, url without fragment, viewport width) checked in this test
    pages: list = []          # weak references to the pages opened in this test
    busy = False              # a check is running (its own Playwright calls must not trigger checks)
    js_off: "weakref.WeakSet" = weakref.WeakSet()   # contexts created with java_script_enabled=False
    snapshot_pages: dict = {}  # browser -> the page that checks snapshots of pages with JavaScript off


def _axe_source() -> str:
    if not hasattr(_axe_source, "cached"):
        _axe_source.cached = AXE_JS.read_text(encoding="utf-8")
    return _axe_source.cached


def _key(page, url=None):
    """What makes a page distinct: its browser context (the signed-in user), URL (without fragment) and width."""
    size = page.viewport_size or {}
    return page.context, (url or page.url).split("#", 1)[0], size.get("width")


def _run_axe(page) -> dict:
    if not page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_axe_source())
    return page.evaluate(_AXE_RUN, list(AXE_IMPACTS))


def _run_axe_on_snapshot(page) -> dict:
    """For a page with JavaScript off: the same DOM without scripts, at the same URL, in a context with JS on
    (one per browser, kept for the session: a new context per check cost ~2 s)."""
    url = page.url
    html = re.sub(r"<script\b[^>]*>.*?</script\s*>", "", page.content(), flags=re.S | re.I)
    browser = page.context.browser
    snap = _A11yState.snapshot_pages.get(browser)
    if snap is None or snap.is_closed():
        snap = browser.new_context(java_script_enabled=True).new_page()
        _A11yState.snapshot_pages[browser] = snap
    snap.set_viewport_size(page.viewport_size)

    def this_page(request_url: str) -> bool:     # a predicate, not a glob: the URL may hold "?" or "*"
        return request_url.split("#", 1)[0] == url.split("#", 1)[0]

    def serve(route):
        route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")

    snap.route(this_page, serve)
    try:
        snap.goto(url)
        result = _run_axe(snap)
    finally:
        snap.unroute(this_page, serve)
    result["url"] = url + "  (JavaScript off; checked from a snapshot of the page)"
    return result


def _format(result: dict, viewport) -> str:
    lines = [f"axe-core {result.get('version', '?')} found serious or critical accessibility violations on "
             f"{result['url']} (viewport {viewport}px wide):"]
    for v in result["violations"]:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}  ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"      - {' >>> '.join(node['target'])}")
            for detail in node["summary"].splitlines():
                if detail.strip():
                    lines.append(f"          {detail.strip()}")
    return "\n".join(lines)


def check_accessibility(page, *, force: bool = False) -> None:
    """Run axe-core on the page as it is now and raise AccessibilityViolation when any violation is serious or
    critical. A page (context, URL, width) already checked in this test is not checked again, unless force and
    its DOM changed since."""
    if _A11yState.busy:
        return
    key = _key(page)
    if key in _A11yState.checked and (not force or page.evaluate("window.__axeDirty === false")):
        return                               # checked, and (when forced) the DOM has not changed since
    _A11yState.busy = True
    started = time.monotonic()
    try:
        if page.context in _A11yState.js_off:
            result = _run_axe_on_snapshot(page)
        else:
            page.wait_for_load_state("load")
            try:
                result = _run_axe(page)
            except Exception as exc:   # a navigation replaced the document while axe ran: check the new one
                if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                    raise
                page.wait_for_load_state("load")
                result = _run_axe(page)
    finally:
        _A11yState.busy = False
    _A11yState.checked.update({key, _key(page, result["url"])})
    if os.environ.get("AXE_VERBOSE"):   # AXE_VERBOSE=1 pytest tests/browser -s: list every check and its time
        print(f"\naxe {time.monotonic() - started:.2f}s {key[2]}px {result['url']}", file=sys.stderr)
    if result.get("skipped"):
        return
    violations = []
    for v in result["violations"]:
        allowed = AXE_EXCEPTIONS.get(v["id"], {})
        nodes = [n for n in v["nodes"] if " >>> ".join(n["target"]) not in allowed]
        if nodes:
            violations.append({**v, "nodes": nodes})
    if violations:
        raise AccessibilityViolation(_format({**result, "violations": violations}, key[2]))


def _auto_check(page) -> None:
    """The automatic check: only inside a browser test's body, only for the app's pages, not while an exception
    is on its way out (a failure must not be hidden behind an accessibility report), once per page."""
    if not _A11yState.active or _A11yState.busy or sys.exc_info()[0] is not None:
        return
    if page.is_closed() or not page.url.startswith(("http://", "https://")):
        return
    check_accessibility(page)


def _before(method, get_page):
    def wrapper(self, *args, **kwargs):
        _auto_check(get_page(self))
        return method(self, *args, **kwargs)
    wrapper.__wrapped__ = method
    return wrapper


def _after(method, get_page):
    def wrapper(self, *args, **kwargs):
        value = method(self, *args, **kwargs)
        _auto_check(get_page(self))
        return value
    wrapper.__wrapped__ = method
    return wrapper


def _around(method, get_page):
    return _after(_before(method, get_page), get_page)


@pytest.fixture(scope="session", autouse=True)
def _accessibility_hooks():
    """Wrap the Playwright calls where a journey arrives at or leaves a page (see the comment above)."""
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

    def page_of(page):
        return page

    def locator_page(locator):
        return locator.page

    def new_context(method):
        def wrapper(self, *args, **kwargs):
            ctx = method(self, *args, **kwargs)
            if kwargs.get("java_script_enabled") is False:
                _A11yState.js_off.add(ctx)
            else:
                ctx.add_init_script(script=_axe_source())
            return ctx
        return wrapper

    def new_page(method):
        def wrapper(self, *args, **kwargs):
            pg = method(self, *args, **kwargs)
            if not _A11yState.busy:          # not the checker's own snapshot page
                _A11yState.pages.append(weakref.ref(pg))
            return pg
        return wrapper

    def close_context(method):
        def wrapper(self, *args, **kwargs):
            for pg in list(self.pages):
                _auto_check(pg)
            return method(self, *args, **kwargs)
        return wrapper

    mp = pytest.MonkeyPatch()
    for name in ("goto", "reload", "go_back", "go_forward"):
        mp.setattr(Page, name, _around(getattr(Page, name), page_of))
    mp.setattr(Page, "wait_for_url", _after(Page.wait_for_url, page_of))
    for name in ("click", "fill", "check", "select_option", "set_input_files", "press", "screenshot",
                 "set_viewport_size", "emulate_media"):
        mp.setattr(Page, name, _before(getattr(Page, name), page_of))
    for name in ("click", "dblclick", "fill", "type", "press", "press_sequentially", "check", "uncheck",
                 "set_checked", "select_option", "set_input_files", "focus", "tap", "clear", "dispatch_event"):
        mp.setattr(Locator, name, _before(getattr(Locator, name), locator_page))
    mp.setattr(Locator, "wait_for", _after(Locator.wait_for, locator_page))
    mp.setattr(Browser, "new_context", new_context(Browser.new_context))
    mp.setattr(BrowserContext, "new_page", new_page(BrowserContext.new_page))
    mp.setattr(BrowserContext, "close", close_context(BrowserContext.close))
    yield
    mp.undo()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A fresh record for each test (before its fixtures open pages)."""
    _A11yState.active, _A11yState.checked, _A11yState.pages = False, set(), []


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Arm the automatic check while a browser test's body runs; when it returns, check the pages still open."""
    _A11yState.active = True
    try:
        result = yield                       # raises (and skips the checks below) when the test failed
        for ref in _A11yState.pages:
            pg = ref()
            if pg is not None and not pg.is_closed():
                _auto_check(pg)
        return result
    finally:
        _A11yState.active = False
