"""Validation of missions and recipes (SPEC §2), shared by the seed, `missions import` and the API.

`check_mission(data, nice_roles)` returns a normalised copy of a mission or raises
`MissionInvalid` listing every problem as (field path, rule). Nothing here touches
the database or Flask, so it runs on plain data:

    python -m webapp.domain.mission_rules seed/missions
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from .catalogue import SEVERITIES, TIERS, TRACKS
from .errors import Invalid

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78}[a-z0-9])$")
ATTACK_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
WORD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TRIGGER_KINDS = ("subtask_started", "subtask_completed", "decision", "time_elapsed")
CUE_FIELDS = ("cue_type", "description", "location", "significance")
MASTERY_SUBTASKS = (3, 6)
MASTERY_CRITERIA = (3, 6)


def _positive_number(value: Any) -> bool:
    """A real, finite number above 0 (YAML's .nan and .inf are floats too, and JSONB refuses NaN)."""
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and value > 0)


class MissionInvalid(Invalid):
    """A mission broke one or more rules. `problems` is a list of (path, rule)."""

    def __init__(self, slug: str, problems: list[tuple[str, str]], source: str | None = None):
        self.slug = slug
        self.problems = problems
        self.source = source
        lines = [self.format(path, rule) for path, rule in problems]
        super().__init__("\n".join(lines), fields={path: rule for path, rule in problems})

    def format(self, path: str, rule: str) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}mission '{self.slug}': {path}: {rule}"

    def with_source(self, source: str) -> MissionInvalid:
        return MissionInvalid(self.slug, self.problems, source)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, rule: str) -> None:
        self.problems.append((path, rule))

    def text(self, obj: dict, key: str, path: str, *, required: bool = True, max_len: int | None = None) -> str:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"{path}{key}", "is required")
            return ""
        if not isinstance(value, str):
            self.fail(f"{path}{key}", "must be text")
            return ""
        if max_len and len(value) > max_len:
            self.fail(f"{path}{key}", f"must be at most {max_len} characters")
        return value.strip() if "\n" not in value else value.rstrip() + "\n"

    def int_(self, obj: dict, key: str, path: str, *, minimum: int | None = None, required: bool = True) -> int | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{path}{key}", "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}{key}", "must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.fail(f"{path}{key}", f"must be at least {minimum}")
        return value

    def list_(self, obj: dict, key: str, path: str, *, required: bool = False) -> list:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{path}{key}", "is required")
            return []
        if not isinstance(value, list):
            self.fail(f"{path}{key}", "must be a list")
            return []
        return value

    def str_list(self, obj: dict, key: str, path: str) -> list[str]:
        out = []
        for i, item in enumerate(self.list_(obj, key, path)):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{path}{key}[{i}]", "must be non-empty text")
            else:
                out.append(item.strip())
        return out


def _tags(c: _Checker, obj: dict, path: str, nice_roles: set[str] | None) -> dict:
    attack = c.str_list(obj, "attack_techniques", path)
    for i, tid in enumerate(attack):
        if not ATTACK_RE.match(tid):
            c.fail(f"{path}attack_techniques[{i}]", f"'{tid}' is not a MITRE ATT&CK technique id (T1234 or T1234.001)")
    roles = c.str_list(obj, "nice_roles", path)
    if nice_roles is not None:
        for i, rid in enumerate(roles):
            if rid not in nice_roles:
                c.fail(f"{path}nice_roles[{i}]", f"'{rid}' is not a NICE work role id of the vocabulary")
    return {"attack_techniques": attack, "nice_roles": roles}


def _cue(c: _Checker, obj: Any, path: str) -> dict:
    if not isinstance(obj, dict):
        c.fail(path.rstrip("."), "must be a mapping")
        return {}
    cue = {key: c.text(obj, key, path) for key in CUE_FIELDS}
    if cue["cue_type"] and not WORD_RE.match(cue["cue_type"]):
        c.fail(f"{path}cue_type", "must be a lowercase snake_case word")
    return cue


