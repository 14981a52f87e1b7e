"""The request boundary (issue #15 findings 2 and 3): how much of a body the app reads, and what text it takes.

- A JSON body (any body that is not a form) is capped at MAX_JSON_KB: a larger one answers 413 in the error shape
  before it is read (Content-Length), or as soon as the cap is passed (a chunked body). An urlencoded form is capped
  at MAX_FORM_KB. Nothing is read for a URL no route matches (404), nor before the API's bearer token is checked
  (401). JSON nested deeper than the app's documents go answers 400, never a RecursionError.
- Text with a NUL character or invalid Unicode (a lone surrogate in JSON, bytes that are not UTF-8 in a form or a
  query string) answers 422 naming the field, and nothing is stored.
- Bad text already stored (rows written before this check) renders with U+FFFD instead of a 500, on the pages and
  in the API.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from tests.capstones.helpers import capstone_for, snapshot
from tests.factories import assign, make_item, make_mission, make_review, make_token, make_user
from tests.mentorship.helpers import setup_review, submitted_capstone
from tests.mentorship.helpers import snapshot as review_snapshot
from webapp.extensions import db
from webapp.models import PortfolioItem, User

KB = 1024


def bearer(user) -> dict:
    _, secret = make_token(user)
    return {"Authorization": f"Bearer {secret}"}


class Body(io.RawIOBase):
    """A request body of `size` bytes (endless when None) that counts how many bytes the app reads from it."""

    def __init__(self, size: int | None, fill: bytes = b" "):
        self.size, self.fill, self.consumed = size, fill, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer) if self.size is None else max(0, min(len(buffer), self.size - self.consumed))
        buffer[:n] = self.fill * n
        self.consumed += n
        return n


def send(client, method: str, url: str, body: Body, content_type="application/json", chunked=False, **kw):
    """Send `body` as the request body: with a Content-Length header, or chunked (the server then marks the
    stream as terminated, as gunicorn does)."""
    environ = {"wsgi.input": body, "CONTENT_LENGTH": str(body.size)}
    if chunked:
        environ.update({"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    return client.open(url, method=method, content_type=content_type, environ_overrides=environ, **kw)


@pytest.fixture
def parses(app, monkeypatch):
    """Counts the request bodies the app parses (JSON documents and forms)."""
    calls = []
    request_class = app.request_class
    real_json, real_form = request_class.get_json, request_class._load_form_data

    def get_json(self, *args, **kwargs):
        calls.append("json")
        return real_json(self, *args, **kwargs)

    def load_form(self):
        if self.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            calls.append("form")
        return real_form(self)

    monkeypatch.setattr(request_class, "get_json", get_json)
    monkeypatch.setattr(request_class, "_load_form_data", load_form)
    return calls


def escaped(body) -> dict:
    """A JSON body as a client writes it, with \\u escapes (how JSON spells a lone surrogate)."""
    return {"data": json.dumps(body), "content_type": "application/json"}


def error_of(resp) -> dict:
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


# ---- finding 2: how much is read --------------------------------------------------------------------------------

def test_json_body_over_the_cap_to_an_api_route_is_413_before_it_is_read(client, parses):
    learner = make_user("learner")
    cap = capstone_for(learner)
    before = snapshot()
    body = Body(60 * KB * KB, b"[")
    resp = send(client, "PATCH", f"/api/v1/capstones/{cap.id}", body, headers=bearer(learner))
    assert resp.status_code == 413
    err = error_of(resp)
    assert err["code"] == "too_large" and "1024 KB" in err["message"] and "upload" not in err["message"]
    assert body.consumed == 0 and not parses
    assert snapshot() == before


def test_chunked_json_body_stops_being_read_at_the_cap(client, parses):
    learner = make_user("learner")
    body = Body(None, b"[")
    resp = send(client, "POST", "/api/v1/portfolio-items", body, chunked=True, headers=bearer(learner))
    assert resp.status_code == 413, resp.get_json()
    assert error_of(resp)["code"] == "too_large"
    assert body.consumed <= 1024 * KB + 64 * KB and not parses
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_chunked_json_body_under_the_cap_is_taken(client):
    learner = make_user("learner")
    data = b'{"title": "Chunked", "item_type": "writeup", "summary": "' + b"s" * 19_000 + b'"}'
    resp = client.post("/api/v1/portfolio-items", headers=bearer(learner), content_type="application/json",
                       environ_overrides={"wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": "",
                                          "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    assert resp.status_code == 201 and resp.get_json()["title"] == "Chunked"


def test_chunked_form_over_the_form_cap_is_413_not_cut_short(client, login_as):
    user = login_as("learner", display_name="Before")
    body = Body(None, b"a")
    resp = send(client, "POST", "/account/profile", body, content_type="application/x-www-form-urlencoded",
                chunked=True)
    assert resp.status_code == 413 and body.consumed <= 4096 * KB + 64 * KB + 1
    assert db.session.get(User, user.id).display_name == "Before"


def test_json_cap_is_configurable(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_JSON_KB", 1)
    learner = make_user("learner")
    resp = client.post("/api/v1/portfolio-items", json={"title": "x" * 2000, "item_type": "writeup"},
                       headers=bearer(learner))
    assert resp.status_code == 413 and "1 KB" in error_of(resp)["message"]
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_body_limits_come_from_the_environment():
    from webapp.config import ConfigError, defaults, load_config

    assert (defaults()["MAX_JSON_KB"], defaults()["MAX_FORM_KB"]) == (1024, 4096)
    cfg = load_config({"MAX_JSON_KB": "64", "MAX_FORM_KB": "2048"})
    assert (cfg["MAX_JSON_KB"], cfg["MAX_FORM_KB"]) == (64, 2048)
    for bad in ("0", "lots"):
        with pytest.raises(ConfigError, match="MAX_JSON_KB"):
            load_config({"MAX_JSON_KB": bad})


def test_json_body_under_the_cap_is_taken(client):
    learner = make_user("learner")
    resp = client.post("/api/v1/portfolio-items", headers=bearer(learner),
                       json={"title": "Write-up", "item_type": "writeup", "summary": "s" * 19_000})
    assert resp.status_code == 201 and resp.get_json()["title"] == "Write-up"


@pytest.mark.parametrize("url", ["/no/such/page", "/api/v1/no-such-thing", "/api/v1/capstones/1/nope"])
@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_body_to_a_url_no_route_matches_is_404_and_never_read(client, parses, url, method):
    body = Body(60 * KB * KB, b"{")
    resp = send(client, method, url, body)
    assert resp.status_code == 404 and body.consumed == 0 and not parses
    chunked = Body(None, b"{")
    resp = send(client, method, url, chunked, chunked=True)
    assert resp.status_code == 404 and chunked.consumed == 0 and not parses


def test_body_to_a_url_that_refuses_the_method_is_405_and_never_read(client, parses):
    body = Body(2 * KB * KB, b"{")
    resp = send(client, "PUT", "/api/v1/portfolio-items", body)
    assert resp.status_code == 405 and body.consumed == 0 and not parses


@pytest.mark.parametrize("size", [100, 60 * KB * KB])
def test_api_body_without_a_valid_token_is_401_and_never_read(client, parses, size):
    learner = make_user("learner")
    cap = capstone_for(learner)
    before = snapshot()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        body = Body(size, b"{")
        resp = send(client, "PATCH", f"/api/v1/capstones/{cap.id}", body, headers=headers)
        assert resp.status_code == 401 and error_of(resp)["code"] == "unauthorized"
        assert body.consumed == 0 and not parses
    assert snapshot() == before


def test_page_json_body_of_a_visitor_is_never_parsed(client, parses):
    body = Body(100, b"{")
    resp = send(client, "POST", "/files/direct", body)
    assert resp.status_code in (302, 401) and not parses and body.consumed == 0


def test_api_body_that_is_not_json_is_422_and_never_read(client, parses):
    learner = make_user("learner")
    body = Body(50 * KB * KB, b"a")
    resp = send(client, "POST", "/api/v1/portfolio-items", body, content_type="multipart/form-data; boundary=x",
                headers=bearer(learner))
    assert resp.status_code == 422 and "application/json" in error_of(resp)["message"]
    assert body.consumed == 0 and not parses
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_urlencoded_form_over_the_form_cap_is_413(client, login_as):
    user = login_as("learner", display_name="Before")
    size = 4096 * KB + 1
    resp = send(client, "POST", "/account/profile", Body(size, b"a"), content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413 and "too large" in resp.get_data(as_text=True)
    assert db.session.get(User, user.id).display_name == "Before"


def test_multipart_upload_keeps_its_own_larger_limit(client, app):
    from tests.media_samples import sample

    learner = make_user("learner")
    item = make_item(learner)
    pdf = sample("pdf") + b"\n%" + b"x" * (2 * KB * KB)
    resp = client.post(f"/api/v1/portfolio-items/{item.id}/evidence", headers=bearer(learner),
                       data={"file": (io.BytesIO(pdf), "big.pdf")})
    assert resp.status_code == 201, resp.get_json()


@pytest.mark.parametrize("depth", [5000, 100])
def test_deeply_nested_json_is_400_in_the_error_shape(client, depth):
    learner = make_user("learner")
    cap = capstone_for(learner)
    before = snapshot()
    resp = client.patch(f"/api/v1/capstones/{cap.id}", data="[" * depth + "]" * depth,
                        content_type="application/json", headers=bearer(learner))
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["code"] == "bad_request" and "nested" in err["message"]
    assert snapshot() == before
    nested = "1"
    for _ in range(depth):
        nested = '{"a": %s}' % nested
    resp = client.post("/api/v1/portfolio-items", data=nested, content_type="application/json",
                       headers=bearer(learner))
    assert resp.status_code == 400 and "nested" in error_of(resp)["message"]


def test_deeply_nested_json_to_a_page_route_is_400(client, login_as):
    login_as("learner")
    resp = client.post("/files/direct", data="[" * 5000, content_type="application/json")
    assert resp.status_code == 400


# ---- finding 3: what text is taken ------------------------------------------------------------------------------

LONE = "\ud800"


def test_lone_surrogate_in_capstone_patch_is_422_naming_the_field(client):
    learner = make_user("learner")
    cap = capstone_for(learner)
    before = snapshot()
    resp = client.patch(f"/api/v1/capstones/{cap.id}", headers=bearer(learner),
                        **escaped({"investigation_findings": {"threats": ["Ransomware", f"bad {LONE} text"]}}))
    assert resp.status_code == 422
    err = error_of(resp)
    assert err["code"] == "invalid" and list(err["fields"]) == ["investigation_findings.threats.1"]
    assert "Unicode" in err["fields"]["investigation_findings.threats.1"]
    assert snapshot() == before


@pytest.mark.parametrize("body, field", [
    ({"title": "Tags", "item_type": "writeup", "skill_tags": ["ok", LONE]}, "skill_tags.1"),
    ({"title": f"T{LONE}", "item_type": "writeup"}, "title"),
    ({"title": "T", "item_type": "writeup", "summary": "\udfff"}, "summary"),
])
def test_lone_surrogate_in_portfolio_post_is_422_and_stores_nothing(client, body, field):
    learner = make_user("learner")
    resp = client.post("/api/v1/portfolio-items", **escaped(body), headers=bearer(learner))
    assert resp.status_code == 422 and list(error_of(resp)["fields"]) == [field]
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_lone_surrogate_in_portfolio_patch_is_422_and_changes_nothing(client):
    learner = make_user("learner")
    item = make_item(learner, skill_tags=["before"])
    resp = client.patch(f"/api/v1/portfolio-items/{item.id}", **escaped({"skill_tags": ["a", "b", "c\udc80"]}),
                        headers=bearer(learner))
    assert resp.status_code == 422 and list(error_of(resp)["fields"]) == ["skill_tags.2"]
    db.session.expire_all()
    assert db.session.get(PortfolioItem, item.id).skill_tags == ["before"]


@pytest.mark.parametrize("body, field", [
    ({"feedback_per_subtask": {"1": f"x{LONE}"}}, "feedback_per_subtask.1"),
    ({"rubric_comments": {LONE: "x"}}, "rubric_comments.\ufffd"),
    ({"written_feedback": "ok\x00"}, "written_feedback"),
])
def test_bad_text_in_review_patch_is_422_naming_the_field(client, body, field):
    learner, mentor, cap, review = setup_review()
    before = review_snapshot(review)
    resp = client.patch(f"/api/v1/mentorship-interactions/{review.id}", **escaped(body), headers=bearer(mentor))
    assert resp.status_code == 422 and list(error_of(resp)["fields"]) == [field]
    assert review_snapshot(review) == before


def test_surrogate_sent_as_utf8_bytes_in_json_is_422(client):
    learner = make_user("learner")
    resp = client.post("/api/v1/portfolio-items", data=b'{"title": "\xed\xa0\x80", "item_type": "writeup"}',
                       content_type="application/json", headers=bearer(learner))
    assert resp.status_code == 422 and list(error_of(resp)["fields"]) == ["title"]
    assert db.session.scalar(select(func.count()).select_from(PortfolioItem)) == 0


def test_json_that_is_not_utf8_is_400(client):
    learner = make_user("learner")
    resp = client.post("/api/v1/portfolio-items", data=b'{"title": "\xff", "item_type": "writeup"}',
                       content_type="application/json", headers=bearer(learner))
    assert resp.status_code == 400 and error_of(resp)["code"] == "bad_request"


def test_bad_text_is_refused_after_the_token_check(client):
    resp = client.post("/api/v1/portfolio-items", **escaped({"title": LONE, "item_type": "writeup"}))
    assert resp.status_code == 401


@pytest.mark.parametrize("raw", [b"display_name=%ED%A0%80&handle=abc&bio=", b"display_name=\xed\xa0\x80&handle=abc&bio=",
                                 b"display_name=Ann%FF&handle=abc&bio=", b"display_name=A%00B&handle=abc&bio="])
def test_bad_text_in_a_form_post_is_422_naming_the_field(client, login_as, raw):
    user = login_as("learner", display_name="Before")
    resp = client.post("/account/profile", data=raw, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 422 and "display_name" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Before"


@pytest.mark.parametrize("query", [b"q=%ED%A0%80", b"q=\xff", b"q=a%00b", b"q%00=a"])
def test_bad_text_in_a_query_string_is_422(client, login_as, query):
    login_as("learner")
    resp = client.get("/missions", environ_overrides={"QUERY_STRING": query.decode("latin-1")})
    assert resp.status_code == 422 and "q" in resp.get_data(as_text=True)


def test_bad_text_in_an_api_query_string_is_422_in_the_error_shape(client):
    learner = make_user("learner")
    resp = client.get("/api/v1/missions?q=%ED%A0%80", headers=bearer(learner))
    assert resp.status_code == 422 and list(error_of(resp)["fields"]) == ["q"]


def test_good_text_passes_untouched(client):
    learner = make_user("learner")
    tags = ["café", "日本語", "emoji 😀", "tab\tand\nnewline"]
    resp = client.post("/api/v1/portfolio-items", headers=bearer(learner),
                       json={"title": "Ünïcode ✓", "item_type": "writeup", "skill_tags": tags[:3]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["title"] == "Ünïcode ✓" and body["skill_tags"] == tags[:3]


# ---- bad text already stored renders --------------------------------------------------------------------------

@pytest.fixture
def stored_bad_text():
    """Rows holding lone surrogates in JSON columns, as rows written before the boundary check could.
    PostgreSQL cannot store a lone surrogate at all (jsonb and text refuse it), so only SQLite gets here."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses lone surrogates, so no such row can exist there")
    learner = make_user("learner", handle="bad-text")
    mentor = make_user("mentor")
    assign(mentor, learner)
    item = make_item(learner, title="Tagged", skill_tags=["good-tag", f"bad{LONE}tag"], status="approved",
                     visibility="public")
    cap = capstone_for(learner, make_mission(slug="bad-text-mission"),
                       investigation_findings={"threats": [f"threat {LONE} here"]})
    return {"learner": learner, "mentor": mentor, "item": item, "capstone": cap}


