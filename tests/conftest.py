"""Test fixtures. The schema comes from the Alembic migrations once per session; rows are deleted after
every test, so tests may commit (and test concurrency). TEST_DATABASE_URL selects PostgreSQL."""
from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager

import pytest
from flask import g, request_started
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, text
from werkzeug.datastructures import Headers

from webapp import caching, create_app
from webapp.extensions import db, limiter
from webapp.models import CacheRevision

from . import factories

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token header with every unsafe request, as base.html does."""

    send_csrf = True

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if self.send_csrf and method in UNSAFE and not kwargs.get("buffered_request"):
            headers = Headers(kwargs.get("headers") or {})
            if "X-CSRFToken" not in headers:
                headers["X-CSRFToken"] = self.csrf_token()
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


class RawClient(CSRFClient):
    send_csrf = False


def _database_url(tmp_path_factory) -> str:
    """SQLite: a file in this session's temp folder (pytest-xdist gives each worker its own). PostgreSQL: the
    TEST_DATABASE_URL database, or under pytest-xdist a database of its own per worker beside it
    (`<name>_gw0`, …), created on first use."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "INSTANCE_PATH": str(instance),
        "STORAGE_LOCAL_DIR": str(instance / "uploads"),
        "SERVER_NAME": "mastery.test",
    })
    application.test_client_class = CSRFClient
    with application.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            # Like PostgreSQL's fsync=off in .ci/run: a test database need not survive a power cut, and a
            # commit that waits for the disk costs most of a test that builds a world of rows.
            event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
    yield application


_SEQUENCES: list[str] = []


def _sequences(conn) -> list[str]:
    """The schema's sequences (read once): reset after each test as TRUNCATE … RESTART IDENTITY would."""
    if not _SEQUENCES:
        _SEQUENCES.extend(conn.execute(text(
            "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()")).scalars())
    return _SEQUENCES


def _fresh_g(sender, **extra) -> None:
    g.__dict__.clear()


@pytest.fixture(autouse=True)
def _clean(request):
    """Each test runs in an app context and leaves no rows and no rate-limit counts behind.
    Tests under tests/unit get neither an app nor a database."""
    if "unit" in request.node.path.parts:
        yield
        return
    app = request.getfixturevalue("app")
    # The test's app context is reused by every test-client request, so `g` (Flask-Login's cached user,
    # Flask-WTF's csrf_valid) would leak between requests; production gives each request a fresh `g`.
    request_started.connect(_fresh_g, app)
    with app.app_context():
        try:
            yield
        finally:
            request_started.disconnect(_fresh_g, app)
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            # Children before parents. DELETE, not TRUNCATE: on tables of a few rows PostgreSQL's TRUNCATE costs
            # some 30 ms a test (new files for every table), DELETE and a sequence reset a few.
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            if conn.dialect.name == "postgresql":
                sequences = _sequences(conn)
                if sequences:
                    conn.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in sequences)))
            # As the migrations leave a fresh database: the shared cache areas have their first revisions.
            conn.execute(CacheRevision.__table__.insert(),
                         [{"name": n, "revision": secrets.token_hex(16)} for n in caching.SHARED_AREAS])
        limiter.reset()


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def raw_client(app) -> RawClient:
    app.test_client_class = RawClient
    try:
        return app.test_client()
    finally:
        app.test_client_class = CSRFClient


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def log_in(client, user) -> None:
    """Log `client` in as `user` as the login form would: a new server-side session whose id the cookie carries."""
    from webapp.services import sessions

    token = sessions.start_session(user)
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True


@pytest.fixture
def login_as(client):
    """login_as("mentor") makes a user of that role, logs the client in as them, and returns the user."""

    def _login(role_or_user="learner", **kwargs):
        user = role_or_user if not isinstance(role_or_user, str) else factories.make_user(role=role_or_user, **kwargs)
        log_in(client, user)
        return user

    return _login


def hx(target: str | None = None, **extra) -> dict:
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers


@contextmanager
def count_queries():
    """Counts the SQL statements sent while the block runs: `with count_queries() as q: ...; q.count`."""

    class Counter:
        count = 0
        statements: list[str] = []

    counter = Counter()
    counter.statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            counter.count += 1
            counter.statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextmanager
def transactions_begun():
    """The ORM session transactions begun while the block runs (a list): a request served by
    caching.quickread alone begins none. Close the test's own session first, as a server's request starts
    with none open."""
    from sqlalchemy.orm import Session

    begun: list = []

    def began(session, transaction, connection):
        begun.append(transaction)

    event.listen(Session, "after_begin", began)
    try:
        yield begun
    finally:
        event.remove(Session, "after_begin", began)


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
