"""Mission attempt endpoints of SPEC §8: start, read, submit a subtask with its checks, abandon. The same rules
and errors as the attempt page (services.attempts); checks go out as prompts until their subtask is submitted."""
from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..domain import policies
from ..domain.attempt_rules import can_play_attempt
from ..models import Mission, MissionAttempt
from ..services import attempts as service
from ..services import catalogue as catalogue_service
from ..services.actors import actor_for
from ..templating import event_title
from .core import Blueprint, paginate
from .schemas.attempts import AttemptListArgs, AttemptPage, AttemptSchema, AttemptStartSchema, SubmitSchema

bp = Blueprint("attempts", __name__)


def _subtask(row: dict) -> dict:
    item = row["subtask"]
    submitted = row["state"] == "submitted"
    out = {
        "id": item["id"], "title": item.get("title", ""), "instructions": item.get("instructions", ""),
        "submitted": submitted, "response": row["response"],
        "decisions": [{"id": d["id"], "prompt": d.get("prompt", ""),
                       "choice": row["chosen"].get(d["id"]) if submitted else None,
                       "options": [{"id": o["id"], "label": o["label"]} for o in d.get("options") or []]}
                      for d in item.get("decisions") or []],
        "checks": [{k: r[k] for k in ("id", "kind", "prompt", "options", "multiple", "points")} for r in row["results"]]
        if submitted else row["checks"],
    }
    if submitted:
        out.update(check_results={r["id"]: {"correct": r["correct"], "points": r["earned"],
                                            "explanation": r["explanation"]} for r in row["results"]},
                   key_points=[k["text"] for k in row["key_points"]],
                   covered=[k["index"] for k in row["key_points"] if k["covered"]],
                   model_answer=row["model_answer"])
    return out


def dump(attempt: MissionAttempt) -> dict:
    """An attempt as the API shows it (AttemptSchema)."""
    view = service.seen(attempt)
    return {
        "id": attempt.id, "mission": attempt.mission.slug, "status": attempt.status, "score": attempt.score,
        "started_at": attempt.started_at, "completed_at": attempt.completed_at,
        "current_subtask_id": view.progress.current if attempt.status == "in_progress" else None,
        "elapsed_minutes": round(service.scenario_clock(attempt), 1),
        "estimated_minutes": view.content.get("estimated_minutes") or attempt.mission.estimated_minutes,
        "points": view.earned, "points_possible": view.possible, "score_penalty": attempt.score_penalty,
        "subtasks": [_subtask({**row, "chosen": attempt.decisions or {},
                               "checks": view.current_checks if row["state"] == "current" else []})
                     for row in view.answers if row["state"] != "upcoming"],
        "timeline": [{"title": event_title(e["event_type"]), "message": e["message"], "severity": e["severity"],
                      "score_penalty": e["score_penalty"], "fired_at": e["fired_at"]} for e in view.timeline],
        "cues": [{k: v for k, v in c.items() if k != "revealed_by"} for c in view.cues],
        "debrief": (view.content.get("debrief") or None) if attempt.status == "completed" else None,
    }


def _load(attempt_id: int):
    """(the attempt, the caller as an Actor): the caller's actor is made once a request."""
    actor = actor_for(g.api_user)
    attempt = service.get_attempt(attempt_id, actor)
    if can_play_attempt(actor, attempt.learner_id):
        service.tick(attempt)        # time-based events due now, as the page records them
    return attempt, actor


@bp.get("/attempts")
@bp.authenticated(errors=(404, 422))
@bp.arguments(AttemptListArgs, location="query")
@bp.response(200, AttemptPage)
def list_attempts(args):
    """Your attempts

    The caller's own attempts, newest first. Filter by `mission` (slug) and `status`."""
    stmt = (select(MissionAttempt).join(Mission, Mission.id == MissionAttempt.mission_id)
            .options(contains_eager(MissionAttempt.mission))
            .where(MissionAttempt.learner_id == g.api_user.id)
            .order_by(MissionAttempt.started_at.desc(), MissionAttempt.id.desc()))
    if args.get("mission"):
        stmt = stmt.where(Mission.slug == args["mission"])
    if args.get("status"):
        stmt = stmt.where(MissionAttempt.status == args["status"])
    return paginate(stmt, args)


@bp.post("/attempts")
@bp.authenticated(errors=(400, 404, 422))
@bp.arguments(AttemptStartSchema)
@bp.response(201, AttemptSchema)
@bp.alt_response(200, schema=AttemptSchema, description="your attempt in progress at this mission, resumed")
def start_attempt(body):
    """Start (or resume) an attempt

    Starts an attempt at the mission `mission` (a slug) and answers 201, or answers 200 with your attempt in
    progress there. An offensive-track mission needs `acknowledge_scope: true` (422 without it)."""
    actor = actor_for(g.api_user)
    mission = catalogue_service.get_mission(body["mission"],
                                            include_unpublished=policies.can_see_unpublished_missions(actor))
    attempt, created = service.start_or_resume(g.api_user, mission, acknowledge_scope=body["acknowledge_scope"])
    return dump(attempt), 201 if created else 200


@bp.get("/attempts/<int:attempt_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(200, AttemptSchema)
def get_attempt(attempt_id):
    """One attempt

    What the attempt page shows: the subtasks reached (never hidden ones), the checks of the open subtask as
    prompts (their answers and explanations only after submission), the timeline and the cues. The learner,
    their mentors and admins may read it."""
    return dump(_load(attempt_id)[0])


@bp.post("/attempts/<int:attempt_id>/subtasks/<int:subtask_id>")
@bp.authenticated(errors=(400, 403, 404, 409, 422))
@bp.arguments(SubmitSchema)
@bp.response(200, AttemptSchema)
def submit_subtask(body, attempt_id, subtask_id):
    """Submit a subtask

    Records the response, the decisions and the answers to the subtask's checks, marks the checks and answers
    the updated attempt (this subtask's `check_results` included). Subtasks go in order (409 otherwise); an
    unknown decision, option or check, or a check of another subtask, is 422 and records nothing."""
    attempt, actor = _load(attempt_id)
    service.submit_subtask(attempt, subtask_id, body["response"], body["decisions"], actor, checks=body["checks"])
    return dump(attempt)


@bp.post("/attempts/<int:attempt_id>/abandon")
@bp.authenticated(errors=(403, 404, 409))
@bp.response(200, AttemptSchema)
def abandon_attempt(attempt_id):
    """Abandon an attempt

    Only the learner, only an attempt in progress (409 otherwise). The attempt is kept for the record and the
    mission can be started again."""
    attempt, actor = _load(attempt_id)
    service.abandon(attempt, actor)
    return dump(attempt)
