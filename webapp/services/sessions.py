"""Login sessions kept on the server (SPEC §12: logout and a password change end sessions for real).

Each login opens a row in `user_sessions` with a random id; the browser's session cookie and its remember-me
cookie carry that id (Flask-Login's alternative id, `User.get_session_id`), the database only its SHA-256 hash.
A request is logged in while its id names a row of an active user that has not outlived its lifetime: deleting
the row ends the session wherever its cookies went. Logout deletes the row of that session; a password change
deletes the user's other rows; deactivation, and a password reset, delete them all (`end_all_sessions`).

The functions that only add or delete rows (`open_session`, `delete_sessions`) leave the commit to the use case
that calls them, so a password change and the end of the other sessions are one transaction.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import caching
from ..caching import quickread
from ..extensions import db
from ..models import User, UserSession
from ..models.base import utcnow

log = logging.getLogger("webapp")

TOKEN_BYTES = 32                 # 256 random bits, as urlsafe base64: 43 characters
MAX_TOKEN_LENGTH = 200           # anything longer is not one of ours and is not looked up
TOUCH_EVERY = timedelta(hours=1)  # how often a session in use moves its last_seen_at forward (one UPDATE)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _seconds(value) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def lifetime(remember: bool) -> timedelta:
    """How long a session may go unused: a remembered one as long as its remember-me cookie
    (REMEMBER_COOKIE_DURATION, Flask-Login's default a year), another as long as a session cookie
    (PERMANENT_SESSION_LIFETIME, two weeks)."""
    if remember:
        return _seconds(current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365)))
    return _seconds(current_app.config["PERMANENT_SESSION_LIFETIME"])


def _expired(now: datetime):
    """SQL: the rows whose lifetime has run out at `now`."""
    return or_(and_(UserSession.remember.is_(True), UserSession.last_seen_at < now - lifetime(True)),
               and_(UserSession.remember.is_(False), UserSession.last_seen_at < now - lifetime(False)))


def open_session(user: User, remember: bool = False) -> str:
    """Add a session row for `user` (the caller commits) and attach its id to `user` for Flask-Login.
    The user's rows that have expired go in the same transaction, so the table holds live sessions only
    (and those of users who never log in again, until their account is deactivated)."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, _expired(now))
                       .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(user_id=user.id, token_hash=_hash(token), remember=bool(remember), created_at=now,
                      last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    user.session_token, user.session_id = token, row.id
    return token


def start_session(user: User, remember: bool = False) -> str:
    """Open a session for `user` and commit it: the id for the session cookie."""
    token = open_session(user, remember)
    db.session.commit()
    return token


@functools.cache
def _session_query():
    """The session, its user, and the shared cache revisions with the user's own (webapp/caching reads them
    from the end of the row); one statement, built once (building a statement costs more than running it)."""
    return (select(*quickread.columns(User), UserSession.id, UserSession.remember, UserSession.last_seen_at,
                   *caching.viewer_columns(User.id))
            .join_from(UserSession, User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == bindparam("token_hash")))


def user_for_session(token: str) -> User | None:
    """The active user whose live session has this id, or None. One round trip before any transaction
    (webapp/caching/quickread.py); a session in use is written to at most once an hour (`TOUCH_EVERY`)."""
    if not token or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = quickread.first(_session_query(), {"token_hash": _hash(token)})
    if row is None:
        return None
    n = len(quickread.columns(User))
    session_id, remember, last_seen_at = row[n], row[n + 1], row[n + 2]
    now = utcnow()
    if last_seen_at < now - lifetime(bool(remember)):
        return None
    user = quickread.adopt(User, row)
    caching.remember_viewer(user.id, row)
    if not user.is_active:
        return None
    user.session_token, user.session_id = token, session_id
    if now - last_seen_at > TOUCH_EVERY:
        _touch(session_id, now)
    return user


def _touch(session_id: int, now: datetime) -> None:
    """Record that the session is in use, in a short transaction of its own (not the request's, which may not
    commit). Skipped while the request's session holds a connection (SQLite would wait on its own lock); a
    failure only delays the record to a later request."""
    if not quickread.may_read_outside():
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(update(UserSession.__table__).where(UserSession.__table__.c.id == session_id)
                         .values(last_seen_at=now))
    except SQLAlchemyError as err:
        log.warning("Could not record the use of session %s: %s", session_id, err)


def delete_sessions(user: User, keep_id: int | None = None) -> int:
    """Delete the user's session rows, but the one with id `keep_id` (the caller commits). The number deleted."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def end_session(user: User) -> None:
    """Logout: end the session this request was made in (the user's other sessions go on)."""
    if user.session_id is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == user.session_id)
                           .execution_options(synchronize_session=False))
        db.session.commit()
    user.session_token = user.session_id = None


def end_all_sessions(user: User) -> int:
    """End every session and remember-me cookie of `user` (a password reset, an account taken over).
    The number of sessions ended."""
    ended = delete_sessions(user)
    db.session.commit()
    return ended
