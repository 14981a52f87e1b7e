"""Pooled connections are pinged only after sitting idle, and a failed ping hands out a fresh connection."""
from __future__ import annotations

import sqlite3

import pytest

from sqlalchemy import create_engine, text

from webapp.caching import pool as dbpool


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _engine(tmp_path, clock):
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}", pool_size=1, max_overflow=0)
    dbpool.install_idle_ping(engine, idle_seconds=10, clock=clock)
    return engine


def test_a_connection_used_moments_ago_is_not_pinged(tmp_path, monkeypatch):
    pings = []
    monkeypatch.setattr(dbpool, "_ping", lambda conn: pings.append(conn))
    clock = Clock()
    engine = _engine(tmp_path, clock)
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        clock.now += 9
    assert pings == []


def test_a_connection_idle_longer_than_the_limit_is_pinged(tmp_path, monkeypatch):
    pings = []
    monkeypatch.setattr(dbpool, "_ping", lambda conn: pings.append(conn))
    clock = Clock()
    engine = _engine(tmp_path, clock)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    clock.now += 11
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert len(pings) == 1


def test_a_failed_ping_replaces_the_connection(tmp_path, monkeypatch):
    clock = Clock()
    engine = _engine(tmp_path, clock)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
    failures = []

    def ping(conn):
        if conn is first:
            failures.append(conn)
            raise RuntimeError("server closed the connection")

    monkeypatch.setattr(dbpool, "_ping", ping)
    clock.now += 60
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection is not first
    assert failures == [first]


def test_the_real_ping_runs_a_statement_on_the_connection(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ping.sqlite3'}")
    with engine.connect() as conn:
        dbpool._ping(conn.connection.dbapi_connection)  # no error on a live connection
        conn.connection.dbapi_connection.close()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            dbpool._ping(conn.connection.dbapi_connection)
