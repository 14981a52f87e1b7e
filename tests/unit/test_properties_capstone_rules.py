"""Invariants (hypothesis) of capstone input cleaning (domain.capstone_rules, SPEC §4).

Whatever a form or the API sends: the answer is the cleaned values or one 422 naming fields that were sent
(rows by their index as sent); cleaned values are a fixed point, hold only http(s) or uploaded-file links, and
can always be checked for completion; and an API PATCH is split by phase without losing or inventing a field.
"""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webapp.domain import capstone_rules as cr
from webapp.domain.errors import Invalid
from webapp.domain.phases import FINDING_KINDS, PHASE_FIELDS, PHASES, PRESENTATION_TYPES, missing_fields

SETTINGS = settings(max_examples=100, deadline=None)
ALL_FIELDS = [f for phase in PHASES for f in PHASE_FIELDS[phase]]

# Text as people type it: line breaks of every kind, padding, now and then a NUL or an odd character.
chars = st.characters(blacklist_categories=("Cs",))
texts = st.one_of(st.text(chars, max_size=12),
                  st.text(st.sampled_from("ab \t\r\n\x00é"), max_size=12))
clean_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
cells = st.one_of(st.text(clean_chars, max_size=12), st.text(st.sampled_from("a \r\n"), max_size=12))
nonblank = cells.filter(lambda s: s.strip())
links = st.sampled_from(["https://example.org/a", "http://x.example/deck?p=1", "/files/evidence/ab_1.pdf",
                         "javascript:alert(1)", "ftp://x.example", "/etc/passwd", "https:// x", "data:text/html,x",
                         " https://padded.example/ ", ""])
good_links = st.sampled_from(["https://example.org/a", "http://x.example/deck?p=1", "/files/evidence/ab_1.pdf"])
dates = st.one_of(st.sampled_from(["", "2026-11-02", "2026-11-02T10:00:00Z", "2026-02-30", "last tuesday"]),
                  st.text(st.sampled_from("0123456789-:TZ+. W"), max_size=26))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8)


def row(field: str, cell=cells, link=links, date=dates, types=cr.ARTIFACT_TYPES + ("", "telepathy")):
    cols = cr.ROW_FIELDS[field]
    values = {"url": link, "decided_at": date, "type": st.sampled_from(types)}
    return st.fixed_dictionaries({c: values.get(c, cell) for c in cols})


def good_row(field: str):
    return row(field, cell=nonblank, link=good_links, types=cr.ARTIFACT_TYPES + ("",),
               date=st.sampled_from(["", "2026-11-02", "2026-11-02T10:00:00+01:00"]))


def plausible(field: str):
    """Values shaped like the field, good or bad, mixed with anything JSON can carry."""
    if field == "investigation_findings":
        shaped = st.dictionaries(st.sampled_from(FINDING_KINDS + ("rumours",)), st.lists(texts, max_size=3),
                                 max_size=4)
    elif field in cr.ROW_FIELDS:
        shaped = st.lists(st.one_of(row(field), st.just({}), st.just("a row")), max_size=4)
    elif field in cr.URL_FIELDS:
        shaped = links
    elif field == "presentation_type":
        shaped = st.sampled_from(PRESENTATION_TYPES + ("", "podcast", " slides "))
    else:
        shaped = texts
    return st.one_of(shaped, shaped, json_values)


@st.composite
def phase_payloads(draw):
    phase = draw(st.sampled_from(PHASES))
    names = draw(st.lists(st.one_of(st.sampled_from(PHASE_FIELDS[phase]), st.sampled_from(ALL_FIELDS), texts),
                          max_size=4, unique=True))
    return phase, {name: draw(plausible(name) if name in ALL_FIELDS else json_values) for name in names}


@st.composite
def valid_payloads(draw):
    """Well-formed input for one phase (every field optional), so the accepted path gets most of the examples."""
    phase = draw(st.sampled_from(PHASES))
    good_rows = {f: st.lists(st.one_of(good_row(f), st.just({})), max_size=3) for f in cr.ROW_FIELDS}
    good = {"investigation_findings": st.dictionaries(st.sampled_from(FINDING_KINDS), st.lists(cells, max_size=3)),
            "report_document_url": st.one_of(st.none(), good_links), "presentation_url": good_links,
            "presentation_type": st.sampled_from(PRESENTATION_TYPES + ("",))} | good_rows
    names = draw(st.lists(st.sampled_from(PHASE_FIELDS[phase]), unique=True))
    data = {name: draw(good.get(name, cells)) for name in names}
    return phase, data


