"""The comment bank (SPEC §13): a mentor's snippets, their pages, who sees them, bad input, and the panel of the
review workspace that searches them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.domain import snippets as rules
from webapp.extensions import db
from webapp.models import CommentSnippet

from ..conftest import count_queries, hx, log_in
from ..factories import make_mission, make_user
from .helpers import setup_review


def make_snippet(owner, title="Timeline tip", body="Put **times** on every event.", track=None) -> CommentSnippet:
    snippet = CommentSnippet(owner_id=owner.id, title=title, body=body, track=track)
    db.session.add(snippet)
    db.session.commit()
    return snippet


def rows() -> list[tuple]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(select(CommentSnippet.__table__).order_by(CommentSnippet.id))]


# ---- pages -------------------------------------------------------------------------------------------------------

def test_empty_comment_bank_explains_what_snippets_are_for(client):
    log_in(client, make_user("mentor"))
    page = client.get("/mentorship/snippets")
    assert page.status_code == 200
    assert "You have no snippets yet" in page.text and "Write your first snippet" in page.text


def test_mentor_creates_a_snippet_and_sees_it_listed(client):
    mentor = make_user("mentor")
    log_in(client, mentor)
    assert 'name="title"' in client.get("/mentorship/snippets/new").text
    resp = client.post("/mentorship/snippets", data={"title": "Scope first", "track": "grc",
                                                     "body": "Scope **before** you contain."})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/mentorship/snippets")
    (row,) = db.session.scalars(select(CommentSnippet)).all()
    assert (row.owner_id, row.title, row.track, row.body) == (mentor.id, "Scope first", "grc",
                                                             "Scope **before** you contain.")
    page = client.get("/mentorship/snippets")
    assert "Scope first" in page.text and "<strong>before</strong>" in page.text and "GRC" in page.text.upper()


def test_list_search_matches_title_or_body_case_insensitively(client):
    mentor = make_user("mentor")
    make_snippet(mentor, "Timeline tip", "Put times on events.")
    make_snippet(mentor, "Scope", "Say which HOSTS are in scope.")
    make_snippet(mentor, "Praise", "Well done.")
    log_in(client, mentor)
    page = client.get("/mentorship/snippets?q=hosts")
    assert "Scope" in page.text and "Timeline tip" not in page.text and "Praise" not in page.text
    page = client.get("/mentorship/snippets?q=TIMELINE")
    assert "Timeline tip" in page.text and "Praise" not in page.text
    assert "No snippet matches" in client.get("/mentorship/snippets?q=100%25").text


def test_refused_form_keeps_what_was_typed_and_names_the_field(client):
    mentor = make_user("mentor")
    log_in(client, mentor)
    long_body = "Keep this text. " + "x" * rules.BODY_MAX
    resp = client.post("/mentorship/snippets", data={"title": "My title", "track": "", "body": long_body})
    assert resp.status_code == 422
    assert f"at most {rules.BODY_MAX} characters" in resp.text and 'value="My title"' in resp.text
    assert "Keep this text." in resp.text
    resp = client.post("/mentorship/snippets", data={"title": "", "track": "", "body": "Some body"})
    assert resp.status_code == 422 and "title is required" in resp.text.lower() and "Some body" in resp.text
    resp = client.post("/mentorship/snippets", data={"title": "T", "track": "cooking", "body": "B"})
    assert resp.status_code == 422 and "must be one of" in resp.text
    assert rows() == []


def test_invalid_unicode_is_refused_at_the_boundary(client):
    log_in(client, make_user("mentor"))
    resp = client.post("/mentorship/snippets", data=b"title=T&track=&body=%FF%FE",
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 422
    assert rows() == []


def test_owner_edits_then_deletes_after_confirming(client):
    mentor = make_user("mentor")
    snippet = make_snippet(mentor)
    log_in(client, mentor)
    assert "Timeline tip" in client.get(f"/mentorship/snippets/{snippet.id}/edit").text
    resp = client.post(f"/mentorship/snippets/{snippet.id}", data={"title": "Times", "track": "defender",
                                                                   "body": "Times, please."})
    assert resp.status_code == 303
    db.session.expire_all()
    assert (snippet.title, snippet.track, snippet.body) == ("Times", "defender", "Times, please.")
    refused = client.post(f"/mentorship/snippets/{snippet.id}", data={"title": "Times", "track": "", "body": ""})
    assert refused.status_code == 422 and 'value="Times"' in refused.text
    confirm = client.get(f"/mentorship/snippets/{snippet.id}/delete")
    assert "Delete “Times”?" in confirm.text and "Delete snippet" in confirm.text
    assert rows() != []      # the confirmation page deletes nothing
    assert client.post(f"/mentorship/snippets/{snippet.id}/delete").status_code == 303
    assert rows() == []
    assert "Snippet “Times” deleted." in client.get("/mentorship/snippets").text


@pytest.mark.parametrize("method,path,data", [
    ("GET", "/mentorship/snippets/{id}/edit", None),
    ("POST", "/mentorship/snippets/{id}", {"title": "Stolen", "track": "", "body": "Mine now"}),
    ("GET", "/mentorship/snippets/{id}/delete", None),
    ("POST", "/mentorship/snippets/{id}/delete", {}),
])
@pytest.mark.parametrize("who", ["other_mentor", "admin"])
def test_another_users_snippet_is_404_and_unchanged(client, method, path, data, who):
    snippet = make_snippet(make_user("mentor"), "Private tip")
    log_in(client, make_user("mentor" if who == "other_mentor" else "admin"))
    before = rows()
    resp = client.open(path.format(id=snippet.id), method=method, data=data)
    assert resp.status_code == 404 and "Private tip" not in resp.text
    assert rows() == before
    assert "Private tip" not in client.get("/mentorship/snippets").text


@pytest.mark.parametrize("method,path,data", [
    ("GET", "/mentorship/snippets", None),
    ("GET", "/mentorship/snippets/new", None),
    ("POST", "/mentorship/snippets", {"title": "T", "track": "", "body": "B"}),
    ("GET", "/mentorship/snippets/search?q=x", None),
    ("POST", "/mentorship/snippets/{id}/delete", {}),
])
def test_learners_get_403_and_anonymous_visitors_log_in(client, method, path, data):
    snippet = make_snippet(make_user("mentor"))
    before = rows()
    resp = client.open(path.format(id=snippet.id), method=method, data=data)
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    log_in(client, make_user("learner"))
    resp = client.open(path.format(id=snippet.id), method=method, data=data)
    assert resp.status_code == 403
    assert rows() == before


# ---- the review workspace's panel --------------------------------------------------------------------------------

def test_workspace_lists_global_and_track_snippets_without_javascript(client):
    learner, mentor, cap, review = setup_review()      # a Defender mission
    make_snippet(mentor, "Global tip", "Good for any track.")
    make_snippet(mentor, "Defender tip", "Check the **EDR** timeline.", track="defender")
    make_snippet(mentor, "GRC tip", "Map it to a control.", track="grc")
    make_snippet(make_user("mentor"), "Someone else's", "Not yours.")
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{review.id}")
    assert page.status_code == 200 and 'id="review-comment-bank"' in page.text
    assert "Global tip" in page.text and "Defender tip" in page.text
    # The Markdown source, as it will be inserted (and can be copied).
    assert "Check the **EDR** timeline." in page.text
    assert "GRC tip" not in page.text and "Someone else" not in page.text
    assert "Keyboard shortcuts" in page.text and "js/review_keys.js" in page.text


def test_search_fragment_and_page(client):
    learner, mentor, cap, review = setup_review()
    make_snippet(mentor, "Timeline tip", "Put times on events.")
    make_snippet(mentor, "Praise", "Well DONE.", track="defender")
    make_snippet(mentor, "GRC done", "Done in GRC.", track="grc")
    log_in(client, mentor)
    url = f"/mentorship/snippets/search?review={review.id}&q=done"
    frag = client.get(url, headers=hx("snippet-results"))
    assert frag.status_code == 200 and frag.text.lstrip().startswith('<ul id="snippet-results"')
    assert "Praise" in frag.text and "Timeline tip" not in frag.text and "GRC done" not in frag.text
    assert "<html" not in frag.text and "HX-Request" in frag.headers["Vary"]
    page = client.get(url)
    assert "<html" in page.text and "Praise" in page.text and "go back to the review" in page.text
    none = client.get(f"/mentorship/snippets/search?review={review.id}&q=zebra", headers=hx("snippet-results"))
    assert "No snippet matches “zebra”" in none.text


def test_search_is_limited(client):
    learner, mentor, cap, review = setup_review()
    for i in range(rules.SEARCH_LIMIT + 5):
        make_snippet(mentor, f"Tip {i:02d}", "Same text.")
    log_in(client, mentor)
    frag = client.get(f"/mentorship/snippets/search?review={review.id}", headers=hx("snippet-results"))
    assert frag.text.count('class="snippet-result"') == rules.SEARCH_LIMIT


def test_search_bad_review_is_422_and_a_review_not_yours_is_403(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, make_user("mentor"))
    assert client.get("/mentorship/snippets/search?review=abc").status_code == 422
    assert client.get(f"/mentorship/snippets/search?review={review.id}").status_code == 403
    assert client.get("/mentorship/snippets/search?review=99999").status_code == 404


def test_search_runs_a_fixed_number_of_queries(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    url = f"/mentorship/snippets/search?review={review.id}"
    make_snippet(mentor)
    client.get(url, headers=hx("snippet-results"))
    with count_queries() as few:
        client.get(url, headers=hx("snippet-results"))
    for i in range(10):
        make_snippet(mentor, f"More {i}", track="defender")
    with count_queries() as many:
        resp = client.get(url, headers=hx("snippet-results"))
    assert resp.text.count('class="snippet-result"') == 11
    assert many.count == few.count


def test_snippet_of_a_mission_track_shows_only_in_that_tracks_reviews(client):
    learner, mentor, cap, review = setup_review()
    grc = make_mission(track="grc")
    make_snippet(mentor, "GRC only", "Controls.", track=grc.track)
    log_in(client, mentor)
    assert "GRC only" not in client.get(f"/mentorship/reviews/{review.id}").text
    assert "GRC only" in client.get("/mentorship/snippets/search").text      # no review: every snippet


# ---- the API -----------------------------------------------------------------------------------------------------

def bearer(user) -> dict:
    from ..factories import make_token

    return {"Authorization": f"Bearer {make_token(user)[1]}"}


def test_api_crud_of_own_snippets(client):
    mentor = make_user("mentor")
    auth = bearer(mentor)
    made = client.post("/api/v1/comment-snippets", json={"title": " Scope ", "body": "Scope **first**.",
                                                         "track": "grc"}, headers=auth)
    assert made.status_code == 201, made.text
    snippet = made.get_json()
    assert (snippet["title"], snippet["body"], snippet["track"]) == ("Scope", "Scope **first**.", "grc")
    make_snippet(mentor, "Global tip", "For any track.")
    make_snippet(make_user("mentor"), "Not mine", "Hidden.")
    listed = client.get("/api/v1/comment-snippets?track=grc", headers=auth).get_json()
    assert [s["title"] for s in listed["items"]] == ["Global tip", "Scope"] and listed["total"] == 2
    assert [s["title"] for s in client.get("/api/v1/comment-snippets?q=FIRST", headers=auth).get_json()["items"]] == [
        "Scope"]
    patched = client.patch(f"/api/v1/comment-snippets/{snippet['id']}", json={"track": None}, headers=auth)
    assert patched.status_code == 200 and patched.get_json()["track"] is None
    assert patched.get_json()["title"] == "Scope"
    assert client.delete(f"/api/v1/comment-snippets/{snippet['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/comment-snippets/{snippet['id']}", headers=auth).status_code == 404


def test_api_refuses_bad_input_naming_the_field(client):
    mentor = make_user("mentor")
    auth = bearer(mentor)
    resp = client.post("/api/v1/comment-snippets", json={"title": "T", "body": "x" * (rules.BODY_MAX + 1)},
                       headers=auth)
    assert resp.status_code == 422 and "body" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/comment-snippets", json={"title": "T", "body": "B", "track": "cooking"}, headers=auth)
    assert resp.status_code == 422 and "track" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/comment-snippets", json={"body": "B"}, headers=auth)
    assert resp.status_code == 422 and "title" in resp.get_json()["error"]["fields"]
    snippet = make_snippet(mentor)
    resp = client.patch(f"/api/v1/comment-snippets/{snippet.id}", json={"title": ""}, headers=auth)
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["title"] == "is required"
    assert rows()[0][3] == "Timeline tip"


def test_api_another_users_snippet_is_404_and_learners_403(client):
    snippet = make_snippet(make_user("mentor"), "Private tip")
    before = rows()
    other = bearer(make_user("mentor"))
    for method in ("GET", "PATCH", "DELETE"):
        resp = client.open(f"/api/v1/comment-snippets/{snippet.id}", method=method, headers=other,
                           **({"json": {"title": "Mine"}} if method == "PATCH" else {}))
        assert resp.status_code == 404 and "Private tip" not in resp.text
    learner = bearer(make_user("learner"))
    assert client.get("/api/v1/comment-snippets", headers=learner).status_code == 403
    assert client.post("/api/v1/comment-snippets", json={"title": "T", "body": "B"}, headers=learner).status_code == 403
    assert client.get("/api/v1/comment-snippets").status_code == 401
    assert rows() == before


# ---- "Save as snippet" from the review workspace -----------------------------------------------------------------

def test_save_as_snippet_from_the_workspace_answers_the_refreshed_list(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{review.id}").text
    assert "Save as snippet" in page and 'id="snippet-save-form"' in page
    resp = client.post("/mentorship/snippets", data={"title": "Escalate early", "track": "defender",
                                                     "body": "Call the **IC** first.", "review": str(review.id)},
                       headers=hx("snippet-results"))
    assert resp.status_code == 200 and resp.text.lstrip().startswith('<ul id="snippet-results"')
    assert "Saved “Escalate early” to your comment bank." in resp.text and "Call the **IC** first." in resp.text
    assert "snippet-saved" in resp.headers["HX-Trigger"]
    (row,) = db.session.scalars(select(CommentSnippet)).all()
    assert (row.owner_id, row.title, row.track) == (mentor.id, "Escalate early", "defender")


def test_save_as_snippet_refused_is_a_message_and_saves_nothing(client):
    learner, mentor, cap, review = setup_review()
    log_in(client, mentor)
    resp = client.post("/mentorship/snippets", data={"title": "", "track": "", "body": "Text", "review": str(review.id)},
                       headers=hx("snippet-results"))
    assert resp.status_code == 422 and "title is required" in resp.text
    stranger = make_user("mentor")
    log_in(client, stranger)
    resp = client.post("/mentorship/snippets", data={"title": "T", "track": "", "body": "B", "review": str(review.id)},
                       headers=hx("snippet-results"))
    assert resp.status_code == 403
    assert rows() == []
