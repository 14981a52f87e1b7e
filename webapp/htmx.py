"""The only module that reads HX-* request headers or sets HX-* response headers."""
from __future__ import annotations

import json

from flask import request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_history_restore() -> bool:
    return request.headers.get("HX-History-Restore-Request") == "true"


def wants(target_id: str) -> bool:
    """An htmx request aimed at the element `target_id` (not a history restore): answer with the partial."""
    return is_htmx() and not is_history_restore() and request.headers.get("HX-Target") == target_id


def trigger(response, event: str, detail: object | None = None):
    existing = response.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def redirect(response, url: str):
    response.headers["HX-Redirect"] = url
    return response


def retarget(response, selector: str, swap: str = "innerHTML"):
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def add_vary(response):
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
        response.vary.add("HX-Target")
    return response
