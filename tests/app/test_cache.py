"""The revision cache (webapp/caching): what is cached is never served once the data behind it changed,
whichever worker or host changed it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import CSRFClient, count_queries, log_in
from webapp import create_app
from webapp.caching.store import RevisionStore
from webapp.extensions import db
from webapp.models import CacheRevision, Mission


def titles(resp) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', resp.get_data(as_text=True))


def catalogue_revision() -> str | None:
    return db.session.scalar(select(CacheRevision.revision).where(CacheRevision.name == "catalogue"))


# ---- the cache object (no database) -------------------------------------------------------------------------

def test_value_is_made_once_per_revision_and_key():
    store = RevisionStore(maxsize=10)
    made = []

    def make(value):
        return lambda: made.append(value) or value

    assert store.get("catalogue", "r1", "a", make("A1")) == "A1"
    assert store.get("catalogue", "r1", "a", make("again")) == "A1"
    assert store.get("catalogue", "r1", "b", make("B1")) == "B1"
    assert store.get("catalogue", "r2", "a", make("A2")) == "A2"
    assert made == ["A1", "B1", "A2"]


def test_values_of_an_older_revision_are_the_first_to_go():
    store = RevisionStore(maxsize=2)
    store.get("catalogue", "r1", "a", lambda: "A1")
    store.get("catalogue", "r2", "a", lambda: "A2")       # a change: "r1" is never asked for again
    store.get("catalogue", "r2", "b", lambda: "B2")       # the store is full: the value made from r1 goes
    assert len(store) == 2
    assert store.get("catalogue", "r2", "a", lambda: "remade") == "A2"
    assert store.get("catalogue", "r2", "b", lambda: "remade") == "B2"


def test_cache_keeps_at_most_maxsize_values_dropping_the_least_recently_used():
    store = RevisionStore(maxsize=2)
    store.get("catalogue", "r", 1, lambda: "one")
    store.get("catalogue", "r", 2, lambda: "two")
    store.get("catalogue", "r", 1, lambda: "not made")   # 1 is now the most recent
    store.get("catalogue", "r", 3, lambda: "three")       # drops 2
    assert len(store) == 2
    assert store.get("catalogue", "r", 1, lambda: "remade") == "one"
    assert store.get("catalogue", "r", 2, lambda: "remade") == "remade"


def test_cache_keeps_about_maxbytes_of_values_dropping_the_least_recently_used():
    store = RevisionStore(maxsize=100, maxbytes=10)
    store.get("people", "r", 1, lambda: "aaaa")
    store.get("people", "r", 2, lambda: ("bbb", "b"))     # a page kept as parts counts every part
    assert (len(store), store.nbytes) == (2, 8)
    store.get("people", "r", 3, lambda: "cccc")            # 12 bytes: drops 1
    assert (len(store), store.nbytes) == (2, 8)
    assert store.get("people", "r", 1, lambda: "remade") == "remade"
    # A value larger than the whole cache is served but not kept.
    assert store.get("people", "r", 4, lambda: "x" * 11) == "x" * 11
    assert store.get("people", "r", 4, lambda: "again") == "again"


def test_a_failure_while_making_caches_nothing():
    store = RevisionStore()

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.get("catalogue", "r", "k", boom)
    assert store.get("catalogue", "r", "k", lambda: "ok") == "ok"


# ---- revisions follow the data --------------------------------------------------------------------------------

def test_adding_changing_and_deleting_a_mission_each_write_a_new_revision(app):
    seen = [catalogue_revision()]
    mission = factories.make_mission(title="First")
    seen.append(catalogue_revision())
    mission.title = "Renamed"
    db.session.commit()
    seen.append(catalogue_revision())
    db.session.delete(mission)
    db.session.commit()
    seen.append(catalogue_revision())
    # The first value is the migration's (or None after another test emptied the table); each change replaces it.
    assert None not in seen[1:]
    assert len(set(seen)) == 4


def test_a_rolled_back_change_keeps_the_revision(app):
    factories.make_mission(title="First")
    before = catalogue_revision()
    db.session.add(Mission(**{**factories.mission_data(), "slug": "never-saved"}))
    db.session.flush()
    db.session.rollback()
    assert catalogue_revision() == before


def test_setting_a_mission_field_to_the_value_it_has_keeps_the_revision(app):
    mission = factories.make_mission(title="First")
    before = catalogue_revision()
    assert mission.title == "First"     # loaded, so the session knows the value it is set to again
    mission.title = "First"
    db.session.commit()
    assert catalogue_revision() == before


def test_writes_to_other_tables_keep_the_revision(app):
    factories.make_mission(title="First")
    before = catalogue_revision()
    factories.make_user("learner")
    assert catalogue_revision() == before


# ---- pages ----------------------------------------------------------------------------------------------------

def test_catalogue_page_shows_a_renamed_or_unpublished_mission_at_once(client, login_as):
    login_as("learner")
    mission = factories.make_mission(title="Night shift")
    factories.make_mission(title="Day shift")
    assert titles(client.get("/missions")) == ["Day shift", "Night shift"]
    with count_queries() as cached:
        assert titles(client.get("/missions")) == ["Day shift", "Night shift"]
    mission.title = "Late shift"
    db.session.commit()
    assert titles(client.get("/missions")) == ["Day shift", "Late shift"]
    mission.is_published = False
    db.session.commit()
    assert titles(client.get("/missions")) == ["Day shift"]
    # A cached page reads the user, which brings the catalogue's revision with it, and nothing else.
    assert cached.count == 1, cached.statements


def test_filters_and_roles_are_cached_apart(client, app):
    factories.make_mission(title="Hidden", is_published=False, track="defender")
    factories.make_mission(title="Open", track="grc")
    mentor, learner = factories.make_user("mentor"), factories.make_user("learner")
    log_in(client, learner)
    assert titles(client.get("/missions")) == ["Open"]
    log_in(client, mentor)
    assert sorted(titles(client.get("/missions"))) == ["Hidden", "Open"]
    assert titles(client.get("/missions?track=defender")) == ["Hidden"]
    log_in(client, learner)
    assert titles(client.get("/missions?track=defender")) == []
    assert titles(client.get("/missions")) == ["Open"]


def test_a_change_made_through_another_host_is_seen_at_once(app, client, login_as, tmp_path):
    """Two app processes on one database: the second changes a mission, the first must not serve its copy."""
    login_as("learner")
    factories.make_mission(slug="night-shift", title="Night shift")
    assert titles(client.get("/missions")) == ["Night shift"]
    other = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                        "ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path), "SERVER_NAME": "mastery.test"})
    other.test_client_class = CSRFClient
    with other.app_context():
        row = db.session.scalar(select(Mission).where(Mission.slug == "night-shift"))
        row.title = "Changed elsewhere"
        db.session.commit()
        db.session.remove()
    assert titles(client.get("/missions")) == ["Changed elsewhere"]


def test_api_pages_are_cached_apart_by_page_and_size(client):
    from tests.api.test_api_base import API, add_missions, bearer

    auth = bearer(factories.make_user("learner"))
    add_missions(5)
    first = client.get(f"{API}/missions?per_page=2", headers=auth).get_json()
    second = client.get(f"{API}/missions?per_page=2&page=2", headers=auth).get_json()
    wide = client.get(f"{API}/missions?per_page=5", headers=auth).get_json()
    assert [len(p["items"]) for p in (first, second, wide)] == [2, 2, 5]
    assert {m["slug"] for m in first["items"]}.isdisjoint(m["slug"] for m in second["items"])
    assert client.get(f"{API}/missions?per_page=2", headers=auth).get_json() == first
