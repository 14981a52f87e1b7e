"""A learner plays a shipped mastery mission in headless chromium, from the mission page to the summary:
cues appear as subtasks are reached, escalations land in the timeline (one by the clock, through polling),
a hidden subtask opens, and the summary shows the score after penalties."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from playwright.sync_api import expect

from tests.browser.conftest import log_in, shot, wait_until
from tests.factories import make_user
from webapp.extensions import db
from webapp.models import MissionAttempt
from webapp.services.catalogue import SEED_DIR, read_missions, upsert_missions

SLUG = "hospital-ransomware-night-shift"


@pytest.fixture
def fast_polling(app):
    app.config["ATTEMPT_POLL_SECONDS"] = 1
    yield
    app.config.pop("ATTEMPT_POLL_SECONDS", None)


SUBMIT = "#attempt-subtask form.subtask-form button[type=submit]"


def _submit(page, text):
    page.get_by_label("Your response").fill(text)
    page.locator(SUBMIT).click()


def _timeline(page) -> str:
    return page.locator("#attempt-timeline").inner_text()


def test_learner_plays_a_seeded_mission_to_the_summary(page, fast_polling):
    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / f"{SLUG}.yaml"))
    learner = make_user("learner", email="nia@example.com", display_name="Nia Nightshift")
    log_in(page, learner.email)

    page.goto(f"/missions/{SLUG}")
    page.get_by_role("button", name="Start this mission").click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    expect(page.get_by_role("heading", name="Scope the encryption in the first 30 minutes")).to_be_visible()
    cues = page.locator("#attempt-cues")
    assert "README_RESTORE.txt" in cues.inner_text() and "Clinical systems status board" in cues.inner_text()
    assert "Nothing has happened yet" in _timeline(page)
    page.evaluate("window.__sameDocument = true")

    # The clock: 31 minutes pass, the polling timeline picks up the escalation and its revealed cue.
    attempt = db.session.scalars(select(MissionAttempt)).one()
    attempt.started_at = attempt.started_at - timedelta(minutes=31)
    attempt.current_since = attempt.current_since - timedelta(minutes=31)     # the learner dwelt on scoping
    db.session.commit()
    wait_until(page, "document.querySelector('#attempt-timeline').innerText.includes('HGH-FS03')")
    wait_until(page, "document.querySelector('#attempt-cues').innerText.includes('upd_svc')")
    assert "High" in _timeline(page)

    _submit(page, "FS02 clinical and finance shares encrypted; clinical VLAN healthy. Next: check FS03.")
    wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('Contain without')")
    assert "Stuart Carrick" in cues.inner_text()                   # the cue of subtask 2 appeared
    # Decisions are radio groups that work with the keyboard.
    first = page.get_by_label("Disconnect the whole hospital network", exact=False)
    first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Keep everything up and monitor", exact=False).is_checked()
    page.get_by_label("No divert yet", exact=False).check()
    _submit(page, "Watch the attacker to learn their footprint; no divert, re-assess at 04:00.")
    wait_until(page, "document.querySelector('#attempt-timeline').innerText.includes('Pharmacy share')")
    assert "Critical" in _timeline(page)

    _submit(page, "VPN with password only, JUMP01, LSASS dump, admin account, GPO deployment.")
    wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('recovery order')")
    assert "comsvcs.dll" in cues.inner_text()                      # revealed by the evidence event
    assert "4624 type 10" in _timeline(page)                       # the event that opens the hidden subtask
    assert "Subtask 4 of 5" in page.locator("#attempt-subtask").inner_text()

    page.get_by_label("Reset once now, second reset after replication", exact=False).check()
    _submit(page, "Restore EPR first from the immutable copy; rotate service accounts, then krbtgt staged.")
    wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('backup server')")
    _submit(page, "Deletion failed thanks to immutability; rotate the Veeam console credentials before restore.")
    wait_until(page, "document.querySelector('#attempt-summary') !== null")

    summary = page.locator("#attempt-summary")
    db.session.expire_all()
    attempt = db.session.scalars(select(MissionAttempt)).one()
    assert attempt.score_penalty == 20                               # 5 (dwelling on scoping) + 15 (monitor only)
    assert summary.locator(".score strong").inner_text() == str(attempt.score)
    assert "minus 20 for escalations" in summary.inner_text()
    assert "Keep everything up and monitor" in summary.inner_text()
    assert "Pharmacy share" in summary.inner_text()
    expect(page.get_by_role("link", name="Go to the capstone for this mission")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")         # htmx swaps, no reloads
    assert page.locator("#attempt-timeline[hx-trigger]").count() == 0   # polling stopped

    page.get_by_role("button", name="Request mentor review of this attempt").click()
    wait_until(page, "document.querySelector('#attempt-next').innerText.includes('Mentor review requested')")
    page.locator("#attempt-summary-h").scroll_into_view_if_needed()
    shot(page, "attempt-summary")

    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors


def test_attempt_plays_with_javascript_off(browser, live_server):
    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / f"{SLUG}.yaml"))
    learner = make_user("learner", email="nojs@example.com")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, learner.email)
        page.goto(f"/missions/{SLUG}")
        page.get_by_role("button", name="Start this mission").click()
        page.wait_for_url(re.compile(r".*/attempts/\d+$"))
        _submit(page, "Scoping notes.")
        page.wait_for_url(re.compile(r".*/attempts/\d+$"))
        expect(page.get_by_role("heading", name="Contain without stopping patient care")).to_be_visible()
        page.get_by_label("Your response").fill("Disconnect everything now.")
        page.get_by_label("Disconnect the whole hospital network", exact=False).check()
        page.get_by_label("No divert yet", exact=False).check()
        page.locator(SUBMIT).click()
        page.wait_for_url(re.compile(r".*/attempts/\d+$"))
        assert "Radiology reports PACS unreachable" in page.locator("#attempt-timeline").inner_text()
        assert "“Contain without stopping patient care” submitted." in page.locator("#flashes").inner_text()
    finally:
        context.close()


def test_mentor_reads_the_attempt_and_gives_extra_time(page):
    from tests.factories import assign

    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / f"{SLUG}.yaml"))
    learner = make_user("learner", email="lee@example.com", display_name="Lee Learner")
    mentor = make_user("mentor", email="mo@example.com", display_name="Mo Mentor")
    assign(mentor, learner)
    from webapp.services import attempts as service
    from webapp.services.actors import actor_for
    from webapp.services.catalogue import get_mission

    attempt, _ = service.start_or_resume(learner, get_mission(SLUG))
    service.submit_subtask(attempt, 1, "FS02 encrypted, clinical VLAN fine.", {}, actor_for(learner))
    service.submit_subtask(attempt, 2, "Targeted containment; no divert.",
                           {"containment-scope": "full-disconnect", "divert-ambulances": "conditional"},
                           actor_for(learner))

    log_in(page, mentor.email)
    page.goto(f"/attempts/{attempt.id}")
    assert "read-only" in page.locator(".attempt-head").inner_text()
    expect(page.get_by_role("heading", name="Mentor notes mentors only")).to_be_visible()
    assert "Radiology reports PACS unreachable" in _timeline(page)
    assert page.locator("#response").count() == 0
    page.get_by_label("Time multiplier").fill("1.5")
    page.locator("#attempt-multiplier button[type=submit]").click()
    wait_until(page, "document.querySelector('#attempt-multiplier').innerText.includes('×1.5')")
    shot(page, "attempt-mentor-view")
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors


def test_offensive_mission_asks_for_rules_of_engagement_before_starting(page):
    upsert_missions(read_missions(SEED_DIR / "missions" / "offensive" / "dental-group-scoping-roe-review.yaml"))
    learner = make_user("learner", email="ola@example.com")
    log_in(page, learner.email)
    page.goto("/missions/dental-group-scoping-roe-review")
    box = page.get_by_label("I have read the rules of engagement", exact=False)
    expect(box).to_be_visible()
    shot(page, "attempt-offensive-start")
    box.check()
    page.get_by_role("button", name="Start this mission").click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    expect(page.get_by_label("Your response")).to_be_visible()
    attempt = db.session.scalars(select(MissionAttempt)).one()
    db.session.refresh(attempt)
    assert attempt.scope_acknowledged_at is not None


def test_attempt_page_fits_a_phone(browser, live_server):
    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / f"{SLUG}.yaml"))
    learner = make_user("learner", email="pho@example.com")
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, learner.email)
        page.goto(f"/missions/{SLUG}")
        page.get_by_role("button", name="Start this mission").click()
        page.wait_for_url(re.compile(r".*/attempts/\d+$"))
        _submit(page, "Scoping notes from my phone.")
        wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('Contain without')")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the attempt page scrolls sideways on a phone ({width}px)"
        shot(page, "attempt-phone")
    finally:
        context.close()


def test_an_assessed_mission_on_a_phone_with_clock_checks_a_draft_and_the_debrief(browser, live_server):
    """Issue #17's journey: a phone, the scenario clock, a wrong and a right check with their explanations, a draft
    that survives a reload, and the summary with the expert's debrief."""
    upsert_missions(read_missions(SEED_DIR / "missions" / "defender" / f"{SLUG}.yaml"))
    learner = make_user("learner", email="phab@example.com")
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda err: page.console_messages.append(f"pageerror: {err}"))
    try:
        log_in(page, learner.email)
        page.goto(f"/missions/{SLUG}")
        page.get_by_role("button", name="Start this mission").click()
        page.wait_for_url(re.compile(r".*/attempts/\d+$"))
        clock = page.locator(".scenario-clock")
        expect(clock).to_contain_text("scenario time")
        expect(clock).to_contain_text("of about 3 h")

        # A draft: typed, saved while typing, still there after a reload.
        page.get_by_label("Your response").fill("FS02 encrypted from HGH-JUMP01; PACS, lab and EPR still up.")
        page.get_by_label("From which host did adm_tbrenner", exact=False).fill("HGH-DC01")     # wrong
        wait_until(page, "document.querySelector('#draft-status').innerText.includes('Draft saved')")
        page.reload()
        expect(page.get_by_label("Your response")).to_have_value(
            "FS02 encrypted from HGH-JUMP01; PACS, lab and EPR still up.")
        expect(page.get_by_label("From which host did adm_tbrenner", exact=False)).to_have_value("HGH-DC01")
        shot(page, "attempt-assessed-draft-phone")
        page.locator(SUBMIT).click()

        # The result beside the next subtask: the wrong answer, what was accepted, why.
        wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('Contain without')")
        result = page.locator(".last-result")
        expect(result).to_contain_text("Not right")
        expect(result).to_contain_text("Accepted: HGH-JUMP01")
        assert page.evaluate("document.querySelector('.last-result').getBoundingClientRect().top") < 844
        shot(page, "attempt-assessed-result-phone")

        # A right answer: both accounts of the first containment step.
        page.get_by_label("svc_pacs_vendor", exact=True).check()
        page.get_by_label("adm_tbrenner", exact=True).check()
        page.get_by_label("Disable the two accounts", exact=False).check()
        page.get_by_label("No divert yet", exact=False).check()
        _submit(page, "Disable svc_pacs_vendor and adm_tbrenner, isolate HGH-JUMP01 and FS02; no divert.")
        wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('intrusion chain')")
        expect(page.locator(".last-result .check-right").first).to_contain_text("Right")

        _submit(page, "VPN as svc_pacs_vendor, RDP to HGH-JUMP01, LSASS dump, then FS02.")
        wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('recovery order')")
        page.get_by_label("Reset once now, second reset after replication", exact=False).check()
        _submit(page, "Medication charts first, verified clean; krbtgt reset in two steps.")
        wait_until(page, "document.querySelector('#attempt-subtask h2').innerText.includes('backup server')")
        _submit(page, "Immutability held; rotate the Veeam credentials.")
        wait_until(page, "document.querySelector('#attempt-summary') !== null")

        summary = page.locator("#attempt-summary")
        expect(summary).to_contain_text("Debrief: what an expert would have done")
        expect(summary).to_contain_text("points on the questions")
        expect(summary.locator(".option-debriefs").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the summary scrolls sideways on a phone ({width}px)"
        page.locator("#debrief-h").scroll_into_view_if_needed()
        shot(page, "attempt-assessed-debrief-phone")
        errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
        assert errors == [], errors
    finally:
        context.close()
