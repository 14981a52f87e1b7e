"""domain.phases: capstone phase order, what completes each phase, reopening and progress (SPEC §4)."""
from __future__ import annotations

import pytest

from webapp.domain.errors import Conflict, Invalid
from webapp.domain.phases import (PHASES, MissingFields, PhaseOrderError, check_can_complete, current_phase,
                                  missing_fields, phases_to_clear, progress_percent)

# Values that complete each phase, and values that leave each required field missing.
COMPLETE = {
    "investigation": {"investigation_findings": {"threats": ["Ransomware operator"], "vulnerabilities": []},
                      "investigation_artifacts": []},
    "decision_making": {"decisions_made": [{"decision": "Isolate FS-01", "rationale": "Stop the spread",
                                            "decided_at": "2026-01-01T10:00:00Z"}],
                        "decision_analysis": "Containment beat availability."},
    "design_remediation": {"design_documents": [], "remediation_plan": "Segment the file servers."},
    "reporting": {"report_document_url": None, "report_summary": "Contained within 2 hours.",
                  "report_key_findings": [{"finding": "No EDR on FS-01", "impact": "High",
                                           "recommendation": "Deploy EDR"}]},
    "presentation": {"presentation_url": "https://example.org/deck", "presentation_type": "slides",
                     "presentation_notes": ""},
}
EMPTY = {
    "investigation": ({"investigation_findings": {}, "investigation_artifacts": []}, {"investigation_findings"}),
    "decision_making": ({"decisions_made": [], "decision_analysis": ""}, {"decisions_made", "decision_analysis"}),
    "design_remediation": ({"design_documents": [], "remediation_plan": ""}, {"remediation_plan"}),
    "reporting": ({"report_summary": "", "report_key_findings": []}, {"report_summary", "report_key_findings"}),
    "presentation": ({"presentation_url": None, "presentation_type": None},
                     {"presentation_url", "presentation_type"}),
}


def getter(values: dict):
    return values.get


# ---- current_phase -----------------------------------------------------------------------------------------

def test_current_phase_nothing_done_is_investigation():
    assert current_phase(set(), approved=False) == "investigation"


@pytest.mark.parametrize("n", range(len(PHASES)))
def test_current_phase_after_n_phases_is_next_phase(n):
    assert current_phase(set(PHASES[:n]), approved=False) == PHASES[n]


def test_current_phase_with_gap_is_first_incomplete_phase():
    assert current_phase({"investigation", "design_remediation", "reporting"}, approved=False) == "decision_making"


def test_current_phase_all_done_not_approved_is_mentor_review():
    assert current_phase(set(PHASES), approved=False) == "mentor_review"


def test_current_phase_all_done_and_approved_is_completed():
    assert current_phase(set(PHASES), approved=True) == "completed"


def test_current_phase_reopened_after_approval_is_the_reopened_phase():
    assert current_phase(set(PHASES) - {"reporting", "presentation"}, approved=True) == "reporting"


# ---- check_can_complete: order -----------------------------------------------------------------------------

def test_check_can_complete_out_of_order_is_409_naming_first_open_phase():
    with pytest.raises(PhaseOrderError) as info:
        check_can_complete("reporting", {"investigation"}, {})
    exc = info.value
    assert exc.status == 409
    assert exc.must_come_first == "decision_making"
    assert exc.fields == {"phase": "decision_making"}
    assert "Decision making" in exc.message and "Reporting" in exc.message


def test_check_can_complete_out_of_order_wins_over_missing_fields():
    with pytest.raises(PhaseOrderError):
        check_can_complete("presentation", set(), {"presentation_url": "missing"})


@pytest.mark.parametrize("i", range(len(PHASES)))
def test_check_can_complete_in_order_with_fields_passes(i):
    phase = PHASES[i]
    assert missing_fields(phase, getter(COMPLETE[phase])) == {}
    check_can_complete(phase, set(PHASES[:i]), {})


def test_check_can_complete_already_complete_is_conflict():
    with pytest.raises(Conflict) as info:
        check_can_complete("investigation", {"investigation"}, {})
    assert not isinstance(info.value, PhaseOrderError)
    assert info.value.status == 409
    assert "already complete" in info.value.message


def test_check_can_complete_unknown_phase_is_invalid():
    with pytest.raises(Invalid) as info:
        check_can_complete("mentor_review", set(PHASES), {})
    assert "mentor_review" in info.value.message


# ---- missing fields ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("i", range(len(PHASES)))
def test_check_can_complete_missing_fields_is_422_naming_each_field(i):
    phase = PHASES[i]
    values, expected = EMPTY[phase]
    missing = missing_fields(phase, getter(values))
    assert set(missing) == expected
    with pytest.raises(MissingFields) as info:
        check_can_complete(phase, set(PHASES[:i]), missing)
    exc = info.value
    assert exc.status == 422
    assert set(exc.fields) == expected
    assert all(exc.fields[name] for name in expected)
    for name in expected:
        assert name in exc.message


def test_missing_fields_absent_values_count_as_missing():
    for phase, (_, expected) in EMPTY.items():
        assert set(missing_fields(phase, getter({}))) == expected


def test_missing_fields_investigation_findings_as_list_are_counted():
    assert missing_fields("investigation", getter({"investigation_findings": ["Beacon to 203.0.113.5"]})) == {}


def test_missing_fields_investigation_with_only_empty_kinds_is_missing():
    findings = {"threats": [], "vulnerabilities": [], "timeline": [], "evidence": []}
    assert set(missing_fields("investigation", getter({"investigation_findings": findings}))) == {
        "investigation_findings"}


def test_missing_fields_decision_without_rationale_is_missing():
    values = {"decisions_made": [{"decision": "Isolate", "rationale": "  "}], "decision_analysis": "Done."}
    assert set(missing_fields("decision_making", getter(values))) == {"decisions_made"}


def test_missing_fields_blank_text_counts_as_missing():
    assert set(missing_fields("design_remediation", getter({"remediation_plan": "  \n "}))) == {"remediation_plan"}
    values = {**COMPLETE["decision_making"], "decision_analysis": "   "}
    assert set(missing_fields("decision_making", getter(values))) == {"decision_analysis"}


def test_missing_fields_key_finding_without_finding_text_is_missing():
    values = {"report_summary": "Summary", "report_key_findings": [{"finding": "", "impact": "High"}]}
    assert set(missing_fields("reporting", getter(values))) == {"report_key_findings"}


def test_missing_fields_unknown_presentation_type_is_missing():
    values = {"presentation_url": "https://example.org/talk", "presentation_type": "podcast"}
    missing = missing_fields("presentation", getter(values))
    assert set(missing) == {"presentation_type"}
    assert "slides" in missing["presentation_type"]


# ---- reopening and progress --------------------------------------------------------------------------------

def test_phases_to_clear_reopened_phase_clears_it_and_later_phases():
    assert phases_to_clear("design_remediation") == ("design_remediation", "reporting", "presentation")
    assert phases_to_clear("investigation") == PHASES
    assert phases_to_clear("presentation") == ("presentation",)


def test_phases_to_clear_unknown_phase_is_invalid():
    with pytest.raises(Invalid):
        phases_to_clear("overall")


@pytest.mark.parametrize(("done", "percent"), [
    (set(), 0), ({"investigation"}, 20), (set(PHASES[:3]), 60), (set(PHASES), 100),
    ({"presentation"}, 20), ({"investigation", "mentor_review"}, 20),
])
def test_progress_percent_counts_completed_phases(done, percent):
    assert progress_percent(done) == percent
