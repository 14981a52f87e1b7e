"""Workflow transitions that two requests may race (issue #15): one compare-and-set for all of them.

A transition is one statement, ``UPDATE … SET <new state> WHERE id = :id AND <the state this request read>``
(a status, a claim that is free or lapsed, a version), and the database decides. Of two concurrent
transitions exactly one matches the row: PostgreSQL makes the second UPDATE wait for the first one's row
lock and then re-checks its WHERE against the committed row; SQLite lets one writer at a time. The loser
matches no row: its transaction is rolled back (nothing of the request is kept), the instance is re-read, and
it gets a 409 that names the state now.

Models with a version column (``version_id_col``: capstones, review phases) get their version bumped by the
same UPDATE, so a stale form, or an ORM flush built on the old version, fails as well; content edited in two
tabs keeps its version check (``expected_version``). The pending ORM changes of the request are flushed
first, so a versioned row's own optimistic lock counts as losing too.

Used by services.portfolio (submit, review, edits that take an item back to draft), services.reviews
(claims, reassignment, submitting a review phase) and services.attempts (review requests, scope).

The optimistic lock of content edited in forms (a capstone's phases, a review draft) is here too, once:
``check_version`` refuses a form older than the row, and ``commit`` turns a versioned UPDATE that matched no
row (a concurrent write got there first) into the same 409, ``Stale`` (code ``stale``), whose subclasses say it
in their page's words.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import inspect as sa_inspect, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .. import caching
from ..domain.errors import Conflict, DomainError, NotFound
from ..extensions import db

CHANGED_MEANWHILE = "This changed while you were working on it. Reload the page to see it as it is now."
DELETED_MEANWHILE = "This was deleted while you were working on it."


WON, LOST, GONE = "won", "lost", "gone"


class Stale(Conflict):
    """409 ``stale``: the request read a version of the row that another request has since moved on from. Its
    fields name the version the row has now (under `version_field`, the name the form or body sent it as)."""

    code = "stale"
    message = CHANGED_MEANWHILE
    version_field = "version"

    def __init__(self, current_version: int | None = None):
        super().__init__(self.message, fields={self.version_field: f"the current version is {current_version}"
                                               if current_version else "changed"})
        self.current_version = current_version


def version_of(obj: Any) -> int | None:
    """The value of `obj`'s version column (``version_id_col``)."""
    mapper = sa_inspect(type(obj))
    return getattr(obj, mapper.get_property_by_column(mapper.version_id_col).key)


def _at_version(obj: Any, expected_version: int | None) -> bool:
    return expected_version is None or version_of(obj) == int(expected_version)


def check_version(obj: Any, expected_version: int | None, stale: type[Stale] = Stale) -> None:
    """Refuse (`stale`, 409) a change made on a form or body that read an older version of `obj` than it has now;
    no expected version, no check."""
    if not _at_version(obj, expected_version):
        raise stale(version_of(obj))


def commit(obj: Any, stale: type[Stale] = Stale) -> None:
    """Commit the request's transaction. When the versioned UPDATE of `obj` matched no row (a concurrent request
    saved it first), the transaction is rolled back, `obj` re-read as the winner left it, and `stale` raised
    (NotFound when it was deleted meanwhile); any other failure is rolled back and re-raised.

    After the commit, `obj` and the other rows this request read keep the columns they had as written or read
    (`obj`'s new version among them), and the rows they refer to that were loaded (an attempt's mission, a
    capstone's learner), so the answer that shows them does not read them back (a new transaction and a query
    each); what the database set itself is read when asked for, as after any commit."""
    try:
        db.session.flush()
        known = [(other, _loaded_columns(other), _loaded_references(other))
                 for other in list(db.session.identity_map.values())]
        db.session.commit()
    except StaleDataError:
        if _lost(obj) == GONE:
            raise NotFound(DELETED_MEANWHILE) from None
        raise stale(version_of(obj)) from None
    except Exception:
        db.session.rollback()
        raise
    for other, columns, references in known:
        for key, value in {**columns, **references}.items():
            set_committed_value(other, key, value)


def _loaded_columns(obj: Any) -> dict[str, Any]:
    """{attribute: value} of `obj`'s column attributes that are loaded (flushed, so as the database has them)."""
    state = sa_inspect(obj)
    return {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs if attr.key in state.dict}


