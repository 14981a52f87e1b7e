"""The permission matrix (issue 8 item 2; STYLE §7): every route of the URL map x six actors.

A permitted actor gets a non-refusal answer (2xx, a redirect that is not to the login page, or 400/409/413/415/422
for a body the route does not accept in this state). A refused actor gets 302 to /auth/login (web) or 401 (API)
when anonymous, and 403 or 404 when logged in; a refused write changes no row of any table.
The rows live in tests/app/matrix_table.py; a route without a row fails test_every_route_has_a_row.
"""
from __future__ import annotations

import io
import re
import secrets

import pytest
from sqlalchemy import text

from tests.app.matrix_table import ACTORS, POLICIES, TABLE
from tests.conftest import log_in
from tests.factories import assign, make_capstone, make_item, make_mission, make_review, make_token, make_user
from tests.media_samples import sample
from tests.snapshots import database_snapshot
from webapp.extensions import db
from webapp.models import CacheRevision, CapstonePhaseVersion, Cohort, CohortMember
from webapp.storage import get_storage

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PERMITTED = {200, 201, 204, 302, 303, 400, 409, 413, 415, 422}
DENIED = {403, 404}


def _url_map_keys(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _cases():
    for (rule, method), spec in sorted(TABLE.items()):
        for actor in ACTORS:
            marks = []
            if actor in spec["xfail"]:
                marks.append(pytest.mark.xfail(strict=True, reason=spec["xfail"][actor]))
            yield pytest.param(rule, method, actor, marks=marks, id=f"{method} {rule} as {actor}")


def test_every_route_has_a_row(app):
    routes = _url_map_keys(app)
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, "routes without a row in tests/app/matrix_table.py: " + ", ".join(
        f"{m} {r}" for r, m in missing)
    assert not stale, "rows for routes the app no longer has: " + ", ".join(f"{m} {r}" for r, m in stale)


def _build_world(actor: str = "owner") -> dict:
    from tests.capstones.helpers import filled
    from webapp.domain.phases import PHASES
    from webapp.models.base import utcnow
    from webapp.services import attempts, files

    owner = make_user("learner")
    mentor = make_user("mentor")
    link = assign(mentor, owner)
    scoped = make_user("mentor")
    assign(scoped, owner, "grc")              # the world's work is all Defender
    people = {"owner": owner, "other": make_user("learner"), "mentor": mentor,
              "stranger": make_user("mentor"), "admin": make_user("admin"), "scoped": scoped,
              "holder": make_user("mentor"), "blocked": mentor, "self_admin": owner}
    spare_token, _ = make_token(owner)
    mission = make_mission()
    cap = make_capstone(owner, mission, done=tuple(PHASES), submitted_at=utcnow(), **filled(tuple(PHASES)))
    review = make_review(mentor, cap, total_phases=2, status="submitted", submitted_at=utcnow(),
                         written_feedback="Clear timeline.", recommended_next_steps=[{"title": "Practise scoping", "priority": "high", "deadline": None}])
    other_mission = make_mission()
    attempt, _ = attempts.start_or_resume(owner, other_mission, acknowledge_scope=True)
    # The capstone pages and API name a capstone still in progress, so the owner's edits go through;
    # the queue and the reviews name the submitted one.
    draft = make_capstone(owner, other_mission, **filled(upto=PHASES[0]))
    # A version of its first phase as a mentor reviewed it (what the phase history page shows).
    db.session.add(CapstonePhaseVersion(capstone_id=draft.id, phase=PHASES[0],
                                        fields={"investigation_findings": {"threats": ["Kept threat"]}}))
    stored = files.store_upload(owner, io.BytesIO(sample("pdf")), "r.pdf", "evidence")
    item = make_item(owner, status="approved", visibility="unlisted", share_token="matrix-share-token-abcdefghijk",
                     evidence_files=[stored.as_evidence()], mission_id=mission.id)
    stored.portfolio_item_id, stored.attached_at = item.id, stored.created_at
    db.session.commit()
    # A notification of the owner's (the review shared with them): what /notifications/<id>/… name.
    from webapp.models import Notification

    notification = Notification(user_id=owner.id, kind="review_shared", subject_type="review", subject_id=review.id,
                                title="A review was shared")
    db.session.add(notification)
    # The mentor's comment-bank snippet: what /mentorship/snippets/<id> names.
    from webapp.models import CommentSnippet
    snippet = CommentSnippet(owner_id=mentor.id, title="Timeline tip", body="Put times on events.")
    db.session.add(snippet)
    db.session.commit()
    # The owner's own upload, not yet part of saved work: what /files/<key> and its delete name.
    loose = files.store_upload(owner, io.BytesIO(sample("pdf")), "notes.pdf", "document")
    cohort = Cohort(name="Matrix SOC cohort", track="defender")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=owner.id),
                        CohortMember(cohort_id=cohort.id, user_id=mentor.id)])
    # A pending invitation: what /admin/invitations/<id>/… names.
    from webapp.services import account_links
    from webapp.services.actors import actor_for

    invitation = account_links.invite(actor_for(people["admin"]), "matrix-pending@example.com", "learner")
    if actor in ("holder", "blocked"):
        cap.claimed_by_id, cap.claimed_at = people["holder"].id, utcnow()
    if actor == "self_admin":
        owner.role = "admin"
    db.session.commit()
    params = {
        "token_id": spare_token.id, "assignment_id": link.id, "user_id": owner.id, "action": "deactivate",
        "capstone_id": cap.id, "key": loose.key, "shared_key": stored.key, "phase": PHASES[0], "field": "investigation_artifacts",
        "review_id": review.id, "index": 0, "slug": mission.slug, "handle": owner.handle, "item_id": item.id,
        "token": item.share_token, "attempt_id": attempt.id, "subtask_id": attempt.current_subtask_id or 1,
        "subject_id": cap.id, "draft_capstone_id": draft.id, "notification_id": notification.id,
        "cohort_id": cohort.id, "invitation_id": invitation.id, "snippet_id": snippet.id,
    }
    values = {"mission_slug": mission.slug, "capstone_id": cap.id, "owner_email": owner.email,
              "stranger_email": people["stranger"].email, "file_key": stored.key,
              "claim_item": f"capstone:{cap.id}"}
    return {"people": people, "params": params, "values": values}


