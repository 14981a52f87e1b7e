"""The public page an employer sees (issue #18, part 7) and redaction findings at approval (part 4).

- An approved public capstone_result's report and presentation reach ANY visitor: a recording plays inline (with its
  captions), a document downloads; the files of a private, draft or unapproved item do not (nor through a draft's
  share link, nor by a guessed key).
- The mentor's verdict is only what the approving mentor wrote for publication, rendered sanitised; the private
  review note and the capstone review's feedback never appear publicly; the approval line appears once.
- Scores are opt-in (a per-profile switch): hidden in the HTML, the API's public view and the OpenGraph metadata.
- Website, GitHub, LinkedIn and a contact e-mail: optional, https only, shown with rel="me noopener", invalid
  input 422 beside its field with nothing saved.
- The approving mentor sees every finding the learner confirmed as safe to share; nobody else reaches that page.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from tests.factories import make_item, make_token
from tests.media_samples import sample
from webapp.domain.redaction import fingerprint
from webapp.extensions import db
from webapp.models import PortfolioItem, User
from webapp.models.base import utcnow
from webapp.services import files as files_service

from .helpers import act_as, state, text
from .test_case_study import REPORT, approve_item, approved_capstone, attach_file, edit_capstone_behind_the_back

PRIVATE_NOTE = "Private remark: the timeline was thin."
FEEDBACK = "Calm, well-argued work."          # the capstone review's written feedback (approved_capstone)


def reload(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def video_presentation(people, cap) -> tuple[str, str]:
    """A recorded video attached as the capstone's presentation, with WebVTT captions; returns (video, captions)."""
    owner = people["owner"]
    video = files_service.store_upload(owner, io.BytesIO(sample("webm-video")), "talk.webm", "video")
    files_service.attach([video.key], owner_id=cap.learner_id, field="presentation", capstone_id=cap.id)
    db.session.commit()
    captions = files_service.store_upload(owner, io.BytesIO(sample("vtt")), "talk.vtt", "captions", parent=video)
    db.session.commit()
    edit_capstone_behind_the_back(cap.id, presentation_url=f"/files/{video.key}", presentation_type="video")
    return video.key, captions.key


def case_study_with_media(people):
    cap = approved_capstone(people)
    report = attach_file(people, cap, "report_document", "report.pdf", REPORT)
    edit_capstone_behind_the_back(cap.id, report_document_url=f"/files/{report}")
    video, captions = video_presentation(people, cap)
    return cap, report, video, captions


def approve_with(client, people, item_id, **data):
    act_as(client, people, "assigned_mentor")
    resp = client.post(f"/portfolio/items/{item_id}/review", data={"decision": "approve", **data})
    act_as(client, people, "anonymous")
    return resp


def submitted_capstone_item(client, people, cap, visibility="public") -> PortfolioItem:
    act_as(client, people, "owner")
    resp = client.post("/portfolio/items", data={"title": "Night Shift capstone", "item_type": "capstone_result",
                                                 "capstone_id": str(cap.id), "visibility": visibility})
    assert resp.status_code == 303, text(resp)
    item = db.session.scalar(select(PortfolioItem).where(PortfolioItem.title == "Night Shift capstone"))
    assert client.post(f"/portfolio/items/{item.id}/submit").status_code == 303
    return item


# ---- 1. the case study's media, for any visitor ----------------------------------------------------------------

def test_anonymous_visitor_plays_the_presentation_and_downloads_the_report_of_an_approved_public_item(
        client, people, store):
    cap, report, video, captions = case_study_with_media(people)
    approve_item(client, people, cap)
    page = text(client.get("/p/lea"))
    study = re.search(r'<section class="case-study".*?</section>', page, re.S).group(0)
    # The video is a player (with its captions), not a link to a login page; the PDF is a download link.
    assert re.search(rf'<video controls[^>]*src="/files/{re.escape(video)}"', study)
    assert f'<track kind="captions" src="/files/{captions}"' in study
    assert f'<a href="/files/{report}" download>Report: report.pdf</a>' in study
    for key, body in ((video, sample("webm-video")), (captions, sample("vtt")), (report, REPORT)):
        resp = client.get(f"/files/{key}")
        assert resp.status_code == 200 and resp.data == body, key
    # Logged in as anyone at all: the same.
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{video}").status_code == 200
    assert "<video controls" in text(client.get("/p/lea"))


