"""Sessions end on the server: logout, a password change and deactivation (SPEC §12).

Each browser is a test client that logs in through the login form; a stolen cookie is replayed from a fresh
client that carries nothing else."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import count_queries, hx
from tests.factories import PASSWORD, make_token, make_user
from webapp.extensions import db
from webapp.models import ApiToken, UserSession
from webapp.models.base import utcnow
from webapp.services import sessions

from .helpers import location_path, text

SESSION_COOKIE = "mastery_session"
REMEMBER_COOKIE = "remember_token"
NEW_PASSWORD = "a-brand-new-password"


def browser(app, email: str | None = None, password: str = PASSWORD, remember: bool = False):
    """A new test client (a browser of its own), logged in through the form when `email` is given."""
    client = app.test_client()
    if email:
        form = {"email": email, "password": password}
        if remember:
            form["remember"] = "y"
        resp = client.post("/auth/login", data=form)
        assert resp.status_code == 303, text(resp)[:300]
    return client


def cookie(client, name: str) -> str:
    found = client.get_cookie(name, domain="mastery.test")
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app, **cookies):
    """A fresh client carrying only these cookies (as copied from another browser)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value, domain="mastery.test")
    return client


def greeted(client) -> str | None:
    """Who the dashboard greets, or None when "/" shows the first-visit page meant for a visitor."""
    resp = client.get("/")
    if resp.status_code == 302:
        assert location_path(resp) == "/auth/login"
        return None
    assert resp.status_code == 200
    page = text(resp)
    if "Welcome, " not in page:
        assert "Learn cybersecurity by doing the job" in page
        return None
    return page.split("Welcome, ", 1)[1].split("<", 1)[0].strip()


def hx_redirect_path(resp) -> str:
    return urlsplit(resp.headers["HX-Redirect"]).path


def session_rows(user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


@pytest.fixture
def ann():
    return make_user(email="ann@example.com", display_name="Ann Analyst")


# --- logout -----------------------------------------------------------------------------------------------


def test_logout_then_replaying_the_old_session_cookie_is_not_logged_in(app, ann):
    laptop = browser(app, ann.email)
    stolen = cookie(laptop, SESSION_COOKIE)
    assert greeted(replay(app, **{SESSION_COOKIE: stolen})) == "Ann Analyst"   # the copy works while logged in
    assert laptop.post("/auth/logout").status_code == 303
    thief = replay(app, **{SESSION_COOKIE: stolen})
    assert greeted(thief) is None
    resp = thief.get("/capstones", headers=hx(target="capstone-list"))
    assert resp.status_code == 401 and hx_redirect_path(resp) == "/auth/login"
    assert session_rows(ann) == 0


def test_logout_then_replaying_the_old_remember_me_cookie_is_not_logged_in(app, ann):
    laptop = browser(app, ann.email, remember=True)
    remembered = cookie(laptop, REMEMBER_COOKIE)
    # The remember-me cookie alone logs a browser in while the session lives.
    assert greeted(replay(app, **{REMEMBER_COOKIE: remembered})) == "Ann Analyst"
    assert laptop.post("/auth/logout").status_code == 303
    assert greeted(laptop) is None
    assert greeted(replay(app, **{REMEMBER_COOKIE: remembered})) is None
    assert session_rows(ann) == 0


def test_logout_leaves_the_same_users_other_devices_logged_in(app, ann):
    laptop = browser(app, ann.email)
    phone = browser(app, ann.email, remember=True)
    phone_remember = cookie(phone, REMEMBER_COOKIE)
    assert session_rows(ann) == 2
    assert laptop.post("/auth/logout").status_code == 303
    assert greeted(laptop) is None
    assert greeted(phone) == "Ann Analyst"
    assert greeted(replay(app, **{REMEMBER_COOKIE: phone_remember})) == "Ann Analyst"
    assert session_rows(ann) == 1


def test_each_login_starts_a_new_session_id_and_the_cookie_holds_no_user_id(app, ann):
    first, second = browser(app, ann.email), browser(app, ann.email)
    with first.session_transaction() as one, second.session_transaction() as two:
        assert one["_user_id"] != two["_user_id"]
        assert one["_user_id"] != str(ann.id) and len(one["_user_id"]) >= 40
    # The database keeps only a hash of each id.
    hashes = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(hashes) == 2 and one["_user_id"] not in hashes


def test_a_cookie_made_before_sessions_were_kept_no_longer_logs_in(app, ann):
    # A session cookie of an older release carries the user id itself.
    old = app.test_client()
    with old.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = str(ann.id), True
    assert greeted(old) is None


# --- password change --------------------------------------------------------------------------------------


def change_password(client):
    return client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})


