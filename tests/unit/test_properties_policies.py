"""Invariants (hypothesis) of who may do what: domain.policies, domain.attempt_rules and domain.visibility.

Whatever the combination of role, id and mentor assignments: anonymous visitors are refused everything but
public files, a private file reaches only its owner, its uploader, the owner's mentors and admins, and a
stronger role (learner < mentor < admin) or more mentees never takes a permission away (SPEC §1, §3, §6, §7).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain import attempt_rules, policies, visibility
from webapp.domain.policies import ANONYMOUS, Actor
from webapp.domain.visibility import FileFacts

SETTINGS = settings(max_examples=100, deadline=None)
ROLES = ("learner", "mentor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

ids = st.integers(min_value=1, max_value=6)          # a small pool, so ids, owners and mentees often coincide
mentee_sets = st.frozensets(ids, max_size=4)
signed_in = st.builds(Actor, id=ids, role=st.sampled_from(ROLES), mentees=mentee_sets)
# Anonymous visitors have no id and no role; stray mentees must not matter.
anonymous = st.one_of(st.just(ANONYMOUS), st.builds(Actor, id=st.none(), role=st.none(), mentees=mentee_sets))
actors = st.one_of(signed_in, anonymous)
file_facts = st.builds(FileFacts, owner_id=ids, uploaded_by_id=st.one_of(st.none(), ids), public=st.booleans())


def learner_checks(actor: Actor, learner_id: int) -> dict[str, bool]:
    """Every yes/no rule about one learner's work, by name."""
    return {
        "read_learner_work": policies.can_read_learner_work(actor, learner_id),
        "play_attempt": attempt_rules.can_play_attempt(actor, learner_id),
        "view_attempt": attempt_rules.can_view_attempt(actor, learner_id),
        "set_time_multiplier": attempt_rules.can_set_time_multiplier(actor, learner_id),
    }


def site_checks(actor: Actor) -> dict[str, bool]:
    return {
        "see_mentor_notes": policies.can_see_mentor_notes(actor),
        "manage_users": policies.can_manage_users(actor),
        "manage_catalogue": policies.can_manage_catalogue(actor),
        "see_unpublished": policies.can_see_unpublished_missions(actor),
    }


def file_checks(actor: Actor, facts: FileFacts, attached: bool) -> dict[str, bool]:
    return {
        "download": visibility.can_download_file(actor, facts),
        "delete": visibility.can_delete_file(actor, facts, attached),
    }


def all_checks(actor: Actor, learner_id: int, facts: FileFacts, attached: bool) -> dict[str, bool]:
    return learner_checks(actor, learner_id) | site_checks(actor) | file_checks(actor, facts, attached)


@SETTINGS
@given(anonymous, ids, file_facts, st.booleans())
def test_anonymous_visitor_is_refused_everything_but_public_files(actor, learner_id, facts, attached):
    granted = {name for name, ok in all_checks(actor, learner_id, facts, attached).items() if ok}
    assert granted == ({"download"} if facts.public else set())


@SETTINGS
@given(signed_in, st.sampled_from(ROLES), ids, file_facts, st.booleans())
def test_a_stronger_role_never_loses_a_permission(actor, other_role, learner_id, facts, attached):
    """Same person, same assignments: whatever a learner may do a mentor may, whatever a mentor may an admin may."""
    low, high = sorted([actor.role, other_role], key=RANK.get)
    weaker = Actor(id=actor.id, role=low, mentees=actor.mentees)
    stronger = Actor(id=actor.id, role=high, mentees=actor.mentees)
    before = all_checks(weaker, learner_id, facts, attached)
    after = all_checks(stronger, learner_id, facts, attached)
    lost = [name for name, ok in before.items() if ok and not after[name]]
    assert not lost, f"{high} loses {lost} that {low} has"


@SETTINGS
@given(signed_in, mentee_sets, ids, file_facts, st.booleans())
def test_more_mentees_never_take_a_permission_away(actor, extra, learner_id, facts, attached):
    wider = Actor(id=actor.id, role=actor.role, mentees=actor.mentees | extra)
    before = all_checks(actor, learner_id, facts, attached)
    after = all_checks(wider, learner_id, facts, attached)
    assert not [name for name, ok in before.items() if ok and not after[name]]


@SETTINGS
@given(actors, ids, ids)
def test_a_stranger_never_reads_a_learners_work_or_private_files(actor, owner_id, uploader_id):
    """Not the owner, not the uploader, not an admin, not assigned to the owner: refused, whatever the role."""
    facts = FileFacts(owner_id=owner_id, uploaded_by_id=uploader_id, public=False)
    stranger = actor.id not in (owner_id, uploader_id) and not actor.is_admin and owner_id not in actor.mentees
    if stranger:
        assert not policies.can_read_learner_work(actor, owner_id)
        assert not attempt_rules.can_view_attempt(actor, owner_id)
        assert not visibility.can_download_file(actor, facts)
        assert not visibility.can_delete_file(actor, facts, attached=False)


@SETTINGS
@given(actors, ids)
def test_attempt_rights_nest_play_and_time_multiplier_imply_view(actor, learner_id):
    """Only the learner plays their attempt (never an admin for them); the learner never stretches their own
    time unless they are an admin; whoever plays or sets the multiplier may also view the attempt."""
    rights = learner_checks(actor, learner_id)
    if rights["play_attempt"]:
        assert actor.id == learner_id and rights["view_attempt"]
    if rights["set_time_multiplier"]:
        assert rights["view_attempt"]
        assert actor.id != learner_id or actor.is_admin
    if rights["view_attempt"]:
        assert rights["read_learner_work"]


@SETTINGS
@given(actors, file_facts, st.booleans())
def test_whoever_may_discard_a_file_may_download_it_and_only_admins_delete_attached_files(actor, facts, attached):
    if visibility.can_delete_file(actor, facts, attached):
        assert actor.is_admin or visibility.can_download_file(actor, facts)
        if attached:
            assert actor.is_admin
