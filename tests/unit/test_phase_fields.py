"""The table of capstone phase fields (domain.phase_fields, SPEC §4) and what is derived from it."""
from __future__ import annotations

import pytest

from webapp.domain import capstone_rules as cr
from webapp.domain import phase_fields as pf
from webapp.domain.phases import PHASE_FIELDS, PHASES, completed_at, missing_fields

# The SPEC's phases and their fields (SPEC §4): every name is kept.
SPEC_FIELDS = {
    "investigation": {"investigation_findings", "investigation_artifacts"},
    "decision_making": {"decisions_made", "decision_analysis"},
    "design_remediation": {"design_documents", "remediation_plan"},
    "reporting": {"report_document_url", "report_summary", "report_key_findings"},
    "presentation": {"presentation_url", "presentation_type", "presentation_notes"},
}
FIELD_KINDS = {"lists", "rows", "markdown", "url", "choice"}
COLUMN_KINDS = {"text", "long", "url", "date", "choice"}


def test_the_phases_are_the_specs_in_order_and_each_has_its_fields():
    assert PHASES == ("investigation", "decision_making", "design_remediation", "reporting", "presentation")
    assert {p: set(names) for p, names in PHASE_FIELDS.items()} == SPEC_FIELDS
    assert all(phase.fields and phase.label and phase.help for phase in pf.TABLE)


def test_every_field_has_a_kind_a_label_a_noun_and_a_unique_name():
    names = [f.name for phase in pf.TABLE for f in phase.fields]
    assert len(names) == len(set(names)) == len(pf.FIELDS)
    for f in pf.FIELDS.values():
        assert f.kind in FIELD_KINDS and f.label and f.noun, f
        assert bool(f.columns) == (f.kind == "rows") and bool(f.lists) == (f.kind == "lists"), f
        assert bool(f.choices) == (f.kind == "choice"), f


@pytest.mark.parametrize("name", sorted(pf.ROW_FIELDS))
def test_row_columns_have_a_known_kind_a_label_and_completion_names_real_columns(name):
    field = pf.FIELDS[name]
    assert all(c.kind in COLUMN_KINDS and c.label for c in field.columns)
    assert all(bool(c.choices) == (c.kind == "choice") for c in field.columns)
    assert set(field.complete_with) <= set(field.column_names)
    assert not field.required or field.complete_with, "a required row field names the columns that count"


def test_required_fields_are_the_ones_the_spec_asks_for_completion():
    required = {f.name for f in pf.FIELDS.values() if f.required}
    assert required == {"investigation_findings", "decisions_made", "decision_analysis", "remediation_plan",
                        "report_summary", "report_key_findings", "presentation_url", "presentation_type"}


@pytest.mark.parametrize("phase", PHASES)
def test_an_empty_phase_misses_exactly_its_required_fields_with_the_tables_messages(phase):
    missing = missing_fields(phase, lambda name: None)
    assert missing == {f.name: f.required for f in pf.SPECS[phase].fields if f.required}


def test_a_row_counts_towards_completion_only_with_its_complete_with_columns():
    get = {"decisions_made": [{"decision": "Isolate", "rationale": " "}], "decision_analysis": "x"}.get
    assert set(missing_fields("decision_making", get)) == {"decisions_made"}
    get = {"decisions_made": [{"decision": "Isolate", "rationale": "Spread"}], "decision_analysis": "x"}.get
    assert missing_fields("decision_making", get) == {}


def test_completed_at_names_the_column_of_each_phase_and_refuses_other_words():
    assert [completed_at(p) for p in PHASES] == [f"{p}_completed_at" for p in PHASES] == list(pf.COMPLETED_AT_COLUMNS)
    with pytest.raises(KeyError):
        completed_at("overall")


def test_uploads_are_derived_from_the_fields_that_take_files():
    assert cr.FILE_FIELDS == {
        "investigation_artifacts": ("investigation", "investigation_artifacts", ("evidence",)),
        "design_documents": ("design_remediation", "design_documents", ("document",)),
        "report_document": ("reporting", "report_document_url", ("document",)),
        "presentation": ("presentation", "presentation_url", ("document", "video")),
    }
    assert {p: pf.upload_of_phase(p).name if pf.upload_of_phase(p) else None for p in PHASES} == {
        "investigation": "investigation_artifacts", "decision_making": None, "design_remediation": "design_documents",
        "reporting": "report_document", "presentation": "presentation"}


# ---- the declared row shapes come from the row columns ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(pf.ROW_FIELDS))
def test_a_row_with_only_its_columns_cleans_and_an_unknown_column_names_the_row(name):
    field = pf.FIELDS[name]
    row = {c.name: (c.choices[0] if c.choices else "https://x.example" if c.kind == "url"
                    else "2026-11-02" if c.kind == "date" else "text") for c in field.columns}
    phase = pf.PHASE_OF_FIELD[name]
    assert cr.clean_phase_data(phase, {name: [row]})[name] == [row]
    with pytest.raises(cr.Invalid) as info:
        cr.clean_phase_data(phase, {name: [row, row | {"colour": "red"}]})
    assert info.value.fields == {f"{name}.1": f"unknown column colour; columns are {', '.join(field.column_names)}"}


@pytest.mark.parametrize("name", sorted(n for n in pf.ROW_FIELDS if any(c.required for c in pf.FIELDS[n].columns)))
def test_a_row_lacking_a_required_column_is_named_with_the_tables_message(name):
    field = pf.FIELDS[name]
    required = [c for c in field.columns if c.required]
    filler = next(c for c in field.columns if not c.required and c.kind in ("text", "long"))
    with pytest.raises(cr.Invalid) as info:
        cr.clean_phase_data(pf.PHASE_OF_FIELD[name], {name: [{}, {filler.name: "something"}]})
    assert info.value.fields == {f"{name}.1.{c.name}": c.required for c in required}


def test_a_bad_cell_is_named_by_row_and_column_and_too_many_rows_name_the_field():
    with pytest.raises(cr.Invalid) as info:
        cr.clean_phase_data("investigation", {"investigation_artifacts": [
            {"type": "log", "url": "https://ok.example", "description": "fine"},
            {"type": "link", "url": "https://ok.example", "description": "fine"},
            {"type": "link", "url": "", "description": 7}]})
    assert info.value.fields == {"investigation_artifacts.2.description": "must be text"}
    with pytest.raises(cr.Invalid) as info:
        cr.clean_phase_data("investigation", {"investigation_artifacts": [{}] * (pf.MAX_ROWS + 1)})
    assert info.value.fields == {"investigation_artifacts": f"at most {pf.MAX_ROWS} rows"}
