"""Invitations and users created in the browser (SPEC §12): an admin creates a user or invites by e-mail with a
role and an optional mentor; the invitee chooses name, handle and password from the single-use link (7 days);
pending invitations are listed, revoked and resent; an admin sends a user a password-reset link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import count_queries
from tests.factories import make_user
from webapp.extensions import db
from webapp.models import AccountToken, MentorAssignment, OutgoingEmail, User
from webapp.models.base import utcnow

from .helpers import db_state, field_error, flashes, location_path, text
from .test_sessions import browser, greeted

NEW_PASSWORD = "a-long-enough-password"


def outbox(to: str | None = None) -> list[OutgoingEmail]:
    db.session.expire_all()
    stmt = select(OutgoingEmail).order_by(OutgoingEmail.id)
    if to:
        stmt = stmt.where(OutgoingEmail.to_address == to)
    return db.session.scalars(stmt).all()


def link_in(message: OutgoingEmail, kind: str = "invite") -> str:
    found = re.search(rf"https?://[^/\s]+(/auth/{kind}/[A-Za-z0-9_-]+)", message.text_body)
    assert found, message.text_body
    return found.group(1)


def state() -> dict:
    db.session.expire_all()
    tokens = db.session.execute(select(AccountToken.id, AccountToken.token_hash, AccountToken.revoked_at,
                                       AccountToken.used_at, AccountToken.expires_at).order_by(AccountToken.id)).all()
    return db_state() | {"account_tokens": [tuple(r) for r in tokens],
                         "outbox": db.session.scalar(select(func.count()).select_from(OutgoingEmail))}


def accept_form(**overrides) -> dict:
    return {"display_name": "Ivy Invitee", "handle": "ivy", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            **overrides}


@pytest.fixture
def admin(login_as):
    return login_as(make_user("admin", email="root@example.com", display_name="Rita Root"))


@pytest.fixture
def mentor():
    return make_user("mentor", email="mo@example.com", display_name="Mo Mentor")


def invite(client, email="ivy@example.com", role="learner", mentor_email=""):
    return client.post("/admin/invitations", data={"email": email, "role": role, "mentor_email": mentor_email})


# --- inviting -------------------------------------------------------------------------------------------------


def test_admin_invites_with_a_role_and_mentor_and_the_page_lists_it(client, admin, mentor):
    resp = invite(client, "Ivy@Example.com", "learner", mentor.email)
    assert resp.status_code == 303 and location_path(resp) == "/admin"
    row = db.session.scalar(select(AccountToken))
    assert (row.purpose, row.email, row.role, row.mentor_id, row.created_by_id) == (
        "invite", "ivy@example.com", "learner", mentor.id, admin.id)
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    [message] = outbox()
    assert message.to_address == "ivy@example.com" and message.subject == "You are invited to Mastery Tracks"
    assert "Rita Root invited you to Mastery Tracks as a learner. Your mentor will be Mo Mentor." in message.text_body
    page = text(client.get("/admin"))
    assert "Invitation sent to ivy@example.com." in flashes(page)
    listed = page.split('id="invitations"', 1)[1].split("</section>", 1)[0]
    assert "ivy@example.com" in listed and "Mo Mentor" in listed and "Valid until" in listed
    assert f'action="/admin/invitations/{row.id}/revoke"' in listed
    assert f'action="/admin/invitations/{row.id}/resend"' in listed


def test_the_invitations_list_is_empty_with_a_message(client, admin):
    assert "No pending invitations." in text(client.get("/admin"))


@pytest.mark.parametrize("form,field,message", [
    ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ({"email": "taken@example.com"}, "email", "An account with this email already exists."),
    ({"mentor_email": "nobody@example.com"}, "mentor_email", "No account uses this email."),
    ({"mentor_email": "plain@example.com"}, "mentor_email", "This account has no mentor role."),
    ({"role": "overlord"}, "role", "Not a valid choice."),
])
def test_a_refused_invitation_says_why_keeps_what_was_typed_and_sends_nothing(client, admin, form, field, message):
    make_user(email="taken@example.com")
    make_user(email="plain@example.com")
    data = {"email": "ivy@example.com", "role": "learner", "mentor_email": ""} | form
    before = state()
    resp = client.post("/admin/invitations", data=data)
    assert resp.status_code in (409, 422)
    page = text(resp)
    assert field_error(page, "invite-" + field.replace("_", "-")) == message
    assert f'value="{data["email"]}"' in page
    assert state() == before


def test_an_address_with_a_pending_invitation_is_not_invited_twice(client, admin):
    invite(client)
    resp = invite(client)
    assert resp.status_code == 409
    assert "Already invited: resend or revoke the pending invitation." in text(resp)
    assert len(outbox()) == 1


# --- accepting ------------------------------------------------------------------------------------------------


def test_the_invitee_chooses_name_handle_and_password_gets_role_and_mentor_and_is_logged_in(app, client, admin,
                                                                                             mentor):
    invite(client, "ivy@example.com", "mentor", mentor.email)
    path = link_in(outbox()[0])
    guest = app.test_client()
    form = guest.get(path)
    assert form.status_code == 200
    assert ("You are invited as a <strong>mentor</strong> with the address <strong>ivy@example.com</strong>"
            in text(form))
    resp = guest.post(path, data=accept_form())
    assert resp.status_code == 303
    assert greeted(guest) == "Ivy Invitee"
    ivy = db.session.scalar(select(User).where(User.email == "ivy@example.com"))
    assert (ivy.role, ivy.handle, ivy.display_name) == ("mentor", "ivy", "Ivy Invitee")
    assert db.session.scalar(select(MentorAssignment.mentor_id)
                             .where(MentorAssignment.learner_id == ivy.id)) == mentor.id
    assert greeted(browser(app, "ivy@example.com", password=NEW_PASSWORD)) == "Ivy Invitee"
    # Single use.
    again = app.test_client().get(path)
    assert again.status_code == 410 and "This invitation has already been accepted." in text(again)
    # Gone from the pending list.
    assert "No pending invitations." in text(client.get("/admin"))


def test_the_admin_s_suggested_name_and_handle_fill_the_form(app, client, admin):
    client.post("/admin/users", data={"email": "ivy@example.com", "display_name": "Ivy Suggested",
                                      "handle": "ivy-s", "role": "learner", "send_invitation": "y"})
    page = text(app.test_client().get(link_in(outbox()[0])))
    assert 'value="Ivy Suggested"' in page and 'value="ivy-s"' in page


def test_a_refused_acceptance_keeps_what_was_typed_and_the_link(app, client, admin):
    make_user(email="someone@example.com", handle="taken-handle")
    invite(client)
    path = link_in(outbox()[0])
    guest = app.test_client()
    resp = guest.post(path, data=accept_form(handle="taken-handle"))
    assert resp.status_code == 409
    page = text(resp)
    assert field_error(page, "handle") == "This handle is taken; choose another."
    assert 'value="Ivy Invitee"' in page
    resp = guest.post(path, data=accept_form(password="short", confirm="short"))
    assert resp.status_code == 422 and field_error(text(resp), "password") == "Use at least 10 characters."
    assert guest.post(path, data=accept_form()).status_code == 303


def test_an_address_that_has_an_account_by_now_is_refused(app, client, admin):
    invite(client)
    path = link_in(outbox()[0])
    make_user(email="ivy@example.com", display_name="Ivy Already")
    before = state()
    resp = app.test_client().post(path, data=accept_form(handle="ivy-two"))
    assert resp.status_code == 409
    page = text(resp)
    assert "An account with ivy@example.com already exists" in page
    assert 'href="/auth/login"' in page
    assert state() == before


def test_an_expired_invitation_is_refused_and_can_be_resent(app, client, admin):
    invite(client)
    path = link_in(outbox()[0])
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    resp = app.test_client().post(path, data=accept_form())
    assert resp.status_code == 410
    assert "This invitation has expired: invitations work for seven days." in text(resp)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "ivy@example.com")) == 0
    listed = text(client.get("/admin")).split('id="invitations"', 1)[1]
    assert "Expired" in listed
    row = db.session.scalar(select(AccountToken))
    assert client.post(f"/admin/invitations/{row.id}/resend").status_code == 303
    fresh = link_in(outbox()[-1])
    assert fresh != path
    assert app.test_client().post(fresh, data=accept_form()).status_code == 303


def test_resend_sends_a_new_link_and_the_old_one_stops_working(app, client, admin):
    invite(client)
    old = link_in(outbox()[0])
    row = db.session.scalar(select(AccountToken))
    resp = client.post(f"/admin/invitations/{row.id}/resend")
    assert resp.status_code == 303
    assert "A new invitation link was sent to ivy@example.com; the earlier one no longer works." in flashes(
        text(client.get("/admin")))
    assert len(outbox("ivy@example.com")) == 2
    new = link_in(outbox()[-1])
    assert app.test_client().get(old).status_code == 400
    assert app.test_client().get(new).status_code == 200


def test_revoke_withdraws_the_link(app, client, admin):
    invite(client)
    path = link_in(outbox()[0])
    row = db.session.scalar(select(AccountToken))
    assert client.post(f"/admin/invitations/{row.id}/revoke").status_code == 303
    resp = app.test_client().get(path)
    assert resp.status_code == 410 and "This invitation was withdrawn by an administrator." in text(resp)
    assert "No pending invitations." in text(client.get("/admin"))
    resp = client.post(f"/admin/invitations/{row.id}/resend")
    assert resp.status_code == 409 and "This invitation was revoked; invite the address again." in text(resp)


def test_an_unknown_invitation_is_404(client, admin):
    assert client.post("/admin/invitations/999999/revoke").status_code == 404
    assert client.post("/admin/invitations/999999/resend").status_code == 404


def test_a_tampered_invitation_link_is_400(client):
    resp = client.get("/auth/invite/not-a-real-token")
    assert resp.status_code == 400
    assert "This invitation link is not valid." in text(resp)


def test_invitations_work_with_registration_off(app, client, admin, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_REGISTRATION", False)
    assert app.test_client().get("/auth/register").status_code == 404
    invite(client)
    assert app.test_client().post(link_in(outbox()[0]), data=accept_form()).status_code == 303


# --- who may ----------------------------------------------------------------------------------------------------

ADMIN_WRITES = {
    "invite": lambda ids: ("/admin/invitations", {"email": "new@example.com", "role": "learner"}),
    "create": lambda ids: ("/admin/users", {"email": "new@example.com", "display_name": "New", "handle": "newbie",
                                            "role": "learner", "password": NEW_PASSWORD}),
    "resend": lambda ids: (f"/admin/invitations/{ids['invitation']}/resend", {}),
    "revoke": lambda ids: (f"/admin/invitations/{ids['invitation']}/revoke", {}),
    "reset-link": lambda ids: (f"/admin/users/{ids['user']}/reset-link", {}),
}


def _pending_invitation(client_for_admin) -> dict:
    root = make_user("admin")
    from webapp.services import account_links
    from webapp.services.actors import actor_for

    row = account_links.invite(actor_for(root), "pending@example.com", "learner")
    target = make_user("learner", email="target@example.com")
    return {"invitation": row.id, "user": target.id}


@pytest.mark.parametrize("route", list(ADMIN_WRITES))
@pytest.mark.parametrize("who", ["anon", "learner", "mentor"])
def test_only_admins_may_invite_create_and_send_links(client, login_as, route, who):
    ids = _pending_invitation(client)
    if who != "anon":
        login_as(who)
    url, data = ADMIN_WRITES[route](ids)
    before = state()
    resp = client.post(url, data=data)
    if who == "anon":
        assert resp.status_code == 302 and location_path(resp) == "/auth/login"
    else:
        assert resp.status_code == 403
    assert state() == before


@pytest.mark.parametrize("route", list(ADMIN_WRITES))
def test_admins_may(client, admin, route):
    ids = _pending_invitation(client)
    url, data = ADMIN_WRITES[route](ids)
    before = state()
    resp = client.post(url, data=data)
    assert resp.status_code == 303
    assert state() != before


# --- admin creates a user ----------------------------------------------------------------------------------------


def test_admin_creates_a_user_with_a_password_and_a_mentor(app, client, admin, mentor):
    resp = client.post("/admin/users", data={"email": "Lee@Example.com", "display_name": "Lee Learner",
                                             "handle": "lee", "role": "learner", "mentor_email": mentor.email,
                                             "password": NEW_PASSWORD})
    assert resp.status_code == 303
    assert "Created learner Lee Learner (lee@example.com)." in flashes(text(client.get("/admin")))
    lee = db.session.scalar(select(User).where(User.email == "lee@example.com"))
    assert lee.handle == "lee" and lee.role == "learner"
    assert db.session.scalar(select(MentorAssignment.mentor_id)
                             .where(MentorAssignment.learner_id == lee.id)) == mentor.id
    assert greeted(browser(app, "lee@example.com", password=NEW_PASSWORD)) == "Lee Learner"
    assert outbox() == []


@pytest.mark.parametrize("form,field,message", [
    ({"password": ""}, "password", "Enter a password, or tick “Send an invitation instead”."),
    ({"password": "short"}, "password", "Use at least 10 characters."),
    ({"handle": "Bad Handle!"}, "handle",
     "3-40 lowercase letters, digits, - or _; starts and ends with a letter or digit"),
    ({"handle": "admin-panel"}, "handle", "That handle is reserved; choose another."),
    ({"email": "taken@example.com"}, "email", "An account with this email already exists."),
    ({"handle": "taken"}, "handle", "This handle is taken; choose another."),
    ({"mentor_email": "nobody@example.com"}, "mentor_email", "No account uses this email."),
])
def test_admin_create_user_uses_the_registration_rules(client, admin, form, field, message):
    make_user(email="taken@example.com", handle="taken")
    data = {"email": "lee@example.com", "display_name": "Lee Learner", "handle": "lee", "role": "learner",
            "password": NEW_PASSWORD} | form
    before = state()
    resp = client.post("/admin/users", data=data)
    assert resp.status_code in (409, 422)
    assert field_error(text(resp), "new-" + field.replace("_", "-")) == message
    assert 'value="Lee Learner"' in text(resp)
    assert state() == before


def test_admin_create_user_can_send_an_invitation_instead(client, admin):
    resp = client.post("/admin/users", data={"email": "lee@example.com", "display_name": "Lee Learner",
                                             "handle": "lee", "role": "mentor", "send_invitation": "y"})
    assert resp.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "lee@example.com")) == 0
    row = db.session.scalar(select(AccountToken))
    assert (row.email, row.role, row.display_name, row.handle) == ("lee@example.com", "mentor", "Lee Learner", "lee")
    assert [m.to_address for m in outbox()] == ["lee@example.com"]


# --- an admin sends a reset link ---------------------------------------------------------------------------------


def test_admin_sends_a_password_reset_link(app, client, admin):
    target = make_user(email="target@example.com", display_name="Tara Target")
    page = text(client.get("/admin"))
    assert f'action="/admin/users/{target.id}/reset-link"' in page
    resp = client.post(f"/admin/users/{target.id}/reset-link")
    assert resp.status_code == 303
    assert "A password-reset link was sent to target@example.com." in flashes(text(client.get("/admin")))
    [message] = outbox()
    assert "An administrator of Mastery Tracks sent you a link to choose a new password." in message.text_body
    path = link_in(message, "reset")
    guest = app.test_client()
    assert guest.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert greeted(guest) == "Tara Target"


def test_no_reset_link_for_a_deactivated_account(client, admin):
    target = make_user(email="target@example.com", is_active=False)
    resp = client.post(f"/admin/users/{target.id}/reset-link")
    assert resp.status_code == 409
    assert "deactivated" in text(resp)
    assert outbox() == []


def test_the_admin_page_query_count_does_not_grow_with_invitations(client, admin, mentor):
    from webapp.services import account_links
    from webapp.services.actors import actor_for

    def add(n, start):
        for i in range(start, start + n):
            account_links.invite(actor_for(admin), f"p{i}@example.com", "learner", mentor.email)

    add(2, 0)
    with count_queries() as small:
        assert client.get("/admin").status_code == 200
    add(20, 2)
    with count_queries() as large:
        resp = client.get("/admin")
    assert text(resp).count("/resend\"") == 22
    assert large.count == small.count, large.statements
