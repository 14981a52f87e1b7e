"""Reads that come before the request's transaction, in one round trip each.

A request's first query on the ORM session costs three round trips on PostgreSQL: `BEGIN`, the query, and the
`ROLLBACK` when the session closes. Most requests for a cached page run only small reads — the logged-in user,
an API token, an access check — and nothing else, so those round trips were most of their database time.

`first()` and `scalars()` run such a read on a pooled connection in autocommit mode instead: one round trip,
and the session never opens a transaction when the page comes from the cache. This is safe because PostgreSQL
runs each statement of a READ COMMITTED transaction (the default, which the app keeps) on its own snapshot: a
read just before the transaction sees what the transaction's first statement would have seen. SQLite has no
round trips to save, and takes the same path. Once the session holds a connection or unflushed changes, the
read goes through the session, so it sees the request's own writes.

`adopt()` turns a row read this way into a model instance in the session, as if the session had loaded it
(relationships still load lazily through the session).
"""
from __future__ import annotations

import functools
import logging

from sqlalchemy import event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

CONNECTED = "quickread.connected"
log = logging.getLogger("webapp")


def _session():
    from ..extensions import db

    return db.session()


def _may_read_outside(session) -> bool:
    """True while the session has neither a connection (so nothing flushed) nor changes waiting to flush."""
    return not session.info.get(CONNECTED) and not (session.new or session.dirty or session.deleted)


def may_read_outside() -> bool:
    """Whether a read now would run outside the request's transaction (the session has not begun one)."""
    return _may_read_outside(_session())


def _rows(statement, params: dict | None) -> list:
    from ..extensions import db

    session = _session()
    if not _may_read_outside(session):
        return session.execute(statement, params or {}).all()
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # Fetched in full before the connection goes back to the pool.
        rows = conn.execute(statement, params or {}).all()
    except BaseException:
        conn.close()
        raise
    try:
        conn.close()
    except SQLAlchemyError as err:
        # The rows are in hand; a connection that fails on its way back is dropped by the pool (a disconnect
        # invalidates it), and the request goes on.
        log.warning("Discarded a connection that failed after a read: %s", err)
    return rows


def first(statement, params: dict | None = None):
    """The first row of a Core `statement` (column expressions, not ORM entities), or None."""
    rows = _rows(statement, params)
    return rows[0] if rows else None


def rows(statement, params: dict | None = None) -> list:
    """Every row of a Core `statement`."""
    return list(_rows(statement, params))


def scalars(statement, params: dict | None = None) -> list:
    """The first column of every row of a Core `statement`."""
    return [row[0] for row in _rows(statement, params)]


@functools.cache
def _column_attributes(model) -> tuple:
    return tuple(model.__mapper__.column_attrs)


def columns(model) -> tuple:
    """The table column of each of `model`'s mapped columns, in the order `adopt()` reads them from a row."""
    return tuple(prop.columns[0] for prop in _column_attributes(model))


def adopt(model, row, **related):
    """The `model` instance whose columns are the first values of `row` (selected with `columns(model)`), in the
    session as a persistent, unmodified object: the one already there with the same primary key, if any, with
    its expired columns filled in. `related` sets many-to-one relationships to instances adopted from the same
    row, as a joined load would (the session holds unmodified objects weakly: one nothing refers to is gone)."""
    instance = _adopt(model, row)
    for name, value in related.items():
        set_committed_value(instance, name, value)
    return instance


def _adopt(model, row):
    session = _session()
    mapper = model.__mapper__
    attributes = _column_attributes(model)
    values = {prop.key: row[i] for i, prop in enumerate(attributes)}
    key = mapper.identity_key_from_primary_key([values[mapper.get_property_by_column(col).key]
                                                for col in mapper.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        # What the session holds stays (as with any query); what it had expired is filled in from the row.
        for name in inspect(existing).unloaded & values.keys():
            set_committed_value(existing, name, values[name])
        return existing
    instance = mapper.class_manager.new_instance()
    for name, value in values.items():
        set_committed_value(instance, name, value)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _began(session, _transaction, _connection) -> None:
    session.info[CONNECTED] = True


def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTED, None)


def init_quickread() -> None:
    """Track, per session, whether it holds a connection (idempotent)."""
    if not event.contains(Session, "after_begin", _began):
        event.listen(Session, "after_begin", _began)
        event.listen(Session, "after_transaction_end", _ended)
