"""Demo accounts and sample work (`seed --demo`), and synthetic data for benchmarks (`seed --scale N`)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..domain.catalogue import CAPSTONE_TIER
from ..domain.phases import PHASE_FIELDS, PHASES, completed_at
from ..extensions import db
from ..models import (CapstoneProject, Cohort, CohortMember, MentorAssignment, MentorshipInteraction, Mission,
                      MissionAttempt, PortfolioItem, User)
from ..models.base import utcnow
from . import accounts

DEMO_PASSWORD = "mastery-demo"
DEMO_USERS = (
    ("learner@example.com", "Lee Learner", "learner", "learner",
     "SOC analyst in training, aiming for incident response."),
    ("mentor@example.com", "Morgan Mentor", "mentor", "mentor", "Incident responder and mentor."),
    ("admin@example.com", "Ada Admin", "admin", "admin", "Runs this Mastery Tracks site."),
)


class DemoError(RuntimeError):
    pass


def _field_values(mission: Mission) -> dict[str, object]:
    """Plausible content for the capstone's phase fields (domain.phase_fields names them and says which phase
    each belongs to), written against the mission."""
    first = mission.subtasks[0]["title"] if mission.subtasks else mission.title
    return {
        "investigation_findings": {
            "threats": [f"Adversary activity described in '{first}'"],
            "vulnerabilities": ["Flat network between workstations and servers"],
            "timeline": ["02:14 first alert", "02:31 lateral movement observed"],
            "evidence": ["EDR process tree export", "Firewall log excerpt"],
        },
        "investigation_artifacts": [{"type": "link", "url": "https://evidence.example/timeline",
                                     "description": "Incident timeline worksheet"}],
        "decisions_made": [{"decision": "Isolate the affected segment", "rationale":
                            "Stops spread at the cost of two hours of downtime", "decided_at": "2026-11-02"}],
        "decision_analysis": "Containment first: the cost of downtime is smaller than the cost of spread.",
        "design_documents": [{"title": "Segmentation design", "url": "https://docs.example/segmentation",
                              "description": "VLANs and firewall rules"}],
        "remediation_plan": "1. Reset exposed credentials.\n2. Segment servers.\n3. Tune detections.",
        "report_summary": "The intrusion was contained within the night shift; no data left the network.",
        "report_key_findings": [{"finding": "Shared local admin password", "impact": "Lateral movement",
                                 "recommendation": "Deploy LAPS"}],
        "presentation_url": "https://slides.example/capstone", "presentation_type": "slides",
        "presentation_notes": "Fifteen-minute briefing for the IT steering group.",
    }


def _phase_values(mission: Mission) -> dict[str, dict]:
    """The same content grouped by phase (bench/soak.py saves it phase by phase)."""
    values = _field_values(mission)
    return {phase: {name: values[name] for name in PHASE_FIELDS[phase] if name in values} for phase in PHASES}


def _make_capstone(learner: User, mission: Mission, done: int, when) -> CapstoneProject:
    cap = CapstoneProject(learner_id=learner.id, mission_id=mission.id)
    values = _phase_values(mission)
    for i, phase in enumerate(PHASES):
        if i <= done:
            for name, value in values[phase].items():
                setattr(cap, name, value)
        if i < done:
            setattr(cap, completed_at(phase), when + timedelta(hours=i + 1))
    if done >= len(PHASES):
        cap.submitted_at = when + timedelta(hours=len(PHASES))
    return cap


def _rubric_scores(mission: Mission, top: bool) -> dict[str, int]:
    scores = {}
    for c in mission.rubric:
        levels = sorted(lv["score"] for lv in c["levels"])
        scores[c["id"]] = levels[-1] if top else levels[-2]
    return scores


def _ensure_user(email, name, handle, role, bio) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        if db.session.scalar(select(User).where(User.handle == handle)) is not None:
            raise DemoError(f"The handle '{handle}' is taken by another account; demo data needs it.")
        user = accounts.create_user(email, name, handle, DEMO_PASSWORD, role=role, bio=bio)
    return user


def _demo_answers(subtask: dict, step: int) -> dict:
    """A plausible learner's check answers: right, except one check in three left wrong."""
    out = {}
    for i, check in enumerate(subtask.get("checks") or []):
        if check["kind"] == "keywords":
            continue
        right = (i + step) % 3 != 0
        if check["kind"] == "answer":
            out[check["id"]] = check["accept"][0] if right else "not sure"
        else:
            wrong = [o["id"] for o in check["options"] if o["id"] not in check["correct"]]
            pick = check["correct"] if right or not wrong else wrong[:1]
            out[check["id"]] = pick if check.get("multiple") else pick[0]
    return out


