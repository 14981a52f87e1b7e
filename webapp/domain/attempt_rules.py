"""Who may do what with a mission attempt (SPEC §1, §3). Plain facts in, a yes or no out."""
from __future__ import annotations

from .policies import Actor


def can_play_attempt(actor: Actor, learner_id: int) -> bool:
    """Only the learner plays (submits, acknowledges scope, requests a review of) their own attempt."""
    return actor.id is not None and actor.id == learner_id


def can_view_attempt(actor: Actor, learner_id: int) -> bool:
    """The learner, the learner's assigned mentors and admins."""
    if actor.id is None:
        return False
    return actor.id == learner_id or actor.is_admin or (actor.is_mentor and learner_id in actor.mentees)


def can_set_time_multiplier(actor: Actor, learner_id: int) -> bool:
    """A mentor assigned to the learner, or an admin; never the learner themselves."""
    if actor.id is None or actor.id == learner_id and not actor.is_admin:
        return False
    return actor.is_admin or (actor.is_mentor and learner_id in actor.mentees)
