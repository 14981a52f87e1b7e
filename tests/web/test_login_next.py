"""?next= on login: a line break or other control character in it is refused like any odd target (the dashboard),
never a 500 and never a second header."""
from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: session=attacker", "/missions\r\n", "/a\nb", "/a\rb",
                                    "/a\x0bb", "/a\x85b", "/a\u2028b"])
def test_login_next_with_a_line_break_or_control_character_goes_to_the_dashboard(client, target):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login", query_string={"next": target},
                       data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    assert resp.headers["Location"] in ("/", "http://mastery.test/")
    assert "attacker" not in " ".join(resp.headers.getlist("Set-Cookie"))


def test_login_next_with_an_encoded_line_break_stays_a_harmless_path(client):
    make_user(email="ann@example.com")
    resp = client.post("/auth/login", query_string={"next": "/%0d%0aSet-Cookie:x=1"},
                       data={"email": "ann@example.com", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"].lower().endswith("/%0d%0aset-cookie:x=1")
    assert "x=1" not in " ".join(resp.headers.getlist("Set-Cookie"))


def test_logged_in_visit_with_a_line_break_in_next_goes_to_the_dashboard(client, login_as):
    login_as("learner")
    resp = client.get("/auth/login", query_string={"next": "/\r\nX-Injected: 1"})
    assert resp.status_code == 302 and resp.headers["Location"] in ("/", "http://mastery.test/")
    assert "X-Injected" not in resp.headers
