"""Concurrent requests against the same database, each thread with its own client, app context and session."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.capstones.helpers import VALUES, activities, capstone_for, reload
from tests.conftest import log_in
from tests.factories import make_completed_attempt, make_mission, make_token, make_user
from webapp.extensions import db
from webapp.models import CapstoneActivity, CapstoneProject


def _race(app, user, request, n=2):
    """Run `request(client)` in n threads released together; returns the responses' (status, body)."""
    barrier = threading.Barrier(n)
    results, errors = [], []
    clients = []
    for _ in range(n):
        clients.append(app.test_client())
        log_in(clients[-1], user)

    def worker(client):
        try:
            barrier.wait(timeout=10)
            resp = request(client)
            results.append((resp.status_code, resp.get_data(as_text=True)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(client,)) for client in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def test_two_simultaneous_starts_give_one_capstone(app):
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission)
    slug = mission.slug
    results = _race(app, learner, lambda c: c.post("/capstones", data={"mission": slug}))
    assert sorted(s for s, _ in results) == [303, 303]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 1
    assert db.session.scalar(select(func.count()).select_from(CapstoneActivity)) == 1


def test_two_simultaneous_api_starts_give_one_201_and_one_409_with_the_existing_id(app):
    learner, mission = make_user("learner"), make_mission()
    make_completed_attempt(learner, mission)
    _, token = make_token(learner)
    slug = mission.slug
    results = _race(app, learner, lambda c: c.post("/api/v1/capstones", json={"mission": slug},
                                                   headers={"Authorization": f"Bearer {token}"}))
    db.session.expire_all()
    cap = db.session.scalar(select(CapstoneProject))
    assert db.session.scalar(select(func.count()).select_from(CapstoneProject)) == 1
    assert sorted(s for s, _ in results) == [201, 409]
    assert f'"existing_id":{cap.id}' in [b for s, b in results if s == 409][0].replace(" ", "")


def test_two_simultaneous_completions_of_the_same_phase_give_one_completion(app):
    learner = make_user("learner")
    cap = capstone_for(learner, make_mission(), **VALUES["investigation"])
    _, token = make_token(learner)
    cap_id = cap.id
    results = _race(app, learner, lambda c: c.post(f"/api/v1/capstones/{cap_id}/phases/investigation/complete",
                                                   headers={"Authorization": f"Bearer {token}"}))
    assert sorted(s for s, _ in results) == [200, 409]
    assert reload(cap.id).investigation_completed_at is not None
    assert activities(cap.id) == [("completed", "investigation")]


def test_two_simultaneous_page_completions_give_one_completion(app):
    from tests.capstones.helpers import FORM

    learner = make_user("learner")
    cap = capstone_for(learner, make_mission())
    data = {**FORM["investigation"], "action": "complete", "version": "1"}
    cap_id = cap.id
    results = _race(app, learner, lambda c: c.post(f"/capstones/{cap_id}/phases/investigation", data=data))
    statuses = sorted(s for s, _ in results)
    assert statuses[0] == 303 and statuses[1] == 409
    assert [a for a in activities(cap.id) if a[0] == "completed"] == [("completed", "investigation")]


def _saved_elsewhere(cap, **values) -> None:
    """Another request saves the capstone: its row moves on to the next version behind this session's back."""
    with db.engine.begin() as conn:
        conn.execute(CapstoneProject.__table__.update().where(CapstoneProject.id == cap.id)
                     .values(version_id=CapstoneProject.version_id + 1, **values))


def test_a_save_without_version_that_meets_a_concurrent_save_is_made_again_and_keeps_both():
    """The API's contract: without `version`, the last writer wins field by field (no 409)."""
    from webapp.services import capstones as service

    learner = make_user("learner")
    cap = capstone_for(learner)
    cap_id, version = cap.id, cap.version_id
    _saved_elsewhere(cap, remediation_plan="Their plan")          # this session still holds the old version
    service.save_fields(cap, {"decision_analysis": "Our analysis"}, learner)
    db.session.expire_all()
    row = db.session.get(CapstoneProject, cap_id)
    assert (row.remediation_plan, row.decision_analysis) == ("Their plan", "Our analysis")
    assert row.version_id == version + 2
    assert activities(cap_id) == [("saved", "decision_making")]   # logged once, by the try that was saved


def test_a_save_with_a_version_that_meets_a_concurrent_save_is_409_and_changes_nothing():
    from webapp.services import capstones as service

    learner = make_user("learner")
    cap = capstone_for(learner)
    cap_id, version = cap.id, cap.version_id
    _saved_elsewhere(cap, remediation_plan="Their plan")
    try:
        service.save_fields(cap, {"decision_analysis": "Our analysis"}, learner, expected_version=version)
    except service.StaleCapstone:
        pass
    else:
        raise AssertionError("a save with a stale version must be refused")
    db.session.expire_all()
    row = db.session.get(CapstoneProject, cap_id)
    assert (row.remediation_plan, row.decision_analysis) == ("Their plan", "")
    assert activities(cap_id) == []


def test_simultaneous_api_saves_without_version_all_answer_200_and_keep_every_field(app):
    learner = make_user("learner")
    cap = capstone_for(learner)
    cap_id = cap.id
    _, token = make_token(learner)
    names = ("decision_analysis", "remediation_plan", "report_summary", "presentation_notes")
    fields = iter(names)
    lock = threading.Lock()

    def save(client):
        with lock:
            name = next(fields)
        return client.patch(f"/api/v1/capstones/{cap_id}", json={name: f"by {name}"},
                            headers={"Authorization": f"Bearer {token}"})

    results = _race(app, learner, save, n=4)
    assert [s for s, _ in results] == [200] * 4, results
    db.session.expire_all()
    row = db.session.get(CapstoneProject, cap_id)
    for name in names:
        assert getattr(row, name) == f"by {name}"