def play_attempt(learner: User, mission: Mission, start) -> MissionAttempt:
    """Play a mission to its end through the real engine, choosing each decision's first option, answering most
    checks right and writing the model answer where the mission has one (a demo learner who is good, not perfect)."""
    from . import attempts as attempt_service
    from .actors import actor_for

    actor = actor_for(learner)
    attempt, _ = attempt_service.start_or_resume(learner, mission, acknowledge_scope=True, now=start)
    step = 0
    while attempt.status == "in_progress" and attempt.current_subtask_id is not None and step < 20:
        step += 1
        subtask = next(s for s in attempt.mission_snapshot["subtasks"] if s["id"] == attempt.current_subtask_id)
        choices = {d["id"]: d["options"][0]["id"] for d in subtask.get("decisions") or []}
        response = (subtask.get("model_answer") if step % 2 else None) or \
            f"My analysis for '{subtask['title']}': evidence first, then the call."
        attempt_service.submit_subtask(attempt, subtask["id"], response, choices, actor,
                                       now=start + timedelta(minutes=12 * step),
                                       checks=_demo_answers(subtask, step))
    return attempt


def seed_demo() -> dict:
    """Idempotent: accounts by email, work by (learner, mission). Returns what was created."""
    mastery = db.session.scalars(select(Mission).where(Mission.tier == CAPSTONE_TIER, Mission.is_published.is_(True))
                                 .order_by(Mission.track, Mission.slug)).all()
    if len(mastery) < 4:
        raise DemoError("Load the catalogue first: the demo needs at least four mastery missions.")
    learner, mentor, admin = (_ensure_user(*u) for u in DEMO_USERS)
    accounts.assign_mentor(None, mentor, learner)
    created = {"capstones": 0, "attempts": 0, "reviews": 0, "portfolio_items": 0}
    existing = set(db.session.scalars(select(CapstoneProject.mission_id).where(
        CapstoneProject.learner_id == learner.id)))
    start = utcnow() - timedelta(days=10)
    # Capstones at several stages: investigation, reporting, submitted for review, approved.
    stages = list(zip(mastery[:4], (0, 3, 5, 5)))
    for mission, done in stages:
        if mission.id in existing:
            continue
        attempt = play_attempt(learner, mission, start)
        cap = _make_capstone(learner, mission, done, start + timedelta(days=1))
        cap.attempt_id = attempt.id
        db.session.add(cap)
        created["attempts"] += 1
        created["capstones"] += 1
        if (mission, done) == stages[3]:
            db.session.flush()
            _approve_with_reviews(cap, mission, learner, mentor, start + timedelta(days=3))
            created["reviews"] += 2
            created["portfolio_items"] += 1
    # An attempt in progress on a lower-tier mission.
    lower = db.session.scalar(select(Mission).where(Mission.tier == "beginner").order_by(Mission.slug))
    if lower and not db.session.scalar(select(MissionAttempt.id).where(
            MissionAttempt.learner_id == learner.id, MissionAttempt.mission_id == lower.id)):
        from . import attempts as attempt_service

        attempt_service.start_or_resume(learner, lower, acknowledge_scope=True)
        created["attempts"] += 1
    samples = (
        ("Phishing triage playbook", "writeup", "approved", "public",
         "A step-by-step playbook for triaging reported phishing, with header analysis examples."),
        ("Home lab: Sysmon and Sigma", "lab_report", "draft", "private",
         "Notes from building a detection lab with Sysmon and a handful of Sigma rules."),
        ("Log triage helper script", "script_tool", "approved", "unlisted",
         "A small script that summarises Windows logon events by account and source."),
    )
    have = set(db.session.scalars(select(PortfolioItem.title).where(PortfolioItem.owner_id == learner.id)))
    for title, item_type, status, visibility, summary in samples:
        if title in have:
            continue
        approved = status == "approved"
        db.session.add(PortfolioItem(
            owner_id=learner.id, title=title, item_type=item_type, status=status, visibility=visibility,
            summary=summary, skill_tags=["Incident triage", "Windows event log analysis"],
            share_token=secrets.token_urlsafe(24) if visibility == "unlisted" else None,
            submitted_at=start if approved else None, reviewed_by_id=mentor.id if approved else None,
            reviewed_at=start + timedelta(days=1) if approved else None,
            review_note="Clear and reproducible." if approved else ""))
        created["portfolio_items"] += 1
    _demo_cohort(learner, mentor)
    db.session.commit()
    return {"users": [u.email for u in (learner, mentor, admin)], **created}


