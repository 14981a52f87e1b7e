"""domain.snippets: what a comment-bank snippet may hold (SPEC §13). The pages and the API: tests/mentorship/
test_comment_bank.py."""
from __future__ import annotations

import pytest

from webapp.domain import snippets as rules
from webapp.domain.errors import Invalid


def test_clean_snippet_trims_and_makes_an_empty_track_global():
    assert rules.clean_snippet("  Scope   first ", "Say **why**.\r\n", "") == {
        "title": "Scope first", "body": "Say **why**.", "track": None}
    assert rules.clean_snippet("T", "B", "grc")["track"] == "grc"


@pytest.mark.parametrize("title,body,track,field,message", [
    ("", "Body", None, "title", "is required"),
    ("Title", "   ", None, "body", "is required"),
    ("x" * (rules.TITLE_MAX + 1), "Body", None, "title", f"at most {rules.TITLE_MAX}"),
    ("Title", "x" * (rules.BODY_MAX + 1), None, "body", f"at most {rules.BODY_MAX}"),
    ("Title", "Body", "cooking", "track", "must be one of"),
    ("Title", "Bo\x00dy", None, "body", "NUL"),
])
def test_clean_snippet_refuses_naming_the_field(title, body, track, field, message):
    with pytest.raises(Invalid) as err:
        rules.clean_snippet(title, body, track)
    assert message in err.value.fields[field]


def test_search_terms_trims_collapses_and_bounds():
    assert rules.search_terms("  scope   first ") == "scope first"
    assert len(rules.search_terms("x" * 500)) == rules.SEARCH_MAX
    assert rules.search_terms(None) == ""