def test_unlisted_case_study_recording_plays_through_the_secret_link_only(client, people, store):
    cap, report, video, captions = case_study_with_media(people)
    item = approve_item(client, people, cap, visibility="unlisted")
    page = text(client.get(f"/s/{item.share_token}"))
    assert re.search(rf'<video controls[^>]*src="/s/{item.share_token}/files/{re.escape(video)}"', page)
    assert f'src="/s/{item.share_token}/files/{captions}"' in page
    for key in (video, captions, report):
        assert client.get(f"/s/{item.share_token}/files/{key}").status_code == 200, key
        # Not on the public page, so not through /files for a visitor.
        assert client.get(f"/files/{key}").status_code != 200, key


def late_captions(people, video_key: str) -> str:
    """Captions the owner adds to the presentation after the item was approved."""
    from webapp.models import StoredFile

    video = db.session.scalar(select(StoredFile).where(StoredFile.key == video_key))
    late = files_service.store_upload(people["owner"], io.BytesIO(sample("vtt")), "late.vtt", "captions",
                                      parent=video)
    db.session.commit()
    return late.key


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_captions_added_after_approval_stay_off_the_public_case_study(client, people, store, visibility):
    cap, report, video, captions = case_study_with_media(people)
    item = approve_item(client, people, cap, visibility=visibility)
    late = late_captions(people, video)
    act_as(client, people, "anonymous")
    if visibility == "public":
        page, url = text(client.get("/p/lea")), "/files/{}"
    else:
        page, url = text(client.get(f"/s/{item.share_token}")), f"/s/{item.share_token}/files/{{}}"
    # The captions the mentor saw at approval still play; the late ones are neither listed nor served.
    assert url.format(captions) in page and late not in page
    assert client.get(url.format(captions)).status_code == 200
    for refused in (client.get(url.format(late)), client.get(f"/files/{late}")):
        # A 404, or for /files the login page a visitor is sent to: never the captions.
        assert refused.status_code in (302, 403, 404) and refused.data != sample("vtt")
    # Their uploader still has them.
    act_as(client, people, "owner")
    assert client.get(f"/files/{late}").status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "other_learner", "unassigned_mentor"])
def test_presentation_of_a_draft_item_is_refused_to_visitors_with_no_content(client, people, store, who):
    cap, report, video, captions = case_study_with_media(people)
    act_as(client, people, "owner")
    resp = client.post("/portfolio/items", data={"title": "Draft capstone", "item_type": "capstone_result",
                                                 "capstone_id": str(cap.id), "visibility": "public"})
    assert resp.status_code == 303
    act_as(client, people, who)
    for key in (video, captions, report):
        resp = client.get(f"/files/{key}")
        assert resp.status_code in ((302, 401) if who == "anonymous" else (403, 404)), (key, resp.status_code)
        assert resp.data != sample("webm-video") and b"WEBVTT" not in resp.data and b"%PDF" not in resp.data
    assert "Draft capstone" not in text(client.get("/p/lea"))


def test_files_of_a_private_approved_item_and_a_guessed_key_are_refused(client, people, store):
    cap, report, video, captions = case_study_with_media(people)
    approve_item(client, people, cap, visibility="private")
    for key in (video, captions, report):
        assert client.get(f"/files/{key}").status_code in (302, 401)
    act_as(client, people, "other_learner")
    for key in (video, captions, report):
        assert client.get(f"/files/{key}").status_code == 403
    guessed = video[:-4] + ("AAAA" if not video.endswith("AAAA") else "BBBB")
    assert client.get(f"/files/{guessed}").status_code == 404


def test_draft_item_share_link_leads_nowhere_and_serves_no_file(client, people, store):
    cap, report, video, captions = case_study_with_media(people)
    item = submitted_capstone_item(client, people, cap, visibility="unlisted")
    token = reload(PortfolioItem, item.id).share_token
    assert token
    act_as(client, people, "anonymous")
    assert client.get(f"/s/{token}").status_code == 404
    for key in (video, captions, report):
        resp = client.get(f"/s/{token}/files/{key}")
        assert resp.status_code == 404 and b"WEBVTT" not in resp.data and b"%PDF" not in resp.data


# ---- 2. the mentor's verdict: only what was written for publication -------------------------------------------

