"""Assessment (SPEC §3.1): checks on subtasks, marked by the server, and the score they earn.

Pure: mission content and answers in, marks out. Three kinds of check:

- `answer`: a short text, right when it equals one of `accept` after `normalise` (trimmed, case-folded, runs of
  white space collapsed to one space);
- `choice`: one option id, or several when `multiple: true`, right when exactly the `correct` ones are given;
- `keywords`: marks the free-text response itself, right when it mentions at least `min` of the `groups`
  (each group a list of synonyms, counted once; a synonym matches as a whole word or phrase of the normalised
  response, or its plural with -s or -es, so "ip" is not found in "ship" but "rule" is found in "rules").

A check is all or nothing: right earns its `points`, wrong earns 0. The score of a completed attempt is
`round(100 × earned / possible)` (halves round up) minus the escalation penalties, never below 0; `possible`
counts the checks of the subtasks the attempt submitted (a subtask that stayed hidden is not held against the
learner). A mission without checks scores `100 − penalties`.

What a learner may see of a check before submitting is `prompt_view`: the prompt, the options (in a fixed
shuffled order, `shown_options`) and the points; never `accept`, `correct`, `groups`, `min` or the explanation.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import Invalid
from .text import check_text, too_long

MAX_ANSWER_CHARS = 200
_SPACE = re.compile(r"\s+")


def normalise(text: Any) -> str:
    """Trimmed, case-folded, white space collapsed: the form `answer` and `keywords` compare."""
    return _SPACE.sub(" ", str(text or "")).strip().casefold()


def checks_of(item: Mapping[str, Any] | None) -> list[dict]:
    return list((item or {}).get("checks") or [])


def asks_for_answer(check: Mapping[str, Any]) -> bool:
    """Whether the learner answers the check in a field of its own (a keywords check marks the response)."""
    return check.get("kind") in ("answer", "choice")


def _mentions(text: str, phrase: str) -> bool:
    """Whether `text` (normalised) holds `phrase` as a whole word or phrase, or its plural ("rule" → "rules",
    "box" → "boxes")."""
    phrase = normalise(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?:s|es)?(?!\w)", text) is not None


def groups_mentioned(check: Mapping[str, Any], response: str | None) -> int:
    text = normalise(response)
    return sum(1 for group in check.get("groups") or [] if any(_mentions(text, word) for word in group or []))


def is_correct(check: Mapping[str, Any], answer: Any, response: str | None = None) -> bool:
    """Whether `answer` (or, for keywords, the response) is right. A malformed answer is simply wrong."""
    kind = check.get("kind")
    if kind == "answer":
        given = normalise(answer) if isinstance(answer, str) else ""
        return bool(given) and given in {normalise(a) for a in check.get("accept") or []}
    if kind == "choice":
        chosen = _chosen(answer)
        return bool(chosen) and chosen == set(check.get("correct") or [])
    if kind == "keywords":
        return groups_mentioned(check, response) >= int(check.get("min") or 1)
    return False


def _chosen(answer: Any) -> set[str]:
    if isinstance(answer, str):
        return {answer} if answer else set()
    if isinstance(answer, (list, tuple)):
        return {a for a in answer if isinstance(a, str) and a}
    return set()


def mark(item: Mapping[str, Any], answers: Mapping[str, Any], response: str | None) -> dict[str, float]:
    """{check id: points earned} for one submitted subtask."""
    return {c["id"]: (c["points"] if is_correct(c, answers.get(c["id"]), response) else 0) for c in checks_of(item)}


def clean_answers(item: Mapping[str, Any], answers: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers to store for one subtask's checks, and the problems ({field: message}) that refuse them.

    An id that is not a check of this subtask, an option that the check does not offer, several options for a
    single choice or an over-long answer is refused; an unanswered check is allowed (it earns nothing).
    Field names are `check-<id>`, as the form names its inputs.
    """
    checks = {c["id"]: c for c in checks_of(item)}
    stored: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for cid, value in (answers or {}).items():
        check = checks.get(cid)
        field = f"check-{cid}"
        if check is None or not asks_for_answer(check):
            problems[field] = f"“{cid}” is not a question of this subtask."
            continue
        if check["kind"] == "answer":
            text, rule = check_text(value, limit=MAX_ANSWER_CHARS, one_line=True)
            if rule == too_long(MAX_ANSWER_CHARS):
                problems[field] = f"Keep this answer under {MAX_ANSWER_CHARS} characters."
            elif rule:
                problems[field] = f"This answer {rule}."
            elif text:
                stored[cid] = text
            continue
        offered = {o["id"] for o in check.get("options") or []}
        raw = [value] if isinstance(value, str) else value
        if value in (None, "", []):
            continue
        if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
            problems[field] = "Choose from the options given."
            continue
        chosen = list(dict.fromkeys(v for v in raw if v))
        unknown = [v for v in chosen if v not in offered]
        if unknown:
            problems[field] = f"“{unknown[0][:80]}” is not an option of this question."
        elif len(chosen) > 1 and not check.get("multiple"):
            problems[field] = "Choose one option."
        elif chosen:
            stored[cid] = chosen if check.get("multiple") else chosen[0]
    return stored, problems


