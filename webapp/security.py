"""Role checks and security headers (flask-talisman sets the CSP and friends)."""
from __future__ import annotations

from functools import wraps

from flask import current_app
from flask_login import current_user
from flask_talisman import Talisman

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

talisman = Talisman()


def storage_origin(config) -> str | None:
    """With S3, downloads redirect to presigned URLs on the bucket's host: players must be allowed there."""
    if config.get("STORAGE_BACKEND") != "s3":
        return None
    endpoint = config.get("S3_ENDPOINT_URL")
    if endpoint:
        from urllib.parse import urlsplit

        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    region = config.get("S3_REGION") or "us-east-1"
    return f"https://{config['S3_BUCKET']}.s3.{region}.amazonaws.com"


def init_security(app) -> None:
    csp = dict(CSP)
    origin = storage_origin(app.config)
    if origin:
        for directive in ("img-src", "media-src", "connect-src"):
            value = csp[directive]
            csp[directive] = ([value] if isinstance(value, str) else list(value)) + [origin]
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
