"""Migration 0015 fills in what capstones started earlier lack: the attempt they build on and a stored request for
changes. Its SQL runs here on the test database (SQLite or PostgreSQL) against rows made by the factories."""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.factories import make_capstone, make_completed_attempt, make_mission, make_review, make_user
from webapp.extensions import db
from webapp.models import CapstoneProject
from webapp.models.base import utcnow

_PATH = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0015_capstone_attempt.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0015", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(sql: str) -> None:
    db.session.execute(text(sql))
    db.session.commit()
    db.session.expire_all()


def test_backfill_records_the_latest_completed_attempt_and_leaves_others_alone():
    learner, mission = make_user("learner"), make_mission()
    old = make_completed_attempt(learner, mission, completed_at=utcnow() - timedelta(days=3))
    latest = make_completed_attempt(learner, mission)
    make_completed_attempt(learner, mission, status="in_progress", completed_at=None)
    make_completed_attempt(make_user("learner"), mission)                          # another learner's
    without = make_capstone(learner, mission)
    lonely = make_capstone(make_user("learner"), make_mission())                  # no attempt at all
    other_learner, other_mission = make_user("learner"), make_mission()
    kept = make_capstone(other_learner, other_mission, attempt_id=make_completed_attempt(other_learner, other_mission).id)
    kept_attempt = kept.attempt_id
    _run(_migration().BACKFILL_ATTEMPT)
    assert db.session.get(CapstoneProject, without.id).attempt_id == latest.id != old.id
    assert db.session.get(CapstoneProject, lonely.id).attempt_id is None
    assert db.session.get(CapstoneProject, kept.id).attempt_id == kept_attempt


def test_backfill_stores_an_open_request_for_changes_only():
    mentor = make_user("mentor")
    asked = make_capstone(make_user("learner"), make_mission())
    make_review(mentor, asked, status="submitted", decision="request_changes", submitted_at=utcnow())
    resubmitted = make_capstone(make_user("learner"), make_mission(), submitted_at=utcnow())
    make_review(mentor, resubmitted, status="submitted", decision="request_changes",
                submitted_at=utcnow() - timedelta(days=1))
    untouched = make_capstone(make_user("learner"), make_mission())
    _run(_migration().BACKFILL_CHANGES_REQUESTED)
    assert db.session.get(CapstoneProject, asked.id).changes_requested_at is not None
    assert db.session.get(CapstoneProject, resubmitted.id).changes_requested_at is None
    assert db.session.get(CapstoneProject, untouched.id).changes_requested_at is None
