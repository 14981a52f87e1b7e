"""How the app is started in production: gunicorn.conf.py reads its settings from the environment and refuses to
start, with one line naming the variable, when the app could not; `python -m webapp.probe` checks a running app."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from webapp.config import ConfigError, load_config, startup_problem

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          timeout=60)


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def _settings(printed: str) -> dict[str, str]:
    """`gunicorn --print-config` prints `name    = value` lines."""
    return {name.strip(): value.strip() for name, _, value in (line.partition("=") for line in printed.splitlines())
            if value}


@pytest.mark.parametrize(("env", "variable"), [
    ({}, "SECRET_KEY"),
    ({"MASTERY_REQUIRE_DATABASE_URL": "1", "SECRET_KEY": "k"}, "DATABASE_URL"),
    ({"MASTERY_REQUIRE_DATABASE_URL": "true", "SECRET_KEY": "k", "DATABASE_URL": " "}, "DATABASE_URL"),
    ({"SECRET_KEY": "k", "GUNICORN_WORKERS": "many"}, "GUNICORN_WORKERS"),
    ({"SECRET_KEY": "k", "GUNICORN_TIMEOUT": "0"}, "GUNICORN_TIMEOUT"),
    ({"SECRET_KEY": "k", "STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
])
def test_gunicorn_stops_at_once_with_one_line_naming_the_variable(env, variable):
    done = _run("-m", "gunicorn", env=env)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith("Mastery Tracks cannot start: ") and variable in line
    assert "Booting worker" not in done.stdout + done.stderr


def test_gunicorn_takes_workers_timeout_and_port_from_the_environment():
    done = _run("-m", "gunicorn", "--print-config", env={"SECRET_KEY": "k", "GUNICORN_WORKERS": "3",
                                                          "GUNICORN_TIMEOUT": "120", "PORT": "9001"})
    assert done.returncode == 0, done.stderr
    settings = _settings(done.stdout)
    assert settings["workers"].strip() == "3"
    assert settings["timeout"].strip() == "120"
    assert "0.0.0.0:9001" in settings["bind"]
    assert "wsgi:app" in settings["wsgi_app"]


def test_the_access_log_goes_to_standard_output_unless_turned_off():
    on = _settings(_run("-m", "gunicorn", "--print-config", env={"SECRET_KEY": "k"}).stdout)
    off = _settings(_run("-m", "gunicorn", "--print-config", env={"SECRET_KEY": "k", "GUNICORN_ACCESS_LOG": ""}).stdout)
    assert on["accesslog"] == "-" and off["accesslog"] == "None"


def test_web_concurrency_sets_the_workers_when_gunicorn_workers_is_unset():
    done = _run("-m", "gunicorn", "--print-config", env={"SECRET_KEY": "k", "WEB_CONCURRENCY": "5"})
    settings = _settings(done.stdout)
    assert settings["workers"].strip() == "5"


def test_the_worker_and_other_commands_stop_with_the_same_line():
    done = _run("-m", "flask", "--app", "wsgi", "worker", "--once",
                env={"MASTERY_REQUIRE_DATABASE_URL": "1", "SECRET_KEY": "k"})
    assert done.returncode != 0
    assert "DATABASE_URL is not set" in _one_line(done.stderr)


def test_database_url_is_required_only_where_the_image_asks_for_it():
    assert "SQLALCHEMY_DATABASE_URI" not in load_config({})
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        load_config({"MASTERY_REQUIRE_DATABASE_URL": "yes"})
    cfg = load_config({"MASTERY_REQUIRE_DATABASE_URL": "1", "DATABASE_URL": "postgresql://u@db/m"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/m"
    assert startup_problem({"SECRET_KEY": "k"}) is None
    assert startup_problem({"MASTERY_ENV": "development"}) is None


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server interface)
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def probe_target():
    server = HTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_probe_exits_0_on_200_and_1_otherwise(probe_target):
    assert _run("-m", "webapp.probe", env={"PORT": str(probe_target)}).returncode == 0
    failing = _run("-m", "webapp.probe", "/other", env={"PORT": str(probe_target)})
    assert failing.returncode == 1 and "HTTP 503" in failing.stderr


def test_probe_exits_1_when_nothing_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _run("-m", "webapp.probe", env={"PORT": str(port)})
    assert done.returncode == 1 and "refused" in done.stderr.lower()


def _gunicorn_settings(monkeypatch) -> dict:
    import runpy

    monkeypatch.setenv("SECRET_KEY", "k")
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_each_worker_freezes_what_it_loaded_and_again_after_its_first_requests(monkeypatch):
    import gc
    from types import SimpleNamespace

    conf = _gunicorn_settings(monkeypatch)
    worker = SimpleNamespace()
    gc.unfreeze()
    try:
        conf["post_worker_init"](worker)
        at_start = gc.get_freeze_count()
        assert at_start > 1000          # the modules and the app this process loaded
        built = [[n] for n in range(5000)]       # what the first requests build and keep
        for _ in range(conf["FREEZE_AGAIN_AFTER"] - 1):
            conf["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() == at_start
        conf["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() >= at_start + len(built)
        for _ in range(50):             # and never again: a freeze costs a full collection
            conf["post_request"](worker, None, {}, None)
        assert worker.requests_served == conf["FREEZE_AGAIN_AFTER"] + 50
    finally:
        gc.unfreeze()


def test_a_frozen_object_is_still_freed_when_nothing_refers_to_it(monkeypatch):
    import gc
    import weakref

    class Page:
        pass

    conf = _gunicorn_settings(monkeypatch)
    page = Page()
    gone = weakref.ref(page)
    gc.unfreeze()
    try:
        conf["post_worker_init"](None)
        del page
        assert gone() is None
    finally:
        gc.unfreeze()
