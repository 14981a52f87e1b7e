"""Who may change a portfolio item: one parametrised test per state-changing route over anonymous, owner, other
learner, assigned mentor, unassigned mentor and admin. Each case asserts the status and, on refusal, that the
database (and storage) did not change."""
from __future__ import annotations

import pytest

from tests.factories import make_item
from webapp.extensions import db
from webapp.models import PortfolioItem, StoredFile
from webapp.models.base import utcnow

from .helpers import WHO, act_as, state, upload


@pytest.fixture
def world(client, people, store):
    """An item of the owner's with one evidence file, in the status each route needs."""
    act_as(client, people, "owner")
    key = upload(client)
    item = make_item(people["owner"], title="Owner's item", summary="clean", visibility="unlisted",
                     share_token="tok-abcdefghijklmnopqrstuvwxyz0123456789")
    row = db.session.scalar(db.select(StoredFile).where(StoredFile.key == key))
    row.portfolio_item_id, row.attached_at, row.field = item.id, utcnow(), "evidence"
    item.evidence_files = [row.as_evidence()]
    db.session.commit()
    return {"item": item, "key": key, "people": people}


def _expect(who, owner_ok, mentor_ok=403, admin_ok=403):
    return {"anonymous": 302, "owner": owner_ok, "other_learner": 404, "assigned_mentor": mentor_ok,
            "unassigned_mentor": 404, "admin": admin_ok}[who]


ROUTES = {
    # name: (status of the item, path suffix, form data, owner, assigned mentor, admin)
    "update": ("draft", "", {"title": "Changed", "item_type": "writeup", "summary": "x"}, 303, 403, 403),
    "remove_evidence": ("draft", "/evidence/remove", "KEY", 303, 403, 403),
    "submit": ("draft", "/submit", {}, 303, 403, 403),
    "review": ("submitted", "/review", {"decision": "approve", "note": "ok"}, 403, 303, 303),
    "visibility": ("approved", "/visibility", {"visibility": "public"}, 303, 403, 403),
    "rotate": ("approved", "/rotate", {}, 303, 403, 403),
    "delete": ("draft", "/delete", {}, 303, 403, 303),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("who", WHO)
def test_state_changing_route_by_actor(client, world, store, route, who):
    status, suffix, data, owner_ok, mentor_ok, admin_ok = ROUTES[route]
    item = world["item"]
    item.status = status
    db.session.commit()
    if data == "KEY":
        data = {"key": world["key"]}
    act_as(client, world["people"], who)
    before = state()
    resp = client.post(f"/portfolio/items/{item.id}{suffix}", data=data)
    expected = _expect(who, owner_ok, mentor_ok, admin_ok)
    assert resp.status_code == expected, resp.get_data(as_text=True)[:500]
    if expected == 302:
        assert "/auth/login" in resp.headers["Location"]
    if expected != 303:
        assert state() == before
        assert store.exists(world["key"])
    else:
        assert state() != before


@pytest.mark.parametrize("who", WHO)
def test_create_item_by_actor_makes_only_their_own_item(client, people, who):
    act_as(client, people, who)
    before = state()
    resp = client.post("/portfolio/items", data={"title": "Mine", "item_type": "writeup"})
    if who == "anonymous":
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
        assert state() == before
    else:
        assert resp.status_code == 303
        item = db.session.scalar(db.select(PortfolioItem))
        assert item.owner_id == people[who].id


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("owner", 200), ("other_learner", 404),
                                             ("assigned_mentor", 200), ("unassigned_mentor", 404), ("admin", 200)])
def test_view_item_by_actor(client, world, who, status):
    act_as(client, world["people"], who)
    resp = client.get(f"/portfolio/items/{world['item'].id}")
    assert resp.status_code == status
    if status == 200:
        page = resp.get_data(as_text=True)
        assert "Owner&#39;s item" in page
        # Only the owner gets the edit form and the secret link.
        assert ('id="item-form"' in page) == (who == "owner")
        assert ("tok-abcdefghijklmnopqrstuvwxyz0123456789" in page) == (who == "owner")


def test_csrf_is_required_on_item_writes(raw_client, world):
    act_as(raw_client, world["people"], "owner")
    before = state()
    resp = raw_client.post(f"/portfolio/items/{world['item'].id}/delete")
    assert resp.status_code == 400 and state() == before
