"""Configuration from the environment (SPEC §11), read when the factory runs, never at import time."""
from __future__ import annotations

from collections.abc import Mapping

TRUE_WORDS = {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """Start-up cannot go on; the message says what to set."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def whole_number(environ: Mapping[str, str], key: str, default: int) -> int:
    raw = environ.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{key} must be a whole number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{key} must be greater than 0, got {value}")
    return value


def defaults() -> dict:
    return {
        "ENV_NAME": "production",
        # Connections are pinged only after sitting idle (webapp/caching/pool.py), not on every checkout.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "mastery_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        # Rate-limit counts in the app's database (webapp/ratelimit.py): shared by every worker and host.
        "RATELIMIT_STORAGE_URI": "database://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        # Failed logins per account (the e-mail typed), from any number of addresses: 100 guesses a day at most,
        # and a stranger can hold the account's owner back for a day at worst (the 429 names the wait).
        "LOGIN_ACCOUNT_RATE_LIMIT": "20 per 10 minutes;100 per day",
        # Registrations answered (new address or not) per address.
        "REGISTER_RATE_LIMIT": "10 per hour;50 per day",
        "ALLOW_REGISTRATION": True,
        "STORAGE_BACKEND": "local",
        "MAX_UPLOAD_MB": 200,
        # Bodies that are not multipart uploads are read whole into memory: a JSON body (or any other) at most
        # MAX_JSON_KB, an urlencoded form (the pages' forms) at most MAX_FORM_KB (webapp/boundary.py).
        "MAX_JSON_KB": 1024,
        "MAX_FORM_KB": 4096,
        "API_MAX_PER_PAGE": 100,
        "FORCE_HTTPS": False,
        "TRUSTED_PROXY_COUNT": 0,
        # With S3, browsers download through presigned GET URLs and send large files with a presigned POST, both on
        # the store's own host. False (a store on a private network): the app streams and takes every byte itself.
        "S3_PRESIGNED_URLS": True,
        # Files at least this large go straight from the browser to S3 (presigned POST) when S3 is used.
        "DIRECT_UPLOAD_MIN_MB": 16,
        # A mentor's claim on a queued submission lapses after this many hours without activity (a saved draft).
        "REVIEW_CLAIM_HOURS": 48,
        # How often (seconds) an open page asks for the unread notification count in the navigation.
        "NOTIFICATIONS_POLL_SECONDS": 30,
        # The hour (UTC, 0-23) from which `flask worker` sends each day's notification digests.
        "DIGEST_HOUR": 8,
        # E-mail (services/mail.py, sent by `flask worker`): no SMTP_URL, no e-mail; messages wait in the outbox.
        "SMTP_URL": None,
        "MAIL_FROM": "Mastery Tracks <no-reply@localhost>",
        # The site's address for links in e-mail; unset, the address of the request that queued the message.
        "BASE_URL": None,
        "MAIL_MAX_ATTEMPTS": 8,
        "SMTP_TIMEOUT": 30,
        # Seconds between two ticks of `flask worker` when nothing was due.
        "WORKER_INTERVAL": 5,
        # Password-reset requests answered, per client address and per e-mail address typed.
        "RESET_RATE_LIMIT": "10 per hour;30 per day",
        "RESET_ADDRESS_RATE_LIMIT": "3 per hour;10 per day",
        # Tell in a Server-Timing header whether a page came from the page cache (for load tests; off in production).
        "CACHE_SERVER_TIMING": False,
    }


def load_config(environ: Mapping[str, str]) -> dict:
    """Turn the environment variables of SPEC §11 into Flask config keys."""
    cfg: dict = {}
    env_name = environ.get("MASTERY_ENV") or environ.get("FLASK_ENV")
    if env_name:
        cfg["ENV_NAME"] = env_name
    if _bool(environ.get("MASTERY_REQUIRE_DATABASE_URL"), False) and not environ.get("DATABASE_URL", "").strip():
        # The container image sets MASTERY_REQUIRE_DATABASE_URL: a SQLite file inside a container is lost with it.
        raise ConfigError("DATABASE_URL is not set: set it to the PostgreSQL database to use, "
                          "e.g. postgresql://mastery:<password>@postgres/mastery")
    if environ.get("DATABASE_URL"):
        url = environ["DATABASE_URL"]
        # Hosting platforms often hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        cfg["SQLALCHEMY_DATABASE_URI"] = url
    if environ.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("STORAGE_BACKEND"):
        backend = environ["STORAGE_BACKEND"].strip().lower()
        if backend not in ("local", "s3"):
            raise ConfigError(f"STORAGE_BACKEND must be 'local' or 's3', got {backend!r}")
        cfg["STORAGE_BACKEND"] = backend
    for key in ("STORAGE_LOCAL_DIR", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "RATELIMIT_STORAGE_URI"):
        if environ.get(key):
            cfg[key] = environ[key]
    if "MAX_UPLOAD_MB" in environ:
        cfg["MAX_UPLOAD_MB"] = whole_number(environ, "MAX_UPLOAD_MB", 200)
    for key in ("MAX_JSON_KB", "MAX_FORM_KB"):
        if key in environ:
            cfg[key] = whole_number(environ, key, defaults()[key])
    if "ALLOW_REGISTRATION" in environ:
        cfg["ALLOW_REGISTRATION"] = _bool(environ.get("ALLOW_REGISTRATION"), True)
    if "TRUSTED_PROXY_COUNT" in environ:
        raw = environ["TRUSTED_PROXY_COUNT"]
        if not raw.isdigit():
            raise ConfigError(f"TRUSTED_PROXY_COUNT must be a whole number (0 or more), got {raw!r}")
        cfg["TRUSTED_PROXY_COUNT"] = int(raw)
    if "FORCE_HTTPS" in environ:
        cfg["FORCE_HTTPS"] = _bool(environ.get("FORCE_HTTPS"), False)
    if "CACHE_SERVER_TIMING" in environ:
        cfg["CACHE_SERVER_TIMING"] = _bool(environ.get("CACHE_SERVER_TIMING"), False)
    if "S3_PRESIGNED_URLS" in environ:
        cfg["S3_PRESIGNED_URLS"] = _bool(environ.get("S3_PRESIGNED_URLS"), True)
    if "REVIEW_CLAIM_HOURS" in environ:
        cfg["REVIEW_CLAIM_HOURS"] = whole_number(environ, "REVIEW_CLAIM_HOURS", 48)
    if "NOTIFICATIONS_POLL_SECONDS" in environ:
        cfg["NOTIFICATIONS_POLL_SECONDS"] = whole_number(environ, "NOTIFICATIONS_POLL_SECONDS", 30)
    if environ.get("DIGEST_HOUR", "").strip():
        raw = environ["DIGEST_HOUR"].strip()
        if not raw.isdigit() or int(raw) > 23:
            raise ConfigError(f"DIGEST_HOUR must be an hour from 0 to 23 (UTC), got {raw!r}")
        cfg["DIGEST_HOUR"] = int(raw)
    if environ.get("SMTP_URL"):
        from .domain.mail import parse_smtp_url

        try:
            parse_smtp_url(environ["SMTP_URL"])
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        cfg["SMTP_URL"] = environ["SMTP_URL"].strip()
    if environ.get("MAIL_FROM"):
        cfg["MAIL_FROM"] = environ["MAIL_FROM"].strip()
    if environ.get("BASE_URL"):
        base = environ["BASE_URL"].strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"BASE_URL must start with http:// or https://, got {base!r}")
        cfg["BASE_URL"] = base
    for key in ("MAIL_MAX_ATTEMPTS", "SMTP_TIMEOUT", "WORKER_INTERVAL"):
        if key in environ:
            cfg[key] = whole_number(environ, key, defaults()[key])
    return cfg


def finalise(cfg: dict, instance_path: str) -> None:
    """Fill in the paths under the instance folder and check what production needs."""
    import os

    cfg.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///" + os.path.join(instance_path, "mastery.sqlite3"))
    cfg.setdefault("STORAGE_LOCAL_DIR", os.path.join(instance_path, "uploads"))
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_UPLOAD_MB"]) * 1024 * 1024 + 1024 * 1024
    check(cfg)
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _dev_secret(instance_path)
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg.get("FORCE_HTTPS"))
    cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg.get("FORCE_HTTPS"))
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {**cfg.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                            "connect_args": {"timeout": 30}}


def check(cfg: Mapping) -> None:
    """Raise ConfigError for settings that cannot work together; writes nothing."""
    if cfg.get("STORAGE_BACKEND") == "s3" and not cfg.get("S3_BUCKET"):
        raise ConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET to be set")
    dev = cfg.get("ENV_NAME") in ("development", "testing") or cfg.get("TESTING")
    if not cfg.get("SECRET_KEY") and not dev:
        raise ConfigError("SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random string")


def cannot_start(exc: ConfigError) -> str:
    """The one line a process prints when it cannot start (no traceback)."""
    return f"Mastery Tracks cannot start: {exc}"


def startup_problem(environ: Mapping[str, str]) -> str | None:
    """That line for these environment variables, or None when they can start the app. gunicorn.conf.py asks
    before any worker starts, so a bad setting stops the server at once instead of failing every worker."""
    try:
        cfg = defaults()
        cfg.update(load_config(environ))
        check(cfg)
    except ConfigError as exc:
        return cannot_start(exc)
    return None


def _dev_secret(instance_path: str) -> str:
    """Development only: a random key made once and kept in the instance folder (never committed)."""
    import os
    import secrets

    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "dev-secret-key")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    key = secrets.token_hex(32)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="utf-8") as fh:
        fh.write(key)
    return key
