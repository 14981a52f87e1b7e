"""Read caches every worker and every host can trust.

A value is kept in the process under the *revisions* of the data it was made from (`models.CacheRevision`,
one row per area: "catalogue", "people", "reviews", "learner:<id>" and "everything"). Any flush that adds,
changes or deletes a row writes new random revisions for the areas `areas_of` says that row belongs to, in the
same transaction, so a commit on any host makes every other worker's copies unreachable at their next read.

    html = cache.cached("catalogue", ("missions-list", track, tier), make_html)
    page = cache.cached_html(("people", learner_area(uid)), ("portfolio", uid), make_page)   # HTML with forms

Reading the revisions costs one query per request, or none when the query that loads the user (or the
capstone, or the portfolio owner) brings them along (`revision_of`, `remember`). Writes that bypass the ORM
unit of work (a Core `update()`) must call `bump(session, area)` themselves.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .domain import phase_fields

MAX_ENTRIES = 1024
MAX_BYTES = 64 * 1024 * 1024     # per worker
# Areas whose rows the migrations create (0007, 0010); a learner's area gets its row when first needed.
SHARED_AREAS = ("catalogue", "everything", "people", "reviews")
_listening = False

# User columns no page shows: a login or a new password must not make every cached page stale.
USER_QUIET_COLUMNS = frozenset({"last_login_at", "password_hash", "updated_at"})
# Capstone and attempt columns the review queue does not show: saving a draft must not make it stale (and every
# saving learner would otherwise wait on the one "reviews" row).
REVIEW_QUIET_COLUMNS = frozenset(phase_fields.FIELD_NAMES) | {
    "version_id", "updated_at",                                                       # capstone phase drafts
    "responses", "decisions", "fired_events", "current_subtask_id",                   # attempt progress
}


def learner_area(user_id: int) -> str:
    """Everything about one learner: their profile, attempts, capstones and their history, files, reviews,
    portfolio items and mentor assignments."""
    return f"learner:{user_id}"


def _modified_columns(obj) -> set[str]:
    from sqlalchemy import inspect

    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _values(session: Session, obj, name: str) -> set:
    """The id in `name` now and before this flush (a moved file has two owners to tell). A new object may have
    its parent set through the relationship (`learner=user`) with the column still empty until the flush."""
    from sqlalchemy import inspect

    state = inspect(obj)
    with session.no_autoflush:
        values = {getattr(obj, name)}            # loads an expired column
        history = state.attrs[name].history
        values |= set(history.deleted or ())
        if history.added and state.identity:
            # Set without its old value loaded: the database still holds it until this flush.
            mapper = state.mapper
            values.add(session.execute(select(mapper.columns[name]).where(
                *[col == v for col, v in zip(mapper.primary_key, state.identity)])).scalar())
        relation = name.removesuffix("_id")
        if relation in state.attrs and relation in state.dict:
            history = state.attrs[relation].history
            for parent in (*(history.added or ()), *(history.deleted or ()), *(history.unchanged or ())):
                if parent is not None:
                    values.add(getattr(parent, "id", None))
    return {v for v in values if v is not None}


def _parent_learners(session: Session, model, column, ids: set) -> set:
    """`column` of the `model` rows with these ids (from the session when they are loaded, else one query)."""
    found = set()
    with session.no_autoflush:
        for parent_id in ids:
            parent = session.get(model, parent_id)
            if parent is not None:
                found.add(getattr(parent, column.key))
    return found


def areas_of(session: Session, obj, is_new: bool) -> set[str]:
    """The cache areas a change to `obj` makes stale. A model this does not know makes everything stale
    ("everything" is part of every key), so a new table can never serve stale pages by omission."""
    from .models import (ApiToken, CacheRevision, CapstoneActivity, CapstoneProject, MentorAssignment,
                         MentorshipInteraction, Mission, MissionAttempt, PortfolioItem, PortfolioTransition,
                         RateLimitCounter, Recipe, StoredFile, User)

    if isinstance(obj, (Mission, Recipe)):
        return {"catalogue"}
    if isinstance(obj, (ApiToken, RateLimitCounter, CacheRevision)):
        return set()     # shown on no cached page
    if isinstance(obj, User):
        if not is_new and not (_modified_columns(obj) - USER_QUIET_COLUMNS):
            return set()
        return {"people"} | ({learner_area(obj.id)} if obj.id else set())
    if isinstance(obj, MentorAssignment):
        return {"people", "reviews"} | {learner_area(i) for i in _values(session, obj, "learner_id")}
    if isinstance(obj, (MissionAttempt, CapstoneProject)):
        areas = {learner_area(i) for i in _values(session, obj, "learner_id")}
        if is_new or obj in session.deleted or _modified_columns(obj) - REVIEW_QUIET_COLUMNS:
            areas.add("reviews")
        return areas
    if isinstance(obj, MentorshipInteraction):
        return {"reviews"} | {learner_area(i) for i in _values(session, obj, "learner_id")}
    if isinstance(obj, PortfolioItem):
        return {learner_area(i) for i in _values(session, obj, "owner_id")}
    if isinstance(obj, StoredFile):
        # A mentor's audio comment is the mentor's file but shows on the learner's pages.
        learners = _values(session, obj, "owner_id")
        for model, column, name in ((CapstoneProject, CapstoneProject.learner_id, "capstone_id"),
                                    (MentorshipInteraction, MentorshipInteraction.learner_id, "review_id"),
                                    (PortfolioItem, PortfolioItem.owner_id, "portfolio_item_id")):
            learners |= _parent_learners(session, model, column, _values(session, obj, name))
        return {learner_area(i) for i in learners}
    if isinstance(obj, CapstoneActivity):
        return {learner_area(i) for i in _parent_learners(session, CapstoneProject, CapstoneProject.learner_id,
                                                          _values(session, obj, "capstone_id"))}
    if isinstance(obj, PortfolioTransition):
        return {learner_area(i) for i in _parent_learners(session, PortfolioItem, PortfolioItem.owner_id,
                                                          _values(session, obj, "item_id"))}
    return {"everything"}


def _size(value: Any) -> int:
    """About how many bytes a cached value holds (pages are text; API documents are counted roughly)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple):
        return sum(_size(part) for part in value)
    if isinstance(value, dict):
        return sum(_size(k) + _size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_size(v) for v in value)
    return 16


