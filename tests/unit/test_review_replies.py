"""domain.reviews: the rules of the conversation under a review phase (no app, no database)."""
from __future__ import annotations

import pytest

from webapp.domain import reviews as rules
from webapp.domain.errors import Forbidden, Invalid


def test_check_reply_cleans_line_breaks_and_outer_whitespace():
    assert rules.check_reply("  Why scope first?\r\nThanks.  ") == "Why scope first?\nThanks."


@pytest.mark.parametrize("body", [None, "", "   ", "\n\t\n"])
def test_check_reply_refuses_empty_text(body):
    with pytest.raises(Invalid) as exc:
        rules.check_reply(body)
    assert exc.value.message == rules.REPLY_EMPTY and exc.value.fields == {"body": "must not be empty"}


def test_check_reply_takes_exactly_the_limit_and_refuses_one_more():
    assert len(rules.check_reply("x" * rules.MAX_REPLY)) == rules.MAX_REPLY
    with pytest.raises(Invalid) as exc:
        rules.check_reply("x" * (rules.MAX_REPLY + 1))
    assert exc.value.fields == {"body": f"must be at most {rules.MAX_REPLY} characters"}


@pytest.mark.parametrize("body, rule", [(5, "must be text"), ("a\x00b", "must not contain NUL characters")])
def test_check_reply_refuses_what_is_not_storable_text(body, rule):
    with pytest.raises(Invalid) as exc:
        rules.check_reply(body)
    assert exc.value.fields == {"body": rule}


def test_only_a_submitted_phase_has_a_conversation():
    rules.check_can_reply("submitted")
    with pytest.raises(Forbidden) as exc:
        rules.check_can_reply("draft")
    assert "still a draft" in exc.value.message and exc.value.status == 403


@pytest.mark.parametrize("author_id, role, expected", [
    (1, "learner", "learner"), (2, "mentor", "reviewing mentor"), (3, "mentor", "mentor"), (4, "admin", "admin"),
    (2, "admin", "reviewing mentor"), (None, None, ""),
])
def test_reply_role_names_the_authors_part_in_this_review(author_id, role, expected):
    assert rules.reply_role(author_id, role, learner_id=1, mentor_id=2) == expected
