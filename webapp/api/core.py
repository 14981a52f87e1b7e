"""The API's plumbing: a route table per resource module, bearer-token auth, input validation through
the marshmallow schemas, pagination, and the OpenAPI document built from the same schemas."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from functools import wraps
from collections.abc import Callable, Hashable
from typing import Any

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError

from ..domain.errors import Invalid, NotFound, Unauthorized
from ..services import tokens
from .schemas import MAX_ID


@dataclass
class Operation:
    rule: str
    method: str
    view: Any
    summary: str
    auth: bool = True
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    form: type[Schema] | None = None  # a multipart/form-data body the view reads itself (documentation only)


class Routes:
    """Collects a resource module's operations; views.py adds them to the blueprint."""

    def __init__(self, tag: str):
        self.tag = tag
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, *, summary: str, auth: bool = True, query=None, body=None,
              response=None, status: int = 200, errors: tuple[int, ...] = (), description: str = "", form=None):
        def decorator(view):
            @wraps(view)
            def wrapped(**kwargs):
                if auth:
                    g.api_user = authenticate()
                for name, value in kwargs.items():
                    # An id no row can have (the database would overflow, a 500) names nothing: 404.
                    if isinstance(value, int) and not 0 < value <= MAX_ID:
                        raise NotFound(f"There is no such {name.removesuffix('_id')}.", fields={name: "unknown"})
                if query is not None:
                    kwargs["args"] = _load(_instance(query), request.args.to_dict(flat=True), "query")
                if body is not None:
                    kwargs["body"] = _load(_instance(body), json_body(), "body")
                return view(**kwargs)

            self.operations.append(Operation(rule, method, wrapped, summary, auth, query, body, response, status,
                                             errors, (self.tag,), description or (view.__doc__ or "").strip(),
                                             form))
            return wrapped

        return decorator

    def get(self, rule, **kw):
        return self.route("GET", rule, **kw)

    def post(self, rule, **kw):
        return self.route("POST", rule, **kw)

    def patch(self, rule, **kw):
        return self.route("PATCH", rule, **kw)

    def delete(self, rule, **kw):
        return self.route("DELETE", rule, **kw)

    def register(self, bp) -> None:
        for op in self.operations:
            bp.add_url_rule(op.rule, endpoint=op.view.__name__, view_func=op.view, methods=[op.method])


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


def json_body() -> dict:
    """The request's JSON object, {} for no body. Read only here, after routing and the token check, and never past
    MAX_JSON_KB; what it holds is checked once for NUL and invalid Unicode (webapp/boundary.py)."""
    if not request.is_json:
        if request.content_length or request.headers.get("Transfer-Encoding"):
            raise Invalid("Send the body as JSON with 'Content-Type: application/json'.")
        return {}       # nothing sent, and nothing read
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if data is None:
        from ..domain.errors import DomainError

        raise DomainError("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    return data


@functools.cache
def _instance(schema_class: type[Schema]) -> Schema:
    """One instance per schema class: loading keeps no state on the schema, and building one copies every
    declared field (a cost paid once instead of on every request)."""
    return schema_class()


def _load(schema: Schema, data: dict, where: str) -> dict:
    try:
        return schema.load(data, unknown="exclude" if where == "query" else "raise")
    except ValidationError as exc:
        flat = _flatten(exc.messages)
        raise Invalid(f"The request {where} has invalid fields: {', '.join(flat)}.", fields=flat) from exc


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.update(_flatten(value, f"{prefix}{key}." if prefix or key != "_schema" else ""))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix.rstrip(".") or "body"] = " ".join(messages)
    elif isinstance(messages, list):
        for i, m in enumerate(messages):
            out.update(_flatten(m, f"{prefix}{i}."))
    else:
        out[prefix.rstrip(".") or "body"] = str(messages)
    return out


def paginate(session, stmt, args: dict, serialise) -> dict:
    """Run a select() page by page: {"items", "page", "per_page", "total"}; a page past the end is 404."""
    from sqlalchemy import func, select

    page, per_page = args["page"], args["per_page"]
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if page > 1 and (page - 1) * per_page >= total:
        last = max(1, -(-total // per_page))
        raise NotFound(f"Page {page} is past the end: there {'is' if last == 1 else 'are'} {last} "
                       f"page{'' if last == 1 else 's'} of {per_page}.", fields={"page": f"must be at most {last}"})
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [serialise(r) for r in rows], "page": page, "per_page": per_page, "total": total}


def ok(payload: Any, status: int = 200):
    return jsonify(payload), status


def cached_ok(areas: str | tuple[str, ...], key: Hashable, make: Callable[[], Any]):
    """`ok(make())`, with the JSON text made once per revision of `areas` (webapp/caching)."""
    from flask import current_app

    from .. import caching

    body = caching.value(areas, ("json", key), lambda: current_app.json.dumps(make()))
    return current_app.response_class(f"{body}\n", mimetype=current_app.json.mimetype), 200


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)
