"""Accounts and work for the cohort-day Locust workload (bench/cohort_users.py), and the check of its writes.

Runs with the app's venv, against the database the app servers use (DATABASE_URL, SECRET_KEY,
MASTERY_INSTANCE_PATH, STORAGE_BACKEND... as for `flask`), after `flask seed` (and `seed --scale N` for the
public handles of scale learners):

    .venv/bin/python bench/cohort_setup.py setup --learners L --mentors M --out accounts.json
    .venv/bin/python bench/cohort_setup.py verify --writes writes.jsonl --out result.json

`setup` creates, through the app's services (as bench/soak.py does), L learners `cohort-learner-{i}@example.com`
and M mentors `cohort-mentor-{j}@example.com` (password `mastery-demo`), each learner assigned to mentor i % M.
Each learner gets:
  - a mastery attempt in progress (started with the rules of engagement accepted) at the "attempt mission", which
    the AttemptLearner plays, then starts again when it is complete;
  - a capstone in progress at the "work mission" (its attempt played first, as a capstone needs), and the
    completed attempts for --spares spare missions (default 3), so a learner whose capstone is submitted
    starts a fresh one;
  - capstones submitted for review (enough that each mentor has --reviews-per-mentor draft reviews, at least
    one per learner), each with a draft review by the learner's mentor;
  - an approved public portfolio item (made as the demo seed makes its approved items), so /p/<handle> has content.
It writes JSON with everything the users need: emails, the password, ids, slugs, handles, the phase form values
of each capstone mission (as the phase form posts them), the public handles (the learners' and scale learners'
with approved public items) and catalogue slugs.

`verify` reads the acknowledged writes the users logged (one JSON object a line: kind, object, marker, t) and
checks in the database that each is there: for a field one user rewrites (a capstone phase field, a review's
written feedback) the database must hold the last acknowledged marker or a later one of the same writer (a
later write may have landed without its answer reaching the user); a subtask's draft must be kept or its
subtask submitted since (the submission supersedes the draft); created things (a subtask's response, a
started attempt or capstone, a submitted review) must exist. Writes `{"acknowledged": n, "lost": [...],
"by_kind": {...}}` and exits 1 when a write was lost.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "mastery-demo"
# Markers the users write: cohort-<run>-u<user>-<seq> (bench/cohort_users.py makes them).
MARKER_RE = re.compile(r"cohort-([0-9a-f]{6})-u(\d{3,})-(\d{5,})")


def _app():
    sys.path.insert(0, str(ROOT))
    from webapp import create_app

    return create_app()


# ---------------------------------------------------------------- setup

def phase_forms(mission) -> dict:
    """Each phase's complete values as the phase form posts them (repeated names for rows and lists), and the
    form key whose first value carries a write's marker (a markdown field, else the first list or row text)."""
    from webapp.domain.phases import PHASES, SPECS
    from webapp.services.demo import _phase_values

    values = _phase_values(mission)
    out = {}
    for phase in PHASES:
        form: dict[str, list[str]] = {}
        marker_key = None
        for spec in SPECS[phase].fields:
            value = values[phase].get(spec.name)
            if spec.kind == "lists":
                for kind in spec.lists:
                    form[f"{spec.name}-{kind}"] = list((value or {}).get(kind) or [])
                marker_key = marker_key or f"{spec.name}-{spec.lists[0]}"
            elif spec.kind == "rows":
                rows = value or []
                for col in spec.columns:
                    form[f"{spec.name}-{col.name}"] = [str(r.get(col.name) or "") for r in rows]
            else:
                form[spec.name] = ["" if value is None else str(value)]
                if spec.kind == "markdown" and (marker_key is None or "-" in marker_key):
                    marker_key = spec.name
        if marker_key is None:          # no markdown and no lists: the first text column of a row field
            spec = next(s for s in SPECS[phase].fields if s.kind == "rows")
            marker_key = f"{spec.name}-{next(c.name for c in spec.columns if c.kind in ('text', 'long'))}"
        if not form[marker_key]:
            form[marker_key] = [""]
        out[phase] = {"form": form, "marker_key": marker_key, "field": marker_key.split("-", 1)[0]}
    return out


