"""The admin pages: users, roles, activation and mentor assignments; who may change what; role dashboards."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.conftest import count_queries, hx
from tests.factories import assign, make_user
from webapp.extensions import db
from webapp.models import MentorAssignment, User

from .helpers import db_state, field_error, flashes, location_path, text

NO_PERMISSION = "You do not have permission"


@dataclass
class World:
    target: User          # an active learner an admin could change
    inactive: User        # a deactivated learner
    mentor: User          # a mentor with no assignment yet
    link: MentorAssignment


def make_world() -> World:
    target = make_user("learner", email="target@example.com", display_name="Tara Target")
    inactive = make_user("learner", email="inactive@example.com", is_active=False)
    mentor = make_user("mentor", email="free-mentor@example.com", display_name="Fran Mentor")
    other_mentor = make_user("mentor", email="busy-mentor@example.com")
    link = assign(other_mentor, inactive)
    return World(target, inactive, mentor, link)


ROUTES = {
    "set-role": lambda w: (f"/admin/users/{w.target.id}/role", {"role": "mentor"}),
    "deactivate": lambda w: (f"/admin/users/{w.target.id}/deactivate", {}),
    "activate": lambda w: (f"/admin/users/{w.inactive.id}/activate", {}),
    "assign": lambda w: ("/admin/assignments", {"mentor_email": w.mentor.email, "learner_email": w.target.email,
                                                "track": ""}),
    "unassign": lambda w: (f"/admin/assignments/{w.link.id}/remove", {}),
}


def admin_change_happened(route: str, w: World) -> bool:
    db.session.expire_all()
    if route == "set-role":
        return db.session.get(User, w.target.id).role == "mentor"
    if route == "deactivate":
        return db.session.get(User, w.target.id).is_active is False
    if route == "activate":
        return db.session.get(User, w.inactive.id).is_active is True
    if route == "assign":
        return db.session.scalar(select(MentorAssignment).where(
            MentorAssignment.mentor_id == w.mentor.id, MentorAssignment.learner_id == w.target.id)) is not None
    if route == "unassign":
        return db.session.get(MentorAssignment, w.link.id) is None
    raise AssertionError(route)


# --- permission matrix ------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", list(ROUTES))
def test_admin_write_anonymous_is_302_to_login_and_changes_nothing(client, route):
    w = make_world()
    url, data = ROUTES[route](w)
    before = db_state()
    resp = client.post(url, data=data)
    assert resp.status_code == 302
    assert location_path(resp) == "/auth/login"
    assert db_state() == before


@pytest.mark.parametrize("role", ["learner", "mentor"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_admin_write_non_admin_is_403_and_changes_nothing(client, login_as, route, role):
    w = make_world()
    login_as(role)
    url, data = ROUTES[route](w)
    before = db_state()
    resp = client.post(url, data=data)
    assert resp.status_code == 403
    assert NO_PERMISSION in text(resp)
    assert db_state() == before


@pytest.mark.parametrize("route", list(ROUTES))
def test_admin_write_admin_is_303_and_changes_the_row(client, login_as, route):
    w = make_world()
    login_as("admin")
    url, data = ROUTES[route](w)
    resp = client.post(url, data=data)
    assert resp.status_code == 303
    assert location_path(resp) == "/admin"
    assert admin_change_happened(route, w)


@pytest.mark.parametrize("route", list(ROUTES))
def test_admin_write_htmx_non_admin_is_403_fragment_and_changes_nothing(client, login_as, route):
    w = make_world()
    login_as("mentor")
    url, data = ROUTES[route](w)
    before = db_state()
    resp = client.post(url, data=data, headers=hx(target="main"))
    assert resp.status_code == 403
    assert "<html" not in text(resp)
    assert NO_PERMISSION in text(resp)
    assert resp.headers["HX-Retarget"] == "#flashes"
    assert db_state() == before


# --- admin page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["learner", "mentor"])
def test_admin_page_non_admin_is_403_page_with_human_message(client, login_as, role):
    login_as(role)
    resp = client.get("/admin")
    assert resp.status_code == 403
    page = text(resp)
    assert "<html" in page
    assert "Not allowed" in page
    assert "You do not have permission to open this page." in page
    assert "Traceback" not in page


def test_admin_page_lists_users_and_assignments(client, login_as):
    w = make_world()
    login_as("admin")
    resp = client.get("/admin")
    assert resp.status_code == 200
    page = text(resp)
    assert "Tara Target" in page and "target@example.com" in page
    assert "busy-mentor@example.com" in page  # the existing assignment's mentor
    assert f'action="/admin/assignments/{w.link.id}/remove"' in page
    assert f'action="/admin/users/{w.inactive.id}/activate"' in page
    assert f'action="/admin/users/{w.target.id}/deactivate"' in page


def test_admin_page_search_filters_users(client, login_as):
    make_world()
    login_as("admin")
    page = text(client.get("/admin?q=tara"))
    assert "target@example.com" in page
    assert "free-mentor@example.com" not in page.split('id="assignments"')[0]


def test_admin_nav_link_only_for_admin(client, login_as):
    login_as("mentor")
    assert 'href="/admin"' not in text(client.get("/"))


# --- roles and activation ---------------------------------------------------------------------------------


def test_set_role_admin_changes_role_and_flashes(client, login_as):
    w = make_world()
    login_as("admin")
    resp = client.post(f"/admin/users/{w.target.id}/role", data={"role": "mentor"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, w.target.id).role == "mentor"
    assert "Tara Target is now mentor." in flashes(text(client.get("/admin")))


def test_set_role_admin_demoting_self_is_409_with_message_and_stays_admin(client, login_as):
    me = login_as("admin")
    resp = client.post(f"/admin/users/{me.id}/role", data={"role": "learner"})
    assert resp.status_code == 409
    assert "You cannot remove your own admin role; ask another admin." in flashes(text(resp))
    assert "Users, roles and mentor assignments." in text(resp)   # the admin page, not a bare error page
    db.session.expire_all()
    assert db.session.get(User, me.id).role == "admin"
    assert client.get("/admin").status_code == 200


def test_set_role_admin_can_demote_another_admin(client, login_as):
    other = make_user("admin")
    login_as("admin")
    assert client.post(f"/admin/users/{other.id}/role", data={"role": "learner"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, other.id).role == "learner"


def test_set_role_unknown_role_is_422_and_unchanged(client, login_as):
    w = make_world()
    login_as("admin")
    before = db_state()
    resp = client.post(f"/admin/users/{w.target.id}/role", data={"role": "overlord"})
    assert resp.status_code == 422
    assert "Choose a known role." in text(resp)
    assert db_state() == before


def test_set_role_unknown_user_is_404(client, login_as):
    login_as("admin")
    resp = client.post("/admin/users/999999/role", data={"role": "mentor"})
    assert resp.status_code == 404
    assert "No such user." in text(resp)


def test_set_active_admin_deactivates_other_who_then_cannot_log_in(client, login_as):
    w = make_world()
    login_as("admin")
    resp = client.post(f"/admin/users/{w.target.id}/deactivate")
    assert resp.status_code == 303
    assert any("deactivated" in f for f in flashes(text(client.get("/admin"))))
    db.session.expire_all()
    assert db.session.get(User, w.target.id).is_active is False
    client.post("/auth/logout")
    from tests.factories import PASSWORD

    login = client.post("/auth/login", data={"email": "target@example.com", "password": PASSWORD})
    assert login.status_code == 422


def test_set_active_admin_reactivates_user(client, login_as):
    w = make_world()
    login_as("admin")
    assert client.post(f"/admin/users/{w.inactive.id}/activate").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, w.inactive.id).is_active is True


def test_set_active_admin_deactivating_self_is_409_and_unchanged(client, login_as):
    me = login_as("admin")
    resp = client.post(f"/admin/users/{me.id}/deactivate")
    assert resp.status_code == 409
    assert "You cannot deactivate your own account." in flashes(text(resp))
    assert "Users, roles and mentor assignments." in text(resp)
    db.session.expire_all()
    assert db.session.get(User, me.id).is_active is True


def test_set_active_get_is_405_and_unchanged(client, login_as):
    w = make_world()
    login_as("admin")
    assert client.get(f"/admin/users/{w.target.id}/deactivate").status_code == 405
    db.session.expire_all()
    assert db.session.get(User, w.target.id).is_active is True


# --- mentor assignments -----------------------------------------------------------------------------------


def test_assign_by_emails_creates_assignment_and_shows_it(client, login_as):
    w = make_world()
    login_as("admin")
    resp = client.post("/admin/assignments", data={"mentor_email": "FREE-MENTOR@example.com",
                                                   "learner_email": "target@example.com", "track": "grc"})
    assert resp.status_code == 303
    link = db.session.scalar(select(MentorAssignment).where(MentorAssignment.mentor_id == w.mentor.id))
    assert link is not None and link.learner_id == w.target.id and link.track == "grc"
    page = text(client.get("/admin"))
    assert "Fran Mentor now mentors Tara Target." in flashes(page)
    assert "Governance, Risk" in page or "GRC" in page


def test_assign_twice_keeps_one_assignment(client, login_as):
    w = make_world()
    login_as("admin")
    data = {"mentor_email": w.mentor.email, "learner_email": w.target.email, "track": ""}
    client.post("/admin/assignments", data=data)
    client.post("/admin/assignments", data=data)
    rows = db.session.scalars(select(MentorAssignment).where(MentorAssignment.mentor_id == w.mentor.id)).all()
    assert len(rows) == 1


def test_assign_non_mentor_as_mentor_is_422_with_message_beside_mentor_field(client, login_as):
    w = make_world()
    other_learner = make_user("learner", email="plain-learner@example.com")
    login_as("admin")
    before = db_state()
    resp = client.post("/admin/assignments", data={"mentor_email": other_learner.email,
                                                   "learner_email": w.target.email, "track": ""})
    assert resp.status_code == 422
    page = text(resp)
    message = field_error(page, "mentor_email")
    assert message and "mentor" in message
    assert field_error(page, "learner_email") is None
    assert db_state() == before


def test_assign_unknown_mentor_email_is_422_with_message_beside_mentor_field(client, login_as):
    w = make_world()
    login_as("admin")
    before = db_state()
    resp = client.post("/admin/assignments", data={"mentor_email": "ghost@example.com",
                                                   "learner_email": w.target.email, "track": ""})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "mentor_email") == "No user with email ghost@example.com."
    assert field_error(page, "learner_email") is None
    assert db_state() == before


def test_assign_unknown_learner_email_is_422_with_message_beside_learner_field(client, login_as):
    w = make_world()
    login_as("admin")
    before = db_state()
    resp = client.post("/admin/assignments", data={"mentor_email": w.mentor.email,
                                                   "learner_email": "ghost@example.com", "track": ""})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "learner_email") == "No user with email ghost@example.com."
    assert field_error(page, "mentor_email") is None
    assert db_state() == before


def test_assign_mentor_to_themselves_is_422_and_unchanged(client, login_as):
    w = make_world()
    login_as("admin")
    before = db_state()
    resp = client.post("/admin/assignments", data={"mentor_email": w.mentor.email,
                                                   "learner_email": w.mentor.email, "track": ""})
    assert resp.status_code == 422
    assert field_error(text(resp), "learner_email") == "must differ from the mentor"
    assert db_state() == before


def test_assign_missing_emails_is_422_with_messages(client, login_as):
    login_as("admin")
    resp = client.post("/admin/assignments", data={"mentor_email": "", "learner_email": ""})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "mentor_email") == "Enter the mentor's email."
    assert field_error(page, "learner_email") == "Enter the learner's email."


def test_unassign_admin_removes_assignment(client, login_as):
    w = make_world()
    login_as("admin")
    resp = client.post(f"/admin/assignments/{w.link.id}/remove")
    assert resp.status_code == 303
    assert db.session.get(MentorAssignment, w.link.id) is None
    page = text(client.get("/admin"))
    assert "Mentor assignment removed." in flashes(page)
    assert "busy-mentor@example.com" not in page.split('id="assignments"', 1)[1]


def test_unassign_missing_assignment_is_404_with_message(client, login_as):
    login_as("admin")
    resp = client.post("/admin/assignments/999999/remove")
    assert resp.status_code == 404
    assert "That mentor assignment no longer exists." in text(resp)


# --- dashboard by role ------------------------------------------------------------------------------------


def test_dashboard_admin_sees_site_stats_and_learners_panel(client, login_as):
    make_user("learner")
    make_user("learner")
    login_as("admin")
    resp = client.get("/")
    assert resp.status_code == 200
    page = text(resp)
    assert '<h2 id="site-h">Site</h2>' in page
    assert "<dt>Learners</dt><dd>2</dd>" in page
    assert "<dt>Admins</dt><dd>1</dd>" in page
    assert "Your learners" in page


def test_dashboard_mentor_sees_your_learners_not_site(client, login_as):
    mentor = login_as("mentor")
    learner = make_user("learner", display_name="Mia Mentee")
    assign(mentor, learner)
    page = text(client.get("/"))
    assert '<h2 id="mentees-h">Your learners</h2>' in page
    assert "Mia Mentee" in page
    assert 'id="site-h"' not in page


def test_dashboard_mentor_without_learners_sees_empty_state(client, login_as):
    login_as("mentor")
    page = text(client.get("/"))
    assert "No learners are assigned to you yet." in page


def test_dashboard_learner_sees_neither_site_nor_learners(client, login_as):
    login_as("learner", display_name="Lee Learner")
    page = text(client.get("/"))
    assert "Welcome, Lee Learner" in page
    assert 'id="site-h"' not in page
    assert "Your learners" not in page
    assert "Mission attempts" in page


def _populate(n_pairs: int) -> None:
    for _ in range(n_pairs):
        assign(make_user("mentor"), make_user("learner"))


def test_admin_page_query_count_does_not_grow_with_users_and_assignments(client, login_as):
    login_as("admin")
    _populate(2)
    with count_queries() as small:
        assert client.get("/admin").status_code == 200
    _populate(30)
    with count_queries() as large:
        resp = client.get("/admin")
    assert resp.status_code == 200
    assert text(resp).count('/remove"') == 32
    assert large.count == small.count, large.statements


def test_admin_page_paginates_users_fifty_per_page(client, login_as):
    login_as("admin")
    for _ in range(55):
        make_user("learner")
    first = text(client.get("/admin"))
    assert "Page 1 of 2" in first
    assert first.count('/deactivate"') == 50
    second = text(client.get("/admin?page=2"))
    assert "Page 2 of 2" in second
    assert second.count('/deactivate"') == 6  # 56 users in all, the admin included
    assert client.get("/admin?page=99").status_code == 200
    assert client.get("/admin?page=abc").status_code == 200


def test_set_active_deactivated_users_api_token_stops_working(client, login_as):
    from tests.factories import make_token

    w = make_world()
    _, secret = make_token(w.target)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    login_as("admin")
    assert client.post(f"/admin/users/{w.target.id}/deactivate").status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_dashboard_links_each_of_the_learners_capstones_to_its_workspace(client, login_as):
    from tests.factories import make_capstone, make_mission

    learner = login_as("learner")
    cap = make_capstone(learner, make_mission(title="Night Shift Ransomware"))
    page = text(client.get("/"))
    assert f'<a href="/capstones/{cap.id}">Night Shift Ransomware</a> · Investigation' in page
