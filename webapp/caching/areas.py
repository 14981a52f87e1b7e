"""Which cached areas a change to a row makes stale.

Each model says it itself, next to its columns, in a method `cache_areas(self, change) -> set[str]` that reads
the `Change` below: the shared areas ("catalogue", "people", "reviews") its rows show on, and the learners whose
own area ("learner:<id>") holds them. A model that shows on no cached page returns an empty set. A model that
defines no `cache_areas` makes "everything" stale, which every cached value depends on, so a new table can never
serve stale pages by omission (tests/app/test_cache_areas.py checks that every model says something).
"""
from __future__ import annotations

import functools

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

EVERYTHING = "everything"


def learner_area(user_id: int) -> str:
    """Everything about one learner: their profile, attempts, capstones and their history, files, reviews,
    portfolio items and mentor assignments."""
    return f"learner:{user_id}"


class Change:
    """One row added, changed or deleted in a flush, as its model's `cache_areas` reads it."""

    def __init__(self, session: Session, obj, is_new: bool):
        self.session = session
        self.obj = obj
        self.is_new = is_new
        self.is_deleted = obj in session.deleted

    def only(self, columns: frozenset[str]) -> bool:
        """Whether this change sets nothing but `columns` (a row added or deleted changes every column)."""
        if self.is_new or self.is_deleted:
            return False
        state = inspect(self.obj)
        return not {attr.key for attr in state.attrs if attr.history.has_changes()} - columns

    def ever_set(self, column: str) -> bool:
        """Whether `column` of this row may hold a value before or after this change (not None on either side;
        a value changed without its old one loaded counts as set before)."""
        state = inspect(self.obj)
        if self.is_new:
            return state.dict.get(column) is not None
        if column not in state.dict:
            return True                 # not loaded (nothing is read during a flush): it may be set
        if state.dict[column] is not None:
            return True
        history = state.attrs[column].history
        if self.is_new or not history.has_changes():
            return False
        return not history.deleted or any(v is not None for v in history.deleted)

    def unless_only(self, columns: frozenset[str], *areas: str) -> set[str]:
        """`areas`, unless this change sets nothing but `columns` (columns those areas' pages do not show)."""
        return set() if self.only(columns) else set(areas)

    def learners(self, *columns: str) -> set[str]:
        """The own areas of the users each of `columns` names, before and after this change (a moved row has
        two owners to tell). "owner_id" is a column of this row; "capstone_id.learner_id" is the column
        `learner_id` of the row that this row's foreign key `capstone_id` points to."""
        ids: set[int] = set()
        for column in columns:
            local, _, remote = column.partition(".")
            values = _values(self.session, self.obj, local)
            if remote:
                values = _parent_values(self.session, _target(type(self.obj), local), remote, values)
            ids |= values
        return {learner_area(i) for i in ids}


def areas_of(session: Session, obj, is_new: bool) -> set[str]:
    """The cache areas a change to `obj` makes stale (see the module's docstring)."""
    declared = getattr(obj, "cache_areas", None)
    if declared is None:
        return {EVERYTHING}
    return set(declared(Change(session, obj, is_new)))


def _values(session: Session, obj, name: str) -> set:
    """The value of column `name` now and before this flush. A new object may have its parent set through the
    relationship (`learner=user`) with the column still empty until the flush."""
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
        if name.endswith("_id") and relation in state.attrs and relation in state.dict:
            history = state.attrs[relation].history
            for parent in (*(history.added or ()), *(history.deleted or ()), *(history.unchanged or ())):
                if parent is not None:
                    values.add(getattr(parent, "id", None))
    return {v for v in values if v is not None}


@functools.cache
def _target(model, column: str):
    """The mapped class whose table the foreign key `column` of `model` points to."""
    (foreign_key,) = model.__mapper__.columns[column].foreign_keys
    table = foreign_key.column.table
    return next(m.class_ for m in model.__mapper__.registry.mappers if m.local_table is table)


def _parent_values(session: Session, model, column: str, ids: set) -> set:
    """`column` of the `model` rows with these ids (from the session when they are loaded, else one query)."""
    found = set()
    with session.no_autoflush:
        for parent_id in ids:
            parent = session.get(model, parent_id)
            if parent is not None:
                found.add(getattr(parent, column))
    return {v for v in found if v is not None}
