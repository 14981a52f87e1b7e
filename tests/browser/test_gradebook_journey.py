"""The gradebook in headless chromium: a mentor filters their class by track and cohort, downloads the CSV, and the
file opens with the right rows (parsed), formulas neutralised; the table fits a phone."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from tests.browser.conftest import log_in, shot
from tests.browser.test_review_journey import no_sideways_scroll
from tests.factories import assign, make_capstone, make_completed_attempt, make_mission, make_user
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import Cohort, CohortMember


def test_mentor_filters_the_gradebook_and_downloads_the_csv(page):
    mentor = make_user("mentor", email="grades-mentor@example.com", display_name="Grace Mentor")
    ada = make_user("learner", display_name="Ada Analyst", handle="ada")
    bo = make_user("learner", display_name="=cmd|' /C calc'!A0", handle="bo")
    cy = make_user("learner", display_name="Cy Outside", handle="cy")
    stranger = make_user("learner", display_name="Not Theirs", handle="stranger")
    for learner in (ada, bo, cy):
        assign(mentor, learner)
    night = make_mission(track="defender", title="Night Shift")
    make_mission(track="grc", title="Audit Week")
    make_completed_attempt(ada, night, score=64)
    make_completed_attempt(ada, night, score=91)
    make_completed_attempt(bo, night, score=47)
    make_completed_attempt(stranger, night, score=99)
    make_capstone(ada, night, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("88"))
    cohort = Cohort(name="Spring SOC cohort", track="defender")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in (mentor, ada, bo)])
    db.session.commit()

    log_in(page, mentor.email)
    page.goto("/mentorship/gradebook")
    page.get_by_label("Track").select_option("defender")
    page.get_by_label("Cohort").select_option(label="Spring SOC cohort (Defender)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/mentorship/gradebook?*cohort=*")
    table = page.locator("main table").inner_text()
    assert "Ada Analyst" in table and "Night Shift" in table
    assert "Cy Outside" not in table and "Not Theirs" not in table
    shot(page, "gradebook")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0][:5] == ["Learner", "Handle", "Night Shift: best score", "Night Shift: capstone",
                           "Night Shift: final score"]
    by_handle = {r[1]: r for r in rows[1:]}
    assert set(by_handle) == {"ada", "bo"}
    assert by_handle["ada"][2:5] == ["91", "Approved", "88"]            # numbers as written, not 88.0
    assert by_handle["bo"][0] == "'=cmd|' /C calc'!A0"          # neutralised, not a formula
    assert by_handle["bo"][2] == "47"

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
