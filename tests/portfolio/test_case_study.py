"""Approval covers what was approved (SPEC §6): a capstone_result item shows the snapshot of its capstone taken when
a mentor approved the item, never the live capstone; only an approved capstone backs one; reopening the capstone
takes the item off the public page; the case study's report and presentation files download for visitors of an
approved public item and for nobody else; a deactivated owner's public pages, API view and files are gone."""
from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from tests.factories import make_capstone, make_item, make_mission, make_review, make_token
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import CapstoneProject, PortfolioItem, PortfolioTransition, User
from webapp.models.base import utcnow
from webapp.services import files as files_service

from .helpers import act_as, state, text

REPORT = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SLIDES = b"%PDF-1.4\n2 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 2 0 R >>\n%%EOF\n"


def approved_capstone(people, **fields) -> CapstoneProject:
    owner, mentor = people["owner"], people["assigned_mentor"]
    mission = make_mission(title="Night Shift", tier="mastery", track="defender",
                           summary="Contain ransomware at a hospital.")
    values = dict(done=PHASES, submitted_at=utcnow(), mentor_approved=True, mentor_final_score=Decimal("87.50"),
                  mentor_reviewed_at=utcnow(), decisions_made=[
                      {"decision": "Isolate the ward VLAN", "rationale": "Stop lateral movement",
                       "decided_at": "2026-11-01"}],
                  remediation_plan="Rotate **all** service accounts.", report_summary="Contained in 4 h.",
                  presentation_url="https://example.org/talk", presentation_type="slides")
    values.update(fields)
    cap = make_capstone(owner, mission, **values)
    make_review(mentor, cap, status="submitted", review_phase=1, total_phases=1, decision="approve",
                written_feedback="Calm, well-argued work.", overall_score=Decimal("87.5"), submitted_at=utcnow(),
                rubric_scores={"containment": 4, "analysis": 3, "communication": 2})
    return cap


def attach_file(people, cap, field: str, name: str, data: bytes) -> str:
    """An uploaded document attached to a capstone phase field, as the workspace does; returns its key."""
    row = files_service.store_upload(people["owner"], io.BytesIO(data), name, "document")
    files_service.attach([row.key], owner_id=cap.learner_id, field=field, capstone_id=cap.id)
    db.session.commit()
    return row.key


def approve_item(client, people, cap, *, visibility="public") -> PortfolioItem:
    """The owner makes a capstone_result item of the capstone and submits it; the assigned mentor approves it."""
    act_as(client, people, "owner")
    resp = client.post("/portfolio/items", data={"title": "Night Shift capstone", "item_type": "capstone_result",
                                                 "capstone_id": str(cap.id), "visibility": visibility,
                                                 "skill_tags": "Incident response"})
    assert resp.status_code == 303, text(resp)
    item = db.session.scalar(select(PortfolioItem).where(PortfolioItem.title == "Night Shift capstone"))
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 303
    act_as(client, people, "assigned_mentor")
    assert client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"}).status_code == 303
    act_as(client, people, "anonymous")
    db.session.expire_all()
    item = db.session.get(PortfolioItem, item.id)
    assert item.status == "approved"
    return item


def edit_capstone_behind_the_back(cap_id: int, **fields) -> None:
    """Whatever path changes the capstone later (a reopening, a data fix), the public page must not follow."""
    db.session.expire_all()
    cap = db.session.get(CapstoneProject, cap_id)
    for name, value in fields.items():
        setattr(cap, name, value)
    db.session.commit()


# ---- the snapshot --------------------------------------------------------------------------------------------------

