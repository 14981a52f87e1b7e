"""Who may do what. Plain facts in, a yes or no out; services enforce, templates only hide buttons."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Forbidden

# The roles that mentor (an admin mentors too): the one place this is spelled; User.is_mentor and Actor.is_mentor
# read it, and views and templates ask them.
MENTOR_ROLES = ("mentor", "admin")


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: str | None            # None for an anonymous visitor
    # (learner id, track or None for every track) of each mentor assignment of this mentor
    assignments: frozenset[tuple[int, str | None]] = field(default_factory=frozenset)

    @property
    def mentees(self) -> frozenset[int]:
        """The learners this mentor is assigned to, for some track or all (who is "your learner"; what of their
        work the mentor may see is services.access's rule)."""
        return frozenset(learner_id for learner_id, _ in self.assignments) if self.is_mentor else frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_mentor(self) -> bool:
        return self.role in MENTOR_ROLES


ANONYMOUS = Actor(id=None, role=None)


def can_see_mentor_notes(actor: Actor) -> bool:
    return actor.is_mentor


def can_manage_users(actor: Actor) -> bool:
    return actor.is_admin


def can_manage_catalogue(actor: Actor) -> bool:
    return actor.is_admin


def can_see_unpublished_missions(actor: Actor) -> bool:
    return actor.is_mentor


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise Forbidden(message)
