"""The layout (base.html) around every page, cached pages included: it renders per request, so each viewer sees
their own menu, name, token, flashed messages and settings."""
from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import log_in
from webapp.templating import nav_section


@pytest.mark.parametrize("path, section", [
    ("/", "dashboard"), ("/missions", "missions"), ("/missions/phishing-101", "missions"),
    ("/capstones/7", "capstones"), ("/mentorship/queue", "mentorship"), ("/portfolio/items/new", "portfolio"),
    ("/account", "account"), ("/admin/users", "admin"), ("/p/ada", ""), ("/missionsx", ""), ("/auth/login", ""),
])
def test_each_path_belongs_to_its_menu_section(path, section):
    assert nav_section(path) == section


@pytest.mark.parametrize("role", ["learner", "mentor", "admin", None])
def test_a_cached_page_shows_the_title_meta_and_name_escaped_for_every_viewer(app, role):
    owner = factories.make_user("learner", handle="ada", display_name='Ada <i>& "Co"</i>', bio="Blue team.")
    factories.make_item(owner, status="approved", visibility="public", title="Shown")
    client = app.test_client()
    if role:
        log_in(client, factories.make_user(role, display_name='Ann <b>& "Co"</b>'))
    pages = [client.get("/p/ada").get_data(as_text=True) for _ in range(2)]    # made, then from the cache
    for page in pages:
        assert "<title>Ada &lt;i&gt;&amp; &#34;Co&#34;&lt;/i&gt; — portfolio · Mastery Tracks</title>" in page
        assert page.count('<meta name="description"') == 1 and "Blue team." in page
        assert ("Ann &lt;b&gt;&amp; &#34;Co&#34;&lt;/b&gt;</a>" in page) == bool(role)


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


def test_each_page_signs_the_sessions_token_anew_and_every_one_posts(app, raw_client):
    """Flask-WTF signs the session's token on each request; the app keeps no signed token between requests, and
    a token from an earlier page still posts."""
    learner = factories.make_user("learner")
    mission = factories.make_mission(title="Phishing triage")
    log_in(raw_client, learner)

    def token_on_page(client):
        page = client.get(f"/missions/{mission.slug}").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    first = token_on_page(raw_client)
    token_on_page(raw_client)
    other = app.test_client()
    log_in(other, factories.make_user("learner"))
    assert token_on_page(other) != first
    assert raw_client.post("/auth/logout", data={}).status_code == 400
    assert raw_client.post("/auth/logout", data={"csrf_token": first}).status_code in (302, 303)


def test_the_layout_parts_kept_per_process_hold_no_token_and_no_user_data(app):
    """The menu and the static links are made once per role, section and setting (caching.layout_part): what is
    kept names no user and holds no session's token, and each role and section still gets its own menu."""
    mentor = factories.make_user("mentor", display_name="Mo Mentor")
    admin = factories.make_user("admin", display_name="Root Admin")
    pages = {}
    for user in (mentor, admin):
        client = app.test_client()
        log_in(client, user)
        for path in ("/missions", "/capstones"):
            pages[(user.role, path)] = client.get(path).get_data(as_text=True)
    kept = [v for v in app.extensions["revision_store"].values() if isinstance(v, str) and "nav-badge" in v]
    assert kept, "the menu is kept"
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in pages.values()}
    for html in kept:
        assert "Mo Mentor" not in html and "Root Admin" not in html
        assert not any(token in html for token in tokens)
    assert 'href="/admin"' in pages[("admin", "/missions")] and 'href="/admin"' not in pages[("mentor", "/missions")]
    assert 'href="/capstones" aria-current="page"' in pages[("mentor", "/capstones")]
    assert 'href="/capstones" aria-current' not in pages[("mentor", "/missions")]
    assert '<link rel="stylesheet" href="/static/css/app.css">' in pages[("mentor", "/missions")]