def setup(learners: int, mentors: int, reviews_per_mentor: int, spares: int, out: str) -> None:
    from sqlalchemy import select

    from webapp.domain.phases import PHASES
    from webapp.extensions import db
    from webapp.models import Mission, PortfolioItem, User
    from webapp.models.base import utcnow
    from webapp.services import accounts, attempts, capstones, reviews, tokens
    from webapp.services.demo import _phase_values, play_attempt

    if learners < 1 or mentors < 1:
        raise SystemExit("use at least one learner and one mentor")
    app = _app()
    t0 = time.time()
    with app.app_context(), app.test_request_context():
        mastery = db.session.scalars(select(Mission).where(Mission.tier == "mastery", Mission.is_published.is_(True))
                                     .order_by(Mission.slug)).all()
        submitted_each = max(1, math.ceil(reviews_per_mentor * mentors / learners))
        needed = 2 + spares + submitted_each
        if len(mastery) < needed:
            raise SystemExit(f"the cohort needs {needed} mastery missions (`flask seed` loads them); "
                             f"found {len(mastery)}")
        attempt_mission, work_mission = mastery[0], mastery[1]
        spare_missions = mastery[2:2 + spares]
        review_missions = mastery[2 + spares:needed]
        if db.session.scalar(select(User.id).where(User.email == "cohort-learner-0@example.com")):
            raise SystemExit("cohort accounts exist already in this database: set up a fresh one")
        mentor_users = [accounts.create_user(f"cohort-mentor-{j}@example.com", f"Cohort Mentor {j}",
                                             f"cohort-mentor-{j}", PASSWORD, role="mentor") for j in range(mentors)]
        result = {
            "password": PASSWORD,
            "phases": list(PHASES),
            "attempt_mission": attempt_mission.slug,
            "work_mission": work_mission.slug,
            "phase_forms": {m.slug: phase_forms(m) for m in [work_mission, *spare_missions]},
            "mentors": [{"email": m.email, "handle": m.handle, "reviews": []} for m in mentor_users],
            "learners": [],
        }
        when = utcnow() - timedelta(hours=6)
        for i in range(learners):
            learner = accounts.create_user(f"cohort-learner-{i}@example.com", f"Cohort Learner {i}",
                                           f"cohort-learner-{i}", PASSWORD, role="learner")
            mentor = mentor_users[i % mentors]
            accounts.assign_mentor(None, mentor, learner)
            # A capstone builds on a completed attempt: each mission is played first, as the demo does.
            for k, mission in enumerate([work_mission, *spare_missions, *review_missions]):
                play_attempt(learner, mission, when + timedelta(minutes=10 * k))
            attempt, _ = attempts.start_or_resume(learner, attempt_mission, acknowledge_scope=True)
            cap, _ = capstones.start(learner, work_mission)
            submitted = []
            for mission in review_missions:
                values = _phase_values(mission)
                sub, _ = capstones.start(learner, mission)
                for phase in PHASES:
                    capstones.save_phase(sub, phase, values[phase], learner)
                    capstones.complete_phase(sub, phase, learner)
                review = reviews.create(mentor, capstone_id=sub.id, total_phases=1)
                submitted.append(sub.id)
                result["mentors"][i % mentors]["reviews"].append(review.id)
            # Approved and public, as the demo seed makes its approved items (no mentor review round here).
            item = PortfolioItem(owner_id=learner.id, title=f"Cohort write-up {i}", item_type="writeup",
                                 status="approved", visibility="public",
                                 summary="How I triaged the phishing wave, step by step.",
                                 skill_tags=["Incident triage"], submitted_at=when, reviewed_by_id=mentor.id,
                                 reviewed_at=when + timedelta(hours=1), review_note="Clear and reproducible.")
            db.session.add(item)
            db.session.commit()
            _, secret = tokens.create_token(learner, "cohort")     # for a learner whose tools use the API
            result["learners"].append({
                "token": secret,
                "email": learner.email, "handle": learner.handle, "attempt": attempt.id,
                "attempt_mission": attempt_mission.slug, "capstone": cap.id, "capstone_mission": work_mission.slug,
                "spare_missions": [m.slug for m in spare_missions], "submitted_capstones": submitted, "item": item.id})
        scale = db.session.scalars(
            select(User.handle).where(User.handle.like("scale-learner-%"), User.is_active.is_(True),
                                      User.id.in_(select(PortfolioItem.owner_id).where(
                                          PortfolioItem.status == "approved", PortfolioItem.visibility == "public")))
            .order_by(User.id).limit(200)).all()
        result["public_handles"] = [entry["handle"] for entry in result["learners"]] + list(scale)
        result["scale_handles"] = list(scale)
        result["catalogue_slugs"] = db.session.scalars(
            select(Mission.slug).where(Mission.is_published.is_(True)).order_by(Mission.slug).limit(30)).all()
        db.session.remove()
    Path(out).write_text(json.dumps(result, indent=1))
    n_reviews = sum(len(m["reviews"]) for m in result["mentors"])
    print(f"cohort setup: {learners} learners, {mentors} mentors, {n_reviews} draft reviews "
          f"({submitted_each} submitted capstones a learner), {len(result['scale_handles'])} scale handles "
          f"in {time.time() - t0:.1f} s -> {out}")


# ---------------------------------------------------------------- verify

def _marker_key(marker: str):
    found = MARKER_RE.fullmatch(marker)
    return (found.group(1), int(found.group(2)), int(found.group(3))) if found else None


