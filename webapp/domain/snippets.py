"""The comment bank (SPEC §13): a mentor's reusable feedback snippets, global or for one track.

`clean_snippet` is the one check of what a snippet may hold (title, Markdown body, track); the pages and any
other caller refuse what it refuses, with a message per field.
"""
from __future__ import annotations

from typing import Any

from .catalogue import TRACK_LABELS, TRACKS
from .errors import Invalid
from .text import collect_text

TITLE_MAX = 120
BODY_MAX = 5_000
SEARCH_MAX = 100          # characters of a search
SEARCH_LIMIT = 20         # snippets a search in the review workspace answers
LIST_LIMIT = 200          # snippets the comment bank page lists


def clean_snippet(title: Any, body: Any, track: Any) -> dict[str, Any]:
    """{title, body, track} cleaned (track None = global), or Invalid naming every field that breaks a rule:
    a title (one line, at most TITLE_MAX characters) and a body (Markdown, at most BODY_MAX) are required; a
    track, when given, is one of the tracks."""
    problems: dict[str, str] = {}
    clean_title = collect_text(title, "title", problems, limit=TITLE_MAX, one_line=True)
    clean_body = collect_text(body, "body", problems, limit=BODY_MAX)
    if "title" not in problems and not clean_title:
        problems["title"] = "is required"
    if "body" not in problems and not clean_body:
        problems["body"] = "is required"
    key = track.strip() if isinstance(track, str) else track
    if key in (None, ""):
        key = None
    elif key not in TRACKS:
        problems["track"] = "must be one of: " + ", ".join(TRACKS) + " (or empty for every track)"
    if problems:
        first = next(iter(problems))
        raise Invalid(f"The snippet's {first} {problems[first]}.", fields=problems)
    return {"title": clean_title, "body": clean_body, "track": key}


def scope_label(track: str | None) -> str:
    """How a snippet's reach reads: "All tracks" or the track's label."""
    return TRACK_LABELS.get(track, track) if track else "All tracks"


def search_terms(q: Any) -> str:
    """A search as typed, trimmed and cut to SEARCH_MAX characters ("" matches everything)."""
    return " ".join(q.split())[:SEARCH_MAX] if isinstance(q, str) else ""
