"""Rate-limit counts in the app's own database: a storage for the `limits` library (which Flask-Limiter uses),
registered as `database://`, the default RATELIMIT_STORAGE_URI.

Every worker and every host that shares the database shares the counts, so "10 login attempts a minute" means
ten in all, not ten per process; no other service has to run. Each count is one upsert in its own short
transaction (not the request's: a refused login must still count). Supports the fixed-window strategy,
Flask-Limiter's default. `redis://` and `memcached://` URIs still work with their client packages installed.
"""
from __future__ import annotations

import threading
import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.exc import SQLAlchemyError

SCHEME = "database"
CLEANUP_EVERY = 200   # increments between two sweeps of expired windows


def _now() -> float:
    """Seconds since the epoch on this host (the windows follow the app hosts' clocks: keep them in sync)."""
    return time.time()


def _table():
    from .models import RateLimitCounter

    return RateLimitCounter.__table__


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._lock = threading.Lock()
        self._increments = 0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @property
    def engine(self):
        """The current app's engine (its pool, URL and options). Each call checks out a connection of its own,
        outside the request's session and transaction."""
        from .extensions import db

        return db.engine

    def _insert(self):
        from .models.base import dialect_insert

        return dialect_insert(self.engine.dialect.name)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        t = _table()
        now = _now()
        expired = t.c.expires_at <= now
        stmt = self._insert()(t).values(key=key, count=amount, expires_at=now + expiry)
        # SET expressions read the row as it was, so both see whether the old window had ended.
        stmt = stmt.on_conflict_do_update(index_elements=[t.c.key], set_={
            "count": case((expired, amount), else_=t.c.count + amount),
            "expires_at": case((expired, now + expiry), else_=t.c.expires_at),
        }).returning(t.c.count)
        with self.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            with self._lock:
                self._increments += 1
                sweep = self._increments % CLEANUP_EVERY == 0
            if sweep:
                conn.execute(delete(t).where(t.c.expires_at < now))
        return int(count)

    def get(self, key: str) -> int:
        t = _table()
        with self.engine.connect() as conn:
            count = conn.execute(select(t.c.count).where(t.c.key == key, t.c.expires_at > _now())).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        t = _table()
        now = _now()
        with self.engine.connect() as conn:
            expires = conn.execute(select(t.c.expires_at).where(t.c.key == key)).scalar()
        return float(expires) if expires and expires > now else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_table())).rowcount

    def clear(self, key: str) -> None:
        t = _table()
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.key == key))


def init_ratelimit(app) -> None:
    """Bind Flask-Limiter. The app has no default, application or blueprint-wide limits: only views decorated
    with `@limiter.limit` are limited, each by its decorator when the view runs, so its check on every request is
    left out (webapp/caching/overrides.py)."""
    from .caching.overrides import limiter_without_request_hook
    from .extensions import limiter

    limiter_without_request_hook(app, limiter)
