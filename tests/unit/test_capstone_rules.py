"""Capstone rules beyond phase order: read-only phases, review lock, deletion, reopening, and input shape."""
from __future__ import annotations

import pytest

from webapp.domain import capstone_rules as cr
from webapp.domain.errors import Conflict, Invalid
from webapp.domain.phases import (PHASE_FIELDS, PHASES, can_delete, check_can_delete, check_can_edit,
                                  is_under_review, phase_of_field, reopen_plan)


# ---- review lock and read-only phases ------------------------------------------------------------------------

@pytest.mark.parametrize("submitted, approved, expected", [(False, False, False), (True, False, True),
                                                           (True, True, False), (False, True, False)])
def test_is_under_review_only_when_submitted_and_not_approved(submitted, approved, expected):
    assert is_under_review(submitted, approved) is expected


def test_check_can_edit_open_phase_passes():
    check_can_edit("decision_making", {"investigation"}, under_review=False)


def test_check_can_edit_completed_phase_is_409_naming_the_phase():
    with pytest.raises(Conflict) as info:
        check_can_edit("investigation", {"investigation"}, under_review=False)
    assert info.value.status == 409
    assert "Investigation" in info.value.message and "read-only" in info.value.message
    assert info.value.fields == {"investigation": "complete and read-only"}


def test_check_can_edit_under_review_is_409_even_for_an_open_phase():
    with pytest.raises(Conflict) as info:
        check_can_edit("reporting", set(), under_review=True)
    assert "under mentor review" in info.value.message


def test_check_can_edit_unknown_phase_is_invalid():
    with pytest.raises(Invalid):
        check_can_edit("nope", set(), under_review=False)


@pytest.mark.parametrize("submitted, reviewed", [(True, False), (False, True), (True, True)])
def test_check_can_delete_after_submission_or_review_is_409(submitted, reviewed):
    with pytest.raises(Conflict):
        check_can_delete(submitted, reviewed)


def test_check_can_delete_before_submission_passes():
    check_can_delete(False, False)


@pytest.mark.parametrize("submitted, reviewed, expected", [(False, False, True), (True, False, False),
                                                           (False, True, False), (True, True, False)])
def test_can_delete_answers_what_check_can_delete_enforces(submitted, reviewed, expected):
    assert can_delete(submitted, reviewed) is expected


# ---- reopening -------------------------------------------------------------------------------------------------

def test_reopen_plan_clears_the_earliest_named_phase_and_every_later_completed_phase():
    assert reopen_plan(["reporting", "decision_making"], set(PHASES)) == PHASES[1:]


def test_reopen_plan_skips_later_phases_that_are_not_complete():
    done = {"investigation", "decision_making", "design_remediation"}
    assert reopen_plan(["decision_making"], done) == ("decision_making", "design_remediation")


def test_reopen_plan_of_an_open_phase_is_409_naming_it():
    with pytest.raises(Conflict) as info:
        reopen_plan(["reporting"], {"investigation"})
    assert "Reporting" in info.value.message


def test_reopen_plan_without_phases_is_422():
    with pytest.raises(Invalid) as info:
        reopen_plan([], set(PHASES))
    assert "reopen_phases" in info.value.fields


def test_reopen_plan_unknown_phase_is_422():
    with pytest.raises(Invalid):
        reopen_plan(["overall"], set(PHASES))


@pytest.mark.parametrize("phase", PHASES)
def test_phase_of_field_names_the_phase_of_each_field(phase):
    assert all(phase_of_field(f) == phase for f in PHASE_FIELDS[phase])
    assert phase_of_field("mentor_final_score") is None


# ---- input shape -----------------------------------------------------------------------------------------------

def test_clean_phase_data_drops_blank_rows_and_trims_text():
    out = cr.clean_phase_data("decision_making", {
        "decisions_made": [{"decision": " Isolate ", "rationale": "Stop spread", "decided_at": "2026-11-02"},
                           {"decision": "", "rationale": "", "decided_at": ""}],
        "decision_analysis": "  Why  \r\n"})
    assert out == {"decisions_made": [{"decision": "Isolate", "rationale": "Stop spread", "decided_at": "2026-11-02"}],
                   "decision_analysis": "Why"}


def test_clean_phase_data_findings_keep_every_kind_and_drop_blank_entries():
    out = cr.clean_phase_data("investigation", {"investigation_findings": {"threats": ["a", " "], "timeline": ["t"]}})
    assert out["investigation_findings"] == {"threats": ["a"], "vulnerabilities": [], "timeline": ["t"], "evidence": []}


