"""The workspace pages: full page vs fragment, plain posts and htmx, errors beside fields, read-only states."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from sqlalchemy import func, select

from tests.capstones.helpers import FORM, VALUES, activities, capstone_for, reload, snapshot, world
from tests.conftest import hx
from tests.factories import make_capstone, make_completed_attempt, make_mission, make_review, make_user
from tests.media_samples import sample
from tests.web.helpers import field_error, flashes, location, text
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, StoredFile


def _post(client, cap, phase, action="save", version=None, headers=None, **extra):
    data = {**FORM[phase], **extra, "action": action, "version": str(version or reload(cap.id).version_id)}
    return client.post(f"/capstones/{cap.id}/phases/{phase}", data=data, headers=headers or {})


def _only_root(html: str, root_id: str) -> bool:
    return "<html" not in html and re.search(rf'^\s*<\w+ id="{root_id}"', html) is not None


# ---- start from the mission page -----------------------------------------------------------------------------

def test_mission_page_offers_start_capstone_once_the_mission_is_completed(client, login_as):
    learner = login_as("learner")
    mission = make_mission()
    page = text(client.get(f"/missions/{mission.slug}"))
    assert "Start capstone" not in page and "The capstone opens once you complete this mission" in page
    attempt = make_completed_attempt(learner, mission)
    page = text(client.get(f"/missions/{mission.slug}"))
    assert "Start capstone" in page and f'name="mission" value="{mission.slug}"' in page
    assert f'href="/attempts/{attempt.id}">your latest completed attempt' in page


def test_mission_page_of_a_lower_tier_mission_offers_no_capstone(client, login_as):
    login_as("learner")
    mission = make_mission(tier="intermediate")
    assert "Start capstone" not in text(client.get(f"/missions/{mission.slug}"))


def test_mission_page_links_to_the_existing_capstone(client, login_as):
    learner = login_as("learner")
    mission = make_mission()
    cap = capstone_for(learner, mission)
    page = text(client.get(f"/missions/{mission.slug}"))
    assert "Open your capstone" in page and f'href="/capstones/{cap.id}"' in page and "Start capstone" not in page


def test_start_capstone_redirects_to_the_workspace_and_twice_opens_the_same(client, login_as):
    learner = login_as("learner")
    mission = make_mission()
    make_completed_attempt(learner, mission)
    first = client.post("/capstones", data={"mission": mission.slug})
    second = client.post("/capstones", data={"mission": mission.slug})
    cap = db.session.scalar(select(CapstoneProject))
    assert first.status_code == second.status_code == 303
    assert location(first) == location(second) == f"/capstones/{cap.id}"
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 1
    assert "You already have a capstone" in " ".join(flashes(text(client.get(location(second)))))


def test_start_capstone_for_a_lower_tier_mission_is_422_and_creates_nothing(client, login_as):
    login_as("learner")
    mission = make_mission(tier="beginner")
    resp = client.post("/capstones", data={"mission": mission.slug})
    assert resp.status_code == 422 and "mastery" in text(resp)
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


def test_start_capstone_without_csrf_is_400(raw_client, app):
    from tests.conftest import log_in

    user = make_user("learner")
    log_in(raw_client, user)
    mission = make_mission()
    make_completed_attempt(user, mission)
    resp = raw_client.post("/capstones", data={"mission": mission.slug})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 0


# ---- the workspace page ----------------------------------------------------------------------------------------

def test_workspace_shows_stepper_progress_current_phase_form_and_history(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    page = text(client.get(f"/capstones/{cap.id}"))
    assert re.search(r'<li class="step step-current[^"]*" aria-current="step">\s*<a[^>]*>\s*<span[^>]*>2</span>\s*'
                     r'<span class="step-label">Decision making', page)
    assert page.count("step-done") == 1
    assert 'value="20"' in page and "1 of 5 phases complete (20%)" in page
    assert '<h2 id="phase-h">2. Decision making</h2>' in page
    assert 'id="decisions_made-0-decision"' in page and 'id="decision_analysis"' in page
    assert 'id="capstone-history"' in page


def test_workspace_fragment_vs_page(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    full = client.get(f"/capstones/{cap.id}")
    assert "<html" in text(full)
    frag = client.get(f"/capstones/{cap.id}?phase=investigation", headers=hx("capstone-phase-form"))
    assert frag.status_code == 200 and _only_root(text(frag), "capstone-phase-form")
    assert "HX-Request" in frag.headers["Vary"]


def test_completed_phase_shows_read_only(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    page = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    assert "complete and read-only" in page and 'id="phase-form"' not in page
    assert "Ransomware operator" in page


def test_later_open_phase_takes_a_draft_but_completes_only_in_order(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    page = text(client.get(f"/capstones/{cap.id}?phase=reporting"))
    assert '<span class="badge">Not started</span>' in page and 'id="phase-form"' in page
    assert _post(client, cap, "reporting").status_code == 303
    assert reload(cap.id).report_summary == "Contained overnight."


def test_under_review_capstone_is_read_only_with_a_status_banner(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES, submitted_at=db.func.now())
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "In mentor review." in page and 'id="phase-form"' not in page
    assert "Delete capstone" not in page
    assert re.search(r'step-review step-current" aria-current="step"', page)


def test_approved_capstone_shows_the_final_score_and_approval(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES, submitted_at=db.func.now(), mentor_approved=True,
                       mentor_final_score=Decimal("87.50"), mentor_reviewed_at=db.func.now())
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "Approved by your mentor" in page and "Final score: <strong>88</strong>" in page


def test_unknown_capstone_is_404(client, login_as):
    login_as("learner")
    assert client.get("/capstones/999").status_code == 404


# ---- saving and completing: plain posts ------------------------------------------------------------------------

def test_save_draft_without_js_redirects_back_to_the_phase_with_a_flash(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = _post(client, cap, "investigation")
    assert resp.status_code == 303 and location(resp) == f"/capstones/{cap.id}?phase=investigation"
    assert reload(cap.id).investigation_findings["threats"] == ["Ransomware operator"]
    assert "Draft of Investigation saved." in flashes(text(client.get(location(resp))))


def test_complete_phase_without_js_opens_the_next_phase(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = _post(client, cap, "investigation", action="complete")
    assert resp.status_code == 303 and location(resp) == f"/capstones/{cap.id}"
    page = text(client.get(location(resp)))
    assert "Investigation complete. Next: Decision making." in flashes(page)
    assert '<h2 id="phase-h">2. Decision making</h2>' in page


def test_complete_with_missing_fields_is_422_with_errors_beside_fields_and_typed_text_kept(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    before = snapshot()
    resp = client.post(f"/capstones/{cap.id}/phases/decision_making", data={
        "action": "complete", "version": "1", "decisions_made-decision": ["Isolate"],
        "decisions_made-rationale": [""], "decisions_made-decided_at": [""], "decision_analysis": ""})
    page = text(resp)
    assert resp.status_code == 422 and "<html" in page
    assert field_error(page, "decisions_made") == "Record at least one decision with its rationale."
    assert field_error(page, "decision_analysis") == "Write the decision analysis."
    assert 'value="Isolate"' in page
    assert "cannot be completed yet" in page and "Nothing was saved" in page
    assert snapshot() == before      # not even the typed decision: save and complete is one transaction


def test_malformed_row_is_422_beside_the_cell_and_nothing_saved(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    before = snapshot()
    resp = _post(client, cap, "investigation", **{"investigation_artifacts-url": ["javascript:alert(1)"],
                                                  "investigation_findings-evidence": ["kept text"]})
    page = text(resp)
    assert resp.status_code == 422
    assert field_error(page, "investigation_artifacts-0-url") == "must be an http(s) link or an uploaded file"
    assert '>kept text</textarea>' in page and "Nothing was saved" in page
    assert snapshot() == before


def test_stale_form_from_a_second_tab_is_409_keeping_the_typed_text(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    assert _post(client, cap, "investigation", version=1).status_code == 303
    before = snapshot()
    resp = _post(client, cap, "investigation", version=1, **{"investigation_findings-threats": ["second tab text"]})
    page = text(resp)
    assert resp.status_code == 409 and "another tab" in page and '>second tab text</textarea>' in page
    assert snapshot() == before
    # The form now carries the current version: saving again on purpose replaces the other version.
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert _post(client, cap, "investigation", version=int(version),
                 **{"investigation_findings-threats": ["second tab text"]}).status_code == 303
    assert reload(cap.id).investigation_findings["threats"] == ["second tab text"]


def test_editing_a_completed_phase_is_409_and_changes_nothing(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    before = snapshot()
    resp = _post(client, cap, "investigation", **{"investigation_findings-threats": ["rewrite"]})
    assert resp.status_code == 409 and "read-only" in text(resp) and '>rewrite</textarea>' in text(resp)
    assert snapshot() == before


def test_editing_under_review_is_409_and_changes_nothing(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES, submitted_at=db.func.now())
    before = snapshot()
    resp = _post(client, cap, "presentation")
    assert resp.status_code == 409 and "under mentor review" in text(resp)
    assert snapshot() == before


def test_completing_out_of_order_is_409_naming_the_first_open_phase(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = _post(client, cap, "reporting", action="complete")
    assert resp.status_code == 409
    assert "Complete the Investigation phase before Reporting." in text(resp)
    assert reload(cap.id).reporting_completed_at is None


def test_unknown_phase_is_404(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    assert client.post(f"/capstones/{cap.id}/phases/overall", data={"action": "save"}).status_code == 404


# ---- no-JavaScript row and preview buttons ---------------------------------------------------------------------

def test_add_a_row_without_js_rerenders_with_one_more_row_and_saves_nothing(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    before = snapshot()
    resp = client.post(f"/capstones/{cap.id}/phases/decision_making", data={
        **FORM["decision_making"], "action": "add:decisions_made", "version": "1"})
    page = text(resp)
    assert resp.status_code == 200 and 'id="decisions_made-1-decision"' in page and 'value="Isolate FS-01"' in page
    assert snapshot() == before


def test_remove_a_row_without_js_rerenders_without_it(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.post(f"/capstones/{cap.id}/phases/investigation", data={
        "investigation_findings-threats": ["keep", "drop"], "action": "remove:investigation_findings-threats:1"})
    page = text(resp)
    assert '>keep</textarea>' in page and '>drop</textarea>' not in page


def test_preview_without_js_shows_sanitised_markdown_and_keeps_the_text(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    resp = client.post(f"/capstones/{cap.id}/phases/decision_making", data={
        "decision_analysis": "**bold** <script>alert(1)</script>", "action": "preview:decision_analysis"})
    page = text(resp)
    assert '<div id="preview-decision_analysis"' in page and "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert reload(cap.id).decision_analysis == ""


# ---- htmx ------------------------------------------------------------------------------------------------------

def test_htmx_save_returns_the_form_and_out_of_band_stepper_progress_history(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = _post(client, cap, "investigation", headers=hx("capstone-phase-form"))
    page = text(resp)
    assert resp.status_code == 200 and "<html" not in page
    assert re.match(r'\s*<section id="capstone-phase-form"', page)
    for root in ("capstone-stepper", "capstone-progress", "capstone-status", "capstone-history"):
        assert re.search(rf'id="{root}"[^>]*hx-swap-oob="true"', page), root
    assert "Draft saved." in page and '"phase-saved"' in resp.headers["HX-Trigger"]


def test_htmx_complete_opens_the_next_phase_and_updates_stepper_and_progress(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = _post(client, cap, "investigation", action="complete", headers=hx("capstone-phase-form"))
    page = text(resp)
    assert resp.status_code == 200 and "phase-completed" in resp.headers["HX-Trigger"]
    assert '<h2 id="phase-h">2. Decision making</h2>' in page
    assert re.search(r'id="capstone-progress"[^>]*hx-swap-oob="true"', page) and 'value="20"' in page
    assert re.search(r'step-done[^"]*"', page)


def test_htmx_error_returns_the_form_partial_with_status(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.post(f"/capstones/{cap.id}/phases/investigation", data={"action": "complete", "version": "1"},
                       headers=hx("capstone-phase-form"))
    page = text(resp)
    assert resp.status_code == 422 and _only_root(page, "capstone-phase-form")
    assert field_error(page, "investigation_findings").startswith("Record at least one finding")


def test_htmx_add_row_returns_one_blank_row(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.get(f"/capstones/{cap.id}/rows/report_key_findings", headers=hx("rows-report_key_findings"))
    page = text(resp)
    assert resp.status_code == 200 and page.strip().startswith('<li class="row-item')
    assert page.count('name="report_key_findings-finding"') == 1 and "<html" not in page
    assert client.get(f"/capstones/{cap.id}/rows/mentor_final_score").status_code == 404


def test_htmx_preview_returns_sanitised_html(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.post(f"/capstones/{cap.id}/preview", data={
        "action": "preview:remediation_plan", "remediation_plan": "1. one\n2. [x](javascript:alert(1))"},
        headers=hx("preview-remediation_plan"))
    page = text(resp)
    assert resp.status_code == 200 and '<div id="preview-remediation_plan"' in page and "<ol>" in page
    assert 'href="javascript:' not in page


# ---- uploads ---------------------------------------------------------------------------------------------------

def test_upload_then_save_attaches_the_file_to_the_phase_field(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES[:4], **VALUES["presentation"])
    page = text(client.get(f"/capstones/{cap.id}"))
    assert f'name="uploaded_for" value="capstone:{cap.id}:presentation"' in page
    up = client.post("/files", data={"kind": "document", "file": (__import__("io").BytesIO(sample("pdf")), "deck.pdf"),
                                     "uploaded_for": f"capstone:{cap.id}:presentation"},
                     content_type="multipart/form-data", headers=hx("files-presentation"))
    assert up.status_code == 201
    key = re.search(r'name="file_keys" value="([^"]+)"', text(up)).group(1)
    # Without JavaScript the upload shows on the phase form as a pending file to attach.
    assert f'name="file_keys" value="{key}" checked' in text(client.get(f"/capstones/{cap.id}"))
    resp = _post(client, cap, "presentation", action="complete", file_keys=key,
                 presentation_url="")
    assert resp.status_code == 303
    row = db.session.scalar(select(StoredFile))
    cap = reload(cap.id)
    assert row.capstone_id == cap.id and row.field == "presentation" and row.attached_at is not None
    assert cap.presentation_url == f"/files/{key}" and cap.submitted_at is not None


def test_a_new_capstone_saves_with_its_untouched_blank_artifact_row(client, login_as):
    """The Investigation form starts with one artifact row whose type select shows "link": left untouched it is
    blank, so saving a finding works and completing names the missing finding, not the blank row."""
    learner = login_as("learner")
    cap = capstone_for(learner)
    blank_row = {"investigation_artifacts-type": ["link"], "investigation_artifacts-url": [""],
                 "investigation_artifacts-description": [""]}
    resp = client.post(f"/capstones/{cap.id}/phases/investigation", data={
        **blank_row, "investigation_findings-threats": ["Credential phishing"], "action": "save",
        "version": str(reload(cap.id).version_id)})
    assert resp.status_code == 303
    saved = reload(cap.id)
    assert saved.investigation_findings["threats"] == ["Credential phishing"] and saved.investigation_artifacts == []
    resp = client.post(f"/capstones/{cap.id}/phases/investigation", data={
        **blank_row, "action": "complete", "version": str(saved.version_id)})
    assert resp.status_code == 422
    page = text(resp)
    assert "at least one finding" in page.lower() and "give a link" not in page


def test_enter_in_a_phase_field_saves_the_draft_instead_of_removing_a_row(client, login_as):
    """Browsers submit a form on Enter with its first submit button; in the phase form that is a hidden
    Save draft (before any row's Remove or Add a row), so Enter never deletes typed work."""
    learner = login_as("learner")
    cap = capstone_for(learner)
    page = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    form = page[page.index('<form id="phase-form"'):]
    first = re.search(r'<button[^>]*type="submit"[^>]*>', form).group(0)
    assert 'name="action"' in first and 'value="save"' in first and 'tabindex="-1"' in first


def test_an_unsaved_upload_is_offered_only_on_the_phase_and_capstone_it_was_uploaded_on(client, login_as):
    """An upload left unsaved on one capstone must never show up ticked on another capstone or phase (saving
    there would attach it to the wrong work)."""
    import io

    learner = login_as("learner")
    cap = capstone_for(learner)
    other = capstone_for(learner, make_mission(title="Ransomware in the lab"))
    up = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(sample("pdf")), "evidence.pdf"),
                                     "uploaded_for": f"capstone:{cap.id}:investigation_artifacts"},
                     content_type="multipart/form-data")
    assert up.status_code == 303
    key = db.session.scalar(select(StoredFile.key))
    offered = f'name="file_keys" value="{key}"'
    assert offered in text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    for phase in ("investigation", "design_remediation"):
        page = text(client.get(f"/capstones/{other.id}?phase={phase}"))
        assert "Files to attach" in page and offered not in page, phase   # the list is there, without it
    # Saving the other capstone's investigation with nothing ticked leaves the upload where it was.
    assert _post(client, other, "investigation").status_code == 303
    assert db.session.scalar(select(StoredFile.capstone_id)) is None
    # Saving where it was uploaded attaches it there.
    assert _post(client, cap, "investigation", file_keys=key).status_code == 303
    row = db.session.scalar(select(StoredFile))
    assert row.capstone_id == cap.id and row.field == "investigation_artifacts" and row.uploaded_for is None


