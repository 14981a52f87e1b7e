"""Invariants (hypothesis) of the upload rules (domain.uploads, SPEC §7).

No size over a kind's limit (or over MAX_UPLOAD_MB) is ever accepted and every size within it is; a kind
accepts exactly its own types and refuses anything else with a 415; and whatever name a client sends, the
display name is one safe file name with the extension of the detected type, never a path, a hidden file or
the client's own extension. Every refusal is one of the domain's own errors.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.errors import Invalid
from webapp.domain.uploads import (KINDS, MB, TYPES, Rejected, TooLargeUpload, check_size, check_type, display_name,
                                   format_duration, get_kind, limit_bytes)

SETTINGS = settings(max_examples=100, deadline=None)
kinds = st.sampled_from(list(KINDS.values()))
site_limits = st.integers(min_value=1, max_value=1000)
file_types = st.sampled_from(list(TYPES.values()))


@st.composite
def sizes_near_the_limit(draw):
    kind, site = draw(kinds), draw(site_limits)
    limit = min(kind.max_mb, site) * MB
    size = draw(st.one_of(st.integers(min_value=-2, max_value=2), st.integers(min_value=limit - 2, max_value=limit + 2),
                          st.integers(min_value=-(2 ** 63), max_value=2 ** 63)))
    return kind, site, size


@SETTINGS
@given(sizes_near_the_limit())
def test_a_file_over_the_limit_is_never_accepted_and_one_within_it_always_is(case):
    kind, site, size = case
    limit = limit_bytes(kind, site)
    assert limit <= kind.max_mb * MB and limit <= site * MB
    try:
        check_size(kind, size, site)
    except TooLargeUpload as exc:
        assert exc.status == 413 and size > limit
        assert f"{limit // MB} MB" in exc.message
    except Invalid as exc:
        assert exc.status == 422 and size <= 0
    else:
        assert 0 < size <= limit


@SETTINGS
@given(kinds, st.one_of(st.none(), st.sampled_from(list(TYPES)), st.text(max_size=12)), st.one_of(st.none(),
                                                                                                  st.text(max_size=20)))
def test_a_kind_accepts_exactly_its_own_types_and_refuses_others_with_415(kind, type_key, detail):
    try:
        file_type = check_type(kind, type_key, detail)
    except Rejected as exc:
        assert exc.status == 415 and type_key not in kind.types
        assert kind.allowed_labels() in exc.message
    else:
        assert type_key in kind.types and file_type.key == type_key


@SETTINGS
@given(st.text(max_size=20))
def test_an_unknown_kind_is_422(key):
    if key in KINDS:
        assert get_kind(key) is KINDS[key]
    else:
        with pytest.raises(Invalid):
            get_kind(key)


SAFE = re.compile(r"^[\w.\- ()\[\]+,]+$")
names = st.one_of(
    st.none(),
    st.text(max_size=140),
    st.text(st.sampled_from("ab./\\:. _-\x00\n\u202e\u200b\uff0f\u2024%$"), max_size=30),
    st.builds(lambda stem, ext: f"{stem}.{ext}", st.text(max_size=110),
              st.sampled_from(["pdf", "PDF", "md", "MD", "txt", "log", "csv", "html", "exe", "php", "", ".."])),
)


@settings(max_examples=200, deadline=None)
@given(names, file_types)
def test_display_name_is_one_safe_name_with_the_detected_types_extension(client_name, file_type):
    name = display_name(client_name, file_type)
    assert SAFE.match(name), f"unsafe characters in {name!r}"
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    stem, _, ext = name.rpartition(".")
    if file_type.key == "text":
        assert "." + ext in (".txt", ".md", ".markdown", ".log", ".csv")
    else:
        assert "." + ext == file_type.extension, f"{name!r} for a {file_type.label}"
    assert stem and len(stem) <= 100


@SETTINGS
@given(st.integers(min_value=0, max_value=10 ** 7) | st.floats(min_value=0, max_value=10 ** 7))
def test_a_duration_reads_back_as_its_whole_seconds(seconds):
    text = format_duration(seconds)
    parts = [int(p) for p in text.split(":")]
    assert 2 <= len(parts) <= 3 and all(0 <= p < 60 for p in parts[1:])
    assert all(len(p) == 2 for p in text.split(":")[1:])
    back = parts[0] * 60 + parts[1] if len(parts) == 2 else parts[0] * 3600 + parts[1] * 60 + parts[2]
    assert back == int(seconds)
    assert format_duration(None) == ""
