"""The phase table (domain.phase_fields) against the model and the pieces derived from it."""
from __future__ import annotations

from webapp.domain import phase_fields as pf
from webapp.domain.phases import missing_fields
from webapp.models import CapstoneProject


def test_every_field_of_the_table_is_a_column_of_capstone_projects():
    columns = set(CapstoneProject.__table__.columns.keys())
    assert set(pf.FIELD_NAMES) <= columns
    assert {f.name for f in pf.FIELDS.values() if f.required} <= columns


def test_completed_at_names_exactly_the_models_completion_columns():
    columns = {c for c in CapstoneProject.__table__.columns.keys() if c.endswith("_completed_at")}
    assert set(pf.COMPLETED_AT_COLUMNS) == columns


def test_phase_drafts_are_quiet_for_the_review_caches_and_completions_are_not():
    assert set(pf.FIELD_NAMES) <= CapstoneProject.REVIEW_QUIET_COLUMNS
    assert not set(pf.COMPLETED_AT_COLUMNS) & CapstoneProject.REVIEW_QUIET_COLUMNS


def test_the_demo_content_names_only_fields_of_the_table_and_fills_every_required_one():
    from types import SimpleNamespace

    from webapp.services.demo import _phase_values

    mission = SimpleNamespace(subtasks=[{"title": "Triage"}], title="Mission")
    grouped = _phase_values(mission)
    assert set(grouped) == set(pf.PHASES)
    for phase, values in grouped.items():
        assert set(values) <= set(pf.PHASE_FIELDS[phase])
        assert not missing_fields(phase, values.get), phase
