"""domain.assessment (SPEC §3.1): marking answer, choice and keywords checks, the answers a submission may
carry, the score formula and what a learner may see of a check before submitting."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain import assessment
from webapp.domain.errors import Invalid

ANSWER = {"id": "ip", "kind": "answer", "prompt": "Which IP?", "accept": ["198.51.100.14", "Mailer Host"],
          "points": 2, "explanation": "In the Received header."}
CHOICE = {"id": "verdict", "kind": "choice", "prompt": "Verdict?", "options": [
    {"id": "phish", "label": "Phishing"}, {"id": "spam", "label": "Spam"}, {"id": "ok", "label": "Legitimate"}],
    "correct": ["phish"], "points": 1, "explanation": "DMARC failed for our own domain."}
MULTI = {"id": "ioc", "kind": "choice", "prompt": "Which are indicators?", "multiple": True, "options": [
    {"id": "dmarc", "label": "dmarc=fail"}, {"id": "spf", "label": "spf=pass"}, {"id": "reply", "label": "Reply-To"}],
    "correct": ["dmarc", "reply"], "points": 2, "explanation": "SPF passes for the attacker's domain."}
KEYWORDS = {"id": "ideas", "kind": "keywords", "groups": [["revoke", "invalidate"], ["reset password", "password reset"],
                                                          ["ip", "address"]], "min": 2, "points": 3,
            "explanation": "Kill the session and the password."}
SUBTASK = {"id": 1, "title": "Analyse", "instructions": "Read.", "checks": [ANSWER, CHOICE, MULTI, KEYWORDS],
           "key_points": ["Names the IP", "Calls it phishing", "Resets the password"], "model_answer": "A model."}


# ---- marking --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given_answer", ["198.51.100.14", "  198.51.100.14 ", "mailer   host", "MAILER HOST"])
def test_an_answer_is_right_after_trimming_case_folding_and_collapsing_spaces(given_answer):
    assert assessment.is_correct(ANSWER, given_answer)


@pytest.mark.parametrize("given_answer", ["", "198.51.100.1", "198.51.100.14.", "mailerhost", None, 42, ["x"]])
def test_any_other_answer_is_wrong(given_answer):
    assert not assessment.is_correct(ANSWER, given_answer)


def test_a_single_choice_is_right_only_with_the_correct_option():
    assert assessment.is_correct(CHOICE, "phish")
    assert assessment.is_correct(CHOICE, ["phish"])
    assert not assessment.is_correct(CHOICE, "spam")
    assert not assessment.is_correct(CHOICE, ["phish", "spam"])
    assert not assessment.is_correct(CHOICE, None)


def test_a_multiple_choice_needs_exactly_the_correct_options():
    assert assessment.is_correct(MULTI, ["reply", "dmarc"])
    assert not assessment.is_correct(MULTI, ["dmarc"])
    assert not assessment.is_correct(MULTI, ["dmarc", "reply", "spf"])


def test_keywords_count_each_group_once_and_match_whole_words():
    assert assessment.groups_mentioned(KEYWORDS, "Revoke and invalidate the sessions") == 1
    assert not assessment.is_correct(KEYWORDS, None, "Revoke, then revoke again.")
    assert assessment.is_correct(KEYWORDS, None, "Revoke the tokens and force a PASSWORD   reset.")
    # "ip" is not found inside "ship" or "tip"; a phrase must appear as a phrase
    assert assessment.groups_mentioned(KEYWORDS, "Ship the tip; reset the password") == 0
    assert assessment.groups_mentioned(KEYWORDS, "Block the IP.") == 1
    assert assessment.groups_mentioned(KEYWORDS, "Block the IPs and the addresses; password resets.") == 2


def test_x_everywhere_earns_nothing():
    marks = assessment.mark(SUBTASK, {"ip": "x", "verdict": "ok", "ioc": ["spf"]}, "x")
    assert marks == {"ip": 0, "verdict": 0, "ioc": 0, "ideas": 0}


def test_the_model_answers_earn_every_point():
    marks = assessment.mark(SUBTASK, {"ip": "198.51.100.14", "verdict": "phish", "ioc": ["dmarc", "reply"]},
                            "Invalidate the sessions, password reset, block the address.")
    assert marks == {"ip": 2, "verdict": 1, "ioc": 2, "ideas": 3}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.text(max_size=200))
def test_marking_is_deterministic_and_all_or_nothing(answer, response):
    first = assessment.mark(SUBTASK, {"ip": answer, "verdict": answer}, response)
    assert first == assessment.mark(SUBTASK, {"ip": answer, "verdict": answer}, response)
    for check in SUBTASK["checks"]:
        assert first[check["id"]] in (0, check["points"])


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_normalising_is_idempotent_and_ignores_outer_space_and_case(text):
    once = assessment.normalise(text)
    assert assessment.normalise(once) == once
    assert assessment.normalise(f"  {text.upper()}\t") == assessment.normalise(text.upper())
    assert "  " not in once and once == once.strip()


# ---- answers a submission may carry ---------------------------------------------------------------------------

def test_clean_answers_keeps_known_answers_and_leaves_unanswered_checks_out():
    stored, problems = assessment.clean_answers(SUBTASK, {"ip": "  198.51.100.14 ", "verdict": "phish",
                                                          "ioc": ["dmarc", "dmarc", "reply"]})
    assert problems == {}
    assert stored == {"ip": "198.51.100.14", "verdict": "phish", "ioc": ["dmarc", "reply"]}
    assert assessment.clean_answers(SUBTASK, {}) == ({}, {})


@pytest.mark.parametrize("answers, field, message", [
    ({"nope": "x"}, "check-nope", "is not a question of this subtask"),
    ({"ideas": "x"}, "check-ideas", "is not a question of this subtask"),     # keywords mark the response
    ({"verdict": "maybe"}, "check-verdict", "is not an option"),
    ({"verdict": ["phish", "spam"]}, "check-verdict", "Choose one option"),
    ({"ioc": ["dmarc", "x"]}, "check-ioc", "is not an option"),
    ({"verdict": {"a": 1}}, "check-verdict", "Choose from the options"),
    ({"ip": "9" * 201}, "check-ip", "under 200 characters"),
    ({"ip": "a\x00b"}, "check-ip", "This answer"),
    ({"ip": 12}, "check-ip", "This answer"),
])
def test_clean_answers_refuses_what_the_subtask_does_not_ask(answers, field, message):
    _, problems = assessment.clean_answers(SUBTASK, answers)
    assert message in problems[field]


# ---- score ----------------------------------------------------------------------------------------------------

def content(*subtasks):
    return {"subtasks": list(subtasks)}


def test_score_is_the_share_of_points_minus_penalties_never_below_zero():
    c = content(SUBTASK, {"id": 2, "title": "B", "checks": [dict(ANSWER, id="b", points=2)]})
    responses = {"1": {"marks": {"ip": 2, "verdict": 1, "ioc": 0, "ideas": 3}}, "2": {"marks": {"b": 0}}}
    assert assessment.score(c, responses, 0) == 60           # 6 of 10
    assert assessment.score(c, responses, 15) == 45
    assert assessment.score(c, responses, 90) == 0


def test_halves_round_up_and_a_mission_without_checks_keeps_100_minus_penalties():
    assert assessment.percent(1, 8) == 13                    # 12.5
    assert assessment.percent(5, 8) == 63                    # 62.5
    assert assessment.percent(0, 0) == 100
    c = content({"id": 1, "title": "A"}, {"id": 2, "title": "B"})
    assert assessment.score(c, {"1": {"response": "x"}, "2": {"response": "y"}}, 10) == 90


def test_a_subtask_never_submitted_is_not_held_against_the_learner():
    c = content(SUBTASK, {"id": 2, "title": "Hidden", "checks": [dict(ANSWER, id="b", points=100)]})
    assert assessment.score(c, {"1": {"marks": {"ip": 2, "verdict": 1, "ioc": 2, "ideas": 3}}}, 0) == 100


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 5)), min_size=1, max_size=8), st.integers(0, 150))
def test_score_is_between_0_and_100_and_more_right_answers_never_score_less(marks, penalty):
    checks = [dict(ANSWER, id=f"c{i}", points=p) for i, (_, p) in enumerate(marks)]
    c = content({"id": 1, "title": "A", "checks": checks})
    got = {f"c{i}": (p if right else 0) for i, (right, p) in enumerate(marks)}
    score = assessment.score(c, {"1": {"marks": got}}, penalty)
    assert 0 <= score <= 100
    better = {k: checks[i]["points"] for i, k in enumerate(got)}
    assert assessment.score(c, {"1": {"marks": better}}, penalty) >= score


# ---- what the learner sees ------------------------------------------------------------------------------------

@pytest.mark.parametrize("check", [ANSWER, CHOICE, MULTI, KEYWORDS])
def test_the_prompt_view_never_carries_answers_or_explanations(check):
    view = assessment.prompt_view(check)
    assert set(view) == {"id", "kind", "prompt", "options", "multiple", "points"}
    flat = repr(view)
    assert "explanation" not in flat and "198.51.100.14" not in flat and "correct" not in flat
    assert "revoke" not in flat


def test_results_show_the_mark_the_accepted_answer_and_the_explanation():
    stored = {"response": "Revoke it and reset password.", "checks": {"ip": "10.0.0.1", "verdict": "phish"},
              "marks": {"ip": 0, "verdict": 1, "ioc": 0, "ideas": 3}}
    rows = {r["id"]: r for r in assessment.results(SUBTASK, stored)}
    assert rows["ip"]["correct"] is False and rows["ip"]["accepted"] == ["198.51.100.14", "Mailer Host"]
    assert rows["verdict"]["correct"] is True and rows["verdict"]["answer_labels"] == ["Phishing"]
    assert rows["ioc"]["answer"] is None and rows["ioc"]["earned"] == 0
    assert rows["ideas"]["correct"] is True and rows["ideas"]["groups"] == 2
    assert rows["ip"]["explanation"] == "In the Received header."


def test_key_points_ticked_are_indices_of_the_subtask():
    assert assessment.check_covered(SUBTASK, ["2", "0", "0"]) == [0, 2]
    assert assessment.check_covered(SUBTASK, []) == []
    for bad in (["3"], ["-1"], ["x"], [None]):
        with pytest.raises(Invalid):
            assessment.check_covered(SUBTASK, bad)