def test_public_note_is_the_verdict_and_private_words_never_appear_publicly(client, people, store):
    cap = approved_capstone(people)
    item = submitted_capstone_item(client, people, cap)
    resp = approve_with(client, people, item.id, note=PRIVATE_NOTE,
                        public_note="**Solid** containment. <script>alert('x')</script> [me](javascript:alert(1))")
    assert resp.status_code == 303
    assert reload(PortfolioItem, item.id).public_note.startswith("**Solid**")
    mentor = people["assigned_mentor"].display_name
    page = text(client.get("/p/lea"))
    card = re.search(rf'<article class="public-item" id="item-{item.id}">.*?</article>', page, re.S).group(0)
    assert "Mentor verdict" in card and "<strong>Solid</strong> containment." in card
    # Inert: no script element, no javascript: link.
    assert "<script>alert" not in page and 'href="javascript:' not in page.lower()
    assert PRIVATE_NOTE not in page and FEEDBACK not in page
    assert card.count(f"Approved by {mentor}") == 1 and card.count("Approved by") == 1
    # The API's public view: the verdict, never the private note.
    body = client.get("/api/v1/users/lea/portfolio").get_json()
    (public,) = body["items"]
    assert public["public_note"].startswith("**Solid**") and public["review_note"] == ""
    assert PRIVATE_NOTE not in json.dumps(body) and FEEDBACK not in json.dumps(body)


def test_unlisted_item_shows_the_public_note_through_its_link_without_private_words(client, people, store):
    cap = approved_capstone(people)
    item = submitted_capstone_item(client, people, cap, visibility="unlisted")
    assert approve_with(client, people, item.id, note=PRIVATE_NOTE, public_note="Clear *reasoning*.").status_code == 303
    page = text(client.get(f"/s/{reload(PortfolioItem, item.id).share_token}"))
    assert "<em>reasoning</em>" in page and PRIVATE_NOTE not in page and FEEDBACK not in page
    assert page.count("Approved by") == 1


def test_empty_public_note_shows_no_verdict_only_the_approval_line(client, people, store):
    cap = approved_capstone(people)
    item = submitted_capstone_item(client, people, cap)
    assert approve_with(client, people, item.id, note=PRIVATE_NOTE).status_code == 303
    page = text(client.get("/p/lea"))
    assert "Mentor verdict" not in page and PRIVATE_NOTE not in page and FEEDBACK not in page
    assert page.count("Approved by " + people["assigned_mentor"].display_name) == 1


def test_oversized_public_note_is_422_beside_the_field_and_decides_nothing(client, people):
    item = make_item(people["owner"], title="Write-up", status="submitted", visibility="public",
                     submitted_at=utcnow())
    before = state()
    act_as(client, people, "assigned_mentor")
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve", "public_note": "x" * 5001})
    assert resp.status_code == 422
    assert re.search(r'id="public_note-error">[^<]*5000', text(resp))
    assert state() == before


@pytest.mark.parametrize("who", ["anonymous", "owner", "other_learner", "unassigned_mentor"])
def test_only_the_owners_mentor_writes_a_public_note(client, people, who):
    item = make_item(people["owner"], title="Write-up", status="submitted", visibility="public",
                     submitted_at=utcnow())
    before = state()
    act_as(client, people, who)
    resp = client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve", "public_note": "Great!"})
    assert resp.status_code in ((302, 401) if who == "anonymous" else (403, 404))
    assert state() == before and reload(PortfolioItem, item.id).public_note == ""


def test_api_review_takes_a_public_note_and_the_owner_view_shows_it(client, people):
    item = make_item(people["owner"], title="Write-up", status="submitted", visibility="public",
                     submitted_at=utcnow())
    _, secret = make_token(people["assigned_mentor"])
    resp = client.post(f"/api/v1/portfolio-items/{item.id}/review", headers={"Authorization": f"Bearer {secret}"},
                       json={"decision": "approve", "note": PRIVATE_NOTE, "public_note": "Well done."})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["public_note"] == "Well done." and resp.get_json()["review_note"] == PRIVATE_NOTE
    page = text(client.get("/p/lea"))
    assert "Well done." in page and PRIVATE_NOTE not in page
    # The owner's item page says what the public page shows of the mentor.
    act_as(client, people, "owner")
    own = text(client.get(f"/portfolio/items/{item.id}"))
    assert "public note, shown on your public page" in own and "Well done." in own


# ---- 3. scores are opt-in -------------------------------------------------------------------------------------------

def _og_description(page: str) -> str:
    return re.search(r'<meta property="og:description" content="([^"]*)"', page).group(1)