def test_clean_phase_data_malformed_row_names_the_row_and_column_as_sent():
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("investigation", {"investigation_artifacts": [
            {"type": "", "url": "", "description": ""},
            {"type": "link", "url": "javascript:alert(1)", "description": "x"}]})
    assert info.value.status == 422
    assert info.value.fields == {"investigation_artifacts.1.url": "must be an http(s) link or an uploaded file"}


@pytest.mark.parametrize("rows, field", [
    ("not a list", "investigation_artifacts"),
    (["a string row"], "investigation_artifacts.0"),
    ([{"type": "link", "url": "https://x.example", "colour": "red"}], "investigation_artifacts.0"),
    ([{"type": "telepathy", "url": "https://x.example"}], "investigation_artifacts.0.type"),
    ([{"type": "link", "url": "", "description": "", "x": None}], "investigation_artifacts.0"),
])
def test_clean_phase_data_bad_artifacts_are_422_naming_the_field(rows, field):
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("investigation", {"investigation_artifacts": rows})
    assert field in info.value.fields


def test_clean_phase_data_decision_date_must_be_a_date():
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("decision_making", {"decisions_made": [
            {"decision": "d", "rationale": "r", "decided_at": "last tuesday"}]})
    assert "decisions_made.0.decided_at" in info.value.fields


def test_clean_phase_data_row_without_its_main_column_is_422():
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("reporting", {"report_key_findings": [{"finding": "", "impact": "High"}]})
    assert "report_key_findings.0.finding" in info.value.fields


def test_clean_phase_data_field_of_another_phase_is_422():
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("reporting", {"remediation_plan": "x"})
    assert "remediation_plan" in info.value.fields


@pytest.mark.parametrize("url", ["https://slides.example/deck", "http://x.example", "/files/files/document/abc_1.pdf"])
def test_clean_phase_data_links_may_be_http_or_an_uploaded_file(url):
    assert cr.clean_phase_data("presentation", {"presentation_url": url})["presentation_url"] == url


@pytest.mark.parametrize("url", ["ftp://x.example", "data:text/html,hi", "slides", "/etc/passwd"])
def test_clean_phase_data_other_links_are_422(url):
    with pytest.raises(Invalid):
        cr.clean_phase_data("presentation", {"presentation_url": url})


def test_clean_phase_data_presentation_type_must_be_known_and_blank_means_none():
    assert cr.clean_phase_data("presentation", {"presentation_type": ""})["presentation_type"] is None
    with pytest.raises(Invalid):
        cr.clean_phase_data("presentation", {"presentation_type": "podcast"})


def test_clean_phase_data_text_with_nul_or_too_long_is_422():
    with pytest.raises(Invalid) as info:
        cr.clean_phase_data("reporting", {"report_summary": "a\x00b"})
    assert "report_summary" in info.value.fields
    with pytest.raises(Invalid):
        cr.clean_phase_data("reporting", {"report_summary": "x" * (cr.MAX_TEXT + 1)})


def test_clean_phase_data_too_many_rows_is_422():
    with pytest.raises(Invalid):
        cr.clean_phase_data("reporting", {"report_key_findings": [{"finding": "f"}] * (cr.MAX_ROWS + 1)})


def test_split_by_phase_groups_fields_and_refuses_unknown_ones():
    assert cr.split_by_phase({"report_summary": "s", "remediation_plan": "p"}) == {
        "reporting": {"report_summary": "s"}, "design_remediation": {"remediation_plan": "p"}}
    with pytest.raises(Invalid) as info:
        cr.split_by_phase({"mentor_approved": True})
    assert "mentor_approved" in info.value.fields


def test_check_file_field_maps_each_upload_field_to_its_phase():
    assert cr.check_file_field("presentation") == ("presentation", "presentation_url", ("document", "video"))
    with pytest.raises(Invalid):
        cr.check_file_field("decisions_made")


def test_an_artifact_row_with_only_its_default_type_is_blank_and_dropped():
    clean = cr.clean_phase_data("investigation", {
        "investigation_findings": {"threats": ["Phishing kit"]},
        "investigation_artifacts": [{"type": "link", "url": "", "description": ""},
                                    {"type": "log", "url": "", "description": "auth.log excerpt"}]})
    assert clean["investigation_artifacts"] == [{"type": "log", "url": "", "description": "auth.log excerpt"}]


def test_missing_when_completing_reads_typed_values_over_stored_ones_even_when_some_do_not_clean():
    stored = {"report_summary": "Contained overnight.", "report_key_findings": []}
    missing = cr.missing_when_completing("reporting", {"report_document_url": "not a link", "report_summary": ""},
                                         stored)
    assert missing == {"report_summary": "Write the report summary.",
                       "report_key_findings": "Record at least one key finding."}
    assert cr.missing_when_completing("reporting", {"report_key_findings": [
        {"finding": "Shared admin password", "impact": "", "recommendation": ""}]}, stored) == {}
