"""domain.engine: every trigger kind and consequence of SPEC §3, submission checks, and the invariants
(no event fires twice, fired events never un-fire, a later time never fires fewer events)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.domain import assessment, engine
from webapp.domain.engine import AttemptState, check_submission, evaluate
from webapp.domain.errors import Conflict, Invalid, NotFound

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def mission(events=(), cues=(), subtasks=None, track="defender") -> dict:
    subtasks = subtasks or [
        {"id": 1, "title": "Triage", "instructions": "Read.", "decisions": [
            {"id": "isolate", "prompt": "Isolate now?", "options": [{"id": "yes", "label": "Yes"},
                                                                   {"id": "no", "label": "No"}]}]},
        {"id": 2, "title": "Scope", "instructions": "Scope.", "decisions": []},
        {"id": 3, "title": "Report", "instructions": "Report.", "decisions": []},
    ]
    return {"slug": "m", "title": "M", "track": track, "tier": "mastery", "subtasks": subtasks,
            "escalation_events": list(events), "environmental_cues": list(cues)}


def event(*triggers, subtask_id=1, **consequences) -> dict:
    return {"subtask_id": subtask_id, "event_type": "thing_happens", "description": "Something happens.",
            "triggers": list(triggers), "consequences": consequences}


def state(submitted=(), decisions=None, fired=(), reached=()) -> AttemptState:
    return AttemptState(started_at=T0, submitted=frozenset(submitted), decisions=decisions or {},
                        fired=tuple(fired), reached=frozenset(reached))


def fired_now(m, s, minutes=0.0, multiplier=1.0) -> list[int]:
    return [f.index for f in evaluate(m, s, T0 + timedelta(minutes=minutes), multiplier).new_events]


STARTED_2 = {"on": "subtask_started", "subtask_id": 2}
COMPLETED_1 = {"on": "subtask_completed", "subtask_id": 1}
CHOSE_NO = {"on": "decision", "decision_id": "isolate", "choice": "no"}


# ---- triggers ------------------------------------------------------------------------------------------------

def test_subtask_started_fires_when_the_subtask_is_reached():
    m = mission([event(STARTED_2)])
    assert fired_now(m, state()) == []
    assert fired_now(m, state(submitted={1})) == [0]


def test_subtask_started_of_the_first_subtask_fires_at_the_start():
    m = mission([event({"on": "subtask_started", "subtask_id": 1})])
    assert fired_now(m, state()) == [0]


def test_subtask_started_holds_for_a_subtask_reached_before_even_if_no_longer_current():
    m = mission([event(STARTED_2)])
    assert fired_now(m, state(reached={2})) == [0]


def test_subtask_completed_fires_only_after_submission():
    m = mission([event(COMPLETED_1)])
    assert fired_now(m, state()) == []
    assert fired_now(m, state(submitted={1})) == [0]


def test_decision_fires_only_for_the_chosen_option():
    m = mission([event(CHOSE_NO)])
    assert fired_now(m, state(submitted={1}, decisions={"isolate": "yes"})) == []
    assert fired_now(m, state(submitted={1}, decisions={"isolate": "no"})) == [0]


def test_time_elapsed_fires_once_the_minutes_have_passed():
    m = mission([event({"on": "time_elapsed", "minutes": 20})])
    assert fired_now(m, state(), minutes=19.9) == []
    assert fired_now(m, state(), minutes=20) == [0]


def test_time_elapsed_is_stretched_by_the_time_multiplier():
    m = mission([event({"on": "time_elapsed", "minutes": 20})])
    assert fired_now(m, state(), minutes=30, multiplier=2.0) == []
    assert fired_now(m, state(), minutes=40, multiplier=2.0) == [0]


def test_time_multiplier_below_one_is_treated_as_one():
    m = mission([event({"on": "time_elapsed", "minutes": 20})])
    assert fired_now(m, state(), minutes=10, multiplier=0.1) == []


def test_all_triggers_of_an_event_must_hold():
    m = mission([event(COMPLETED_1, CHOSE_NO, {"on": "time_elapsed", "minutes": 10})])
    assert fired_now(m, state(submitted={1}, decisions={"isolate": "no"}), minutes=5) == []
    assert fired_now(m, state(submitted={1}, decisions={"isolate": "yes"}), minutes=15) == []
    assert fired_now(m, state(decisions={"isolate": "no"}), minutes=15) == []
    assert fired_now(m, state(submitted={1}, decisions={"isolate": "no"}), minutes=15) == [0]


def test_an_event_fires_at_most_once():
    m = mission([event(COMPLETED_1)])
    assert fired_now(m, state(submitted={1}, fired=[0])) == []
    assert evaluate(m, state(submitted={1}, fired=[0]), T0).fired == (0,)


def test_unknown_trigger_kind_never_holds():
    m = mission([event({"on": "moon_phase"})])
    assert fired_now(m, state(submitted={1, 2, 3}), minutes=10_000) == []


def test_a_time_only_event_records_when_it_became_due():
    m = mission([event({"on": "time_elapsed", "minutes": 20})])
    (fired,) = evaluate(m, state(), T0 + timedelta(minutes=95), 1.5).new_events
    assert fired.at == T0 + timedelta(minutes=30)


def test_an_event_waiting_for_a_submission_records_now():
    m = mission([event(COMPLETED_1, {"on": "time_elapsed", "minutes": 5})])
    now = T0 + timedelta(minutes=12)
    (fired,) = evaluate(m, state(submitted={1}), now).new_events
    assert fired.at == now


def test_fire_false_reports_the_state_without_firing():
    m = mission([event(COMPLETED_1, score_penalty=5)])
    progress = evaluate(m, state(submitted={1}), T0, fire=False)
    assert progress.new_events == () and progress.fired == () and progress.penalty == 0


# ---- consequences --------------------------------------------------------------------------------------------

def test_score_penalties_add_up_over_fired_events_and_score_floors_at_zero():
    m = mission([event(COMPLETED_1, score_penalty=30), event(CHOSE_NO, score_penalty=80), event(STARTED_2)])
    progress = evaluate(m, state(submitted={1}, decisions={"isolate": "no"}), T0)
    assert progress.penalty == 110
    assert assessment.score(m, {"1": {"response": "x"}}, progress.penalty) == 0     # no checks: 100 - 110, floored
    assert assessment.score(m, {"1": {"response": "x"}}, 15) == 85


def test_unlock_subtask_keeps_it_hidden_until_the_event_fires():
    m = mission([event(CHOSE_NO, unlock_subtask=3)])
    before = evaluate(m, state(submitted={1}, decisions={"isolate": "yes"}), T0)
    assert before.hidden == {3}
    assert before.visible == (1, 2)
    after = evaluate(m, state(submitted={1}, decisions={"isolate": "no"}), T0)
    assert after.hidden == frozenset()
    assert after.visible == (1, 2, 3)


def test_reveal_cue_adds_a_cue_from_then_on():
    cue = {"cue_type": "email", "description": "CEO writes.", "location": "Inbox", "significance": "Pressure."}
    m = mission([event(COMPLETED_1, reveal_cue=cue, subtask_id=2)])
    assert evaluate(m, state(), T0).cues == ()
    progress = evaluate(m, state(submitted={1}), T0)
    assert [c["description"] for c in progress.cues] == ["CEO writes."]
    assert progress.cues[0]["subtask_id"] == 2
    assert progress.cues[0]["revealed_by"] == 0


def test_severity_and_message_appear_in_the_event_view():
    m = mission([event(COMPLETED_1, severity="critical", message="Backups encrypted.", score_penalty=10)])
    view = engine.event_view(m, 0)
    assert (view["severity"], view["message"], view["score_penalty"]) == ("critical", "Backups encrypted.", 10)


def test_event_view_without_message_falls_back_to_the_description():
    assert engine.event_view(mission([event(COMPLETED_1)]), 0)["message"] == "Something happens."


def test_cues_of_reached_subtasks_only():
    cues = [{"subtask_id": sid, "cue_type": "log", "description": f"cue {sid}", "location": "SIEM",
             "significance": "x"} for sid in (1, 2, 3)]
    m = mission(cues=cues)
    assert [c["description"] for c in evaluate(m, state(), T0).cues] == ["cue 1"]
    assert [c["description"] for c in evaluate(m, state(submitted={1}), T0).cues] == ["cue 1", "cue 2"]


def test_unlocking_chains_settle_in_one_evaluation():
    """Firing one event can open a subtask whose start fires the next."""
    subtasks = [{"id": i, "title": f"S{i}", "instructions": ".", "decisions": []} for i in (1, 2, 3, 4)]
    m = mission([event(COMPLETED_1, unlock_subtask=2),
                 event(STARTED_2, message="Reached two.")], subtasks=subtasks)
    progress = evaluate(m, state(submitted={1}), T0)
    assert [f.index for f in progress.new_events] == [0, 1]
    assert progress.current == 2


# ---- next subtask and completion ------------------------------------------------------------------------------

def test_current_is_the_first_visible_unsubmitted_subtask():
    m = mission([event(CHOSE_NO, unlock_subtask=2)])
    assert evaluate(m, state(), T0).current == 1
    assert evaluate(m, state(submitted={1}, decisions={"isolate": "yes"}), T0).current == 3
    assert evaluate(m, state(submitted={1}, decisions={"isolate": "no"}), T0).current == 2


def test_attempt_completes_when_every_visible_subtask_is_submitted():
    m = mission([event(CHOSE_NO, unlock_subtask=3)])
    done = evaluate(m, state(submitted={1, 2}, decisions={"isolate": "yes"}), T0)
    assert done.completed and done.current is None
    open_ = evaluate(m, state(submitted={1, 2}, decisions={"isolate": "no"}), T0)
    assert not open_.completed and open_.current == 3


# ---- submission checks ---------------------------------------------------------------------------------------

def check(m, s, subtask_id, response="Done.", decisions=None):
    progress = evaluate(m, s, T0)
    return check_submission(m, progress, subtask_id, response, decisions, s.submitted).decisions


def test_check_submission_accepts_the_current_subtask_with_its_decisions():
    assert check(mission(), state(), 1, decisions={"isolate": "no"}) == {"isolate": "no"}


def test_check_submission_unknown_subtask_is_404():
    with pytest.raises(NotFound, match="no subtask 9"):
        check(mission(), state(), 9)


def test_check_submission_already_submitted_is_409():
    with pytest.raises(Conflict, match="already submitted"):
        check(mission(), state(submitted={1}), 1, decisions={"isolate": "no"})


def test_check_submission_hidden_subtask_is_409_without_naming_it():
    m = mission([event(CHOSE_NO, unlock_subtask=3)])
    with pytest.raises(Conflict, match="not open yet") as info:
        check(m, state(submitted={1}, decisions={"isolate": "yes"}), 3)
    assert "Report" not in info.value.message


def test_check_submission_out_of_order_is_409_naming_the_current_subtask():
    with pytest.raises(Conflict, match="submit “Triage” first"):
        check(mission(), state(), 2)


def test_check_submission_after_completion_is_409():
    with pytest.raises(Conflict):
        check(mission(), state(submitted={1, 2, 3}), 3)


def test_check_submission_missing_decision_is_422_naming_the_field():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, decisions={})
    assert info.value.status == 422
    assert "Isolate now?" in info.value.fields["decision-isolate"]


def test_check_submission_unknown_option_is_422():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, decisions={"isolate": "maybe"})
    assert "“maybe” is not an option" in info.value.fields["decision-isolate"]


def test_check_submission_unknown_decision_is_422():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, decisions={"isolate": "no", "reboot": "yes"})
    assert "decision-reboot" in info.value.fields


def test_check_submission_empty_or_huge_response_is_422():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, response="   ", decisions={"isolate": "no"})
    assert info.value.fields == {"response": "Write your response before submitting."}
    with pytest.raises(Invalid):
        check(mission(), state(), 1, response="x" * (engine.MAX_RESPONSE_CHARS + 1), decisions={"isolate": "no"})


def test_check_submission_reports_every_problem_at_once():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, response="", decisions={"isolate": "maybe"})
    assert set(info.value.fields) == {"response", "decision-isolate"}
    assert "1 more problem" in info.value.message


# ---- helpers ---------------------------------------------------------------------------------------------------

def test_state_from_stored_fields():
    s = engine.state_from(T0, {"1": {"response": "x"}}, {"isolate": "no"}, [{"index": 2, "fired_at": "…"}], 2)
    assert s.submitted == {1} and s.fired == (2,) and s.reached == {2} and s.decisions == {"isolate": "no"}


def test_scope_acknowledgement_is_for_offensive_missions():
    assert engine.requires_scope_acknowledgement({"track": "offensive"})
    assert not engine.requires_scope_acknowledgement({"track": "defender"})


@pytest.mark.parametrize("value", ["1", 1, "2.5", "4", 4.0])
def test_check_time_multiplier_accepts_one_to_four(value):
    assert 1 <= engine.check_time_multiplier(value) <= 4


@pytest.mark.parametrize("value", ["0.5", "4.01", "", None, "abc", "nan", "inf", -1])
def test_check_time_multiplier_refuses_outside_one_to_four(value):
    with pytest.raises(Invalid) as info:
        engine.check_time_multiplier(value)
    assert "time_multiplier" in info.value.fields


# ---- invariants (hypothesis) -----------------------------------------------------------------------------------

@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=2, max_value=5))
    ids = list(range(1, n + 1))
    decisions = {f"d{i}": ["a", "b"] for i in ids if draw(st.booleans())}
    subtasks = [{"id": i, "title": f"S{i}", "instructions": ".", "decisions": (
        [{"id": f"d{i}", "prompt": "?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}]
        if f"d{i}" in decisions else [])} for i in ids]
    trigger = st.one_of(
        st.builds(lambda s: {"on": "subtask_started", "subtask_id": s}, st.sampled_from(ids)),
        st.builds(lambda s: {"on": "subtask_completed", "subtask_id": s}, st.sampled_from(ids)),
        st.builds(lambda m: {"on": "time_elapsed", "minutes": m}, st.integers(min_value=1, max_value=120)),
        *([st.builds(lambda d, c: {"on": "decision", "decision_id": d, "choice": c},
                     st.sampled_from(sorted(decisions)), st.sampled_from(["a", "b"]))] if decisions else []),
    )
    events = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        triggers = draw(st.lists(trigger, min_size=1, max_size=3))
        cons = {"score_penalty": draw(st.integers(min_value=0, max_value=40))}
        target = draw(st.one_of(st.none(), st.sampled_from(ids[1:])))
        if target is not None and not any(t.get("subtask_id") == target for t in triggers):
            cons["unlock_subtask"] = target
        events.append({"subtask_id": 1, "event_type": "e", "description": "d", "triggers": triggers,
                       "consequences": cons})
    m = mission(events, subtasks=subtasks)
    submitted = draw(st.sets(st.sampled_from(ids)))
    chosen = {d: draw(st.sampled_from(opts)) for d, opts in decisions.items() if draw(st.booleans())}
    fired = draw(st.lists(st.integers(min_value=0, max_value=max(0, len(events) - 1)), unique=True,
                          max_size=len(events))) if events else []
    return m, state(submitted=submitted, decisions=chosen, fired=fired)


times = st.floats(min_value=0, max_value=600, allow_nan=False)
multipliers = st.floats(min_value=1, max_value=4, allow_nan=False)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(), times, multipliers)
def test_no_event_fires_twice(scenario, minutes, multiplier):
    m, s = scenario
    progress = evaluate(m, s, T0 + timedelta(minutes=minutes), multiplier)
    assert len(progress.fired) == len(set(progress.fired))
    assert not {f.index for f in progress.new_events} & set(s.fired)
    # Evaluating again from the result fires nothing more.
    again = AttemptState(T0, s.submitted, s.decisions, progress.fired, progress.reached)
    assert evaluate(m, again, T0 + timedelta(minutes=minutes), multiplier).new_events == ()


@SETTINGS
@given(scenarios(), times, multipliers)
def test_fired_events_never_unfire(scenario, minutes, multiplier):
    m, s = scenario
    progress = evaluate(m, s, T0 + timedelta(minutes=minutes), multiplier)
    assert set(s.fired) <= set(progress.fired)
    assert progress.fired[:len(s.fired)] == tuple(s.fired)


@SETTINGS
@given(scenarios(), times, times, multipliers)
def test_a_later_time_never_fires_fewer_events(scenario, a, b, multiplier):
    m, s = scenario
    early, late = sorted((a, b))
    first = evaluate(m, s, T0 + timedelta(minutes=early), multiplier)
    second = evaluate(m, s, T0 + timedelta(minutes=late), multiplier)
    assert set(first.fired) <= set(second.fired)


@SETTINGS
@given(scenarios(), times, multipliers)
def test_hidden_subtasks_are_exactly_those_whose_unlocking_event_has_not_fired(scenario, minutes, multiplier):
    m, s = scenario
    progress = evaluate(m, s, T0 + timedelta(minutes=minutes), multiplier)
    locks = engine.hidden_by_design(m)
    for sid, unlockers in locks.items():
        assert (sid in progress.hidden) == (not set(unlockers) & set(progress.fired))
    assert not set(progress.visible) & progress.hidden
    assert progress.penalty == sum(m["escalation_events"][i]["consequences"].get("score_penalty", 0)
                                   for i in progress.fired)


def test_check_submission_response_with_nul_is_422():
    with pytest.raises(Invalid) as info:
        check(mission(), state(), 1, response="a\x00b", decisions={"isolate": "no"})
    assert "NUL" in info.value.fields["response"]


def test_clean_response_is_the_stored_form_of_a_response():
    """What services.attempts stores: the text cleaner's form (line breaks as \\n, stripped)."""
    assert engine.clean_response("  first\r\nsecond \r\n") == ("first\nsecond", None)
    assert engine.clean_response(None) == ("", None)
    assert engine.clean_response("x" * (engine.MAX_RESPONSE_CHARS + 1))[1] == "must be at most 20000 characters"


