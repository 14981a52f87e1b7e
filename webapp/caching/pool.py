"""Checking pooled database connections before use, only when they have sat idle.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` each time a connection leaves the pool: one more round trip on
every request. A connection that was used a moment ago is almost always alive, and when it is not (the database
restarted while traffic flowed), the statement fails, the request answers 503 (webapp/errors.py) and SQLAlchemy
discards every connection the pool made before the failure, so each worker meets at most one dead connection.
What pre-ping really guards against is a connection that sat unused while a firewall or the server closed it.
So we ping only connections idle for longer than `IDLE_PING_SECONDS`; a failed ping makes the pool open a fresh
connection, as pre-ping does.
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc

IDLE_PING_SECONDS = 10.0


def _ping(dbapi_connection) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()


def install_idle_ping(engine, idle_seconds: float = IDLE_PING_SECONDS, clock=time.monotonic) -> None:
    """Ping a connection on checkout when it has been idle in the pool for more than `idle_seconds`."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = clock()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy) -> None:
        returned = record.info.pop("returned_at", None)
        if returned is None or clock() - returned <= idle_seconds:
            return
        try:
            _ping(dbapi_connection)
            # psycopg opens a transaction for the SELECT: end it so the connection is handed out clean.
            dbapi_connection.rollback()
        except Exception as err:  # the driver's own error types differ: any failure means "not usable"
            # The pool invalidates this connection and checks out another (a fresh one if need be).
            raise exc.DisconnectionError(f"idle connection failed its ping: {err}") from err