def link_values(out: dict) -> list[str]:
    found = [out[f] for f in cr.URL_FIELDS if out.get(f)]
    found += [r["url"] for f in cr.ROW_FIELDS for r in out.get(f) or () if "url" in r and r["url"]]
    return found


def check_accepted(phase: str, data: dict, out: dict) -> None:
    assert set(out) == set(data) <= set(PHASE_FIELDS[phase])
    assert cr.clean_phase_data(phase, out) == out, "cleaning the cleaned values changed them"
    for url in link_values(out):
        assert url.lower().startswith(("http://", "https://", "/files/")) and cr.is_link(url), url
    # Whatever is stored can be checked for completion.
    missing = missing_fields(phase, out.get)
    assert set(missing) <= set(PHASE_FIELDS[phase]) and all(missing.values())


@settings(max_examples=150, deadline=None)
@given(phase_payloads())
def test_any_input_is_cleaned_or_refused_naming_only_fields_that_were_sent(payload):
    phase, data = payload
    try:
        out = cr.clean_phase_data(phase, data)
    except Invalid as exc:
        assert exc.status == 422 and exc.fields
        for path in exc.fields:
            assert path in data or any(path.startswith(f"{name}.") for name in ALL_FIELDS if name in data), (
                f"{path} names no field that was sent")
            assert path in exc.message
    else:
        check_accepted(phase, data, out)


@SETTINGS
@given(valid_payloads())
@example(("reporting", {"report_summary": "a\r\r\nb"}))      # was cleaned to "a\r\nb", then to "a\nb"
def test_well_formed_input_is_accepted_and_cleaning_is_a_fixed_point(payload):
    phase, data = payload
    check_accepted(phase, data, cr.clean_phase_data(phase, data))


# A row that says something but lacks what it must have (an artifact with only its type is blank, not bad: the
# form's type select always sends one; an unknown type is what an artifact row can get wrong).
MAIN_MISSING = {"investigation_artifacts": {"type": "telepathy", "description": "seen"},
                "decisions_made": {"rationale": "because"},
                "design_documents": {"description": "draft"}, "report_key_findings": {"impact": "high"}}


def bad_rows(field: str):
    """Rows that cannot be stored: not an object, an unknown column, no main column, a NUL, a bad link."""
    cols = cr.ROW_FIELDS[field]
    bad = [st.just("just text"), st.just(["a", "list"]), st.just({"colour": "red"}), st.just(MAIN_MISSING[field]),
           good_row(field).map(lambda r: r | {cols[-1]: "a\x00b"})]
    if "url" in cols:
        bad.append(good_row(field).map(lambda r: r | {"url": "javascript:alert(1)"}))
    if "decided_at" in cols:
        bad.append(good_row(field).map(lambda r: r | {"decided_at": "2026-13-45"}))
    return st.one_of(bad)


@SETTINGS
@given(st.sampled_from(sorted(cr.ROW_FIELDS)), st.data())
def test_a_bad_row_is_named_by_its_index_as_sent_blank_rows_included(field, data):
    cols = cr.ROW_FIELDS[field]
    blank = [{}, {c: "" for c in cols}, {c: " \n " for c in cols}]
    if field == "investigation_artifacts":
        blank.append({"type": "log", "url": "", "description": ""})   # the form's untouched row
    fine = st.one_of(st.sampled_from(blank), good_row(field))
    before = data.draw(st.lists(fine, max_size=4), label="before")
    after = data.draw(st.lists(fine, max_size=3), label="after")
    bad = data.draw(bad_rows(field), label="bad")
    phase = next(p for p, names in PHASE_FIELDS.items() if field in names)
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data(phase, {field: before + [bad] + after})
    prefix = f"{field}.{len(before)}"
    assert info.value.fields
    assert all(path == prefix or path.startswith(prefix + ".") for path in info.value.fields), info.value.fields


@SETTINGS
@given(st.dictionaries(st.one_of(st.sampled_from(ALL_FIELDS), texts), st.integers(), max_size=6))
def test_split_by_phase_keeps_every_field_in_its_own_phase_or_names_the_unknown_ones(data):
    unknown = {name for name in data if name not in ALL_FIELDS}
    try:
        grouped = cr.split_by_phase(data)
    except Invalid as exc:
        assert unknown and set(exc.fields) == unknown
    else:
        assert not unknown
        merged = {name: value for fields in grouped.values() for name, value in fields.items()}
        assert merged == data and sum(map(len, grouped.values())) == len(data)
        assert all(name in PHASE_FIELDS[phase] for phase, fields in grouped.items() for name in fields)