def lost_overwrites(writes: list[dict], stored: dict[str, str]) -> list[dict]:
    """Acknowledged writes to a field its one writer rewrites that the stored value does not account for: the
    value must hold the last acknowledged marker, or a later one of the same writer (sent, not acknowledged)."""
    lost = []
    by_obj: dict[str, list[dict]] = {}
    for w in writes:
        by_obj.setdefault(w["object"], []).append(w)
    for obj, ws in by_obj.items():
        ws.sort(key=lambda w: (w["t"], (_marker_key(w["marker"]) or ("", 0, 0))[2]))
        last = ws[-1]
        value = stored.get(obj) or ""
        if last["marker"] in value:
            continue
        mine = _marker_key(last["marker"])
        later = [k for k in (_marker_key(m.group(0)) for m in MARKER_RE.finditer(value))
                 if mine and k[:2] == mine[:2] and k[2] > mine[2]]
        if not later:
            lost.append(last)
    return lost


def verify(writes_path: str, out: str) -> int:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import CapstoneProject, MentorshipInteraction, MissionAttempt

    writes = [json.loads(line) for line in Path(writes_path).read_text().splitlines() if line.strip()] \
        if Path(writes_path).exists() else []
    app = _app()
    lost: list[dict] = []
    with app.app_context():
        def capstone_field(obj: str) -> str:
            _, cid, field = obj.split(":")
            value = db.session.scalar(select(getattr(CapstoneProject, field)).where(CapstoneProject.id == int(cid)))
            return json.dumps(value) if not isinstance(value, str) else value

        overwrites = [w for w in writes if w["kind"] in ("capstone_draft", "capstone_complete", "review_draft",
                                                          "review_submit")]
        stored: dict[str, str] = {}
        for w in overwrites:
            obj = w["object"]
            if obj in stored:
                continue
            if obj.startswith("capstone:"):
                stored[obj] = capstone_field(obj)
            elif obj.startswith("review:"):
                stored[obj] = db.session.scalar(select(MentorshipInteraction.written_feedback)
                                                .where(MentorshipInteraction.id == int(obj.split(":")[1]))) or ""
        lost += lost_overwrites(overwrites, stored)
        for w in writes:
            kind, obj = w["kind"], w["object"]
            if kind == "review_submit":
                status = db.session.scalar(select(MentorshipInteraction.status)
                                           .where(MentorshipInteraction.id == int(obj.split(":")[1])))
                if status != "submitted":
                    lost.append({**w, "why": f"review status {status!r}"})
            elif kind == "subtask":
                _, aid, sid = obj.split(":")
                responses = db.session.scalar(select(MissionAttempt.responses).where(MissionAttempt.id == int(aid)))
                if w["marker"] not in json.dumps(responses or {}):
                    lost.append({**w, "why": "response not stored"})
            elif kind == "subtask_draft":
                # Kept until the subtask is submitted, which supersedes it (the draft is then dropped).
                _, aid, sid = obj.split(":")
                row = db.session.execute(select(MissionAttempt.drafts, MissionAttempt.responses)
                                         .where(MissionAttempt.id == int(aid))).one_or_none()
                if row is None or (w["marker"] not in json.dumps(row.drafts or {})
                                   and sid not in (row.responses or {})):
                    lost.append({**w, "why": "draft neither kept nor superseded by the submission"})
            elif kind == "attempt_start":
                if db.session.get(MissionAttempt, int(obj.split(":")[1])) is None:
                    lost.append({**w, "why": "no such attempt"})
            elif kind == "capstone_start":
                if db.session.get(CapstoneProject, int(obj.split(":")[1])) is None:
                    lost.append({**w, "why": "no such capstone"})
        db.session.remove()
    result = {"acknowledged": len(writes), "lost": lost, "by_kind": dict(Counter(w["kind"] for w in writes))}
    Path(out).write_text(json.dumps(result, indent=1))
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(result["by_kind"].items()))
    print(f"cohort verify: {len(writes)} acknowledged writes ({kinds}); lost {len(lost)}")
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup", help="create the cohort's accounts and work; write them as JSON")
    s.add_argument("--learners", type=int, required=True)
    s.add_argument("--mentors", type=int, required=True)
    s.add_argument("--reviews-per-mentor", type=int, default=8,
                   help="draft reviews each mentor has to work through (default 8)")
    s.add_argument("--spares", type=int, default=3,
                   help="missions each learner has played for fresh capstones once one is submitted (default 3)")
    s.add_argument("--out", required=True)
    v = sub.add_parser("verify", help="check that every acknowledged write is in the database")
    v.add_argument("--writes", required=True)
    v.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.learners, args.mentors, args.reviews_per_mentor, args.spares, args.out)
        return 0
    return verify(args.writes, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
