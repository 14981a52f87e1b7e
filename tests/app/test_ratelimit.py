"""Rate-limit counts kept in the app's database (webapp/ratelimit.py, RATELIMIT_STORAGE_URI=database://)."""
from __future__ import annotations

import pytest
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select

from tests import factories
from webapp import ratelimit
from webapp.extensions import db, limiter
from webapp.models import RateLimitCounter


@pytest.fixture
def storage(app):
    store = storage_from_string("database://")
    yield store
    store.reset()


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


def test_the_scheme_gives_the_database_storage_and_it_is_the_default(app, storage):
    assert isinstance(storage, ratelimit.DatabaseStorage)
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    assert storage.check() is True


def test_counts_add_up_in_the_database_and_are_kept_per_key(storage, clock):
    assert [storage.incr("login/1.2.3.4", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("login/5.6.7.8", 60, amount=2) == 2
    assert storage.get("login/1.2.3.4") == 3
    assert storage.get("nobody") == 0
    assert storage.get_expiry("login/1.2.3.4") == clock[0] + 60
    rows = dict(db.session.execute(select(RateLimitCounter.key, RateLimitCounter.count)).all())
    assert rows == {"login/1.2.3.4": 3, "login/5.6.7.8": 2}


def test_a_new_window_starts_from_one_when_the_old_one_ended(storage, clock):
    storage.incr("k", 60)
    storage.incr("k", 60)
    clock[0] += 59
    assert storage.get("k") == 2
    clock[0] += 1
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == clock[0] + 60


def test_clear_and_reset_forget_counts(storage, clock):
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0


def test_expired_windows_are_swept_from_the_table(storage, clock, monkeypatch):
    monkeypatch.setattr(ratelimit, "CLEANUP_EVERY", 3)
    storage.incr("old-1", 10)
    storage.incr("old-2", 10)
    clock[0] += 11
    storage.incr("new", 10)   # the third increment sweeps what had expired
    db.session.rollback()
    assert db.session.scalars(select(RateLimitCounter.key)).all() == ["new"]


def test_the_limits_library_enforces_a_limit_on_it(storage, clock):
    limiter_ = FixedWindowRateLimiter(storage)
    per_minute = RateLimitItemPerMinute(3)
    assert [limiter_.hit(per_minute, "login", "9.9.9.9") for _ in range(4)] == [True, True, True, False]
    clock[0] += 61
    assert limiter_.hit(per_minute, "login", "9.9.9.9") is True


def test_login_limit_is_counted_in_the_database(client, app):
    limiter.init_app(app)   # another test may have bound the shared limiter to another storage
    factories.make_user("learner", email="who@example.com")
    for _ in range(10):
        assert client.post("/auth/login", data={"email": "who@example.com", "password": "wrong"}).status_code == 422
    resp = client.post("/auth/login", data={"email": "who@example.com", "password": "wrong"})
    assert resp.status_code == 429
    assert "Too many failed login attempts" in resp.get_data(as_text=True)
    # Both windows of the address's limit and of the account's counted the ten failed attempts; the refused
    # eleventh was not checked, so it does not count. The account's counts are keyed by a hash, not the address.
    counts = dict(db.session.execute(select(RateLimitCounter.key, RateLimitCounter.count)).all())
    by_address = {key: n for key, n in counts.items() if "account:" not in key}
    by_account = {key: n for key, n in counts.items() if "account:" in key}
    assert sorted((key.split("/")[-1], n) for key, n in by_address.items()) == [("hour", 10), ("minute", 10)]
    assert sorted((key.split("/")[-1], n) for key, n in by_account.items()) == [("day", 10), ("minute", 10)]
    assert not any("who@example.com" in key for key in counts)


def test_successful_logins_leave_no_count_in_the_database(client, app):
    limiter.init_app(app)
    factories.make_user("learner", email="who@example.com")
    for _ in range(12):
        assert client.post("/auth/login", data={"email": "who@example.com",
                                                "password": factories.PASSWORD}).status_code == 303
        assert client.post("/auth/logout").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