def test_an_upload_with_a_made_up_context_is_kept_but_offered_nowhere(client, login_as):
    import io

    learner = login_as("learner")
    cap = capstone_for(learner)
    for bogus in ("capstone:x:investigation_artifacts", f"capstone:{cap.id}:password", "<script>", "c" * 300):
        resp = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(sample("pdf")), "e.pdf"),
                                           "uploaded_for": bogus}, content_type="multipart/form-data")
        assert resp.status_code == 303
    assert db.session.scalars(select(StoredFile.uploaded_for)).all() == [None] * 4
    assert 'name="file_keys"' not in text(client.get(f"/capstones/{cap.id}?phase=investigation"))


def test_attaching_someone_elses_upload_is_422_and_nothing_changes(client, login_as):
    import io

    other = make_user("learner")
    login_as(other)
    up = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(sample("pdf")), "x.pdf")},
                     content_type="multipart/form-data", headers=hx("x"))
    key = re.search(r'name="file_keys" value="([^"]+)"', text(up)).group(1)
    learner = login_as("learner")
    cap = capstone_for(learner)
    before = snapshot()
    resp = _post(client, cap, "investigation", file_keys=key)
    assert resp.status_code == 422 and "cannot be attached" in field_error(text(resp), "file_keys")
    assert snapshot() == before


