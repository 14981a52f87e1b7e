"""What a viewer may see of a mission page (domain.visibility.mission_page): no app, no database."""
from __future__ import annotations

from webapp.domain.mission_rules import hidden_subtask_ids
from webapp.domain.policies import ANONYMOUS, Actor
from webapp.domain.visibility import MISSION_PAGE_FIELDS, mission_page, mission_view

SECRETS = ("MODEL-ANSWER-TEXT", "DEBRIEF-TEXT", "OPTION-DEBRIEF", "ACCEPTED-198.51.100.14", "CHECK-EXPLANATION",
           "INSTRUCTIONS-TEXT", "BRIEF-TEXT", "MENTOR-NOTES-TEXT", "EVENT-MESSAGE", "CUE-SIGNIFICANCE",
           "Hidden follow-up")


def mission() -> dict:
    return {
        "slug": "m", "title": "T", "track": "defender", "tier": "mastery", "summary": "S", "scenario": "Scenario",
        "estimated_minutes": 60, "skills": ["x"], "attack_techniques": ["T1486"], "atlas_techniques": [],
        "nice_roles": [], "is_published": True, "mentor_notes": "MENTOR-NOTES-TEXT", "debrief": "DEBRIEF-TEXT",
        "capstone_brief": {"reporting": "BRIEF-TEXT"},
        "rubric": [{"id": "c", "criterion": "Containment", "description": "d", "weight": 1,
                    "levels": [{"score": 1, "label": "L1", "descriptor": "Level one"}]}],
        "subtasks": [
            {"id": 1, "title": "Triage", "instructions": "INSTRUCTIONS-TEXT", "model_answer": "MODEL-ANSWER-TEXT",
             "checks": [{"id": "c1", "kind": "answer", "prompt": "IP?", "accept": ["ACCEPTED-198.51.100.14"],
                         "points": 1, "explanation": "CHECK-EXPLANATION"}],
             "decisions": [{"id": "d", "prompt": "P", "options": [
                 {"id": "a", "label": "A", "debrief": "OPTION-DEBRIEF"}, {"id": "b", "label": "B"}]}]},
            {"id": 2, "title": "Hidden follow-up", "instructions": "", "decisions": []},
        ],
        "escalation_events": [{"subtask_id": 1, "event_type": "x", "description": "d", "triggers": [],
                               "consequences": {"message": "EVENT-MESSAGE", "unlock_subtask": 2}}],
        "environmental_cues": [{"subtask_id": 1, "cue_type": "log", "description": "d", "location": "l",
                                "significance": "CUE-SIGNIFICANCE"}],
    }


def test_a_visitor_sees_the_public_fields_and_no_secret():
    data = mission()
    view = mission_view(ANONYMOUS)
    assert view.visitor and not view.unpublished and not view.mentor_notes
    page = mission_page(data, view, hidden_subtask_ids(data))
    assert set(page) == set(MISSION_PAGE_FIELDS) | {"outline", "hidden_count", "decision_count"}
    assert page["outline"] == [{"title": "Triage", "has_decision": True}]
    assert page["hidden_count"] == 1 and page["decision_count"] == 1
    assert page["rubric"][0]["levels"][0]["descriptor"] == "Level one"
    flat = repr(page)
    assert [s for s in SECRETS if s in flat] == []


def test_a_learner_sees_what_a_visitor_sees_but_is_not_a_visitor():
    data = mission()
    view = mission_view(Actor(id=5, role="learner"))
    assert not view.visitor and view != mission_view(ANONYMOUS)
    page = mission_page(data, view, hidden_subtask_ids(data))
    assert page == mission_page(data, mission_view(ANONYMOUS), hidden_subtask_ids(data))


def test_a_mentor_also_sees_the_notes_and_the_counts_never_the_answers():
    data = mission()
    view = mission_view(Actor(id=7, role="mentor"))
    assert view.mentor_notes and view.unpublished
    page = mission_page(data, view, hidden_subtask_ids(data))
    assert page["mentor_notes"] == "MENTOR-NOTES-TEXT"
    assert (page["event_count"], page["cue_count"]) == (1, 1)
    flat = repr({k: v for k, v in page.items() if k != "mentor_notes"})
    assert [s for s in SECRETS if s in flat] == []
