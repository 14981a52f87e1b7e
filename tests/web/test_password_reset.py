"""Password reset (SPEC §12): /auth/reset answers the same for every address; the e-mailed link works once, for an
hour, and using it ends every other session of the account."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user
from webapp.extensions import db
from webapp.models import AccountToken, OutgoingEmail
from webapp.models.base import utcnow

from .helpers import field_error, flashes, text
from .test_sessions import REMEMBER_COOKIE, SESSION_COOKIE, browser, cookie, greeted, replay, session_rows

NEW_PASSWORD = "a-brand-new-password"


@pytest.fixture
def ann():
    return make_user(email="ann@example.com", display_name="Ann Analyst")


def outbox() -> list[OutgoingEmail]:
    db.session.expire_all()
    return db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()


def reset_link(message: OutgoingEmail) -> str:
    """The path of the reset link in a queued message (its text part; the HTML part holds the same)."""
    found = re.search(r"https?://[^/\s]+(/auth/reset/[A-Za-z0-9_-]+)", message.text_body)
    assert found, message.text_body
    assert found.group(1) in message.html_body
    return found.group(1)


def ask(client, email: str, **kwargs):
    return client.post("/auth/reset", data={"email": email}, **kwargs)


def choose(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None, **extra):
    return client.post(path, data={"password": password, "confirm": confirm or password, **extra})


def _without_csrf(page: str) -> str:
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+"', r'\1"',
                  re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1"', page))


def test_the_login_page_links_to_the_reset_form(client):
    page = text(client.get("/auth/login"))
    assert '<a href="/auth/reset">Forgot password?</a>' in page
    form = text(client.get("/auth/reset"))
    assert '<label for="email">Email</label>' in form


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_an_email(app, ann):
    answers = {}
    for email in ("ann@example.com", "nobody@example.com"):
        client = app.test_client()
        resp = ask(client, email)
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/auth/reset")
        answers[email] = _without_csrf(text(client.get("/auth/reset"))).replace(email, "EMAIL")
    assert answers["ann@example.com"] == answers["nobody@example.com"]
    assert "If an account uses that address, we sent a link" in answers["ann@example.com"]
    sent = outbox()
    assert [m.to_address for m in sent] == ["ann@example.com"]
    assert sent[0].user_id == ann.id and sent[0].status == "queued"
    assert sent[0].subject == "Reset your Mastery Tracks password"
    assert "http://mastery.test/auth/reset/" in sent[0].text_body     # an absolute link


def test_a_deactivated_account_gets_no_email(client, ann):
    ann.is_active = False
    db.session.commit()
    assert ask(client, ann.email).status_code == 303
    assert outbox() == []


def test_an_empty_address_is_refused_beside_the_field(client):
    resp = ask(client, "")
    assert resp.status_code == 422
    assert field_error(text(resp), "email") == "Enter your email."


def test_the_link_sets_the_password_logs_in_and_ends_every_other_session(app, ann):
    laptop = browser(app, ann.email)
    phone = browser(app, ann.email, remember=True)
    phone_session, phone_remember = cookie(phone, SESSION_COOKIE), cookie(phone, REMEMBER_COOKIE)
    visitor = app.test_client()
    ask(visitor, ann.email)
    path = reset_link(outbox()[0])
    form = visitor.get(path)
    assert form.status_code == 200 and "Choose a new password" in text(form)
    resp = choose(visitor, path)
    assert resp.status_code == 303
    assert "Your password is changed, and every other session of your account has ended." in flashes(
        text(visitor.get("/")))
    assert greeted(visitor) == "Ann Analyst"
    assert greeted(laptop) is None and greeted(phone) is None
    assert greeted(replay(app, **{SESSION_COOKIE: phone_session})) is None
    assert greeted(replay(app, **{REMEMBER_COOKIE: phone_remember})) is None
    assert session_rows(ann) == 1
    assert greeted(browser(app, ann.email, password=NEW_PASSWORD)) == "Ann Analyst"
    assert app.test_client().post("/auth/login", data={"email": ann.email, "password": PASSWORD}).status_code == 422


def test_the_link_works_once(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    assert choose(app.test_client(), path).status_code == 303
    again = app.test_client()
    for resp in (again.get(path), choose(again, path, "yet-another-password")):
        assert resp.status_code == 410
        page = text(resp)
        assert "This password-reset link has already been used." in page
        assert 'href="/auth/reset">Ask for a new link</a>' in page
    assert greeted(browser(app, ann.email, password=NEW_PASSWORD)) == "Ann Analyst"


def test_an_expired_link_is_refused_and_changes_nothing(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    laptop = browser(app, ann.email)
    resp = choose(app.test_client(), path)
    assert resp.status_code == 410
    assert "This password-reset link has expired: links work for one hour." in text(resp)
    assert greeted(laptop) == "Ann Analyst"
    assert greeted(browser(app, ann.email)) == "Ann Analyst"      # the old password still works


def test_the_link_expires_after_an_hour():
    from webapp.domain.mail import RESET_LIFETIME

    assert RESET_LIFETIME == timedelta(hours=1)


def test_a_new_link_lasts_an_hour(client, ann):
    ask(client, ann.email)
    row = db.session.scalar(select(AccountToken))
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)
    assert row.purpose == "reset" and row.user_id == ann.id


@pytest.mark.parametrize("path", ["/auth/reset/not-a-token", "/auth/reset/" + "x" * 300])
def test_a_tampered_link_is_a_clear_400(client, ann, path):
    for resp in (client.get(path), choose(client, path)):
        assert resp.status_code == 400
        assert "This password-reset link is not valid." in text(resp)


def test_a_tampered_copy_of_a_real_link_is_refused(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert choose(app.test_client(), tampered).status_code == 400
    assert choose(app.test_client(), path).status_code == 303


def test_only_a_hash_of_the_token_is_stored(client, ann):
    ask(client, ann.email)
    token = reset_link(outbox()[0]).rsplit("/", 1)[1]
    row = db.session.scalar(select(AccountToken))
    assert token not in row.token_hash and len(row.token_hash) == 64


def test_a_short_or_mismatched_password_keeps_the_link_and_says_why(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    client = app.test_client()
    resp = choose(client, path, "short", "short")
    assert resp.status_code == 422
    assert field_error(text(resp), "password") == "Use at least 10 characters."
    resp = choose(client, path, NEW_PASSWORD, "something-else-entirely")
    assert resp.status_code == 422
    assert field_error(text(resp), "confirm") == "The passwords do not match."
    assert choose(client, path).status_code == 303          # still usable after a refused form


def test_a_password_change_on_the_account_page_voids_pending_links(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    laptop = browser(app, ann.email)
    assert laptop.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}).status_code == 303
    resp = choose(app.test_client(), path, "someone-elses-password")
    assert resp.status_code == 410
    assert "the password was changed since it was sent" in text(resp)


def test_using_one_link_voids_the_others(app, ann):
    ask(app.test_client(), ann.email)
    ask(app.test_client(), ann.email)
    first, second = (reset_link(m) for m in outbox())
    assert choose(app.test_client(), second).status_code == 303
    assert choose(app.test_client(), first, "another-new-password").status_code == 410


def test_requests_are_limited_per_address_typed(client, app, monkeypatch, ann):
    monkeypatch.setitem(app.config, "RESET_ADDRESS_RATE_LIMIT", "3 per hour")
    for n in range(3):
        assert ask(client, "ANN@example.com ", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code == 303
    resp = ask(client, "ann@example.com", environ_base={"REMOTE_ADDR": "198.51.100.50"})
    assert resp.status_code == 429
    assert "Too many password-reset requests. Try again in 60 minutes." in text(resp)
    assert len(outbox()) == 3
    # Another address from the same client is not held back.
    assert ask(client, "bob@example.com", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 303


def test_requests_are_limited_per_client_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_RATE_LIMIT", "4 per hour")
    for n in range(4):
        assert ask(client, f"person{n}@example.com").status_code == 303
    resp = ask(client, "person9@example.com")
    assert resp.status_code == 429
    assert "Too many password-reset requests." in text(resp)


def test_a_refused_request_queues_nothing(client, app, monkeypatch, ann):
    monkeypatch.setitem(app.config, "RESET_RATE_LIMIT", "1 per hour")
    ask(client, "someone@example.com")
    assert ask(client, ann.email).status_code == 429
    assert outbox() == []


def test_link_pages_are_kept_by_no_cache_and_their_url_goes_to_no_other_site(app, ann):
    ask(app.test_client(), ann.email)
    path = reset_link(outbox()[0])
    for resp in (app.test_client().get(path), app.test_client().get("/auth/reset/not-a-token"),
                 app.test_client().get("/auth/invite/not-a-token")):
        assert resp.headers["Cache-Control"] == "no-store"
        assert '<meta name="referrer" content="no-referrer">' in text(resp)
