"""domain.mission_schema: the declared shape of a mission file. A file that breaks one shape rule is refused
with a line naming the mission, the field path and the rule; the rules between values (domain.mission_rules)
still run on what the schema let through, so one refusal names every problem."""
from __future__ import annotations

import pytest

from tests.factories import mission_data
from webapp.domain.errors import Invalid
from webapp.domain.mission_rules import MissionInvalid, check_mission, check_recipe
from webapp.domain.mission_schema import MISSION
from webapp.domain.shapes import flatten, load

ROLES = {"PD-WRL-003"}


def set_path(data: dict, path: tuple, value) -> dict:
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()

# (where in the file, the value written there, the path named, the rule named)
BROKEN = [
    (("title",), DELETE, "title", "is required"),
    (("title",), "   ", "title", "is required"),
    (("title",), 42, "title", "must be text"),
    (("title",), "x" * 201, "title", "must be at most 200 characters"),
    (("summary",), "a\x00b", "summary", "must not contain NUL characters"),
    (("estimated_minutes",), "90", "estimated_minutes", "must be a whole number"),
    (("estimated_minutes",), True, "estimated_minutes", "must be a whole number"),
    (("estimated_minutes",), 0, "estimated_minutes", "must be at least 1"),
    (("skills",), "Incident triage", "skills", "must be a list"),
    (("skills", 1), "  ", "skills[1]", "must be non-empty text"),
    (("subtasks",), DELETE, "subtasks", "is required"),
    (("subtasks", 1), "Scope", "subtasks[1]", "must be a mapping"),
    (("subtasks", 2, "id"), 0, "subtasks[2].id", "must be at least 1"),
    (("subtasks", 0, "decisions", 0, "id"), "d" * 81, "subtasks[0].decisions[0].id", "must be at most 80 characters"),
    (("subtasks", 0, "decisions", 0, "options"), [{"id": "yes", "label": "Isolate"}],
     "subtasks[0].decisions[0].options", "needs at least two options"),
    (("subtasks", 0, "decisions", 0, "options", 1, "label"), None,
     "subtasks[0].decisions[0].options[1].label", "is required"),
    (("rubric", 1, "levels"), [{"score": 1, "label": "Only", "descriptor": "One level."}],
     "rubric[1].levels", "needs at least two levels"),
    (("rubric", 0, "levels", 0, "score"), -1, "rubric[0].levels[0].score", "must be at least 0"),
    (("rubric", 2, "description"), ["not", "text"], "rubric[2].description", "must be text"),
    (("escalation_events", 0, "event_type"), "Lateral Movement", "escalation_events[0].event_type",
     "must be a lowercase snake_case word"),
    (("escalation_events", 0, "triggers", 0), "decision", "escalation_events[0].triggers[0]", "must be a mapping"),
    (("escalation_events", 0, "triggers", 0, "choice"), "", "escalation_events[0].triggers[0].choice", "is required"),
    (("escalation_events", 0, "consequences"), "boom", "escalation_events[0].consequences", "must be a mapping"),
    (("escalation_events", 0, "consequences", "message"), None, "escalation_events[0].consequences.message",
     "is required"),
    (("escalation_events", 0, "consequences", "reveal_cue"), {"cue_type": "log"},
     "escalation_events[0].consequences.reveal_cue.description", "is required"),
    (("environmental_cues", 0, "cue_type"), "Log", "environmental_cues[0].cue_type",
     "must be a lowercase snake_case word"),
    (("environmental_cues", 0, "location"), DELETE, "environmental_cues[0].location", "is required"),
    (("is_published",), "yes", "is_published", "must be true or false"),
]


@pytest.mark.parametrize(("where", "value", "path", "rule"), BROKEN, ids=[b[2] + ": " + b[3] for b in BROKEN])
def test_check_mission_file_breaking_a_shape_rule_is_refused_naming_mission_path_and_rule(where, value, path, rule):
    data = set_path(mission_data(slug="broken-file"), where, value)
    with pytest.raises(MissionInvalid) as info:
        check_mission(data, ROLES)
    exc = info.value
    assert f"mission 'broken-file': {path}: {rule}" in exc.message.splitlines()
    assert rule in exc.fields[path]
    assert exc.status == 422


