"""Validation of missions and recipes (SPEC §2), shared by the seed, `missions import` and the API.

`check_mission(data, nice_roles)` returns a normalised copy of a mission or raises `MissionInvalid` listing
every problem as (field path, rule). The shape of each value is declared in domain.mission_schema; this module
holds the rules that relate values to each other: unique ids, references to the mission's own subtasks,
decisions and options, hidden subtasks, the NICE vocabulary and the counts of a mastery mission. Nothing here
touches the database or Flask, so it runs on plain data:

    python -m webapp.domain.mission_rules seed/missions
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .catalogue import offers_capstone
from .errors import Invalid
from .mission_schema import MISSION, RECIPE
from .shapes import load

MASTERY_SUBTASKS = (3, 6)
MASTERY_CRITERIA = (3, 6)


class MissionInvalid(Invalid):
    """A mission broke one or more rules. `problems` is a list of (path, rule)."""

    def __init__(self, slug: str, problems: list[tuple[str, str]], source: str | None = None):
        self.slug = slug
        self.problems = problems
        self.source = source
        lines = [self.format(path, rule) for path, rule in problems]
        fields: dict[str, str] = {}
        for path, rule in problems:
            fields[path] = f"{fields[path]}; {rule}" if path in fields else rule
        super().__init__("\n".join(lines), fields=fields)

    def format(self, path: str, rule: str) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}mission '{self.slug}': {path}: {rule}"

    def with_source(self, source: str) -> MissionInvalid:
        return MissionInvalid(self.slug, self.problems, source)


def _items(obj: dict | None, key: str) -> list[tuple[int, dict]]:
    """(index, item) of the list obj[key], without the items that did not load (None)."""
    return [(i, item) for i, item in enumerate((obj or {}).get(key) or []) if item is not None]


def _duplicates(values: Iterable[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """(index, value) of each value seen before; None (a value that broke its own rule) is never a duplicate."""
    seen: set = set()
    out = []
    for i, value in values:
        if value is None:
            continue
        if value in seen:
            out.append((i, value))
        seen.add(value)
    return out


class _Rules:
    """The rules between values, run on what the schema loaded (each value there passed its own rule)."""

    def __init__(self, mission: dict, nice_roles: set[str] | None):
        self.mission = mission
        self.roles = nice_roles
        self.problems: list[tuple[str, str]] = []
        self.subtasks = _items(mission, "subtasks")
        self.subtask_ids = {s["id"] for _, s in self.subtasks if s.get("id") is not None}
        self.decisions: dict[str, set[str]] = {}
        for _, subtask in self.subtasks:
            for _, decision in _items(subtask, "decisions"):
                if decision.get("id") and decision["id"] not in self.decisions:
                    self.decisions[decision["id"]] = {o.get("id") for _, o in _items(decision, "options")}

    def fail(self, path: str, rule: str) -> None:
        self.problems.append((path, rule))

    def run(self) -> list[tuple[str, str]]:
        self.ids()
        self.vocabulary(self.mission, "")
        for i, criterion in _items(self.mission, "rubric"):
            self.vocabulary(criterion, f"rubric[{i}].")
        for i, event in _items(self.mission, "escalation_events"):
            self.event(event, f"escalation_events[{i}].")
        for i, cue in _items(self.mission, "environmental_cues"):
            self.subtask_ref(cue.get("subtask_id"), f"environmental_cues[{i}].subtask_id")
        self.counts()
        return self.problems

    def ids(self) -> None:
        for i, sid in _duplicates((i, s.get("id")) for i, s in self.subtasks):
            self.fail(f"subtasks[{i}].id", f"duplicate subtask id {sid}")
        decisions = [(f"subtasks[{i}].decisions[{j}].", d) for i, s in self.subtasks for j, d in _items(s, "decisions")]
        for k, did in _duplicates((k, d.get("id")) for k, (_, d) in enumerate(decisions)):
            self.fail(f"{decisions[k][0]}id", f"duplicate decision id '{did}'")
        for path, decision in decisions:
            for k, oid in _duplicates((k, o.get("id")) for k, o in _items(decision, "options")):
                self.fail(f"{path}options[{k}].id", f"duplicate option id '{oid}'")
        rubric = _items(self.mission, "rubric")
        for i, criterion in rubric:
            for k, score in _duplicates((k, lv.get("score")) for k, lv in _items(criterion, "levels")):
                self.fail(f"rubric[{i}].levels[{k}].score", f"duplicate level score {score}")
        for i, cid in _duplicates((i, c.get("id")) for i, c in rubric):
            self.fail(f"rubric[{i}].id", f"duplicate criterion id '{cid}'")
        checks = [(f"subtasks[{i}].checks[{j}].", c) for i, s in self.subtasks for j, c in _items(s, "checks")]
        for k, cid in _duplicates((k, c.get("id")) for k, (_, c) in enumerate(checks)):
            self.fail(f"{checks[k][0]}id", f"duplicate check id '{cid}'")
        for path, check in checks:
            self.check(check, path)

    def check(self, check: dict, path: str) -> None:
        """A check's parts agree: a choice's correct ids name its options (one unless `multiple`), a keywords
        check does not ask for more groups than it has."""
        if check.get("kind") == "choice":
            options = _items(check, "options")
            for k, oid in _duplicates((k, o.get("id")) for k, o in options):
                self.fail(f"{path}options[{k}].id", f"duplicate option id '{oid}'")
            ids = {o.get("id") for _, o in options}
            correct = [c for c in check.get("correct") or [] if c is not None]
            for k, oid in enumerate(check.get("correct") or []):
                if oid is not None and oid not in ids:
                    self.fail(f"{path}correct[{k}]", f"'{oid}' is not an option of this check")
            if len(set(correct)) > 1 and not check.get("multiple"):
                self.fail(f"{path}correct", "names one option unless the check sets multiple: true")
        elif check.get("kind") == "keywords":
            groups, least = check.get("groups"), check.get("min")
            if isinstance(groups, list) and isinstance(least, int) and least > len(groups):
                self.fail(f"{path}min", f"asks for {least} groups but the check has {len(groups)}")

    def vocabulary(self, obj: dict, path: str) -> None:
        if self.roles is None:
            return
        for i, rid in enumerate(obj.get("nice_roles") or []):
            if rid is not None and rid not in self.roles:
                self.fail(f"{path}nice_roles[{i}]", f"'{rid}' is not a NICE work role id of the vocabulary")

    def subtask_ref(self, sid: int | None, path: str) -> bool:
        """Whether `sid` names a subtask of the mission (a problem when it names another)."""
        if sid is not None and sid not in self.subtask_ids:
            self.fail(path, f"{sid} is not a subtask of this mission")
            return False
        return sid is not None

    def event(self, event: dict, path: str) -> None:
        self.subtask_ref(event.get("subtask_id"), f"{path}subtask_id")
        triggers = _items(event, "triggers")
        for j, trigger in triggers:
            self.trigger(trigger, f"{path}triggers[{j}].")
        target = (event.get("consequences") or {}).get("unlock_subtask")
        where = f"{path}consequences.unlock_subtask"
        if not self.subtask_ref(target, where):
            return
        if target == self.subtasks[0][1].get("id"):
            self.fail(where, "the first subtask cannot be hidden")
        elif any(t.get("subtask_id") == target for _, t in triggers):
            self.fail(where, f"the event that unlocks subtask {target} cannot wait for it")

    def trigger(self, trigger: dict, path: str) -> None:
        if trigger.get("on") == "decision":
            did, choice = trigger.get("decision_id"), trigger.get("choice")
            if did and did not in self.decisions:
                self.fail(f"{path}decision_id", f"'{did}' is not a decision of this mission")
            elif did and choice and choice not in self.decisions[did]:
                self.fail(f"{path}choice", f"'{choice}' is not an option of decision '{did}'")
        else:
            self.subtask_ref(trigger.get("subtask_id"), f"{path}subtask_id")

    def counts(self) -> None:
        n = len(self.subtasks)
        if not offers_capstone(self.mission.get("tier")):
            if "subtasks" in self.mission and not n:
                self.fail("subtasks", "needs at least one subtask")
            return
        lo, hi = MASTERY_SUBTASKS
        if not lo <= n <= hi:
            self.fail("subtasks", f"a mastery mission has {lo} to {hi} subtasks, not {n}")
        if not self.decisions:
            self.fail("subtasks", "a mastery mission has at least one decision")
        lo, hi = MASTERY_CRITERIA
        n = len(_items(self.mission, "rubric"))
        if not lo <= n <= hi:
            self.fail("rubric", f"a mastery mission has {lo} to {hi} rubric criteria, not {n}")


def check_mission(data: Any, nice_roles: Iterable[str] | None = None) -> dict:
    """Return the normalised mission, or raise MissionInvalid naming every problem."""
    slug = data.get("slug") if isinstance(data, dict) else None
    slug_name = slug if isinstance(slug, str) and slug else "?"
    if not isinstance(data, dict):
        raise MissionInvalid(slug_name, [("(mission)", "must be a mapping of fields")])
    mission, problems = load(MISSION, data)
    problems += _Rules(mission, set(nice_roles) if nice_roles is not None else None).run()
    if problems:
        raise MissionInvalid(slug_name, problems)
    for criterion in mission["rubric"]:
        criterion["levels"].sort(key=lambda level: level["score"])
    return mission


def hidden_subtask_ids(mission: dict) -> set[int]:
    """Subtasks named by an event's unlock_subtask: hidden until that event fires."""
    return {e["consequences"]["unlock_subtask"] for e in mission.get("escalation_events", [])
            if e.get("consequences", {}).get("unlock_subtask") is not None}


