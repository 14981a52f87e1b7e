from flask import g, request, url_for

from ..domain import policies
from ..domain.mission_rules import hidden_subtask_ids
from ..extensions import db
from ..missions import queries
from ..services import attempts, catalogue
from ..services.actors import actor_for
from .core import Routes, cached_ok, ok, paginate
from .schemas import MissionDetailSchema, MissionFilterArgs, MissionPage, MissionSummarySchema

routes = Routes("missions")


def summary_json(m) -> dict:
    return MissionSummarySchema().dump({
        **{f: getattr(m, f) for f in ("slug", "title", "track", "tier", "summary", "estimated_minutes", "skills",
                                      "attack_techniques", "nice_roles", "is_published")},
        "subtask_count": len(m.subtasks or []),
        "url": url_for("missions.detail", slug=m.slug, _external=True),
    })


def detail_json(m, actor) -> dict:
    content = m.content()
    data = {**summary_json(m), "scenario": m.scenario, "rubric": m.rubric}
    if policies.can_see_mentor_notes(actor):
        data.update(subtasks=m.subtasks, escalation_events=m.escalation_events,
                    environmental_cues=m.environmental_cues, mentor_notes=m.mentor_notes)
    else:
        # No spoilers: hidden subtasks, events and cues appear only as the learner's attempt (the one in
        # progress, else the latest) reaches them, as that attempt saw them.
        reached = attempts.reached_for_learner(actor.id, m)
        hidden = hidden_subtask_ids(content) - reached["unlocked"]
        data.update(subtasks=[s for s in m.subtasks if s["id"] not in hidden], escalation_events=reached["events"],
                    environmental_cues=reached["cues"])
    return MissionDetailSchema().dump(data)


@routes.get("/missions", summary="The mission catalogue", query=MissionFilterArgs, response=MissionPage)
def list_missions(args):
    """Published missions, filtered by `track`, `tier` and a text query `q`; mentors and admins also see
    unpublished ones."""
    unpublished = policies.can_see_unpublished_missions(actor_for(g.api_user))

    def page():
        stmt = queries.catalogue(args.get("track"), args.get("tier"), args.get("q"), include_unpublished=unpublished)
        return paginate(db.session, stmt, args, summary_json)

    if args.get("q"):
        return ok(page())
    # A page depends only on the catalogue, the filters and the host in its URLs: made once per revision.
    key = ("api-missions", request.url_root, args.get("track"), args.get("tier"), args["page"], args["per_page"],
           unpublished)
    return cached_ok("catalogue", key, page)


@routes.get("/missions/<slug>", summary="One mission with its subtasks, rubric, events and cues",
            response=MissionDetailSchema, errors=(404,))
def get_mission(slug):
    actor = actor_for(g.api_user)
    mission = catalogue.get_mission(slug, include_unpublished=policies.can_see_unpublished_missions(actor))
    return ok(detail_json(mission, actor))
