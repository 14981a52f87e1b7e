"""Read caches every worker and every host can trust, and the reads that keep a cached page at one query.

A view or service asks for a value made from some *areas* of the data ("catalogue", "people", "reviews",
`learner_area(id)`):

    html = caching.fragment("catalogue", ("missions-list", track, tier), make_html)      # HTML, may hold forms
    page = caching.fragment(("people", caching.learner_area(uid)), ("portfolio", uid), make_page)
    body = caching.value(("catalogue",), ("json", key), make_json)                         # any other value

The value is made once per revision of those areas in this process (webapp/caching/store.py). Revisions live in
the database and change in the same transaction as the data (webapp/caching/revisions.py), decided by each
model's `cache_areas` (webapp/caching/areas.py); every value also depends on "everything", which a model that
declares nothing makes stale. The login loader brings the revisions along with the user (`viewer_columns`,
`remember_viewer`), so a cached page costs one query (webapp/caching/quickread.py runs it outside a
transaction). The pool checks idle connections only (webapp/caching/pool.py). With CACHE_SERVER_TIMING on, each
answer tells whether its cached values were found (webapp/caching/outcome.py), for load tests.

Nothing outside this package builds keys, reads the request's remembered revisions or knows how a form's CSRF
token is kept out of cached HTML.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from typing import Any

from markupsafe import Markup

from . import outcome, quickread
from .areas import EVERYTHING, Change, learner_area
from .revisions import (SHARED_AREAS, knows_learner, learner_column, mark_changed, remember_learner,
                        remember_viewer, viewer_columns)
from .store import RevisionStore

__all__ = ["SHARED_AREAS", "Change", "fragment", "init_app", "knows_learner", "layout_part", "learner_area",
           "learner_column", "mark_all_changed", "mark_changed", "quickread", "remember_learner", "remember_viewer",
           "value", "viewer_columns"]

Areas = str | tuple[str, ...]


def value(areas: Areas, key: Hashable, make: Callable[[], Any]) -> Any:
    """`make()`'s value for `key`, made at most once per revision of `areas` (one area or several) in this
    process. While this request's transaction has changed data of these areas, it is made and not kept."""
    from flask import current_app

    from . import revisions

    names = (EVERYTHING,) + ((areas,) if isinstance(areas, str) else tuple(areas))
    if revisions.uncommitted(names):
        outcome.record(hit=False)
        return make()
    made = []

    def make_and_note():
        made.append(True)
        return make()

    found = current_app.extensions["revision_store"].get(names, revisions.current(*names), key, make_and_note)
    outcome.record(hit=not made)
    return found


# Random per process, so no text a user types can match it.
_CSRF_PLACEHOLDER = "csrf-" + secrets.token_hex(16)


def _swap(made, old: str, new: str):
    """`made` (a string, or a tuple such as a NamedTuple of strings and other values) with `old` replaced."""
    if isinstance(made, str):
        return made.replace(old, new)       # Markup stays Markup (the token needs no escaping)
    if isinstance(made, tuple):
        parts = [_swap(part, old, new) for part in made]
        return type(made)(*parts) if hasattr(made, "_fields") else tuple(parts)
    return made


def _without_token(make: Callable[[], Any]) -> tuple[Callable[[], Any], str]:
    """`make` wrapped to render with a placeholder CSRF token (what is stored), and this session's token."""
    from flask import current_app, g
    from flask_wtf.csrf import generate_csrf

    token = generate_csrf()
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def make_with_placeholder():
        setattr(g, field, _CSRF_PLACEHOLDER)        # what Flask-WTF's generate_csrf() returns while it is set
        try:
            made = make()
        finally:
            setattr(g, field, token)
        # A form built before make() ran holds the real token: store the placeholder instead.
        return _swap(made, token, _CSRF_PLACEHOLDER)

    return make_with_placeholder, token


def fragment(areas: Areas, key: Hashable, make: Callable[[], Any]) -> Any:
    """Like `value`, for HTML our own templates rendered, which may hold forms: a string (returned as Markup, for
    a page template to place), or a tuple such as a NamedTuple of parts (returned as made: mark its HTML parts
    Markup in `make`). A CSRF token belongs to one session, so it is never stored: the HTML is made with a
    placeholder token, and the requesting session's own token is put in each time it is served."""
    make_with_placeholder, token = _without_token(make)
    made = _swap(value(areas, key, make_with_placeholder), _CSRF_PLACEHOLDER, token)
    return Markup(made) if isinstance(made, str) else made  # nosec B704


def layout_part(key: Hashable, make: Callable[[], str]) -> Markup:
    """HTML of the layout made from code and settings alone, never from data (the menu of one role and section,
    the links to the static files): made once per process for each `key`, which must name everything it depends
    on. Like `fragment`, it never keeps a session's CSRF token. In debug mode (templates reload) it is made
    every time."""
    from flask import current_app

    if current_app.debug:
        return Markup(make())  # nosec B704 (our own template's output)
    make_with_placeholder, token = _without_token(make)
    made = current_app.extensions["revision_store"].get(("layout",), (), key, make_with_placeholder)
    return Markup(_swap(made, _CSRF_PLACEHOLDER, token))  # nosec B704


def mark_all_changed(session) -> None:
    """Make every cached value stale, in the session's transaction: for a rare write whose Core statements touch
    rows of many areas at once (an account deleted with all its work, services/account_data.py)."""
    from . import revisions

    revisions.bump(session, EVERYTHING)


def init_app(app) -> None:
    """The worker's store, the flush listeners that bump revisions, the quick reads' bookkeeping, and the
    pool's idle ping (call inside an app context, after `db.init_app`)."""
    from ..extensions import db
    from . import revisions
    from .pool import install_idle_ping

    app.extensions["revision_store"] = RevisionStore()
    app.after_request(outcome.add_header)
    revisions.listen()
    quickread.init_quickread()
    install_idle_ping(db.engine)
