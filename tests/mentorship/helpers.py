"""Shared set-up for the mentor review tests."""
from __future__ import annotations

from datetime import timedelta

from webapp.domain.phases import PHASES
from webapp.extensions import db
from webapp.models import MentorshipInteraction, MissionAttempt, Recipe
from webapp.models.base import utcnow

from ..factories import assign, make_capstone, make_mission, make_review, make_user


def submitted_capstone(learner=None, mission=None, *, hours_ago: float = 5, **fields):
    learner = learner or make_user("learner")
    mission = mission or make_mission()
    return make_capstone(learner, mission, done=PHASES, submitted_at=utcnow() - timedelta(hours=hours_ago),
                         report_summary="We contained it.", remediation_plan="Patch and monitor.", **fields)


def setup_review(total_phases: int = 2, **review_fields):
    """A learner with a submitted capstone, their assigned mentor, and a draft first review phase."""
    learner = make_user("learner")
    mentor = make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner)
    review = make_review(mentor, cap, total_phases=total_phases, **review_fields)
    return learner, mentor, cap, review


def make_attempt(learner, mission, **fields) -> MissionAttempt:
    attempt = MissionAttempt(learner_id=learner.id, mission_id=mission.id, status="completed",
                             responses={"1": {"response": "Isolated the host.", "submitted_at": utcnow().isoformat()}},
                             decisions={"isolate": "yes"}, score=90, completed_at=utcnow(), **fields)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def make_recipe(slug: str = "sysmon-basics", title: str = "Sysmon basics", track: str = "defender") -> Recipe:
    recipe = Recipe(slug=slug, title=title, track=track, summary=f"Learn {title.lower()} in twenty minutes.",
                    url="https://example.org/r",
                    duration_minutes=20, skill_tags=["logging"])
    db.session.add(recipe)
    db.session.commit()
    return recipe


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def snapshot(review: MentorshipInteraction) -> dict:
    r = reload(review)
    return {c.name: getattr(r, c.name) for c in MentorshipInteraction.__table__.columns}


def form_for(review, **overrides) -> dict:
    data = {"version_id": str(review.version_id), "written_feedback": "Good work.", "overall_score": "",
            "meeting_notes": "", "meeting_duration_minutes": "", "audio_transcript": "", "video_transcript": ""}
    data.update(overrides)
    return data
