"""Races against a served app: a real WSGI server on 127.0.0.1 (a free port) in a thread, real HTTP clients
logged in as real users, each request in its own server thread with its own database session and
connection. On PostgreSQL every race runs ROUNDS times; SQLite serialises writers, so it runs a few rounds
(the rules are the same, the interleavings fewer)."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from tests import factories
from webapp.extensions import db

PG_ROUNDS = 50
SQLITE_ROUNDS = 5


@pytest.fixture
def rounds(app) -> int:
    return PG_ROUNDS if db.engine.dialect.name == "postgresql" else SQLITE_ROUNDS


@pytest.fixture
def served(app):
    """The test app served over HTTP on a free port, one thread per request. Yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Browser:
    """A logged-in user's browser: a cookie session and the CSRF token the pages carry."""

    base: str
    http: requests.Session
    token: str

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.http.post(self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=30)


def browser(base: str, user) -> Browser:
    """Log `user` in through the login form (as a person would) and keep the page's CSRF token."""
    http = requests.Session()
    page = http.get(base + "/auth/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = http.post(base + "/auth/login", data={"email": user.email, "password": factories.PASSWORD,
                                                 "csrf_token": token}, allow_redirects=False, timeout=30)
    assert resp.status_code == 303, resp.text
    home = http.get(base + "/", timeout=30).text
    return Browser(base, http, re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1))


def race(*calls) -> list[requests.Response]:
    """Run the calls in threads released together by a barrier; the responses in the calls' order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            out[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [o for o in out if not isinstance(o, requests.Response)]
    assert not errors, errors
    return out


def play(rounds: int, one_round) -> None:
    """Play `one_round(n)` `rounds` times; every round runs to its end, then the failure (if any) says how many
    rounds broke a rule and shows the first one."""
    lost = []
    for n in range(rounds):
        try:
            one_round(n)
        except AssertionError as exc:
            lost.append((n, exc))
    assert not lost, f"{len(lost)} of {rounds} rounds lost the race; round {lost[0][0]}: {lost[0][1]}"
