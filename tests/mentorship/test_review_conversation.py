"""The conversation under a submitted review phase (SPEC §13): the learner replies, the mentor answers, on the
review's page, the capstone page and the attempt page, and through the API."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, inspect, select

from webapp.domain.reviews import MAX_REPLY
from webapp.extensions import db
from webapp.models import MentorshipInteraction, ReviewReply
from webapp.models.base import utcnow

from ..conftest import count_queries, hx, log_in
from ..factories import assign, make_mission, make_review, make_token, make_user
from .helpers import make_attempt, submitted_capstone

API = "/api/v1/mentorship-interactions"
LEARNER_EMPTY = "No replies yet — ask your mentor about anything in this review."


def bearer(user) -> dict:
    _, secret = make_token(user)
    return {"Authorization": f"Bearer {secret}"}


def world(handle: str = "lena"):
    """A learner (Lena) with a submitted capstone, her assigned mentor (Max) who shared phase 1 of 2 and keeps
    phase 2 as a draft, a second mentor assigned to her (Mia), and people with no part in it."""
    learner = make_user("learner", display_name="Lena Learner", handle=handle)
    mentor = make_user("mentor", display_name="Max Mentor")
    colleague = make_user("mentor", display_name="Mia Mentor")
    assign(mentor, learner)
    assign(colleague, learner)
    cap = submitted_capstone(learner, make_mission(title="Night Shift"))
    shared = make_review(mentor, cap, review_phase=1, total_phases=2, status="submitted", submitted_at=utcnow(),
                         written_feedback="Clear timeline; scope earlier.")
    draft = make_review(mentor, cap, review_phase=2, total_phases=2, written_feedback="Almost there.")
    return {"learner": learner, "mentor": mentor, "colleague": colleague, "cap": cap, "shared": shared,
            "draft": draft}


def replies(review=None) -> list[ReviewReply]:
    db.session.expire_all()
    stmt = select(ReviewReply).order_by(ReviewReply.id)
    if review is not None:
        stmt = stmt.where(ReviewReply.review_id == review.id)
    return db.session.scalars(stmt).all()


def reply_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewReply))


def post(client, review, body, **kw):
    return client.post(f"/mentorship/reviews/{review.id}/replies", data={"body": body, **kw.pop("data", {})}, **kw)


def thread(html: str, review) -> str:
    """The thread's section of a page."""
    start = html.index(f'id="review-{review.id}-replies"')
    return html[start:html.index("</section>", start)]


# ---- posting from the pages --------------------------------------------------------------------------------------

def test_learner_reply_without_javascript_is_stored_and_redirects_to_the_thread(client):
    w = world()
    log_in(client, w["learner"])
    resp = post(client, w["shared"], "Why should I **scope** before containing?")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/mentorship/reviews/{w['shared'].id}#review-{w['shared'].id}-replies")
    (row,) = replies()
    assert (row.review_id, row.author_id, row.body) == (w["shared"].id, w["learner"].id,
                                                       "Why should I **scope** before containing?")
    page = client.get(resp.headers["Location"]).text
    section = thread(page, w["shared"])
    assert "<strong>scope</strong>" in section and "Lena Learner" in section and "Learner</span>" in section
    assert "Reply sent." in page and LEARNER_EMPTY not in section and "1 reply" in section


