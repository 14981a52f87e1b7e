"""domain.policies: who may see mentor-only content and manage the site (SPEC §1, §5). Who may read a learner's
work is services.access's rule: tests/unit/test_access.py."""
from __future__ import annotations

import pytest

from webapp.domain.errors import Forbidden
from webapp.domain.policies import (ANONYMOUS, Actor, can_manage_catalogue, can_manage_users,
                                    can_see_mentor_notes, can_see_unpublished_missions, require)

LEARNER_ID = 10
ACTORS = {
    "anonymous": ANONYMOUS,
    "owner": Actor(id=LEARNER_ID, role="learner"),
    "other_learner": Actor(id=11, role="learner"),
    "unassigned_mentor": Actor(id=20, role="mentor", assignments=frozenset({(11, None), (12, "grc")})),
    "assigned_mentor": Actor(id=21, role="mentor", assignments=frozenset({(LEARNER_ID, None)})),
    "admin": Actor(id=30, role="admin"),
    "learner_with_stray_mentees": Actor(id=12, role="learner", assignments=frozenset({(LEARNER_ID, None)})),
}


def test_mentees_are_the_assigned_learners_of_a_mentor_only():
    assert ACTORS["assigned_mentor"].mentees == {LEARNER_ID}
    assert ACTORS["unassigned_mentor"].mentees == {11, 12}
    assert ACTORS["learner_with_stray_mentees"].mentees == frozenset()


@pytest.mark.parametrize(("who", "allowed"), [
    ("anonymous", False), ("owner", False), ("unassigned_mentor", True), ("assigned_mentor", True), ("admin", True),
])
def test_can_see_mentor_notes_and_unpublished_missions_by_role(who, allowed):
    assert can_see_mentor_notes(ACTORS[who]) is allowed
    assert can_see_unpublished_missions(ACTORS[who]) is allowed


@pytest.mark.parametrize(("who", "allowed"), [
    ("anonymous", False), ("owner", False), ("assigned_mentor", False), ("admin", True),
])
def test_can_manage_users_and_catalogue_admin_only(who, allowed):
    assert can_manage_users(ACTORS[who]) is allowed
    assert can_manage_catalogue(ACTORS[who]) is allowed


def test_anonymous_actor_has_no_role():
    assert ANONYMOUS.id is None
    assert not ANONYMOUS.is_mentor and not ANONYMOUS.is_admin


def test_require_refused_raises_forbidden_403():
    with pytest.raises(Forbidden) as info:
        require(False, "Only the learner's mentor may review this.")
    assert info.value.status == 403
    assert info.value.message == "Only the learner's mentor may review this."


def test_require_allowed_returns_none():
    assert require(True) is None