DEMO_COHORT = ("Spring 2027 SOC cohort", "defender", "Evening class for analysts moving into incident response.")


def _demo_cohort(*members: User) -> None:
    """The demo cohort (by name) with the demo learner and mentor in it (staged; the caller commits)."""
    name, track, description = DEMO_COHORT
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == name))
    if cohort is None:
        cohort = Cohort(name=name, track=track, description=description)
        db.session.add(cohort)
        db.session.flush()
    have = set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in members if u.id not in have])


def _approve_with_reviews(cap, mission, learner, mentor, when) -> None:
    scores = _rubric_scores(mission, top=True)
    from ..domain.reviews import weighted_total

    total = weighted_total(mission.rubric, scores) or Decimal("90")
    phases = []
    for n in (1, 2):
        review = MentorshipInteraction(
            mentor_id=mentor.id, learner_id=learner.id, mission_id=mission.id, capstone_id=cap.id,
            review_phase=n, total_phases=2, phase="investigation" if n == 1 else "overall",
            written_feedback="Strong evidence handling." if n == 1 else "Clear decisions and a convincing report.",
            rubric_scores=_rubric_scores(mission, top=n == 2), overall_score=total if n == 2 else None,
            is_scoring_meeting=n == 2, meeting_notes="Walked through the containment trade-offs." if n == 2 else "",
            meeting_duration_minutes=30 if n == 2 else None,
            recommended_next_steps=[{"title": "Write a detection for the initial access vector", "priority": "high",
                                     "deadline": (when + timedelta(days=14)).date().isoformat()}],
            status="submitted", decision="approve" if n == 2 else None, rubric=list(mission.rubric or []),
            submitted_at=when + timedelta(days=n))
        db.session.add(review)
        phases.append({"review_phase": n, "phase": review.phase, "summary": review.written_feedback})
    cap.mentor_approved = True
    cap.mentor_final_score = total
    cap.mentor_reviewed_at = when + timedelta(days=2)
    cap.mentor_review_phases = phases
    # The capstone result is approved and public, showing the snapshot of the capstone taken at its approval.
    from . import portfolio as portfolio_service

    db.session.flush()
    db.session.add(PortfolioItem(
        owner_id=learner.id, title=f"Capstone: {mission.title}", item_type="capstone_result", status="approved",
        visibility="public", summary=f"Capstone project for the mission {mission.title}.",
        skill_tags=list(mission.skills[:4]), mission_id=mission.id, capstone_id=cap.id,
        submitted_at=when + timedelta(days=2), reviewed_by_id=mentor.id, reviewed_at=when + timedelta(days=3),
        review_note="Approved: the case study matches the capstone I reviewed.",
        # What the mentor wrote for the public page (the review note above stays private).
        public_note=f"A well-argued capstone on {mission.title}: clear decisions, each with its trade-off.",
        case_study=portfolio_service.take_case_study(cap, taken_at=when + timedelta(days=3))))