def test_chosen_options_label_each_decision_as_answered():
    item = {"decisions": [{"id": "d1", "prompt": "Contain?", "options": [{"id": "a", "label": "Isolate"}]},
                          {"id": "d2", "prompt": "Tell?", "options": [{"id": "b", "label": "Legal"}]},
                          {"id": "d3", "prompt": "Gone?", "options": []}]}
    assert engine.chosen_options(item, {"d1": "a", "d3": "removed-option"}) == [
        {"id": "d1", "prompt": "Contain?", "choice": "a", "label": "Isolate"},
        {"id": "d2", "prompt": "Tell?", "choice": None, "label": None},
        {"id": "d3", "prompt": "Gone?", "choice": "removed-option", "label": "removed-option"}]
    assert engine.chosen_options({}, None) == []


# ---- subtask_open_for (SPEC §3: "if triage drags on…") ---------------------------------------------------------

def open_state(current, since_minutes, submitted=()):
    return AttemptState(started_at=T0, submitted=frozenset(submitted), current=current,
                        current_since=T0 + timedelta(minutes=since_minutes), reached=frozenset({current}))


DWELL_2 = {"on": "subtask_open_for", "subtask_id": 2, "minutes": 10}


def test_subtask_open_for_fires_only_after_the_subtask_has_been_current_that_long():
    m = mission([event(DWELL_2, subtask_id=2)])
    # subtask 2 became current at minute 30: the event waits for minute 40, whatever the attempt's age
    s = open_state(2, 30, submitted={1})
    assert fired_now(m, s, minutes=39) == []
    progress = evaluate(m, s, T0 + timedelta(minutes=55))
    assert [f.index for f in progress.new_events] == [0]
    assert progress.new_events[0].at == T0 + timedelta(minutes=40)     # when it held, not when it was seen


def test_subtask_open_for_never_fires_for_a_subtask_that_is_not_current():
    m = mission([event(DWELL_2, subtask_id=2)])
    assert fired_now(m, open_state(1, 0), minutes=120) == []                      # still on subtask 1
    assert fired_now(m, open_state(3, 0, submitted={1, 2}), minutes=120) == []     # 2 was submitted


def test_subtask_open_for_is_stretched_by_the_time_multiplier():
    m = mission([event(DWELL_2, subtask_id=2)])
    s = open_state(2, 0, submitted={1})
    assert fired_now(m, s, minutes=15, multiplier=2) == []
    assert fired_now(m, s, minutes=20, multiplier=2) == [0]


def test_a_subtask_that_has_just_become_current_has_not_been_open_at_all():
    # subtask 1 submitted in this evaluation: subtask 2 opens now, so its dwell cannot have held yet
    m = mission([event(DWELL_2, subtask_id=2)])
    s = AttemptState(started_at=T0, submitted=frozenset({1}), current=1, current_since=T0, reached=frozenset({1}))
    assert fired_now(m, s, minutes=60) == []
