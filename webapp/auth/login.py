"""Flask-Login wiring: loading the user, and what an anonymous request to a protected page gets."""
from __future__ import annotations

from functools import cache as cache_function
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from sqlalchemy import bindparam, select

from .. import cache, htmx, quickread
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


@cache_function
def _user_query():
    """The user with the shared cache revisions and their own; built once (building a statement costs more than
    running it)."""
    from ..models import User

    return (select(*quickread.columns(User), *cache.viewer_revision_columns(User.id))
            .where(User.id == bindparam("uid")))


def init_login(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            return None
        from ..models import User

        # The shared cache revisions come with the user: a cached page then needs no query of its own for them.
        # One round trip, before any transaction (webapp/quickread.py).
        row = quickread.first(_user_query(), {"uid": uid})
        if row is None:
            return None
        cache.remember_viewer(uid, row)
        user = quickread.adopt(User, row)
        return user if user.is_active else None

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
