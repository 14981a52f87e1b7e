"""/healthz and /readyz: cheap, unauthenticated, never cached, no cookie, no detail for an attacker; /readyz answers
503 while the database is unreachable or behind on migrations, or storage is unusable, and recovers without a
restart once that is fixed."""
from __future__ import annotations

import logging
import os
import shutil
import socket

import pytest
from sqlalchemy import text

from tests.conftest import count_queries
from webapp.extensions import db

LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite", "alembic", "bucket", "uploads", "postgres")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_app(tmp_path, **config):
    from webapp import create_app

    base = {"TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "instance"),
            "STORAGE_LOCAL_DIR": str(tmp_path / "uploads")}
    return create_app({**base, **config})


def assert_probe(resp, code: int, status: str) -> None:
    assert resp.status_code == code, resp.get_data(as_text=True)
    assert resp.get_json() == {"status": status}
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in resp.headers
    body = resp.get_data(as_text=True)
    assert not any(word in body for word in LEAKS)


def test_healthz_answers_without_the_database(client):
    with count_queries() as q:
        resp = client.get("/healthz")
    assert_probe(resp, 200, "ok")
    assert q.count == 0


def test_healthz_answers_while_the_database_is_down(tmp_path):
    outage = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://m@127.0.0.1:{_closed_port()}/m")
    assert_probe(outage.test_client().get("/healthz"), 200, "ok")


def test_readyz_is_ready_on_a_migrated_database_with_storage(client):
    assert_probe(client.get("/readyz"), 200, "ready")


def test_readyz_is_unavailable_while_the_database_is_down_and_logs_why(tmp_path, caplog):
    outage = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://m@127.0.0.1:{_closed_port()}/m")
    with caplog.at_level(logging.WARNING):
        resp = outage.test_client().get("/readyz")
    assert_probe(resp, 503, "unavailable")
    assert "readyz: not ready: database: OperationalError" in caplog.text   # the operator's detail is in the log


def test_readyz_is_unavailable_while_migrations_are_behind_and_recovers_after_upgrade(client, caplog):
    with db.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        with caplog.at_level(logging.WARNING):
            assert_probe(client.get("/readyz"), 503, "unavailable")
        assert f"schema at 0001, the code needs {head}" in caplog.text
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert_probe(client.get("/readyz"), 200, "ready")


def test_readyz_recovers_without_a_restart_when_the_database_appears(tmp_path):
    """The database file's folder does not exist yet (a volume not mounted, a server not up): 503. Once the
    database is there and migrated, the same process answers 200."""
    folder = tmp_path / "later"
    later = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/mastery.sqlite3")
    probe = later.test_client()
    assert_probe(probe.get("/readyz"), 503, "unavailable")
    folder.mkdir()
    assert_probe(probe.get("/readyz"), 503, "unavailable")        # reachable now, but no schema yet
    with later.app_context():
        from flask_migrate import upgrade

        upgrade()
    assert_probe(probe.get("/readyz"), 200, "ready")


def test_readyz_is_unavailable_while_local_storage_is_missing(app, tmp_path, caplog):
    other = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])  # the tests' database
    probe = other.test_client()
    assert_probe(probe.get("/readyz"), 200, "ready")
    shutil.rmtree(tmp_path / "uploads")
    with caplog.at_level(logging.WARNING):
        assert_probe(probe.get("/readyz"), 503, "unavailable")
    assert "storage: the folder" in caplog.text and "is missing" in caplog.text
    os.makedirs(tmp_path / "uploads")
    assert_probe(probe.get("/readyz"), 200, "ready")


@pytest.fixture
def https_app(tmp_path):
    """An app that forces HTTPS. Talisman is one object per process (webapp.security.talisman), set by the latest
    create_app: afterwards an app with the tests' settings is made again, so later tests see them."""
    yield _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.sqlite3", FORCE_HTTPS=True)
    _make_app(tmp_path / "after", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.sqlite3")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_not_redirected_to_https(https_app, path):
    """A load balancer probes over plain HTTP inside its network, even where the site forces HTTPS."""
    resp = https_app.test_client().get(path)
    assert resp.status_code in (200, 503) and "Location" not in resp.headers


def test_a_page_is_still_redirected_to_https_where_the_site_forces_it(https_app):
    resp = https_app.test_client().get("/auth/login")
    assert resp.status_code in (301, 302) and resp.headers["Location"].startswith("https://")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_take_only_get(client, method):
    for path in ("/healthz", "/readyz"):
        assert getattr(client, method)(path).status_code == 405