def test_check_mission_shape_and_reference_problems_are_named_together():
    """A bad title (shape) and a cue naming no subtask (a reference) are both named in one refusal."""
    data = mission_data(slug="two-kinds", title=7)
    data["environmental_cues"][0]["subtask_id"] = 9
    with pytest.raises(MissionInvalid) as info:
        check_mission(data, ROLES)
    assert info.value.problems == [("title", "must be text"),
                                   ("environmental_cues[0].subtask_id", "9 is not a subtask of this mission")]


def test_check_mission_item_that_is_not_a_mapping_keeps_the_indexes_of_the_others():
    """The second subtask is not a mapping; the duplicate id of the third is still named at index 2."""
    data = mission_data(slug="kept-indexes")
    data["subtasks"][1] = "Scope"
    data["subtasks"][2]["id"] = 1
    with pytest.raises(MissionInvalid) as info:
        check_mission(data, ROLES)
    assert ("subtasks[1]", "must be a mapping") in info.value.problems
    assert ("subtasks[2].id", "duplicate subtask id 1") in info.value.problems


def test_mission_invalid_two_rules_on_one_path_are_both_in_fields():
    exc = MissionInvalid("same-path", [("subtasks", "needs at least one subtask"), ("subtasks", "is required")])
    assert exc.fields == {"subtasks": "needs at least one subtask; is required"}
    assert len(exc.message.splitlines()) == 2


def test_check_mission_bare_yaml_on_key_in_consequences_is_named_as_written():
    data = mission_data(slug="bare-on")
    data["escalation_events"][0]["consequences"][True] = "x"
    with pytest.raises(MissionInvalid) as info:
        check_mission(data, ROLES)
    assert ("escalation_events[0].consequences.True", "is not a known consequence") in info.value.problems


def test_check_mission_unknown_keys_outside_consequences_are_ignored():
    data = mission_data(slug="extra-keys", author="someone")
    data["subtasks"][0]["hint"] = "ignored"
    mission = check_mission(data, ROLES)
    assert "author" not in mission and "hint" not in mission["subtasks"][0]


def test_check_mission_null_consequences_load_as_no_consequences():
    data = mission_data(slug="no-consequences")
    data["escalation_events"][0]["consequences"] = None
    assert check_mission(data, ROLES)["escalation_events"][0]["consequences"] == {}


def test_check_mission_markdown_keeps_indentation_and_ends_with_one_line_break():
    data = mission_data(slug="markdown-text", scenario="    indented code\r\nnext line\n\n\n")
    assert check_mission(data, ROLES)["scenario"] == "    indented code\nnext line\n"


def test_check_recipe_shape_rule_names_recipe_path_and_rule():
    with pytest.raises(Invalid) as info:
        check_recipe({"slug": "short-recipe", "title": "T", "track": "defender", "summary": "S",
                      "url": "https://example.org", "duration_minutes": 0})
    assert "recipe 'short-recipe': duration_minutes: must be at least 1" in info.value.message


def test_flatten_writes_paths_as_the_docs_do():
    messages = {"title": ["is required"], "subtasks": {0: {"_schema": ["must be a mapping"]},
                                                      2: {"decisions": {1: {"id": ["x", "y"]}}}}}
    assert flatten(messages) == [("title", "is required"), ("subtasks[0]", "must be a mapping"),
                                 ("subtasks[2].decisions[1].id", "x"), ("subtasks[2].decisions[1].id", "y")]


def test_load_returns_the_values_that_passed_with_the_problems():
    data = mission_data(slug="partial", track="purple")
    loaded, problems = load(MISSION, data)
    assert problems == [("track", "must be one of defender, offensive, grc, innovation, leadership")]
    assert loaded["slug"] == "partial" and "track" not in loaded
