"""Whether a request's cached values were found or had to be made, told in a `Server-Timing` header.

Only with the CACHE_SERVER_TIMING setting (load tests: bench/cohort.py reports each page's hit ratio from it); off
by default, since it tells a visitor whether someone else had just seen the same page. An answer that used the
cache says `Server-Timing: cache;desc="hit"` when every value came from the cache and `cache;desc="miss"` when
at least one was made; an answer that used none has no such header.
"""
from __future__ import annotations

from flask import g, has_request_context

_KEY = "_cache_outcome"


def record(hit: bool) -> None:
    """Note one cached value of this request: found (`hit`) or made."""
    if not has_request_context():
        return
    seen = g.get(_KEY)
    if seen is None:
        seen = {"hit": 0, "miss": 0}
        setattr(g, _KEY, seen)
    seen["hit" if hit else "miss"] += 1


def of_request() -> str | None:
    """"hit", "miss" or None (no cached value used) for the current request."""
    seen = g.get(_KEY)
    if not seen:
        return None
    return "miss" if seen["miss"] else "hit"


def add_header(response):
    """after_request: with CACHE_SERVER_TIMING on, add this request's outcome to the `Server-Timing` header."""
    from flask import current_app

    if not current_app.config.get("CACHE_SERVER_TIMING"):
        return response
    found = of_request()
    if found is not None:
        entry = f'cache;desc="{found}"'
        present = response.headers.get("Server-Timing")
        response.headers["Server-Timing"] = f"{present}, {entry}" if present else entry
    return response
