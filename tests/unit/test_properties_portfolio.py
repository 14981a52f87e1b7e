"""Invariants (hypothesis) of the portfolio workflow and public page (domain.portfolio, SPEC §6).

Only the transitions the SPEC names succeed (draft → submitted → approved or changes_requested, and a content
edit takes a submitted or approved item back to draft); every other attempt is refused with a domain error
and changes nothing. Only approved public items are listed, a private item is never reachable, and cleaned
titles and tags are stable when the edit form shows them again.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from webapp.domain import portfolio as pf
from webapp.domain.catalogue import TIERS, TRACKS
from webapp.domain.errors import Conflict, Invalid
from webapp.domain.policies import ANONYMOUS, Actor
from webapp.services import access

SETTINGS = settings(max_examples=100, deadline=None)
statuses = st.sampled_from(pf.STATUSES)
visibilities = st.sampled_from(pf.VISIBILITIES)
notes = st.one_of(st.none(), st.sampled_from(["", "  ", "\n\t", "Add the timeline.", " ok "]))
decisions = st.sampled_from(tuple(pf.DECISIONS) + ("reject", "", "APPROVE"))

# The workflow of SPEC §6, written out: (status, action) -> the status it leads to.
ALLOWED = {
    ("draft", "submit"): "submitted",
    ("changes_requested", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "request_changes"): "changes_requested",
    ("submitted", "edit content"): "draft",
    ("approved", "edit content"): "draft",
}


class ItemWorkflow(RuleBasedStateMachine):
    """One portfolio item under any sequence of submissions, reviews, edits and visibility changes."""

    def __init__(self):
        super().__init__()
        self.status = "draft"
        self.visibility = "private"

    def move(self, action: str, new_status: str) -> None:
        assert ALLOWED.get((self.status, action)) == new_status, f"{self.status} --{action}--> {new_status}"
        if new_status == "approved":
            self.status = new_status

    @rule()
    def submit(self):
        try:
            pf.check_can_submit(self.status)
        except Conflict as exc:
            assert exc.status == 409 and (self.status, "submit") not in ALLOWED
        else:
            self.move("submit", "submitted")

    @rule(decision=decisions, note=notes)
    def review(self, decision, note):
        try:
            new_status = pf.check_can_review(self.status, decision, note)
        except Invalid:
            # An unknown decision, or changes asked for without saying which.
            assert decision not in pf.DECISIONS or (decision == "request_changes" and not (note or "").strip())
        except Conflict:
            assert self.status != "submitted"
        else:
            assert decision != "request_changes" or (note or "").strip()
            self.move(decision, new_status)

    @rule(content_changed=st.booleans())
    def edit(self, content_changed):
        new_status = pf.status_after_edit(self.status, content_changed)
        if new_status != self.status:
            assert content_changed
            self.move("edit content", new_status)
        elif content_changed:
            assert (self.status, "edit content") not in ALLOWED

    @rule(visibility=visibilities)
    def set_visibility(self, visibility):
        self.visibility = visibility          # the owner may change it at any time; only approval publishes

    @invariant()
    def only_approved_items_are_shown_and_private_ones_never(self):
        listed = pf.publicly_listed(self.status, self.visibility)
        linked = pf.reachable_by_link(self.status, self.visibility)
        assert not listed or linked, "listed on the public page but not reachable by its link"
        if listed or linked:
            assert self.status == "approved" and self.visibility != "private"
        if self.visibility == "public" and self.status == "approved":
            assert listed


ItemWorkflow.TestCase.settings = settings(max_examples=50, stateful_step_count=20, deadline=None)
test_item_workflow = ItemWorkflow.TestCase


@SETTINGS
@given(statuses, visibilities)
def test_editing_the_content_takes_an_item_off_every_public_view(status, visibility):
    after = pf.status_after_edit(status, content_changed=True)
    assert after in pf.STATUSES
    assert not pf.publicly_listed(after, visibility) and not pf.reachable_by_link(after, visibility)
    assert pf.status_after_edit(status, content_changed=False) == status


# ---- input cleaning ------------------------------------------------------------------------------------------

tag_text = st.one_of(st.text(max_size=45), st.text(st.sampled_from("aAbB ,\t\n-+#"), max_size=12))
tag_inputs = st.one_of(st.lists(st.one_of(tag_text, st.integers()), max_size=25), tag_text, st.none())


@SETTINGS
@given(tag_inputs)
def test_clean_tags_are_trimmed_unique_bounded_and_stable(tags):
    try:
        out = pf.clean_tags(tags)
    except Invalid as exc:
        assert set(exc.fields) == {"skill_tags"}
        return
    assert len(out) <= pf.MAX_TAGS
    assert len({t.lower() for t in out}) == len(out), "a tag is repeated (ignoring case)"
    for tag in out:
        assert tag and len(tag) <= pf.MAX_TAG_LENGTH and tag == " ".join(tag.split())
    assert pf.clean_tags(out) == out


@SETTINGS
@given(tag_text)
def test_tags_typed_in_the_form_survive_being_shown_and_saved_again(typed):
    """The edit form shows the tags joined by ", "; saving the form unchanged must not change them (a change
    would take an approved item back to draft)."""
    try:
        out = pf.clean_tags(typed)
    except Invalid:
        return
    assert pf.clean_tags(", ".join(out)) == out


@SETTINGS
@given(st.one_of(st.text(max_size=210), st.none(), st.integers()))
def test_clean_title_is_one_trimmed_line_and_stable(title):
    try:
        out = pf.clean_title(title)
    except Invalid as exc:
        assert set(exc.fields) == {"title"}
        return
    assert 0 < len(out) <= pf.TITLE_MAX and out == " ".join(out.split())
    assert pf.clean_title(out) == out


@SETTINGS
@given(st.one_of(st.text(st.sampled_from("ab\x00\n "), max_size=30), st.text(max_size=30), st.none()))
def test_clean_summary_never_keeps_a_nul_and_is_stable(summary):
    """A NUL is refused naming the summary (the request boundary refuses it before, with 422); any other text
    cleans to a fixed point."""
    if summary and "\x00" in summary:
        with pytest.raises(Invalid) as info:
            pf.clean_summary(summary)
        assert info.value.fields == {"summary": "must not contain NUL characters"}
        return
    out = pf.clean_summary(summary)
    assert "\x00" not in out and pf.clean_summary(out) == out


# ---- the public page -----------------------------------------------------------------------------------------

capstone_facts = st.lists(st.tuples(st.sampled_from(TRACKS), st.sampled_from(TIERS), st.booleans()), max_size=8)


@SETTINGS
@given(capstone_facts, st.sampled_from(TRACKS), st.sampled_from(TIERS), st.booleans())
def test_only_an_approved_mastery_capstone_masters_a_track(capstones, track, tier, approved):
    before = pf.tracks_mastered(capstones)
    after = pf.tracks_mastered(capstones + [(track, tier, approved)])
    assert list(after) == [t for t in TRACKS if t in after], "tracks out of catalogue order or repeated"
    if approved and tier == "mastery":
        assert set(after) == set(before) | {track}
    else:
        assert after == before


class Item:
    def __init__(self, n, item_type, skill_tags):
        self.n, self.item_type, self.skill_tags = n, item_type, skill_tags


items = st.lists(st.builds(Item, st.integers(), st.sampled_from(pf.ITEM_TYPES),
                           st.lists(st.sampled_from(["SIEM", "siem", "DFIR", "Python", "python", "GRC"]), max_size=4)),
                 max_size=8)


@SETTINGS
@given(items)
def test_public_page_groups_every_item_once_and_lists_each_skill_once(public_items):
    groups = pf.group_by_type(public_items)
    shown = [item for _, group in groups for item in group]
    assert sorted(map(id, shown)) == sorted(map(id, public_items))
    assert all(item.item_type == t for t, group in groups for item in group)
    types = [t for t, _ in groups]
    assert len(set(types)) == len(types)
    if "capstone_result" in types:
        assert types[0] == "capstone_result"
    skills = pf.backed_skills(public_items)
    keys = [s.lower() for s in skills]
    assert len(set(keys)) == len(keys)
    assert set(keys) == {t.lower() for item in public_items for t in item.skill_tags}
    uses = [sum(t.lower() == k for item in public_items for t in item.skill_tags) for k in keys]
    assert uses == sorted(uses, reverse=True), "most used skills come first"


# ---- who may do what -----------------------------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=5)
actors = st.one_of(st.just(ANONYMOUS), st.builds(
    Actor, id=ids, role=st.sampled_from(["learner", "mentor", "admin"]),
    assignments=st.frozensets(st.tuples(ids, st.one_of(st.none(), st.sampled_from(["grc", "defender"]))),
                              max_size=3)))


@SETTINGS
@given(actors, ids, st.one_of(st.none(), st.sampled_from(["grc", "defender"])))
def test_item_rights_owner_edits_others_review_and_every_right_implies_reading(actor, owner_id, track):
    item = access.Work(owner_id, track)
    edit, delete, review = (pf.can_edit_item(actor, owner_id), pf.can_delete_item(actor, owner_id),
                            access.may_act(actor, item))
    if actor.id is None:
        assert not (edit or delete or review)
    if edit:
        assert actor.id == owner_id and delete
    if review:
        assert actor.id != owner_id, "nobody reviews their own item, whatever their role"
        assert actor.is_mentor and access.may_read(actor, item)
    if delete:
        assert actor.id == owner_id or actor.is_admin



def test_a_comma_in_an_api_tag_separates_tags_as_in_the_form():
    assert pf.clean_tags(["C,C++", "ids"]) == pf.clean_tags("C, C++, ids") == ["C", "C++", "ids"]
