"""The mission catalogue (SPEC §2, §8)."""
from flask import g, request

from ..domain import policies
from ..missions import queries
from ..services import attempts, catalogue
from ..services.actors import actor_for
from .core import Blueprint, cached_json, cached_value, learner_area, paginate
from .schemas.missions import MissionDetailSchema, MissionFilterArgs, MissionPage

bp = Blueprint("missions", __name__)


@bp.get("/missions")
@bp.authenticated(errors=(404, 422))
@bp.arguments(MissionFilterArgs, location="query")
@bp.response(200, MissionPage)
def list_missions(args):
    """The mission catalogue

    Published missions, filtered by `track`, `tier` and a text query `q`; mentors and admins also see
    unpublished ones."""
    unpublished = policies.can_see_unpublished_missions(actor_for(g.api_user))

    def page():
        stmt = queries.catalogue(args.get("track"), args.get("tier"), args.get("q"), include_unpublished=unpublished)
        return paginate(stmt, args)

    if args.get("q"):
        return page()
    # A page depends only on the catalogue, the filters and the host in its URLs: made once per revision.
    key = ("api-missions", request.url_root, args.get("track"), args.get("tier"), args["page"], args["per_page"],
           unpublished)
    return cached_json("catalogue", key, lambda: MissionPage().dump(page()))


@bp.get("/missions/<slug>")
@bp.authenticated(errors=(404,))
@bp.response(200, MissionDetailSchema)
def get_mission(slug):
    """One mission with its subtasks, rubric, events and cues"""
    actor = actor_for(g.api_user)
    unpublished = policies.can_see_unpublished_missions(actor)

    def seen() -> attempts.MissionAsSeen:
        return attempts.as_seen_by(actor, catalogue.get_mission(slug, include_unpublished=unpublished))

    # Which view a reader has changes only with the catalogue and, for a learner, with their own attempts (the
    # view fires nothing, so the clock does not move it): worked out once per revision of those.
    if policies.can_see_mentor_notes(actor):
        view_key = ("everything", slug)
    else:
        view_key = cached_value(("catalogue", learner_area(actor.id)), ("api-mission-view", slug, actor.id),
                                lambda: seen().view_key())
    # Serialised once per catalogue revision for each distinct view: every mentor and admin share one, and so do
    # learners whose attempts reached the same subtasks, events and cues (every learner without an attempt).
    return cached_json("catalogue", ("api-mission", request.url_root, unpublished, view_key),
                       lambda: MissionDetailSchema().dump(seen()))
