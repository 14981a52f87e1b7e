"""Who may download or delete a stored file. Whether the actor may read the work a file is part of is
services.access's rule; it comes in as a fact."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .policies import Actor


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