# ---- the world, built once per variant and worker, then restored row for row --------------------------------------
# Building the world (some 30 commits) cost most of each of the matrix's ~1,600 cases. Its rows (and the bytes of its
# uploads) are kept after the first build of each variant and put back after each test's clean slate, with fresh
# cache revisions (no fragment cached by an earlier case is served) and, on PostgreSQL, each id sequence moved past
# the restored ids. What a case sees is the same world either way: tests/app/test_matrix_world.py checks it.

_WORLDS: dict[str, tuple[dict[str, list[dict]], dict, list[tuple[str, str, bytes]]]] = {}


def _variant(actor: str) -> str:
    """The world differs by actor only where _build_world says so: a claim held, the owner an admin."""
    return {"holder": "claimed", "blocked": "claimed", "self_admin": "owner_admin"}.get(actor, "plain")


def _clear() -> None:
    """The clean slate each test starts from (tests/conftest.py _clean), whatever this test did before."""
    from webapp import caching

    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(CacheRevision.__table__.insert(),
                     [{"name": n, "revision": secrets.token_hex(16)} for n in caching.SHARED_AREAS])


def _world(actor: str) -> dict:
    from webapp.models import StoredFile, User

    variant = _variant(actor)
    if variant not in _WORLDS:
        _clear()
        world = _build_world(actor)
        with db.engine.connect() as conn:
            rows = {t.name: [dict(r) for r in conn.execute(t.select()).mappings()] for t in db.metadata.sorted_tables}
        storage = get_storage()
        blobs = []
        for row in rows[StoredFile.__tablename__]:
            if row["stored_at"] is not None:
                with storage.open(row["key"]) as fh:
                    blobs.append((row["key"], row["content_type"], fh.read()))
        people = {name: user.id for name, user in world["people"].items()}
        _WORLDS[variant] = (rows, {"people": people, "params": world["params"], "values": world["values"]}, blobs)
        return world
    rows, kept, blobs = _WORLDS[variant]
    _clear()
    with db.engine.begin() as conn:
        conn.execute(CacheRevision.__table__.delete())
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        conn.execute(CacheRevision.__table__.update().values(revision=secrets.token_hex(16)))
        if conn.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is not False and rows[table.name]:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {table.name}))"))
    storage = get_storage()
    for key, content_type, data in blobs:
        if not storage.exists(key):
            storage.save(key, io.BytesIO(data), content_type=content_type, max_bytes=len(data) + 1)
    people = {name: db.session.get(User, uid) for name, uid in kept["people"].items()}
    return {"people": people, "params": dict(kept["params"]), "values": dict(kept["values"])}


