"""What visitors see: /p/<handle> (approved public items only, cacheable for anonymous visitors, a fixed
number of queries), /s/<token> (one approved item behind a secret link that rotation kills), and evidence
downloads that never leak private, unapproved or archived files."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import count_queries
from tests.factories import make_capstone, make_item, make_mission, make_review
from webapp.extensions import db
from webapp.models import PortfolioItem
from webapp.models.base import utcnow

from .helpers import act_as, text, upload

PHASES = ("investigation", "decision_making", "design_remediation", "reporting", "presentation")


def evidence_item(client, people, *, status="approved", visibility="public", name="notes.md",
                  data=b"# Findings\n\nAll clear.\n", title="Evidence item"):
    """An item of the owner's with one uploaded evidence file, put straight into the given state."""
    act_as(client, people, "owner")
    key = upload(client, name=name, data=data)
    client.post("/portfolio/items", data={"title": title, "item_type": "lab_report", "file_keys": [key],
                                          "skill_tags": "Forensics"})
    item = db.session.scalar(select(PortfolioItem).where(PortfolioItem.title == title))
    item.status, item.visibility = status, visibility
    item.reviewed_by_id, item.reviewed_at = people["assigned_mentor"].id, utcnow()
    if visibility == "unlisted":
        item.share_token = f"tok-{item.id}-abcdefghijklmnopqrstuvwxyz012345"
    db.session.commit()
    act_as(client, people, "anonymous")
    return item, key


# ---- /p/<handle> ----------------------------------------------------------------------------------------------------

def test_public_page_shows_only_approved_public_items_grouped_with_tags_and_who_approved(client, people):
    owner = people["owner"]
    mentor = people["assigned_mentor"]
    make_item(owner, title="Public script", item_type="script_tool", status="approved", visibility="public",
              skill_tags=["Python", "Automation"], reviewed_by_id=mentor.id, reviewed_at=utcnow())
    make_item(owner, title="Public brief", item_type="leadership_brief", status="approved", visibility="public",
              skill_tags=["Python"])
    make_item(owner, title="Unlisted one", status="approved", visibility="unlisted", skill_tags=["Hidden skill"])
    make_item(owner, title="Private one", status="approved", visibility="private")
    make_item(owner, title="Draft public", status="draft", visibility="public", skill_tags=["Unbacked"])
    make_item(owner, title="Submitted public", status="submitted", visibility="public")
    make_item(owner, title="Changes public", status="changes_requested", visibility="public")
    resp = client.get("/p/lea")
    page = text(resp)
    assert resp.status_code == 200
    assert "Lea Learner" in page and "<strong>SOC</strong>" in page
    assert "Public script" in page and "Public brief" in page
    for hidden in ("Unlisted one", "Private one", "Draft public", "Submitted public", "Changes public",
                   "Hidden skill", "Unbacked"):
        assert hidden not in page, hidden
    assert page.index('id="group-script_tool"') < page.index('id="group-leadership_brief"')
    assert f"Approved by {mentor.display_name}" in page
    skills = re.search(r'id="skills-h".*?</section>', page, re.S).group(0)
    assert skills.index("Python") < skills.index("Automation")


def test_public_page_carries_opengraph_and_twitter_metadata(client, people):
    make_item(people["owner"], title="Shown", status="approved", visibility="public")
    page = text(client.get("/p/lea"))
    assert '<meta property="og:title" content="Lea Learner — Mastery Tracks portfolio">' in page
    assert '<meta property="og:type" content="profile">' in page
    assert '<meta property="og:url" content="http://mastery.test/p/lea">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    assert '<meta property="og:description" content="Blue teamer. SOC analyst.">' in page
    assert page.count('name="description"') == 1


def test_public_page_for_anonymous_visitors_is_cacheable_and_sets_no_cookie(client, people):
    resp = client.get("/p/lea")
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("who", ["owner", "other_learner", "admin"])
def test_public_page_viewed_logged_in_is_never_cached(client, people, who):
    act_as(client, people, who)
    resp = client.get("/p/lea")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert ("This is your public page" in text(resp)) == (who == "owner")


def test_unknown_handle_is_a_404_page(client):
    resp = client.get("/p/nobody-here")
    assert resp.status_code == 404 and "<html" in text(resp) and "no portfolio at this address" in text(resp)
    assert "public" not in resp.headers.get("Cache-Control", "")


