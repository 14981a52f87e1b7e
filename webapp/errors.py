"""One place that turns errors into a page, an htmx fragment or the API's JSON error shape."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from . import htmx
from .boundary import too_large_message
from .domain.errors import DomainError

SESSION_EXPIRED = "Your session expired. Reload the page."
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
              429: "rate_limited", 500: "server_error", 503: "unavailable"}
HTTP_MESSAGES = {
    400: "The request could not be understood.",
    401: "Log in to continue.",
    403: "You do not have permission to do that.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "The upload is too large.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; try again in a moment.",
    503: "The service is briefly unavailable. Try again in a moment.",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None, fields: dict | None = None):
    body = {"error": {"code": code or HTTP_CODES.get(status, "error"), "message": message, "fields": fields or {}}}
    return jsonify(body), status


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    if is_api_request():
        return api_error(status, message, code, fields)
    if htmx.is_htmx():
        resp = render_template("_partials/flash_fragment.html", category="error", message=message, fields=fields)
        from flask import make_response

        return htmx.retarget(make_response(resp, status), "#flashes")
    return render_template("errors/error.html", status=status, message=message, fields=fields or {}), status


def http_error_response(exc: HTTPException):
    """An HTTP error (404, 405, 413, 429...) as a page, a fragment or the API's JSON error."""
    status = exc.code or 500
    message = HTTP_MESSAGES.get(status) or exc.description or "Request failed."
    if status == 413:
        message = too_large_message(request.mimetype, current_app.config)
    if status in (400, 429) and exc.description and exc.description != type(exc).description \
            and not exc.description[:1].isdigit():
        message = exc.description
    resp = error_response(status, message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        resp = current_app.make_response(resp)
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def is_database_outage(exc: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (restart, failover, network), as opposed to a bug."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


def _render_without_database() -> None:
    """The outage page must not touch the database. The user could not be loaded (the loader failed) or, after the
    rollback, is expired and would be reloaded by the first attribute the page reads: render as a visitor."""
    from flask import g

    g._login_user = current_app.login_manager.anonymous_user()


def register_error_handlers(app) -> None:
    from .extensions import db

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        """Close the request's session before Flask-SQLAlchemy's own teardown does (teardowns run in reverse).

        A request can finish its work just as PostgreSQL goes away; closing the session then rolls back its read
        transaction on a connection the server has dropped, and that error would escape Flask and turn a finished
        response into the WSGI server's bare 500. The pool has already discarded the connection: log it and let
        the response go."""
        try:
            db.session.remove()
        except SQLAlchemyError as err:
            if not is_database_outage(err):
                raise
            app.logger.warning("Database connection lost while closing the session: %s", err)
            try:
                db.session.remove()     # the failed transaction is gone: this releases the (invalidated) connection
            except SQLAlchemyError:
                db.session.registry.clear()

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(StaleDataError)
    def stale(exc):
        db.session.rollback()
        return error_response(409, "Someone saved this in another tab or window first. Reload to see the latest "
                                   "version; your changes were not saved.", "conflict")

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, SESSION_EXPIRED, "csrf")

    # The API's smorest.Api replaces this handler by its own, which hands everything but its validation errors back
    # to http_error_response (webapp/api/core.py).
    app.register_error_handler(HTTPException, http_error_response)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if is_database_outage(exc):
            try:
                db.session.rollback()
            except SQLAlchemyError:     # the connection is gone; the pool replaces it (webapp/caching/pool.py)
                pass
            app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
            _render_without_database()
            resp = app.make_response(error_response(503, HTTP_MESSAGES[503]))
            resp.headers["Retry-After"] = "5"
            resp.headers["Cache-Control"] = "no-store"
            return resp
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, HTTP_MESSAGES[500])
