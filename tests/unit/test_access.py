"""services.access, the predicates (plain Python, no app): who may read, act on and claim whose work (issue 15
findings 1 and 7; SPEC §1, §5). The SQL filters are checked against these in tests/app/test_access_sql.py."""
from __future__ import annotations

import pytest

from webapp.domain.policies import ANONYMOUS, Actor
from webapp.services import access
from webapp.services.access import Work

LEARNER = 10
ACTORS = {
    "anonymous": ANONYMOUS,
    "owner": Actor(id=LEARNER, role="learner"),
    "other_learner": Actor(id=11, role="learner"),
    "all_tracks_mentor": Actor(id=20, role="mentor", assignments=frozenset({(LEARNER, None)})),
    "grc_mentor": Actor(id=21, role="mentor", assignments=frozenset({(LEARNER, "grc")})),
    "claimer": Actor(id=22, role="mentor"),
    "stranger_mentor": Actor(id=23, role="mentor", assignments=frozenset({(11, None)})),
    "admin": Actor(id=30, role="admin"),
    "mentor_owner": Actor(id=LEARNER, role="mentor", assignments=frozenset({(11, None)})),
    "admin_owner": Actor(id=LEARNER, role="admin"),
    "learner_with_stray_assignment": Actor(id=12, role="learner", assignments=frozenset({(LEARNER, None)})),
}
DEFENDER = Work(LEARNER, "defender")
GRC = Work(LEARNER, "grc")
UNTRACKED = Work(LEARNER, None)                      # a portfolio item linked to no mission or capstone
HELD_DEFENDER = Work(LEARNER, "defender", claim_holder=22)


@pytest.mark.parametrize(("who", "work", "allowed"), [
    ("anonymous", GRC, False), ("owner", DEFENDER, True), ("other_learner", GRC, False),
    ("all_tracks_mentor", DEFENDER, True), ("grc_mentor", GRC, True), ("grc_mentor", DEFENDER, False),
    ("grc_mentor", UNTRACKED, True), ("claimer", DEFENDER, False), ("claimer", HELD_DEFENDER, True),
    ("stranger_mentor", GRC, False), ("admin", DEFENDER, True), ("learner_with_stray_assignment", GRC, False),
    ("mentor_owner", GRC, True), ("admin_owner", GRC, True),
])
def test_may_read_by_actor_and_track(who, work, allowed):
    assert access.may_read(ACTORS[who], work) is allowed


@pytest.mark.parametrize(("who", "work", "refusal"), [
    ("anonymous", GRC, access.NOT_MENTOR), ("owner", GRC, access.NOT_MENTOR),
    ("mentor_owner", GRC, access.OWN_WORK), ("admin_owner", GRC, access.OWN_WORK),
    ("admin_owner", HELD_DEFENDER, access.OWN_WORK),
    ("all_tracks_mentor", DEFENDER, None), ("all_tracks_mentor", HELD_DEFENDER, access.HELD),
    ("grc_mentor", GRC, None), ("grc_mentor", DEFENDER, access.NOT_YOURS), ("grc_mentor", UNTRACKED, None),
    ("grc_mentor", HELD_DEFENDER, access.HELD), ("claimer", HELD_DEFENDER, None), ("claimer", DEFENDER, access.NOT_YOURS),
    ("stranger_mentor", GRC, access.NOT_YOURS), ("admin", HELD_DEFENDER, None), ("admin", GRC, None),
])
def test_act_refusal_names_why(who, work, refusal):
    assert access.act_refusal(ACTORS[who], work) == refusal
    assert access.may_act(ACTORS[who], work) is (refusal is None)


def test_own_work_message_is_clear():
    assert access.OWN_WORK == "You cannot review your own work."


