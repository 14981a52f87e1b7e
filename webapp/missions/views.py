from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import cache, htmx
from ..domain import policies
from ..domain.mission_rules import hidden_subtask_ids
from ..extensions import db
from ..services import catalogue as catalogue_service
from ..services.actors import actor_for
from . import queries
from .forms import MissionFilterForm

bp = Blueprint("missions", __name__, url_prefix="/missions")


@bp.get("")
@login_required
def index():
    form = MissionFilterForm(request.args)
    valid = form.validate()
    filters = {k: form.data[k] for k in ("track", "tier", "q")} if valid else {}
    unpublished = policies.can_see_unpublished_missions(actor_for(current_user))

    def list_html():
        missions = db.session.scalars(queries.catalogue(**filters, include_unpublished=unpublished)).all()
        return render_template("missions/_list.html", form=form, missions=missions,
                               filtered=any(filters.values()) if filters else False)

    if valid and not filters.get("q"):
        # The list depends only on the catalogue and these filters: made once per catalogue revision.
        html = cache.cached("catalogue", ("missions-list", filters.get("track"), filters.get("tier"), unpublished),
                            list_html)
    else:
        html = list_html()
    status = 200 if valid else 422
    if htmx.wants("mission-list"):
        return html, status
    # The fragment is the output of our own autoescaping template, so it may be marked safe.
    return render_template("missions/index.html", form=form, list_html=Markup(html)), status  # nosec B704


@bp.get("/<slug>")
@login_required
def detail(slug: str):
    actor = actor_for(current_user)
    mission = catalogue_service.get_mission(
        slug, include_unpublished=policies.can_see_unpublished_missions(actor))
    hidden = hidden_subtask_ids(mission.content())
    return render_template(
        "missions/detail.html", mission=mission,
        outline=[s for s in mission.subtasks if s["id"] not in hidden],
        hidden_count=len(hidden),
        show_mentor_notes=policies.can_see_mentor_notes(actor),
        vocabulary=catalogue_service.nice_vocabulary(),
    )
