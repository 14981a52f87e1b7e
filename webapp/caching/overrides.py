"""Per-request work of two libraries, done once where the answer cannot change: the only places the app reaches
into a library's internals. Each is pinned in pyproject.toml to the minor version it was written against, and
refuses to start on another (tests/app/test_library_overrides.py), so an upgrade fails loudly, never silently.

Kept because bench/run.py shows the logged-in pages below target without them (docs/performance.md).
"""
from __future__ import annotations

from importlib.metadata import version

from flask import request
from flask_talisman import Talisman
from werkzeug.datastructures import Headers

# The versions whose internals these overrides were written against (and pinned to in pyproject.toml).
TALISMAN_VERSIONS = ("1.1.",)
LIMITER_VERSIONS = ("4.1.",)


def _require(distribution: str, prefixes: tuple[str, ...]) -> None:
    found = version(distribution)
    if not found.startswith(prefixes):
        raise RuntimeError(f"{distribution} {found}: webapp/caching/overrides.py was written for "
                           f"{' or '.join(p + 'x' for p in prefixes)}; check it against the new version")


class StoredTalisman(Talisman):
    """Talisman, with each view's headers worked out once per process instead of on every response.

    Without a CSP nonce, what Talisman sets depends only on the view's options and on whether the request came
    over HTTPS (for HSTS); building the policy strings was about 8 % of a page's time. Talisman still decides
    every header: the first response of each (view, HTTPS) pair is passed through it (its private
    `_set_response_headers`, the after-request hook it registers), and later responses get the same headers.
    A request with a nonce goes through Talisman every time.
    """

    def init_app(self, app, **options):
        _require("flask-talisman", TALISMAN_VERSIONS)
        self._stored_headers: dict = {}
        super().init_app(app, **options)

    def _set_response_headers(self, response):
        if getattr(request, "csp_nonce", None):
            return super()._set_response_headers(response)
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"
        key = (request.endpoint, secure)
        headers = self._stored_headers.get(key)
        if headers is None:
            blank = _HeadersOnly()
            super()._set_response_headers(blank)
            headers = self._stored_headers[key] = tuple(blank.headers.items())
        for name, value in headers:
            response.headers[name] = value
        return response


class _HeadersOnly:
    """A stand-in response that Talisman writes its headers to."""

    def __init__(self):
        self.headers = Headers()


def limiter_without_request_hook(app, limiter) -> None:
    """Bind Flask-Limiter without its check on every request.

    The app has no default, application or blueprint-wide limits: only views decorated with `@limiter.limit`
    are limited, and the decorator checks its own limit when the view runs. Flask-Limiter's before-request hook
    (it has no public option to leave it out) would only walk empty lists for every other request, at about 5 %
    of a page's time. Its after-request hook (the X-RateLimit headers) and its teardown stay."""
    _require("flask-limiter", LIMITER_VERSIONS)
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    kept = [hook for hook in hooks if getattr(hook, "__self__", None) is not limiter]
    if len(hooks) - len(kept) != 1:
        raise RuntimeError("Flask-Limiter no longer registers exactly one before-request hook: "
                           "check webapp/caching/overrides.py against it")
    app.before_request_funcs[None] = kept