def test_reply_from_the_capstone_page_returns_there_and_the_cached_page_shows_it(client):
    w = world()
    log_in(client, w["learner"])
    before = client.get(f"/capstones/{w['cap'].id}").text          # the page is cached now
    assert LEARNER_EMPTY in before and "Ask your mentor" in before
    resp = post(client, w["shared"], "Which log showed the beacon?", data={"back": "capstone"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/capstones/{w['cap'].id}#review-{w['shared'].id}-replies")
    after = client.get(f"/capstones/{w['cap'].id}").text
    assert "Which log showed the beacon?" in thread(after, w["shared"])


def test_reply_under_an_attempt_review_shows_on_the_attempt_page(client):
    learner, mentor = make_user("learner"), make_user("mentor", display_name="Max Mentor")
    assign(mentor, learner)
    attempt = make_attempt(learner, make_mission(), review_requested_at=utcnow())
    review = MentorshipInteraction(mentor_id=mentor.id, learner_id=learner.id, mission_id=attempt.mission_id,
                                   attempt_id=attempt.id, status="submitted", submitted_at=utcnow(),
                                   written_feedback="Good triage.")
    db.session.add(review)
    db.session.commit()
    log_in(client, learner)
    assert LEARNER_EMPTY in client.get(f"/attempts/{attempt.id}").text
    resp = post(client, review, "Was isolating first right?", data={"back": "attempt"})
    assert resp.headers["Location"].endswith(f"/attempts/{attempt.id}#review-{review.id}-replies")
    log_in(client, mentor)
    assert post(client, review, "Yes: it stopped the spread.").status_code == 303
    log_in(client, learner)
    section = thread(client.get(f"/attempts/{attempt.id}").text, review)
    assert section.index("Was isolating first right?") < section.index("Yes: it stopped the spread.")
    assert "Reviewing mentor" in section and "2 replies" in section


def test_back_names_only_known_pages(client):
    w = world()
    log_in(client, w["learner"])
    resp = post(client, w["shared"], "Hello", data={"back": "https://evil.example/"})
    assert resp.headers["Location"].endswith(f"/mentorship/reviews/{w['shared'].id}#review-{w['shared'].id}-replies")
    resp = post(client, w["shared"], "Hello again", data={"back": "attempt"})   # a capstone review has no attempt page
    assert f"/mentorship/reviews/{w['shared'].id}#" in resp.headers["Location"]


def test_htmx_reply_answers_the_thread_with_the_reply_last_and_an_empty_box(client):
    w = world()
    log_in(client, w["learner"])
    post(client, w["shared"], "First question.")
    resp = post(client, w["shared"], "Second question.", headers=hx(f"review-{w['shared'].id}-replies"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<section id="review-{w["shared"].id}-replies"')
    assert html.index("First question.") < html.index("Second question.")
    assert re.search(r'<textarea[^>]*name="body"[^>]*>\s*</textarea>', html)       # the box is empty again
    assert "Reply sent." in html and "reply-posted" in resp.headers["HX-Trigger"]
    assert "HX-Request" in resp.headers.get("Vary", "")
    assert [r.body for r in replies()] == ["First question.", "Second question."]


def test_assigned_mentors_and_admins_answer_each_labelled_with_their_part(client):
    w = world()
    admin = make_user("admin", display_name="Ada Admin")
    for who, text in ((w["learner"], "Question."), (w["mentor"], "Answer."), (w["colleague"], "Also this."),
                      (admin, "Noted.")):
        log_in(client, who)
        assert post(client, w["shared"], text).status_code == 303, who.role
    assert [(r.author_id, r.body) for r in replies()] == [
        (w["learner"].id, "Question."), (w["mentor"].id, "Answer."), (w["colleague"].id, "Also this."),
        (admin.id, "Noted.")]
    log_in(client, w["mentor"])
    section = thread(client.get(f"/mentorship/reviews/{w['shared'].id}").text, w["shared"])
    for name, role in (("Lena Learner", "Learner"), ("Max Mentor", "Reviewing mentor"), ("Mia Mentor", "Mentor"),
                       ("Ada Admin", "Admin")):
        assert re.search(rf"<strong>{name}</strong>\s*<span class=\"badge\">{role}</span>", section), name
    assert "4 replies" in section


def test_the_mentor_sees_their_own_empty_state(client):
    w = world()
    log_in(client, w["mentor"])
    section = thread(client.get(f"/mentorship/reviews/{w['shared'].id}").text, w["shared"])
    assert "No replies yet — the learner has not asked about this review." in section
    assert LEARNER_EMPTY not in section and "Your reply" in section


# ---- who may not ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other_learner", "stranger", "scoped"])
def test_people_with_no_part_in_the_review_are_403_and_nothing_is_stored(client, who):
    w = world()
    person = {"other_learner": lambda: make_user("learner"), "stranger": lambda: make_user("mentor"),
              "scoped": lambda: make_user("mentor")}[who]()
    if who == "scoped":
        assign(person, w["learner"], "grc")         # her mentor for another track; the capstone is Defender
    log_in(client, person)
    resp = post(client, w["shared"], "Let me in.")
    assert resp.status_code == 403 and "You do not have access to this review." in resp.text
    assert "Let me in." not in client.get(f"/mentorship/reviews/{w['shared'].id}").text
    assert reply_count() == 0


def test_anonymous_is_sent_to_log_in_and_nothing_is_stored(client):
    w = world()
    resp = post(client, w["shared"], "Hello?")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert reply_count() == 0


def test_reply_on_a_draft_phase_is_403_with_a_clear_message(client):
    w = world()
    log_in(client, w["mentor"])
    resp = post(client, w["draft"], "Note to self.")
    assert resp.status_code == 403 and "still a draft" in resp.text and "replies open once" in resp.text
    log_in(client, w["learner"])
    resp = post(client, w["draft"], "Can I see it?")
    assert resp.status_code == 403 and "Can I see it?" not in resp.text
    assert reply_count() == 0


def test_htmx_refusals_answer_in_place(client):
    w = world()
    resp = post(client, w["shared"], "Hello?", headers=hx(f"review-{w['shared'].id}-replies"))
    assert resp.status_code == 401 and "/auth/login" in resp.headers["HX-Redirect"]
    log_in(client, w["mentor"])
    resp = post(client, w["draft"], "Note.", headers=hx(f"review-{w['draft'].id}-replies"))
    assert resp.status_code == 403 and resp.headers["HX-Retarget"] == "#flashes"
    assert "still a draft" in resp.get_data(as_text=True) and "<html" not in resp.get_data(as_text=True)
    assert reply_count() == 0


def test_reply_to_a_review_that_does_not_exist_is_404(client):
    w = world()
    log_in(client, w["learner"])
    assert client.post("/mentorship/reviews/987654/replies", data={"body": "Hi"}).status_code == 404
    assert reply_count() == 0


def test_reply_without_the_csrf_token_is_refused(raw_client):
    w = world()
    log_in(raw_client, w["learner"])
    assert post(raw_client, w["shared"], "Forged.").status_code == 400
    assert reply_count() == 0


# ---- bad input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_reply_is_422_and_nothing_is_stored(client, body):
    w = world()
    log_in(client, w["learner"])
    resp = post(client, w["shared"], body)
    assert resp.status_code == 422 and "Write a reply before sending it." in resp.text and "<html" in resp.text
    assert reply_count() == 0


def test_oversized_reply_is_422_and_the_text_stays_in_the_box(client):
    w = world()
    log_in(client, w["learner"])
    text = "marker-" + "x" * MAX_REPLY
    resp = post(client, w["shared"], text)
    assert resp.status_code == 422 and f"must be at most {MAX_REPLY} characters" in resp.text
    assert text in thread(resp.text, w["shared"])
    resp = post(client, w["shared"], text, headers=hx(f"review-{w['shared'].id}-replies"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" not in html and text in html and 'aria-invalid="true"' in html
    assert reply_count() == 0
    assert post(client, w["shared"], "y" * MAX_REPLY).status_code == 303      # exactly at the limit is fine


@pytest.mark.parametrize("raw", [b"body=%ED%A0%80", b"body=ok%FF", b"body=a%00b"])
def test_invalid_unicode_or_nul_in_a_reply_is_422(client, raw):
    w = world()
    log_in(client, w["learner"])
    resp = client.post(f"/mentorship/reviews/{w['shared'].id}/replies", data=raw,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 422
    assert reply_count() == 0


def test_reply_markdown_is_sanitised(client):
    w = world()
    log_in(client, w["learner"])
    post(client, w["shared"], "<script>alert('x')</script> [link](javascript:alert(1)) <b onmouseover=alert(2)>hi</b>"
                              " and **bold**")
    section = thread(client.get(f"/mentorship/reviews/{w['shared'].id}").text, w["shared"])
    assert "<script>alert" not in section and 'href="javascript:' not in section and "<b onmouseover" not in section
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in section or "&lt;script&gt;alert('x')" in section
    assert "<strong>bold</strong>" in section


# ---- counts, deleted authors, query counts -------------------------------------------------------------------------

def test_reply_counts_show_where_the_phase_is_listed(client):
    w = world()
    log_in(client, w["learner"])
    post(client, w["shared"], "One.")
    post(client, w["shared"], "Two.")
    listing = client.get("/mentorship/reviews").text
    assert f'href="/mentorship/reviews/{w["shared"].id}#review-{w["shared"].id}-replies">2 replies</a>' in listing
    log_in(client, w["mentor"])
    assert ">2 replies</a>" in client.get("/mentorship/learners/lena").text
    strip = client.get(f"/mentorship/reviews/{w['draft'].id}").text          # the draft phase's workspace
    assert re.search(r"Phase 1</a> · submitted[^<]* · 2 replies", strip)


def test_a_deleted_authors_reply_stays_as_former_user(client):
    w = world()
    log_in(client, w["colleague"])
    post(client, w["shared"], "Ask me anything.")
    # What ON DELETE SET NULL leaves behind when the account is deleted (the schema says so: next test).
    (row,) = replies()
    row.author_id = None
    db.session.commit()
    log_in(client, w["learner"])
    section = thread(client.get(f"/mentorship/reviews/{w['shared'].id}").text, w["shared"])
    assert "Former user" in section and "Ask me anything." in section and "Mia Mentor" not in section


def test_the_schema_keeps_a_deleted_authors_replies_and_drops_a_deleted_reviews(app):
    keys = {fk["referred_table"]: fk["options"].get("ondelete") for fk in inspect(db.engine).get_foreign_keys(
        "review_replies")}
    assert keys == {"users": "SET NULL", "mentorship_interactions": "CASCADE"}
    assert [ix["column_names"] for ix in inspect(db.engine).get_indexes("review_replies")] == [
        ["review_id", "created_at"]]


def test_a_reply_leaves_the_review_itself_unchanged(client):
    w = world()
    version = w["shared"].version_id
    log_in(client, w["learner"])
    post(client, w["shared"], "Question.")
    db.session.expire_all()
    assert db.session.get(MentorshipInteraction, w["shared"].id).version_id == version


@pytest.mark.parametrize("page", ["review", "capstone"])
def test_a_thread_of_1_or_30_replies_costs_the_same_queries(client, page):
    def run(n: int) -> int:
        w = world(f"lena{n}")
        people = [w["learner"], w["mentor"], w["colleague"]]
        db.session.add_all([ReviewReply(review_id=w["shared"].id, author_id=people[i % 3].id, body=f"Reply {i}")
                            for i in range(n)])
        db.session.commit()
        log_in(client, w["learner"])
        url = f"/mentorship/reviews/{w['shared'].id}" if page == "review" else f"/capstones/{w['cap'].id}"
        db.session.expire_all()
        with count_queries() as q:
            resp = client.get(url)
        assert resp.status_code == 200 and f"Reply {n - 1}" in resp.text and resp.text.count("<li id=\"reply-") == n
        return q.count

    assert run(1) == run(30)


# ---- the API -----------------------------------------------------------------------------------------------------

def test_api_create_then_list_in_the_specs_shape(client):
    w = world()
    resp = client.post(f"{API}/{w['shared'].id}/replies", json={"body": "Why scope first?"},
                       headers=bearer(w["learner"]))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["body"] == "Why scope first?" and body["review"] == w["shared"].id
    assert body["author"]["display_name"] == "Lena Learner" and body["author_role"] == "learner"
    resp = client.post(f"{API}/{w['shared'].id}/replies", json={"body": "Blast radius."}, headers=bearer(w["mentor"]))
    assert resp.status_code == 201 and resp.get_json()["author_role"] == "reviewing mentor"
    listing = client.get(f"{API}/{w['shared'].id}/replies", headers=bearer(w["learner"])).get_json()
    assert [r["body"] for r in listing["items"]] == ["Why scope first?", "Blast radius."]
    assert (listing["page"], listing["per_page"], listing["total"]) == (1, 20, 2)
    second = client.get(f"{API}/{w['shared'].id}/replies?per_page=1&page=2", headers=bearer(w["colleague"])).get_json()
    assert [r["body"] for r in second["items"]] == ["Blast radius."] and second["total"] == 2


@pytest.mark.parametrize("body, field", [({"body": ""}, "body"), ({"body": "  "}, "body"), ({}, "body"),
                                         ({"body": "x" * (MAX_REPLY + 1)}, "body"), ({"body": 5}, "body")])
def test_api_bad_body_is_422_naming_the_field(client, body, field):
    w = world()
    resp = client.post(f"{API}/{w['shared'].id}/replies", json=body, headers=bearer(w["learner"]))
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]
    assert reply_count() == 0


def test_api_lone_surrogate_is_422(client):
    w = world()
    resp = client.post(f"{API}/{w['shared'].id}/replies", data=json.dumps({"body": "bad \ud800 text"}),
                       content_type="application/json", headers=bearer(w["learner"]))
    assert resp.status_code == 422 and "body" in resp.get_json()["error"]["fields"]
    assert reply_count() == 0


def test_api_refusals(client):
    w = world()
    url = f"{API}/{w['shared'].id}/replies"
    assert client.get(url).status_code == 401
    assert client.post(url, json={"body": "Hi"}).status_code == 401
    other = make_user("learner")
    for method in ("get", "post"):
        resp = getattr(client, method)(url, json={"body": "Hi"} if method == "post" else None, headers=bearer(other))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"]
    resp = client.post(f"{API}/{w['draft'].id}/replies", json={"body": "Hi"}, headers=bearer(w["mentor"]))
    assert resp.status_code == 403 and "still a draft" in resp.get_json()["error"]["message"]
    assert client.get(f"{API}/{w['draft'].id}/replies", headers=bearer(w["learner"])).status_code == 403
    assert client.post(f"{API}/987654/replies", json={"body": "Hi"}, headers=bearer(w["learner"])).status_code == 404
    assert reply_count() == 0


def test_api_documents_the_replies_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    item = next(v for k, v in paths.items() if k.endswith("mentorship-interactions/{review_id}/replies"))
    assert {"get", "post"} <= set(item) and "201" in item["post"]["responses"]
