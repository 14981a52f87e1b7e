"""The shipped catalogue assesses (issue #17, SPEC §3.1): every subtask of every shipped mission has checks, key
points and a model answer, every decision option and every mission a debrief, every mastery mission a capstone
brief for each phase, no `time_elapsed` event described as a dwell condition, and a choice check's right option is
not given away by its position. The rules are those of scripts/content_audit.py, run over seed/missions."""
from __future__ import annotations

import collections
import importlib.util
from pathlib import Path

import pytest
import yaml

from webapp.domain import assessment
from webapp.domain.catalogue import TRACKS, offers_capstone
from webapp.domain.mission_rules import check_mission, load_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "seed" / "missions").rglob("*.yaml"))
ROLES = yaml.safe_load((ROOT / "seed" / "vocabulary.yaml").read_text())["nice_roles"]


def _audit_module():
    spec = importlib.util.spec_from_file_location("content_audit", ROOT / "scripts" / "content_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AUDIT = _audit_module()


@pytest.fixture(scope="module")
def missions() -> dict[str, dict]:
    return {path.stem: check_mission(load_yaml(path.read_text(encoding="utf-8")), ROLES) for path in FILES}


def test_the_catalogue_ships_mastery_missions_in_every_track(missions):
    tracks = collections.Counter(m["track"] for m in missions.values() if offers_capstone(m["tier"]))
    assert set(tracks) == set(TRACKS) and min(tracks.values()) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_mission_passes_the_content_audit(path, missions):
    problems, _ = AUDIT.audit(missions[path.stem])
    assert problems == [], "\n".join(problems)


def test_every_mastery_subtask_has_at_least_one_check_that_asks_for_a_fact(missions):
    for slug, m in missions.items():
        if not offers_capstone(m["tier"]):
            continue
        for s in m["subtasks"]:
            kinds = {c["kind"] for c in s["checks"]}
            assert kinds & {"answer", "choice"}, f"{slug} subtask {s['id']} has no answer or choice check"


def test_answering_x_everywhere_scores_zero_and_the_right_answers_score_on_every_mastery_mission(missions):
    for slug, m in missions.items():
        if not offers_capstone(m["tier"]):
            continue
        wrong, right = {}, {}
        for s in m["subtasks"]:
            wrong[str(s["id"])] = {"marks": assessment.mark(s, {c["id"]: "x" for c in s["checks"]}, "x")}
            answers = {c["id"]: (c["accept"][0] if c["kind"] == "answer" else c["correct"] if c.get("multiple")
                                 else c["correct"][0]) for c in s["checks"] if c["kind"] != "keywords"}
            right[str(s["id"])] = {"marks": assessment.mark(s, answers, s.get("model_answer"))}
        assert assessment.score(m, wrong, 0) == 0, slug
        assert assessment.score(m, right, 0) >= 80, slug     # the model answers meet (nearly) every keywords check


def test_the_right_option_is_not_given_away_by_its_place(missions):
    places = collections.Counter()
    for m in missions.values():
        for s in m["subtasks"]:
            for c in s["checks"]:
                if c["kind"] == "choice":
                    shown = [o["id"] for o in assessment.shown_options(c)]
                    places[shown.index(c["correct"][0])] += 1
    total = sum(places.values())
    assert total > 100 and places[0] / total < 0.4, places
