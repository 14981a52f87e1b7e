"""Phase history (SPEC §13): the version of each capstone phase a mentor reviewed, kept when the review requests
changes and reopens it, and what changed since (domain.phase_history compares them).

`keep` runs inside the reopening's transaction (services.capstones.reopen); everything else reads. Who may read
it: whoever may read the capstone (services.access), and the mentors whose reviews reopened its phases (a mentor
who reviewed from a claim keeps seeing what they asked to change).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..domain import capstone_rules, phase_history as rules, phases as phase_rules, policies
from ..domain.errors import NotFound
from ..extensions import db
from ..models import CapstonePhaseVersion, CapstoneProject, MentorshipInteraction, StoredFile, User
from ..models.base import utcnow
from . import access
from .actors import actor_for

V = CapstonePhaseVersion


def _names(files: list[StoredFile], links: set[str]) -> dict[str, str]:
    """{key: file name} of the uploads among `files` that `links` point to."""
    return {f.key: f.filename for f in files if capstone_rules.links_to_file(links, f.key)}


def keep(cap: CapstoneProject, phases: list[str] | tuple[str, ...], review: MentorshipInteraction | None) -> list[V]:
    """Keep each phase about to be reopened as it stands now, one row per phase, in the caller's transaction (the
    rows of one reopening share their time). The uploads the kept values link to stay with the capstone while a
    kept version names them (services.capstones keeps them from being released)."""
    from .capstones import files_of

    now = utcnow()
    files = files_of(cap) if phases else []
    rows = []
    for phase in phases:
        fields = rules.kept_values(phase, lambda name: getattr(cap, name))
        rows.append(V(capstone_id=cap.id, phase=phase, review_id=review.id if review is not None else None,
                      fields=fields, files=_names(files, capstone_rules.file_links(fields)), created_at=now))
    db.session.add_all(rows)
    return rows


def kept_links(capstone_id: int) -> set[str]:
    """Every upload link the kept versions of a capstone hold (what must not be released with a save)."""
    links: set[str] = set()
    for fields in db.session.scalars(select(V.fields).where(V.capstone_id == capstone_id)):
        links |= capstone_rules.file_links(fields or {})
    return links


# ---- reading --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kept:
    """A kept version with its diff against the phase as it is now, and the review that reopened it."""
    version: V
    diff: rules.PhaseDiff
    review: MentorshipInteraction | None

    @property
    def reviewed_on(self) -> datetime:
        return self.version.created_at


def _current(cap: CapstoneProject, phase: str) -> dict:
    return {name: getattr(cap, name) for name in phase_rules.PHASE_FIELDS[phase]}


def _kept(cap: CapstoneProject, version: V, review: MentorshipInteraction | None, files_now: dict[str, str]) -> Kept:
    diff = rules.diff_phase(version.phase, version.fields or {}, _current(cap, version.phase), version.files or {},
                            files_now)
    return Kept(version, diff, review)


def _files_now(cap: CapstoneProject, files: list[StoredFile] | None) -> dict[str, str]:
    from .capstones import files_of

    return {f.key: f.filename for f in (files if files is not None else files_of(cap))}


def latest_round(cap: CapstoneProject, files: list[StoredFile] | None = None) -> dict[str, Kept]:
    """The phases the latest request for changes reopened, each with its kept version and what changed since
    ({phase: Kept}, in phase order; empty when no phase was ever reopened). One query (two without `files`)."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    other = aliased(V)
    newest = select(func.max(other.created_at)).where(other.capstone_id == cap.id).scalar_subquery()
    rows = db.session.execute(select(V, MentorshipInteraction).outerjoin(
        MentorshipInteraction, MentorshipInteraction.id == V.review_id)
        .where(V.capstone_id == cap.id, V.created_at == newest)).all()
    if not rows:
        return {}
    files_now = _files_now(cap, files)
    by_phase = {v.phase: _kept(cap, v, r, files_now) for v, r in rows}
    return {p: by_phase[p] for p in phase_rules.PHASES if p in by_phase}


def reviewer_ids(capstone_id: int) -> set[int]:
    """The mentors whose reviews reopened phases of this capstone."""
    return set(db.session.scalars(select(MentorshipInteraction.mentor_id)
                                  .join(V, V.review_id == MentorshipInteraction.id)
                                  .where(V.capstone_id == capstone_id).distinct()))


def history(user: User, capstone_id: int, phase: str) -> tuple[CapstoneProject, list[Kept], list[StoredFile]]:
    """The kept versions of one phase, newest first, each with its diff against the phase now, and the capstone's
    files (the kept versions' uploads among them). 404 for a capstone that does not exist; 403 for whoever may
    neither read the capstone nor reviewed it."""
    from sqlalchemy.orm import joinedload

    from .capstones import MISSION_COLUMNS, files_of

    phase_rules.check_phase(phase)
    cap = db.session.scalar(select(CapstoneProject).options(
        joinedload(CapstoneProject.mission).load_only(*MISSION_COLUMNS), joinedload(CapstoneProject.learner))
        .where(CapstoneProject.id == capstone_id))
    if cap is None:
        raise NotFound("That capstone does not exist.")
    actor = actor_for(user)
    policies.require(access.may_read_history(actor, access.work_of(cap), lambda: reviewer_ids(cap.id)),
                     "You do not have access to this capstone.")
    rows = db.session.execute(select(V, MentorshipInteraction).outerjoin(
        MentorshipInteraction, MentorshipInteraction.id == V.review_id)
        .options(joinedload(MentorshipInteraction.mentor))
        .where(V.capstone_id == cap.id, V.phase == phase).order_by(V.created_at.desc(), V.id.desc())).all()
    files = files_of(cap)
    files_now = _files_now(cap, files)
    return cap, [_kept(cap, v, r, files_now) for v, r in rows], files
