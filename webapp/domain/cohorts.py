"""Cohorts' rules that are not queries: a cohort's name and description, what a member is, and whose cohorts a
viewer may filter the gradebook by. Plain Python: no Flask or SQLAlchemy.

A cohort is a filter and a way to organise, never a grant of access: what a mentor may see stays the mentor
assignments (services/access.py). A mentor filtering by a cohort sees the cohort's learners they may see anyway.
"""
from __future__ import annotations

from typing import Any

from .catalogue import TRACKS
from .errors import Invalid
from .policies import MENTOR_ROLES, Actor
from .text import clean_text

NAME_MAX = 120
DESCRIPTION_MAX = 2000
NOT_IN_COHORT = "You are not in that cohort: filter by one of your own cohorts."


def check_name(value: Any) -> str:
    """A cohort's name: one line, 1 to NAME_MAX characters."""
    name = clean_text(value, "name", one_line=True, limit=NAME_MAX)
    if not name:
        raise Invalid("Give the cohort a name.", fields={"name": "Give the cohort a name."})
    return name


def check_description(value: Any) -> str:
    return clean_text(value, "description", limit=DESCRIPTION_MAX)


def check_track(value: Any) -> str | None:
    """The cohort's track, or None (every track) for an empty value."""
    if value in (None, ""):
        return None
    if value not in TRACKS:
        raise Invalid(f"There is no track '{str(value)[:40]}'.",
                      fields={"track": "must be one of " + ", ".join(TRACKS)})
    return value


def member_kind(role: str | None) -> str:
    """A member is a mentor of the cohort when their role mentors (an admin too), else one of its learners."""
    return "mentor" if role in MENTOR_ROLES else "learner"


def clean_who(value: Any) -> str:
    """What an admin typed to name a user: an e-mail address or a handle (a leading "@" is dropped)."""
    text = clean_text(value, "who", label="e-mail or handle", one_line=True, limit=254)
    return text.removeprefix("@").lower()


def may_filter_by(actor: Actor, is_member: bool) -> bool:
    """An admin may filter the gradebook by any cohort; a mentor by the cohorts they are in."""
    return actor.is_admin or (actor.is_mentor and is_member)


def parse_id(value: Any) -> int | None:
    """A cohort id from a query string: None for an empty value; Invalid for anything but a positive number."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise Invalid(f"There is no cohort '{text[:40]}'. Pick one from the gradebook's Cohort list.",
                      fields={"cohort": "unknown cohort"})
    return int(text)
