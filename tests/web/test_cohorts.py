"""The admin's cohort pages (SPEC §13): list, create, edit, delete, add and remove members, assign the cohort's
mentors; admins only; bad input answers a message and keeps what was typed; a cohort grants no access."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import assign, make_user
from tests.snapshots import database_snapshot
from webapp.extensions import db
from webapp.models import Cohort, CohortMember, MentorAssignment, User

from .helpers import field_error, flashes, location, location_path, text


def make_cohort(name: str = "Spring 2027 SOC cohort", track: str | None = "defender", members=()) -> Cohort:
    cohort = Cohort(name=name, track=track, description="Evening class.")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in members])
    db.session.commit()
    return cohort


def member_ids(cohort_id: int) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def cohort_names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Cohort.name).order_by(Cohort.name)))


# --- who may -----------------------------------------------------------------------------------------------------

def _routes(c: Cohort, learner: User, outsider: User) -> dict:
    return {
        "list": ("GET", "/admin/cohorts", None),
        "page": ("GET", f"/admin/cohorts/{c.id}", None),
        "create": ("POST", "/admin/cohorts", {"name": "Autumn cohort", "track": ""}),
        "edit": ("POST", f"/admin/cohorts/{c.id}", {"name": "Renamed", "track": "grc", "description": ""}),
        "delete": ("POST", f"/admin/cohorts/{c.id}/delete", {}),
        "add": ("POST", f"/admin/cohorts/{c.id}/members", {"who": outsider.email}),
        "remove": ("POST", f"/admin/cohorts/{c.id}/members/{learner.id}/remove", {}),
        "assign": ("POST", f"/admin/cohorts/{c.id}/assign-mentors", {}),
    }


ROUTE_NAMES = ("list", "page", "create", "edit", "delete", "add", "remove", "assign")


def _world():
    learner, mentor, outsider = make_user("learner"), make_user("mentor"), make_user("learner")
    cohort = make_cohort(members=(learner, mentor))
    return cohort, learner, mentor, outsider


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize("who", ["anonymous", "learner", "cohort_learner", "mentor", "cohort_mentor"])
def test_cohort_pages_refuse_everyone_but_admins_and_change_nothing(client, login_as, route, who):
    cohort, learner, mentor, outsider = _world()
    if who == "cohort_learner":
        login_as(learner)
    elif who == "cohort_mentor":
        login_as(mentor)            # in the cohort, yet not an admin
    elif who != "anonymous":
        login_as(who)
    method, url, data = _routes(cohort, learner, outsider)[route]
    before = database_snapshot()
    resp = client.open(url, method=method, data=data)
    if who == "anonymous":
        assert resp.status_code == 302 and location_path(resp) == "/auth/login"
    else:
        assert resp.status_code == 403 and "You do not have permission" in text(resp)
    if method == "POST":
        assert database_snapshot() == before


def test_an_unknown_cohort_is_404_for_an_admin(client, login_as):
    login_as("admin")
    assert client.get("/admin/cohorts/999999").status_code == 404
    assert client.post("/admin/cohorts/999999/delete").status_code == 404
    assert client.post("/admin/cohorts/999999/members", data={"who": "x@example.com"}).status_code == 404


# --- the list ----------------------------------------------------------------------------------------------------

def test_the_list_without_cohorts_says_so_and_offers_the_form(client, login_as):
    login_as("admin")
    page = text(client.get("/admin/cohorts"))
    assert "No cohorts yet." in page and 'action="/admin/cohorts"' in page and 'for="name"' in page
    assert 'href="/admin/cohorts"' in text(client.get("/admin"))


def test_the_list_shows_each_cohort_with_its_learners_and_mentors_counted(client, login_as):
    learners = [make_user("learner") for _ in range(3)]
    mentor = make_user("mentor")
    admin = login_as("admin")
    make_cohort("Spring 2027 SOC cohort", members=(*learners, mentor, admin))
    make_cohort("Empty cohort", track=None)
    page = text(client.get("/admin/cohorts"))
    spring = page[page.index("Spring 2027 SOC cohort"):]
    spring = spring[:spring.index("</tr>")]
    assert '<td class="cohort-learners">3</td>' in spring and '<td class="cohort-mentors">2</td>' in spring
    assert "Defender" in spring
    empty = page[page.index("Empty cohort"):]
    empty = empty[:empty.index("</tr>")]
    assert '<td class="cohort-learners">0</td>' in empty and "Any track" in empty
    assert page.index("Empty cohort") < page.index("Spring 2027")            # by name


# --- create, edit, delete ----------------------------------------------------------------------------------------

def test_create_makes_the_cohort_and_opens_its_page(client, login_as):
    login_as("admin")
    resp = client.post("/admin/cohorts", data={"name": "  Spring 2027   SOC cohort ", "track": "defender",
                                               "description": "Tuesday evenings."})
    assert resp.status_code == 303
    cohort = db.session.scalar(select(Cohort))
    assert (cohort.name, cohort.track, cohort.description) == ("Spring 2027 SOC cohort", "defender",
                                                              "Tuesday evenings.")
    assert location(resp) == f"/admin/cohorts/{cohort.id}"
    page = text(client.get(location(resp)))
    assert "Cohort “Spring 2027 SOC cohort” created." in flashes(page)[0]
    assert "No members yet." in page and "Tuesday evenings." in page


def test_create_without_a_name_is_422_and_keeps_what_was_typed(client, login_as):
    login_as("admin")
    resp = client.post("/admin/cohorts", data={"name": "   ", "track": "grc", "description": "Kept text"})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "name") == "Give the cohort a name."
    assert "Kept text</textarea>" in page and '<option selected value="grc">' in page
    assert cohort_names() == []


def test_create_with_an_unknown_track_or_a_long_name_is_422(client, login_as):
    login_as("admin")
    resp = client.post("/admin/cohorts", data={"name": "Fine", "track": "cooking"})
    assert resp.status_code == 422 and field_error(text(resp), "track").startswith("must be one of defender")
    resp = client.post("/admin/cohorts", data={"name": "x" * 121})
    assert resp.status_code == 422 and field_error(text(resp), "name") == "must be at most 120 characters"
    assert cohort_names() == []


def test_create_with_a_taken_name_in_any_case_is_409_and_keeps_what_was_typed(client, login_as):
    make_cohort("Spring 2027 SOC cohort")
    login_as("admin")
    resp = client.post("/admin/cohorts", data={"name": "spring 2027 soc COHORT", "description": "Mine"})
    assert resp.status_code == 409
    page = text(resp)
    assert field_error(page, "name") == "That name is taken."
    assert 'value="spring 2027 soc COHORT"' in page and "Mine</textarea>" in page
    assert cohort_names() == ["Spring 2027 SOC cohort"]


def test_edit_renames_and_changes_the_track(client, login_as):
    cohort = make_cohort()
    login_as("admin")
    page = text(client.get(f"/admin/cohorts/{cohort.id}"))
    assert 'value="Spring 2027 SOC cohort"' in page and '<option selected value="defender">' in page
    resp = client.post(f"/admin/cohorts/{cohort.id}", data={"name": "Autumn 2027", "track": "", "description": ""})
    assert resp.status_code == 303
    db.session.expire_all()
    cohort = db.session.get(Cohort, cohort.id)
    assert (cohort.name, cohort.track, cohort.description) == ("Autumn 2027", None, "")
    assert "Cohort “Autumn 2027” saved." in flashes(text(client.get(location(resp))))


def test_edit_to_another_cohorts_name_is_409_and_changes_nothing(client, login_as):
    make_cohort("Taken")
    cohort = make_cohort("Mine")
    login_as("admin")
    resp = client.post(f"/admin/cohorts/{cohort.id}", data={"name": "taken", "track": "grc"})
    assert resp.status_code == 409
    page = text(resp)
    assert field_error(page, "name") == "That name is taken." and 'value="taken"' in page
    assert "<h1>Mine</h1>" in page
    assert cohort_names() == ["Mine", "Taken"]
    # keeping its own name in another case is fine
    assert client.post(f"/admin/cohorts/{cohort.id}", data={"name": "MINE"}).status_code == 303
    assert cohort_names() == ["MINE", "Taken"]


def test_delete_asks_first_and_keeps_the_members_accounts_and_assignments(client, login_as):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cohort = make_cohort(members=(learner, mentor))
    login_as("admin")
    page = text(client.get(f"/admin/cohorts/{cohort.id}"))
    tag = re.search(rf'<form[^>]*action="/admin/cohorts/{cohort.id}/delete"[^>]*>', page).group(0)
    assert "confirm-form" in tag and 'data-confirm="Delete the cohort Spring 2027 SOC cohort?' in tag
    resp = client.post(f"/admin/cohorts/{cohort.id}/delete")
    assert resp.status_code == 303 and location(resp) == "/admin/cohorts"
    assert cohort_names() == [] and db.session.scalar(select(func.count()).select_from(CohortMember)) == 0
    assert db.session.get(User, learner.id) is not None and db.session.get(User, mentor.id) is not None
    assert db.session.scalar(select(func.count()).select_from(MentorAssignment)) == 1
    assert "Cohort “Spring 2027 SOC cohort” deleted." in flashes(text(client.get("/admin/cohorts")))[0]


# --- members -----------------------------------------------------------------------------------------------------

def test_add_members_by_email_or_handle_as_learner_or_mentor(client, login_as):
    ada = make_user("learner", email="ada@example.com", display_name="Ada Analyst")
    mo = make_user("mentor", handle="morgan", display_name="Morgan Mentor")
    cohort = make_cohort()
    login_as("admin")
    resp = client.post(f"/admin/cohorts/{cohort.id}/members", data={"who": " ADA@example.com "})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/admin/cohorts/{cohort.id}#cohort-members")
    assert "Ada Analyst joined Spring 2027 SOC cohort as a learner." in flashes(text(client.get(location(resp))))
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"who": "@morgan"})
    assert member_ids(cohort.id) == {ada.id, mo.id}
    page = text(client.get(f"/admin/cohorts/{cohort.id}"))
    rows = page[page.index("<tbody>"):page.index("</tbody>")]
    assert rows.index("Morgan Mentor") < rows.index("Ada Analyst")            # mentors first
    assert "<td>Mentor</td>" in rows and "<td>Learner</td>" in rows and "2 members" in page


def test_adding_a_member_twice_changes_nothing_and_says_so(client, login_as):
    ada = make_user("learner", handle="ada", display_name="Ada Analyst")
    cohort = make_cohort(members=(ada,))
    login_as("admin")
    before = database_snapshot()
    resp = client.post(f"/admin/cohorts/{cohort.id}/members", data={"who": "ada"})
    assert resp.status_code == 303
    assert "Ada Analyst is already in Spring 2027 SOC cohort; nothing changed." in flashes(
        text(client.get(location(resp))))
    assert database_snapshot() == before


@pytest.mark.parametrize("typed,message", [
    ("nobody@example.com", "There is no user with the e-mail address “nobody@example.com”."),
    ("no-such-handle", "There is no user with the handle “no-such-handle”."),
    ("   ", "Enter the e-mail address or handle of the user to add."),
])
def test_adding_an_unknown_user_is_422_with_a_message_and_keeps_what_was_typed(client, login_as, typed, message):
    cohort = make_cohort()
    login_as("admin")
    before = database_snapshot()
    resp = client.post(f"/admin/cohorts/{cohort.id}/members", data={"who": typed})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "who") == message
    if typed.strip():
        assert f'value="{typed}"' in page
    assert database_snapshot() == before


def test_remove_a_member_keeps_their_account(client, login_as):
    ada = make_user("learner", display_name="Ada Analyst")
    bo = make_user("learner")
    cohort = make_cohort(members=(ada, bo))
    login_as("admin")
    page = text(client.get(f"/admin/cohorts/{cohort.id}"))
    assert 'data-confirm="Take Ada Analyst out of Spring 2027 SOC cohort? Their account stays."' in page
    resp = client.post(f"/admin/cohorts/{cohort.id}/members/{ada.id}/remove")
    assert resp.status_code == 303
    assert member_ids(cohort.id) == {bo.id} and db.session.get(User, ada.id).is_active
    assert "Ada Analyst left Spring 2027 SOC cohort." in flashes(text(client.get(location(resp))))[0]
    # not (any more) a member: 404, nothing changes
    assert client.post(f"/admin/cohorts/{cohort.id}/members/{ada.id}/remove").status_code == 404
    assert member_ids(cohort.id) == {bo.id}


# --- a cohort grants no access; assigning its mentors is explicit --------------------------------------------------

def test_being_in_a_learners_cohort_does_not_open_their_page(client, login_as):
    learner = make_user("learner", handle="ada")
    mentor = make_user("mentor")
    make_cohort(members=(learner, mentor))
    login_as(mentor)
    assert client.get("/mentorship/learners/ada").status_code == 403


def test_assign_mentors_makes_ordinary_assignments_for_the_cohorts_track_once(client, login_as):
    ada, bo = make_user("learner"), make_user("learner", is_active=False)
    mo, al = make_user("mentor"), make_user("mentor")
    assign(mo, ada, track="defender")                       # already there: kept as it is
    cohort = make_cohort(members=(ada, bo, mo, al))
    login_as("admin")
    resp = client.post(f"/admin/cohorts/{cohort.id}/assign-mentors")
    assert resp.status_code == 303
    assert "1 mentor assignment made." in flashes(text(client.get(location(resp))))
    db.session.expire_all()
    pairs = set(db.session.execute(select(MentorAssignment.mentor_id, MentorAssignment.learner_id,
                                          MentorAssignment.track)))
    assert pairs == {(mo.id, ada.id, "defender"), (al.id, ada.id, "defender")}     # never the deactivated bo
    before = database_snapshot()
    resp = client.post(f"/admin/cohorts/{cohort.id}/assign-mentors")
    assert "nothing changed" in flashes(text(client.get(location(resp))))[0]
    assert database_snapshot() == before
    login_as(mo)
    assert client.get(f"/mentorship/learners/{ada.handle}").status_code == 200
