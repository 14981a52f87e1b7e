"""domain.reviews: the review rules beyond numbering and totals (SPEC §5, issue 6)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from webapp.domain.errors import Conflict, Invalid
from webapp.domain import reviews as rules

SUBTASKS = [{"id": 1, "title": "Triage", "decisions": [{"id": "isolate", "prompt": "?", "options": []}]},
            {"id": 2, "title": "Scope", "decisions": []}]
RUBRIC = [{"id": "containment", "criterion": "Containment", "weight": 3,
           "levels": [{"score": s, "label": f"L{s}"} for s in (1, 2, 3, 4)]},
          {"id": "analysis", "criterion": "Analysis", "weight": 1,
           "levels": [{"score": s, "label": f"L{s}"} for s in (1, 2, 3, 4)]}]
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("value, expected", [("0", Decimal("0.00")), ("100", Decimal("100.00")),
                                             (88.5, Decimal("88.50")), ("12.34", Decimal("12.34")), ("", None),
                                             (None, None)])
def test_check_score_accepts_0_to_100_with_two_decimals(value, expected):
    assert rules.check_score(value, "overall_score") == expected


@pytest.mark.parametrize("value", ["-1", "100.01", "1e9", "abc", "12.345", "NaN", "inf", True])
def test_check_score_outside_range_or_too_precise_is_422_naming_the_field(value):
    with pytest.raises(Invalid) as exc:
        rules.check_score(value, "overall_score")
    assert "overall_score" in exc.value.fields


def test_check_target_accepts_capstone_phases_and_overall_only():
    assert rules.check_target("overall") == "overall"
    assert rules.check_target("reporting") == "reporting"
    with pytest.raises(Invalid):
        rules.check_target("mentor_review")


def test_submitted_review_is_immutable():
    rules.check_editable("draft")
    with pytest.raises(Conflict):
        rules.check_editable("submitted")


def test_subtask_keys_must_exist_in_the_mission():
    assert rules.check_keyed_texts(rules.subtask_ids(SUBTASKS), {"1": " Good ", "2": ""}, "feedback_per_subtask",
                                   "subtask") == {"1": "Good"}
    with pytest.raises(Invalid) as exc:
        rules.check_keyed_texts(rules.subtask_ids(SUBTASKS), {"9": "x"}, "feedback_per_subtask", "subtask")
    assert "feedback_per_subtask.9" in exc.value.fields


def test_decision_keys_must_exist_in_the_mission():
    assert rules.decision_ids(SUBTASKS) == ["isolate"]
    with pytest.raises(Invalid) as exc:
        rules.check_keyed_texts(rules.decision_ids(SUBTASKS), {"nuke": "x"}, "feedback_per_decision", "decision")
    assert "feedback_per_decision.nuke" in exc.value.fields


def test_subtask_scores_need_known_subtasks_and_0_to_100():
    assert rules.check_subtask_scores(SUBTASKS, {"1": "80.5"}) == {"1": 80.5}
    with pytest.raises(Invalid) as exc:
        rules.check_subtask_scores(SUBTASKS, {"1": "101", "7": "50"})
    assert set(exc.value.fields) == {"subtask_scores.1", "subtask_scores.7"}


def test_rubric_comments_need_known_criteria():
    assert rules.check_rubric_comments(RUBRIC, {"analysis": "ok"}) == {"analysis": "ok"}
    with pytest.raises(Invalid):
        rules.check_rubric_comments(RUBRIC, {"style": "ok"})


def test_next_steps_need_title_priority_and_a_deadline_not_in_the_past():
    rows = [{"title": "Read", "priority": "high", "deadline": "2026-11-25"}, {"title": "", "priority": "medium"}]
    assert rules.check_next_steps(rows, TODAY) == [{"title": "Read", "priority": "high", "deadline": "2026-11-25"}]
    with pytest.raises(Invalid) as exc:
        rules.check_next_steps([{"title": "Late", "deadline": "2026-11-24"}, {"title": "X", "priority": "urgent"},
                                {"title": "Y", "deadline": "soon"}], TODAY)
    assert set(exc.value.fields) == {"recommended_next_steps.0.deadline", "recommended_next_steps.1.priority",
                                     "recommended_next_steps.2.deadline"}
    assert "in the past" in exc.value.fields["recommended_next_steps.0.deadline"]


def test_recipes_must_exist():
    assert rules.check_recipes(["a", "a", "b"], {"a", "b"}) == ["a", "b"]
    with pytest.raises(Invalid):
        rules.check_recipes(["zzz"], {"a"})


@pytest.mark.parametrize("value", ["0", "601", "x", "-5"])
def test_meeting_minutes_are_1_to_600(value):
    with pytest.raises(Invalid):
        rules.check_meeting_minutes(value)
    assert rules.check_meeting_minutes("45") == 45 and rules.check_meeting_minutes("") is None


def test_last_phase_submit_needs_score_and_decision():
    with pytest.raises(Invalid) as exc:
        rules.check_submit(True, None, None, [], ("investigation",))
    assert set(exc.value.fields) == {"overall_score", "decision"}
    rules.check_submit(True, Decimal(80), "approve", [], ("investigation",))


def test_request_changes_names_capstone_phases():
    phases = ("investigation", "reporting")
    with pytest.raises(Invalid) as exc:
        rules.check_submit(True, Decimal(50), "request_changes", [], phases)
    assert "reopen_phases" in exc.value.fields
    with pytest.raises(Invalid):
        rules.check_submit(True, Decimal(50), "request_changes", ["overall"], phases)
    rules.check_submit(True, Decimal(50), "request_changes", ["reporting"], phases)


def test_earlier_phase_takes_no_decision_and_attempts_need_only_a_score():
    rules.check_submit(False, None, None, [], ("investigation",))
    with pytest.raises(Invalid):
        rules.check_submit(False, None, "approve", [], ("investigation",))
    rules.check_submit(True, Decimal(70), None, [], None)


def test_plan_new_review_first_fixes_total_and_next_must_follow():
    assert rules.plan_new_review([], 1, 3) == 3
    with pytest.raises(Invalid):
        rules.plan_new_review([], 1, 6)
    with pytest.raises(Conflict):
        rules.plan_new_review([], 2, 3)                                   # skipped
    done = [(1, 3, "submitted", None)]
    assert rules.plan_new_review(done, 2, None) == 3
    with pytest.raises(Conflict):
        rules.plan_new_review(done, 1, None)                              # repeated
    with pytest.raises(Conflict):
        rules.plan_new_review(done, 3, None)                              # skipped
    with pytest.raises(Conflict):
        rules.plan_new_review([(1, 3, "draft", None)], 2, None)           # previous still a draft
    with pytest.raises(Invalid):
        rules.plan_new_review(done, 2, 4)                                 # total is fixed


def test_plan_new_review_after_changes_continues_the_numbering():
    finished = [(1, 2, "submitted", None), (2, 2, "submitted", "request_changes")]
    assert rules.plan_new_review(finished, 3, None) == 3
    with pytest.raises(Conflict):
        rules.plan_new_review(finished, 2, None)
    with pytest.raises(Conflict):
        rules.plan_new_review([(1, 2, "submitted", None), (2, 2, "submitted", "approve")], 3, None)


def test_claim_is_live_until_the_configured_hours_pass():
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert rules.claim_is_live(now - timedelta(hours=47), now, 48)
    assert not rules.claim_is_live(now - timedelta(hours=49), now, 48)
    assert not rules.claim_is_live(None, now, 48)


def test_median_and_overdue_steps():
    assert rules.median([]) is None and rules.median([3, 1, 2]) == 2 and rules.median([1, 2, 3, 4]) == 2.5
    steps = [{"title": "a", "deadline": "2026-11-20"}, {"title": "b", "deadline": "2026-11-20"},
             {"title": "c", "deadline": "2026-12-01"}, {"title": "d", "deadline": None}]
    assert [i for i, _ in rules.overdue_steps(steps, [1], TODAY)] == [0]


def test_rubric_bars_give_each_criterion_its_share():
    bars = rules.rubric_bars(RUBRIC, {"containment": 4})
    assert bars[0]["percent"] == 100 and bars[0]["label"] == "L4" and bars[1]["percent"] is None