def possible(content: Mapping[str, Any], subtask_ids: Iterable[int]) -> float:
    wanted = set(subtask_ids)
    return sum(c["points"] for s in content.get("subtasks") or [] if s.get("id") in wanted for c in checks_of(s))


def earned(responses: Mapping[str, Any]) -> float:
    return sum(float(p or 0) for r in (responses or {}).values() if isinstance(r, Mapping)
               for p in (r.get("marks") or {}).values())


def percent(earned_points: float, possible_points: float) -> int:
    """round(100 × earned / possible), halves up; 100 when nothing was possible."""
    if possible_points <= 0:
        return 100
    return int(100 * earned_points / possible_points + 0.5)


def score(content: Mapping[str, Any], responses: Mapping[str, Any], penalty: int) -> int:
    """The score of a completed attempt (SPEC §3.1)."""
    submitted = [int(k) for k in responses or {}]
    return max(0, percent(earned(responses), possible(content, submitted)) - int(penalty or 0))


def shown_options(check: Mapping[str, Any]) -> list[dict]:
    """A choice check's options in the order learners see them: a fixed shuffle (by a hash of the check and
    option ids, the same for everyone and every request), so an author who lists the right answer first does
    not give it away by its position."""
    def place(option: Mapping[str, Any]) -> bytes:
        return hashlib.sha256(f"{check['id']}\0{option['id']}".encode()).digest()

    return [{"id": o["id"], "label": o["label"]} for o in sorted(check.get("options") or [], key=place)]


def prompt_view(check: Mapping[str, Any]) -> dict:
    """A check as the learner sees it before submitting: nothing that gives the answer away."""
    return {"id": check["id"], "kind": check["kind"], "prompt": check.get("prompt"),
            "options": shown_options(check), "multiple": bool(check.get("multiple")), "points": check["points"]}


def results(item: Mapping[str, Any], stored: Mapping[str, Any]) -> list[dict]:
    """One submitted subtask's checks with the learner's answer, the mark and the explanation."""
    answers = stored.get("checks") or {}
    marks = stored.get("marks") or {}
    rows = []
    for check in checks_of(item):
        cid = check["id"]
        points = marks.get(cid)
        labels = {o["id"]: o["label"] for o in check.get("options") or []}
        given = answers.get(cid)
        rows.append({
            **prompt_view(check),
            "answer": given,
            "answer_labels": [labels.get(a, a) for a in _chosen(given)] if check["kind"] == "choice" else None,
            "correct": bool(points),
            "earned": points or 0,
            "explanation": check.get("explanation", ""),
            "accepted": (list(check.get("accept") or []) if check["kind"] == "answer"
                         else [labels.get(c, c) for c in check.get("correct") or []] if check["kind"] == "choice"
                         else None),
            "groups": groups_mentioned(check, stored.get("response")) if check["kind"] == "keywords" else None,
        })
    return rows


def check_covered(item: Mapping[str, Any], covered: Iterable[Any]) -> list[int]:
    """The key points a learner ticks as covered: indices of the subtask's key points (others refused)."""
    count = len((item or {}).get("key_points") or [])
    out = set()
    for value in covered:
        try:
            index = int(value)
        except (TypeError, ValueError):
            raise Invalid("Tick the key points from the list.", fields={"covered": "not a key point"}) from None
        if not 0 <= index < count:
            raise Invalid("Tick the key points from the list.", fields={"covered": "not a key point"})
        out.add(index)
    return sorted(out)
