"""Configuration comes from the environment when the factory runs (SPEC §11)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.config import ConfigError, finalise, load_config

ROOT = Path(__file__).resolve().parents[2]


def _start(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MASTERY_ENV", "FLASK_ENV")}
    env.update({"MASTERY_INSTANCE_PATH": str(tmp_path), **env_extra})
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_production_start_without_secret_key_stops_with_one_line_saying_what_to_set(tmp_path):
    result = _start({}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0] and "Traceback" not in result.stderr


def test_production_start_with_secret_key_succeeds(tmp_path):
    result = _start({"SECRET_KEY": "a-long-random-production-key"}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_development_generates_a_key_once_and_keeps_it_in_the_instance_folder(tmp_path):
    cfg1 = {"ENV_NAME": "development", "MAX_UPLOAD_MB": 10}
    cfg2 = dict(cfg1)
    finalise(cfg1, str(tmp_path))
    finalise(cfg2, str(tmp_path))
    assert cfg1["SECRET_KEY"] == cfg2["SECRET_KEY"] and len(cfg1["SECRET_KEY"]) >= 32
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_environment_variables_map_to_settings():
    cfg = load_config({"DATABASE_URL": "postgres://u:p@db/mastery", "STORAGE_BACKEND": "S3", "S3_BUCKET": "b",
                       "MAX_UPLOAD_MB": "50", "ALLOW_REGISTRATION": "false", "SECRET_KEY": "k"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/mastery"
    assert cfg["STORAGE_BACKEND"] == "s3" and cfg["S3_BUCKET"] == "b"
    assert cfg["MAX_UPLOAD_MB"] == 50 and cfg["ALLOW_REGISTRATION"] is False


@pytest.mark.parametrize("env, message", [
    ({"MAX_UPLOAD_MB": "lots"}, "MAX_UPLOAD_MB must be a whole number"),
    ({"MAX_UPLOAD_MB": "0"}, "MAX_UPLOAD_MB must be greater than 0"),
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be 'local' or 's3'"),
])
def test_bad_environment_values_are_refused_with_a_message(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env)


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("false", False), ("FALSE", False),
                                           ("0", False), ("off", False), ("", True)])
def test_s3_presigned_urls_parses_true_and_false(raw, expected):
    assert load_config({"S3_PRESIGNED_URLS": raw})["S3_PRESIGNED_URLS"] is expected


@pytest.mark.parametrize("raw, expected", [(None, True), ("false", False)])
def test_s3_presigned_urls_reaches_the_s3_backend_and_is_on_when_absent(tmp_path, monkeypatch, raw, expected):
    from webapp import create_app
    from webapp.storage import get_storage

    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_BUCKET", "uploads")
    monkeypatch.setenv("S3_REGION", "eu-central-1")
    if raw is None:
        monkeypatch.delenv("S3_PRESIGNED_URLS", raising=False)
        assert "S3_PRESIGNED_URLS" not in load_config({})
    else:
        monkeypatch.setenv("S3_PRESIGNED_URLS", raw)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "db.sqlite3")})
    assert app.config["S3_PRESIGNED_URLS"] is expected
    with app.app_context():
        assert get_storage().presigned_urls is expected


def test_s3_backend_without_a_bucket_is_refused(tmp_path):
    cfg = {"STORAGE_BACKEND": "s3", "MAX_UPLOAD_MB": 10, "SECRET_KEY": "k"}
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        finalise(cfg, str(tmp_path))


def test_security_headers_forbid_inline_script_and_framing(client):
    resp = client.get("/auth/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.text and "style=" not in resp.text


def test_session_cookie_is_httponly_and_samesite_lax(client):
    from tests.factories import PASSWORD, make_user
    from tests.conftest import csrf_from

    make_user("learner", email="c@example.com")
    page = client.get("/auth/login")
    resp = client.post("/auth/login", data={"email": "c@example.com", "password": PASSWORD,
                                            "csrf_token": csrf_from(page.text)})
    cookie = resp.headers.get("Set-Cookie", "")
    assert resp.status_code == 303
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_a_trusted_proxy_login_limits_count_each_visitor_not_the_proxy(tmp_path):
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "db.sqlite3"),
                      "TRUSTED_PROXY_COUNT": 1})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    client = app.test_client()

    def attempt(ip):
        return client.post("/auth/login", data={"email": "x@example.com", "password": "wrong-password"},
                           headers={"X-Forwarded-For": ip}).status_code

    assert [attempt("203.0.113.5") for _ in range(10)] == [422] * 10
    assert attempt("203.0.113.5") == 429
    assert attempt("198.51.100.7") == 422  # another visitor behind the same proxy is not locked out


def test_trusted_proxy_count_must_be_a_number():
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        load_config({"TRUSTED_PROXY_COUNT": "yes"})