def _trigger(c: _Checker, obj: Any, path: str, subtask_ids: set[int], decisions: dict[str, set[str]]) -> dict:
    if not isinstance(obj, dict):
        c.fail(path.rstrip("."), "must be a mapping")
        return {}
    kind = obj.get("on")
    if kind is None and True in obj:
        c.fail(f"{path}on", 'write the key as "on" in quotes: YAML reads a bare on as true')
        return {}
    if kind not in TRIGGER_KINDS:
        c.fail(f"{path}on", f"unknown trigger kind {kind!r}; expected one of {', '.join(TRIGGER_KINDS)}")
        return {}
    if kind in ("subtask_started", "subtask_completed"):
        sid = c.int_(obj, "subtask_id", path)
        if sid is not None and sid not in subtask_ids:
            c.fail(f"{path}subtask_id", f"{sid} is not a subtask of this mission")
        return {"on": kind, "subtask_id": sid}
    if kind == "decision":
        did = c.text(obj, "decision_id", path)
        choice = c.text(obj, "choice", path)
        if did and did not in decisions:
            c.fail(f"{path}decision_id", f"'{did}' is not a decision of this mission")
        elif did and choice and choice not in decisions[did]:
            c.fail(f"{path}choice", f"'{choice}' is not an option of decision '{did}'")
        return {"on": kind, "decision_id": did, "choice": choice}
    minutes = obj.get("minutes")
    if not _positive_number(minutes):
        c.fail(f"{path}minutes", "must be a number of minutes greater than 0")
    return {"on": kind, "minutes": minutes}


def _subtasks(c: _Checker, data: dict) -> tuple[list[dict], dict[str, set[str]]]:
    subtasks, decisions = [], {}
    seen_ids: set[int] = set()
    for i, raw in enumerate(c.list_(data, "subtasks", "", required=True)):
        path = f"subtasks[{i}]."
        if not isinstance(raw, dict):
            c.fail(path.rstrip("."), "must be a mapping")
            continue
        sid = c.int_(raw, "id", path, minimum=1)
        if sid is not None:
            if sid in seen_ids:
                c.fail(f"{path}id", f"duplicate subtask id {sid}")
            seen_ids.add(sid)
        item = {"id": sid, "title": c.text(raw, "title", path, max_len=200),
                "instructions": c.text(raw, "instructions", path), "decisions": []}
        for j, rawd in enumerate(c.list_(raw, "decisions", path)):
            dpath = f"{path}decisions[{j}]."
            if not isinstance(rawd, dict):
                c.fail(dpath.rstrip("."), "must be a mapping")
                continue
            did = c.text(rawd, "id", dpath, max_len=80)
            if did and did in decisions:
                c.fail(f"{dpath}id", f"duplicate decision id '{did}'")
            options, option_ids = [], set()
            raw_options = c.list_(rawd, "options", dpath, required=True)
            if len(raw_options) < 2:
                c.fail(f"{dpath}options", "needs at least two options")
            for k, rawo in enumerate(raw_options):
                opath = f"{dpath}options[{k}]."
                if not isinstance(rawo, dict):
                    c.fail(opath.rstrip("."), "must be a mapping")
                    continue
                oid = c.text(rawo, "id", opath, max_len=80)
                if oid in option_ids:
                    c.fail(f"{opath}id", f"duplicate option id '{oid}'")
                option_ids.add(oid)
                options.append({"id": oid, "label": c.text(rawo, "label", opath)})
            if did:
                decisions[did] = option_ids
            item["decisions"].append({"id": did, "prompt": c.text(rawd, "prompt", dpath), "options": options})
        subtasks.append(item)
    return subtasks, decisions


def _rubric(c: _Checker, data: dict, nice_roles: set[str] | None) -> list[dict]:
    rubric, seen = [], set()
    for i, raw in enumerate(c.list_(data, "rubric", "", required=True)):
        path = f"rubric[{i}]."
        if not isinstance(raw, dict):
            c.fail(path.rstrip("."), "must be a mapping")
            continue
        cid = c.text(raw, "id", path, max_len=80)
        if cid in seen:
            c.fail(f"{path}id", f"duplicate criterion id '{cid}'")
        seen.add(cid)
        weight = raw.get("weight")
        if not _positive_number(weight):
            c.fail(f"{path}weight", "must be a number greater than 0")
        levels, scores = [], set()
        raw_levels = c.list_(raw, "levels", path, required=True)
        if len(raw_levels) < 2:
            c.fail(f"{path}levels", "needs at least two levels")
        for j, rawl in enumerate(raw_levels):
            lpath = f"{path}levels[{j}]."
            if not isinstance(rawl, dict):
                c.fail(lpath.rstrip("."), "must be a mapping")
                continue
            score = c.int_(rawl, "score", lpath, minimum=0)
            if score is not None and score in scores:
                c.fail(f"{lpath}score", f"duplicate level score {score}")
            scores.add(score)
            levels.append({"score": score, "label": c.text(rawl, "label", lpath),
                           "descriptor": c.text(rawl, "descriptor", lpath)})
        rubric.append({"id": cid, "criterion": c.text(raw, "criterion", path), "description": c.text(raw, "description", path),
                       "weight": weight, "levels": sorted(levels, key=lambda lv: lv["score"] or 0),
                       **_tags(c, raw, path, nice_roles)})
    return rubric


