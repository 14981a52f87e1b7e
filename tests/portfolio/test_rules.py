"""The portfolio rules in domain.portfolio: plain functions, no database needed."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from webapp.domain import portfolio as rules
from webapp.domain.errors import Conflict, Invalid
from webapp.domain.policies import ANONYMOUS, Actor
from webapp.services import access


def test_tracks_mastered_needs_an_approved_capstone_on_a_mastery_mission():
    facts = [("grc", "mastery", True), ("defender", "advanced", True), ("offensive", "mastery", False),
             ("grc", "mastery", True), ("leadership", "mastery", True)]
    assert rules.tracks_mastered(facts) == ["grc", "leadership"]
    assert rules.tracks_mastered([]) == []


@pytest.mark.parametrize("status, changed, expected", [
    ("approved", True, "draft"), ("submitted", True, "draft"), ("draft", True, "draft"),
    ("changes_requested", True, "changes_requested"), ("approved", False, "approved")])
def test_status_after_edit(status, changed, expected):
    assert rules.status_after_edit(status, changed) == expected


def test_review_rules():
    assert rules.check_can_review("submitted", "approve", "") == "approved"
    assert rules.check_can_review("submitted", "request_changes", "Fix it") == "changes_requested"
    with pytest.raises(Invalid):
        rules.check_can_review("submitted", "request_changes", " ")
    with pytest.raises(Invalid):
        rules.check_can_review("submitted", "publish", "")
    with pytest.raises(Conflict):
        rules.check_can_review("approved", "approve", "")
    with pytest.raises(Conflict):
        rules.check_can_submit("submitted")
    rules.check_can_submit("changes_requested")


def test_who_may_review_edit_and_delete():
    # Who reviews an item is services.access's rule (tests/unit/test_access.py); edit and delete stay here.
    mentor = Actor(id=2, role="mentor", assignments=frozenset({(1, None)}))
    admin = Actor(id=4, role="admin")
    owner = Actor(id=1, role="learner")
    item = access.Work(1, None)
    assert access.may_act(mentor, item) and access.may_act(admin, item)
    assert not access.may_act(owner, item) and not access.may_act(ANONYMOUS, item)
    assert rules.can_edit_item(owner, 1) and not rules.can_edit_item(admin, 1) and not rules.can_edit_item(mentor, 1)
    assert rules.can_delete_item(admin, 1) and not rules.can_delete_item(mentor, 1)


def test_clean_tags_trims_dedupes_and_limits():
    assert rules.clean_tags(" Log  analysis, log analysis ,, Python ") == ["Log analysis", "Python"]
    assert rules.clean_tags(["a", "A", "b"]) == ["a", "b"]
    with pytest.raises(Invalid):
        rules.clean_tags(["x" * 41])
    with pytest.raises(Invalid):
        rules.clean_tags([f"t{i}" for i in range(21)])


def test_check_choice_names_the_allowed_values():
    with pytest.raises(Invalid) as err:
        rules.check_choice("visibility", "secret", rules.VISIBILITIES)
    assert "private, unlisted, public" in err.value.message and "visibility" in err.value.fields


def test_backed_skills_and_grouping():
    items = [SimpleNamespace(item_type="writeup", skill_tags=["Python", "Forensics"]),
             SimpleNamespace(item_type="capstone_result", skill_tags=["python"]),
             SimpleNamespace(item_type="writeup", skill_tags=[])]
    assert rules.backed_skills(items) == ["Python", "Forensics"]
    assert [t for t, _ in rules.group_by_type(items)] == ["capstone_result", "writeup"]


def test_rubric_chart_rows():
    rubric = [{"id": "c", "criterion": "Containment", "weight": 3,
               "levels": [{"score": s, "label": f"L{s}"} for s in (1, 2, 3, 4)]},
              {"id": "a", "criterion": "Analysis", "weight": 1, "levels": [{"score": 1, "label": "x"}]}]
    rows = rules.rubric_chart(rubric, {"c": 3})
    assert rows[0] | {} == {"id": "c", "criterion": "Containment", "weight": 3, "score": 3, "best": 4, "label": "L3",
                            "fraction": 0.75}
    assert rows[1]["score"] is None and rows[1]["fraction"] == 0.0


def test_only_an_approved_capstone_backs_a_capstone_result():
    rules.check_capstone_backing("writeup", None)
    rules.check_capstone_backing("writeup", False)
    rules.check_capstone_backing("capstone_result", True)
    for approved in (None, False):
        with pytest.raises(Invalid) as exc:
            rules.check_capstone_backing("capstone_result", approved)
        assert list(exc.value.fields) == ["capstone_id"]


def _study(**capstone):
    return rules.make_case_study(
        capstone_id=7, mission={"slug": "m", "title": "M", "track": "defender", "tier": "mastery", "summary": "S",
                                "scenario": "never kept"},
        capstone=capstone, approved=True, score="87.50", reviewed_at="2026-12-01T10:00:00+00:00", chart=[],
        verdict="Good.", mentor="Max", taken_at="2026-12-02T10:00:00+00:00",
        files={"report_document": {"key": "files/document/k1", "filename": "r.pdf", "content_type": "application/pdf",
                                   "size": 3}, "design_documents": {"key": "files/document/k2"}})


def test_case_study_keeps_the_capstone_fields_and_only_report_and_presentation_files():
    study = _study(report_summary="Done.", presentation_url="https://example.org/t", secret_column="x")
    assert "scenario" not in study["mission"] and "secret_column" not in study["capstone"]
    assert study["capstone"]["report_summary"] == "Done." and set(study["capstone"]) == set(rules.CASE_STUDY_FIELDS)
    assert rules.case_study_file_keys(study) == {"files/document/k1"}
    assert rules.case_study_file_keys(None) == set()


def test_case_study_view_offers_stored_files_and_http_links_only():
    view = rules.case_study_view(_study(presentation_url="javascript:alert(1)", presentation_type="video"),
                                 snapshot=True)
    assert view["report"]["file"]["key"] == "files/document/k1" and view["presentation"] is None
    assert view["reviewed_at"].year == 2026 and view["score"] == "87.50" and view["snapshot"]
    view = rules.case_study_view(_study(presentation_url="https://example.org/t"), snapshot=False)
    assert view["presentation"] == {"file": None, "url": "https://example.org/t"} and not view["snapshot"]
    assert rules.case_study_view(None, snapshot=True) is None


@pytest.mark.parametrize("status", rules.STATUSES)
def test_the_buttons_predicates_answer_what_the_checks_enforce(status):
    """The item page offers Submit and the review form by can_submit / awaits_review: the same answers as the
    checks the services run, for every status."""
    try:
        rules.check_can_submit(status)
        submittable = True
    except Conflict:
        submittable = False
    assert rules.can_submit(status) is submittable
    try:
        rules.check_can_review(status, "approve", "")
        reviewable = True
    except Conflict:
        reviewable = False
    assert rules.awaits_review(status) is reviewable
