"""Cohorts (SPEC §13): an admin creates, edits and deletes cohorts and adds and removes their members; the
gradebook filters by one; the learner page names a learner's cohorts.

A cohort is a filter and a way to organise, never a grant of access (domain/cohorts.py): the gradebook filtered
by a cohort shows the cohort's learners among those the viewer may see anyway (services/access.py, through
services/gradebook.py). `assign_mentors` is the one bridge, and it makes ordinary mentor assignments through
services/accounts.py, which an admin sees and removes on the admin page like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..domain import cohorts as rules
from ..domain.errors import Conflict, Invalid, NotFound
from ..domain.policies import MENTOR_ROLES, Actor, can_manage_users, require
from ..extensions import db
from ..models import Cohort, CohortMember, User
from . import accounts


@dataclass(frozen=True)
class Summary:
    cohort: Cohort
    learners: int
    mentors: int


# ---- reading ----------------------------------------------------------------------------------------------------

def get(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort; it may have been deleted.")
    return cohort


def overview(actor: Actor) -> list[Summary]:
    """Every cohort by name with how many learners and mentors it has (one query)."""
    require(can_manage_users(actor))
    rows = db.session.execute(
        select(Cohort, func.count(case((User.role.not_in(MENTOR_ROLES), User.id))),
               func.count(case((User.role.in_(MENTOR_ROLES), User.id))))
        .outerjoin(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(User, User.id == CohortMember.user_id)
        .group_by(Cohort.id).order_by(func.lower(Cohort.name), Cohort.id)).all()
    return [Summary(c, learners, mentors) for c, learners, mentors in rows]


def members(cohort: Cohort) -> list[User]:
    """The cohort's members, mentors first, then by name (one query)."""
    mentor_first = case((User.role.in_(MENTOR_ROLES), 0), else_=1)
    return list(db.session.scalars(
        select(User).join(CohortMember, CohortMember.user_id == User.id).where(CohortMember.cohort_id == cohort.id)
        .order_by(mentor_first, func.lower(User.display_name), User.id)))


def cohorts_of(user_id: int) -> list[Cohort]:
    """The cohorts a user is in, by name (the learner page)."""
    return list(db.session.scalars(
        select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id).order_by(func.lower(Cohort.name), Cohort.id)))


# ---- the gradebook's filter -------------------------------------------------------------------------------------

def filter_choices(actor: Actor) -> list[Cohort]:
    """The cohorts the viewer may filter by: an admin every cohort, a mentor the cohorts they are in."""
    if actor.is_admin:
        return list(db.session.scalars(select(Cohort).order_by(func.lower(Cohort.name), Cohort.id)))
    if not actor.is_mentor or actor.id is None:
        return []
    return cohorts_of(actor.id)


def filter_cohort(actor: Actor, raw) -> Cohort | None:
    """The cohort `?cohort=<id>` names, or None without one; 422 for an unknown cohort or, for a mentor, one they
    are not in (domain.cohorts.may_filter_by)."""
    cohort_id = rules.parse_id(raw)
    if cohort_id is None:
        return None
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise Invalid(f"There is no cohort {cohort_id}. Pick one from the gradebook's Cohort list.",
                      fields={"cohort": "unknown cohort"})
    is_member = actor.id is not None and db.session.scalar(select(CohortMember.id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == actor.id)) is not None
    if not rules.may_filter_by(actor, is_member):
        raise Invalid(rules.NOT_IN_COHORT, fields={"cohort": "not one of your cohorts"})
    return cohort


def in_cohort(cohort: Cohort, user_id: ColumnElement) -> ColumnElement:
    """SQL: `user_id` is a member of the cohort (a subquery, so a page costs the same whatever its size)."""
    return user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))


# ---- changing (admins) ------------------------------------------------------------------------------------------

