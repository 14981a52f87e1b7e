"""Read caches every worker and every host can trust.

A value is kept in the process under the *revision* of the data it was made from (`models.CacheRevision`,
one row per area). Any flush that adds, changes or deletes a watched model writes a new random revision in the
same transaction, so a commit on any host makes every other worker's copies unreachable at their next read.
A cached read costs one primary-key query instead of the work it saves.

    html = cache.cached("catalogue", ("missions-list", track, tier), make_html)

Areas and the models they watch are declared in `WATCHED`. Writes that bypass the ORM unit of work (a Core
`update()` on a watched table) must call `bump(session, area)` themselves.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

MAX_ENTRIES = 256
_listening = False
_WATCHED: dict[str, tuple[type, ...]] = {}


def _watched() -> dict[str, tuple[type, ...]]:
    if not _WATCHED:
        from .models import Mission

        _WATCHED["catalogue"] = (Mission,)
    return _WATCHED


class RevisionCache:
    """A bounded LRU of values keyed by (area, revision, key); thread-safe (gthread workers)."""

    def __init__(self, maxsize: int = MAX_ENTRIES):
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, area: str, revision: str, key: Hashable, make: Callable[[], Any]) -> Any:
        full = (area, revision, key)
        with self._lock:
            if self._latest.get(area) != revision:
                # A new revision: the values made from older data will never be read again.
                self._latest[area] = revision
                for stale in [k for k in self._items if k[0] == area and k[1] != revision]:
                    del self._items[stale]
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]
        value = make()
        with self._lock:
            if self._latest.get(area) == revision:
                self._items[full] = value
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


def revision(area: str) -> str | None:
    from .extensions import db
    from .models import CacheRevision

    return db.session.scalar(select(CacheRevision.revision).where(CacheRevision.name == area))


def cached(area: str, key: Hashable, make: Callable[[], Any]) -> Any:
    """`make()`'s value for `key`, made at most once per revision of `area` in this process. With no revision
    row yet (a database the migrations did not fill), nothing is cached."""
    from flask import current_app

    current = revision(area)
    if current is None:
        return make()
    return current_app.extensions["revision_cache"].get(area, current, key, make)


def bump(session: Session, area: str) -> None:
    """Write a new revision for `area` in the session's transaction (insert the row if it is missing)."""
    from .models import CacheRevision

    table = CacheRevision.__table__
    token = secrets.token_hex(16)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(name=area, revision=token)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.name], set_={"revision": token}))


def _before_flush(session: Session, _context, _instances) -> None:
    # `dirty` also holds objects whose attributes were set to the values they had: those change nothing.
    changed = list(session.new) + list(session.deleted) + [
        obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    if not changed:
        return
    for area, models in _watched().items():
        if any(isinstance(obj, models) for obj in changed):
            bump(session, area)


def init_cache(app) -> None:
    global _listening
    app.extensions["revision_cache"] = RevisionCache()
    if not _listening:
        event.listen(Session, "before_flush", _before_flush)
        _listening = True