class RevisionCache:
    """A bounded LRU of values keyed by (areas, revisions, key); thread-safe (gthread workers). `area` and
    `revision` may be tuples (a value made from several areas). It holds at most `maxsize` values and about
    `maxbytes` of them, dropping the least recently used first."""

    def __init__(self, maxsize: int = MAX_ENTRIES, maxbytes: int = MAX_BYTES):
        self.maxsize = maxsize
        self.maxbytes = maxbytes
        self.nbytes = 0
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._latest: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()

    def get(self, area: Hashable, revision: Hashable, key: Hashable, make: Callable[[], Any]) -> Any:
        full = (area, revision, key)
        with self._lock:
            if self._latest.get(area) != revision:
                # A new revision: the values made from older data will never be read again.
                self._latest[area] = revision
                for stale in [k for k in self._items if k[0] == area and k[1] != revision]:
                    self._drop(stale)
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full][0]
        value = make()
        size = _size(value)
        with self._lock:
            if self._latest.get(area) == revision and size <= self.maxbytes:
                if full in self._items:
                    self._drop(full)
                self._items[full] = (value, size)
                self.nbytes += size
                while len(self._items) > self.maxsize or self.nbytes > self.maxbytes:
                    self._drop(next(iter(self._items)))
                if len(self._latest) > 4 * self.maxsize:
                    # Forget the revisions of areas that no longer have a value here.
                    self._latest = {k[0]: k[1] for k in self._items}
        return value

    def _drop(self, full: tuple) -> None:
        self.nbytes -= self._items.pop(full)[1]

    def __len__(self) -> int:
        return len(self._items)


def revisions(*areas: str) -> tuple[str, ...]:
    """The current revisions of `areas`, read in one query and remembered for the rest of the request (a bump
    in this request forgets them again). An area without a row yet gets one first."""
    from flask import g

    from .extensions import db
    from .models import CacheRevision

    memo = g.setdefault("_cache_revisions", {})
    missing = [area for area in areas if area not in memo]
    if missing:
        query = select(CacheRevision.name, CacheRevision.revision).where(CacheRevision.name.in_(missing))
        found = dict(db.session.execute(query).all())
        if len(found) < len(missing):
            _create([area for area in missing if area not in found])
            found = dict(db.session.execute(query).all())
        memo.update(found)
    return tuple(memo[area] for area in areas)


def _create(areas: list[str]) -> None:
    """Insert a first revision for each area, committed at once on a connection of its own. A writer that
    changes the area's data upserts the same row in its transaction: this insert then waits for that commit
    and keeps the writer's revision, so nothing read before the change can be stored under a revision that
    stays current after it."""
    from .extensions import db
    from .models import CacheRevision
    from .models.base import dialect_insert

    table = CacheRevision.__table__
    with db.engine.begin() as conn:
        for area in sorted(areas):
            stmt = dialect_insert(conn.dialect.name)(table).values(name=area, revision=secrets.token_hex(16))
            conn.execute(stmt.on_conflict_do_nothing(index_elements=[table.c.name]))


def revision_of(area):
    """A scalar subquery for the revision of `area` (a name, or a SQL expression that makes one), so a query
    the page runs anyway can bring the revisions it will need (see `remember`)."""
    from .models import CacheRevision

    return select(CacheRevision.revision).where(CacheRevision.name == area).scalar_subquery()


def learner_area_sql(user_id_column):
    """`learner_area()` in SQL, for `revision_of`."""
    from sqlalchemy import String, cast, literal

    return literal("learner:") + cast(user_id_column, String)


def shared_revision_columns() -> tuple:
    """The revisions of SHARED_AREAS as columns to add to a query the request runs anyway (see
    `remember_shared`)."""
    return tuple(revision_of(area) for area in SHARED_AREAS)