def test_scores_are_hidden_by_default_in_the_page_the_api_and_the_metadata(client, people, store):
    cap = approved_capstone(people)
    approve_item(client, people, cap)
    page = text(client.get("/p/lea"))
    assert "88/100" not in page and "/100" not in page and "Rubric scores" not in page and "Score</th>" not in page
    assert "87" not in _og_description(page)
    body = client.get("/api/v1/users/lea/portfolio").get_json()
    assert body["capstones"] and all("score" not in c for c in body["capstones"])
    assert "87.5" not in json.dumps(body)
    # Still a verifiable claim: the capstone is named as approved.
    assert "Night Shift" in page and "approved by a mentor" in page


def test_scores_show_once_the_learner_opts_in_on_the_account_page(client, people, store):
    cap = approved_capstone(people)
    approve_item(client, people, cap)
    owner = people["owner"]
    act_as(client, people, "owner")
    resp = client.post("/account/profile", data={"display_name": owner.display_name, "handle": owner.handle,
                                                 "bio": owner.bio, "show_scores": "y"})
    assert resp.status_code == 303 and reload(User, owner.id).show_scores is True
    act_as(client, people, "anonymous")
    page = text(client.get("/p/lea"))
    assert "88/100" in page and "Rubric scores" in page              # 87.50 stored, shown as a whole number
    assert "88/100" in _og_description(page)
    (cap_json,) = client.get("/api/v1/users/lea/portfolio").get_json()["capstones"]
    assert cap_json["score"] == 87.5


def test_unlisted_item_hides_scores_unless_the_owner_shows_them(client, people, store):
    cap = approved_capstone(people)
    item = approve_item(client, people, cap, visibility="unlisted")
    assert "/100" not in text(client.get(f"/s/{item.share_token}"))
    reload(User, people["owner"].id).show_scores = True
    db.session.commit()
    assert re.search(r"88(<span>)?/100", text(client.get(f"/s/{item.share_token}")))


# ---- 4. links and contact -----------------------------------------------------------------------------------------

def profile_post(client, owner, **links):
    data = {"display_name": owner.display_name, "handle": owner.handle, "bio": owner.bio}
    return client.post("/account/profile", data=data | links)


def test_profile_links_are_saved_and_shown_with_rel_me_noopener(client, people):
    owner = people["owner"]
    act_as(client, people, "owner")
    resp = profile_post(client, owner, website_url="https://lea.example.org/", github_url="https://github.com/lea",
                        linkedin_url="https://www.linkedin.com/in/lea", contact_email="lea@example.org")
    assert resp.status_code == 303
    saved = reload(User, owner.id)
    assert (saved.website_url, saved.github_url, saved.linkedin_url, saved.contact_email) == (
        "https://lea.example.org/", "https://github.com/lea", "https://www.linkedin.com/in/lea", "lea@example.org")
    act_as(client, people, "anonymous")
    page = text(client.get("/p/lea"))
    for href in ("https://lea.example.org/", "https://github.com/lea", "https://www.linkedin.com/in/lea",
                 "mailto:lea@example.org"):
        assert f'<a href="{href}" rel="me noopener">' in page, href
    links = client.get("/api/v1/users/lea/portfolio").get_json()["links"]
    assert [link["label"] for link in links] == ["Website", "GitHub", "LinkedIn", "E-mail"]
    # Never required: clearing them saves and the page shows none.
    act_as(client, people, "owner")
    resp = profile_post(client, owner, website_url="", github_url="", linkedin_url="", contact_email="")
    assert resp.status_code == 303
    assert reload(User, owner.id).website_url is None
    act_as(client, people, "anonymous")
    assert 'rel="me noopener"' not in text(client.get("/p/lea"))


@pytest.mark.parametrize("field, value, message", [
    ("website_url", "javascript:alert(1)", "https://"),
    ("website_url", "JaVaScRiPt:alert(document.cookie)", "https://"),
    ("website_url", "http://lea.example.org", "https://"),
    ("website_url", "data:text/html,<script>alert(1)</script>", "https://"),
    ("website_url", "https://user:pw@lea.example.org", "https://"),
    ("website_url", "https://" + "a" * 300 + ".org", "300"),
    ("website_url", 'https://x.org/"onmouseover="alert(1)', "https://"),
    ("github_url", "https://evil.example/github.com/lea", "github.com"),
    ("linkedin_url", "https://linkedin.com.evil.example/in/lea", "linkedin.com"),
    ("contact_email", "not-an-email", "you@example.org"),
    ("contact_email", "lea@localhost", "you@example.org"),
    ("contact_email", "lea@example.org<script>", "you@example.org"),
    ("contact_email", "a" * 250 + "@example.org", "you@example.org"),
])
def test_invalid_profile_link_is_422_beside_the_field_and_saves_nothing(client, people, field, value, message):
    owner = people["owner"]
    act_as(client, people, "owner")
    resp = profile_post(client, owner, **{field: value, "display_name": "Changed Name"})
    page = text(resp)
    assert resp.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1), page[page.find(field):][:400]
    saved = reload(User, owner.id)
    assert getattr(saved, field) is None and saved.display_name == owner.display_name