# ---- deletion, list, mentors -----------------------------------------------------------------------------------

def test_delete_by_owner_redirects_to_the_list(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.post(f"/capstones/{cap.id}/delete")
    assert resp.status_code == 303 and location(resp) == "/capstones"
    assert reload(cap.id) is None


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_capstone_with_a_review_offers_no_delete_and_the_post_is_409(client, login_as, status):
    """Reopened after a review (so neither submitted nor approved): the page still offers no Delete."""
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=("investigation",))
    make_review(w["assigned_mentor"], cap, status=status)
    login_as(w["owner"])
    page = text(client.get(f"/capstones/{cap.id}"))
    assert 'id="phase-form"' in page
    assert "Delete capstone" not in page and f"/capstones/{cap.id}/delete" not in page
    assert client.post(f"/capstones/{cap.id}/delete").status_code == 409
    assert reload(cap.id) is not None


def test_capstone_without_a_review_offers_delete_to_its_owner(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "Delete capstone" in page and f'action="/capstones/{cap.id}/delete"' in page


DELETE_STATES = {   # the capstone's state: (phases done, submitted, a review and its status)
    "fresh": ((), False, None),
    "one phase done": (("investigation",), False, None),
    "submitted": (PHASES, True, None),
    "submitted, review draft": (PHASES, True, "draft"),
    "reopened after a review": (("investigation",), False, "submitted"),
    "reopened, new review draft": (("investigation",), False, "draft"),
}


@pytest.mark.parametrize("state", list(DELETE_STATES))
@pytest.mark.parametrize("who", ["owner", "other_learner", "assigned_mentor", "unassigned_mentor", "admin"])
def test_delete_button_shows_exactly_when_the_delete_post_succeeds(client, login_as, who, state):
    """One rule (domain.phases.can_delete through services.capstones): the page offers Delete to this viewer
    in this state if and only if their POST deletes the capstone."""
    done, submitted, review = DELETE_STATES[state]
    w = world()
    cap = capstone_for(w["owner"], w["mission"], done=done, **({"submitted_at": db.func.now()} if submitted else {}))
    if review:
        make_review(w["assigned_mentor"], cap, status=review)
    cap_id = cap.id
    login_as(w[who])
    page = client.get(f"/capstones/{cap_id}")
    shown = page.status_code == 200 and "Delete capstone" in text(page) \
        and f'action="/capstones/{cap_id}/delete"' in text(page)
    resp = client.post(f"/capstones/{cap_id}/delete")
    deleted = resp.status_code == 303 and reload(cap_id) is None
    assert shown == deleted, (who, state, page.status_code, resp.status_code)
    assert deleted == (who == "owner" and state in ("fresh", "one phase done"))
    if not deleted:
        assert resp.status_code in (403, 409) and reload(cap_id) is not None


def test_list_shows_own_capstones_with_phase_and_status_and_mentors_see_their_learners(client, login_as):
    w = world()
    capstone_for(w["owner"], w["mission"], done=("investigation",))
    capstone_for(w["owner"], done=PHASES, submitted_at=db.func.now())
    capstone_for(w["other_learner"])
    login_as(w["owner"])
    page = text(client.get("/capstones"))
    assert "Phase 2: Decision making" in page and "In mentor review" in page
    assert page.count('class="capstone-row"') == 2
    login_as(w["assigned_mentor"])
    page = text(client.get("/capstones"))
    assert "Your learners" in page and page.count('class="capstone-row"') == 2 and f"@{w['owner'].handle}" in page


def test_assigned_mentor_reads_the_workspace_read_only(client, login_as):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    login_as(w["assigned_mentor"])
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "Only the learner edits this capstone" in page and 'id="phase-form"' not in page
    assert "Delete capstone" not in page


def test_history_lists_each_change_newest_first(client, login_as):
    learner = login_as("learner")
    mission = make_mission()
    make_completed_attempt(learner, mission)
    client.post("/capstones", data={"mission": mission.slug})
    cap = db.session.scalar(select(CapstoneProject))
    _post(client, cap, "investigation", action="complete")
    assert activities(cap.id) == [("started", None), ("saved", "investigation"), ("completed", "investigation")]
    page = text(client.get(f"/capstones/{cap.id}"))
    history = page[page.index('id="capstone-history"'):]
    assert history.index("Completed Investigation.") < history.index("Saved a draft of Investigation") \
        < history.index("Started the capstone")
    assert learner.display_name in history


def test_workspace_markup_has_no_inline_style_or_script(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=("investigation",))
    pages = [text(client.get(f"/capstones/{cap.id}?phase={p}")) for p in PHASES]
    pages.append(text(_post(client, cap, "decision_making", headers=hx("capstone-phase-form"))))
    for page in pages:
        assert " style=" not in page and "<style" not in page and "<script>" not in page and "hx-on" not in page


def test_the_save_address_opened_as_a_page_goes_to_the_workspace_on_that_phase(client, login_as):
    """Without JavaScript, a save answered with errors leaves /capstones/<id>/phases/<phase> in the address bar;
    a plain upload from that page returns there, which must show the workspace, not "not allowed"."""
    import io

    learner = login_as("learner")
    cap = capstone_for(learner)
    resp = client.get(f"/capstones/{cap.id}/phases/investigation")
    assert resp.status_code == 303 and location(resp) == f"/capstones/{cap.id}?phase=investigation"
    assert client.get(f"/capstones/{cap.id}/phases/nonsense").status_code == 404     # no such phase: no route
    up = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(sample("pdf")), "e.pdf"),
                                     "uploaded_for": f"capstone:{cap.id}:investigation_artifacts"},
                     content_type="multipart/form-data",
                     headers={"Referer": f"http://mastery.test/capstones/{cap.id}/phases/investigation"})
    page = client.get(location(up), follow_redirects=True)
    assert page.status_code == 200 and "Files to attach" in text(page) and "e.pdf" in text(page)
    login_as(make_user("learner"))
    assert client.get(f"/capstones/{cap.id}/phases/investigation").status_code == 403


