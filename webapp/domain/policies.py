"""Who may do what. Plain facts in, a yes or no out; services enforce, templates only hide buttons."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Forbidden


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: str | None            # None for an anonymous visitor
    mentees: frozenset[int] = field(default_factory=frozenset)   # learner ids this mentor is assigned to

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_mentor(self) -> bool:
        return self.role in ("mentor", "admin")


ANONYMOUS = Actor(id=None, role=None)


def can_see_mentor_notes(actor: Actor) -> bool:
    return actor.is_mentor


def can_manage_users(actor: Actor) -> bool:
    return actor.is_admin


def can_manage_catalogue(actor: Actor) -> bool:
    return actor.is_admin


def can_see_unpublished_missions(actor: Actor) -> bool:
    return actor.is_mentor


def can_read_learner_work(actor: Actor, learner_id: int) -> bool:
    """The learner, their assigned mentors and admins."""
    return actor.id == learner_id or actor.is_admin or (actor.is_mentor and learner_id in actor.mentees)


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise Forbidden(message)