def check_recipe(data: Any) -> dict:
    """Return the normalised recipe or raise Invalid naming the recipe and the fields."""
    if not isinstance(data, dict):
        raise Invalid("recipe: must be a mapping of fields")
    recipe, problems = load(RECIPE, data)
    if not recipe.get("url") and not recipe.get("body") and not any(p == "url" for p, _ in problems):
        problems.append(("body", "a recipe needs a url or a body"))
    if problems:
        slug = data.get("slug")
        name = slug if isinstance(slug, str) else "?"
        raise Invalid("\n".join(f"recipe '{name}': {p}: {r}" for p, r in problems), fields=dict(problems))
    return recipe


def mission_paths(args: list[str]):  # pragma: no cover - command-line helper
    """The mission files named on a command line (files, or folders searched for *.yaml; the shipped catalogue
    when none), and the NICE roles of the shipped vocabulary: for this module's and scripts/content_audit.py's
    command lines."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    roles = load_yaml((root / "seed" / "vocabulary.yaml").read_text())["nice_roles"]
    paths: list[Path] = []
    for arg in args or [str(root / "seed" / "missions")]:
        p = Path(arg)
        paths.extend(sorted(p.rglob("*.yaml")) if p.is_dir() else [p])
    return paths, roles


def load_yaml(text: str):
    """A catalogue file's YAML as data: the safe loader, through LibYAML (PyYAML's C parser, in its wheels) where
    it is there, some twenty times faster than the pure-Python one at the same result."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506 - a safe loader


def _main(argv: list[str]) -> int:  # pragma: no cover - thin command-line wrapper
    import sys

    import yaml

    paths, roles = mission_paths(argv)
    bad = 0
    for path in paths:
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
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
