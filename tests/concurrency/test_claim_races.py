"""Queue races (issue #15, finding 6): two mentors claiming one waiting submission, a claim racing an admin's
reassignment. Exactly one wins; the other gets 409 saying who holds it now; the claim is the winner's."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.concurrency.conftest import browser, play, race
from tests.factories import make_mission, make_user
from tests.mentorship.helpers import make_attempt, submitted_capstone
from webapp.extensions import db
from webapp.models import CapstoneProject, MissionAttempt
from webapp.models.base import utcnow

MODELS = {"attempt": MissionAttempt, "capstone": CapstoneProject}


def _waiting(kind: str, mission) -> int:
    learner = make_user("learner")
    if kind == "attempt":
        return make_attempt(learner, mission, review_requested_at=utcnow() - timedelta(hours=1)).id
    return submitted_capstone(learner, mission).id


def _claimed_by(kind: str, subject_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(MODELS[kind], subject_id).claimed_by_id


@pytest.mark.parametrize("kind", ["attempt", "capstone"])
def test_two_mentors_claiming_one_submission_at_once_one_holds_it(served, rounds, kind):
    mission = make_mission()
    one, two = make_user("mentor", display_name="Mo One"), make_user("mentor", display_name="Mo Two")
    ids = {"one": one.id, "two": two.id}
    names = {"one": "Mo One", "two": "Mo Two"}
    b1, b2 = browser(served, one), browser(served, two)

    def one_round(n):
        subject_id = _waiting(kind, mission)
        url = f"/mentorship/queue/{kind}/{subject_id}/claim"
        r1, r2 = race(lambda: b1.post(url), lambda: b2.post(url))
        assert sorted([r1.status_code, r2.status_code]) == [303, 409], (n, r1.status_code, r2.status_code)
        winner, loser = ("one", r2) if r1.status_code == 303 else ("two", r1)
        assert _claimed_by(kind, subject_id) == ids[winner]
        assert f"Another mentor, {names[winner]}, claimed this submission first." in loser.text
        told = (b1 if winner == "one" else b2).get((r1 if winner == "one" else r2).headers["Location"]).text
        assert "Claimed. It is yours to review" in told

    play(rounds, one_round)


def test_a_claim_racing_a_reassignment_one_of_them_decides(served, rounds):
    mission = make_mission()
    admin, claimer = make_user("admin"), make_user("mentor", display_name="Cam Claimer")
    target = make_user("mentor", display_name="Tia Target")
    ids = {"claim": claimer.id, "reassign": target.id}
    target_email = target.email
    boss, mentor = browser(served, admin), browser(served, claimer)

    def one_round(n):
        subject_id = _waiting("attempt", mission)
        claim, reassign = race(
            lambda: mentor.post(f"/mentorship/queue/attempt/{subject_id}/claim"),
            lambda: boss.post(f"/mentorship/queue/attempt/{subject_id}/reassign", data={"mentor_email": target_email}))
        holder = _claimed_by("attempt", subject_id)
        if (claim.status_code, reassign.status_code) == (303, 303):
            # One after the other, not a race: an admin's reassignment may override a claim made before it.
            assert holder == ids["reassign"]
            return
        assert sorted([claim.status_code, reassign.status_code]) == [303, 409], (n, claim.status_code,
                                                                                  reassign.status_code)
        if claim.status_code == 303:
            assert holder == ids["claim"]
            assert "Cam Claimer" in reassign.text and "Nothing was reassigned" in reassign.text
        else:
            assert holder == ids["reassign"]
            assert "Another mentor, Tia Target, claimed this submission first." in claim.text

    play(rounds, one_round)
