"""Property-based fuzzing of the JSON API (issue 8 item 3, SPEC §8) with schemathesis, in-process (WSGI).

Every operation of /api/v1/openapi.json is fuzzed as each role (anonymous, learner, mentor, admin) against a
small world: missions, capstones (one in progress, one under a two-phase review, another learner's), reviews,
an attempt, portfolio items in several states and an assigned mentor. Generated path parameters, ids in bodies
and queries, and uploaded files are mapped most of the time onto the world's real objects (deterministically,
from the generated value and the rest of the case), so the fuzzing gets past the 404s. Checks on every
response: no 5xx (an exception in the app is re-raised), the status code is documented, the content type is
the documented one, and the body matches the documented schema. Each operation x role is its own test (clean
database, fresh world); after an accepted DELETE the world is rebuilt so later examples still hit real objects.
Bounded for CI: MAX_EXAMPLES per operation, derandomised (repeatable), no deadline; the coverage phase is off
to stay within the time budget. FUZZ_DEBUG=1 (with -s) prints role, operation and status of every call.

The schema is loaded from the same build_spec() the endpoint serves (checked by the first test) rather than
through schemathesis.pytest.from_fixture: that lazy loader sets Function._nodeid, which pytest 9.2 removed.
"""
from __future__ import annotations

import io
import os
import sys
import zlib
from unittest import mock

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                  status_code_conformance)
from sqlalchemy import text

from tests.capstones.helpers import filled
from tests.factories import assign, make_capstone, make_item, make_mission, make_review, make_token, make_user
from tests.media_samples import sample
from webapp.api.openapi import build_spec
from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models.base import utcnow

ROLES = ("anonymous", "learner", "mentor", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BASE_URL = "http://mastery.test"
MAX_EXAMPLES = 25


def _document() -> dict:
    """The document /api/v1/openapi.json serves (test_fuzzed_document_is_the_served_one checks that), built
    without an app so that each operation x role becomes its own test with its own clean database."""
    from webapp.api.views import RESOURCES, bp
    from webapp.config import defaults

    operations = [op for module in RESOURCES for op in module.routes.operations]
    return build_spec(operations, bp.url_prefix, defaults().get("API_VERSION", "1.0.0"))


schema = schemathesis.openapi.from_dict(_document())
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(max_examples=MAX_EXAMPLES)


def test_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").get_json() == _document()


class World:
    """The objects the fuzzing aims at; rebuilt from scratch (new ids) after an accepted DELETE."""

    def __init__(self) -> None:
        self.build()

    def wipe(self) -> None:
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(text(f"DELETE FROM {table.name}"))

    def build(self) -> None:
        # One commit for the whole world: the factories' and services' commits become flushes.
        with mock.patch.object(db.session, "commit", db.session.flush):
            self._build()
        db.session.commit()

    def _build(self) -> None:
        from webapp.services import attempts, files

        learner, other, mentor, admin = (make_user("learner"), make_user("learner"), make_user("mentor"),
                                         make_user("admin"))
        assign(mentor, learner)
        self.tokens = {"learner": make_token(learner)[1], "mentor": make_token(mentor)[1],
                       "admin": make_token(admin)[1]}
        mastery, second, third = make_mission(), make_mission(), make_mission()
        beginner = make_mission(tier="beginner")
        hidden = make_mission(is_published=False)
        open_cap = make_capstone(learner, mastery, done=("investigation",), **filled(upto="decision_making"))
        reviewed = make_capstone(learner, second, done=tuple(PHASES), submitted_at=utcnow(), **filled(tuple(PHASES)))
        submitted = make_capstone(learner, third, done=tuple(PHASES), submitted_at=utcnow(), **filled(tuple(PHASES)))
        others = make_capstone(other, mastery, done=(), **filled(upto="investigation"))
        first = make_review(mentor, reviewed, review_phase=1, total_phases=2, status="submitted",
                            submitted_at=utcnow(), overall_score=70, written_feedback="Clear timeline.")
        draft = make_review(mentor, reviewed, review_phase=2, total_phases=2, written_feedback="Almost there.")
        attempt, _ = attempts.start_or_resume(learner, beginner, acknowledge_scope=True)
        stored = files.store_upload(learner, io.BytesIO(sample("pdf")), "report.pdf", "evidence")
        items = [make_item(learner, title="Draft write-up", summary="Contained the intrusion."),
                 make_item(learner, title="Submitted lab", status="submitted", submitted_at=utcnow()),
                 make_item(learner, title="Public lab", status="approved", visibility="public",
                           reviewed_at=utcnow(), skill_tags=["Log analysis"], evidence_files=[stored.as_evidence()]),
                 make_item(other, title="Someone else's")]
        stored.portfolio_item_id, stored.attached_at = items[2].id, stored.created_at
        db.session.commit()
        self.values = {
            "capstone": [open_cap.id, reviewed.id, submitted.id, others.id],
            "review": [draft.id, first.id],
            "item": [i.id for i in items],
            "attempt": [attempt.id],
            "slug": [mastery.slug, second.slug, third.slug, beginner.slug, hidden.slug],
            "handle": [learner.handle, other.handle, mentor.handle],
            "key": list(PHASES),
            "review_phase": [1, 2, 3],
        }

    def rebuild(self) -> None:
        self.wipe()
        self.build()


# Which world values a generated value with this name may become.
NAMES = {"capstone_id": "capstone", "capstone": "capstone", "review_id": "review", "item_id": "item",
         "attempt": "attempt", "slug": "slug", "mission": "slug", "handle": "handle", "owner": "handle",
         "learner": "handle", "key": "key", "review_phase": "review_phase"}
FILES = {"capstone": ("pdf", "report.pdf"), "media": ("webm-audio", "note.webm"), "evidence": ("pdf", "lab.pdf")}


def _pick(value, real: list, salt: str):
    """Mostly one of the real values, chosen by the generated value and the rest of the case; else the value."""
    i = zlib.crc32(f"{salt}|{value!r}".encode()) % (2 * len(real) + 1)
    return real[i // 2] if i < 2 * len(real) else value


def _aim(container, world: World, salt: str) -> None:
    if not isinstance(container, dict):
        return
    for name, value in list(container.items()):
        kind = NAMES.get(name)
        if kind is not None and not isinstance(value, dict | list):
            container[name] = _pick(value, world.values[kind], f"{salt}|{name}")


def _real_file(case, body: dict, salt: str) -> None:
    """Two times in three, replace a generated file part by a real file of a type the upload accepts."""
    if "file" not in body:
        return
    kind = "media" if "/media" in case.path else "evidence" if "/evidence" in case.path else "capstone"
    name, filename = FILES[kind]
    if zlib.crc32(salt.encode()) % 3:
        body["file"] = (io.BytesIO(sample(name)), filename)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, role, fuzz_world):
    world = fuzz_world
    salt = repr((case.path_parameters, case.query, case.body))  # generated data only: deterministic
    _aim(case.path_parameters, world, salt)
    _aim(case.query, world, salt)
    _aim(case.body, world, salt)
    if isinstance(case.body, dict) and case.media_type == "multipart/form-data":
        _real_file(case, case.body, salt)
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
    response = case.call_and_validate(app=app, base_url=BASE_URL, headers=headers, checks=CHECKS)
    if case.method.upper() == "DELETE" and response.status_code < 400:
        world.rebuild()  # the next examples aim at the deleted object again
    if os.environ.get("FUZZ_DEBUG"):
        print("STAT", role, case.method, case.path, response.status_code, file=sys.stderr)


@pytest.fixture
def fuzz_world(app) -> World:
    return World()
