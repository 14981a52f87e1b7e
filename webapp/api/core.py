"""What the resource modules share, on flask-smorest: the Api (its OpenAPI document and the error shape of its
validation errors), the Blueprint every resource module makes (bearer-token auth and documented errors per
operation), the request-body parser, pagination and the one call into the cache."""
from __future__ import annotations

import http
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

import flask_smorest
from flask import current_app, g, request
from flask_smorest.spec.plugins import FlaskPlugin
from webargs.flaskparser import FlaskParser

from .. import caching
from ..domain.errors import DomainError, Invalid, NotFound, Unauthorized
from ..errors import api_error, http_error_response, is_api_request
from ..extensions import db
from ..services import tokens
from .schemas import MAX_PER_PAGE, ErrorSchema

ERROR_TEXT = {400: "Malformed request", 401: "Missing or invalid token", 403: "Not allowed", 404: "Not found",
              409: "Conflict", 413: "Too large", 415: "Unsupported media type", 422: "Invalid fields"}


class Api(flask_smorest.Api):
    """The API's OpenAPI document (served at /api/v1/openapi.json) and its error shape.

    smorest answers every HTTPException through `handle_http_exception` (its documented extension point): a
    validation error of an argument schema (webargs, 422) becomes {"error": {"code", "message", "fields"}} with
    one entry per field path; everything else goes to the app's one handler in webapp/errors.py."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own errors (Blueprint.authenticated/public)

    def handle_http_exception(self, error):
        messages = (getattr(error, "data", None) or {}).get("messages")
        if error.code == 422 and messages and is_api_request():
            where = "query" if "query" in messages else "body"
            fields = {}
            for location_messages in messages.values():
                fields.update(flatten(location_messages))
            return api_error(422, f"The request {where} has invalid fields: {', '.join(fields)}.", fields=fields)
        return http_error_response(error)


class PathParametersInOperations(FlaskPlugin):
    """The apispec plugin for Flask rules (smorest's), listing a path's parameters in each of its operations
    rather than once beside them, as the document always did."""

    def path_helper(self, rule, operations, parameters, **kwargs):
        path = super().path_helper(rule=rule, operations=operations, parameters=parameters, **kwargs)
        for operation in operations.values():
            operation["parameters"] = [*parameters, *operation.get("parameters", [])]
        parameters.clear()
        return path


def flatten(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested error messages as {"a.b.0.c": "message"}; errors of the whole body as "body"."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.update(flatten(value, f"{prefix}{key}." if prefix or key != "_schema" else ""))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix.rstrip(".") or "body"] = " ".join(messages)
    elif isinstance(messages, list):
        for i, m in enumerate(messages):
            out.update(flatten(m, f"{prefix}{i}."))
    else:
        out[prefix.rstrip(".") or "body"] = str(messages)
    return out


parser = FlaskParser()


@parser.location_loader("json")
def json_body(req, schema) -> dict:
    """The request's JSON object, {} for no body. Read only here, after routing and the token check, and never past
    MAX_JSON_KB; what it holds is checked once for NUL and invalid Unicode (webapp/boundary.py)."""
    if not req.is_json:
        if req.content_length or req.headers.get("Transfer-Encoding"):
            raise Invalid("Send the body as JSON with 'Content-Type: application/json'.")
        return {}       # nothing sent, and nothing read
    if not req.get_data():
        return {}
    data = req.get_json(silent=True)
    if data is None:
        raise DomainError("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    return data


def authenticate():
    """The user of the bearer token. Never the session cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        raise Unauthorized("Send your API token as 'Authorization: Bearer <token>'.")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    user = tokens.user_for_token(secret.strip())
    if user is None:
        raise Unauthorized("This API token is not valid: it may be wrong, revoked, or its account deactivated.")
    return user


class Blueprint(flask_smorest.Blueprint):
    """One resource module's routes. Every operation says who may call it, right under its route:

        @bp.get("/capstones/<int:capstone_id>")
        @bp.authenticated(errors=(403, 404))
        @bp.response(200, CapstoneDetailSchema)
        def get_capstone(capstone_id): ...

    `authenticated` checks the bearer token (401) before the arguments are read, and `public` marks an operation
    anyone may call; both document the operation's id, its tag (the module), its security and every error it may
    answer, each with the error schema."""

    ARGUMENTS_PARSER = parser

    def authenticated(self, *, errors: tuple[int, ...] = ()):
        return self._operation(errors=(401, *errors), public=False)

    def public(self, *, errors: tuple[int, ...] = ()):
        return self._operation(errors=errors, public=True)

    def _operation(self, *, errors: tuple[int, ...], public: bool):
        def decorator(view):
            @wraps(view)
            def checked(*args, **kwargs):
                if not public:
                    g.api_user = authenticate()
                return view(*args, **kwargs)

            for code in sorted(set(errors)):
                checked = self.alt_response(code, schema=ErrorSchema,
                                            description=ERROR_TEXT.get(code, http.HTTPStatus(code).phrase))(checked)
            return self.doc(operationId=view.__name__, tags=[self.name],
                            security=[] if public else [{"bearer": []}])(checked)

        return decorator


def paginate(stmt, args: dict):
    """One page of a select(): a Pagination the page schemas dump as {"items", "page", "per_page", "total"}. A page
    past the end is 404 naming the last page."""
    page = db.paginate(stmt, page=args["page"], per_page=args["per_page"], max_per_page=MAX_PER_PAGE,
                       error_out=False)
    last = max(1, page.pages)
    if page.page > last:
        raise NotFound(f"Page {page.page} is past the end: there {'is' if last == 1 else 'are'} {last} "
                       f"page{'' if last == 1 else 's'} of {page.per_page}.", fields={"page": f"must be at most {last}"})
    return page


# ---- the API's only use of the cache (webapp/caching) --------------------------------------------------------

def learner_area(learner_id: int) -> str:
    """The cache area of one learner's data."""
    return caching.learner_area(learner_id)


def cached_value(areas: str | tuple[str, ...], key: Hashable, make: Callable[[], Any]) -> Any:
    """`make()`'s value (not a response), made once per revision of `areas`."""
    return caching.value(areas, ("value", key), make)


def cached_json(areas: str | tuple[str, ...], key: Hashable, make: Callable[[], Any]):
    """A 200 JSON response of `make()`, its text made once per revision of `areas`. The view still states its
    response schema (`make` dumps with it), so the document stays right."""
    body = caching.value(areas, ("json", key), lambda: current_app.json.dumps(make()))
    return current_app.response_class(f"{body}\n", mimetype=current_app.json.mimetype)
