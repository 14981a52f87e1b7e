"""Personal API tokens. The secret is shown once; only its SHA-256 hash is stored."""
from __future__ import annotations

import functools
import hashlib
import secrets

from sqlalchemy import bindparam, select

from .. import caching
from ..caching import quickread
from ..domain.errors import Invalid, NotFound
from ..extensions import db
from ..models import ApiToken, User
from ..models.base import utcnow

TOKEN_PREFIX = "mt_"
MAX_ACTIVE_TOKENS = 20


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "API token") -> tuple[ApiToken, str]:
    """Create a token and return (row, secret). The secret cannot be read back later."""
    name = (name or "").strip() or "API token"
    if len(name) > 80:
        raise Invalid("Token names are at most 80 characters.", fields={"name": "at most 80 characters"})
    active = db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id,
                                                          ApiToken.revoked_at.is_(None))).all()
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise Invalid(f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_hash(secret), prefix=secret[:10])
    db.session.add(row)
    db.session.commit()
    return row, secret


@functools.cache
def _token_query():
    """The token, its user and the cache revisions the user's pages need; built once (building a statement costs
    more than running it)."""
    return (select(*quickread.columns(ApiToken), *quickread.columns(User),
                   *caching.viewer_columns(User.id))
            .join_from(ApiToken, User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)))


def user_for_token(secret: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    # The shared cache revisions come with the token (see auth.login's user loader), in one round trip before
    # any transaction (webapp/caching/quickread.py).
    found = quickread.first(_token_query(), {"token_hash": _hash(secret)})
    if found is None:
        return None
    token_columns = len(quickread.columns(ApiToken))
    user = quickread.adopt(User, found[token_columns:])
    if not user.is_active:
        return None
    row = quickread.adopt(ApiToken, found)
    caching.remember_viewer(user.id, found)
    now = utcnow()
    # Record use at most once a minute, so reads do not turn into writes on every call.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        db.session.commit()
    return row.user


def list_tokens(user: User) -> list[ApiToken]:
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()


def revoke_token(user: User, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("That token does not exist.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row
