"""Invariants (hypothesis) of the capstone phase order (domain.phases, SPEC §4).

A learner completes and a mentor reopens phases in any order; whatever they try, the completed phases are
always the first n phases, a refused completion changes nothing and names the phase that must come first,
completing only ever adds the phase asked for, and reopening clears a phase together with every later one.
"""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from webapp.domain.errors import Conflict, DomainError, Invalid
from webapp.domain.phases import (COMPLETED, PHASES, REVIEW_STAGE, MissingFields, PhaseOrderError,
                                  check_can_complete, check_can_edit, current_phase, phases_to_clear,
                                  progress_percent, reopen_plan)

SETTINGS = settings(max_examples=100, deadline=None)
phase_names = st.sampled_from(PHASES)
done_sets = st.sets(phase_names)
missing_maps = st.dictionaries(st.sampled_from(["remediation_plan", "report_summary", "presentation_url"]),
                               st.just("missing"), max_size=2)


def is_prefix(done: set[str]) -> bool:
    return set(PHASES[:len(done)]) == done


class PhaseWorkflow(RuleBasedStateMachine):
    """A capstone's completed phases under any sequence of completions and reopenings."""

    def __init__(self):
        super().__init__()
        self.done: set[str] = set()
        self.approved = False

    @rule(phase=phase_names, missing=missing_maps)
    def complete(self, phase, missing):
        before = set(self.done)
        try:
            check_can_complete(phase, before, missing)
        except PhaseOrderError as exc:
            # Refused for order: the phase named is the first open one, and it comes before the one asked for.
            assert exc.status == 409
            assert exc.must_come_first not in before
            assert PHASES.index(exc.must_come_first) < PHASES.index(phase)
            assert exc.must_come_first == current_phase(before, self.approved)
        except MissingFields as exc:
            assert exc.status == 422 and set(exc.fields) == set(missing)
        except Conflict:
            assert phase in before          # only "already complete" is left
        else:
            assert phase not in before and not missing
            self.done = before | {phase}
        assert self.done >= before          # completing never removes a phase

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def reopen(self, data):
        asked = data.draw(st.lists(st.sampled_from(sorted(self.done)), min_size=1, max_size=3))
        cleared = set(reopen_plan(asked, self.done))
        assert set(asked) <= cleared <= self.done
        earliest = min(asked, key=PHASES.index)
        assert all(PHASES.index(p) >= PHASES.index(earliest) for p in cleared)
        self.done -= cleared

    @rule()
    def approve(self):
        if current_phase(self.done, self.approved) == REVIEW_STAGE:
            self.approved = True

    @invariant()
    def completed_phases_are_a_prefix(self):
        assert is_prefix(self.done), f"a later phase is complete before an earlier open one: {self.done}"

    @invariant()
    def current_phase_and_progress_agree_with_the_completed_phases(self):
        current = current_phase(self.done, self.approved)
        assert progress_percent(self.done) == 20 * len(self.done)
        if len(self.done) < len(PHASES):
            assert current == PHASES[len(self.done)]
        else:
            assert current == (COMPLETED if self.approved else REVIEW_STAGE)


PhaseWorkflow.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_phase_workflow = PhaseWorkflow.TestCase


@SETTINGS
@given(phase_names, done_sets, missing_maps)
def test_a_phase_completes_only_after_every_earlier_phase(phase, done, missing):
    """Whatever the stored completions (even a gap left by old data), completion needs every earlier phase."""
    try:
        check_can_complete(phase, done, missing)
    except DomainError as exc:
        assert isinstance(exc, (Conflict, Invalid))
    else:
        assert set(PHASES[:PHASES.index(phase)]) <= done and phase not in done and not missing


@SETTINGS
@given(st.text(max_size=30), done_sets)
def test_unknown_phase_names_are_422_everywhere(name, done):
    assume(name not in PHASES)
    for call in (lambda: check_can_complete(name, done, {}), lambda: phases_to_clear(name),
                 lambda: check_can_edit(name, done, False), lambda: reopen_plan([name], done)):
        with pytest.raises(Invalid):
            call()


@SETTINGS
@given(done_sets, done_sets)
def test_progress_never_drops_when_phases_are_added(done, more):
    assert 0 <= progress_percent(done) <= progress_percent(done | more) <= 100


@SETTINGS
@given(phase_names, done_sets, st.booleans())
def test_only_an_open_phase_of_a_capstone_not_under_review_is_editable(phase, done, under_review):
    try:
        check_can_edit(phase, done, under_review)
    except Conflict:
        assert under_review or phase in done
    else:
        assert not under_review and phase not in done
