"""Small layout fixes a tester found in headless chromium, checked where a person would see them: the login
checkbox beside its label, capstone phase names never broken inside a word, disabled buttons that look disabled,
and the attempt summary's events readable on a phone."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import log_in, shot
from tests.factories import make_capstone, make_mission, make_user
from webapp.extensions import db
from webapp.models import Mission
from webapp.models.base import utcnow
from webapp.services.catalogue import SEED_DIR, read_missions, upsert_missions
from webapp.services.demo import play_attempt

PHONE = {"width": 390, "height": 844}


def test_keep_me_logged_in_checkbox_sits_beside_its_label_on_desktop_and_phone(page):
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(viewport)
        page.goto("/auth/login")
        box = page.get_by_label("Keep me logged in").bounding_box()
        text = page.evaluate("""() => {
            const label = document.querySelector('label.checkbox');
            const node = [...label.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
            const range = document.createRange(); range.selectNodeContents(node);
            const r = range.getClientRects()[0]; return {x: r.x, y: r.y, height: r.height};
        }""")
        gap = text["x"] - (box["x"] + box["width"])
        assert 0 <= gap <= 16, f"checkbox and label are {gap:.0f}px apart at {viewport['width']}px"
        assert box["width"] < 30, f"the checkbox is {box['width']:.0f}px wide at {viewport['width']}px"
        assert abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) < 8   # same line


def test_capstone_stepper_never_breaks_a_phase_name_inside_a_word(browser, live_server):
    learner = make_user("learner", email="stepper@example.com")
    cap = make_capstone(learner, make_mission(slug="stepper-mission", title="Stepper Mission"))
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, learner.email)
        page.goto(f"/capstones/{cap.id}")
        for width in (390, 360, 320, 700, 1024, 1280):
            page.set_viewport_size({"width": width, "height": 844})
            broken = page.evaluate("""() => {
                const out = [];
                for (const label of document.querySelectorAll('#capstone-stepper .step-label')) {
                    const text = label.firstChild; let at = 0;
                    for (const word of text.textContent.split(' ')) {
                        const r = document.createRange(); r.setStart(text, at); r.setEnd(text, at + word.length);
                        at += word.length + 1;
                        if ([...r.getClientRects()].filter(x => x.width > 0).length > 1) out.push(word);
                    }
                }
                return out;
            }""")
            assert broken == [], f"broken inside a word at {width}px: {broken}"
            width_now = page.evaluate("document.documentElement.scrollWidth")
            assert width_now <= width, f"the capstone page scrolls sideways at {width}px ({width_now}px)"
        page.set_viewport_size(PHONE)
        expect(page.locator("#capstone-stepper .step-current .step-label")).to_have_text("Investigation")
        shot(page, "capstone-stepper-phone")
    finally:
        context.close()


def test_disabled_recorder_buttons_look_disabled(page):
    user = make_user("learner", email="rec-look@example.com")
    log_in(page, user.email)
    page.goto("/account/media")
    recorder = page.locator(".recorder").first
    record = recorder.get_by_role("button", name="Record")
    expect(record).to_be_visible()
    looks = ("b => { const s = getComputedStyle(b); "
             "return {opacity: +s.opacity, cursor: s.cursor, border: s.borderStyle}; }")
    assert record.evaluate(looks) == {"opacity": 1, "cursor": "pointer", "border": "solid"}
    for name in ("Stop", "Upload take", "Discard"):
        button = recorder.get_by_role("button", name=name)
        expect(button).to_be_disabled()
        style = button.evaluate(looks)
        assert style["opacity"] < 1 and style["cursor"] == "not-allowed" and style["border"] == "dashed", (name, style)


def test_attempt_summary_events_read_as_lines_on_a_phone(browser, live_server):
    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / "hospital-ransomware-night-shift.yaml"))
    learner = make_user("learner", email="summary-phone@example.com")
    mission = db.session.scalars(select(Mission)).one()
    attempt = play_attempt(learner, mission, utcnow() - timedelta(hours=2))
    assert attempt.status == "completed" and attempt.fired_events
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, learner.email)
        page.goto(f"/attempts/{attempt.id}")
        expect(page.get_by_role("heading", name="What happened")).to_be_visible()
        table = page.get_by_role("table", name="Escalation events with time, severity and penalty")
        expect(table.get_by_role("cell").first).to_be_visible()      # still a table with cells for screen readers
        events = page.locator(".summary-timeline tbody td:nth-child(3)")     # the Event column
        assert events.count() == len(attempt.fired_events)
        wrap = page.locator(".summary-timeline").evaluate("t => t.closest('.table-wrap').getBoundingClientRect().width")
        for i in range(events.count()):
            width = events.nth(i).bounding_box()["width"]
            assert width >= wrap - 1, f"event {i} is squeezed into {width:.0f}px of {wrap:.0f}px"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "attempt-summary-phone")
    finally:
        context.close()
