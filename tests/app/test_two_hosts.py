"""Two hosts, one state: two app servers (separate gunicorn processes on two ports, each with its own instance
folder) share the test database and one S3 bucket. A session made on one works on the other, a file uploaded
through one downloads through the other, and the login rate limit counts the attempts on both."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests import factories
from tests.media_samples import sample
from tests.storage.conftest import REGION, s3_bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server at {base} exited:\n{log.read_text()}")
        try:
            requests.get(base + "/auth/login", timeout=10)
            return
        except (requests.RequestException, OSError):
            time.sleep(0.1)
    raise AssertionError(f"nothing answers at {base}:\n{log.read_text()}")


@pytest.fixture
def hosts(app, s3_endpoint, s3_bucket, tmp_path):  # noqa: F811
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MASTERY_ENV": "production",
           "SECRET_KEY": "two-hosts-share-this-secret-key-0123456789", "STORAGE_BACKEND": "s3",
           "S3_BUCKET": s3_bucket, "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": REGION,
           "RATELIMIT_STORAGE_URI": "database://", "DIRECT_UPLOAD_MIN_MB": "64"}
    servers, logs = [], []
    try:
        for name in ("a", "b"):
            port = free_port()   # gunicorn fails at once (and says so) if another process took it meanwhile
            log = tmp_path / f"host-{name}.log"
            logs.append(log.open("w"))
            proc = subprocess.Popen(
                [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
                cwd=ROOT, env={**env, "MASTERY_INSTANCE_PATH": str(tmp_path / f"instance-{name}")},
                stdout=logs[-1], stderr=subprocess.STDOUT, start_new_session=True)
            servers.append((proc, f"http://127.0.0.1:{port}", log))
        for proc, base, log in servers:
            wait_until_up(base, proc, log)
        yield [base for _, base, _ in servers]
    finally:
        for proc, _, _ in servers:
            proc.terminate()
        for proc, _, _ in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for handle in logs:
            handle.close()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def log_in(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    token = csrf_from(session.get(base + "/auth/login").text)
    return session.post(base + "/auth/login", data={"email": email, "password": password, "csrf_token": token})


def test_a_session_made_on_one_host_works_on_the_other(hosts):
    a, b = hosts
    factories.make_user("learner", email="ada@example.com", display_name="Ada Lovelace")
    browser = requests.Session()
    resp = log_in(browser, a, "ada@example.com", factories.PASSWORD)
    assert resp.status_code == 200 and "Ada Lovelace" in resp.text
    page = browser.get(b + "/account")
    assert page.status_code == 200 and page.url == b + "/account"
    assert "ada@example.com" in page.text
    # Logging out through B ends the session on A too (the cookie is signed with the shared key).
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    assert browser.post(b + "/auth/logout", headers={"X-CSRFToken": token}).status_code == 200
    assert browser.get(a + "/account", allow_redirects=False).status_code == 302


def test_a_file_uploaded_through_one_host_downloads_through_the_other(hosts, s3_client, s3_bucket):  # noqa: F811
    a, b = hosts
    factories.make_user("learner", email="ada@example.com")
    browser = requests.Session()
    log_in(browser, a, "ada@example.com", factories.PASSWORD)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', browser.get(a + "/files").text).group(1)
    pdf = sample("pdf")
    resp = browser.post(a + "/files", data={"kind": "document"}, files={"file": ("evidence.pdf", pdf)},
                        headers={"X-CSRFToken": token, "HX-Request": "true", "HX-Target": "uploads"})
    assert resp.status_code == 201, resp.text
    key = json.loads(resp.headers["HX-Trigger"])["file-uploaded"]["key"]
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])] == [key]
    download = browser.get(f"{b}/files/{key}")
    assert download.status_code == 200
    assert download.content == pdf


def test_the_login_rate_limit_holds_across_both_hosts(hosts):
    a, b = hosts
    factories.make_user("learner", email="ada@example.com")
    visitor = requests.Session()
    statuses = []
    for attempt in range(10):
        statuses.append(log_in(visitor, (a, b)[attempt % 2], "ada@example.com", "wrong password").status_code)
    assert statuses == [422] * 10
    # Five attempts went to each host: with counts kept per process neither would refuse yet.
    for base in (a, b):
        refused = log_in(visitor, base, "ada@example.com", factories.PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed login attempts from your address. Try again in 1 minute." in refused.text
