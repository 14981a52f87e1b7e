"""domain.mission_rules: every rule of SPEC §2 refuses a mission with a message naming the mission, the field
path and the rule; valid missions pass and normalise to a fixed point."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import mission_data
from webapp.domain.catalogue import SEVERITIES, TIERS, TRACKS
from webapp.domain.errors import Invalid
from webapp.domain.mission_rules import MissionInvalid, check_mission, check_recipe, hidden_subtask_ids

ROLES = {"PD-WRL-003", "PD-WRL-001"}


def refusal(data, roles=ROLES) -> MissionInvalid:
    with pytest.raises(MissionInvalid) as info:
        check_mission(data, roles)
    return info.value


def assert_refused(data, path: str, rule: str, roles=ROLES) -> MissionInvalid:
    """The mission is refused, and one line of the message names the mission, `path` and `rule`."""
    exc = refusal(data, roles)
    slug = data.get("slug") if isinstance(data.get("slug"), str) and data.get("slug") else "?"
    lines = [line for line in exc.message.splitlines() if f": {path}: " in line and rule in line]
    assert lines, f"no line names {path!r} with {rule!r} in:\n{exc.message}"
    assert all(f"mission '{slug}'" in line for line in lines)
    assert rule in exc.fields[path]
    assert exc.status == 422
    return exc


def event(data) -> dict:
    return data["escalation_events"][0]


# ---- valid input --------------------------------------------------------------------------------------------

def test_check_mission_factory_data_is_accepted_and_normalised():
    data = mission_data()
    mission = check_mission(data, ROLES)
    assert mission["slug"] == data["slug"]
    assert [s["id"] for s in mission["subtasks"]] == [1, 2, 3, 4]
    assert [c["id"] for c in mission["rubric"]] == ["containment", "analysis", "communication"]
    assert mission["escalation_events"][0]["consequences"]["unlock_subtask"] == 4
    assert mission["environmental_cues"][0]["subtask_id"] == 1


def test_check_mission_input_is_left_unchanged():
    data = mission_data()
    before = copy.deepcopy(data)
    check_mission(data, ROLES)
    assert data == before


def test_check_mission_text_is_stripped_and_levels_sorted_by_score():
    data = mission_data(title="  Padded title  ")
    data["rubric"][0]["levels"].reverse()
    mission = check_mission(data, ROLES)
    assert mission["title"] == "Padded title"
    assert [lv["score"] for lv in mission["rubric"][0]["levels"]] == [1, 2, 3, 4]


def test_check_mission_without_vocabulary_skips_nice_role_check():
    data = mission_data(nice_roles=["XX-WRL-999"])
    assert check_mission(data, None)["nice_roles"] == ["XX-WRL-999"]


def test_check_mission_lower_tier_with_two_subtasks_and_no_decision_is_accepted():
    data = mission_data(tier="beginner", escalation_events=[])
    data["subtasks"] = [{"id": 1, "title": "A", "instructions": "Do A."},
                        {"id": 2, "title": "B", "instructions": "Do B."}]
    data["rubric"] = data["rubric"][:2]
    mission = check_mission(data, ROLES)
    assert [s["id"] for s in mission["subtasks"]] == [1, 2]
    assert all(s["decisions"] == [] for s in mission["subtasks"])


def test_check_mission_time_elapsed_fraction_of_minute_is_accepted():
    data = mission_data()
    event(data)["triggers"] = [{"on": "time_elapsed", "minutes": 0.5}]
    assert check_mission(data, ROLES)["escalation_events"][0]["triggers"] == [{"on": "time_elapsed", "minutes": 0.5}]


def test_check_mission_sub_technique_attack_id_is_accepted():
    data = mission_data(attack_techniques=["T1486", "T1059.001"])
    assert check_mission(data, ROLES)["attack_techniques"] == ["T1486", "T1059.001"]


# ---- subtask references -------------------------------------------------------------------------------------

def test_check_mission_event_with_unknown_subtask_is_refused():
    data = mission_data()
    event(data)["subtask_id"] = 99
    assert_refused(data, "escalation_events[0].subtask_id", "99 is not a subtask of this mission")


def test_check_mission_cue_with_unknown_subtask_is_refused():
    data = mission_data()
    data["environmental_cues"][0]["subtask_id"] = 42
    assert_refused(data, "environmental_cues[0].subtask_id", "42 is not a subtask of this mission")


@pytest.mark.parametrize("kind", ["subtask_started", "subtask_completed"])
def test_check_mission_trigger_with_unknown_subtask_is_refused(kind):
    data = mission_data()
    event(data)["triggers"] = [{"on": kind, "subtask_id": 7}]
    assert_refused(data, "escalation_events[0].triggers[0].subtask_id", "7 is not a subtask of this mission")


def test_check_mission_trigger_with_unknown_kind_is_refused():
    data = mission_data()
    event(data)["triggers"] = [{"on": "moon_phase", "subtask_id": 1}]
    assert_refused(data, "escalation_events[0].triggers[0].on", "unknown trigger kind 'moon_phase'")


def test_check_mission_trigger_with_yaml_bare_on_key_is_refused_with_hint():
    data = mission_data()
    event(data)["triggers"] = [{True: "subtask_started", "subtask_id": 1}]
    assert_refused(data, "escalation_events[0].triggers[0].on", 'write the key as "on" in quotes')


def test_check_mission_decision_trigger_with_unknown_decision_is_refused():
    data = mission_data()
    event(data)["triggers"] = [{"on": "decision", "decision_id": "escalate", "choice": "yes"}]
    assert_refused(data, "escalation_events[0].triggers[0].decision_id", "'escalate' is not a decision of this mission")


def test_check_mission_decision_trigger_with_unknown_option_is_refused():
    data = mission_data()
    event(data)["triggers"] = [{"on": "decision", "decision_id": "isolate", "choice": "maybe"}]
    assert_refused(data, "escalation_events[0].triggers[0].choice", "'maybe' is not an option of decision 'isolate'")


@pytest.mark.parametrize("minutes", [0, -5, "10", None, True, float("nan"), float("inf")])
def test_check_mission_time_elapsed_not_positive_number_is_refused(minutes):
    data = mission_data()
    event(data)["triggers"] = [{"on": "time_elapsed", "minutes": minutes}]
    assert_refused(data, "escalation_events[0].triggers[0].minutes", "greater than 0")


def test_check_mission_event_with_empty_triggers_is_refused():
    data = mission_data()
    event(data)["triggers"] = []
    assert_refused(data, "escalation_events[0].triggers", "needs at least one trigger")


# ---- rubric ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("weight", [0, -1, -0.5, float("-inf")])
def test_check_mission_rubric_weight_not_positive_is_refused(weight):
    data = mission_data()
    data["rubric"][1]["weight"] = weight
    assert_refused(data, "rubric[1].weight", "must be a number greater than 0")


@pytest.mark.parametrize("weight", ["3", None, True, [1], float("nan"), float("inf")])
def test_check_mission_rubric_weight_not_a_number_is_refused(weight):
    data = mission_data()
    data["rubric"][0]["weight"] = weight
    assert_refused(data, "rubric[0].weight", "must be a number greater than 0")


# ---- duplicates --------------------------------------------------------------------------------------------

def test_check_mission_duplicate_subtask_id_is_refused():
    data = mission_data()
    data["subtasks"][2]["id"] = 2
    assert_refused(data, "subtasks[2].id", "duplicate subtask id 2")


def test_check_mission_duplicate_decision_id_across_subtasks_is_refused():
    data = mission_data()
    data["subtasks"][1]["decisions"] = [{"id": "isolate", "prompt": "Again?", "options": [
        {"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}]
    assert_refused(data, "subtasks[1].decisions[0].id", "duplicate decision id 'isolate'")


def test_check_mission_duplicate_option_id_is_refused():
    data = mission_data()
    data["subtasks"][0]["decisions"][0]["options"][1]["id"] = "yes"
    assert_refused(data, "subtasks[0].decisions[0].options[1].id", "duplicate option id 'yes'")


def test_check_mission_duplicate_criterion_id_is_refused():
    data = mission_data()
    data["rubric"][2]["id"] = "containment"
    assert_refused(data, "rubric[2].id", "duplicate criterion id 'containment'")


def test_check_mission_duplicate_level_score_is_refused():
    data = mission_data()
    data["rubric"][0]["levels"][2]["score"] = 1
    assert_refused(data, "rubric[0].levels[2].score", "duplicate level score 1")


# ---- consequences ------------------------------------------------------------------------------------------

def test_check_mission_unlock_of_first_subtask_is_refused():
    data = mission_data()
    event(data)["consequences"]["unlock_subtask"] = 1
    assert_refused(data, "escalation_events[0].consequences.unlock_subtask", "the first subtask cannot be hidden")


def test_check_mission_unlock_of_first_subtask_in_list_order_is_refused():
    """The first subtask is the first of the ordered list, whatever its id."""
    data = mission_data()
    for sub, new_id in zip(data["subtasks"], (3, 1, 2, 4), strict=True):
        sub["id"] = new_id
    data["environmental_cues"][0]["subtask_id"] = 3
    event(data)["consequences"]["unlock_subtask"] = 3
    assert_refused(data, "escalation_events[0].consequences.unlock_subtask", "the first subtask cannot be hidden")


def test_check_mission_unlock_of_lowest_id_that_is_not_first_is_accepted():
    data = mission_data()
    for sub, new_id in zip(data["subtasks"], (3, 1, 2, 4), strict=True):
        sub["id"] = new_id
    event(data)["consequences"]["unlock_subtask"] = 1
    mission = check_mission(data, ROLES)
    assert hidden_subtask_ids(mission) == {1}


def test_check_mission_unlock_of_unknown_subtask_is_refused():
    data = mission_data()
    event(data)["consequences"]["unlock_subtask"] = 12
    assert_refused(data, "escalation_events[0].consequences.unlock_subtask", "12 is not a subtask of this mission")


@pytest.mark.parametrize("kind", ["subtask_started", "subtask_completed"])
def test_check_mission_unlock_waited_on_by_its_own_event_is_refused(kind):
    data = mission_data()
    event(data)["triggers"] = [{"on": "subtask_completed", "subtask_id": 2}, {"on": kind, "subtask_id": 4}]
    assert_refused(data, "escalation_events[0].consequences.unlock_subtask",
                   "the event that unlocks subtask 4 cannot wait for it")


@pytest.mark.parametrize("severity", ["urgent", "HIGH", None, 3])
def test_check_mission_bad_severity_is_refused(severity):
    data = mission_data()
    event(data)["consequences"]["severity"] = severity
    assert_refused(data, "escalation_events[0].consequences.severity", "must be one of low, medium, high, critical")


def test_check_mission_negative_score_penalty_is_refused():
    data = mission_data()
    event(data)["consequences"]["score_penalty"] = -5
    assert_refused(data, "escalation_events[0].consequences.score_penalty", "must be at least 0")


def test_check_mission_unknown_consequence_is_refused():
    data = mission_data()
    event(data)["consequences"]["explode"] = True
    assert_refused(data, "escalation_events[0].consequences.explode", "is not a known consequence")


# ---- vocabularies ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("technique", ["T148", "t1486", "T1486.1", "1486", "T1486-001"])
def test_check_mission_bad_attack_id_is_refused(technique):
    data = mission_data(attack_techniques=["T1486", technique])
    assert_refused(data, "attack_techniques[1]", f"'{technique}' is not a MITRE ATT&CK technique id")


def test_check_mission_bad_attack_id_on_criterion_is_refused():
    data = mission_data()
    data["rubric"][1]["attack_techniques"] = ["TX1"]
    assert_refused(data, "rubric[1].attack_techniques[0]", "'TX1' is not a MITRE ATT&CK technique id")


def test_check_mission_nice_role_not_in_vocabulary_is_refused():
    data = mission_data(nice_roles=["PD-WRL-003", "ZZ-WRL-001"])
    assert_refused(data, "nice_roles[1]", "'ZZ-WRL-001' is not a NICE work role id of the vocabulary")


def test_check_mission_nice_role_on_criterion_not_in_vocabulary_is_refused():
    data = mission_data()
    data["rubric"][0]["nice_roles"] = ["PD-WRL-999"]
    assert_refused(data, "rubric[0].nice_roles[0]", "'PD-WRL-999' is not a NICE work role id")


# ---- mastery shape -----------------------------------------------------------------------------------------

def test_check_mission_mastery_with_two_subtasks_is_refused():
    data = mission_data(escalation_events=[])
    data["subtasks"] = data["subtasks"][:2]
    assert_refused(data, "subtasks", "a mastery mission has 3 to 6 subtasks, not 2")


def test_check_mission_mastery_with_seven_subtasks_is_refused():
    data = mission_data()
    data["subtasks"] += [{"id": n, "title": f"S{n}", "instructions": "Go."} for n in (5, 6, 7)]
    assert_refused(data, "subtasks", "a mastery mission has 3 to 6 subtasks, not 7")


def test_check_mission_mastery_without_decision_is_refused():
    data = mission_data()
    data["subtasks"][0]["decisions"] = []
    event(data)["triggers"] = [{"on": "subtask_completed", "subtask_id": 2}]
    assert_refused(data, "subtasks", "a mastery mission has at least one decision")


def test_check_mission_mastery_with_two_criteria_is_refused():
    data = mission_data()
    data["rubric"] = data["rubric"][:2]
    assert_refused(data, "rubric", "a mastery mission has 3 to 6 rubric criteria, not 2")


# ---- identity ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["Bad Slug", "ab", "-abc", "abc-", "abc_def", "a" * 81])
def test_check_mission_bad_slug_is_refused(slug):
    assert_refused(mission_data(slug=slug), "slug", "must be 3-80 lowercase letters, digits and dashes")


def test_check_mission_missing_slug_is_refused_naming_unknown_mission():
    data = mission_data()
    del data["slug"]
    exc = assert_refused(data, "slug", "must be 3-80")
    assert exc.slug == "?"


def test_check_mission_unknown_track_is_refused():
    assert_refused(mission_data(track="purple"), "track", f"must be one of {', '.join(TRACKS)}")


def test_check_mission_unknown_tier_is_refused():
    assert_refused(mission_data(tier="expert"), "tier", f"must be one of {', '.join(TIERS)}")


def test_check_mission_not_a_mapping_is_refused():
    with pytest.raises(MissionInvalid) as info:
        check_mission(["not", "a", "mission"], ROLES)
    assert "(mission)" in info.value.message


def test_check_mission_several_problems_are_reported_together():
    data = mission_data(slug="broken-mission", track="purple")
    data["rubric"][0]["weight"] = 0
    data["environmental_cues"][0]["subtask_id"] = 9
    event(data)["consequences"]["severity"] = "apocalyptic"
    exc = refusal(data)
    assert set(exc.fields) >= {"track", "rubric[0].weight", "environmental_cues[0].subtask_id",
                               "escalation_events[0].consequences.severity"}
    lines = exc.message.splitlines()
    assert len(lines) == len(exc.problems) >= 4
    assert all(line.startswith("mission 'broken-mission': ") for line in lines)


def test_mission_invalid_with_source_names_the_file():
    exc = refusal(mission_data(slug="from-file", tier="expert"))
    located = exc.with_source("seed/missions/defender/from-file.yaml")
    assert located.message.startswith("seed/missions/defender/from-file.yaml: mission 'from-file': tier: ")
    assert located.problems == exc.problems


# ---- hidden subtasks ---------------------------------------------------------------------------------------

def test_hidden_subtask_ids_names_unlocked_subtasks():
    assert hidden_subtask_ids(check_mission(mission_data(), ROLES)) == {4}


def test_hidden_subtask_ids_without_unlock_is_empty():
    data = mission_data()
    del event(data)["consequences"]["unlock_subtask"]
    assert hidden_subtask_ids(check_mission(data, ROLES)) == set()
    assert hidden_subtask_ids({"slug": "x"}) == set()


# ---- recipes -----------------------------------------------------------------------------------------------

def recipe_data(**overrides) -> dict:
    data = {"slug": "sigma-rules-101", "title": "Sigma rules 101", "track": "defender",
            "summary": "Write your first Sigma rule.", "url": "https://example.org/sigma",
            "duration_minutes": 30, "skill_tags": ["detection"]}
    data.update(overrides)
    return data


def test_check_recipe_with_url_is_accepted():
    recipe = check_recipe(recipe_data())
    assert recipe["url"] == "https://example.org/sigma"
    assert recipe["body"] is None


def test_check_recipe_with_body_only_is_accepted():
    recipe = check_recipe(recipe_data(url=None, body="## Steps\n\n1. Read.\n"))
    assert recipe["url"] is None
    assert recipe["body"].startswith("## Steps")


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_check_recipe_without_url_or_body_is_refused(empty):
    with pytest.raises(Invalid) as info:
        check_recipe(recipe_data(url=empty, body=empty))
    assert "recipe 'sigma-rules-101': body: a recipe needs a url or a body" in info.value.message
    assert "body" in info.value.fields


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "example.org/x"])
def test_check_recipe_bad_url_scheme_is_refused(url):
    with pytest.raises(Invalid) as info:
        check_recipe(recipe_data(url=url))
    assert "recipe 'sigma-rules-101': url: must start with https:// or http://" in info.value.message
    assert info.value.status == 422


def test_check_recipe_bad_track_and_slug_are_reported_together():
    with pytest.raises(Invalid) as info:
        check_recipe(recipe_data(slug="Bad Slug", track="purple"))
    assert set(info.value.fields) == {"slug", "track"}


def test_check_recipe_not_a_mapping_is_refused():
    with pytest.raises(Invalid):
        check_recipe("sigma-rules-101")


# ---- property: random valid missions ------------------------------------------------------------------------

WORDS = st.sampled_from(["alpha", "bravo", "charlie", "delta", "echo", "fox", "golf"])
TEXT = st.text(alphabet="abcxyz .\n", min_size=1, max_size=40).filter(lambda s: s.strip())
LOW = st.sampled_from(["log", "network_flow", "email", "ticket", "phone_call"])


@st.composite
def valid_missions(draw):
    n = draw(st.integers(min_value=3, max_value=6))
    ids = draw(st.lists(st.integers(min_value=1, max_value=60), min_size=n, max_size=n, unique=True))
    subtasks, decisions = [], {}
    n_decisions = 0
    for sid in ids:
        decs = []
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            did = f"d{n_decisions}"
            n_decisions += 1
            opts = [f"o{k}" for k in range(draw(st.integers(min_value=2, max_value=4)))]
            decisions[did] = opts
            decs.append({"id": did, "prompt": draw(TEXT),
                         "options": [{"id": o, "label": draw(TEXT)} for o in opts]})
        subtasks.append({"id": sid, "title": draw(TEXT), "instructions": draw(TEXT), "decisions": decs})
    if not decisions:
        decisions["d0"] = ["o0", "o1"]
        subtasks[0]["decisions"] = [{"id": "d0", "prompt": "Go?", "options": [
            {"id": "o0", "label": "Yes"}, {"id": "o1", "label": "No"}]}]

    def trigger():
        kind = draw(st.sampled_from(["subtask_started", "subtask_completed", "decision", "time_elapsed"]))
        if kind == "decision":
            did = draw(st.sampled_from(sorted(decisions)))
            return {"on": kind, "decision_id": did, "choice": draw(st.sampled_from(decisions[did]))}
        if kind == "time_elapsed":
            return {"on": kind, "minutes": draw(st.one_of(st.integers(1, 600), st.floats(0.1, 600.0)))}
        return {"on": kind, "subtask_id": draw(st.sampled_from(ids))}

    events = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        triggers = [trigger() for _ in range(draw(st.integers(min_value=1, max_value=3)))]
        cons = {}
        if draw(st.booleans()):
            cons["severity"] = draw(st.sampled_from(SEVERITIES))
        if draw(st.booleans()):
            cons["message"] = draw(TEXT)
        if draw(st.booleans()):
            cons["score_penalty"] = draw(st.integers(0, 50))
        waited = {t.get("subtask_id") for t in triggers}
        unlockable = [s for s in ids[1:] if s not in waited]
        if unlockable and draw(st.booleans()):
            cons["unlock_subtask"] = draw(st.sampled_from(unlockable))
        if draw(st.booleans()):
            cons["reveal_cue"] = {"cue_type": draw(LOW), "description": draw(TEXT), "location": draw(TEXT),
                                  "significance": draw(TEXT)}
        events.append({"subtask_id": draw(st.sampled_from(ids)), "event_type": draw(LOW),
                       "description": draw(TEXT), "triggers": triggers, "consequences": cons})
    cues = [{"subtask_id": draw(st.sampled_from(ids)), "cue_type": draw(LOW), "description": draw(TEXT),
             "location": draw(TEXT), "significance": draw(TEXT)}
            for _ in range(draw(st.integers(min_value=0, max_value=4)))]
    n_criteria = draw(st.integers(min_value=3, max_value=6))
    rubric = []
    for k in range(n_criteria):
        scores = draw(st.lists(st.integers(0, 10), min_size=2, max_size=5, unique=True))
        rubric.append({"id": f"c{k}", "criterion": draw(TEXT), "description": draw(TEXT),
                       "weight": draw(st.one_of(st.integers(1, 10), st.floats(0.01, 10.0))),
                       "levels": [{"score": s, "label": draw(TEXT), "descriptor": draw(TEXT)} for s in scores]})
    return {
        "slug": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True)),
        "title": draw(TEXT), "track": draw(st.sampled_from(TRACKS)), "tier": "mastery",
        "summary": draw(TEXT), "scenario": draw(TEXT), "estimated_minutes": draw(st.integers(1, 600)),
        "skills": draw(st.lists(WORDS, max_size=3)),
        "attack_techniques": draw(st.lists(st.from_regex(r"T\d{4}(\.\d{3})?", fullmatch=True), max_size=3)),
        "nice_roles": draw(st.lists(st.sampled_from(sorted(ROLES)), max_size=2)),
        "subtasks": subtasks, "rubric": rubric, "escalation_events": events, "environmental_cues": cues,
        "is_published": draw(st.booleans()),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_missions())
def test_check_mission_random_valid_mission_is_accepted_and_idempotent(data):
    once = check_mission(data, ROLES)
    assert check_mission(once, ROLES) == once
    assert [s["id"] for s in once["subtasks"]] == [s["id"] for s in data["subtasks"]]
    assert len(once["escalation_events"]) == len(data["escalation_events"])


# ---- checks, debriefs, capstone briefs, subtask_open_for (SPEC §3, §3.1, §4) ----------------------------------

def with_checks(*checks) -> dict:
    data = mission_data()
    data["subtasks"][0]["checks"] = list(checks)
    return data


def answer_check(**overrides) -> dict:
    return {"id": "s1-ip", "kind": "answer", "prompt": "Which IP?", "accept": ["198.51.100.14"], "points": 2,
            "explanation": "In the header.", **overrides}


def choice_check(**overrides) -> dict:
    return {"id": "s1-verdict", "kind": "choice", "prompt": "Verdict?", "points": 1, "explanation": "Because.",
            "options": [{"id": "phish", "label": "Phishing"}, {"id": "spam", "label": "Spam"}],
            "correct": ["phish"], **overrides}


def keywords_check(**overrides) -> dict:
    return {"id": "s1-ideas", "kind": "keywords", "groups": [["revoke"], ["reset"]], "min": 2, "points": 2,
            "explanation": "Both.", **overrides}


def test_check_mission_with_checks_key_points_model_answer_and_debriefs_is_accepted():
    data = with_checks(answer_check(), choice_check(), keywords_check())
    data["subtasks"][0]["key_points"] = ["Names the IP"]
    data["subtasks"][0]["model_answer"] = "The IP is 198.51.100.14.\n\nBlock it."
    data["subtasks"][0]["decisions"][0]["options"][0]["debrief"] = "Stops the spread."
    data["debrief"] = "An expert isolates first."
    data["capstone_brief"] = {"investigation": "Establish the timeline.", "reporting": "For the board."}
    data["atlas_techniques"] = ["AML.T0051.000"]
    mission = check_mission(data, ROLES)
    assert mission["subtasks"][0]["checks"][2]["min"] == 2
    assert mission["subtasks"][0]["checks"][1]["multiple"] is False
    assert mission["capstone_brief"]["investigation"] == "Establish the timeline."
    assert check_mission(mission, ROLES) == mission


def test_check_mission_without_the_new_fields_gets_empty_defaults():
    mission = check_mission(mission_data(), ROLES)
    assert (mission["debrief"], mission["capstone_brief"], mission["atlas_techniques"]) == ("", {}, [])
    assert mission["subtasks"][0]["checks"] == [] and mission["subtasks"][0]["key_points"] == []


@pytest.mark.parametrize("check, path, rule", [
    ({"id": "x", "kind": "essay"}, "subtasks[0].checks[0].kind", "unknown check kind 'essay'"),
    (answer_check(accept=[]), "subtasks[0].checks[0].accept", "needs at least one accepted answer"),
    (answer_check(points=0), "subtasks[0].checks[0].points", "greater than 0"),
    (answer_check(explanation=None), "subtasks[0].checks[0].explanation", "is required"),
    (answer_check(id="Bad Id"), "subtasks[0].checks[0].id", "lowercase"),
    (choice_check(correct=["maybe"]), "subtasks[0].checks[0].correct[0]", "'maybe' is not an option of this check"),
    (choice_check(correct=["phish", "spam"]), "subtasks[0].checks[0].correct", "multiple: true"),
    (choice_check(options=[{"id": "a", "label": "A"}]), "subtasks[0].checks[0].options", "at least two options"),
    (choice_check(options=[{"id": "phish", "label": "A"}, {"id": "phish", "label": "B"}]),
     "subtasks[0].checks[0].options[1].id", "duplicate option id 'phish'"),
    (keywords_check(min=3), "subtasks[0].checks[0].min", "asks for 3 groups but the check has 2"),
    (keywords_check(groups=[["a"], []]), "subtasks[0].checks[0].groups[1]", "needs at least one word"),
])
def test_check_mission_malformed_check_is_refused_naming_the_field_path(check, path, rule):
    assert_refused(with_checks(check), path, rule)


def test_check_mission_duplicate_check_id_across_subtasks_is_refused():
    data = with_checks(answer_check())
    data["subtasks"][1]["checks"] = [answer_check()]
    assert_refused(data, "subtasks[1].checks[0].id", "duplicate check id 's1-ip'")


def test_check_mission_capstone_brief_for_an_unknown_phase_is_refused():
    data = mission_data()
    data["capstone_brief"] = {"investigation": "x", "conclusion": "y"}
    assert_refused(data, "capstone_brief.conclusion", "is not a capstone phase")


def test_check_mission_atlas_id_in_the_wrong_form_is_refused():
    data = mission_data()
    data["atlas_techniques"] = ["T0051"]
    assert_refused(data, "atlas_techniques[0]", "is not a MITRE ATLAS technique id")


def test_check_mission_subtask_open_for_names_a_subtask_and_positive_minutes():
    data = mission_data()
    event(data)["triggers"] = [{"on": "subtask_open_for", "subtask_id": 2, "minutes": 15}]
    assert check_mission(data, ROLES)["escalation_events"][0]["triggers"][0]["minutes"] == 15
    event(data)["triggers"] = [{"on": "subtask_open_for", "subtask_id": 9, "minutes": 15}]
    assert_refused(data, "escalation_events[0].triggers[0].subtask_id", "9 is not a subtask of this mission")
    event(data)["triggers"] = [{"on": "subtask_open_for", "subtask_id": 2, "minutes": 0}]
    assert_refused(data, "escalation_events[0].triggers[0].minutes", "greater than 0")