def _check_free(name: str, exclude_id: int | None = None) -> None:
    stmt = select(Cohort.id).where(func.lower(Cohort.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Cohort.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(f"There is already a cohort named “{name}”. Choose another name.",
                       fields={"name": "That name is taken."})


def _commit_named(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:           # the same name saved at the same moment by another admin
        db.session.rollback()
        raise Conflict(f"There is already a cohort named “{name}”. Choose another name.",
                       fields={"name": "That name is taken."}) from None


def _fields(data: dict) -> tuple[str, str | None, str]:
    """The cleaned name, track and description; every broken rule at once (422)."""
    problems: dict[str, str] = {}
    values = {}
    for key, check in (("name", rules.check_name), ("track", rules.check_track),
                       ("description", rules.check_description)):
        try:
            values[key] = check(data.get(key))
        except Invalid as exc:
            problems.update(exc.fields or {key: exc.message})
    if problems:
        raise Invalid("Please correct the fields marked.", fields=problems)
    return values["name"], values["track"], values["description"]


def create(actor: Actor, data: dict) -> Cohort:
    require(can_manage_users(actor))
    name, track, description = _fields(data)
    _check_free(name)
    cohort = Cohort(name=name, track=track, description=description)
    db.session.add(cohort)
    _commit_named(name)
    return cohort


def update(actor: Actor, cohort: Cohort, data: dict) -> Cohort:
    require(can_manage_users(actor))
    name, track, description = _fields(data)
    _check_free(name, exclude_id=cohort.id)
    cohort.name, cohort.track, cohort.description = name, track, description
    _commit_named(name)
    return cohort


def delete(actor: Actor, cohort: Cohort) -> str:
    """Deletes the cohort and its member rows; the members' accounts (and mentor assignments) stay."""
    require(can_manage_users(actor))
    name = cohort.name
    db.session.delete(cohort)
    db.session.commit()
    return name


def find_user(who: str) -> User:
    """The user an admin named by e-mail or handle; 422 naming what was typed when there is none."""
    text = rules.clean_who(who)
    if not text:
        message = "Enter the e-mail address or handle of the user to add."
        raise Invalid(message, fields={"who": message})
    column = User.email if "@" in text else User.handle
    user = db.session.scalar(select(User).where(column == text))
    if user is None:
        message = f"There is no user with the {'e-mail address' if '@' in text else 'handle'} “{text}”."
        raise Invalid(message, fields={"who": message})
    return user


def add_member(actor: Actor, cohort: Cohort, who: str) -> tuple[User, bool]:
    """(the user, True) once added; (the user, False) when they already were a member (nothing changes)."""
    require(can_manage_users(actor))
    user = find_user(who)
    if db.session.scalar(select(CohortMember.id).where(CohortMember.cohort_id == cohort.id,
                                                       CohortMember.user_id == user.id)) is not None:
        return user, False
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
    try:
        db.session.commit()
    except IntegrityError:          # added at the same moment by another admin: the same outcome
        db.session.rollback()
        return user, False
    return user, True


def remove_member(actor: Actor, cohort: Cohort, user_id: int) -> User:
    """Takes the user out of the cohort; their account and mentor assignments stay."""
    require(can_manage_users(actor))
    member = db.session.scalar(select(CohortMember).options(joinedload(CohortMember.user)).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id))
    if member is None:
        raise NotFound("That user is not in this cohort (any more).")
    user = member.user
    db.session.delete(member)
    db.session.commit()
    return user


def assign_mentors(actor: Actor, cohort: Cohort) -> int:
    """Assigns each active mentor of the cohort to each of its active learners, for the cohort's track (every
    track when it has none), as ordinary mentor assignments (accounts.link_mentor); existing ones stay as they
    are. One commit; returns how many assignments were made."""
    require(can_manage_users(actor))
    people = [u for u in members(cohort) if u.is_active]
    mentors = [u for u in people if rules.member_kind(u.role) == "mentor"]
    learners = [u for u in people if rules.member_kind(u.role) == "learner"]
    made = 0
    try:
        for mentor in mentors:
            for learner in learners:
                made += accounts.link_mentor(mentor, learner, cohort.track)[1]
        db.session.commit()
    except IntegrityError:           # another admin assigned one of these pairs at the same moment
        db.session.rollback()
        raise Conflict("The mentor assignments changed while this ran; nothing was assigned. Try again.") from None
    except Exception:
        db.session.rollback()
        raise
    return made
