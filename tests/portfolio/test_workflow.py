"""The approval workflow and evidence safety: draft → submitted → approved or changes requested, every
transition recorded and shown; likely secrets must be confirmed before a submission passes."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from tests.conftest import hx
from tests.factories import make_item
from tests.web.helpers import field_error
from webapp.domain.errors import Conflict, Forbidden, Invalid
from webapp.domain.redaction import fingerprint
from webapp.extensions import db
from webapp.models import PortfolioItem, PortfolioTransition
from webapp.services import portfolio as service
from webapp.services.actors import actor_for

from .helpers import act_as, state, text, upload


def reload(item) -> PortfolioItem:
    db.session.expire_all()
    return db.session.get(PortfolioItem, item.id)


def transitions(item) -> list[tuple]:
    db.session.expire_all()
    return [(t.from_status, t.to_status, t.actor_id, t.note) for t in db.session.scalars(
        select(PortfolioTransition).where(PortfolioTransition.item_id == item.id).order_by(PortfolioTransition.id))]


def test_submit_then_mentor_approves_records_each_transition_and_shows_who_and_when(client, people):
    item = make_item(people["owner"], title="Clean write-up", summary="Nothing secret here.")
    act_as(client, people, "owner")
    resp = client.post(f"/portfolio/items/{item.id}/submit")
    assert resp.status_code == 303
    assert reload(item).status == "submitted" and reload(item).submitted_at is not None
    act_as(client, people, "assigned_mentor")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "Send review" in page
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve", "note": "Solid."})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/portfolio/reviews")
    item = reload(item)
    assert (item.status, item.reviewed_by_id, item.review_note) == ("approved", people["assigned_mentor"].id, "Solid.")
    assert item.reviewed_at is not None
    mentor = people["assigned_mentor"].id
    assert transitions(item) == [("draft", "submitted", people["owner"].id, ""),
                                 ("submitted", "approved", mentor, "Solid.")]
    act_as(client, people, "owner")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "Submitted → Approved" in page and people["assigned_mentor"].display_name in page and "Solid." in page


def test_request_changes_needs_a_note_and_shows_it_to_the_learner(client, people):
    item = make_item(people["owner"], status="submitted")
    act_as(client, people, "assigned_mentor")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "request_changes", "note": "  "})
    page = text(resp)
    # The item page again with the review form, the decision kept and the problem beside the note.
    assert resp.status_code == 422 and "Send review" in page and item.title in page
    assert "required when asking for changes" in field_error(page, "note")
    assert re.search(r'<input[^>]*checked[^>]*value="request_changes"|<input[^>]*value="request_changes"[^>]*checked',
                     page)
    assert state() == before
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"note": "Looks fine"})
    assert resp.status_code == 422 and "choose Approve or Request changes" in field_error(text(resp), "decision")
    assert state() == before
    client.post(f"/portfolio/items/{item.id}/review", data={"decision": "request_changes",
                                                             "note": "Redact the hostnames."})
    assert reload(item).status == "changes_requested"
    act_as(client, people, "owner")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "Changes requested" in page and "Redact the hostnames." in page and "Submit for approval" in page
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 303
    assert reload(item).status == "submitted"


@pytest.mark.parametrize("status", ["draft", "approved", "changes_requested"])
def test_reviewing_an_item_that_is_not_submitted_is_409(client, people, status):
    item = make_item(people["owner"], status=status)
    act_as(client, people, "assigned_mentor")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"})
    assert resp.status_code == 409 and state() == before


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_submitting_twice_or_an_approved_item_is_409(client, people, status):
    item = make_item(people["owner"], status=status)
    act_as(client, people, "owner")
    before = state()
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 409
    assert state() == before


def test_unknown_decision_is_422(client, people):
    item = make_item(people["owner"], status="submitted")
    act_as(client, people, "assigned_mentor")
    before = state()
    assert client.post(f"/portfolio/items/{item.id}/review", data={"decision": "publish"}).status_code == 422
    assert state() == before


@pytest.mark.parametrize("role", ["learner", "mentor", "admin"])
def test_nobody_approves_their_own_item_whatever_their_role(client, login_as, role):
    user = login_as(role)
    item = make_item(user, status="submitted")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"})
    assert resp.status_code == 403 and "your own" in text(resp)
    assert state() == before


def test_mentor_or_admin_never_sees_their_own_items_in_the_review_list(client, login_as):
    admin = login_as("admin")
    make_item(admin, title="Admin's own item", status="submitted")
    assert "Admin&#39;s own item" not in text(client.get("/portfolio/reviews"))
    assert service.review_queue(actor_for(admin)) is not None


# ---- evidence safety ----------------------------------------------------------------------------------------------

def test_submit_with_a_secret_in_the_summary_is_422_listing_it_with_a_checkbox(client, people):
    item = make_item(people["owner"], summary="We pivoted via 10.20.30.40 using password=Winter2024!")
    act_as(client, people, "owner")
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}/submit")
    page = text(resp)
    assert resp.status_code == 422
    assert "Private IP address" in page and "Password or secret" in page and "summary, line 1" in page
    assert "10.20.30.40" not in page.split("<textarea")[0] and "Winter2024" not in page.split("<textarea")[0]
    assert page.count("I have redacted this / it is safe to share") == 2
    assert state() == before


def test_confirming_each_finding_stores_the_fingerprints_and_lets_the_submission_pass(client, people):
    item = make_item(people["owner"], summary="Pivot via 10.20.30.40, mail ana@example.com")
    act_as(client, people, "owner")
    ip, mail = fingerprint("private_ip", "10.20.30.40"), fingerprint("email", "ana@example.com")
    resp = client.post(f"/portfolio/items/{item.id}/submit", data={"confirm": [ip]})
    assert resp.status_code == 422 and "E-mail address" in text(resp) and "Private IP" not in text(resp)
    assert reload(item).confirmed_findings == [ip] and reload(item).status == "draft"
    resp = client.post(f"/portfolio/items/{item.id}/submit", data={"confirm": [mail, "made-up"]})
    assert resp.status_code == 303
    item = reload(item)
    assert item.status == "submitted" and item.confirmed_findings == [ip, mail]


def test_findings_fragment_for_htmx(client, people):
    item = make_item(people["owner"], summary="host db01.corp")
    act_as(client, people, "owner")
    resp = client.post(f"/portfolio/items/{item.id}/submit", headers=hx(target="item-findings"))
    body = text(resp).strip()
    assert resp.status_code == 422 and body.startswith('<section id="item-findings"') and "<html" not in body
    assert "Internal host name" in body


def test_text_evidence_is_scanned_through_storage(client, people, store):
    act_as(client, people, "owner")
    key = upload(client, name="loot.txt", data=b"notes\nAWS key AKIAIOSFODNN7EXAMPLE\n")
    pdf = upload(client, name="r.pdf", data=b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>"
                                          b"\n%%EOF\n password=notscanned")
    client.post("/portfolio/items", data={"title": "Evidence", "item_type": "lab_report", "file_keys": [key, pdf]})
    item = db.session.scalar(select(PortfolioItem))
    findings = service.scan_item(item)
    assert [(f.kind, f.location) for f in findings] == [("aws_access_key", "loot.txt, line 2")]
    resp = client.post(f"/portfolio/items/{item.id}/submit")
    assert resp.status_code == 422 and "AWS access key id" in text(resp) and "loot.txt, line 2" in text(resp)


def test_scan_reads_at_most_one_mebibyte_of_a_text_file(client, people, store, monkeypatch):
    monkeypatch.setattr(service, "SCAN_MAX_BYTES", 64)
    act_as(client, people, "owner")
    key = upload(client, name="big.txt", data=b"a" * 100 + b" 10.0.0.1\n")
    client.post("/portfolio/items", data={"title": "Big", "item_type": "lab_report", "file_keys": [key]})
    assert service.scan_item(db.session.scalar(select(PortfolioItem))) == []


def test_service_refusals_raise_domain_errors(people):
    item = make_item(people["owner"], status="submitted")
    owner, other = actor_for(people["owner"]), actor_for(people["other_learner"])
    with pytest.raises(Forbidden):
        service.update_item(other, item, {"title": "x"})
    with pytest.raises(Forbidden):
        service.review_item(owner, item, "approve")
    with pytest.raises(Invalid):
        service.update_item(owner, item, {"item_type": "poem"})
    with pytest.raises(Conflict):
        service.submit_item(owner, item)


def _seen(page: str) -> str:
    """The submission the review form was rendered for (its hidden `seen` field)."""
    match = re.search(r'name="seen"[^>]*value="([^"]*)"', page) or re.search(r'value="([^"]*)"[^>]*name="seen"', page)
    assert match, "the review form carries the submission it shows"
    return match.group(1)


@pytest.mark.parametrize("decision", ["approve", "request_changes"])
def test_a_decision_on_a_page_opened_before_a_resubmission_is_409_and_decides_nothing(client, people, decision):
    item = make_item(people["owner"], title="First version", summary="What the mentor read.")
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 303
    act_as(client, people, "assigned_mentor")
    seen = _seen(client.get(f"/portfolio/items/{item.id}").get_data(as_text=True))
    # Meanwhile the learner changes the item and submits it again.
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}", data={"title": "Second version", "item_type": "writeup",
                                                            "summary": "Not what the mentor read."}).status_code == 303
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 303
    before = state()
    act_as(client, people, "assigned_mentor")
    resp = client.post(f"/portfolio/items/{item.id}/review",
                       data={"decision": decision, "note": "Looks right.", "seen": seen})
    assert resp.status_code == 409
    assert "submitted this item again after you opened it" in text(resp)
    assert state() == before and reload(item).status == "submitted"
    # Opened again, the page shows the new submission, and the decision counts.
    seen = _seen(client.get(f"/portfolio/items/{item.id}").get_data(as_text=True))
    resp = client.post(f"/portfolio/items/{item.id}/review",
                       data={"decision": decision, "note": "Looks right.", "seen": seen})
    assert resp.status_code == 303
    assert reload(item).status == ("approved" if decision == "approve" else "changes_requested")


def test_a_resubmission_landing_between_the_read_and_the_write_is_not_decided_unseen(people, app):
    """The decision is written only while the item is still the submission the request read."""
    item = make_item(people["owner"], title="First", summary="s", status="submitted")
    mentor = actor_for(people["assigned_mentor"])
    read = db.session.get(PortfolioItem, item.id)
    read_at = read.submitted_at
    # Another request resubmits the item after this one read it.
    later = (read_at or datetime.now(timezone.utc)) + timedelta(seconds=5)
    db.session.execute(PortfolioItem.__table__.update().where(PortfolioItem.id == item.id)
                       .values(submitted_at=later))
    db.session.commit()
    set_committed_value(read, "submitted_at", read_at)   # this request still holds what it read
    with pytest.raises(Conflict, match="submitted this item again"):
        service.review_item(mentor, read, "approve", "ok")
    assert reload(item).status == "submitted" and transitions(item) == []
