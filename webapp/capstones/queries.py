"""Read queries of the capstone pages (eager loading: no lazy loads in loops)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain.policies import Actor
from ..models import CapstoneProject
from ..services import access
from ..services.capstones import MISSION_COLUMNS


def visible_capstones(actor: Actor):
    """The capstones the actor may read (services.access): a learner's own; a mentor's own, their learners'
    for the assigned tracks and the ones they hold a live claim on; every capstone for an admin."""
    return (select(CapstoneProject)
            .options(joinedload(CapstoneProject.mission).load_only(*MISSION_COLUMNS),
                     joinedload(CapstoneProject.learner))
            .where(access.read_filter(actor, access.capstone_cols(), access.cutoff()))
            .order_by(CapstoneProject.updated_at.desc(), CapstoneProject.id.desc()))
