"""Who may see what: stored files now; portfolio items build on the same facts."""
from __future__ import annotations

from dataclasses import dataclass

from .policies import Actor, can_read_learner_work


@dataclass(frozen=True)
class FileFacts:
    owner_id: int                  # the learner whose work the file is part of
    uploaded_by_id: int | None     # who uploaded it (a mentor for review media)
    public: bool = False           # shown by an approved, public portfolio item (evidence, or a case study's file)
    owner_active: bool = True      # a deactivated owner's files are public to nobody


def can_download_file(actor: Actor, facts: FileFacts) -> bool:
    """Anyone for a file an approved public item shows (while its owner is active); otherwise the owner, the
    uploader, the owner's mentors and admins."""
    if facts.public and facts.owner_active:
        return True
    if actor.id is None:
        return False
    return actor.id == facts.uploaded_by_id or can_read_learner_work(actor, facts.owner_id)


def can_delete_file(actor: Actor, facts: FileFacts, attached: bool) -> bool:
    """Unattached uploads may be discarded by their uploader; anything by an admin."""
    if actor.is_admin:
        return True
    return not attached and actor.id is not None and actor.id == facts.uploaded_by_id
