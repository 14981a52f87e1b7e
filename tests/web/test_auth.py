"""Registration, login, logout, the login rate limit, CSRF and what logged-out visitors get."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_from, hx, log_in
from tests.factories import PASSWORD, make_user
from webapp.extensions import db
from webapp.models import User

from .helpers import db_state, field_error, flashes, location, location_path, next_param, path_of, text

SESSION_EXPIRED = "Your session expired. Reload the page."


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register_form(**overrides) -> dict:
    form = {"email": "New.Person@Example.COM", "display_name": "New Person", "handle": "new-person",
            "password": "a-long-enough-password", "confirm": "a-long-enough-password"}
    form.update(overrides)
    return form


def current_user_name(client) -> str | None:
    """Who the dashboard greets, or None when "/" shows a visitor the first-visit page (or sends them to log in)."""
    resp = client.get("/")
    if resp.status_code == 302:
        return None
    page = text(resp)
    if "Welcome, " not in page:
        return None
    return page.split("Welcome, ", 1)[1].split("<", 1)[0].strip()


# --- registration -----------------------------------------------------------------------------------------


def test_register_page_shows_the_form(client):
    resp = client.get("/auth/register")
    assert resp.status_code == 200
    page = text(resp)
    assert "Create an account" in page
    for name in ("email", "display_name", "handle", "password", "confirm"):
        assert f'name="{name}"' in page


REGISTERED = ("Thanks for registering. Log in with your email and password to start. "
              "(If this address already had an account, its password has not changed.)")


def test_register_valid_form_creates_learner_with_lowercased_email_and_sends_to_login(client):
    # Registration does not log in: an address that already has an account gets the very same answer
    # (see test_register_existing_email_answers_exactly_as_a_new_one_and_creates_nothing).
    resp = client.post("/auth/register", data=register_form())
    assert resp.status_code == 303
    assert location_path(resp) == "/auth/login"
    user = db.session.scalar(select(User).where(User.handle == "new-person"))
    assert user is not None
    assert user.email == "new.person@example.com"
    assert user.role == "learner"
    assert user.is_active
    assert user.display_name == "New Person"
    assert "a-long-enough-password" not in user.password_hash
    follow = client.get("/auth/login")
    assert REGISTERED in flashes(text(follow))
    assert current_user_name(client) is None


def test_register_new_account_can_log_in_with_its_password_later(client):
    client.post("/auth/register", data=register_form())
    resp = client.post("/auth/login", data={"email": "NEW.person@example.com", "password": "a-long-enough-password"})
    assert resp.status_code == 303
    assert current_user_name(client) == "New Person"


def _without_csrf(page: str) -> str:
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+"', r'\1"',
                  re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1"', page))


def test_register_existing_email_answers_exactly_as_a_new_one_and_creates_nothing(app):
    owner = make_user(email="taken@example.com", display_name="Original Owner", handle="original")
    before = db_state()
    new_visitor, prober = app.test_client(), app.test_client()
    fresh = new_visitor.post("/auth/register", data=register_form(email="fresh@example.com", handle="fresh-one"))
    probe = prober.post("/auth/register", data=register_form(email="Taken@Example.com", handle="probe-one"))
    assert (probe.status_code, probe.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    assert text(probe) == text(fresh)
    assert sorted(probe.headers.keys()) == sorted(fresh.headers.keys())
    assert _without_csrf(text(prober.get("/auth/login"))) == _without_csrf(text(new_visitor.get("/auth/login")))
    # Nothing was made for the taken address: no second account, no session, the owner's account unchanged.
    after = db_state()
    assert len(after["users"]) == len(before["users"]) + 1
    assert [u for u in after["users"] if u[0] == owner.id] == [u for u in before["users"] if u[0] == owner.id]
    assert db.session.scalar(select(User).where(User.handle == "probe-one")) is None
    assert current_user_name(prober) is None
    # The owner still logs in with their own password, the prober's does not work.
    assert prober.post("/auth/login", data={"email": "taken@example.com",
                                            "password": "a-long-enough-password"}).status_code == 422
    assert prober.post("/auth/login", data={"email": "taken@example.com", "password": PASSWORD}).status_code == 303


def test_register_existing_email_with_a_taken_handle_answers_as_a_new_email_would(client):
    make_user(email="taken@example.com", handle="someone")
    make_user(handle="taken-handle")
    new = client.post("/auth/register", data=register_form(email="fresh@example.com", handle="taken-handle"))
    old = client.post("/auth/register", data=register_form(email="taken@example.com", handle="taken-handle"))
    assert new.status_code == old.status_code == 422
    assert field_error(text(old), "handle") == field_error(text(new), "handle") == "This handle is taken; choose another."
    assert field_error(text(old), "email") is None


def test_register_taken_handle_is_422_with_message_beside_handle(client):
    make_user(handle="taken-handle")
    before = user_count()
    resp = client.post("/auth/register", data=register_form(handle="taken-handle"))
    assert resp.status_code == 422
    assert field_error(text(resp), "handle") == "This handle is taken; choose another."
    assert field_error(text(resp), "email") is None
    assert user_count() == before


@pytest.mark.parametrize("handle", ["ab", "Has Space", "UPPER", "-leading-dash", "trailing_", "x" * 41, "a/b"])
def test_register_bad_handle_is_422_with_handle_rule_and_no_user(client, handle):
    resp = client.post("/auth/register", data=register_form(handle=handle))
    assert resp.status_code == 422
    assert "3-40 lowercase letters" in (field_error(text(resp), "handle") or "")
    assert user_count() == 0


def test_register_reserved_handle_is_422_and_no_user(client):
    resp = client.post("/auth/register", data=register_form(handle="api"))
    assert resp.status_code == 422
    assert "reserved" in (field_error(text(resp), "handle") or "")
    assert user_count() == 0


def test_register_short_password_is_422_with_length_message(client):
    resp = client.post("/auth/register", data=register_form(password="short", confirm="short"))
    assert resp.status_code == 422
    assert field_error(text(resp), "password") == "Use at least 10 characters."
    assert user_count() == 0


def test_register_mismatched_confirm_is_422_with_message_beside_confirm(client):
    resp = client.post("/auth/register", data=register_form(confirm="a-different-password"))
    assert resp.status_code == 422
    assert field_error(text(resp), "confirm") == "The passwords do not match."
    assert user_count() == 0


def test_register_invalid_email_is_422_and_keeps_other_input(client):
    resp = client.post("/auth/register", data=register_form(email="not-an-email"))
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "email") == "Enter a valid email address."
    assert 'value="new-person"' in page  # the handle the visitor typed is still there
    assert "a-long-enough-password" not in page  # passwords are never echoed back
    assert user_count() == 0


def test_register_when_registration_disabled_is_404_and_creates_nothing(app, client):
    old = app.config["ALLOW_REGISTRATION"]
    app.config["ALLOW_REGISTRATION"] = False
    try:
        assert client.get("/auth/register").status_code == 404
        resp = client.post("/auth/register", data=register_form())
        assert resp.status_code == 404
        login_page = text(client.get("/auth/login"))
    finally:
        app.config["ALLOW_REGISTRATION"] = old
    assert user_count() == 0
    assert "/auth/register" not in login_page  # no link to a page that does not exist


def test_register_when_logged_in_redirects_to_dashboard(client, login_as):
    login_as("learner")
    resp = client.get("/auth/register")
    assert resp.status_code == 302
    assert location_path(resp) == "/"


# --- login ------------------------------------------------------------------------------------------------


def test_login_valid_credentials_is_303_to_dashboard_and_logs_in(client):
    user = make_user(email="ann@example.com", display_name="Ann Analyst")
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    assert location_path(resp) == "/"
    page = text(client.get("/"))
    assert "Welcome, Ann Analyst" in page
    assert "Welcome back, Ann Analyst." in " ".join(flashes(page))
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_email_in_other_case_logs_in(client):
    make_user(email="ann@example.com", display_name="Ann Analyst")
    resp = client.post("/auth/login", data={"email": "  ANN@Example.com ", "password": PASSWORD})
    assert resp.status_code == 303
    assert current_user_name(client) == "Ann Analyst"


def test_login_wrong_password_is_422_not_correct_and_stays_logged_out(client):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": "wrong-password"})
    assert resp.status_code == 422
    assert field_error(text(resp), "password") == "The email or password is not correct."
    assert current_user_name(client) is None


def test_login_unknown_email_gets_the_same_message_as_wrong_password(client):
    resp = client.post("/auth/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert resp.status_code == 422
    assert field_error(text(resp), "password") == "The email or password is not correct."


def test_login_inactive_user_is_refused(client):
    make_user(email="gone@example.com", is_active=False)
    resp = client.post("/auth/login", data={"email": "gone@example.com", "password": PASSWORD})
    assert resp.status_code == 422
    assert "not correct" in (field_error(text(resp), "password") or "")
    assert current_user_name(client) is None


def test_login_session_of_user_deactivated_later_is_logged_out(client, login_as):
    user = login_as("learner")
    assert current_user_name(client) == user.display_name
    user.is_active = False
    db.session.commit()
    assert current_user_name(client) is None


def test_login_next_relative_path_is_honoured(client):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login?next=/missions?track=grc", data={"email": "ann@example.com",
                                                                     "password": PASSWORD})
    assert resp.status_code == 303
    assert location(resp) == "/missions?track=grc"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish", "http:/evil.example",
                                    "javascript:alert(1)", "missions"])
def test_login_next_external_or_odd_url_redirects_to_dashboard(client, target):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login", query_string={"next": target},
                       data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    assert resp.headers["Location"] in ("/", "http://mastery.test/")
    assert "evil" not in resp.headers["Location"]


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "/\t/evil.example", "\\\\evil.example"])
def test_login_next_with_backslash_or_tab_tricks_stays_on_this_site(client, target):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login", query_string={"next": target},
                       data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    where = resp.headers["Location"]
    # Browsers read "\\" as "/" and drop tabs: the header must not become a protocol-relative URL.
    assert urlsplit(where).netloc in ("", "mastery.test")
    assert not where.startswith("//") and "\\" not in where and "\t" not in where


def test_login_page_when_logged_in_redirects_to_dashboard(client, login_as):
    login_as("learner")
    resp = client.get("/auth/login")
    assert resp.status_code == 302
    assert location_path(resp) == "/"


def test_login_missing_fields_is_422_with_messages(client):
    resp = client.post("/auth/login", data={"email": "", "password": ""})
    assert resp.status_code == 422
    assert field_error(text(resp), "email") == "Enter your email."
    assert field_error(text(resp), "password") == "Enter your password."


# --- logout -----------------------------------------------------------------------------------------------


def test_logout_get_is_405_and_stays_logged_in(client, login_as):
    user = login_as("learner")
    resp = client.get("/auth/logout")
    assert resp.status_code == 405
    assert current_user_name(client) == user.display_name


def test_logout_post_logs_out_and_redirects_to_login(client, login_as):
    user = login_as("learner")
    assert current_user_name(client) == user.display_name
    resp = client.post("/auth/logout")
    assert resp.status_code == 303
    assert location_path(resp) == "/auth/login"
    assert "You are logged out." in " ".join(flashes(text(client.get("/auth/login"))))
    assert current_user_name(client) is None


def test_logout_button_is_a_post_form_with_csrf_token(client, login_as):
    login_as("learner")
    page = text(client.get("/"))
    form = page.split('action="/auth/logout"', 1)
    assert len(form) == 2
    assert 'method="post"' in form[0][-60:]
    assert 'name="csrf_token"' in form[1].split("</form>", 1)[0]


# --- rate limit -------------------------------------------------------------------------------------------


def test_login_eleventh_post_within_a_minute_is_429_with_clear_message(client):
    make_user(email="ann@example.com", display_name="Ann Analyst")
    for attempt in range(10):
        resp = client.post("/auth/login", data={"email": "ann@example.com", "password": "wrong-password"})
        assert resp.status_code == 422
        assert resp.headers["X-RateLimit-Remaining"] == str(9 - attempt)   # the limit the form is counted against
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    page = text(resp)
    assert "Too many failed login attempts from your address. Try again in 1 minute." in page
    assert "<html" in page
    # Even the right password does not get through while limited.
    assert current_user_name(client) is None


def _log_in_and_out(client, email: str) -> None:
    resp = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 303, text(resp)[:300]
    assert client.post("/auth/logout").status_code == 303


def test_login_many_successful_logins_from_one_address_are_not_limited(client):
    # A classroom behind one NAT address, or one person logging in and out: more than both the minute's (10)
    # and the hour's (50) limits, all from the same address.
    people = [make_user(email=f"pupil{n}@example.com") for n in range(4)]
    for round_ in range(14):
        for person in people:
            _log_in_and_out(client, person.email)
    resp = client.post("/auth/login", data={"email": people[0].email, "password": PASSWORD})
    assert resp.status_code == 303
    assert resp.headers["X-RateLimit-Remaining"] == "10"   # nothing counted against the minute's limit
    assert current_user_name(client) == people[0].display_name


def test_login_failed_attempts_count_and_successes_between_them_do_not(client):
    user = make_user(email="ann@example.com", display_name="Ann Analyst")
    for _ in range(9):
        assert client.post("/auth/login", data={"email": "ann@example.com", "password": "nope"}).status_code == 422
    _log_in_and_out(client, user.email)
    _log_in_and_out(client, user.email)
    resp = client.post("/auth/login", data={"email": "nobody@example.com", "password": "nope"})
    assert resp.status_code == 422 and resp.headers["X-RateLimit-Remaining"] == "0"   # the tenth failure
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": "nope"})
    assert resp.status_code == 429
    assert "Too many failed login attempts from your address." in text(resp)


def test_login_refused_by_the_hourly_limit_names_the_hours_wait_not_a_minute(client, app, monkeypatch):
    # The hourly limit trips before the minute's (here after 3 failures): the page names the hour's wait.
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "10 per minute;3 per hour")
    make_user(email="ann@example.com")
    for _ in range(3):
        assert client.post("/auth/login", data={"email": "ann@example.com", "password": "nope"}).status_code == 422
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 429
    page = text(resp)
    assert "Try again in 60 minutes." in page
    assert "minute and try again" not in page and "Try again in 1 minute" not in page
    assert int(resp.headers["Retry-After"]) > 59 * 60
    assert current_user_name(client) is None


def test_login_refused_by_both_limits_names_the_longer_wait(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute;3 per day")
    make_user(email="ann@example.com")
    for _ in range(3):
        assert client.post("/auth/login", data={"email": "ann@example.com", "password": "nope"}).status_code == 422
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": "nope"})
    assert resp.status_code == 429
    assert "Try again in 24 hours." in text(resp)
    assert int(resp.headers["Retry-After"]) > 23 * 3600


def test_login_page_get_is_not_rate_limited(client):
    for _ in range(15):
        resp = client.get("/auth/login")
        assert resp.status_code == 200 and "X-RateLimit-Remaining" not in resp.headers


def from_address(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"198.51.100.{n}"}}


def test_login_failures_on_one_account_from_many_addresses_are_limited_too(client):
    # 20 failed attempts a 10 minutes per account (LOGIN_ACCOUNT_RATE_LIMIT), each from an address of its own:
    # no address reaches its own limit.
    make_user(email="ann@example.com", display_name="Ann Analyst")
    bob = make_user(email="bob@example.com", display_name="Bob Builder")
    for n in range(20):
        resp = client.post("/auth/login", data={"email": "ann@example.com", "password": "guess"}, **from_address(n))
        assert resp.status_code == 422
    resp = client.post("/auth/login", data={"email": " ANN@example.com", "password": "guess"}, **from_address(99))
    assert resp.status_code == 429
    page = text(resp)
    assert "Too many failed login attempts for this account. Try again in 10 minutes." in page
    assert "from your address" not in page
    assert 9 * 60 < int(resp.headers["Retry-After"]) <= 10 * 60
    # Even the right password, from a fresh address, waits.
    resp = client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD}, **from_address(98))
    assert resp.status_code == 429
    assert current_user_name(client) is None
    # Another account from the same addresses is not held back.
    resp = client.post("/auth/login", data={"email": bob.email, "password": PASSWORD}, **from_address(3))
    assert resp.status_code == 303


def test_login_limit_per_account_does_not_tell_a_registered_address_from_an_unknown_one(client):
    make_user(email="ann@example.com")
    answers = {}
    for email in ("ann@example.com", "nobody@example.com"):
        for n in range(20):
            client.post("/auth/login", data={"email": email, "password": "guess"}, **from_address(n))
        resp = client.post("/auth/login", data={"email": email, "password": "guess"}, **from_address(50))
        answers[email] = (resp.status_code, _without_csrf(text(resp)).replace(email, "EMAIL"))
    assert answers["ann@example.com"] == answers["nobody@example.com"]
    assert answers["ann@example.com"][0] == 429


def test_login_successes_do_not_count_toward_the_account_limit(client):
    user = make_user(email="ann@example.com", display_name="Ann Analyst")
    for n in range(25):
        resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, **from_address(n))
        assert resp.status_code == 303
        assert client.post("/auth/logout", **from_address(n)).status_code == 303
    for n in range(19):
        assert client.post("/auth/login", data={"email": user.email, "password": "guess"},
                           **from_address(n)).status_code == 422
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                       **from_address(30)).status_code == 303


def test_register_is_limited_per_address_and_the_429_names_the_wait(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_RATE_LIMIT", "3 per hour")
    for n in range(3):
        resp = client.post("/auth/register", data=register_form(email=f"p{n}@example.com", handle=f"person-{n}"))
        assert resp.status_code == 303
    before = user_count()
    resp = client.post("/auth/register", data=register_form(email="p9@example.com", handle="person-9"))
    assert resp.status_code == 429
    page = text(resp)
    assert "Too many registrations from your address. Try again in 60 minutes." in page
    assert "<html" in page
    assert int(resp.headers["Retry-After"]) > 59 * 60
    assert user_count() == before
    # Another address may still register.
    resp = client.post("/auth/register", data=register_form(email="p9@example.com", handle="person-9"),
                       **from_address(7))
    assert resp.status_code == 303


def test_register_limit_counts_answered_registrations_not_forms_sent_back_to_fix(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_RATE_LIMIT", "2 per hour")
    for _ in range(5):
        assert client.post("/auth/register", data=register_form(confirm="typo-typo-typo")).status_code == 422
    assert client.post("/auth/register", data=register_form()).status_code == 303
    make_user(email="taken@example.com")
    # An existing address counts like a new one (the limit must not tell them apart either).
    assert client.post("/auth/register", data=register_form(email="taken@example.com",
                                                            handle="other-one")).status_code == 303
    assert client.post("/auth/register", data=register_form(email="x@example.com",
                                                            handle="x-person")).status_code == 429


# --- CSRF -------------------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_400_session_expired_and_changes_nothing(raw_client):
    user = make_user(display_name="Before Name", handle="before-handle")
    log_in(raw_client, user)
    before = db_state()
    resp = raw_client.post("/account/profile", data={"display_name": "After Name", "handle": "after-handle",
                                                     "bio": "changed"})
    assert resp.status_code == 400
    assert SESSION_EXPIRED in text(resp)
    assert db_state() == before


def test_register_without_csrf_token_is_400_and_creates_no_user(raw_client):
    resp = raw_client.post("/auth/register", data=register_form())
    assert resp.status_code == 400
    assert SESSION_EXPIRED in text(resp)
    assert user_count() == 0


def test_logout_without_csrf_token_is_400_and_stays_logged_in(raw_client):
    user = make_user(display_name="Still Here")
    log_in(raw_client, user)
    resp = raw_client.post("/auth/logout")
    assert resp.status_code == 400
    assert current_user_name(raw_client) == "Still Here"


def test_htmx_post_without_csrf_token_is_400_fragment_into_flashes(raw_client):
    user = make_user()
    log_in(raw_client, user)
    resp = raw_client.post("/account/tokens", data={"name": "ci"}, headers=hx(target="api-tokens"))
    assert resp.status_code == 400
    page = text(resp)
    assert SESSION_EXPIRED in page
    assert "<html" not in page
    assert resp.headers["HX-Retarget"] == "#flashes"
    assert db_state()["tokens"] == []


def test_post_with_wrong_csrf_token_is_400(raw_client):
    user = make_user()
    log_in(raw_client, user)
    resp = raw_client.post("/account/tokens", data={"name": "ci", "csrf_token": "forged"})
    assert resp.status_code == 400
    assert SESSION_EXPIRED in text(resp)
    assert db_state()["tokens"] == []


def test_form_post_with_token_from_page_works_without_javascript(raw_client):
    make_user(email="ann@example.com", display_name="Ann Analyst")
    token = csrf_from(text(raw_client.get("/auth/login")))
    resp = raw_client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD,
                                                "csrf_token": token})
    assert resp.status_code == 303
    assert current_user_name(raw_client) == "Ann Analyst"


# --- logged-out visitors on protected pages ---------------------------------------------------------------


# "/" and the catalogue are public (the first visit: tests/web/test_first_visit.py).
@pytest.mark.parametrize("path", ["/capstones", "/portfolio", "/account", "/admin"])
def test_protected_page_plain_request_logged_out_is_302_to_login_with_next(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert location_path(resp) == "/auth/login"
    assert next_param(resp.headers["Location"]) == path


@pytest.mark.parametrize("path", ["/capstones", "/portfolio", "/account", "/admin"])
def test_protected_page_htmx_request_logged_out_is_401_with_hx_redirect_to_login(client, path):
    resp = client.get(path, headers=hx(target="mission-list"))
    assert resp.status_code == 401
    assert "Location" not in resp.headers
    redirect_to = resp.headers["HX-Redirect"]
    assert path_of(redirect_to) == "/auth/login"
    assert next_param(redirect_to) == path


def test_protected_page_logged_out_then_login_returns_to_that_page(client):
    make_user(email="ann@example.com")
    login_url = location(client.get("/account"))
    resp = client.post(login_url, data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    assert location(resp) == "/account"


def test_protected_post_logged_out_then_login_returns_to_the_form_page_not_a_405(client):
    make_user(email="ann@example.com")
    resp = client.post("/account/tokens", data={"name": "laptop"},
                       headers={"Referer": "http://mastery.test/account?tab=tokens"})
    assert resp.status_code == 302
    assert next_param(resp.headers["Location"]) == "/account?tab=tokens"
    login = client.post(location(resp), data={"email": "ann@example.com", "password": PASSWORD})
    assert location(login) == "/account?tab=tokens"
    assert client.get(location(login)).status_code == 200
    assert db_state()["tokens"] == []  # the refused post was not replayed


@pytest.mark.parametrize("referer", [None, "https://evil.example/account"])
def test_protected_post_logged_out_without_our_referer_logs_in_to_dashboard(client, referer):
    make_user(email="ann@example.com")
    resp = client.post("/auth/logout", headers={"Referer": referer} if referer else {})
    assert resp.status_code == 302
    assert next_param(resp.headers["Location"]) is None
    login = client.post(location(resp), data={"email": "ann@example.com", "password": PASSWORD})
    assert location_path(login) == "/"
    assert client.get("/").status_code == 200


def test_login_then_logout_then_login_as_someone_else_greets_the_second_user(client):
    make_user(email="ann@example.com", display_name="Ann Analyst")
    make_user(email="bob@example.com", display_name="Bob Builder")
    client.post("/auth/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert current_user_name(client) == "Ann Analyst"
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": "bob@example.com", "password": PASSWORD})
    assert current_user_name(client) == "Bob Builder"


def test_display_name_with_html_is_escaped_on_pages(client, login_as):
    login_as("learner", display_name="<script>alert(1)</script>")
    page = text(client.get("/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_logout_get_405_page_says_action_not_allowed(client, login_as):
    login_as("learner")
    resp = client.get("/auth/logout")
    assert resp.status_code == 405
    assert "That action is not allowed here." in text(resp)
    assert "POST" in resp.headers["Allow"]
