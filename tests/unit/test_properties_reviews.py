"""Invariants (hypothesis) of mentor reviews (domain.reviews, SPEC §5).

Review phases are numbered 1, 2, 3, … with no repeat and no gap, never beyond five, and a new one starts only
after the previous one is submitted. The weighted rubric total stays on 0-100 with two decimals and never
drops when a level is raised. Scores, minutes and next steps either come back clean or are refused with a 422,
whatever is sent; a submitted last phase always carries a score and a decision.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from webapp.domain import reviews as rv
from webapp.domain.errors import Conflict, Invalid
from webapp.domain.phases import PHASES

SETTINGS = settings(max_examples=100, deadline=None)
TODAY = date(2026, 11, 25)


# ---- phase numbering -----------------------------------------------------------------------------------------

class ReviewRounds(RuleBasedStateMachine):
    """The review phases of one capstone as mentors create, submit and decide them in any order."""

    def __init__(self):
        super().__init__()
        self.rows: list[list] = []          # [review_phase, total_phases, status, decision]

    @rule(number=st.integers(min_value=0, max_value=7), total=st.one_of(st.none(), st.integers(0, 7)))
    def create(self, number, total):
        existing = [tuple(r) for r in self.rows]
        try:
            carried = rv.plan_new_review(existing, number, total)
        except (Conflict, Invalid):
            return
        last = max(existing, default=(0, 0, "submitted", None))
        assert number == last[0] + 1, f"phase {number} accepted after {last[0]}"
        assert not (last[0] >= last[1] > 0 and last[3] != "request_changes"), "a phase added after the final one"
        assert all(r[2] == "submitted" for r in existing), "a phase started while an earlier one is a draft"
        assert number <= carried <= rv.MAX_TOTAL_PHASES
        self.rows.append([number, carried, "draft", None])

    @rule(total=st.one_of(st.none(), st.integers(1, 5)))
    def create_the_next_number(self, total):
        """Steers towards long histories: most random numbers are refused."""
        self.create(len(self.rows) + 1, total)

    @rule(decision=st.sampled_from([None, "approve", "request_changes"]))
    def submit_latest(self, decision):
        if self.rows and self.rows[-1][2] == "draft":
            number, total = self.rows[-1][:2]
            self.rows[-1][2:] = ["submitted", decision if rv.is_last_phase(number, total) else None]

    @invariant()
    def numbers_run_one_two_three_without_repeat_or_gap(self):
        assert [r[0] for r in self.rows] == list(range(1, len(self.rows) + 1))
        assert len(self.rows) <= rv.MAX_TOTAL_PHASES

ReviewRounds.TestCase.settings = settings(max_examples=50, stateful_step_count=20, deadline=None)
test_review_rounds = ReviewRounds.TestCase


# ---- rubric arithmetic ---------------------------------------------------------------------------------------

@st.composite
def rubrics_and_scores(draw):
    """A rubric (ids, positive weights, distinct level scores) and a level chosen for some of its criteria."""
    n = draw(st.integers(min_value=1, max_value=5))
    rubric, scores = [], {}
    for i in range(n):
        levels = sorted(draw(st.sets(st.integers(min_value=0, max_value=10), min_size=1, max_size=5)))
        weight = draw(st.one_of(st.integers(min_value=1, max_value=10),
                                st.decimals(min_value=Decimal("0.01"), max_value=10, places=2).map(float)))
        rubric.append({"id": f"c{i}", "criterion": f"C{i}", "weight": weight,
                       "levels": [{"score": s, "label": f"L{s}"} for s in levels]})
        if draw(st.booleans()):
            scores[f"c{i}"] = draw(st.sampled_from(levels))
    return rubric, scores


@SETTINGS
@given(rubrics_and_scores(), st.randoms(use_true_random=False))
def test_weighted_total_is_0_to_100_two_decimals_and_order_free(case, rnd):
    rubric, scores = case
    total = rv.weighted_total(rubric, scores)
    if not scores:
        assert total is None
        return
    assert Decimal(0) <= total <= Decimal(100) and total.as_tuple().exponent == -2
    shuffled = list(rubric)
    rnd.shuffle(shuffled)
    assert rv.weighted_total(shuffled, scores) == total
    assert rv.check_rubric_scores(rubric, scores) == scores      # what the form offers is accepted


@SETTINGS
@given(rubrics_and_scores(), st.data())
def test_raising_one_level_never_lowers_the_total(case, data):
    rubric, scores = case
    criterion = data.draw(st.sampled_from(rubric))
    levels = [lv["score"] for lv in criterion["levels"]]
    low, high = sorted(data.draw(st.tuples(st.sampled_from(levels), st.sampled_from(levels))))
    worse = rv.weighted_total(rubric, scores | {criterion["id"]: low})
    better = rv.weighted_total(rubric, scores | {criterion["id"]: high})
    assert worse <= better
    top = {c["id"]: max(lv["score"] for lv in c["levels"]) for c in rubric}
    assert rv.weighted_total(rubric, top) == Decimal("100.00")


anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.decimals(),
                     st.text(max_size=12), st.text(st.sampled_from("0123456789.-+eE _ "), max_size=12),
                     st.lists(st.integers(), max_size=2))


@SETTINGS
@given(rubrics_and_scores(), st.dictionaries(st.sampled_from(["c0", "c1", "c9", "x"]), anything, max_size=3))
def test_rubric_scores_keep_only_levels_of_the_rubric_or_are_refused(case, sent):
    rubric, _ = case
    levels = {c["id"]: {lv["score"] for lv in c["levels"]} for c in rubric}
    try:
        clean = rv.check_rubric_scores(rubric, sent)
    except Invalid as exc:
        assert exc.fields and all(key.removeprefix("rubric_scores.") in sent for key in exc.fields)
    else:
        assert clean == sent
        assert all(type(v) is int and v in levels[k] for k, v in clean.items())


@settings(max_examples=150, deadline=None)
@given(anything)
def test_a_score_is_none_or_0_to_100_with_two_decimals_or_422(value):
    try:
        score = rv.check_score(value, "overall_score")
    except Invalid as exc:
        assert set(exc.fields) == {"overall_score"}
        return
    if score is not None:
        assert Decimal(0) <= score <= Decimal(100) and score.as_tuple().exponent == -2
        assert rv.check_score(str(score), "overall_score") == score


@settings(max_examples=150, deadline=None)
@given(anything)
def test_meeting_minutes_are_none_or_1_to_600_or_422(value):
    try:
        minutes = rv.check_meeting_minutes(value)
    except Invalid as exc:
        assert set(exc.fields) == {"meeting_duration_minutes"}
        return
    assert minutes is None or (type(minutes) is int and 1 <= minutes <= rv.MAX_MEETING_MINUTES)


# ---- next steps ------------------------------------------------------------------------------------------------

days = st.integers(min_value=-40, max_value=40).map(lambda d: (TODAY + timedelta(days=d)).isoformat())
step_rows = st.one_of(
    st.fixed_dictionaries({"title": st.one_of(st.text(max_size=8), st.none()),
                           "priority": st.one_of(st.sampled_from(rv.PRIORITIES + ("", "urgent")), st.none(), anything),
                           "deadline": st.one_of(days, st.sampled_from(["", None, "soon", "2026-02-30"]), anything)}),
    anything)


@SETTINGS
@given(st.one_of(st.lists(step_rows, max_size=5), anything))
def test_accepted_next_steps_are_titled_prioritised_and_not_yet_overdue(rows):
    try:
        steps = rv.check_next_steps(rows, TODAY)
    except Invalid as exc:
        assert exc.fields and all(k.startswith("recommended_next_steps") for k in exc.fields)
        return
    for step in steps:
        assert step["title"] and step["title"] == step["title"].strip() and step["priority"] in rv.PRIORITIES
        assert step["deadline"] is None or date.fromisoformat(step["deadline"]) >= TODAY
    assert rv.overdue_steps(steps, [], TODAY) == [], "a step accepted today is already overdue"


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"title": st.just("t"), "deadline": st.one_of(days, st.none(), st.just("x"))}),
                max_size=6),
       st.sets(st.integers(min_value=0, max_value=6)), st.integers(0, 30), st.integers(0, 30))
def test_overdue_steps_only_grow_with_time_and_never_include_ticked_ones(steps, ticked, a, b):
    early, late = sorted([TODAY + timedelta(days=a), TODAY + timedelta(days=b)])
    before = [i for i, _ in rv.overdue_steps(steps, ticked, early)]
    after = [i for i, _ in rv.overdue_steps(steps, ticked, late)]
    assert set(before) <= set(after) and not set(after) & ticked


# ---- submitting the last phase, and who may edit ---------------------------------------------------------------

@SETTINGS
@given(st.booleans(), st.one_of(st.none(), st.just(Decimal("80.00"))),
       st.sampled_from([None, "", "approve", "request_changes", "reject"]),
       st.lists(st.sampled_from(PHASES + ("overall",)), max_size=3),
       st.sampled_from([None, PHASES, PHASES[2:]]))
def test_a_submitted_last_phase_carries_a_score_and_a_decision(last, score, decision, reopen, reviewable):
    try:
        rv.check_submit(last, score, decision, reopen, reviewable)
    except Invalid as exc:
        assert exc.status == 422 and exc.fields
        return
    if not last:
        assert not decision, "an earlier phase took a decision"
        return
    assert score is not None
    if reviewable is not None:                                   # a capstone, not an attempt
        assert decision in rv.REVIEW_DECISIONS
        if decision == "request_changes":
            assert reopen and set(reopen) <= set(reviewable)
        else:
            assert not reopen
