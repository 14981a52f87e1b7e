"""Every page, whoever asks, carries the security headers: a CSP with no inline script, no framing, nosniff."""
from __future__ import annotations

import re

import pytest

from tests.factories import make_user

SKIP_PREFIXES = ("/static/", "/api/", "/files/", "/s/")  # files carry their own sandboxing CSP (tested there)


def _get_pages(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES):
            continue
        rules.append(rule.rule)
    return sorted(set(rules))


def _concrete(path: str) -> str:
    """Fill URL parameters with values that reach the handler (it may answer 404: headers must still be there)."""
    return re.sub(r"<(?:int:)?[a-z_]+>", "1", re.sub(r"<path:[a-z_]+>", "x", path))


@pytest.mark.parametrize("role", [None, "learner", "mentor", "admin"])
def test_every_html_page_sends_the_security_headers(app, client, login_as, role):
    if role:
        login_as(role)
    make_user("learner", handle="someone")
    checked = 0
    for rule in _get_pages(app):
        resp = client.get(_concrete(rule))
        if resp.status_code in (301, 302, 303, 308):
            continue
        assert resp.status_code < 500, (rule, resp.status_code)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, rule
        assert "frame-ancestors 'none'" in csp, rule
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", rule
        assert resp.headers.get("X-Frame-Options") == "DENY", rule
        assert resp.headers.get("Referrer-Policy"), rule
        if resp.mimetype == "text/html":
            body = resp.get_data(as_text=True)
            assert "<script>" not in body and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), rule
            assert not re.search(r"\sstyle=\"", body), rule
            assert not re.search(r"\shx-on", body), rule
        checked += 1
    assert checked >= (3 if role is None else 8)


def test_nul_characters_are_refused_with_422_everywhere_not_a_500(client, login_as):
    from tests.factories import make_token

    user = login_as("learner")
    resp = client.get("/missions?q=a%00b")
    assert resp.status_code == 422 and "NUL" in resp.get_data(as_text=True)
    resp = client.post("/account/profile", data={"display_name": "A\x00B", "handle": "abc", "bio": ""})
    assert resp.status_code == 422
    _, token = make_token(user)
    resp = client.post("/api/v1/portfolio-items", json={"title": "ok", "item_type": "writeup",
                                                        "skill_tags": ["fine", "bad\x00tag"]},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    body = resp.get_json()["error"]
    assert body["code"] == "invalid" and "skill_tags.1" in body["fields"]


def _talisman_app():
    from flask import Flask

    from webapp.caching.overrides import StoredTalisman

    app = Flask(__name__)
    guard = StoredTalisman()

    @app.get("/page")
    def page():
        return "page"

    @app.get("/file")
    @guard(content_security_policy={"default-src": "'none'", "sandbox": ""})
    def file():
        return "file"

    guard.init_app(app, force_https=False, strict_transport_security=True, content_security_policy={
        "default-src": "'self'", "frame-ancestors": "'none'"}, content_security_policy_nonce_in=[])
    return app


def test_stored_headers_follow_each_views_options_and_the_scheme_on_every_response():
    client = _talisman_app().test_client()
    for _ in range(3):   # the first response of each (view, scheme) works the headers out; the rest reuse them
        page, file = client.get("/page"), client.get("/file")
        assert page.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
        assert "sandbox" in file.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in page.headers   # plain HTTP: no HSTS
        secure = client.get("/page", base_url="https://localhost")
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
        proxied = client.get("/file", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in proxied.headers and "sandbox" in proxied.headers["Content-Security-Policy"]
        for resp in (page, file, secure, proxied):
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
            assert resp.headers.getlist("Content-Security-Policy") == [resp.headers["Content-Security-Policy"]]
