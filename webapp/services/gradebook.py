"""The gradebook (SPEC §13, `/mentorship/gradebook`): the viewer's learners × the mastery missions of a track,
each cell the learner's best completed attempt score and their capstone's stage and final score.

Who is in it: for an admin every learner; for a mentor the learners assigned to them for every track or for this
one (`access.is_assigned`, the one rule). Filtered by a cohort (`?cohort=<id>`, services.cohorts.filter_cohort:
an admin any cohort, a mentor the cohorts they are in), it keeps those of them who are in the cohort: a cohort
narrows the book and never adds a learner the viewer could not see anyway. Each cell's data is read under the
same read rule as everywhere else.
A page of learners costs the same queries however many learners, missions or attempts there are: the missions,
the page of learners (with their count), the best scores and the capstones of that page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, false, func, select

from ..domain import catalogue, gradebook as rules
from ..domain.errors import Invalid
from ..domain.policies import Actor
from ..extensions import db
from ..models import CapstoneProject, Mission, MissionAttempt, User
from . import access, cohorts as cohort_service

PER_PAGE = 50


@dataclass
class Cell:
    best_score: int | None = None
    capstone: CapstoneProject | None = None

    @property
    def stage(self) -> str | None:
        return self.capstone.get_current_phase() if self.capstone is not None else None

    @property
    def final_score(self):
        return self.capstone.mentor_final_score if self.capstone is not None else None


@dataclass
class Row:
    learner: User
    cells: dict[int, Cell] = field(default_factory=dict)

    @property
    def average(self) -> float | None:
        return rules.average(c.best_score for c in self.cells.values())


def check_track(track: str | None) -> str:
    if track not in catalogue.TRACKS:
        raise Invalid(f"There is no track '{(track or '')[:40]}'. Choose one of: {', '.join(catalogue.TRACKS)}.",
                      fields={"track": "must be one of " + ", ".join(catalogue.TRACKS)})
    return track


def _learners(actor: Actor, track: str) -> Select:
    """SQL: the learners of the viewer's gradebook for the track (an admin: all; a mentor: those assigned to them
    for this track or every track, access.is_assigned)."""
    stmt = select(User).where(User.role == "learner", User.is_active.is_(True))
    if actor.is_admin:
        return stmt
    ids = sorted(lid for lid in actor.mentees if access.is_assigned(actor, lid, track))
    return stmt.where(User.id.in_(ids)) if ids else stmt.where(false())


def _best_scores(learner_ids: list[int], mission_ids: list[int], actor: Actor) -> Select:
    return (select(MissionAttempt.learner_id, MissionAttempt.mission_id, func.max(MissionAttempt.score))
            .where(MissionAttempt.learner_id.in_(learner_ids), MissionAttempt.mission_id.in_(mission_ids),
                   MissionAttempt.status == "completed",
                   access.read_filter(actor, access.attempt_cols(), access.cutoff()))
            .group_by(MissionAttempt.learner_id, MissionAttempt.mission_id))


def _average_order(track: str, descending: bool):
    """SQL: the learners ordered by the mean of their best scores on the track's mastery missions (no score last)."""
    best = (select(MissionAttempt.learner_id.label("lid"), MissionAttempt.mission_id,
                   func.max(MissionAttempt.score).label("best"))
            .join(Mission, Mission.id == MissionAttempt.mission_id)
            .where(Mission.track == track, Mission.tier == "mastery", MissionAttempt.status == "completed")
            .group_by(MissionAttempt.learner_id, MissionAttempt.mission_id).subquery())
    mean = select(func.avg(best.c.best)).where(best.c.lid == User.id).correlate(User).scalar_subquery()
    return (mean.desc() if descending else mean.asc()).nulls_last()


def gradebook(actor: Actor, track: str, *, sort: str = "name", page: int | None = 1, cohort=None) -> dict:
    """The table for `track` (a page of PER_PAGE learners, or everyone with page=None for the CSV), of the learners
    in the cohort whose id `cohort` names when given (422 for an unknown cohort or one the viewer may not use)."""
    track = check_track(track)
    chosen = cohort_service.filter_cohort(actor, cohort)
    sort = sort if sort in rules.SORTS else "name"
    missions = db.session.scalars(select(Mission).where(
        Mission.track == track, Mission.tier == "mastery", Mission.is_published.is_(True))
        .order_by(Mission.title)).all()
    stmt = _learners(actor, track)
    if chosen is not None:
        stmt = stmt.where(cohort_service.in_cohort(chosen, User.id))
    if sort.endswith("average"):
        stmt = stmt.order_by(_average_order(track, sort.startswith("-")), User.display_name, User.id)
    else:
        name = func.lower(User.display_name)
        stmt = stmt.order_by(name.desc() if sort == "-name" else name, User.id)
    if page is None:
        learners, total, pages, page_no = db.session.scalars(stmt).all(), None, 1, 1
    else:
        found = db.paginate(stmt, page=max(1, page), per_page=PER_PAGE, error_out=False)
        if found.pages and found.page > found.pages:
            found = db.paginate(stmt, page=found.pages, per_page=PER_PAGE, error_out=False)
        learners, total, pages, page_no = found.items, found.total, max(1, found.pages), found.page
    rows = {u.id: Row(u) for u in learners}
    ids, mission_ids = list(rows), [m.id for m in missions]
    if ids and mission_ids:
        for learner_id, mission_id, best in db.session.execute(_best_scores(ids, mission_ids, actor)):
            rows[learner_id].cells.setdefault(mission_id, Cell()).best_score = best
        capstones = db.session.scalars(select(CapstoneProject).where(
            CapstoneProject.learner_id.in_(ids), CapstoneProject.mission_id.in_(mission_ids),
            access.read_filter(actor, access.capstone_cols(), access.cutoff()))).all()
        for cap in capstones:
            rows[cap.learner_id].cells.setdefault(cap.mission_id, Cell()).capstone = cap
    return {"track": track, "sort": sort, "cohort": chosen,
            "cohorts": cohort_service.filter_choices(actor) if page is not None else [], "missions": missions,
            "rows": list(rows.values()), "total": total, "page": page_no, "pages": pages}


def csv_rows(table: dict, stage_label) -> list[list[str]]:
    """The same table as CSV rows (a header row first), every cell neutralised against formulas."""
    header = ["Learner", "Handle"]
    for m in table["missions"]:
        header += [f"{m.title}: best score", f"{m.title}: capstone", f"{m.title}: final score"]
    header.append("Average best score")
    out = [header]
    for row in table["rows"]:
        line = [row.learner.display_name, row.learner.handle]
        for m in table["missions"]:
            cell = row.cells.get(m.id, Cell())
            line += [cell.best_score, stage_label(cell.stage) if cell.stage else "",
                     cell.final_score]
        line.append(row.average)
        out.append([rules.neutralise(c) for c in line])
    return out
