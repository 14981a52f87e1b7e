"""domain.visibility.caption_shown: visitors see the captions a recording had when its item was approved."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.domain.visibility import caption_shown

APPROVED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_captions_stored_by_the_approval_show():
    assert caption_shown(APPROVED - timedelta(days=1), APPROVED)
    assert caption_shown(APPROVED, APPROVED)


def test_captions_stored_after_the_approval_do_not():
    assert not caption_shown(APPROVED + timedelta(seconds=1), APPROVED)


def test_captions_never_stored_do_not():
    assert not caption_shown(None, APPROVED)


def test_before_any_approval_every_stored_caption_shows_to_those_who_may_see_the_draft():
    assert caption_shown(APPROVED, None)
    assert caption_shown(None, None)
