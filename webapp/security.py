"""Role checks and security headers (flask-talisman sets the CSP and friends)."""
from __future__ import annotations

from functools import wraps

from flask import current_app
from flask_login import current_user

from .caching.overrides import StoredTalisman
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

# Talisman, with each view's headers worked out once per process (webapp/caching/overrides.py).
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
    if not extra:       # S3 with S3_PRESIGNED_URLS off: browsers never talk to the store
        return response
    parts = []
    for directive in policy.split(";"):
        name = directive.strip().split(" ", 1)[0]
        parts.append(f"{directive.strip()} {extra}" if name in STORAGE_DIRECTIVES else directive.strip())
    response.headers["Content-Security-Policy"] = "; ".join(parts)
    return response


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
