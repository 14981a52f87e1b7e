"""The layout around pages a view rendered itself (templating.render_page) is stored per menu section, role and
setting, and filled in per request: it must read exactly as a full render would, for every viewer."""
from __future__ import annotations

import re

import pytest
from flask import render_template
from flask_login import login_user
from markupsafe import Markup

from tests import factories
from tests.conftest import log_in
from webapp.services import sessions
from webapp.templating import nav_section, render_page


@pytest.mark.parametrize("path, section", [
    ("/", "dashboard"), ("/missions", "missions"), ("/missions/phishing-101", "missions"),
    ("/capstones/7", "capstones"), ("/mentorship/queue", "mentorship"), ("/portfolio/items/new", "portfolio"),
    ("/account", "account"), ("/admin/users", "admin"), ("/p/ada", ""), ("/missionsx", ""), ("/auth/login", ""),
])
def test_each_path_belongs_to_its_menu_section(path, section):
    assert nav_section(path) == section


def _full_render(title, content, meta=""):
    return render_template("_page.html", title=title, content=Markup(content), meta=Markup(meta))


@pytest.mark.parametrize("role, path", [("learner", "/missions/x"), ("mentor", "/mentorship/queue"),
                                        ("admin", "/admin"), (None, "/p/someone")])
def test_the_stored_layout_reads_as_a_full_render(app, role, path):
    user = factories.make_user(role, display_name='Ann <b>& "Co"</b>') if role else None
    titles = [("Phishing <triage> & more", ""), ("Second", '<meta name="description" content="x">')]
    for title, meta in titles:
        with app.test_request_context(path):
            if user is not None:
                sessions.start_session(user)   # login_user stores the session's id (services/sessions.py)
                login_user(user)
            # Twice: the first call renders and stores the layout, the second fills in the stored one.
            first = render_page(title, "<p>Body</p>", meta)
            second = render_page(title, "<p>Body</p>", meta)
            assert first == second == _full_render(title, "<p>Body</p>", meta)
            assert "<p>Body</p>" in first and "\x00" not in first
    assert "<title>Second · Mastery Tracks</title>" in first and '<meta name="description" content="x">' in first
    if user is not None:
        assert "Ann &lt;b&gt;&amp; &#34;Co&#34;&lt;/b&gt;" in first


def test_pages_show_each_viewer_their_own_menu_name_and_token(app):
    admin = factories.make_user("admin", display_name="Root Admin")
    learner = factories.make_user("learner", display_name="Lee <Learner>")
    mission = factories.make_mission(title="Phishing triage")
    seen = {}
    for user in (admin, learner):
        client = app.test_client()
        log_in(client, user)
        page = client.get(f"/missions/{mission.slug}").get_data(as_text=True)
        seen[user.display_name] = page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert f'"X-CSRFToken": "{token}"' in page
        with client.session_transaction() as sess:
            assert sess["csrf_token"]
        assert 'href="/missions" aria-current="page">Missions' in page
        assert 'href="/capstones" aria-current' not in page
    assert 'href="/admin"' in seen["Root Admin"] and ">Root Admin</a>" in seen["Root Admin"]
    assert 'href="/admin"' not in seen["Lee <Learner>"]
    assert ">Lee &lt;Learner&gt;</a>" in seen["Lee <Learner>"] and "Root Admin" not in seen["Lee <Learner>"]


def test_a_flashed_message_still_shows_on_a_page_with_a_stored_layout(app):
    learner = factories.make_user("learner")
    client = app.test_client()
    log_in(client, learner)
    client.get("/missions")
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Saved your work.")]
    page = client.get("/missions").get_data(as_text=True)
    assert '<p class="flash flash-success">Saved your work.</p>' in page
    assert "Saved your work." not in client.get("/missions").get_data(as_text=True)


def test_registration_link_follows_the_setting_with_a_stored_layout(app):
    owner = factories.make_user("learner", handle="ada")
    factories.make_item(owner, status="approved", visibility="public", title="Shown")
    client = app.test_client()
    assert 'href="/auth/register"' in client.get("/p/ada").get_data(as_text=True)
    app.config["ALLOW_REGISTRATION"] = False
    try:
        assert 'href="/auth/register"' not in client.get("/p/ada").get_data(as_text=True)
    finally:
        app.config["ALLOW_REGISTRATION"] = True


def test_a_signed_csrf_token_is_reused_for_a_minute_and_posts_with_it_succeed(app, raw_client, monkeypatch):
    """security.csrf_token() signs a session's token at most once a minute per process; the kept one still
    validates, and another session never gets it."""
    from webapp import security

    from itsdangerous.timed import TimestampSigner

    clock = [1_800_000_000.0]   # the process clock and the wall clock the tokens are signed with
    monkeypatch.setattr(security.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(clock[0]))
    learner = factories.make_user("learner")
    mission = factories.make_mission(title="Phishing triage")
    log_in(raw_client, learner)

    def token_on_page(client):
        page = client.get(f"/missions/{mission.slug}").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    first = token_on_page(raw_client)
    clock[0] += 59
    assert token_on_page(raw_client) == first
    # The kept token is a valid one: logging out with it works (without it, the post is refused).
    assert raw_client.post("/auth/logout", data={}).status_code == 400
    assert raw_client.post("/auth/logout", data={"csrf_token": first}).status_code in (302, 303)

    other = app.test_client()
    log_in(other, factories.make_user("learner"))
    assert token_on_page(other) != first
    log_in(raw_client, learner)
    again = token_on_page(raw_client)
    clock[0] += 61
    assert token_on_page(raw_client) != again   # signed anew after a minute
