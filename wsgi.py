"""Entry point for `flask --app wsgi …` and for gunicorn (`gunicorn wsgi:app`)."""
from webapp import create_app
from webapp.config import ConfigError, cannot_start

try:
    app = create_app()
except ConfigError as exc:  # one line that says what to set, not a traceback
    raise SystemExit(cannot_start(exc)) from None
