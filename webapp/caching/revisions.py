"""Revisions in the database: one row per area (`models.CacheRevision`), a new random token each time its data
changes, written in the same transaction as the change, so a commit on any host makes every other worker's
copies unreachable at their next read.

Any flush that adds, changes or deletes a row writes new revisions for the areas its model's `cache_areas` names
(webapp/caching/areas.py). Reading the revisions costs one query per request, or none when the query that loads
the user (or the capstone, or the portfolio owner) brings them along (`viewer_columns` with `remember_viewer`,
`learner_column` with `remember_learner`). What this request knows is kept in `g` for the rest of it.
"""
from __future__ import annotations

import secrets

from sqlalchemy import String, cast, event, literal, select
from sqlalchemy.orm import Session

from .areas import EVERYTHING, areas_of, learner_area

# Areas whose rows the migrations create (0007, 0010); a learner's area gets its row when first needed.
SHARED_AREAS = ("catalogue", EVERYTHING, "people", "reviews")
BUMPED = "cache_areas_bumped"     # session.info: the areas given a new revision in the open transaction
_MEMO = "_cache_revisions"        # g: the revisions this request knows


def _memo() -> dict:
    from flask import g

    return g.setdefault(_MEMO, {})


def current(*areas: str) -> tuple[str, ...]:
    """The current revisions of `areas`, read in one query and remembered for the rest of the request (a bump
    in this request forgets them again). An area without a row yet gets one first."""
    from ..extensions import db
    from ..models import CacheRevision

    memo = _memo()
    missing = [area for area in areas if area not in memo]
    if missing:
        query = select(CacheRevision.name, CacheRevision.revision).where(CacheRevision.name.in_(missing))
        found = dict(db.session.execute(query).all())
        if len(found) < len(missing):
            _create([area for area in missing if area not in found])
            found = dict(db.session.execute(query).all())
        memo.update(found)
    return tuple(memo[area] for area in areas)


def uncommitted(areas) -> bool:
    """Whether this request's open transaction changed data of `areas` (what it reads may still change before
    the commit, under the same new revision: it must not be kept)."""
    from ..extensions import db

    return bool(db.session.info.get(BUMPED, set()).intersection(areas))


def _create(areas: list[str]) -> None:
    """Insert a first revision for each area, committed at once on a connection of its own. A writer that
    changes the area's data upserts the same row in its transaction: this insert then waits for that commit
    and keeps the writer's revision, so nothing read before the change can be stored under a revision that
    stays current after it."""
    from ..extensions import db
    from ..models import CacheRevision
    from ..models.base import dialect_insert

    table = CacheRevision.__table__
    with db.engine.begin() as conn:
        for area in sorted(areas):
            stmt = dialect_insert(conn.dialect.name)(table).values(name=area, revision=secrets.token_hex(16))
            conn.execute(stmt.on_conflict_do_nothing(index_elements=[table.c.name]))


# ---- revisions brought along by a query the request runs anyway ------------------------------------------

def _revision_of(area):
    """A scalar subquery for the revision of `area` (a name, or a SQL expression that makes one)."""
    from ..models import CacheRevision

    return select(CacheRevision.revision).where(CacheRevision.name == area).scalar_subquery()


def learner_column(user_id_column):
    """The revision of the learner's own area, as a column to add to a query that reads `user_id_column`."""
    return _revision_of(literal("learner:") + cast(user_id_column, String))


def viewer_columns(user_id_column) -> tuple:
    """The revisions of the shared areas and of the user's own area, as columns to add at the end of the query
    that loads the user (see `remember_viewer`): a page of shared or of the user's own data then needs no query
    for its revisions."""
    return tuple(_revision_of(area) for area in SHARED_AREAS) + (learner_column(user_id_column),)


def remember_viewer(user_id: int, row) -> None:
    """Keep the values of `viewer_columns()` (the last values of `row`) for the rest of the request."""
    values = tuple(row)[-len(SHARED_AREAS) - 1:]
    _remember({**dict(zip(SHARED_AREAS, values[:-1])), learner_area(user_id): values[-1]})


def remember_learner(user_id: int, revision: str | None) -> None:
    """Keep the value of `learner_column()` for the rest of the request."""
    _remember({learner_area(user_id): revision})


def knows_learner(user_id: int) -> bool:
    """Whether this request already knows the revision of the user's own area (it came with the user)."""
    from flask import g

    return learner_area(user_id) in g.get(_MEMO, {})


def _remember(revisions_by_area: dict[str, str | None]) -> None:
    """An area without a row is left out, so `current` creates it."""
    memo = _memo()
    for area, value in revisions_by_area.items():
        if value is not None:
            memo.setdefault(area, value)


# ---- writing new revisions ---------------------------------------------------------------------------------

def bump(session: Session, area: str) -> None:
    """Write a new revision for `area` in the session's transaction (insert the row if it is missing). Once is
    enough per transaction: nothing is cached from an area while its new revision is uncommitted."""
    from flask import g, has_app_context

    from ..models import CacheRevision
    from ..models.base import dialect_insert

    table = CacheRevision.__table__
    token = secrets.token_hex(16)
    stmt = dialect_insert(session.get_bind().dialect.name)(table).values(name=area, revision=token)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.name], set_={"revision": token}))
    session.info.setdefault(BUMPED, set()).add(area)
    if has_app_context():
        g.get(_MEMO, {}).pop(area, None)


def mark_changed(session: Session, obj, is_new: bool = False) -> None:
    """Bump the areas a change to `obj` makes stale that this transaction has not bumped yet: for a write that
    bypasses the unit of work (a Core `update()` of a loaded object, after setting its attributes)."""
    # Always in the same order, so two transactions never wait on each other's rows in opposite orders.
    for area in sorted(areas_of(session, obj, is_new) - session.info.get(BUMPED, set())):
        bump(session, area)


def _before_flush(session: Session, _context, _instances) -> None:
    # `dirty` also holds objects whose attributes were set to the values they had: those change nothing.
    changed = [(obj, True) for obj in session.new] + [(obj, False) for obj in session.deleted] + [
        (obj, False) for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    areas: set[str] = set()
    for obj, is_new in changed:
        areas |= areas_of(session, obj, is_new)
    for area in sorted(areas - session.info.get(BUMPED, set())):
        bump(session, area)


def _transaction_ended(session: Session, transaction) -> None:
    # At the commit or rollback of the whole transaction, and at the end of a savepoint (its rollback undoes its
    # bumps, so the next flush must bump again); not at the end of a flush's own inner transaction.
    if transaction.parent is None or transaction.nested:
        session.info.pop(BUMPED, None)


def listen() -> None:
    """Bump on every flush of every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_transaction_end", _transaction_ended)
