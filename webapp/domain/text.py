"""Text people and data files give the app, cleaned one way before it is stored.

The rules, in order (`check_text`):

1. Type: a str (None and a missing value are empty text); anything else is refused: "must be text".
2. Control characters: a NUL is refused ("must not contain NUL characters"): PostgreSQL cannot store one. In a
   request the boundary (webapp/boundary.py) has already answered 422 for it; this rule covers text that comes
   from files and commands (a YAML "\\0"). Tabs, line breaks and other characters are kept.
3. Line breaks: every "\\r\\n" and lone "\\r" becomes "\\n", so cleaning twice changes nothing.
4. Whitespace: stripped at both ends. `one_line` text (a title, a tag) has every run of whitespace, line breaks
   included, made one space. `block` text (a mission's Markdown) with a line break keeps its leading indentation
   and ends with exactly one line break, as a YAML block does.
5. Length: at most `limit` characters after cleaning: "must be at most N characters".

`check_text` returns the cleaned text and the broken rule (or None); `clean_text` raises `Invalid` naming the
field; `collect_text` records the rule in a problems dict, for validators that report every field at once.
"""
from __future__ import annotations

from typing import Any

from .errors import Invalid

MAX_TEXT = 20_000
NOT_TEXT = "must be text"
HAS_NUL = "must not contain NUL characters"


def too_long(limit: int) -> str:
    return f"must be at most {limit} characters"


def normalise(text: str, *, one_line: bool = False, block: bool = False) -> str:
    """Rules 3 and 4 on a str that passed rules 1 and 2."""
    if one_line or not text.strip():
        return " ".join(text.split())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if block and "\n" in text:
        return text.rstrip() + "\n"
    return text.strip()


def check_text(value: Any, *, limit: int | None = MAX_TEXT, one_line: bool = False,
               block: bool = False) -> tuple[str, str | None]:
    """(the cleaned text, the rule it breaks or None). Text that breaks a rule comes back cleaned as far as it
    could be ("" when it is not text or holds a NUL), so a caller collecting problems can go on."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", NOT_TEXT
    if "\x00" in value:
        return "", HAS_NUL
    text = normalise(value, one_line=one_line, block=block)
    if limit is not None and len(text) > limit:
        return text, too_long(limit)
    return text, None


def clean_text(value: Any, field: str, *, label: str | None = None, **rules: Any) -> str:
    """The cleaned text, or Invalid naming the field: "The title must be at most 200 characters."."""
    text, rule = check_text(value, **rules)
    if rule:
        raise Invalid(f"The {label or field.replace('_', ' ')} {rule}.", fields={field: rule})
    return text


def collect_text(value: Any, path: str, problems: dict[str, str], **rules: Any) -> str:
    """The cleaned text; a broken rule is recorded as problems[path]."""
    text, rule = check_text(value, **rules)
    if rule:
        problems[path] = rule
    return text