def test_capstone_edited_after_approval_leaves_the_public_case_study_as_approved(client, people):
    people["owner"].show_scores = True          # scores are opt-in (tests/portfolio/test_public_case_study.py)
    db.session.commit()
    cap = approved_capstone(people)
    item = approve_item(client, people, cap)
    edit_capstone_behind_the_back(cap.id, report_summary="EDITED after approval.",
                                  remediation_plan="Nothing to see.",
                                  presentation_url="https://phish.example/login",
                                  decisions_made=[{"decision": "Pay the ransom", "rationale": "Quick"}])
    page = text(client.get("/p/lea"))
    for approved in ("Contained in 4 h.", "<strong>all</strong>", "https://example.org/talk",
                     "Isolate the ward VLAN", "88"):
        assert approved in page, approved
    # The capstone review's feedback is private: visitors see only the mentor's public note (none here).
    assert "Calm, well-argued work." not in page
    for edited in ("EDITED after approval", "Nothing to see", "phish.example", "Pay the ransom"):
        assert edited not in page, edited
    # The owner's own view of the approved item shows what was approved too.
    act_as(client, people, "owner")
    own = text(client.get(f"/portfolio/items/{item.id}"))
    assert "Contained in 4 h." in own and "EDITED after approval" not in own and "phish.example" not in own


def test_unlisted_capstone_result_shows_the_snapshot_through_its_secret_link(client, people):
    cap = approved_capstone(people)
    item = approve_item(client, people, cap, visibility="unlisted")
    edit_capstone_behind_the_back(cap.id, report_summary="EDITED after approval.")
    page = text(client.get(f"/s/{item.share_token}"))
    assert "Contained in 4 h." in page and "EDITED after approval" not in page


def test_submitted_item_shows_the_reviewing_mentor_the_live_capstone(client, people):
    cap = approved_capstone(people)
    item = make_item(people["owner"], title="Live one", item_type="capstone_result", capstone_id=cap.id,
                     status="submitted", submitted_at=utcnow())
    edit_capstone_behind_the_back(cap.id, report_summary="Newest wording of the report.")
    act_as(client, people, "assigned_mentor")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "Newest wording of the report." in page and "Contained in 4 h." not in page


def test_approval_stores_the_snapshot_on_the_item(client, people):
    cap = approved_capstone(people)
    item = approve_item(client, people, cap)
    snap = item.case_study
    assert snap["capstone_id"] == cap.id
    assert snap["capstone"]["report_summary"] == "Contained in 4 h."
    assert snap["capstone"]["presentation_url"] == "https://example.org/talk"
    assert snap["score"] == "87.50" and snap["mission"]["title"] == "Night Shift"


# ---- only an approved capstone backs a capstone_result -------------------------------------------------------------

def test_capstone_result_from_an_unapproved_capstone_is_422_naming_the_field_and_saves_nothing(client, people):
    mission = make_mission()
    cap = make_capstone(people["owner"], mission, done=PHASES, submitted_at=utcnow())
    act_as(client, people, "owner")
    before = state()
    resp = client.post("/portfolio/items", data={"title": "Too early", "item_type": "capstone_result",
                                                 "capstone_id": str(cap.id), "visibility": "private"})
    assert resp.status_code == 422 and "approved capstone" in text(resp)
    assert state() == before
    # Without any capstone either.
    resp = client.post("/portfolio/items", data={"title": "No capstone", "item_type": "capstone_result",
                                                 "visibility": "private"})
    assert resp.status_code == 422 and state() == before


def test_linking_an_unapproved_capstone_to_a_capstone_result_is_422(client, people):
    approved = approved_capstone(people)
    open_cap = make_capstone(people["owner"], make_mission(), done=("investigation",))
    item = make_item(people["owner"], title="Mine", item_type="capstone_result", capstone_id=approved.id)
    act_as(client, people, "owner")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}", data={"title": "Mine", "item_type": "capstone_result",
                                                            "capstone_id": str(open_cap.id)})
    assert resp.status_code == 422 and "approved capstone" in text(resp)
    assert state() == before
    # A writeup turned into a capstone_result with an unapproved capstone: also refused.
    other = make_item(people["owner"], title="Writeup", item_type="writeup", capstone_id=open_cap.id)
    resp = client.post(f"/portfolio/items/{other.id}", data={"title": "Writeup", "item_type": "capstone_result",
                                                             "capstone_id": str(open_cap.id)})
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(PortfolioItem, other.id).item_type == "writeup"


