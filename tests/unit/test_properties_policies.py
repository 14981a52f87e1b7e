"""Invariants (hypothesis) of who may do what: services.access, domain.policies, domain.attempt_rules and
domain.visibility.

Whatever the combination of role, id, mentor assignments (per track or for all), the work's track and its claim:
anonymous visitors are refused everything but public files, a private file reaches only its uploader and whoever
may read the work, a stronger role (learner < mentor < admin) or more assignments never takes a permission away,
and nobody acts on their own work (SPEC §1, §3, §5, §6, §7).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain import attempt_rules, policies, visibility
from webapp.domain.catalogue import TRACKS
from webapp.domain.policies import ANONYMOUS, Actor
from webapp.domain.visibility import FileFacts
from webapp.services import access

SETTINGS = settings(max_examples=150, deadline=None)
ROLES = ("learner", "mentor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

ids = st.integers(min_value=1, max_value=6)          # a small pool, so ids, owners and mentees often coincide
tracks = st.one_of(st.none(), st.sampled_from(TRACKS[:3]))
assignment_sets = st.frozensets(st.tuples(ids, tracks), max_size=4)
signed_in = st.builds(Actor, id=ids, role=st.sampled_from(ROLES), assignments=assignment_sets)
# Anonymous visitors have no id and no role; stray assignments must not matter.
anonymous = st.one_of(st.just(ANONYMOUS), st.builds(Actor, id=st.none(), role=st.none(), assignments=assignment_sets))
actors = st.one_of(signed_in, anonymous)
works = st.builds(access.Work, learner_id=ids, track=tracks, claim_holder=st.one_of(st.none(), ids))
file_facts = st.builds(FileFacts, owner_id=ids, uploaded_by_id=st.one_of(st.none(), ids), public=st.booleans())


def work_checks(actor: Actor, work: access.Work) -> dict[str, bool]:
    """Every yes/no rule about one piece of a learner's work, by name."""
    return {
        "read": access.may_read(actor, work),
        "act": access.may_act(actor, work),
        "play_attempt": attempt_rules.can_play_attempt(actor, work.learner_id),
        "set_time_multiplier": access.may_set_time_multiplier(actor, work.learner_id, work.track),
    }


def site_checks(actor: Actor) -> dict[str, bool]:
    return {
        "see_mentor_notes": policies.can_see_mentor_notes(actor),
        "manage_users": policies.can_manage_users(actor),
        "manage_catalogue": policies.can_manage_catalogue(actor),
        "see_unpublished": policies.can_see_unpublished_missions(actor),
    }


def file_checks(actor: Actor, facts: FileFacts, attached: bool) -> dict[str, bool]:
    work = access.Work(facts.owner_id, None)
    return {
        "download": visibility.can_download_file(actor, facts, access.may_read(actor, work)),
        "delete": visibility.can_delete_file(actor, facts, attached),
    }


def all_checks(actor: Actor, work: access.Work, facts: FileFacts, attached: bool) -> dict[str, bool]:
    return work_checks(actor, work) | site_checks(actor) | file_checks(actor, facts, attached)


@SETTINGS
@given(anonymous, works, file_facts, st.booleans())
def test_anonymous_visitor_is_refused_everything_but_public_files(actor, work, facts, attached):
    granted = {name for name, ok in all_checks(actor, work, facts, attached).items() if ok}
    assert granted == ({"download"} if facts.public else set())


@SETTINGS
@given(signed_in, st.sampled_from(ROLES), works, file_facts, st.booleans())
def test_a_stronger_role_never_loses_a_permission(actor, other_role, work, facts, attached):
    """Same person, same assignments: whatever a learner may do a mentor may, whatever a mentor may an admin may."""
    low, high = sorted([actor.role, other_role], key=RANK.get)
    weaker = Actor(id=actor.id, role=low, assignments=actor.assignments)
    stronger = Actor(id=actor.id, role=high, assignments=actor.assignments)
    before = all_checks(weaker, work, facts, attached)
    after = all_checks(stronger, work, facts, attached)
    lost = [name for name, ok in before.items() if ok and not after[name]]
    assert not lost, f"{high} loses {lost} that {low} has"


@SETTINGS
@given(signed_in, assignment_sets, works, file_facts, st.booleans())
def test_more_assignments_never_take_a_permission_away(actor, extra, work, facts, attached):
    wider = Actor(id=actor.id, role=actor.role, assignments=actor.assignments | extra)
    before = all_checks(actor, work, facts, attached)
    after = all_checks(wider, work, facts, attached)
    assert not [name for name, ok in before.items() if ok and not after[name]]


@SETTINGS
@given(actors, works, ids)
def test_a_stranger_never_reads_a_learners_work_or_private_files(actor, work, uploader_id):
    """Not the owner, not the uploader, not an admin, not assigned for the track, not the claim holder: refused."""
    facts = FileFacts(owner_id=work.learner_id, uploaded_by_id=uploader_id, public=False)
    assigned = any(lid == work.learner_id and (t is None or work.track is None or t == work.track)
                   for lid, t in actor.assignments) and actor.is_mentor
    stranger = (actor.id not in (work.learner_id, uploader_id) and not actor.is_admin and not assigned
                and not (actor.is_mentor and work.claim_holder == actor.id))
    if stranger:
        assert not access.may_read(actor, work) and not access.may_act(actor, work)
        assert not visibility.can_download_file(actor, facts, access.may_read(actor, work))
        assert not visibility.can_delete_file(actor, facts, attached=False)


@SETTINGS
@given(actors, works)
def test_nobody_acts_on_their_own_work_and_acting_implies_reading(actor, work):
    if access.may_act(actor, work):
        assert actor.id != work.learner_id, "nobody reviews their own work, whatever their role"
        assert actor.is_mentor and access.may_read(actor, work)
    if access.may_claim(actor, work):
        assert actor.id != work.learner_id and actor.is_mentor


@SETTINGS
@given(actors, works)
def test_a_live_claim_by_another_mentor_leaves_acting_to_admins(actor, work):
    if work.claim_holder is not None and work.claim_holder != actor.id and not actor.is_admin:
        assert not access.may_act(actor, work) and not access.may_claim(actor, work)


@SETTINGS
@given(actors, works)
def test_attempt_rights_nest_play_and_time_multiplier_imply_read(actor, work):
    """Only the learner plays their attempt (never an admin for them); nobody stretches their own time; whoever
    plays or sets the multiplier may also read the attempt."""
    rights = work_checks(actor, work)
    if rights["play_attempt"]:
        assert actor.id == work.learner_id and rights["read"]
    if rights["set_time_multiplier"]:
        assert rights["read"] and actor.id != work.learner_id


@SETTINGS
@given(actors, file_facts, st.booleans())
def test_whoever_may_discard_a_file_may_download_it_and_only_admins_delete_attached_files(actor, facts, attached):
    if visibility.can_delete_file(actor, facts, attached):
        readable = access.may_read(actor, access.Work(facts.owner_id, None))
        assert actor.is_admin or visibility.can_download_file(actor, facts, readable)
        if attached:
            assert actor.is_admin