def _url(rule: str, method: str, params: dict) -> str:
    def sub(m):
        conv, name = m.group(1), m.group(2)
        if conv and conv.startswith("any("):
            choices = [c.strip() for c in conv[4:-1].split(",")]
            return params[name] if params.get(name) in choices else choices[0]
        if rule.startswith("/api/") and name == "key":
            return params["phase"]          # /phases/<key>/complete names a phase
        if rule.startswith(("/capstones/", "/api/v1/capstones/")) and name == "capstone_id":
            return str(params["draft_capstone_id"])
        if rule.startswith("/s/") and name == "key":
            return params["shared_key"]     # the shared item's evidence
        return str(params[name])

    return re.sub(r"<(?:([^:<>]+):)?([a-z_]+)>", sub, rule)


def _body(spec, rule: str, values: dict):
    body = spec["body"]
    if body == "FILE":
        kind = "audio" if "media" in rule else ("evidence" if "evidence" in rule else "document")
        data, name = (sample("webm-audio"), "a.webm") if kind == "audio" else (sample("pdf"), "r.pdf")
        return {"kind": kind, "file": (io.BytesIO(data), name)}, True
    if body is None:
        return {}, False

    def fill(v):
        if isinstance(v, str) and v.startswith("{") and v.endswith("}"):
            return values[v[1:-1]]
        return v

    return {k: fill(v) for k, v in body.items()}, False


@pytest.mark.parametrize("rule,method,actor", list(_cases()))
def test_route_matrix(client, rule, method, actor):
    spec = TABLE[(rule, method)]
    world = _world(actor)
    api = rule.startswith("/api/")
    url = _url(rule, method, world["params"])
    headers = {}
    if actor != "anon":
        if api:
            headers["Authorization"] = f"Bearer {make_token(world['people'][actor])[1]}"
            # Authenticating stamps api_tokens.last_used_at (at most once a minute): do it before the snapshot,
            # so the checksum sees only what the request under test changed.
            assert client.get("/api/v1/me", headers=headers).status_code == 200
        else:
            log_in(client, world["people"][actor])
    body, is_file = _body(spec, rule, world["values"])
    kwargs = {"headers": headers}
    if method != "GET":
        if is_file:
            kwargs.update(data=body, content_type="multipart/form-data")
        elif api:
            kwargs["json"] = body
        else:
            kwargs["data"] = body

    before = database_snapshot() if method in WRITES else None
    resp = client.open(url, method=method, **kwargs)
    code, location = resp.status_code, resp.headers.get("Location", "")
    to_login = code == 302 and "/auth/login" in location
    # The body's start, decoded leniently: some answers are binary (the account export's ZIP).
    where = f"{method} {url} as {actor}: {code} {location} {resp.get_data()[:300].decode('utf-8', 'replace')!r}"

    permitted = actor in POLICIES[spec["policy"]]
    if actor in spec["allow"]:
        assert code in spec["allow"][actor], where
    elif permitted:
        assert code in PERMITTED and not to_login, where
    elif actor == "anon":
        assert (code == 401) if api else to_login, where
    else:
        assert code in DENIED, where

    refused = code in (401, 403, 404) or to_login
    if method in WRITES and refused:
        after = database_snapshot()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"{where}\nrefused, yet these tables changed: {sorted(changed)}"


PHASE_RULES = sorted((rule, method) for rule, method in TABLE if "<phase:" in rule)


@pytest.mark.parametrize("rule,method", PHASE_RULES, ids=[f"{m} {r}" for r, m in PHASE_RULES])
def test_an_unknown_phase_is_404_at_routing_and_changes_nothing(client, rule, method):
    """`<phase:…>` (webapp.routing.PhaseConverter) matches only the capstone phases: any other word answers 404
    to the owner, on the pages and in the API alike, before a view runs."""
    world = _world("owner")
    owner = world["people"]["owner"]
    api = rule.startswith("/api/")
    headers = {"Authorization": f"Bearer {make_token(owner)[1]}"} if api else {}
    if api:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    else:
        log_in(client, owner)
    assert rule.count("<phase:") == 1
    url = _url(rule, method, world["params"] | {"phase": "overall"})
    assert "/overall" in url
    before = database_snapshot()
    resp = client.open(url, method=method, headers=headers, **({"json": {}} if api and method != "GET" else {}))
    assert resp.status_code == 404, url
    if api:
        assert resp.get_json()["error"]["code"] == "not_found"
    assert database_snapshot() == before
