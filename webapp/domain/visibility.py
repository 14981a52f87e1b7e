"""Who may download or delete a stored file (whether the actor may read the work a file is part of is
services.access's rule; it comes in as a fact), and what a viewer, a visitor included, may see of a mission."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .policies import Actor, can_see_mentor_notes, can_see_unpublished_missions


@dataclass(frozen=True)
class FileFacts:
    owner_id: int                  # the learner whose work the file is part of
    uploaded_by_id: int | None     # who uploaded it (a mentor for review media)
    public: bool = False           # shown by an approved, public portfolio item (evidence, or a case study's file)
    owner_active: bool = True      # a deactivated owner's files are public to nobody


def can_download_file(actor: Actor, facts: FileFacts, may_read_work: bool) -> bool:
    """Anyone for a file an approved public item shows (while its owner is active); otherwise the uploader, and
    whoever may read the work the file is part of (the owner, the owner's mentors for its track, a mentor holding
    its claim, admins)."""
    if facts.public and facts.owner_active:
        return True
    if actor.id is None:
        return False
    return actor.id == facts.uploaded_by_id or may_read_work


def can_delete_file(actor: Actor, facts: FileFacts, attached: bool) -> bool:
    """Unattached uploads may be discarded by their uploader; anything by an admin."""
    if actor.is_admin:
        return True
    return not attached and actor.id is not None and actor.id == facts.uploaded_by_id


def caption_shown(caption_stored_at: datetime | None, approved_at: datetime | None) -> bool:
    """Whether visitors see a captions file with a recording an approved item shows: only captions stored by the
    time the item was approved (the mentor approved what they saw; captions added later would reach the public page
    unreviewed). With no approval (a draft's preview to its owner and mentors) every stored caption shows."""
    if approved_at is None:
        return True
    return caption_stored_at is not None and caption_stored_at <= approved_at
# --- What a viewer may see of a mission's page --------------------------------------------------------------
# The mission page is public (a visitor browses the catalogue before making an account). What it shows is
# decided here, once, for every kind of viewer: the page template only receives what `mission_page` returns.
# Never on the page, for anyone: check answers and model answers (inside each subtask's checks), the debrief
# (shown on a completed attempt's summary), the capstone brief, the instructions and decisions of each subtask,
# the escalation events and environmental cues themselves, and the subtasks an event unlocks.

# The mission's fields every viewer may see, as stored (the rubric includes its levels and descriptors).
MISSION_PAGE_FIELDS = ("slug", "title", "track", "tier", "summary", "scenario", "estimated_minutes", "skills",
                       "attack_techniques", "atlas_techniques", "nice_roles", "rubric", "is_published")


@dataclass(frozen=True)
class MissionView:
    """What one kind of viewer may see of a mission. It is part of the cached page's key, so two viewers with
    different views are never served each other's page."""

    visitor: bool           # not logged in: the page offers to sign in instead of starting
    unpublished: bool       # may open unpublished missions (mentors, admins)
    mentor_notes: bool      # sees the mentor notes and how many events and cues the mission holds


def mission_view(actor: Actor) -> MissionView:
    return MissionView(visitor=actor.id is None, unpublished=can_see_unpublished_missions(actor),
                       mentor_notes=can_see_mentor_notes(actor))


def mission_page(mission: dict, view: MissionView, hidden: set[int]) -> dict:
    """The mission (its data-format dict, `Mission.content()`) as `view` may see it: the public fields, the
    outline (the titles of the subtasks not `hidden` until an event unlocks them, and whether each holds a
    decision point), the counts, and the mentor notes only for a view that may read them."""
    subtasks = mission.get("subtasks") or []
    page = {name: mission.get(name) for name in MISSION_PAGE_FIELDS}
    page["outline"] = [{"title": s.get("title", ""), "has_decision": bool(s.get("decisions"))}
                       for s in subtasks if s.get("id") not in hidden]
    page["hidden_count"] = sum(1 for s in subtasks if s.get("id") in hidden)
    page["decision_count"] = sum(len(s.get("decisions") or []) for s in subtasks)
    if view.mentor_notes:
        page["mentor_notes"] = mission.get("mentor_notes") or ""
        page["event_count"] = len(mission.get("escalation_events") or [])
        page["cue_count"] = len(mission.get("environmental_cues") or [])
    return page