def test_profile_links_need_a_logged_in_user_and_csrf(client, raw_client, people):
    act_as(client, people, "anonymous")
    assert client.post("/account/profile", data={"website_url": "https://x.org"}).status_code in (302, 401)
    act_as(raw_client, people, "owner")
    resp = raw_client.post("/account/profile", data={"display_name": "L", "handle": "lea",
                                                     "website_url": "https://x.org"})
    assert resp.status_code == 400 and reload(User, people["owner"].id).website_url is None


# ---- 5. print ------------------------------------------------------------------------------------------------------

def test_public_page_prints_with_page_margins_and_no_navigation(client, app):
    css = (app.static_folder and open(f"{app.static_folder}/css/app.css", encoding="utf-8").read())
    assert re.search(r"@page\s*\{[^}]*margin", css)
    block = css[css.index("/* ---- Public case study"):]
    assert ".site-header" in block and ".case-study-player video" in block


# ---- 6. redaction findings at approval --------------------------------------------------------------------------

def test_approving_mentor_sees_every_finding_the_learner_confirmed(client, people):
    item = make_item(people["owner"], title="Pivot write-up", summary="Pivot via 10.20.30.40, mail ana@example.com")
    ip, mail = fingerprint("private_ip", "10.20.30.40"), fingerprint("email", "ana@example.com")
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}/submit", data={"confirm": [ip, mail]}).status_code == 303
    act_as(client, people, "assigned_mentor")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    section = re.search(r'<section id="item-confirmed-findings".*?</section>', page, re.S).group(0)
    assert "Confirmed as safe to share by the learner" in section
    assert "Private IP address" in section and "E-mail address" in section and section.count('class="finding"') == 2
    assert "summary, line 1" in section
    # The owner's own page has no such panel; neither has an approved item's page.
    act_as(client, people, "owner")
    assert "item-confirmed-findings" not in text(client.get(f"/portfolio/items/{item.id}"))


def test_mentor_sees_a_confirmed_finding_in_text_evidence(client, people, store):
    from .helpers import upload
    act_as(client, people, "owner")
    key = upload(client, name="loot.txt", data=b"notes\nAWS key AKIAIOSFODNN7EXAMPLE\n")
    resp = client.post("/portfolio/items", data={"title": "Cloud lab", "item_type": "lab_report",
                                                 "file_keys": key, "visibility": "public"})
    item = db.session.scalar(select(PortfolioItem).where(PortfolioItem.title == "Cloud lab"))
    resp = client.post(f"/portfolio/items/{item.id}/submit")
    assert resp.status_code == 422
    fps = re.findall(r'name="confirm" value="([0-9a-f]+)"', text(resp))
    assert fps and client.post(f"/portfolio/items/{item.id}/submit", data={"confirm": fps}).status_code == 303
    act_as(client, people, "assigned_mentor")
    section = re.search(r'<section id="item-confirmed-findings".*?</section>', text(
        client.get(f"/portfolio/items/{item.id}")), re.S).group(0)
    assert "loot.txt, line 2" in section and "AKIAIOSFODNN7EXAMPLE" not in section


@pytest.mark.parametrize("who, status", [("anonymous", (302, 401)), ("other_learner", (404,)),
                                         ("unassigned_mentor", (404,))])
def test_nobody_else_reaches_the_review_page_with_the_findings(client, people, who, status):
    item = make_item(people["owner"], summary="Pivot via 10.20.30.40")
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}/submit",
                       data={"confirm": [fingerprint("private_ip", "10.20.30.40")]}).status_code == 303
    act_as(client, people, who)
    resp = client.get(f"/portfolio/items/{item.id}")
    assert resp.status_code in status and "Private IP address" not in text(resp)
    assert "10.20.30" not in text(resp)
