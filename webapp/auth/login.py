"""Flask-Login wiring: loading the user, and what an anonymous request to a protected page gets."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for

from .. import htmx
from ..errors import error_response, is_api_request
from ..extensions import login_manager


def _return_path() -> str | None:
    """Where to go back to after logging in. A form post's own URL only answers POST (a GET there is a
    405), so after a refused post the visitor goes back to the page that held the form, when it is ours."""
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/") and not referrer.path.startswith("//"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


def init_login(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # The session cookie and the remember-me cookie carry the id of a server-side session (services/sessions.py),
    # never the user's id: ending the session on the server ends it for every copy of those cookies.
    login_manager.id_attribute = "get_session_id"

    @login_manager.user_loader
    def load_user(session_token: str):
        from ..services import sessions

        # The session, its user and the shared cache revisions in one round trip, before any transaction.
        return sessions.user_for_session(session_token)

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return error_response(401, "Send a valid API token in the Authorization header.")
        target = url_for("auth.login", next=_return_path())
        if htmx.is_htmx():
            # A plain redirect would swap the login page into the target element.
            from flask import make_response

            return htmx.redirect(make_response("", 401), target)
        from flask import flash

        flash("Log in to continue.", "info")
        return redirect(target)
