"""The gradebook's cohort filter (SPEC §13 "filters by track and cohort"): `?cohort=<id>` keeps the cohort's
learners among those the viewer may see anyway (a cohort grants no access); a mentor may filter by the cohorts
they are in, an admin by any; an unknown cohort or another's is 422 for the page and the CSV; the same queries
whatever the number of learners; the learner page names the learner's cohorts."""
from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import count_queries, log_in
from tests.factories import assign, make_completed_attempt, make_mission, make_user
from webapp.extensions import db
from webapp.models import Cohort, CohortMember, MentorAssignment, User


def make_cohort(name: str, members=(), track: str | None = None) -> Cohort:
    cohort = Cohort(name=name, track=track)
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in members])
    db.session.commit()
    return cohort


def _world():
    """A mentor assigned to ada, bo and cy; the SOC cohort holds the mentor, ada, bo and dee (dee is not the
    mentor's learner); the GRC cohort holds cy and not the mentor."""
    mentor = make_user("mentor", display_name="Morgan Mentor")
    ada = make_user("learner", display_name="Ada Analyst", handle="ada")
    bo = make_user("learner", display_name="Bo Blue", handle="bo")
    cy = make_user("learner", display_name="Cy Cyan", handle="cy")
    dee = make_user("learner", display_name="Dee Elsewhere", handle="dee")
    for learner in (ada, bo, cy):
        assign(mentor, learner)
    night = make_mission(track="defender", title="Night Shift")
    for learner, score in ((ada, 81), (bo, 62), (cy, 74), (dee, 93)):
        make_completed_attempt(learner, night, score=score)
    soc = make_cohort("Spring 2027 SOC cohort", (mentor, ada, bo, dee), track="defender")
    grc = make_cohort("GRC evening class", (cy,))
    return mentor, soc, grc


def _names(page: str) -> set[str]:
    return {n for n in ("Ada Analyst", "Bo Blue", "Cy Cyan", "Dee Elsewhere") if n in page}


def _csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8"))))


def test_a_mentor_filters_by_their_cohort_and_sees_only_its_learners_they_mentor(client):
    mentor, soc, _ = _world()
    log_in(client, mentor)
    assert _names(client.get("/mentorship/gradebook?track=defender").text) == {"Ada Analyst", "Bo Blue", "Cy Cyan"}
    resp = client.get(f"/mentorship/gradebook?track=defender&cohort={soc.id}")
    assert resp.status_code == 200
    page = resp.text
    # dee is in the cohort but not the mentor's learner: the cohort adds no one (and not her score)
    assert _names(page) == {"Ada Analyst", "Bo Blue"} and "<strong>93</strong>" not in page
    assert "Spring 2027 SOC cohort" in page.split('id="gradebook-h"')[1].split("</h2>")[0]
    assert f'<option value="{soc.id}" selected>Spring 2027 SOC cohort (Defender)</option>' in page
    assert f"cohort={soc.id}" in page.split("Download CSV")[0].rsplit("<a", 1)[1]


def test_the_cohort_select_lists_the_mentors_cohorts_and_every_cohort_for_an_admin(client):
    mentor, soc, grc = _world()
    log_in(client, mentor)
    page = client.get("/mentorship/gradebook?track=defender").text
    select = page[page.index('<select id="gradebook-cohort"'):]
    select = select[:select.index("</select>")]
    assert '<label for="gradebook-cohort">Cohort</label>' in page
    assert "Spring 2027 SOC cohort" in select and "GRC evening class" not in select and "All your learners" in select
    log_in(client, make_user("admin"))
    page = client.get("/mentorship/gradebook?track=defender").text
    select = page[page.index('<select id="gradebook-cohort"'):]
    assert "Spring 2027 SOC cohort" in select and "GRC evening class" in select.split("</select>")[0]


def test_an_admin_filtering_by_a_cohort_sees_all_its_learners(client):
    _, soc, grc = _world()
    log_in(client, make_user("admin"))
    assert _names(client.get(f"/mentorship/gradebook?track=defender&cohort={soc.id}").text) == {
        "Ada Analyst", "Bo Blue", "Dee Elsewhere"}
    assert _names(client.get(f"/mentorship/gradebook?track=defender&cohort={grc.id}").text) == {"Cy Cyan"}


def test_the_csv_filtered_by_a_cohort_has_the_same_rows(client):
    mentor, soc, _ = _world()
    log_in(client, mentor)
    resp = client.get(f"/mentorship/gradebook?track=defender&cohort={soc.id}&format=csv")
    assert resp.status_code == 200 and f"gradebook-defender-cohort-{soc.id}.csv" in resp.headers["Content-Disposition"]
    rows = _csv(resp)
    assert rows[0][:3] == ["Learner", "Handle", "Night Shift: best score"]
    assert sorted((r[1], r[2]) for r in rows[1:]) == [("ada", "81"), ("bo", "62")]