def test_public_page_query_count_is_the_same_for_5_and_500_items(client, people):
    owner = people["owner"]
    mission = make_mission(tier="mastery", track="grc")
    cap = make_capstone(owner, mission, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("88.5"),
                        mentor_reviewed_at=utcnow())
    make_review(people["assigned_mentor"], cap, status="submitted", rubric_scores={"containment": 3})

    def add(n):
        db.session.add_all([PortfolioItem(owner_id=owner.id, title=f"Item {i}",
                                          item_type=("capstone_result" if i % 5 == 0 else "writeup"),
                                          capstone_id=cap.id if i % 5 == 0 else None, status="approved",
                                          visibility="public", skill_tags=[f"skill {i % 7}"],
                                          reviewed_by_id=people["assigned_mentor"].id if i % 2 else people["admin"].id,
                                          reviewed_at=utcnow(), evidence_files=[
                                              {"key": f"files/evidence/2026/11/k{i}", "filename": "a.pdf",
                                               "content_type": "application/pdf", "size": 10}])
                            for i in range(n)])
        db.session.commit()

    add(5)
    db.session.expire_all()
    with count_queries() as small:
        assert client.get("/p/lea").status_code == 200
    add(495)
    db.session.expire_all()
    with count_queries() as large:
        resp = client.get("/p/lea")
    assert resp.status_code == 200 and text(resp).count('class="public-item"') == 500
    assert large.count == small.count, (small.statements, large.statements)


# ---- evidence downloads ---------------------------------------------------------------------------------------------

def test_visitor_downloads_evidence_of_an_approved_public_item(client, people, store):
    item, key = evidence_item(client, people)
    page = text(client.get("/p/lea"))
    assert f'href="/files/{key}"' in page and "notes.md" in page
    resp = client.get(f"/files/{key}")
    assert resp.status_code == 200 and resp.get_data() == b"# Findings\n\nAll clear.\n"
    assert "attachment" in resp.headers["Content-Disposition"]


@pytest.mark.parametrize("status, visibility", [("approved", "private"), ("approved", "unlisted"),
                                                ("draft", "public"), ("submitted", "public"),
                                                ("changes_requested", "public")])