def _shows_replacement(resp, good: str | None) -> None:
    assert resp.status_code == 200, resp.status_code
    text = resp.get_data().decode("utf-8")        # strict: the response is valid UTF-8
    if good is not None:
        assert good in text and "\ufffd" in text


def test_pages_with_stored_bad_text_render_with_replacement_characters(client, stored_bad_text):
    from tests.conftest import log_in

    w = stored_bad_text
    log_in(client, w["learner"])
    _shows_replacement(client.get("/portfolio"), "good-tag")
    _shows_replacement(client.get(f"/portfolio/items/{w['item'].id}"), "good-tag")
    _shows_replacement(client.get(f"/capstones/{w['capstone'].id}"), "threat")
    _shows_replacement(client.get("/p/bad-text"), "good-tag")
    log_in(client, w["mentor"])
    _shows_replacement(client.get(f"/portfolio/items/{w['item'].id}"), "good-tag")
    _shows_replacement(client.get(f"/capstones/{w['capstone'].id}"), "threat")


def test_api_with_stored_bad_text_answers_with_replacement_characters(client, stored_bad_text):
    w = stored_bad_text
    auth = bearer(w["learner"])
    for url, good in ((f"/api/v1/portfolio-items/{w['item'].id}", "good-tag"),
                      (f"/api/v1/capstones/{w['capstone'].id}", "threat"),
                      ("/api/v1/portfolio-items", "good-tag"),
                      ("/api/v1/users/bad-text/portfolio", "good-tag")):
        resp = client.get(url, headers=auth)
        _shows_replacement(resp, good)
        assert "\\ud800" not in resp.get_data(as_text=True), url


def test_review_with_stored_bad_markdown_renders(client):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses lone surrogates, so no such row can exist there")
    from tests.conftest import log_in
    from webapp.models.base import utcnow

    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    sid = str(cap.mission.subtasks[0]["id"])
    make_review(mentor, cap, total_phases=1, feedback_per_subtask={sid: f"**bold** {LONE}"}, status="submitted",
                submitted_at=utcnow())
    for user in (mentor, learner):
        log_in(client, user)
        _shows_replacement(client.get(f"/capstones/{cap.id}"), "<strong>bold</strong>")


def test_multipart_part_without_a_name_is_refused_cleanly_not_a_500(client):
    """A form part with no `name` (as a fuzzer sends) reaches the text check as a field named None."""
    learner = make_user("learner")
    item = make_item(learner)
    body = (b"--x\r\nContent-Disposition: form-data\r\n\r\n\x00oops\r\n"
            b"--x\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nfine\r\n--x--\r\n")
    resp = client.post(f"/api/v1/portfolio-items/{item.id}/evidence", data=body,
                       content_type="multipart/form-data; boundary=x", headers=bearer(learner))
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)
    assert set(resp.get_json()) == {"error"}
