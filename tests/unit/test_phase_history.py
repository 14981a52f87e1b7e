"""The phase history's diff rule (domain.phase_history): field by field, unchanged / changed / added / removed,
a line diff for text and item-level changes for lists, from the phase field table."""
from __future__ import annotations

from webapp.domain import phase_history as h
from webapp.domain.phase_fields import FIELDS

INVESTIGATION = {
    "investigation_findings": {"threats": ["Ransomware operator"], "timeline": ["02:14 alert", "02:30 isolate"]},
    "investigation_artifacts": [{"type": "link", "url": "https://evidence.example/t", "description": "Timeline"},
                                {"type": "file", "url": "/files/files/evidence/abc123", "description": "capture.pcap"}],
}


def _field(diff, name):
    return next(f for f in diff.fields if f.name == name)


def test_identical_versions_are_unchanged_field_by_field():
    diff = h.diff_phase("investigation", INVESTIGATION, INVESTIGATION)
    assert not diff.changed
    assert [f.status for f in diff.fields] == ["unchanged", "unchanged"]
    assert [f.name for f in diff.fields] == ["investigation_findings", "investigation_artifacts"]


def test_empty_shapes_count_as_the_same_empty_value():
    diff = h.diff_phase("reporting", {"report_summary": "", "report_key_findings": [], "report_document_url": None},
                        {"report_summary": None, "report_key_findings": None, "report_document_url": ""})
    assert not diff.changed


def test_a_finding_edited_in_place_is_one_changed_item_with_both_texts():
    now = {**INVESTIGATION, "investigation_findings": {"threats": ["Ransomware operator (LockBit)"],
                                                       "timeline": ["02:14 alert", "02:30 isolate"]}}
    field = _field(h.diff_phase("investigation", INVESTIGATION, now), "investigation_findings")
    assert field.status == "changed"
    assert [(i.status, i.group, i.before, i.after) for i in field.items] == [
        ("changed", "Threats", "Ransomware operator", "Ransomware operator (LockBit)")]


def test_findings_added_and_removed_per_list():
    now = {**INVESTIGATION, "investigation_findings": {"threats": ["Ransomware operator"], "timeline": ["02:14 alert"],
                                                       "evidence": ["EDR export"]}}
    items = _field(h.diff_phase("investigation", INVESTIGATION, now), "investigation_findings").items
    assert {(i.status, i.group, i.label) for i in items} == {("removed", "Timeline", "02:30 isolate"),
                                                             ("added", "Evidence", "EDR export")}


def test_rows_are_compared_by_row_and_a_changed_row_names_its_changed_columns():
    now = {**INVESTIGATION, "investigation_artifacts": [
        {"type": "link", "url": "https://evidence.example/t", "description": "Timeline of the night"},
        {"type": "file", "url": "/files/files/evidence/abc123", "description": "capture.pcap"}]}
    items = _field(h.diff_phase("investigation", INVESTIGATION, now), "investigation_artifacts").items
    assert len(items) == 1
    assert items[0].status == "changed"
    assert items[0].cells == (("Description", "Timeline", "Timeline of the night"),)


def test_files_read_by_name_and_a_removed_file_row_is_removed():
    now = {**INVESTIGATION, "investigation_artifacts": INVESTIGATION["investigation_artifacts"][:1]
           + [{"type": "file", "url": "/files/files/evidence/new999", "description": "capture-2.pcap"}]}
    field = _field(h.diff_phase("investigation", INVESTIGATION, now, {"files/evidence/abc123": "capture.pcap"},
                                {"files/evidence/new999": "capture-2.pcap"}), "investigation_artifacts")
    (item,) = field.items
    assert item.status == "changed"
    assert ("Link", "capture.pcap (uploaded file)", "capture-2.pcap (uploaded file)") in item.cells
    gone = {**INVESTIGATION, "investigation_artifacts": INVESTIGATION["investigation_artifacts"][:1]}
    (item,) = _field(h.diff_phase("investigation", INVESTIGATION, gone, {"files/evidence/abc123": "capture.pcap"}),
                     "investigation_artifacts").items
    assert (item.status, item.label) == ("removed", "capture.pcap (uploaded file)")


def test_text_gets_a_line_diff_keeping_unchanged_lines():
    lines = h.text_lines("1. Reset passwords\n2. Segment\n3. Monitor",
                         "1. Reset passwords\n2. Segment the VLANs\n3. Monitor")
    assert [(line.op, line.text) for line in lines] == [
        ("same", "1. Reset passwords"), ("del", "2. Segment"), ("ins", "2. Segment the VLANs"), ("same", "3. Monitor")]
    assert [line.label for line in lines] == ["", "Removed:", "Added:", ""]


def test_a_field_empty_before_is_added_and_one_emptied_is_removed():
    diff = h.diff_phase("design_remediation", {"design_documents": [], "remediation_plan": "Patch."},
                        {"design_documents": [{"title": "Segmentation", "url": "", "description": ""}],
                         "remediation_plan": ""})
    docs, plan = diff.fields
    assert (docs.status, [i.status for i in docs.items], docs.items[0].label) == ("added", ["added"], "Segmentation")
    assert plan.status == "removed"
    assert [(line.op, line.text) for line in plan.lines] == [("del", "Patch.")]


def test_one_value_fields_show_before_and_after_with_uploads_by_name():
    diff = h.diff_phase("presentation",
                        {"presentation_url": "/files/files/document/k1", "presentation_type": "slides",
                         "presentation_notes": ""},
                        {"presentation_url": "https://slides.example/v2", "presentation_type": "video",
                         "presentation_notes": ""}, {"files/document/k1": "deck.pdf"}, {})
    url, kind, notes = diff.fields
    assert (url.status, url.before, url.after) == ("changed", "deck.pdf (uploaded file)", "https://slides.example/v2")
    assert (kind.before, kind.after) == ("slides", "video")
    assert notes.status == "unchanged"
    assert [f.label for f in diff.changed_fields] == ["Presentation", "Presentation type"]


def test_kept_values_are_a_copy_of_the_phase_fields_only():
    source = {name: None for name in FIELDS} | {"investigation_findings": {"threats": ["A"]},
                                                 "investigation_artifacts": []}
    kept = h.kept_values("investigation", source.get)
    assert set(kept) == {"investigation_findings", "investigation_artifacts"}
    source["investigation_findings"]["threats"].append("B")
    assert kept["investigation_findings"] == {"threats": ["A"]}


def test_file_name_reads_site_download_links_only():
    files = {"files/document/abc": "deck.pdf"}
    assert h.file_name("/files/files/document/abc", files) == "deck.pdf"
    assert h.file_name("/app/files/files/document/abc", files) == "deck.pdf"
    assert h.file_name("https://example.org/files/files/document/abc", files) is None
    assert h.file_name("/files/files/document/other", files) is None
    assert h.file_name(None, files) is None
