"""compose.yaml and .env.example, the team's way to run the product (README "Run it for a team"). compose cannot
run on the test machine; scripts/container-check.sh builds and runs the image itself. These tests hold the file to
the Compose specification and to the promises the README makes about it."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from webapp.config import startup_problem

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def _example_settings() -> dict[str, str]:
    return dict(line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if line and not line.startswith("#"))


def test_compose_file_follows_the_compose_specification():
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(ROOT / "compose.yaml")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_services_a_team_needs_are_there():
    assert {"app", "worker", "postgres", "s3", "mail", "migrate"} <= set(SERVICES)
    assert SERVICES["worker"]["command"] == ["flask", "worker"]
    assert "flask db upgrade" in " ".join(SERVICES["migrate"]["command"])
    assert SERVICES["migrate"]["restart"] == "no"


def test_the_app_and_worker_start_only_after_the_migration_succeeded():
    for name in ("app", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["app"]["depends_on"]["s3"]["condition"] == "service_healthy"


def test_nothing_listens_beyond_the_apps_port_but_the_mail_catcher_on_loopback():
    published = {name: svc.get("ports", []) for name, svc in SERVICES.items() if svc.get("ports")}
    assert set(published) == {"app", "mail"}
    assert published["app"] == ["${MASTERY_PUBLISH:-127.0.0.1:8000}:8000"]
    assert all(port.startswith("127.0.0.1:") for port in published["mail"])
    assert "expose" not in SERVICES["postgres"] and "expose" not in SERVICES["s3"]


def test_health_is_checked_by_the_apps_own_probe():
    assert SERVICES["app"]["healthcheck"]["test"] == ["CMD", "python3", "-m", "webapp.probe", "/readyz"]
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}   # the worker serves no HTTP


def test_data_lives_in_named_volumes():
    assert set(COMPOSE["volumes"]) == {"pgdata", "s3data", "instance"}
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "s3data:/data" in SERVICES["s3"]["volumes"]


def test_the_store_is_used_through_the_app():
    env = SERVICES["app"]["environment"]
    assert env["STORAGE_BACKEND"] == "s3" and env["S3_PRESIGNED_URLS"] == "${S3_PRESIGNED_URLS:-false}"
    assert env["S3_ENDPOINT_URL"] == "${S3_ENDPOINT_URL:-http://s3:8333}"
    settings = _example_settings()
    assert settings["S3_PRESIGNED_URLS"] == "false" and settings["S3_ENDPOINT_URL"] == "http://s3:8333"


def test_every_variable_compose_reads_is_explained_in_env_example():
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text()))
    assert used <= set(_example_settings()), used - set(_example_settings())


def test_every_setting_in_env_example_has_its_explanation_above_it():
    """A setting (or a group of settings on consecutive lines) sits right under a comment that explains it, not
    under a section heading or a blank line."""
    lines = ENV_EXAMPLE.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            j = i - 1
            while j >= 0 and lines[j] and not lines[j].startswith("#"):
                j -= 1                                   # up past the settings of the same group
            assert j >= 0 and lines[j].startswith("# ") and not lines[j].startswith("# ----"), line


def _interpolate(value: str, env: dict[str, str]) -> str:
    """compose's `${VAR:-default}` and `${VAR:?message}` (the two forms compose.yaml uses)."""
    def one(match):
        name, form, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        assert form == "-", f"{name} must be set in .env: {rest}"
        return rest
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*):([-?])([^}]*)\}", one, str(value))


def test_env_example_with_its_secrets_filled_in_starts_the_app():
    settings = _example_settings()
    assert settings["SECRET_KEY"] == "" and settings["POSTGRES_PASSWORD"] == "" and settings["S3_SECRET_KEY"] == ""
    filled = {**settings, "SECRET_KEY": "x" * 64, "POSTGRES_PASSWORD": "pw", "S3_SECRET_KEY": "s"}
    app_env = {**filled, **{k: _interpolate(v, filled) for k, v in SERVICES["app"]["environment"].items()}}
    assert app_env["DATABASE_URL"] == "postgresql://mastery:pw@postgres:5432/mastery"
    assert app_env["SMTP_URL"] == "smtp://mail:1025"                     # the mail catcher while SMTP_URL is empty
    app_env["MASTERY_REQUIRE_DATABASE_URL"] = "1"                       # set by the image
    assert startup_problem(app_env) is None
    assert "SECRET_KEY" in startup_problem({**app_env, "SECRET_KEY": ""})
