"""Entry point for `flask --app wsgi …` and for gunicorn (`gunicorn wsgi:app`)."""
from webapp import create_app
from webapp.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # one line that says what to set, not a traceback
    raise SystemExit(f"Mastery Tracks cannot start: {exc}") from None