def test_evidence_of_a_private_unlisted_or_unapproved_item_never_downloads_for_a_visitor(
        client, people, store, status, visibility):
    item, key = evidence_item(client, people, status=status, visibility=visibility)
    assert key not in text(client.get("/p/lea"))
    resp = client.get(f"/files/{key}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    act_as(client, people, "other_learner")
    assert client.get(f"/files/{key}").status_code == 403
    act_as(client, people, "assigned_mentor")
    assert client.get(f"/files/{key}").status_code == 200


def test_zip_evidence_is_never_offered_or_served_to_visitors(client, people, store):
    from tests.media_samples import sample

    item, key = evidence_item(client, people, name="tools.zip", data=sample("zip"))
    assert "tools.zip" not in text(client.get("/p/lea"))
    assert client.get(f"/files/{key}").status_code == 302
    act_as(client, people, "owner")
    assert client.get(f"/files/{key}").status_code == 200


def test_visitor_guessing_file_keys_or_item_ids_gets_nothing(client, people, store):
    item, key = evidence_item(client, people, status="draft", visibility="private")
    for path in (f"/files/{key}x", "/files/files/evidence/2026/11/guess", "/files/../etc/passwd"):
        assert client.get(path).status_code in (302, 404)
    assert client.get(f"/portfolio/items/{item.id}").status_code == 302
    act_as(client, people, "other_learner")
    assert client.get(f"/portfolio/items/{item.id}").status_code == 404
    assert client.get(f"/portfolio/items/{item.id + 1000}").status_code == 404


# ---- /s/<token> -----------------------------------------------------------------------------------------------------

def test_unlisted_link_shows_the_approved_item_with_its_evidence(client, people, store):
    item, key = evidence_item(client, people, visibility="unlisted")
    resp = client.get(f"/s/{item.share_token}")
    page = text(resp)
    assert resp.status_code == 200 and "Evidence item" in page
    assert f'href="/s/{item.share_token}/files/{key}"' in page
    assert '<meta name="referrer" content="no-referrer">' in page and "no-store" in resp.headers["Cache-Control"]
    assert "noindex" in resp.headers["X-Robots-Tag"]
    got = client.get(f"/s/{item.share_token}/files/{key}")
    assert got.status_code == 200 and got.get_data().startswith(b"# Findings")
    # Not on the public page, and not downloadable without the link.
    assert "Evidence item" not in text(client.get("/p/lea"))
    assert client.get(f"/files/{key}").status_code == 302


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested"])
def test_unlisted_link_of_an_unapproved_item_is_404(client, people, store, status):
    item, key = evidence_item(client, people, status=status, visibility="unlisted")
    assert client.get(f"/s/{item.share_token}").status_code == 404
    assert client.get(f"/s/{item.share_token}/files/{key}").status_code == 404


def test_rotating_the_link_kills_the_old_one(client, people, store):
    item, key = evidence_item(client, people, visibility="unlisted")
    old = item.share_token
    act_as(client, people, "owner")
    page = text(client.get(f"/portfolio/items/{item.id}"))
    assert f"http://mastery.test/s/{old}" in page and "Make a new link" in page
    assert client.post(f"/portfolio/items/{item.id}/rotate").status_code == 303
    db.session.expire_all()
    new = db.session.get(PortfolioItem, item.id).share_token
    assert new != old and len(new) >= 32
    act_as(client, people, "anonymous")
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{old}/files/{key}").status_code == 404
    assert client.get(f"/s/{new}").status_code == 200
    assert client.get(f"/s/{new}/files/{key}").status_code == 200


def test_making_an_item_unlisted_creates_a_link_and_the_owner_sees_it(client, people):
    item = make_item(people["owner"], status="approved")
    act_as(client, people, "owner")
    assert client.post(f"/portfolio/items/{item.id}/visibility", data={"visibility": "unlisted"}).status_code == 303
    db.session.expire_all()
    token = db.session.get(PortfolioItem, item.id).share_token
    assert token and f"/s/{token}" in text(client.get(f"/portfolio/items/{item.id}"))
    assert client.post(f"/portfolio/items/{item.id}/visibility", data={"visibility": "everyone"}).status_code == 422


def test_a_file_of_another_item_is_not_reachable_through_a_link(client, people, store):
    shared, _ = evidence_item(client, people, visibility="unlisted", title="Shared")
    _, other_key = evidence_item(client, people, status="draft", visibility="private", title="Private")
    assert client.get(f"/s/{shared.share_token}/files/{other_key}").status_code == 404


# ---- verifiable claims: capstone results and mastery ---------------------------------------------------------------

def test_capstone_result_shows_score_rubric_chart_and_case_study(client, people):
    owner = people["owner"]
    owner.show_scores = True            # scores are opt-in (tests/portfolio/test_public_case_study.py)
    db.session.commit()
    mission = make_mission(title="Night Shift", tier="mastery", track="defender",
                           summary="Contain ransomware at a hospital.")
    cap = make_capstone(owner, mission, done=PHASES, mentor_approved=True, mentor_final_score=Decimal("87.50"),
                        mentor_reviewed_at=utcnow(), decisions_made=[
                            {"decision": "Isolate the ward VLAN", "rationale": "Stop lateral movement",
                             "decided_at": "2026-11-01"}],
                        remediation_plan="Rotate **all** service accounts.", report_summary="Contained in 4 h.",
                        presentation_url="https://example.org/talk", presentation_type="slides")
    make_review(people["assigned_mentor"], cap, status="submitted", written_feedback="Calm, well-argued work.",
                rubric_scores={"containment": 4, "analysis": 3, "communication": 2}, overall_score=Decimal("87.5"))
    item = make_item(owner, title="Night Shift capstone", item_type="capstone_result", capstone_id=cap.id,
                     status="submitted", visibility="public", skill_tags=["Incident response"])
    # Approved the way a mentor does: the item keeps the snapshot of the capstone it shows.
    act_as(client, people, "assigned_mentor")
    assert client.post(f"/portfolio/items/{item.id}/review", data={"decision": "approve"}).status_code == 303
    act_as(client, people, "anonymous")
    page = text(client.get("/p/lea"))
    assert "88" in page and "/100" in page       # 87.50 stored, shown whole
    assert '<svg role="img"' in page and "<title" in page and "Rubric scores" in page
    assert ('<th scope="row">Containment</th><td class="col-optional">3</td><td>L4</td><td>4 of 4</td>'
            in page)
    for expected in ("Contain ransomware at a hospital.", "Isolate the ward VLAN", "Stop lateral movement",
                     "<strong>all</strong>", "Contained in 4 h.", "https://example.org/talk",
                     "Approved by " + people["assigned_mentor"].display_name):
        assert expected in page, expected
    assert "Calm, well-argued work." not in page      # the capstone review's feedback is private
    # Mastery comes from the approved capstone on a mastery mission.
    tracks = re.search(r'id="tracks-h".*?</section>', page, re.S).group(0)
    assert "Defender" in tracks and "mastery reached" in tracks
    assert "Night Shift" in re.search(r'id="capstones-h".*?</section>', page, re.S).group(0)


def test_tracks_are_mastered_only_with_an_approved_capstone_on_a_mastery_mission(client, people):
    owner = people["owner"]
    make_capstone(owner, make_mission(tier="advanced", track="grc"), done=PHASES, mentor_approved=True)
    make_capstone(owner, make_mission(tier="mastery", track="offensive"), done=PHASES, mentor_approved=False)
    page = text(client.get("/p/lea"))
    tracks = re.search(r'id="tracks-h".*?</section>', page, re.S).group(0)
    assert "No track mastered yet" in tracks


def test_print_stylesheet_rules_exist_for_the_portfolio(app):
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "app.css").read_text()
    block = css[css.index("/* Portfolio */"):]
    assert "@media print" in block and ".public-item" in block
