"""Migration 0019 backfills the rubric of review phases submitted before rubrics were kept with their mission's
current rubric; drafts keep none. Its SQL runs here on the test database against rows made by the factories."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import text

from tests.factories import make_capstone, make_mission, make_review, make_user
from webapp.extensions import db
from webapp.models import MentorshipInteraction
from webapp.models.base import utcnow

_PATH = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0019_phase_history.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0019", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_backfill_gives_submitted_reviews_their_missions_rubric_and_leaves_drafts_and_kept_ones():
    mentor = make_user("mentor")
    mission, other = make_mission(), make_mission()
    other.rubric = [{"id": "only", "criterion": "Only", "weight": 1, "levels": [{"score": 1, "label": "L1"}]}]
    db.session.commit()
    submitted = make_review(mentor, make_capstone(make_user("learner"), mission), status="submitted",
                            submitted_at=utcnow())
    draft = make_review(mentor, make_capstone(make_user("learner"), mission))
    kept = make_review(mentor, make_capstone(make_user("learner"), other), status="submitted",
                       submitted_at=utcnow(), rubric=[{"id": "old", "criterion": "Old", "weight": 1, "levels": []}])
    db.session.execute(text(_migration().BACKFILL_RUBRIC))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(MentorshipInteraction, submitted.id).rubric == mission.rubric
    assert db.session.get(MentorshipInteraction, draft.id).rubric is None
    assert db.session.get(MentorshipInteraction, kept.id).rubric[0]["id"] == "old"