def _events(c: _Checker, data: dict, subtask_ids: set[int], decisions: dict[str, set[str]],
            first: int | None) -> list[dict]:
    """`first` is the id of the first subtask of the ordered list: where every attempt starts."""
    events = []
    for i, raw in enumerate(c.list_(data, "escalation_events", "")):
        path = f"escalation_events[{i}]."
        if not isinstance(raw, dict):
            c.fail(path.rstrip("."), "must be a mapping")
            continue
        sid = c.int_(raw, "subtask_id", path)
        if sid is not None and sid not in subtask_ids:
            c.fail(f"{path}subtask_id", f"{sid} is not a subtask of this mission")
        event_type = c.text(raw, "event_type", path)
        if event_type and not WORD_RE.match(event_type):
            c.fail(f"{path}event_type", "must be a lowercase snake_case word")
        raw_triggers = c.list_(raw, "triggers", path, required=True)
        if not raw_triggers and "triggers" in raw:
            c.fail(f"{path}triggers", "needs at least one trigger")
        triggers = [_trigger(c, t, f"{path}triggers[{j}].", subtask_ids, decisions) for j, t in enumerate(raw_triggers)]
        cons_raw = raw.get("consequences") or {}
        cons: dict[str, Any] = {}
        cpath = f"{path}consequences."
        if not isinstance(cons_raw, dict):
            c.fail(f"{path}consequences", "must be a mapping")
            cons_raw = {}
        unknown = set(cons_raw) - {"severity", "message", "score_penalty", "unlock_subtask", "reveal_cue"}
        for key in sorted(unknown):
            c.fail(f"{cpath}{key}", "is not a known consequence")
        if "severity" in cons_raw:
            if cons_raw["severity"] not in SEVERITIES:
                c.fail(f"{cpath}severity", f"must be one of {', '.join(SEVERITIES)}")
            cons["severity"] = cons_raw["severity"]
        if "message" in cons_raw:
            cons["message"] = c.text(cons_raw, "message", cpath)
        if "score_penalty" in cons_raw:
            cons["score_penalty"] = c.int_(cons_raw, "score_penalty", cpath, minimum=0)
        if "unlock_subtask" in cons_raw:
            target = c.int_(cons_raw, "unlock_subtask", cpath)
            if target is not None:
                if target not in subtask_ids:
                    c.fail(f"{cpath}unlock_subtask", f"{target} is not a subtask of this mission")
                elif target == first:
                    c.fail(f"{cpath}unlock_subtask", "the first subtask cannot be hidden")
                elif any(t.get("subtask_id") == target for t in triggers):
                    c.fail(f"{cpath}unlock_subtask", f"the event that unlocks subtask {target} cannot wait for it")
            cons["unlock_subtask"] = target
        if "reveal_cue" in cons_raw:
            cons["reveal_cue"] = _cue(c, cons_raw["reveal_cue"], f"{cpath}reveal_cue.")
        events.append({"subtask_id": sid, "event_type": event_type, "description": c.text(raw, "description", path),
                       "triggers": triggers, "consequences": cons})
    return events


