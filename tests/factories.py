"""Plain factory functions with valid defaults; each test states only the fields it is about."""
from __future__ import annotations

import itertools
from datetime import timedelta

from werkzeug.security import generate_password_hash

from webapp.domain.mission_rules import check_mission
from webapp.domain.phases import completed_at
from webapp.extensions import db
from webapp.models import (ApiToken, CapstoneProject, MentorAssignment, MentorshipInteraction, Mission,
                           MissionAttempt, PortfolioItem, User)
from webapp.models.base import utcnow
from webapp.services import tokens

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
# Hashing is slow by design; tests share one hash of PASSWORD.
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_user(role: str = "learner", email: str | None = None, handle: str | None = None, **fields) -> User:
    n = next(_seq)
    user = User(email=email or f"{role}{n}@example.com", handle=handle or f"{role}-{n}",
                display_name=fields.pop("display_name", f"{role.capitalize()} {n}"), role=role,
                password_hash=_HASH, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def assign(mentor: User, learner: User, track: str | None = None) -> MentorAssignment:
    link = MentorAssignment(mentor_id=mentor.id, learner_id=learner.id, track=track)
    db.session.add(link)
    db.session.commit()
    return link


def mission_data(slug: str | None = None, **overrides) -> dict:
    """A small valid mastery mission as data-format dict."""
    n = next(_seq)
    data = {
        "slug": slug or f"mission-{n}",
        "title": f"Mission {n}",
        "track": "defender",
        "tier": "mastery",
        "summary": "Contain an intrusion at a fictional company.",
        "scenario": "At **02:14** the SOC sees an alert.\n\n```\nEventID 4625\n```\n",
        "mentor_notes": "Intended path: isolate first.",
        "estimated_minutes": 90,
        "skills": ["Incident triage", "Log analysis"],
        "attack_techniques": ["T1486"],
        "nice_roles": ["PD-WRL-003"],
        "subtasks": [
            {"id": 1, "title": "Triage", "instructions": "Read the alert.", "decisions": [
                {"id": "isolate", "prompt": "Isolate now?", "options": [
                    {"id": "yes", "label": "Isolate"}, {"id": "no", "label": "Watch"}]}]},
            {"id": 2, "title": "Scope", "instructions": "Scope the incident.", "decisions": []},
            {"id": 3, "title": "Report", "instructions": "Write the report.", "decisions": []},
            {"id": 4, "title": "Hidden follow-up", "instructions": "Deal with the fallout.", "decisions": []},
        ],
        "rubric": [
            {"id": c, "criterion": c.capitalize(), "description": f"How well the {c} went.", "weight": w,
             "levels": [{"score": s, "label": f"L{s}", "descriptor": f"Level {s}"} for s in (1, 2, 3, 4)]}
            for c, w in (("containment", 3), ("analysis", 2), ("communication", 1))
        ],
        "escalation_events": [
            {"subtask_id": 2, "event_type": "lateral_movement", "description": "Spread to a server.",
             "triggers": [{"on": "decision", "decision_id": "isolate", "choice": "no"}],
             "consequences": {"severity": "high", "message": "FS-01 encrypts.", "score_penalty": 10,
                              "unlock_subtask": 4}},
        ],
        "environmental_cues": [
            {"subtask_id": 1, "cue_type": "log", "description": "Failed logons.", "location": "SIEM",
             "significance": "Brute force."},
        ],
        "is_published": True,
    }
    data.update(overrides)
    return data


def make_mission(**overrides) -> Mission:
    data = check_mission(mission_data(**overrides), {"PD-WRL-003", "PD-WRL-001"})
    mission = Mission(**data)
    db.session.add(mission)
    db.session.commit()
    return mission


def make_completed_attempt(learner: User, mission: Mission, **fields) -> MissionAttempt:
    """A completed attempt at the mission (what a capstone builds on), with the fields a test names."""
    now = utcnow()
    attempt = MissionAttempt(learner_id=learner.id, mission_id=mission.id, status=fields.pop("status", "completed"),
                             started_at=fields.pop("started_at", now - timedelta(minutes=30)),
                             completed_at=fields.pop("completed_at", now), score=fields.pop("score", 80),
                             mission_snapshot=fields.pop("mission_snapshot", mission.content()), **fields)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def make_capstone(learner: User, mission: Mission, done: tuple[str, ...] = (), **fields) -> CapstoneProject:
    cap = CapstoneProject(learner_id=learner.id, mission_id=mission.id, **fields)
    now = utcnow()
    for i, phase in enumerate(done):
        setattr(cap, completed_at(phase), now + timedelta(minutes=i))
    db.session.add(cap)
    db.session.commit()
    return cap


def make_review(mentor: User, capstone: CapstoneProject, **fields) -> MentorshipInteraction:
    review = MentorshipInteraction(mentor_id=mentor.id, learner_id=capstone.learner_id,
                                   mission_id=capstone.mission_id, capstone_id=capstone.id, **fields)
    db.session.add(review)
    db.session.commit()
    return review


def make_item(owner: User, **fields) -> PortfolioItem:
    item = PortfolioItem(owner_id=owner.id, title=fields.pop("title", "Item"),
                         item_type=fields.pop("item_type", "writeup"), **fields)
    db.session.add(item)
    db.session.commit()
    return item


def make_token(user: User) -> tuple[ApiToken, str]:
    return tokens.create_token(user, "test")
