"""Readiness: what must hold before an app process takes traffic (used by /readyz and the container check).

Each check returns a reason for the log, never for the client. Nothing here writes.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..storage import get_storage


def migration_heads() -> frozenset[str]:
    """The revisions the code expects the database to be at: read once per app from the migration scripts."""
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = current_app.extensions["migrate"].directory
        heads = frozenset(ScriptDirectory(directory).get_heads())
        current_app.extensions["migration_heads"] = heads
    return heads


def database_problem() -> str | None:
    """None when the database answers and its schema is at the code's head; else why not."""
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = (str(cause).splitlines() or [""])[0]
        return f"database: {type(cause).__name__}: {first_line[:200]}"
    expected = migration_heads()
    if set(rows) != expected:
        found = ", ".join(sorted(rows)) or "none"
        return f"database: schema at {found}, the code needs {', '.join(sorted(expected))} (run `flask db upgrade`)"
    return None


def storage_problem() -> str | None:
    """None when the storage backend is reachable and usable; else why not."""
    try:
        reason = get_storage().unavailable()
    except Exception as exc:  # a backend that cannot even be built (a bad endpoint) is not ready either
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    return f"storage: {reason}" if reason else None


def problems() -> list[str]:
    """Every reason this process is not ready; empty when it is."""
    return [p for p in (database_problem(), storage_problem()) if p]