def check_mission(data: Any, nice_roles: Iterable[str] | None = None) -> dict:
    """Return the normalised mission, or raise MissionInvalid naming every problem."""
    roles = set(nice_roles) if nice_roles is not None else None
    slug = data.get("slug") if isinstance(data, dict) else None
    slug_name = slug if isinstance(slug, str) and slug else "?"
    if not isinstance(data, dict):
        raise MissionInvalid(slug_name, [("(mission)", "must be a mapping of fields")])
    c = _Checker()
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        c.fail("slug", "must be 3-80 lowercase letters, digits and dashes")
    track = data.get("track")
    if track not in TRACKS:
        c.fail("track", f"must be one of {', '.join(TRACKS)}")
    tier = data.get("tier")
    if tier not in TIERS:
        c.fail("tier", f"must be one of {', '.join(TIERS)}")
    subtasks, decisions = _subtasks(c, data)
    subtask_ids = {s["id"] for s in subtasks if s["id"] is not None}
    mission = {
        "slug": slug,
        "title": c.text(data, "title", "", max_len=200),
        "track": track,
        "tier": tier,
        "summary": c.text(data, "summary", "", max_len=1000),
        "scenario": c.text(data, "scenario", ""),
        "mentor_notes": c.text(data, "mentor_notes", "", required=False),
        "estimated_minutes": c.int_(data, "estimated_minutes", "", minimum=1),
        "skills": c.str_list(data, "skills", ""),
        **_tags(c, data, "", roles),
        "subtasks": subtasks,
        "rubric": _rubric(c, data, roles),
        "escalation_events": _events(c, data, subtask_ids, decisions, subtasks[0]["id"] if subtasks else None),
        "environmental_cues": [],
        "is_published": data.get("is_published", True),
    }
    if not isinstance(mission["is_published"], bool):
        c.fail("is_published", "must be true or false")
    for i, raw in enumerate(c.list_(data, "environmental_cues", "")):
        path = f"environmental_cues[{i}]."
        if not isinstance(raw, dict):
            c.fail(path.rstrip("."), "must be a mapping")
            continue
        sid = c.int_(raw, "subtask_id", path)
        if sid is not None and sid not in subtask_ids:
            c.fail(f"{path}subtask_id", f"{sid} is not a subtask of this mission")
        mission["environmental_cues"].append({"subtask_id": sid, **_cue(c, raw, path)})
    if tier == "mastery":
        lo, hi = MASTERY_SUBTASKS
        if not lo <= len(subtasks) <= hi:
            c.fail("subtasks", f"a mastery mission has {lo} to {hi} subtasks, not {len(subtasks)}")
        if not decisions:
            c.fail("subtasks", "a mastery mission has at least one decision")
        lo, hi = MASTERY_CRITERIA
        if not lo <= len(mission["rubric"]) <= hi:
            c.fail("rubric", f"a mastery mission has {lo} to {hi} rubric criteria, not {len(mission['rubric'])}")
    elif not subtasks:
        c.fail("subtasks", "needs at least one subtask")
    if c.problems:
        raise MissionInvalid(slug_name, c.problems)
    return mission


def hidden_subtask_ids(mission: dict) -> set[int]:
    """Subtasks named by an event's unlock_subtask: hidden until that event fires."""
    return {e["consequences"]["unlock_subtask"] for e in mission.get("escalation_events", [])
            if e.get("consequences", {}).get("unlock_subtask") is not None}


RECIPE_FIELDS = ("slug", "title", "track", "summary")


def check_recipe(data: Any) -> dict:
    """Return the normalised recipe or raise Invalid naming the recipe and the fields."""
    if not isinstance(data, dict):
        raise Invalid("recipe: must be a mapping of fields")
    c = _Checker()
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        c.fail("slug", "must be 3-80 lowercase letters, digits and dashes")
    if data.get("track") not in TRACKS:
        c.fail("track", f"must be one of {', '.join(TRACKS)}")
    recipe = {
        "slug": slug, "title": c.text(data, "title", "", max_len=200), "track": data.get("track"),
        "summary": c.text(data, "summary", "", max_len=1000),
        "url": c.text(data, "url", "", required=False, max_len=500) or None,
        "body": c.text(data, "body", "", required=False) or None,
        "duration_minutes": c.int_(data, "duration_minutes", "", minimum=1),
        "skill_tags": c.str_list(data, "skill_tags", ""),
    }
    if recipe["url"] and not recipe["url"].startswith(("https://", "http://")):
        c.fail("url", "must start with https:// or http://")
    if not recipe["url"] and not recipe["body"]:
        c.fail("body", "a recipe needs a url or a body")
    if c.problems:
        name = slug if isinstance(slug, str) else "?"
        raise Invalid("\n".join(f"recipe '{name}': {p}: {r}" for p, r in c.problems),
                      fields=dict(c.problems))
    return recipe


def _main(argv: list[str]) -> int:  # pragma: no cover - thin command-line wrapper
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    roles = yaml.safe_load((root / "seed" / "vocabulary.yaml").read_text())["nice_roles"]
    paths: list[Path] = []
    for arg in argv or [str(root / "seed" / "missions")]:
        p = Path(arg)
        paths.extend(sorted(p.rglob("*.yaml")) if p.is_dir() else [p])
    bad = 0
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            print(f"{path}: not valid YAML: {exc}", file=sys.stderr)
            bad += 1
            continue
        try:
            mission = check_mission(data, roles)
        except MissionInvalid as exc:
            print(exc.with_source(str(path)).message, file=sys.stderr)
            bad += 1
            continue
        if path.stem != mission["slug"]:
            print(f"{path}: mission '{mission['slug']}': slug: must match the file name", file=sys.stderr)
            bad += 1
    print(f"{len(paths)} mission files checked, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(_main(sys.argv[1:]))