@pytest.mark.parametrize(("who", "work", "allowed"), [
    ("stranger_mentor", DEFENDER, True), ("grc_mentor", DEFENDER, True), ("claimer", HELD_DEFENDER, True),
    ("all_tracks_mentor", HELD_DEFENDER, False), ("admin", HELD_DEFENDER, False), ("mentor_owner", GRC, False),
    ("admin_owner", GRC, False), ("owner", GRC, False), ("anonymous", GRC, False),
])
def test_may_claim_any_mentor_but_never_own_or_held(who, work, allowed):
    assert access.may_claim(ACTORS[who], work) is allowed


@pytest.mark.parametrize(("who", "work", "shown"), [
    ("mentor_owner", GRC, False), ("admin_owner", GRC, False),           # never one's own work
    ("all_tracks_mentor", HELD_DEFENDER, True),                          # held by someone else, but their learner
    ("stranger_mentor", HELD_DEFENDER, False), ("stranger_mentor", DEFENDER, True),
    ("admin", HELD_DEFENDER, True), ("owner", GRC, False),
])
def test_in_queue(who, work, shown):
    assert access.in_queue(ACTORS[who], work) is shown


def test_time_multiplier_by_track_never_the_learner():
    assert access.may_set_time_multiplier(ACTORS["grc_mentor"], LEARNER, "grc")
    assert not access.may_set_time_multiplier(ACTORS["grc_mentor"], LEARNER, "defender")
    assert not access.may_set_time_multiplier(ACTORS["admin_owner"], LEARNER, "grc")
    assert access.may_set_time_multiplier(ACTORS["admin"], LEARNER, "grc")


def test_review_reading_learner_sees_submitted_author_and_readers_see_all():
    assert not access.may_read_review(ACTORS["owner"], GRC, author_id=20, submitted=False)
    assert access.may_read_review(ACTORS["owner"], GRC, author_id=20, submitted=True)
    assert access.may_read_review(ACTORS["claimer"], DEFENDER, author_id=22, submitted=True)    # its author
    assert not access.may_read_review(ACTORS["grc_mentor"], DEFENDER, author_id=20, submitted=True)
    assert access.may_read_review(ACTORS["grc_mentor"], GRC, author_id=20, submitted=False)


def test_claim_holder_only_while_live():
    from datetime import datetime, timedelta

    now = datetime(2026, 12, 1, 12, 0)
    cutoff = now - timedelta(hours=48)
    assert access.claim_holder(22, now - timedelta(hours=1), cutoff) == 22
    assert access.claim_holder(22, cutoff, cutoff) is None
    assert access.claim_holder(22, None, cutoff) is None
    assert access.claim_holder(None, now, cutoff) is None


def test_mentors_learner_any_assignment_or_admin_or_self():
    assert access.mentors_learner(ACTORS["grc_mentor"], LEARNER)
    assert access.mentors_learner(ACTORS["owner"], LEARNER)
    assert access.mentors_learner(ACTORS["admin"], LEARNER)
    assert not access.mentors_learner(ACTORS["claimer"], LEARNER)
    assert not access.mentors_learner(ACTORS["learner_with_stray_assignment"], LEARNER)


# ---- the phase history: readers of the capstone, and the mentors whose reviews reopened its phases ------------------

@pytest.mark.parametrize("name, reviewed, expected", [
    ("owner", False, True), ("all_tracks_mentor", False, True), ("admin", False, True),
    ("claimer", True, True),                # reviewed from a claim that has ended since
    ("claimer", False, False), ("grc_mentor", False, False), ("other_learner", False, False),
    ("other_learner", True, False),         # a learner is never a reviewer, whatever the ids say
    ("mentor_owner", True, True),           # the owner reads their own history anyway
    ("anonymous", False, False)])
def test_may_read_history(name, reviewed, expected):
    actor = ACTORS[name]
    asked = []

    def reviewers():
        asked.append(True)
        return {actor.id} if reviewed else {99}

    assert access.may_read_history(actor, DEFENDER, reviewers) is expected
    if access.may_read(actor, DEFENDER):
        assert not asked                    # readers need no query for the reviewers