def seed_scale(n: int, progress: Callable[[int], None] | None = None, batch: int = 250) -> dict:
    """Add n synthetic learners, each with an attempt, a capstone, and portfolio items; capstones that
    reached review get a submitted review from a synthetic mentor. Numbered after any earlier run."""
    missions = db.session.scalars(select(Mission).where(Mission.tier == CAPSTONE_TIER).order_by(Mission.id)).all()
    if not missions:
        raise DemoError("Load the catalogue first: `flask seed`.")
    password_hash = generate_password_hash(secrets.token_urlsafe(16))  # nobody logs in as these
    offset = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("scale-learner-%")))
    mentors = []
    for m in range(max(1, n // 50)):
        idx = offset // 50 + m
        email = f"scale-mentor-{idx}@example.com"
        mentor = db.session.scalar(select(User).where(User.email == email))
        if mentor is None:
            mentor = User(email=email, display_name=f"Scale Mentor {idx}", handle=f"scale-mentor-{idx}",
                          role="mentor", password_hash=password_hash)
            db.session.add(mentor)
        mentors.append(mentor)
    db.session.flush()
    counts = {"learners": 0, "capstones": 0, "reviews": 0, "portfolio_items": 0}
    now = utcnow()
    for i in range(n):
        k = offset + i
        mission = missions[k % len(missions)]
        mentor = mentors[i % len(mentors)]
        learner = User(email=f"scale-learner-{k}@example.com", display_name=f"Scale Learner {k}",
                       handle=f"scale-learner-{k}", role="learner", password_hash=password_hash,
                       bio="Synthetic learner for benchmarks.")
        db.session.add(learner)
        db.session.flush()
        db.session.add(MentorAssignment(mentor_id=mentor.id, learner_id=learner.id))
        attempt = MissionAttempt(learner_id=learner.id, mission_id=mission.id, status="completed",
                                 completed_at=now, score=70 + k % 30)
        db.session.add(attempt)
        db.session.flush()
        done = k % (len(PHASES) + 1)
        cap = _make_capstone(learner, mission, done, now - timedelta(days=k % 30))
        cap.attempt_id = attempt.id
        db.session.add(cap)
        counts["learners"] += 1
        counts["capstones"] += 1
        db.session.flush()
        if done == len(PHASES) and (k // len(PHASES)) % 2 == 0:
            db.session.add(MentorshipInteraction(
                mentor_id=mentor.id, learner_id=learner.id, mission_id=mission.id, capstone_id=cap.id,
                review_phase=1, total_phases=2, phase="overall", written_feedback="Good progress.",
                rubric_scores=_rubric_scores(mission, top=False), status="submitted", submitted_at=now,
                rubric=list(mission.rubric or [])))
            counts["reviews"] += 1
        for j, (item_type, status, visibility) in enumerate((("writeup", "approved", "public"),
                                                              ("lab_report", "draft", "private"))):
            db.session.add(PortfolioItem(owner_id=learner.id, title=f"{item_type.replace('_', ' ').title()} {k}-{j}",
                                         item_type=item_type, status=status, visibility=visibility,
                                         summary="Synthetic portfolio item.", skill_tags=list(mission.skills[:2]),
                                         reviewed_by_id=mentor.id if status == "approved" else None,
                                         reviewed_at=now if status == "approved" else None))
            counts["portfolio_items"] += 1
        if (i + 1) % batch == 0:
            db.session.commit()
        if progress:
            progress(1)
    db.session.commit()
    return counts
