"""The gradebook (SPEC §13): the viewer's learners × a track's mastery missions, each cell the best completed
attempt score and the capstone's stage and final score; a CSV of the same table with formulas neutralised;
constant queries; refused or empty for people it does not concern."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from tests.conftest import count_queries, log_in
from tests.factories import assign, make_capstone, make_completed_attempt, make_mission, make_user
from webapp.domain.gradebook import neutralise
from webapp.extensions import db
from webapp.models import Cohort, CohortMember
from webapp.domain.phases import PHASES


def _class():
    mentor = make_user("mentor")
    ada = make_user("learner", display_name="Ada Analyst", handle="ada")
    bo = make_user("learner", display_name="=HYPERLINK(\"http://evil.example\")", handle="bo")
    other = make_user("learner", display_name="Not Yours", handle="other")
    assign(mentor, ada)
    assign(mentor, bo, track="defender")
    night, audit = make_mission(track="defender", title="Night Shift"), make_mission(track="grc", title="Audit Week")
    make_completed_attempt(ada, night, score=60)
    make_completed_attempt(ada, night, score=85)                      # the best counts
    make_completed_attempt(ada, night, score=None, status="in_progress", completed_at=None)
    make_completed_attempt(bo, night, score=40)
    make_completed_attempt(other, night, score=99)
    make_capstone(ada, night, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("87.50"))
    make_capstone(bo, night, done=PHASES[:2])
    make_completed_attempt(ada, audit, score=70)
    return mentor, ada, bo, night, audit


def test_the_mentor_sees_their_learners_best_scores_and_capstones(client):
    mentor, ada, bo, night, _ = _class()
    log_in(client, mentor)
    page = client.get("/mentorship/gradebook?track=defender").text
    assert "Night Shift" in page and "Audit Week" not in page
    row = page[page.index("Ada Analyst"):]
    row = row[:row.index("</tr>")]
    assert "<strong>85</strong>" in row and "Approved · 88" in row and "<strong>60</strong>" not in row
    assert "Decision making" not in page.split("Ada Analyst")[1].split("</tr>")[0]
    assert "Design &amp; remediation" in page                              # bo's capstone stage
    assert "Not Yours" not in page and "<strong>99</strong>" not in page
    assert 'href="/mentorship/learners/ada"' in page


def test_a_track_the_mentor_is_assigned_for_only_partly(client):
    mentor, *_ = _class()
    log_in(client, mentor)
    page = client.get("/mentorship/gradebook?track=grc").text
    assert "Ada Analyst" in page and "HYPERLINK" not in page and "<strong>70</strong>" in page


def test_sorting_by_average_and_by_name(client):
    mentor, *_ = _class()
    log_in(client, mentor)
    high = client.get("/mentorship/gradebook?track=defender&sort=-average").text
    assert high.index("Ada Analyst") < high.index("HYPERLINK")
    low = client.get("/mentorship/gradebook?track=defender&sort=average").text
    assert low.index("HYPERLINK") < low.index("Ada Analyst")


def test_the_csv_is_the_same_table_with_formulas_neutralised(client):
    mentor, *_ = _class()
    log_in(client, mentor)
    resp = client.get("/mentorship/gradebook?track=defender&format=csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8"))))
    assert rows[0] == ["Learner", "Handle", "Night Shift: best score", "Night Shift: capstone",
                       "Night Shift: final score", "Average best score"]
    by_handle = {r[1]: r for r in rows[1:]}
    assert by_handle["ada"][2:5] == ["85", "Approved", "87.5"]
    assert by_handle["bo"][0] == "'=HYPERLINK(\"http://evil.example\")" and by_handle["bo"][3] == "Design & remediation"
    assert "other" not in by_handle


def test_neutralise_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("Ada") == "Ada" and neutralise(85) == "85" and neutralise(None) == ""


def test_an_unknown_track_is_422_for_the_page_and_the_csv(client):
    mentor, *_ = _class()
    log_in(client, mentor)
    assert client.get("/mentorship/gradebook?track=nope").status_code == 422
    resp = client.get("/mentorship/gradebook?track=nope&format=csv")
    assert resp.status_code == 422 and "Ada" not in resp.get_data(as_text=True)


def test_learners_are_refused_and_a_mentor_with_no_learners_sees_an_empty_book(client):
    _class()
    log_in(client, make_user("learner"))
    assert client.get("/mentorship/gradebook?track=defender").status_code == 403
    assert client.get("/mentorship/gradebook?track=defender&format=csv").status_code == 403
    log_in(client, make_user("mentor"))
    page = client.get("/mentorship/gradebook?track=defender").text
    assert "not assigned to any learner" in page and "Ada" not in page
    rows = list(csv.reader(io.StringIO(client.get("/mentorship/gradebook?track=defender&format=csv").text)))
    assert len(rows) == 1                                               # the header only


def test_an_admin_sees_every_learner(client):
    _class()
    log_in(client, make_user("admin"))
    page = client.get("/mentorship/gradebook?track=defender").text
    assert "Ada Analyst" in page and "Not Yours" in page and "<strong>99</strong>" in page


def test_queries_stay_constant_as_learners_grow(client):
    mentor, ada, bo, night, _ = _class()
    cohort = Cohort(name="Night owls")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in (mentor, ada, bo)])
    db.session.commit()
    log_in(client, mentor)
    by_cohort = f"/mentorship/gradebook?track=defender&cohort={cohort.id}"
    client.get("/mentorship/gradebook?track=defender")
    with count_queries() as few:
        client.get("/mentorship/gradebook?track=defender")
    db.session.expire_all()              # a request starts with nothing loaded (the tests share one session)
    with count_queries() as few_in_cohort:
        client.get(by_cohort)
    for n in range(8):
        learner = make_user("learner", display_name=f"Extra {n}")
        assign(mentor, learner)
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=learner.id))
        make_completed_attempt(learner, night, score=50 + n)
        make_capstone(learner, night, done=PHASES[:1])
    with count_queries() as many:
        page = client.get("/mentorship/gradebook?track=defender").text
    assert "Extra 7" in page and many.count == few.count, (few.count, many.count)
    db.session.expire_all()
    with count_queries() as many_in_cohort:
        page = client.get(by_cohort).text
    assert "Extra 7" in page and many_in_cohort.count == few_in_cohort.count, (few_in_cohort.count,
                                                                                many_in_cohort.count)


def test_past_a_page_of_learners_the_book_pages(client, monkeypatch):
    from webapp.services import gradebook as service

    monkeypatch.setattr(service, "PER_PAGE", 1)
    mentor, *_ = _class()
    log_in(client, mentor)
    first = client.get("/mentorship/gradebook?track=defender").text
    second = client.get("/mentorship/gradebook?track=defender&page=2").text
    # By name: "=HYPERLINK…" sorts before "Ada" ("=" comes before letters).
    assert "Page 1 of 2" in first and "HYPERLINK" in first and "Ada Analyst" not in first
    assert "Page 2 of 2" in second and "Ada Analyst" in second and "HYPERLINK" not in second
    assert "Page 2 of 2" in client.get("/mentorship/gradebook?track=defender&page=99").text


def test_csv_numbers_are_written_plainly():
    from decimal import Decimal

    assert neutralise(Decimal("88.00")) == "88" and neutralise(Decimal("87.50")) == "87.5"
    assert neutralise(70.0) == "70" and neutralise(72.25) == "72.25"
