"""Audit the shipped catalogue against docs/CONTENT rules that a machine can check (SPEC §3.1, §4).

    python scripts/content_audit.py [PATH …]      # files or folders; default seed/missions

For each mission it reports what is missing or suspicious: a mastery subtask without checks, a subtask
without key points or a model answer, a decision option without a debrief, a mission without a debrief, a
mastery mission without a capstone brief for every phase, a `time_elapsed` event described as a dwell
condition ("drags on"), an `answer` check none of whose accepted values appears in what the learner has been
shown by then (scenario, instructions, cues, event messages: a warning, since a value may be computed), and a
`keywords` check whose `min` a one-word response could meet. Exit status 1 when a mission has a problem
(warnings alone do not fail). The test suite runs the same rules (tests/unit/test_catalogue_content.py).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from webapp.domain import assessment  # noqa: E402
from webapp.domain.catalogue import offers_capstone  # noqa: E402
from webapp.domain.mission_rules import MissionInvalid, check_mission, load_yaml, mission_paths  # noqa: E402
from webapp.domain.phase_fields import PHASES  # noqa: E402

DWELL = re.compile(r"drags?\b|dragging on|takes too long|stalls|is slow|slow containment|delay in|still (?:scoping|triaging)"
                   r"|while (?:triage|scoping|analysis) (?:continues|drags)",
                   re.IGNORECASE)


def shown_before(mission: dict, subtask_index: int) -> str:
    """What the learner has been shown by the time they answer subtask `subtask_index` (0-based)."""
    parts = [mission.get("scenario") or ""]
    seen = {s["id"] for s in mission["subtasks"][: subtask_index + 1]}
    for s in mission["subtasks"][: subtask_index + 1]:
        parts.append(s.get("instructions") or "")
        for d in s.get("decisions") or []:
            parts += [d.get("prompt") or ""] + [o.get("label") or "" for o in d.get("options") or []]
    for cue in mission.get("environmental_cues") or []:
        if cue.get("subtask_id") in seen:
            parts += [cue.get("description") or "", cue.get("location") or ""]
    for event in mission.get("escalation_events") or []:
        cons = event.get("consequences") or {}
        parts += [event.get("description") or "", cons.get("message") or ""]
        cue = cons.get("reveal_cue") or {}
        parts += [cue.get("description") or "", cue.get("location") or ""]
    return assessment.normalise("\n".join(parts))


def audit(mission: dict) -> tuple[list[str], list[str]]:
    """(problems, warnings) of one validated mission."""
    problems: list[str] = []
    warnings: list[str] = []
    mastery = offers_capstone(mission["tier"])
    for i, subtask in enumerate(mission["subtasks"]):
        where = f"subtasks[{i}]"
        checks = subtask.get("checks") or []
        if not checks:
            problems.append(f"{where}: no checks")
        if not subtask.get("key_points"):
            problems.append(f"{where}: no key_points")
        elif not 3 <= len(subtask["key_points"]) <= 6:
            warnings.append(f"{where}: {len(subtask['key_points'])} key points (3 to 6 read best)")
        if not subtask.get("model_answer"):
            problems.append(f"{where}: no model_answer")
        for d, decision in enumerate(subtask.get("decisions") or []):
            for o, option in enumerate(decision.get("options") or []):
                if not option.get("debrief"):
                    problems.append(f"{where}.decisions[{d}].options[{o}]: no debrief")
        shown = shown_before(mission, i)
        for c, check in enumerate(checks):
            if check["kind"] == "answer" and not any(assessment.normalise(a) in shown for a in check["accept"]):
                warnings.append(f"{where}.checks[{c}] ({check['id']}): no accepted answer appears in what the "
                                f"learner was shown (fine if it is computed)")
            if check["kind"] == "keywords" and check["min"] < 2:
                warnings.append(f"{where}.checks[{c}] ({check['id']}): min 1 lets a one-idea answer pass")
    if not mission.get("debrief"):
        problems.append("debrief: missing")
    if mastery:
        missing = [p for p in PHASES if not (mission.get("capstone_brief") or {}).get(p)]
        if missing:
            problems.append(f"capstone_brief: no brief for {', '.join(missing)}")
    for e, event in enumerate(mission.get("escalation_events") or []):
        timed = any(t.get("on") == "time_elapsed" for t in event.get("triggers") or [])
        if timed and DWELL.search(event.get("description") or ""):
            problems.append(f"escalation_events[{e}]: a dwell condition written as time_elapsed "
                            f"(use subtask_open_for)")
    return problems, warnings


def main(argv: list[str]) -> int:
    paths, roles = mission_paths(argv)
    failing = 0
    for path in paths:
        try:
            mission = check_mission(load_yaml(path.read_text(encoding="utf-8")), roles)
        except (MissionInvalid, yaml.YAMLError) as exc:
            print(f"{path}: not a valid mission file (python -m webapp.domain.mission_rules says why): "
                  f"{str(exc).splitlines()[0]}")
            failing += 1
            continue
        problems, warnings = audit(mission)
        for line in problems:
            print(f"{path}: {line}")
        for line in warnings:
            print(f"{path}: warning: {line}")
        failing += bool(problems)
    print(f"{len(paths)} missions audited, {failing} with problems")
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