def test_completing_with_a_bad_link_also_names_every_missing_field_at_once(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES[:3])
    before = snapshot()
    resp = client.post(f"/capstones/{cap.id}/phases/reporting", data={
        "report_document_url": "not a link", "report_summary": "", "action": "complete",
        "version": str(reload(cap.id).version_id)})
    assert resp.status_code == 422
    page = text(resp)
    assert "http(s) link" in field_error(page, "report_document_url")
    assert "Write the report summary" in field_error(page, "report_summary")
    assert "Nothing was saved" in page and "cannot be completed yet" in page
    assert snapshot() == before


def test_completing_out_of_order_saves_nothing_and_keeps_the_typed_text(client, login_as):
    """Save and complete is one click and one transaction: a completion that is refused keeps nothing of it."""
    learner = login_as("learner")
    cap = capstone_for(learner)
    before = snapshot()
    resp = client.post(f"/capstones/{cap.id}/phases/design_remediation", data={
        "remediation_plan": "Rotate every service account", "action": "complete",
        "version": str(reload(cap.id).version_id)})
    assert resp.status_code == 409
    page = text(resp)
    assert "Complete the Investigation phase before Design" in page
    assert "Nothing was saved" in page and "Your draft is saved" not in page
    assert "Rotate every service account" in page
    assert snapshot() == before


