"""Static files (/static/…) are served by WhiteNoise, in front of the Flask app.

A request for a static file never reaches Flask: no session is opened, no user loaded, no database touched. WhiteNoise
reads the folder's list of files once at start (in development, where files change, it looks again on each request),
answers conditional requests (ETag, Last-Modified → 304) and sends a file's pre-compressed `.gz` twin when the browser
accepts gzip and the twin exists: the container image makes the twins at build time (`python -m whitenoise.compress
static`). Files are cached by browsers for `max_age` seconds (WhiteNoise's default, 60), since their names carry no
version: after an upgrade, every browser has the new files within a minute.
"""
from __future__ import annotations


def _headers(headers, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


def serve_static(app) -> None:
    from whitenoise import WhiteNoise

    app.wsgi_app = WhiteNoise(app.wsgi_app, root=app.static_folder, prefix="static/",
                              autorefresh=bool(app.config.get("ENV_NAME") == "development" or app.debug),
                              allow_all_origins=False, add_headers_function=_headers)
