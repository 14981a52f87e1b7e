"""A whole-database snapshot for tests that assert a refused request changed nothing."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from webapp.extensions import db


def database_snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of all its rows."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(table)))
            out[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out