def test_complete_click_is_one_commit_like_a_save_click(client, login_as, monkeypatch):
    learner = login_as("learner")
    cap, other = capstone_for(learner), capstone_for(learner)
    made = []
    real = db.session.commit

    def commit():
        made.append(1)
        return real()

    monkeypatch.setattr(db.session, "commit", commit)
    assert _post(client, cap, "investigation").status_code == 303
    saves = len(made)
    made.clear()
    assert _post(client, other, "investigation", action="complete").status_code == 303
    assert len(made) == saves == 1
    assert reload(other.id).investigation_findings == reload(cap.id).investigation_findings
    assert reload(other.id).is_phase_complete("investigation")


@pytest.mark.parametrize("phase", PHASES)
def test_the_phase_form_shows_every_fields_label_and_help_from_the_table(client, login_as, phase):
    """The form is one loop over the phase's field specs (domain.phase_fields): each field's label and help
    text, each row column's label and the phase's help appear, editable and then read-only."""
    from html import escape

    from webapp.domain.phase_fields import SPECS

    learner = login_as("learner")
    spec = SPECS[phase]
    cap = capstone_for(learner, done=PHASES[:PHASES.index(phase)])
    page = client.get(f"/capstones/{cap.id}?phase={phase}").get_data(as_text=True)
    assert escape(spec.help) in page and 'id="phase-form"' in page
    for field in spec.fields:
        label = field.label + (" (link)" if field.kind == "url" else "")
        assert f">{escape(label)}<" in page, field.name
        assert escape(field.help) in page, field.name
        assert f'name="{field.name}' in page or f'id="{field.name}"' in page, field.name
        for col in field.columns:
            assert f'name="{field.name}-{col.name}"' in page and f">{escape(col.label)}<" in page, col.name
        for kind in field.lists:
            assert f'name="{field.name}-{kind}"' in page, kind
    done = capstone_for(learner, done=PHASES[:PHASES.index(phase) + 1])
    page = client.get(f"/capstones/{done.id}?phase={phase}").get_data(as_text=True)
    assert 'id="phase-form"' not in page and "complete and read-only" in page
    for field in spec.fields:
        assert escape(field.label) in page, field.name


