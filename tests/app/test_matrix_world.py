"""The permission matrix restores its world instead of building it for every case (tests/app/test_route_matrix.py):
a restored world is row for row the one built, its uploads are readable, new rows get fresh ids, and no cached
fragment of an earlier case can be served (fresh cache revisions)."""
from __future__ import annotations

from sqlalchemy import select

from tests.app.test_route_matrix import _world
from tests.snapshots import database_snapshot
from webapp.extensions import db
from webapp.models import CacheRevision, StoredFile, User
from webapp.storage import get_storage

from ..factories import make_user


def _rows_but_revisions() -> dict:
    snap = database_snapshot()
    snap.pop(CacheRevision.__tablename__)
    return snap


def test_a_restored_world_is_the_world_built(client):
    first = _world("owner")
    first_ids = {n: u.id for n, u in first["people"].items()}
    built = _rows_but_revisions()
    revisions = set(db.session.scalars(select(CacheRevision.revision)))
    # Something a case might do: delete an upload's object and add a user.
    key = first["params"]["key"]
    get_storage().delete(key)
    make_user("learner")
    again = _world("owner")
    assert _rows_but_revisions() == built
    assert revisions.isdisjoint(db.session.scalars(select(CacheRevision.revision)))
    assert again["params"] == first["params"] and again["values"] == first["values"]
    assert {n: u.id for n, u in again["people"].items()} == first_ids
    assert all(isinstance(u, User) for u in again["people"].values())
    storage = get_storage()
    assert all(storage.exists(k) for k in db.session.scalars(select(StoredFile.key)))
    # New rows get ids past the restored ones (PostgreSQL's sequences were moved on).
    newcomer = make_user("learner")
    assert newcomer.id > max(u.id for u in again["people"].values())


def test_each_variant_differs_only_as_built(client):
    plain_capstone = _world("owner")["params"]["capstone_id"]
    claimed = _world("holder")
    from webapp.models import CapstoneProject

    cap = db.session.get(CapstoneProject, claimed["params"]["capstone_id"])
    assert cap.claimed_by_id == claimed["people"]["holder"].id
    claimed_capstone = claimed["params"]["capstone_id"]
    admin_owner = _world("self_admin")
    assert admin_owner["people"]["owner"].role == "admin"
    owner = _world("owner")
    assert owner["people"]["owner"].role == "learner" and owner["params"]["capstone_id"] == plain_capstone
    assert claimed_capstone is not None