def test_a_mentor_not_in_the_cohort_is_422_for_the_page_and_the_csv(client):
    mentor, _, grc = _world()
    log_in(client, mentor)
    resp = client.get(f"/mentorship/gradebook?track=defender&cohort={grc.id}")
    assert resp.status_code == 422 and "You are not in that cohort" in resp.text and "Cy Cyan" not in resp.text
    resp = client.get(f"/mentorship/gradebook?track=defender&cohort={grc.id}&format=csv")
    assert resp.status_code == 422 and "Cy Cyan" not in resp.text and not resp.headers.get(
        "Content-Type", "").startswith("text/csv")


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "0", "99999999999999999999"])
def test_an_unknown_cohort_is_422_with_a_message_for_the_page_and_the_csv(client, value):
    mentor, *_ = _world()
    for viewer in (mentor, make_user("admin")):
        log_in(client, viewer)
        resp = client.get(f"/mentorship/gradebook?track=defender&cohort={value}")
        assert resp.status_code == 422 and "There is no cohort" in resp.text and "Ada Analyst" not in resp.text
        resp = client.get(f"/mentorship/gradebook?track=defender&cohort={value}&format=csv")
        assert resp.status_code == 422 and "Ada Analyst" not in resp.text


def test_an_empty_cohort_value_means_no_filter(client):
    mentor, *_ = _world()
    log_in(client, mentor)
    assert _names(client.get("/mentorship/gradebook?track=defender&cohort=").text) == {
        "Ada Analyst", "Bo Blue", "Cy Cyan"}


def test_a_cohort_with_none_of_the_mentors_learners_says_so(client):
    mentor, soc, _ = _world()
    db.session.query(MentorAssignment).delete()
    db.session.commit()
    log_in(client, mentor)
    page = client.get(f"/mentorship/gradebook?track=defender&cohort={soc.id}").text
    assert "No learners of Spring 2027 SOC cohort in this track's gradebook" in page and not _names(page)


def test_learners_are_refused_even_for_their_own_cohort(client):
    _, soc, _ = _world()
    learner = db.session.query(User).filter_by(handle="ada").one()
    log_in(client, learner)
    assert client.get(f"/mentorship/gradebook?track=defender&cohort={soc.id}").status_code == 403


def _grow(mentor: User, cohort: Cohort, mission, start: int, n: int) -> None:
    """n more learners of the mentor, in the cohort, the first 20 with a completed attempt (added in bulk)."""
    learners = [User(email=f"bulk{i}@example.com", handle=f"bulk-{i}", display_name=f"Bulk {i:04d}",
                     role="learner", password_hash="x") for i in range(start, start + n)]
    db.session.add_all(learners)
    db.session.flush()
    db.session.add_all([MentorAssignment(mentor_id=mentor.id, learner_id=u.id) for u in learners])
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in learners])
    db.session.commit()
    for u in learners[:20]:
        make_completed_attempt(u, mission, score=55)


def test_queries_stay_constant_with_a_cohort_filter_for_10_and_500_learners(client):
    mentor, soc, _ = _world()
    day = make_mission(track="defender", title="Day Shift")
    log_in(client, mentor)
    url = f"/mentorship/gradebook?track=defender&cohort={soc.id}"
    _grow(mentor, soc, day, 0, 8)                                       # 10 learners in the cohort's book
    # Each request starts with nothing loaded, as in production (the tests' requests share this session).
    db.session.expire_all()
    with count_queries() as ten:
        page = client.get(url).text
    db.session.expire_all()
    with count_queries() as ten_csv:
        rows = _csv(client.get(url + "&format=csv"))
    assert "10 learners" in page and "Bulk 0007" in page and len(rows) == 11
    _grow(mentor, soc, day, 8, 490)                                     # 500
    db.session.expire_all()
    with count_queries() as five_hundred:
        page = client.get(url).text
    db.session.expire_all()
    with count_queries() as five_hundred_csv:
        rows = _csv(client.get(url + "&format=csv"))
    assert "500 learners" in page and "Page 1 of 10" in page and len(rows) == 501
    assert five_hundred.count == ten.count, (ten.count, five_hundred.count)
    assert five_hundred_csv.count == ten_csv.count, (ten_csv.count, five_hundred_csv.count)


def test_the_learner_page_names_the_learners_cohorts(client):
    mentor, soc, _ = _world()
    make_cohort("Alumni 2026", (db.session.query(User).filter_by(handle="ada").one(),))
    log_in(client, mentor)
    page = client.get("/mentorship/learners/ada").text
    assert "Cohorts: <strong>Alumni 2026</strong>, <strong>Spring 2027 SOC cohort</strong>" in page
    assert "Cohort: <strong>GRC evening class</strong>" in client.get("/mentorship/learners/cy").text
    log_in(client, make_user("admin"))
    lone = make_user("learner", handle="lone")
    assert "In no cohort." in client.get(f"/mentorship/learners/{lone.handle}").text
