"""A write's commit (services/transitions.commit) keeps the rows the request had read, so the answer that shows
them does not read them back: the columns as written, and the rows they refer to while the foreign key still
names them. A reference whose key the request changed is read again, and is then the new row."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.attempts.helpers import start
from tests.attempts.test_play import timed_mission
from tests.capstones.helpers import VALUES, capstone_for, world
from tests.conftest import count_queries, hx
from tests.factories import make_mission, make_token
from webapp.extensions import db
from webapp.models import CapstoneProject
from webapp.services import transitions


def _statements_reading(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s]


def test_the_api_patch_answers_with_the_mission_it_read_before_the_commit(client):
    w = world()
    cap_id, slug = capstone_for(w["owner"], w["mission"]).id, w["mission"].slug
    _, token = make_token(w["owner"])
    db.session.close()
    with count_queries() as q:
        resp = client.patch(f"/api/v1/capstones/{cap_id}", headers={"Authorization": f"Bearer {token}"},
                            json={**VALUES["decision_making"]})
    assert resp.status_code == 200 and resp.get_json()["mission"]["slug"] == slug
    assert _statements_reading(q.statements, "missions") == [], q.statements


def test_a_submitted_subtask_is_answered_without_reading_the_attempt_or_its_mission_again(client, login_as):
    login_as("learner")
    attempt = start(client, timed_mission(slug="night-shift"))
    attempt_id = attempt.id
    db.session.close()
    with count_queries() as q:
        resp = client.post(f"/attempts/{attempt_id}/subtasks/1", headers=hx(target="attempt-subtask"),
                           data={"response": "My analysis.", "decision-isolate": "no"})
    assert resp.status_code == 200 and "Scope the incident." in resp.get_data(as_text=True)
    # The attempt with its mission and learner before the transaction, then the attempt again under its lock.
    assert len(_statements_reading(q.statements, "mission_attempts")) == 2, q.statements
    assert _statements_reading(q.statements, "missions") == [], q.statements


def test_a_reference_whose_key_changed_is_read_again_as_the_new_row(app):
    w = world()
    cap_id, slug = capstone_for(w["owner"], w["mission"]).id, w["mission"].slug
    other_id = make_mission(slug="other-mission", title="Another mission").id
    db.session.close()
    loaded = db.session.scalar(select(CapstoneProject).options(joinedload(CapstoneProject.mission))
                               .where(CapstoneProject.id == cap_id))
    assert loaded.mission.slug == slug
    loaded.mission_id = other_id            # the key, not the relationship
    transitions.commit(loaded)
    assert loaded.mission.slug == "other-mission"
    assert db.session.scalar(select(CapstoneProject.mission_id).where(CapstoneProject.id == cap_id)) == other_id