def test_password_change_ends_every_other_session_and_remember_me_and_keeps_this_one(app, ann):
    laptop = browser(app, ann.email)
    phone = browser(app, ann.email, remember=True)
    phone_session, phone_remember = cookie(phone, SESSION_COOKIE), cookie(phone, REMEMBER_COOKIE)
    tablet = browser(app, ann.email)
    assert change_password(laptop).status_code == 303
    assert greeted(laptop) == "Ann Analyst"
    assert greeted(phone) is None
    assert greeted(tablet) is None
    assert greeted(replay(app, **{SESSION_COOKIE: phone_session})) is None
    assert greeted(replay(app, **{REMEMBER_COOKIE: phone_remember})) is None
    assert session_rows(ann) == 1
    # The new password logs in anew.
    assert greeted(browser(app, ann.email, password=NEW_PASSWORD)) == "Ann Analyst"


def test_a_refused_password_change_ends_no_session(app, ann):
    laptop, phone = browser(app, ann.email), browser(app, ann.email)
    resp = laptop.post("/account/password", data={"current_password": "not-my-password",
                                                  "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 422
    assert greeted(phone) == "Ann Analyst" and greeted(laptop) == "Ann Analyst"
    assert session_rows(ann) == 2


def test_password_change_leaves_other_users_sessions_alone(app, ann):
    bob = make_user(email="bob@example.com", display_name="Bob Builder")
    laptop, bobs = browser(app, ann.email), browser(app, bob.email)
    assert change_password(laptop).status_code == 303
    assert greeted(bobs) == "Bob Builder"


def test_end_all_sessions_is_one_service_call_for_a_password_reset(app, ann):
    laptop, phone = browser(app, ann.email), browser(app, ann.email, remember=True)
    remembered = cookie(phone, REMEMBER_COOKIE)
    assert sessions.end_all_sessions(ann) == 2
    assert greeted(laptop) is None and greeted(phone) is None
    assert greeted(replay(app, **{REMEMBER_COOKIE: remembered})) is None


# --- deactivation -----------------------------------------------------------------------------------------


def test_deactivation_ends_every_session_and_api_token_even_after_reactivation(app, ann):
    laptop = browser(app, ann.email, remember=True)
    stolen_session, stolen_remember = cookie(laptop, SESSION_COOKIE), cookie(laptop, REMEMBER_COOKIE)
    phone = browser(app, ann.email)
    _, secret = make_token(ann)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    admin = make_user("admin", email="root@example.com")
    desk = browser(app, admin.email)
    assert desk.post(f"/admin/users/{ann.id}/deactivate").status_code == 303
    assert greeted(laptop) is None and greeted(phone) is None
    resp = app.test_client().get("/api/v1/me", headers=bearer)
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"
    assert session_rows(ann) == 0
    # Reactivated, the account logs in anew; nothing from before comes back.
    assert desk.post(f"/admin/users/{ann.id}/activate").status_code == 303
    assert greeted(replay(app, **{SESSION_COOKIE: stolen_session})) is None
    assert greeted(replay(app, **{REMEMBER_COOKIE: stolen_remember})) is None
    assert greeted(laptop) is None
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == ann.id)) is not None
    assert greeted(browser(app, ann.email)) == "Ann Analyst"
    assert greeted(desk) == admin.display_name   # the admin's own session is untouched


# --- expiry -----------------------------------------------------------------------------------------------


def test_a_session_unused_for_longer_than_its_lifetime_no_longer_logs_in(app, ann):
    laptop = browser(app, ann.email)
    remembered = browser(app, ann.email, remember=True)
    db.session.execute(UserSession.__table__.update().values(
        last_seen_at=utcnow() - timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"] + 60)))
    db.session.commit()
    assert greeted(laptop) is None              # a plain session lives two weeks unused
    assert greeted(remembered) == "Ann Analyst"  # a remembered one as long as its cookie
    # Logging in again sweeps the user's expired rows.
    browser(app, ann.email)
    assert session_rows(ann) == 2


def test_a_session_in_use_is_seen_at_most_once_an_hour(app, ann):
    laptop = browser(app, ann.email)
    laptop.get("/")
    with count_queries() as q:
        laptop.get("/account")
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in q.statements)
    two_hours_ago = utcnow() - timedelta(hours=2)
    db.session.execute(UserSession.__table__.update().values(last_seen_at=two_hours_ago))
    db.session.commit()
    assert greeted(laptop) == "Ann Analyst"
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) > two_hours_ago + timedelta(hours=1)
