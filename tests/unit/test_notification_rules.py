"""domain/notifications.py: who is told, what kind a review tells, titles, e-mail choices, and the rules of the
time-based reminders (no app, no database)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from webapp.domain import notifications as rules
from webapp.domain.errors import Invalid


def test_a_submission_tells_the_assigned_mentors_else_the_track_mentors_never_the_actor():
    assert rules.submission_recipients({1, 2}, {3, 4}, actor_id=9) == {1, 2}
    assert rules.submission_recipients(set(), {3, 4}, actor_id=9) == {3, 4}
    assert rules.submission_recipients(set(), {3, 9}, actor_id=9) == {3}
    assert rules.submission_recipients(set(), set(), actor_id=9) == set()


def test_recipients_drop_nobody_and_the_actor():
    assert rules.recipients([1, None, 2, 2, 5], actor_id=5) == {1, 2}


@pytest.mark.parametrize("last, decision, capstone, kind", [
    (False, None, True, "review_shared"),
    (True, "approve", True, "capstone_approved"),
    (True, "request_changes", True, "changes_requested"),
    (True, "request_changes", False, "changes_requested"),
    (True, "approve", False, "review_shared"),
    (True, None, False, "review_shared"),
])
def test_what_a_submitted_review_phase_tells_the_learner(last, decision, capstone, kind):
    assert rules.review_kind(last=last, decision=decision, capstone=capstone) == kind


def test_titles_name_who_and_what_and_stay_short():
    assert rules.title_for("review_shared", actor="Mo", what="Night shift") == "Mo shared a review of “Night shift”"
    assert rules.title_for("step_due", what="Read") == "A next step is due tomorrow: “Read”"
    long = rules.title_for("capstone_submitted", actor="A", what="x" * 500)
    assert len(long) == rules.TITLE_MAX and long.endswith("…")
    with pytest.raises(Invalid):
        rules.title_for("nothing")


def test_every_kind_has_a_label_and_a_default_e_mail_choice():
    assert set(rules.KIND_LABELS) == set(rules.KINDS) == set(rules.DEFAULT_EMAIL)
    assert set(rules.DEFAULT_EMAIL.values()) <= set(rules.EMAIL_CHOICES)


def test_email_choice_reads_the_stored_choice_else_the_default_and_none_when_deactivated():
    assert rules.email_choice({}, "changes_requested") == "immediately"
    assert rules.email_choice({}, "step_overdue") == "daily"
    assert rules.email_choice({"step_overdue": "off"}, "step_overdue") == "off"
    assert rules.email_choice({"step_overdue": "junk"}, "step_overdue") == "daily"
    assert rules.email_choice({"step_overdue": "immediately"}, "step_overdue", active=False) == "off"
    with pytest.raises(Invalid):
        rules.check_email_choice("step_due", "weekly")


def test_due_steps_are_due_tomorrow_or_overdue_and_never_ticked_off():
    today = date(2026, 12, 7)
    steps = [{"title": "a", "deadline": "2026-12-08"}, {"title": "b", "deadline": "2026-12-06"},
             {"title": "c", "deadline": "2026-12-07"}, {"title": "d", "deadline": "2026-12-09"},
             {"title": "e", "deadline": None}, {"title": "f", "deadline": "not a date"},
             {"title": "g", "deadline": "2026-11-01"}]
    found = [(kind, i) for kind, i, _ in rules.due_steps(steps, done=[6], today=today)]
    assert found == [("step_due", 0), ("step_overdue", 1)]


def test_dedupe_keys_change_with_the_deadline_and_the_claim():
    key = rules.step_dedupe_key
    assert key("step_due", 3, 0, "2026-12-08") != key("step_due", 3, 0, "2026-12-09")
    t = datetime(2026, 12, 7, tzinfo=UTC)
    assert rules.claim_dedupe_key("capstone", 1, t) != rules.claim_dedupe_key("capstone", 1, t + timedelta(hours=1))


def test_a_claim_is_lapsing_in_its_last_hours_only():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert rules.lapse_warning(48) == timedelta(hours=12) and rules.lapse_warning(8) == timedelta(hours=4)
    assert rules.claim_lapsing(now - timedelta(hours=40), now, 48)          # 8 hours left
    assert not rules.claim_lapsing(now - timedelta(hours=30), now, 48)      # 18 hours left
    assert not rules.claim_lapsing(now - timedelta(hours=49), now, 48)      # lapsed already
    assert rules.claim_lapsing(now - timedelta(hours=36), now, 48)          # exactly 12 hours left


def test_learners_choose_for_the_kinds_they_can_be_told_of_mentors_for_all():
    assert rules.kinds_for(True) == rules.KINDS
    assert "capstone_submitted" not in rules.kinds_for(False) and "review_shared" in rules.kinds_for(False)


def test_digest_cutoff_is_today_at_the_hour_once_it_has_come():
    from datetime import UTC, datetime

    from webapp.domain.notifications import digest_cutoff

    assert digest_cutoff(datetime(2026, 12, 7, 7, 59, tzinfo=UTC), 8) is None
    assert digest_cutoff(datetime(2026, 12, 7, 8, 0, tzinfo=UTC), 8) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert digest_cutoff(datetime(2026, 12, 7, 23, 30, tzinfo=UTC), 0) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def test_each_email_choice_has_a_state():
    from webapp.domain.notifications import EMAIL_CHOICES, EMAIL_STATE_OF_CHOICE, EMAIL_STATES

    assert set(EMAIL_STATE_OF_CHOICE) == set(EMAIL_CHOICES)
    assert set(EMAIL_STATE_OF_CHOICE.values()) <= set(EMAIL_STATES)
