"""While the database is unreachable (a restart, a failover), every kind of request answers 503 with the service's
message and Retry-After, never a 500 or a stack trace, whether the database was gone before the user could be
loaded or went away in the middle of the request. Found by bench/soak.py restarting PostgreSQL under load."""
from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tests.conftest import hx, log_in
from tests.factories import make_item, make_user
from webapp.errors import HTTP_MESSAGES
from webapp.extensions import db

MESSAGE = HTTP_MESSAGES[503]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # nothing listens there once the socket is closed: connections are refused


@pytest.fixture
def outage_app(tmp_path):
    """An app whose PostgreSQL server is down: every connection attempt is refused."""
    from webapp import create_app

    return create_app({"TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                       "WTF_CSRF_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://mastery@127.0.0.1:{_closed_port()}/mastery"})


def assert_outage_page(resp) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)[:500]
    body = resp.get_data(as_text=True)
    assert MESSAGE in body
    assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
    assert resp.headers["Retry-After"].isdigit()   # 5, or the login rate limit's window on the login form
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/capstones/1", "/portfolio", "/mentorship/queue", "/files/files/document/x"])
def test_logged_in_pages_answer_503_when_the_user_cannot_be_loaded(outage_app, path):
    client = outage_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"
        sess["_fresh"] = True
    assert_outage_page(client.get(path))


def test_visitor_pages_and_login_answer_503(outage_app):
    client = outage_app.test_client()
    assert_outage_page(client.get("/p/someone"))
    assert_outage_page(client.post("/auth/login", data={"email": "a@example.com", "password": "x" * 12}))


def test_htmx_request_gets_the_message_as_a_flash_fragment(outage_app):
    client = outage_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"
    resp = client.get("/mentorship/badge", headers=hx())
    assert_outage_page(resp)
    assert resp.headers["HX-Retarget"] == "#flashes"


def test_api_answers_503_in_the_error_shape(outage_app):
    resp = outage_app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer mt_" + "a" * 43})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["error"]["code"] == "unavailable"


@contextmanager
def database_goes_down(when):
    """From the first statement for which `when(sql)` is true, every statement fails as if the server had gone."""
    state = {"down": False}

    def before(conn, cursor, statement, parameters, context, executemany):
        state["down"] = state["down"] or when(statement)
        if state["down"]:
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield state
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_database_lost_after_the_user_was_loaded_still_answers_503(client):
    """The rollback expires the loaded user; the page must not reload it from the database that is gone."""
    user = make_user("learner")
    path = f"/portfolio/items/{make_item(user).id}"
    log_in(client, user)
    with database_goes_down(lambda sql: "portfolio_items" in sql) as state:
        resp = client.get(path)
    assert state["down"]
    assert_outage_page(resp)
    assert client.get(path).status_code == 200   # back as soon as the database is


def test_write_that_loses_the_database_answers_503_and_saves_nothing(client):
    user = make_user("learner")
    item = make_item(user, title="Before", summary="before")
    path = f"/portfolio/items/{item.id}"
    log_in(client, user)
    data = {"title": "After", "item_type": "writeup", "summary": "after", "skill_tags": "", "mission_id": "",
            "capstone_id": ""}
    with database_goes_down(lambda sql: sql.lstrip().upper().startswith("UPDATE")):
        resp = client.post(path, data=data)
    assert_outage_page(resp)
    db.session.expire_all()
    assert (item.title, item.summary) == ("Before", "before")


def test_response_still_goes_out_when_the_database_drops_while_the_session_closes(tmp_path, monkeypatch):
    """PostgreSQL stopping just after a page was rendered: the rollback that closes the request's session fails
    on the dropped connection. The finished page is still sent, the connection goes back to the pool, and the
    next request works. (Its own app: the test app context would keep the session open across requests.)"""
    import sqlite3

    from flask_migrate import upgrade

    from webapp import create_app

    app = create_app({"TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "db.sqlite3")})
    with app.app_context():
        upgrade()
        user = make_user("learner", handle="pat")
        make_item(user, status="approved", visibility="public", title="Shown")
        engine = db.engine
    dialect = engine.dialect
    real_rollback = dialect.do_rollback
    calls = []

    def rollback_on_a_dropped_connection(dbapi_connection):
        if dbapi_connection.isolation_level is None:
            # A one-round-trip read in autocommit mode (webapp/caching/quickread.py), not the session's transaction.
            return real_rollback(dbapi_connection)
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("terminating connection due to administrator command")
        return real_rollback(dbapi_connection)

    monkeypatch.setattr(dialect, "do_rollback", rollback_on_a_dropped_connection)
    # As the PostgreSQL dialects do for this message: the connection is invalidated, not put back for reuse.
    monkeypatch.setattr(dialect, "is_disconnect", lambda exc, conn, cursor: "terminating connection" in str(exc))
    client = app.test_client()
    resp = client.get("/p/pat")
    assert calls, "the page's read transaction was closed with a rollback"
    assert resp.status_code == 200 and "Shown" in resp.get_data(as_text=True)
    assert engine.pool.checkedout() == 0
    monkeypatch.undo()
    assert client.get("/p/pat").status_code == 200
    engine.dispose()
