"""domain/cohorts.py: a cohort's fields, what a member is, who may filter the gradebook by a cohort."""
from __future__ import annotations

import pytest

from webapp.domain import cohorts as rules
from webapp.domain.errors import Invalid
from webapp.domain.policies import Actor


def test_a_name_is_one_line_and_required():
    assert rules.check_name("  Spring\n 2027   SOC ") == "Spring 2027 SOC"
    for blank in ("", "   ", None):
        with pytest.raises(Invalid) as exc:
            rules.check_name(blank)
        assert exc.value.fields == {"name": "Give the cohort a name."}
    with pytest.raises(Invalid):
        rules.check_name("x" * (rules.NAME_MAX + 1))
    assert rules.check_name("x" * rules.NAME_MAX) == "x" * rules.NAME_MAX


def test_a_track_is_a_known_one_or_none():
    assert rules.check_track("") is None and rules.check_track(None) is None
    assert rules.check_track("grc") == "grc"
    with pytest.raises(Invalid) as exc:
        rules.check_track("cooking")
    assert "track" in exc.value.fields


def test_a_member_is_a_mentor_by_a_mentoring_role():
    assert rules.member_kind("mentor") == "mentor" and rules.member_kind("admin") == "mentor"
    assert rules.member_kind("learner") == "learner"


def test_who_is_an_email_or_a_handle_without_its_at_sign():
    assert rules.clean_who(" Ada@Example.com ") == "ada@example.com"
    assert rules.clean_who("@ada") == "ada" and rules.clean_who("ada") == "ada"


def test_only_admins_and_member_mentors_may_filter_by_a_cohort():
    admin, mentor, learner = Actor(1, "admin"), Actor(2, "mentor"), Actor(3, "learner")
    assert rules.may_filter_by(admin, False) and rules.may_filter_by(admin, True)
    assert rules.may_filter_by(mentor, True) and not rules.may_filter_by(mentor, False)
    assert not rules.may_filter_by(learner, True)


@pytest.mark.parametrize("raw,expected", [("", None), (None, None), ("7", 7), (" 12 ", 12)])
def test_a_cohort_id_from_a_query_string(raw, expected):
    assert rules.parse_id(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", str(2**31), "9" * 30])
def test_a_cohort_id_that_is_no_id_is_invalid(raw):
    with pytest.raises(Invalid) as exc:
        rules.parse_id(raw)
    assert exc.value.fields == {"cohort": "unknown cohort"}