def remember_shared(values) -> None:
    """Keep the values of `shared_revision_columns()`, in their order, for the rest of the request."""
    remember(dict(zip(SHARED_AREAS, values)))


def viewer_revision_columns(user_id_column) -> tuple:
    """`shared_revision_columns()` and the revision of the user's own area, for the query that loads the user
    (see `remember_viewer`): a page of the user's own data then needs no query for its revisions either."""
    return shared_revision_columns() + (revision_of(learner_area_sql(user_id_column)),)


def remember_viewer(user_id: int, values) -> None:
    """Keep the values of `viewer_revision_columns()` (the last values of `values`) for the rest of the request."""
    values = tuple(values)[-len(SHARED_AREAS) - 1:]
    remember_shared(values[:-1])
    remember({learner_area(user_id): values[-1]})


def remember(revisions_by_area: dict[str, str | None]) -> None:
    """Keep revisions read by another query for the rest of the request (an area without a row is left out, so
    `revisions` creates it)."""
    from flask import g

    memo = g.setdefault("_cache_revisions", {})
    for area, value in revisions_by_area.items():
        if value is not None:
            memo.setdefault(area, value)


def remembered(area: str) -> bool:
    """Whether this request already knows the revision of `area` (from `remember`, or `revisions`)."""
    from flask import g

    return area in g.get("_cache_revisions", {})


def cached(areas: str | tuple[str, ...], key: Hashable, make: Callable[[], Any]) -> Any:
    """`make()`'s value for `key`, made at most once per revision of `areas` (one area or several) in this
    process. Every key also depends on "everything", which a change to a model `areas_of` does not know
    makes stale."""
    from flask import current_app

    from .extensions import db

    names = ("everything",) + ((areas,) if isinstance(areas, str) else tuple(areas))
    if db.session.info.get(BUMPED, set()).intersection(names):
        # This transaction changed the data and has not committed yet: what make() reads now may change again
        # before the commit under the same new revision, so it is not kept.
        return make()
    current = revisions(*names)
    return current_app.extensions["revision_cache"].get(names, current, key, make)


# Random per process, so no text a user types can match it.
CSRF_PLACEHOLDER = "csrf-" + secrets.token_hex(16)


def _swap(value, old: str, new: str):
    """`value` (a string, or a tuple such as a NamedTuple of strings and other values) with `old` replaced."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, tuple):
        parts = [_swap(part, old, new) for part in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    return value


def cached_html(areas: str | tuple[str, ...], key: Hashable, make: Callable[[], Any]) -> Any:
    """Like `cached`, for HTML that may hold forms (a string, or a tuple of strings). A CSRF token belongs to one
    session and expires, so it must never be stored: the HTML is made with a placeholder token, and the
    requesting session's token is put in each time it is served."""
    from flask import current_app, g

    from .security import csrf_token

    token = csrf_token()
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def make_with_placeholder():
        setattr(g, field, CSRF_PLACEHOLDER)
        try:
            value = make()
        finally:
            setattr(g, field, token)
        # A form built before make() ran holds the real token: store the placeholder instead.
        return _swap(value, token, CSRF_PLACEHOLDER)

    return _swap(cached(areas, key, make_with_placeholder), CSRF_PLACEHOLDER, token)


BUMPED = "cache_areas_bumped"     # session.info: the areas given a new revision in the open transaction


def bump(session: Session, area: str) -> None:
    """Write a new revision for `area` in the session's transaction (insert the row if it is missing). Once is
    enough per transaction: nothing is cached from an area while its new revision is uncommitted."""
    from .models import CacheRevision
    from .models.base import dialect_insert

    table = CacheRevision.__table__
    token = secrets.token_hex(16)
    stmt = dialect_insert(session.get_bind().dialect.name)(table).values(name=area, revision=token)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.name], set_={"revision": token}))
    session.info.setdefault(BUMPED, set()).add(area)
    _forget(area)


def _forget(area: str) -> None:
    """Drop this request's remembered revision of `area` (after a bump in its transaction)."""
    from flask import g, has_app_context

    if has_app_context():
        g.get("_cache_revisions", {}).pop(area, None)


def _before_flush(session: Session, _context, _instances) -> None:
    # `dirty` also holds objects whose attributes were set to the values they had: those change nothing.
    changed = [(obj, True) for obj in session.new] + [(obj, False) for obj in session.deleted] + [
        (obj, False) for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    areas: set[str] = set()
    for obj, is_new in changed:
        areas |= areas_of(session, obj, is_new)
    # Always in the same order, so two transactions never wait on each other's rows in opposite orders.
    for area in sorted(areas - session.info.get(BUMPED, set())):
        bump(session, area)


def _transaction_ended(session: Session, transaction) -> None:
    # At the commit or rollback of the whole transaction, and at the end of a savepoint (its rollback undoes its
    # bumps, so the next flush must bump again); not at the end of a flush's own inner transaction.
    if transaction.parent is None or transaction.nested:
        session.info.pop(BUMPED, None)


def init_cache(app) -> None:
    global _listening
    app.extensions["revision_cache"] = RevisionCache()
    if not _listening:
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_transaction_end", _transaction_ended)
        _listening = True
