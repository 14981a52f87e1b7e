"""Review error messages name fields as the review form shows them (domain/reviews.field_label)."""
from __future__ import annotations

import pytest

from webapp.domain import reviews as rules
from webapp.domain.errors import Invalid

SUBTASKS = [{"id": 1, "title": "Triage", "decisions": [{"id": "isolate", "prompt": "Isolate now?"}]},
            {"id": 2, "title": "Scope", "decisions": []}]
RUBRIC = [{"id": "containment", "criterion": "Containment"}, {"id": "analysis", "criterion": "Analysis"}]


@pytest.mark.parametrize("key, label", [
    ("subtask_scores.1", "Score for subtask 1 (Triage)"),
    ("subtask_scores.7", "Score for subtask 7"),
    ("feedback_per_subtask.2", "Feedback on subtask 2 (Scope)"),
    ("feedback_per_decision.isolate", "Feedback on decision \u201cIsolate now?\u201d"),
    ("feedback_per_decision.nope", "Feedback on decision nope"),
    ("rubric_scores.containment", "Rubric level for Containment"),
    ("rubric_comments.analysis", "Comment on Analysis"),
    ("recommended_next_steps.0.deadline", "Next step 1, deadline"),
    ("overall_score", "Overall score"),
    ("meeting_duration_minutes", "Meeting duration (minutes)"),
    ("decision", "Decision"),
    ("something_new", "something_new"),
])
def test_field_label_names_the_field_as_the_form_does(key, label):
    assert rules.field_label(key, SUBTASKS, RUBRIC) == label


def test_score_message_uses_the_label_and_fields_keep_the_key():
    with pytest.raises(Invalid) as exc:
        rules.check_score("101", "overall_score")
    assert exc.value.message == "Overall score must be between 0 and 100."
    assert exc.value.fields == {"overall_score": "must be between 0 and 100"}


def test_last_phase_message_names_the_decision_buttons_and_fields_keep_the_api_values():
    with pytest.raises(Invalid) as exc:
        rules.check_submit(True, None, None, [], ("investigation",))
    assert exc.value.message == ("The review cannot be submitted yet: the last phase needs an overall score "
                                 "(0-100); choose Approve or Request changes.")
    assert exc.value.fields["decision"] == "choose approve or request_changes"
    with pytest.raises(Invalid) as exc:
        rules.check_submit(True, None, "reject", [], None)
    assert "choose Approve or leave the decision empty" in exc.value.message


def test_next_steps_message_names_rows_by_their_number():
    from datetime import date

    with pytest.raises(Invalid) as exc:
        rules.check_next_steps([{"title": "Late", "priority": "urgent", "deadline": "2020-01-01"}], date(2026, 1, 1))
    assert exc.value.message == ("Some next steps are not valid: Next step 1, priority: must be low, medium or high; "
                                 "Next step 1, deadline: 2020-01-01 is in the past.")
    assert set(exc.value.fields) == {"recommended_next_steps.0.priority", "recommended_next_steps.0.deadline"}