def test_the_workspace_shows_the_missions_brief_for_the_phase_shown(client, login_as):
    mission = make_mission(capstone_brief={"investigation": "Establish **when** FIN-WS-042 was first touched.",
                                           "reporting": "Write for the hospital board."})
    learner = login_as("learner")
    cap = make_capstone(learner, mission)
    page = text(client.get(f"/capstones/{cap.id}"))
    assert "What this phase should hold for this incident" in page
    assert "Establish <strong>when</strong> FIN-WS-042 was first touched." in page
    assert "Write for the hospital board." not in page
    report = text(client.get(f"/capstones/{cap.id}?phase=reporting"))
    assert "Write for the hospital board." in report


# ---- uploaded files as chips -------------------------------------------------------------------------------------

def _attached(client, cap, phase: str, upload_name: str, kind: str, filename: str) -> str:
    """Upload a PDF for the phase and save the phase with it: the file's key."""
    up = client.post("/files", data={"kind": kind, "file": (io.BytesIO(sample("pdf")), filename),
                                     "uploaded_for": f"capstone:{cap.id}:{upload_name}"},
                     content_type="multipart/form-data")
    assert up.status_code == 303, text(up)[:300]
    key = db.session.scalar(select(StoredFile.key).where(StoredFile.filename == filename))
    assert _post(client, cap, phase, file_keys=key).status_code == 303
    return key


