"""domain.text: the one cleaner of the text people and data files give the app. Each rule on its own, then
the properties every caller relies on (cleaning twice changes nothing; no NUL is ever kept)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.errors import Invalid
from webapp.domain.text import HAS_NUL, NOT_TEXT, check_text, clean_text, collect_text, too_long


# ---- type -----------------------------------------------------------------------------------------------------

def test_check_text_none_is_empty_text():
    assert check_text(None) == ("", None)


@pytest.mark.parametrize("value", [42, 1.5, True, ["a"], {"a": 1}, b"bytes"])
def test_check_text_not_a_string_is_refused(value):
    assert check_text(value) == ("", NOT_TEXT)


# ---- control characters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["\x00", "a\x00b", "  \x00  "])
def test_check_text_nul_is_refused(value):
    assert check_text(value) == ("", "must not contain NUL characters")


def test_check_text_tab_and_other_characters_are_kept():
    assert check_text("a\tb\x07c é ✓") == ("a\tb\x07c é ✓", None)


# ---- line breaks ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [("a\r\nb", "a\nb"), ("a\rb", "a\nb"), ("a\r\r\nb", "a\n\nb"),
                                                 ("a\n\nb", "a\n\nb")])
def test_check_text_every_line_break_becomes_newline(value, expected):
    assert check_text(value)[0] == expected


# ---- whitespace -------------------------------------------------------------------------------------------------

def test_check_text_is_stripped_at_both_ends_only():
    assert check_text("  two  spaces inside \n")[0] == "two  spaces inside"


def test_check_text_one_line_makes_each_whitespace_run_one_space():
    assert check_text(" a\t b\r\n\nc  ", one_line=True)[0] == "a b c"


def test_check_text_block_keeps_indentation_and_ends_with_one_line_break():
    assert check_text("    code\r\nmore  \n\n", block=True)[0] == "    code\nmore\n"
    assert check_text("  one line  ", block=True)[0] == "one line"


def test_check_text_blank_is_empty_in_every_mode():
    assert {check_text(" \r\n\t ", **mode)[0] for mode in ({}, {"one_line": True}, {"block": True})} == {""}


# ---- length -------------------------------------------------------------------------------------------------------

def test_check_text_over_the_limit_after_cleaning_is_refused_and_kept():
    assert check_text("x" * 11, limit=10) == ("x" * 11, "must be at most 10 characters")
    assert check_text("  " + "x" * 10 + "  ", limit=10) == ("x" * 10, None)


def test_check_text_without_limit_takes_any_length():
    assert check_text("x" * 50_000, limit=None) == ("x" * 50_000, None)


def test_check_text_default_limit_is_20000():
    assert check_text("x" * 20_001)[1] == too_long(20_000)


# ---- the two ways to report -------------------------------------------------------------------------------------

def test_clean_text_names_the_field_in_message_and_fields():
    with pytest.raises(Invalid) as info:
        clean_text("x" * 201, "title", limit=200)
    assert info.value.message == "The title must be at most 200 characters."
    assert info.value.fields == {"title": "must be at most 200 characters"}
    assert info.value.status == 422


def test_clean_text_label_and_underscores_read_as_words():
    with pytest.raises(Invalid) as info:
        clean_text("a\x00b", "report_summary")
    assert info.value.message == "The report summary must not contain NUL characters."
    with pytest.raises(Invalid) as info:
        clean_text(7, "x", label="skill tag")
    assert info.value.message == "The skill tag must be text."


def test_collect_text_records_the_rule_under_the_path_and_goes_on():
    problems: dict[str, str] = {}
    assert collect_text("a\x00", "rows.2.title", problems) == ""
    assert collect_text("fine", "rows.3.title", problems) == "fine"
    assert problems == {"rows.2.title": HAS_NUL}


# ---- properties ---------------------------------------------------------------------------------------------------

MODES = st.sampled_from([{}, {"one_line": True}, {"block": True}])
TYPED = st.text(st.sampled_from("ab \t\r\n\x00é"), max_size=20) | st.text(max_size=20)


@given(TYPED, MODES)
def test_check_text_cleaning_twice_changes_nothing_and_keeps_no_nul(value, mode):
    text, rule = check_text(value, limit=None, **mode)
    assert "\x00" not in text
    assert rule in (None, HAS_NUL)
    assert check_text(text, limit=None, **mode) == (text, None)
