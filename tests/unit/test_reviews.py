"""domain.reviews: review phase numbering and rubric arithmetic (SPEC §5)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from webapp.domain.errors import Conflict, Invalid
from webapp.domain.reviews import (capstone_went_to_review, check_new_phase, check_rubric_scores, is_multi_phase,
                                   learner_status, next_phase, starts_new_round, submitted_message,
                                   weighted_total)


def criterion(cid: str, weight, scores=(1, 2, 3, 4)) -> dict:
    return {"id": cid, "criterion": cid.title(), "description": "", "weight": weight,
            "levels": [{"score": s, "label": f"L{s}", "descriptor": ""} for s in scores]}


RUBRIC = [criterion("containment", 3), criterion("analysis", 2), criterion("communication", 1)]


# ---- phase numbering ---------------------------------------------------------------------------------------

def test_next_phase_no_reviews_is_one():
    assert next_phase([], None) == 1
    assert next_phase([], 3) == 1


def test_next_phase_follows_highest_existing_phase():
    assert next_phase([2, 1], 3) == 3


def test_next_phase_all_phases_exist_is_none():
    assert next_phase([1, 2, 3], 3) is None


@pytest.mark.parametrize("total", [1, 2, 3, 4, 5])
def test_check_new_phase_first_review_with_total_one_to_five_is_accepted(total):
    check_new_phase(1, [], total)


@pytest.mark.parametrize("total", [None, 0, 6, -1])
def test_check_new_phase_first_review_with_total_out_of_range_is_invalid(total):
    with pytest.raises(Invalid) as info:
        check_new_phase(1, [], total)
    assert info.value.status == 422
    assert "total_phases" in info.value.fields


def test_check_new_phase_first_review_not_phase_one_is_conflict():
    with pytest.raises(Conflict) as info:
        check_new_phase(2, [], 3)
    assert info.value.fields == {"review_phase": "must be 1"}


def test_check_new_phase_next_phase_is_accepted():
    check_new_phase(2, [1], 3)
    check_new_phase(3, [1, 2], 3)


def test_check_new_phase_repeated_phase_is_conflict():
    with pytest.raises(Conflict) as info:
        check_new_phase(1, [1], 3)
    assert info.value.status == 409
    assert "The next review phase is 2, not 1." == info.value.message


def test_check_new_phase_skipped_phase_is_conflict():
    with pytest.raises(Conflict) as info:
        check_new_phase(3, [1], 3)
    assert info.value.fields == {"review_phase": "must be 2"}


def test_check_new_phase_nothing_left_is_conflict():
    with pytest.raises(Conflict) as info:
        check_new_phase(3, [1, 2], 2)
    assert "All 2 review phases already exist" in info.value.message
    assert info.value.fields == {"review_phase": "no phase left"}


def test_is_multi_phase_more_than_one_phase_is_true():
    assert is_multi_phase(2) is True
    assert is_multi_phase(1) is False
    assert is_multi_phase(None) is False


# ---- weighted_total ----------------------------------------------------------------------------------------

def test_weighted_total_top_levels_is_100():
    assert weighted_total(RUBRIC, {"containment": 4, "analysis": 4, "communication": 4}) == Decimal("100.00")


def test_weighted_total_gives_points_per_level_so_proficient_everywhere_is_75():
    # Points per level (Canvas): level 3 of 4 on every criterion is 75, level 1 is 25, level 4 is 100.
    assert weighted_total(RUBRIC, {"containment": 3, "analysis": 3, "communication": 3}) == Decimal("75.00")
    assert weighted_total(RUBRIC, {"containment": 1, "analysis": 1, "communication": 1}) == Decimal("25.00")


def test_weighted_total_uses_weights():
    # containment (weight 3) at the top, the others (weights 2 and 1) at level 1 of 4: (3 + 0.5 + 0.25) / 6.
    assert weighted_total(RUBRIC, {"containment": 4, "analysis": 1, "communication": 1}) == Decimal("62.50")
    # communication (weight 1) at the top only: (0.75 + 0.5 + 1) / 6.
    assert weighted_total(RUBRIC, {"containment": 1, "analysis": 1, "communication": 4}) == Decimal("37.50")


def test_weighted_total_level_is_its_score_out_of_the_top_level():
    rubric = [criterion("a", 1, scores=(2, 4, 6))]
    assert weighted_total(rubric, {"a": 4}) == Decimal("66.67")
    assert weighted_total(rubric, {"a": 2}) == Decimal("33.33")
    assert weighted_total([criterion("z", 1, scores=(0, 1, 2))], {"z": 0}) == Decimal("0.00")


def test_weighted_total_missing_criteria_are_ignored():
    assert weighted_total(RUBRIC, {"analysis": 4}) == Decimal("100.00")
    assert weighted_total(RUBRIC, {"analysis": 4, "communication": 1}) == Decimal("75.00")


def test_weighted_total_no_scores_is_none():
    assert weighted_total(RUBRIC, {}) is None
    assert weighted_total([], {"x": 1}) is None


def test_weighted_total_unknown_criterion_is_ignored():
    assert weighted_total(RUBRIC, {"containment": 4, "nope": 1}) == Decimal("100.00")


def test_weighted_total_rounds_half_up_to_two_decimals():
    # 1 / 800 of 100 is 0.125: half-up gives 0.13 (banker's rounding would give 0.12).
    rubric = [criterion("a", 1, scores=(0, 1)), criterion("b", 799, scores=(0, 1))]
    total = weighted_total(rubric, {"a": 1, "b": 0})
    assert total == Decimal("0.13")
    assert total.as_tuple().exponent == -2


def test_weighted_total_fractional_weights_are_exact():
    rubric = [criterion("a", 0.1, scores=(0, 1)), criterion("b", 0.2, scores=(0, 1))]
    assert weighted_total(rubric, {"a": 1, "b": 0}) == Decimal("33.33")


def test_weighted_total_single_level_criterion_counts_as_full():
    rubric = [criterion("a", 1, scores=(3,)), criterion("b", 1, scores=(0, 1))]
    assert weighted_total(rubric, {"a": 3, "b": 0}) == Decimal("50.00")


# ---- check_rubric_scores -----------------------------------------------------------------------------------

def test_check_rubric_scores_valid_scores_are_returned():
    assert check_rubric_scores(RUBRIC, {"containment": 3, "analysis": 1}) == {"containment": 3, "analysis": 1}


def test_check_rubric_scores_unknown_criterion_is_invalid():
    with pytest.raises(Invalid) as info:
        check_rubric_scores(RUBRIC, {"stealth": 2})
    assert info.value.status == 422
    assert info.value.fields == {"rubric_scores.stealth": "'stealth' is not a criterion of this mission's rubric"}


@pytest.mark.parametrize("score", [0, 5, 2.5, "2", None])
def test_check_rubric_scores_unknown_level_is_invalid(score):
    with pytest.raises(Invalid) as info:
        check_rubric_scores(RUBRIC, {"analysis": score})
    assert info.value.fields == {"rubric_scores.analysis": "must be one of the levels 1, 2, 3, 4"}


def test_check_rubric_scores_bool_is_rejected_even_if_equal_to_a_level():
    with pytest.raises(Invalid) as info:
        check_rubric_scores(RUBRIC, {"analysis": True})
    assert "rubric_scores.analysis" in info.value.fields


def test_check_rubric_scores_every_problem_is_reported():
    with pytest.raises(Invalid) as info:
        check_rubric_scores(RUBRIC, {"containment": 9, "stealth": 1, "analysis": 2})
    assert set(info.value.fields) == {"rubric_scores.containment", "rubric_scores.stealth"}


# ---- what the learner reads about their submission ---------------------------------------------------------------

NOW = datetime(2026, 12, 7, 12, 0)
SUBMITTED = NOW - timedelta(hours=5)


def shared(review_phase=1, total_phases=2, decision=None, reopen_phases=(), submitted_at=NOW - timedelta(hours=1)):
    return SimpleNamespace(review_phase=review_phase, total_phases=total_phases, decision=decision,
                           reopen_phases=list(reopen_phases), submitted_at=submitted_at)


def status(capstone=True, approved=False, submitted_at=SUBMITTED, claim_live=False, last=None):
    return learner_status(capstone=capstone, approved=approved, approved_at=NOW if approved else None,
                          submitted_at=submitted_at, claim_live=claim_live, now=NOW, last=last)


def test_learner_status_approved_capstone_says_so_with_the_approval_time():
    assert status(approved=True, last=shared(decision="approve")) == {
        "key": "approved", "label": "Approved by your mentor", "since": NOW}


def test_learner_status_not_submitted_is_open_in_the_words_of_each_kind():
    assert status(submitted_at=None)["label"] == "Not submitted for review"
    assert status(capstone=False, submitted_at=None) == {"key": "open", "label": "No review requested", "since": None}


def test_learner_status_waiting_then_in_review_once_claimed_with_the_time_waited():
    assert status() == {"key": "waiting", "label": "Waiting for a mentor", "since": SUBMITTED,
                        "waited": timedelta(hours=5)}
    assert status(claim_live=True)["label"] == "In review"


def test_learner_status_names_the_review_phase_shared_while_in_review():
    assert status(last=shared(review_phase=1, total_phases=3))["label"] == "In review: phase 1 of 3 shared"
    assert status(capstone=False, last=shared(review_phase=1, total_phases=2))["key"] == "waiting"


def test_learner_status_after_the_last_phase_says_the_review_is_complete_not_in_review():
    done = status(capstone=False, last=shared(review_phase=2, total_phases=2, decision="approve"))
    assert done == {"key": "reviewed", "label": "Review complete: all 2 phases shared",
                    "since": NOW - timedelta(hours=1)}
    assert status(capstone=False, last=shared(review_phase=1, total_phases=1))["label"] == \
        "Review complete: shared with you"
    # a final phase that asked for changes, once resubmitted, waits again
    assert status(last=shared(review_phase=2, total_phases=2, decision="request_changes"))["key"] == "waiting"


def test_learner_status_changes_requested_names_the_reopened_phases_until_resubmitted():
    last = shared(review_phase=2, total_phases=2, decision="request_changes",
                  reopen_phases=("design_remediation", "reporting"))
    assert status(submitted_at=None, last=last) == {
        "key": "changes", "since": last.submitted_at,
        "label": "Changes requested (reopened: Design & remediation, Reporting); complete the phases again "
                 "to resubmit"}
    assert status(last=last)["key"] == "waiting"          # resubmitted: waiting again
    assert status(submitted_at=None, last=shared(decision="approve"))["key"] == "open"


def test_capstone_went_to_review_once_submitted_approved_or_reviewed():
    assert not capstone_went_to_review(False, False, False)
    assert all(capstone_went_to_review(*facts) for facts in ((True, False, False), (False, True, False),
                                                             (False, False, True)))


def test_submitted_message_says_what_the_last_phase_decided():
    assert submitted_message(1, 2, None) == "Review phase 1 of 2 submitted."
    assert submitted_message(2, 2, "approve").endswith("draft capstone result is in the learner's portfolio.")
    assert "phases you named reopened" in submitted_message(1, 1, "request_changes")


def test_a_new_round_starts_after_a_last_phase_that_asked_for_changes():
    assert starts_new_round(2, 2, "request_changes")
    assert not starts_new_round(1, 2, "request_changes") and not starts_new_round(2, 2, "approve")