def test_an_uploaded_artifact_shows_as_a_chip_with_name_type_and_size_not_its_path(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner)
    key = _attached(client, cap, "investigation", "investigation_artifacts", "evidence", "edr-tree.pdf")
    page = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    chip = page[page.index('class="file-chip"'):]
    chip = chip[:chip.index("</div>")]
    assert f'href="/files/{key}">edr-tree.pdf</a>' in chip and "PDF ·" in chip
    assert f'type="hidden" id="investigation_artifacts-1-url" name="investigation_artifacts-url" value="/files/{key}"' in page
    assert 'type="text" id="investigation_artifacts-1-url"' not in page
    # Read-only (the phase completed): the same chip, not "Download the uploaded file".
    stored = reload(cap.id)
    stored.investigation_completed_at = stored.updated_at
    db.session.commit()
    page = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    assert f'href="/files/{key}">edr-tree.pdf</a>' in page and "Download the uploaded file" not in page


def test_a_file_in_a_link_field_is_a_chip_that_can_be_removed(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES[:3])
    key = _attached(client, cap, "reporting", "report_document", "document", "report.pdf")
    assert reload(cap.id).report_document_url == f"/files/{key}"
    page = text(client.get(f"/capstones/{cap.id}?phase=reporting"))
    assert f'href="/files/{key}">report.pdf</a>' in page and 'value="clear:report_document_url"' in page
    # Without JavaScript, Remove answers with the form without the file; nothing is saved until the learner saves.
    before = snapshot()
    resp = _post(client, reload(cap.id), "reporting", action="clear:report_document_url",
                 report_document_url=f"/files/{key}")
    page = text(resp)
    assert resp.status_code == 200 and 'id="report_document_url" name="report_document_url" value=""' in page
    assert snapshot() == before
    assert _post(client, reload(cap.id), "reporting", report_document_url="").status_code == 303
    assert reload(cap.id).report_document_url is None


def test_a_file_removed_in_another_tab_stays_removed_and_the_old_tab_gets_409(client, login_as):
    learner = login_as("learner")
    cap = capstone_for(learner, done=PHASES[:3])
    key = _attached(client, cap, "reporting", "report_document", "document", "report.pdf")
    opened_at = reload(cap.id).version_id                               # both tabs show the chip
    assert _post(client, reload(cap.id), "reporting", version=opened_at, report_document_url="").status_code == 303
    before = snapshot()
    resp = _post(client, reload(cap.id), "reporting", version=opened_at, report_document_url=f"/files/{key}",
                 report_summary="Typed in the old tab")
    assert resp.status_code == 409 and "Typed in the old tab" in text(resp)
    assert snapshot() == before and reload(cap.id).report_document_url is None
