"""Role checks and security headers (flask-talisman sets the CSP and friends)."""
from __future__ import annotations

import time
from functools import wraps

from flask import current_app, g, request, session
from flask_login import current_user
from flask_talisman import Talisman
from werkzeug.datastructures import Headers

from .domain.errors import Forbidden

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'", "blob:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

class StoredTalisman(Talisman):
    """Talisman, with each view's headers worked out once per process instead of on every response.

    Without a CSP nonce, what Talisman sets depends only on the view's options and on whether the request came
    over HTTPS (for HSTS); building the policy strings was about 8 % of a page's time. Talisman still decides
    every header: the first response of each (view, HTTPS) pair is passed through it, and later responses get
    the same headers. A request with a nonce goes through Talisman every time.
    """

    def init_app(self, app, **options):
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


talisman = StoredTalisman()


STORAGE_DIRECTIVES = ("img-src", "media-src", "connect-src")


def _allow_storage_origins(response):
    """With S3, players and uploads talk to the bucket's host: let the CSP allow exactly that host."""
    from .storage import get_storage

    policy = response.headers.get("Content-Security-Policy")
    if not policy or "sandbox" in policy:
        return response
    origins = getattr(get_storage(), "origins", None)
    if origins is None:
        return response
    extra = " ".join(origins())
    parts = []
    for directive in policy.split(";"):
        name = directive.strip().split(" ", 1)[0]
        parts.append(f"{directive.strip()} {extra}" if name in STORAGE_DIRECTIVES else directive.strip())
    response.headers["Content-Security-Policy"] = "; ".join(parts)
    return response


RESIGN_AFTER = 60   # seconds a signed CSRF token is reused for (capped at a tenth of WTF_CSRF_TIME_LIMIT)


def csrf_token() -> str:
    """Flask-WTF's signed CSRF token for this session, signed at most once a minute per session and process.

    `generate_csrf()` signs the session's token with the current time on every request (about 0.1 ms: a
    serializer, JSON, zlib and two HMACs). Its result for the same session token stays valid for
    WTF_CSRF_TIME_LIMIT (an hour by default), so one a minute old is as good: it is kept and put where Flask-WTF
    looks first (`g`), so the forms and the templates' `csrf_token()` of the request use it too."""
    from flask_wtf.csrf import generate_csrf

    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    signed = current_app.extensions.setdefault("signed_csrf", {})
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT")
    reuse = RESIGN_AFTER if not limit else min(RESIGN_AFTER, limit / 10)
    now = time.monotonic()
    kept = signed.get(session.get(field))
    if kept is not None and now - kept[1] < reuse:
        setattr(g, field, kept[0])
        return kept[0]
    token = generate_csrf()
    if len(signed) >= 10_000:
        signed.clear()
    signed[session[field]] = (token, now)
    return token


def init_security(app) -> None:
    # Registered before Talisman's hook, so it runs after it (Flask runs after_request hooks in reverse).
    app.after_request(_allow_storage_origins)
    csp = dict(CSP)
    talisman.init_app(
        app,
        force_https=app.config.get("FORCE_HTTPS", False),
        strict_transport_security=app.config.get("FORCE_HTTPS", False),
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        content_security_policy=csp,
        content_security_policy_nonce_in=[],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"camera": "(self)", "microphone": "(self)", "geolocation": "()"},
    )


def role_required(*roles: str):
    """Refuse (403) a logged-in user whose role is not one of `roles`; send anonymous users to log in."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                raise Forbidden("You do not have permission to open this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