def _loaded_references(obj: Any) -> dict[str, Any]:
    """{attribute: row} of `obj`'s loaded many-to-one relationships whose foreign key (as flushed) names that row
    (or is empty for None): one whose key was changed without the relationship is left to load again."""
    state = sa_inspect(obj)
    kept = {}
    for rel in state.mapper.relationships:
        if rel.direction is not MANYTOONE or rel.uselist or rel.viewonly or rel.key not in state.dict:
            continue
        target = state.dict[rel.key]
        target_state = sa_inspect(target) if target is not None else None
        if target_state is not None and (target_state.deleted or target_state.was_deleted):
            continue
        for local, remote in rel.local_remote_pairs:
            key = state.dict.get(state.mapper.get_property_by_column(local).key, _MISSING)
            if target_state is None:
                named = key is None
            else:
                remote_key = target_state.mapper.get_property_by_column(remote).key
                named = key is not _MISSING and key == target_state.dict.get(remote_key, _MISSING)
            if not named:
                break
        else:
            kept[rel.key] = target
    return kept


_MISSING = object()


def compare_and_set(obj: Any, values: dict[str, Any], *, when: Iterable = (),
                    expected_version: int | None = None) -> bool:
    """Write `values` onto `obj`'s row only if the row still matches `when` (SQL conditions on its columns) and,
    if given, `expected_version` (the version the request read; its own pending changes are flushed first).
    True when this request won: `obj` then holds the new values (and version) as committed state. False when
    it lost: the transaction is rolled back and `obj` re-read as the winner left it."""
    return _compare_and_set(obj, values, when, expected_version) == WON


def _compare_and_set(obj: Any, values: dict[str, Any], when: Iterable, expected_version: int | None) -> str:
    session = db.session
    mapper = sa_inspect(type(obj))
    version = mapper.version_id_col
    version_key = mapper.get_property_by_column(version).key if version is not None else None
    if not _at_version(obj, expected_version):
        return _lost(obj)
    try:
        session.flush()
    except StaleDataError:
        return _lost(obj)
    table = mapper.local_table
    conditions = [col == getattr(obj, mapper.get_property_by_column(col).key) for col in mapper.primary_key]
    conditions += list(when)
    sets = {mapper.columns[name]: value for name, value in values.items()}
    if version is not None:
        if expected_version is not None:
            # Still the version this request read, moved on only by this request's own flush just now.
            conditions.append(version == getattr(obj, version_key))
        sets[version] = version + 1
    # What the database itself computes for this row (the new version, an `onupdate` timestamp) comes back.
    returned = [c for c in table.columns if c is version or (c.onupdate is not None and c not in sets)]
    with session.no_autoflush:
        # Set through the ORM first, so the cache sees which areas this change makes stale (as a flush would).
        for name, value in values.items():
            setattr(obj, name, value)
        caching.mark_changed(session, obj)
        stmt = update(table).where(*conditions).values(sets)
        if returned:
            row = session.execute(stmt.returning(*returned)).first()
            won = row is not None
        else:
            row, won = None, session.execute(stmt).rowcount == 1
    if not won:
        return _lost(obj)
    for name, value in values.items():
        set_committed_value(obj, name, value)      # written already: nothing left for the next flush
    for col, value in zip(returned, row or ()):
        set_committed_value(obj, mapper.get_property_by_column(col).key, value)
    return WON


def transition(obj: Any, values: dict[str, Any], *, when: Iterable = (), expected_version: int | None = None,
               conflict: Callable[[Any], DomainError | None] | None = None) -> None:
    """compare_and_set(), raising when this request lost: `conflict(obj)` is called with `obj` as it is now and
    raises (or returns) the error that says so; when it names none, a plain 409 does."""
    outcome = _compare_and_set(obj, values, when, expected_version)
    if outcome == WON:
        return
    if outcome == GONE:
        raise NotFound(DELETED_MEANWHILE)
    error = conflict(obj) if conflict is not None else None
    raise error or Conflict(CHANGED_MEANWHILE)


def _lost(obj: Any) -> str:
    """Roll the request back and re-read the row as the winner left it."""
    db.session.rollback()
    try:
        db.session.refresh(obj)
    except InvalidRequestError:      # the row was deleted meanwhile
        return GONE
    return LOST
