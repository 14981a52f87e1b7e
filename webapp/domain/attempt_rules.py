"""Who may play a mission attempt (SPEC §1, §3). Plain facts in, a yes or no out. Who else may see it, and who
may set the learner's time multiplier, is services.access's rule."""
from __future__ import annotations

from .policies import Actor


def can_play_attempt(actor: Actor, learner_id: int) -> bool:
    """Only the learner plays (submits, acknowledges scope, requests a review of) their own attempt."""
    return actor.id is not None and actor.id == learner_id
