"""GET /api/v1/notifications and POST /api/v1/notifications/read (SPEC §8): the caller's own, newest first,
an `unread` filter, pages; marking some (other users' ids are ignored and not counted) or all."""
from __future__ import annotations

from datetime import timedelta

from webapp.extensions import db
from webapp.models import Notification
from webapp.models.base import utcnow

from ..factories import make_token, make_user
from .helpers import add


def _auth(user) -> dict:
    return {"Authorization": f"Bearer {make_token(user)[1]}"}


def _unread(n) -> bool:
    db.session.expire_all()
    return db.session.get(Notification, n.id).read_at is None


def test_the_list_is_the_callers_newest_first_with_links(client):
    user, actor = make_user("learner"), make_user("mentor", handle="mo")
    now = utcnow()
    old = add(user, title="Old", created_at=now - timedelta(days=1), read_at=now)
    new = add(user, title="New", subject_type="capstone", subject_id=7, actor_id=actor.id, created_at=now)
    add(make_user("learner"), title="Not yours")
    body = client.get("/api/v1/notifications", headers=_auth(user)).get_json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [new.id, old.id]
    first = body["items"][0]
    assert first["title"] == "New" and first["kind"] == "review_shared" and first["actor"] == "mo"
    assert first["url"] == "http://mastery.test/capstones/7" and first["read_at"] is None
    assert body["items"][1]["read_at"] is not None and body["items"][1]["actor"] is None


def test_the_unread_filter_and_pages(client):
    user = make_user("learner")
    now = utcnow()
    for i in range(5):
        add(user, title=f"N{i}", created_at=now - timedelta(minutes=i), read_at=now if i == 0 else None)
    headers = _auth(user)
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert [i["title"] for i in unread["items"]] == ["N1", "N2", "N3", "N4"]
    page = client.get("/api/v1/notifications?per_page=2&page=2", headers=headers).get_json()
    assert [i["title"] for i in page["items"]] == ["N2", "N3"] and page["total"] == 5
    past = client.get("/api/v1/notifications?per_page=2&page=9", headers=headers)
    assert past.status_code == 404 and past.get_json()["error"]["fields"]["page"] == "must be at most 3"


def test_mark_ids_read_ignores_other_users_ids(client):
    user, other = make_user("learner"), make_user("learner")
    a, b, c = add(user), add(user), add(user)
    theirs = add(other)
    resp = client.post("/api/v1/notifications/read", json={"ids": [a.id, b.id, theirs.id, 999999]},
                       headers=_auth(user))
    assert resp.status_code == 200 and resp.get_json() == {"marked": 2, "unread": 1}
    assert not _unread(a) and not _unread(b) and _unread(c) and _unread(theirs)
    again = client.post("/api/v1/notifications/read", json={"ids": [a.id]}, headers=_auth(user))
    assert again.get_json() == {"marked": 0, "unread": 1}


def test_mark_all_read(client):
    user, other = make_user("learner"), make_user("learner")
    mine = [add(user), add(user)]
    theirs = add(other)
    resp = client.post("/api/v1/notifications/read", json={"all": True}, headers=_auth(user))
    assert resp.get_json() == {"marked": 2, "unread": 0}
    assert not any(_unread(n) for n in mine) and _unread(theirs)


def test_a_body_naming_neither_or_both_is_422_and_marks_nothing(client):
    user = make_user("learner")
    n = add(user)
    headers = _auth(user)
    for body in ({}, {"all": False}, {"ids": [n.id], "all": True}, {"ids": "1"}, {"ids": [0]}):
        resp = client.post("/api/v1/notifications/read", json=body, headers=headers)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["code"] == "invalid"
    assert _unread(n)


def test_without_a_token_is_401(client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read", json={"all": True}).status_code == 401
