"""Managing items through the pages: list and filters (page and fragment), create, edit, preview, evidence,
delete, the detail page with its history."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import hx
from tests.factories import make_capstone, make_item, make_mission
from webapp.extensions import db
from webapp.models import MissionAttempt, PortfolioItem, PortfolioTransition, StoredFile

from .helpers import act_as, state, text, upload


def create(client, **fields):
    data = {"title": "Ransomware triage write-up", "item_type": "writeup", "summary": "What I did.",
            "skill_tags": "Log analysis, Incident triage", "visibility": "private"}
    data.update(fields)
    return client.post("/portfolio/items", data=data)


def only_item() -> PortfolioItem:
    db.session.expire_all()
    return db.session.scalar(select(PortfolioItem))


# ---- list and filters -----------------------------------------------------------------------------------------

def test_portfolio_list_filters_by_type_status_and_visibility(client, people):
    owner = people["owner"]
    make_item(owner, title="Draft writeup", item_type="writeup")
    make_item(owner, title="Approved script", item_type="script_tool", status="approved", visibility="public")
    make_item(owner, title="Submitted brief", item_type="leadership_brief", status="submitted", visibility="unlisted")
    make_item(people["other_learner"], title="Someone else's")
    act_as(client, people, "owner")
    page = text(client.get("/portfolio"))
    assert "3 items" in page and "Draft writeup" in page and "Someone else" not in page
    assert "Approved script" not in text(client.get("/portfolio?item_type=writeup"))
    page = text(client.get("/portfolio?status=approved"))
    assert "Approved script" in page and "Draft writeup" not in page
    page = text(client.get("/portfolio?visibility=unlisted"))
    assert "Submitted brief" in page and "1 item matches" in page


def test_portfolio_list_is_a_page_without_htmx_and_the_list_fragment_for_its_target(client, people):
    make_item(people["owner"], title="Draft writeup")
    act_as(client, people, "owner")
    full = client.get("/portfolio?item_type=writeup")
    assert "<html" in text(full) and 'id="portfolio-list"' in text(full)
    frag = client.get("/portfolio?item_type=writeup", headers=hx(target="portfolio-list"))
    body = text(frag).strip()
    assert frag.status_code == 200 and "<html" not in body
    assert body.startswith('<section id="portfolio-list"') and body.endswith("</section>")
    assert "Draft writeup" in body
    assert "HX-Request" in frag.headers["Vary"]
    # A history restore gets the whole page.
    restore = client.get("/portfolio", headers=hx(target="portfolio-list", **{"HX-History-Restore-Request": "true"}))
    assert "<html" in text(restore)


def test_portfolio_list_with_unknown_type_status_or_visibility_is_422_naming_the_choices(client, people):
    act_as(client, people, "owner")
    for query, word in (("item_type=poem", "poem"), ("status=published", "published"), ("visibility=secret", "secret")):
        resp = client.get(f"/portfolio?{query}")
        assert resp.status_code == 422
        assert "Unknown" in text(resp) and word in text(resp)


def test_mentor_sees_the_review_section_with_the_count(client, people):
    make_item(people["owner"], title="Please review", status="submitted")
    act_as(client, people, "assigned_mentor")
    page = text(client.get("/portfolio"))
    assert "Review portfolio items" in page and "<strong>1</strong> item" in page
    reviews = client.get("/portfolio/reviews")
    assert reviews.status_code == 200 and "Please review" in text(reviews) and "Lea Learner" in text(reviews)
    act_as(client, people, "unassigned_mentor")
    assert "Please review" not in text(client.get("/portfolio/reviews"))
    act_as(client, people, "owner")
    assert "Review portfolio items" not in text(client.get("/portfolio"))
    assert client.get("/portfolio/reviews").status_code == 403


# ---- create and edit --------------------------------------------------------------------------------------------

def test_new_item_page_suggests_catalogue_skills_and_offers_links_to_own_work(client, people):
    mission = make_mission(title="Night Shift", skills=["Memory forensics", "Log analysis"])
    other = make_mission(title="Other Mission")
    db.session.add(MissionAttempt(learner_id=people["owner"].id, mission_id=mission.id))
    db.session.commit()
    make_capstone(people["other_learner"], other)
    act_as(client, people, "owner")
    page = text(client.get("/portfolio/items/new"))
    assert '<datalist id="skill-suggestions">' in page and '<option value="Memory forensics">' in page
    assert ">Night Shift</option>" in page and "Other Mission" not in page
    assert 'name="file_keys"' not in page or "Attach" in page
    assert 'hx-target="#item-new-evidence"' in page


def test_create_item_with_evidence_attaches_the_upload_and_records_the_transition(client, people, store):
    act_as(client, people, "owner")
    key = upload(client)
    resp = create(client, file_keys=[key])
    assert resp.status_code == 303
    item = only_item()
    assert resp.headers["Location"].endswith(f"/portfolio/items/{item.id}")
    assert (item.title, item.item_type, item.status, item.visibility) == (
        "Ransomware triage write-up", "writeup", "draft", "private")
    assert item.skill_tags == ["Log analysis", "Incident triage"]
    assert [e["key"] for e in item.evidence_files] == [key] and item.evidence_files[0]["filename"] == "notes.md"
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == key))
    assert row.portfolio_item_id == item.id and row.attached_at is not None
    t = db.session.scalar(select(PortfolioTransition))
    assert (t.from_status, t.to_status, t.actor_id) == (None, "draft", people["owner"].id)
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "notes.md" in page and "History" in page and "Lea Learner" in page


def test_create_item_links_only_own_missions_and_capstones(client, people):
    mine = make_mission()
    theirs = make_mission()
    cap = make_capstone(people["other_learner"], theirs)
    db.session.add(MissionAttempt(learner_id=people["owner"].id, mission_id=mine.id))
    db.session.commit()
    act_as(client, people, "owner")
    before = state()
    assert create(client, mission_id=str(theirs.id)).status_code == 422
    assert create(client, capstone_id=str(cap.id)).status_code == 422
    assert state() == before
    assert create(client, mission_id=str(mine.id)).status_code == 303
    assert only_item().mission_id == mine.id


def test_create_item_with_another_users_upload_is_refused_and_leaves_nothing(client, people, store):
    act_as(client, people, "other_learner")
    key = upload(client)
    act_as(client, people, "owner")
    before = state()
    resp = create(client, file_keys=[key])
    assert resp.status_code == 422 and "upload them again" in text(resp)
    assert state() == before


def test_create_item_with_unknown_type_or_visibility_or_no_title_is_422(client, people):
    act_as(client, people, "owner")
    for fields in ({"item_type": "poem"}, {"visibility": "secret"}, {"title": ""}, {"title": "x" * 201},
                   {"skill_tags": ", ".join(f"t{i}" for i in range(25))}):
        resp = create(client, **fields)
        assert resp.status_code == 422, fields
        assert 'class="error"' in text(resp)
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_script_in_title_and_summary_is_rendered_inert(client, people):
    act_as(client, people, "owner")
    create(client, title='<script>alert("t")</script>', summary='Hi <script>alert(1)</script> '
           '[x](javascript:alert(2)) <img src=x onerror=alert(3)>')
    item = only_item()
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert "javascript:alert" not in page.replace("&lt;", "<").split("<textarea")[0]
    assert "<img src=x" not in page and "onerror=alert(3)>" not in page.split("<textarea")[0]


def test_preview_renders_sanitised_markdown_as_a_fragment(client, people):
    act_as(client, people, "owner")
    resp = client.post("/portfolio/preview", data={"summary": "**bold** <script>x()</script>"},
                       headers=hx(target="item-preview"))
    body = text(resp).strip()
    assert resp.status_code == 200 and body.startswith('<div id="item-preview"')
    assert "<strong>bold</strong>" in body and "<script>" not in body and "<html" not in body


def test_edit_item_changes_fields_and_attaches_new_evidence(client, people, store):
    item = make_item(people["owner"], title="Old", summary="old")
    act_as(client, people, "owner")
    key = upload(client)
    resp = client.post(f"/portfolio/items/{item.id}", data={"title": "New title", "item_type": "lab_report",
                                                             "summary": "new", "skill_tags": "a, b, A",
                                                             "file_keys": [key]})
    assert resp.status_code == 303
    item = only_item()
    assert (item.title, item.item_type, item.summary, item.skill_tags) == ("New title", "lab_report", "new", ["a", "b"])
    assert [e["key"] for e in item.evidence_files] == [key]


def test_editing_an_approved_items_content_returns_it_to_draft_and_off_the_public_page(client, people):
    item = make_item(people["owner"], title="Shown", status="approved", visibility="public")
    act_as(client, people, "owner")
    resp = client.post(f"/portfolio/items/{item.id}", data={"title": "Shown, edited", "item_type": "writeup",
                                                             "summary": ""})
    assert resp.status_code == 303
    item = only_item()
    assert item.status == "draft" and item.visibility == "public"
    t = db.session.scalars(select(PortfolioTransition)).all()[-1]
    assert (t.from_status, t.to_status) == ("approved", "draft") and "after approval" in t.note
    act_as(client, people, "anonymous")
    assert "Shown" not in text(client.get("/p/lea"))


def test_saving_an_approved_item_unchanged_keeps_it_approved(client, people):
    item = make_item(people["owner"], title="Shown", summary="s", status="approved", visibility="public")
    act_as(client, people, "owner")
    client.post(f"/portfolio/items/{item.id}", data={"title": "Shown", "item_type": "writeup", "summary": "s",
                                                      "skill_tags": ""})
    assert only_item().status == "approved"


def test_remove_evidence_deletes_the_file_and_its_object(client, people, store):
    act_as(client, people, "owner")
    key = upload(client)
    create(client, file_keys=[key])
    item = only_item()
    assert store.exists(key)
    resp = client.post(f"/portfolio/items/{item.id}/evidence/remove", data={"key": key},
                       headers=hx(target="item-evidence"))
    assert resp.status_code == 200 and text(resp).strip().startswith('<section id="item-evidence"')
    assert only_item().evidence_files == [] and not store.exists(key)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_delete_item_deletes_its_files_and_stored_objects(client, people, store):
    act_as(client, people, "owner")
    keys = [upload(client, name=f"n{i}.md") for i in range(2)]
    create(client, file_keys=keys)
    item = only_item()
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert 'data-confirm="Delete' in page
    resp = client.post(f"/portfolio/items/{item.id}/delete")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/portfolio")
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert db.session.scalar(select(func.count()).select_from(PortfolioTransition)) == 0
    assert store.keys() == []


def test_item_page_of_an_unknown_id_is_404(client, people):
    act_as(client, people, "owner")
    assert client.get("/portfolio/items/999999").status_code == 404


def test_without_javascript_a_plain_upload_is_offered_as_a_ticked_checkbox_on_the_form(client, people, store):
    import io

    act_as(client, people, "owner")
    page = text(client.get("/portfolio/items/new"))
    assert '<input type="hidden" name="uploaded_for" value="portfolio">' in page
    resp = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(b"plain notes\n"), "plain.txt"),
                                       "uploaded_for": "portfolio"},
                       content_type="multipart/form-data",
                       headers={"Referer": "http://mastery.test/portfolio/items/new"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/portfolio/items/new")
    key = db.session.scalar(select(StoredFile.key))
    page = text(client.get("/portfolio/items/new"))
    assert f'<input type="checkbox" name="file_keys" value="{key}" checked>' in page and "plain.txt" in page
    create(client, file_keys=[key])
    assert [e["key"] for e in only_item().evidence_files] == [key]
    assert f'value="{key}" checked' not in text(client.get("/portfolio/items/new"))


def test_evidence_left_unsaved_on_a_capstone_is_not_offered_on_the_portfolio_form(client, people, store):
    import io

    act_as(client, people, "owner")
    resp = client.post("/files", data={"kind": "evidence", "file": (io.BytesIO(b"capstone notes\n"), "cap.txt"),
                                       "uploaded_for": "capstone:1:investigation_artifacts"},
                       content_type="multipart/form-data")
    assert resp.status_code == 303
    key = db.session.scalar(select(StoredFile.key))
    assert f'value="{key}"' not in text(client.get("/portfolio/items/new"))
