"""The comment bank (SPEC §13): a mentor's (or admin's) feedback snippets, listed, searched, created, edited
and deleted by their owner only, and offered in the review workspace: the owner's global snippets and those of
the reviewed mission's track.

Another user's snippet is "not found" (404), never "forbidden": its existence is nobody else's business. The
rules of what a snippet holds are domain.snippets.clean_snippet."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from ..domain import policies
from ..domain import snippets as rules
from ..domain.errors import NotFound
from ..extensions import db
from ..models import CommentSnippet, User
from .actors import actor_for

NOT_MENTOR = "Only mentors and admins keep a comment bank."
NOT_FOUND = "That snippet does not exist."


def _require_mentor(user: User) -> None:
    policies.require(actor_for(user).is_mentor, NOT_MENTOR)


def _like(q: str):
    """A case-insensitive match of `q` anywhere in the title or the body (LIKE wildcards typed are literal)."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(func.lower(CommentSnippet.title).like(pattern, escape="\\"),
               func.lower(CommentSnippet.body).like(pattern, escape="\\"))


def owned_query(user: User, q: Any = "", track: str | None = None):
    """The select() of the user's snippets matching `q` (title or body, case-insensitive), by title; with a
    `track`, only those offered in its reviews (global ones and that track's). It checks nobody's role: the
    callers below (owned, for_track, listing) first refuse a learner."""
    stmt = select(CommentSnippet).where(CommentSnippet.owner_id == user.id)
    terms = rules.search_terms(q)
    if terms:
        stmt = stmt.where(_like(terms))
    if track:
        stmt = stmt.where(or_(CommentSnippet.track.is_(None), CommentSnippet.track == track))
    return stmt.order_by(func.lower(CommentSnippet.title), CommentSnippet.id)


def listing(user: User, q: Any = "", track: str | None = None):
    """owned_query() for a mentor or admin (a learner: 403)."""
    _require_mentor(user)
    return owned_query(user, q, track)


def _search(user: User, q: Any, track: str | None, limit: int) -> list[CommentSnippet]:
    return list(db.session.scalars(owned_query(user, q, track).limit(limit)))


def owned(user: User, q: Any = "", limit: int = rules.LIST_LIMIT) -> list[CommentSnippet]:
    """The user's snippets (every track), matching `q` in the title or body, by title."""
    _require_mentor(user)
    return _search(user, q, None, limit)


def for_track(user: User, track: str | None, q: Any = "", limit: int = rules.SEARCH_LIMIT) -> list[CommentSnippet]:
    """What the review workspace offers: the user's global snippets and those of `track` (every snippet when
    no track is given), matching `q`, at most `limit`."""
    _require_mentor(user)
    return _search(user, q, track, limit)


def get_owned(user: User, snippet_id: int) -> CommentSnippet:
    """The user's own snippet; anyone else's (or none) is 404."""
    _require_mentor(user)
    snippet = db.session.get(CommentSnippet, snippet_id)
    if snippet is None or snippet.owner_id != user.id:
        raise NotFound(NOT_FOUND)
    return snippet


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def create(user: User, title: Any, body: Any, track: Any) -> CommentSnippet:
    _require_mentor(user)
    snippet = CommentSnippet(owner_id=user.id, **rules.clean_snippet(title, body, track))
    db.session.add(snippet)
    _commit()
    return snippet


def update(user: User, snippet_id: int, title: Any, body: Any, track: Any) -> CommentSnippet:
    """Replace the snippet's title, body and track (all three, as the form sends them); see patch()."""
    snippet = get_owned(user, snippet_id)
    for name, value in rules.clean_snippet(title, body, track).items():
        setattr(snippet, name, value)
    _commit()
    return snippet


def patch(user: User, snippet_id: int, changes: dict[str, Any]) -> CommentSnippet:
    """Change some of title, body and track (the API's PATCH): the others keep their values."""
    snippet = get_owned(user, snippet_id)
    merged = {"title": snippet.title, "body": snippet.body, "track": snippet.track}
    merged.update({k: v for k, v in changes.items() if k in merged})
    return update(user, snippet_id, merged["title"], merged["body"], merged["track"])


def delete(user: User, snippet_id: int) -> str:
    """Delete the user's snippet; returns its title (for the message)."""
    snippet = get_owned(user, snippet_id)
    title = snippet.title
    db.session.delete(snippet)
    _commit()
    return title