def test_api_capstone_result_from_an_unapproved_capstone_is_422_naming_capstone(client, people):
    cap = make_capstone(people["owner"], make_mission(), done=PHASES, submitted_at=utcnow())
    _, token = make_token(people["owner"])
    resp = client.post("/api/v1/portfolio-items", json={"title": "Too early", "item_type": "capstone_result",
                                                        "capstone": cap.id},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    assert "capstone" in resp.get_json()["error"]["fields"]
    assert db.session.scalar(select(PortfolioItem.id)) is None


def test_relinking_an_approved_item_to_another_capstone_sends_it_back_to_draft(client, people):
    cap = approved_capstone(people)
    item = approve_item(client, people, cap)
    other = make_capstone(people["owner"], make_mission(title="Other"), done=PHASES, mentor_approved=True,
                          submitted_at=utcnow(), mentor_reviewed_at=utcnow())
    act_as(client, people, "owner")
    resp = client.post(f"/portfolio/items/{item.id}", data={
        "title": item.title, "item_type": "capstone_result", "capstone_id": str(other.id),
        "skill_tags": "Incident response"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).status == "draft"
    act_as(client, people, "anonymous")
    assert "Night Shift capstone" not in text(client.get("/p/lea"))


def test_saving_an_approved_item_unchanged_keeps_it_approved(client, people):
    cap = approved_capstone(people)
    item = approve_item(client, people, cap)
    act_as(client, people, "owner")
    resp = client.post(f"/portfolio/items/{item.id}", data={
        "title": item.title, "item_type": "capstone_result", "capstone_id": str(cap.id), "mission_id": "",
        "skill_tags": "Incident response"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).status == "approved"


# ---- reopening the capstone ----------------------------------------------------------------------------------------

def test_reopening_the_capstone_takes_its_capstone_result_off_the_public_page_and_api(client, people):
    """An item approved while its capstone was still under review (possible before this rule): the mentor's
    request for changes on the capstone sends the item back to draft, with a transition saying why."""
    from webapp.services import reviews as review_service

    owner, mentor = people["owner"], people["assigned_mentor"]
    cap = make_capstone(owner, make_mission(), done=PHASES, submitted_at=utcnow(), report_summary="Draft report.")
    item = make_item(owner, title="Early result", item_type="capstone_result", capstone_id=cap.id,
                     status="approved", visibility="public", reviewed_by_id=mentor.id, reviewed_at=utcnow())
    assert "Early result" in text(client.get("/p/lea"))
    review = make_review(mentor, cap, review_phase=1, total_phases=1, status="draft", overall_score=Decimal("40"))
    review_service.submit(review, mentor, decision="request_changes", reopen_phases=["reporting"])
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).status == "draft"
    row = db.session.scalars(select(PortfolioTransition).where(PortfolioTransition.item_id == item.id)
                             .order_by(PortfolioTransition.id.desc())).first()
    assert (row.from_status, row.to_status, row.actor_id) == ("approved", "draft", mentor.id)
    assert "reopened" in row.note
    assert "Early result" not in text(client.get("/p/lea"))
    api = client.get("/api/v1/users/lea/portfolio").get_json()
    assert [i["title"] for i in api["items"]] == []


# ---- the case study's files ----------------------------------------------------------------------------------------

def test_visitor_downloads_report_and_presentation_of_an_approved_public_capstone_result(client, people, store):
    cap = approved_capstone(people)
    report = attach_file(people, cap, "report_document", "report.pdf", REPORT)
    slides = attach_file(people, cap, "presentation", "slides.pdf", SLIDES)
    design = attach_file(people, cap, "design_documents", "design.pdf", REPORT)
    edit_capstone_behind_the_back(cap.id, report_document_url=f"/files/{report}", presentation_url=f"/files/{slides}",
                                  design_documents=[{"title": "design.pdf", "url": f"/files/{design}",
                                                     "description": ""}])
    # Not yet approved as a portfolio item: nobody but the owner's circle downloads them.
    act_as(client, people, "anonymous")
    for key in (report, slides):
        assert client.get(f"/files/{key}").status_code != 200
    approve_item(client, people, cap)
    page = text(client.get("/p/lea"))
    assert f"/files/{report}" in page and f"/files/{slides}" in page
    for key, body in ((report, REPORT), (slides, SLIDES)):
        resp = client.get(f"/files/{key}")
        assert resp.status_code == 200 and resp.data == body
    # A file of the capstone the case study does not show stays private.
    assert client.get(f"/files/{design}").status_code != 200
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{design}").status_code == 403
    assert client.get(f"/files/{report}").status_code == 200


def test_case_study_files_of_a_private_or_unapproved_item_do_not_download(client, people, store):
    cap = approved_capstone(people)
    report = attach_file(people, cap, "report_document", "report.pdf", REPORT)
    edit_capstone_behind_the_back(cap.id, report_document_url=f"/files/{report}")
    item = approve_item(client, people, cap, visibility="private")
    assert client.get(f"/files/{report}").status_code != 200
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{report}").status_code == 403
    # Public, then back to draft by an edit: gone again.
    db.session.expire_all()
    item = db.session.get(PortfolioItem, item.id)
    item.visibility = "public"
    db.session.commit()
    assert client.get(f"/files/{report}").status_code == 200
    act_as(client, people, "owner")
    client.post(f"/portfolio/items/{item.id}", data={"title": "Renamed", "item_type": "capstone_result",
                                                     "capstone_id": str(cap.id)})
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{report}").status_code == 403


def test_unlisted_capstone_result_files_download_through_the_secret_link_only(client, people, store):
    cap = approved_capstone(people)
    report = attach_file(people, cap, "report_document", "report.pdf", REPORT)
    other = attach_file(people, cap, "design_documents", "design.pdf", REPORT)
    edit_capstone_behind_the_back(cap.id, report_document_url=f"/files/{report}")
    item = approve_item(client, people, cap, visibility="unlisted")
    page = text(client.get(f"/s/{item.share_token}"))
    assert f"/s/{item.share_token}/files/{report}" in page
    resp = client.get(f"/s/{item.share_token}/files/{report}")
    assert resp.status_code == 200 and resp.data == REPORT
    assert client.get(f"/s/{item.share_token}/files/{other}").status_code == 404
    assert client.get(f"/files/{report}").status_code != 200


# ---- a deactivated owner ---------------------------------------------------------------------------------------------

def test_deactivated_owner_public_page_link_api_and_downloads_are_404(client, people, store):
    from .helpers import upload

    cap = approved_capstone(people)
    report = attach_file(people, cap, "report_document", "report.pdf", REPORT)
    edit_capstone_behind_the_back(cap.id, report_document_url=f"/files/{report}")
    item = approve_item(client, people, cap, visibility="unlisted")
    act_as(client, people, "owner")
    key = upload(client)
    resp = client.post("/portfolio/items", data={"title": "Evidence", "item_type": "lab_report", "file_keys": [key],
                                                 "visibility": "public"})
    assert resp.status_code == 303
    ev = db.session.scalar(select(PortfolioItem).where(PortfolioItem.title == "Evidence"))
    ev.status = "approved"
    db.session.commit()
    act_as(client, people, "anonymous")
    token = item.share_token
    assert client.get("/p/lea").status_code == 200
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(f"/s/{token}/files/{report}").status_code == 200
    assert client.get(f"/files/{key}").status_code == 200
    assert client.get("/api/v1/users/lea/portfolio").status_code == 200

    owner = db.session.get(User, people["owner"].id)
    owner.is_active = False
    db.session.commit()
    assert client.get("/p/lea").status_code == 404
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/s/{token}/files/{report}").status_code == 404
    assert client.get("/api/v1/users/lea/portfolio").status_code == 404
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{key}").status_code == 404
    act_as(client, people, "anonymous")
    assert client.get(f"/files/{key}").status_code in (302, 401, 404)


def test_approving_a_capstone_result_whose_capstone_is_no_longer_approved_is_422_and_changes_nothing(client, people):
    cap = approved_capstone(people)
    item = make_item(people["owner"], title="Stale", item_type="capstone_result", capstone_id=cap.id,
                     status="submitted", submitted_at=utcnow(), visibility="public")
    edit_capstone_behind_the_back(cap.id, mentor_approved=False)
    act_as(client, people, "assigned_mentor")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"})
    assert resp.status_code == 422 and "approved capstone" in text(resp)
    assert state() == before
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).case_study is None
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code in (409, 422)
