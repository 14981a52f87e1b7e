"""The scenario engine (SPEC §3): a pure function of (mission content, attempt state, now, time multiplier).

`evaluate()` answers which escalation events fire now, which subtasks are visible, hidden or current, which
cues the learner has reached, the score penalty and whether the attempt is complete. `check_submission()`
refuses a submission that breaks a rule. Nothing here touches Flask or the database.

Time-based triggers are evaluated in time order: the engine replays the moments that have passed since the
start at which a `time_elapsed` threshold or a `subtask_open_for` threshold of the current subtask (counted from
`current_since`, when it became current) was crossed, one by one, and settles the other triggers after each. So the outcome never depends
on how often the attempt was looked at: a later `now` fires a superset of the events an earlier one fires.
A subtask counts as *reached* once it has been the current subtask (or was submitted); reaching is history,
so unlocking an earlier hidden subtask never un-reaches a later one.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from . import assessment
from .errors import Conflict, Invalid, NotFound
from .text import check_text, too_long

MAX_RESPONSE_CHARS = 20_000
SEVERITY_ORDER = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class AttemptState:
    """What the engine needs to know about an attempt."""

    started_at: datetime
    submitted: frozenset[int] = frozenset()
    decisions: Mapping[str, str] = field(default_factory=dict)
    fired: tuple[int, ...] = ()                 # event indices already fired, in firing order
    reached: frozenset[int] = frozenset()       # subtasks known to have been reached (e.g. the stored current one)
    current: int | None = None                  # the stored current subtask …
    current_since: datetime | None = None       # … and since when it has been current


@dataclass(frozen=True)
class Fired:
    index: int
    at: datetime


@dataclass(frozen=True)
class Progress:
    new_events: tuple[Fired, ...]     # fired by this evaluation, in order
    fired: tuple[int, ...]            # every fired event index (old then new)
    visible: tuple[int, ...]          # visible subtask ids, in mission order
    hidden: frozenset[int]            # subtasks still hidden
    reached: frozenset[int]
    current: int | None               # the next visible subtask not submitted, None when complete
    cues: tuple[dict, ...]            # cues of reached subtasks, then revealed cues in firing order
    penalty: int
    completed: bool


def subtask_ids(mission: Mapping[str, Any]) -> list[int]:
    return [s["id"] for s in mission.get("subtasks") or []]


def subtask(mission: Mapping[str, Any], subtask_id: int | None) -> dict | None:
    return next((s for s in mission.get("subtasks") or [] if s["id"] == subtask_id), None)


def hidden_by_design(mission: Mapping[str, Any]) -> dict[int, list[int]]:
    """{subtask id: [indices of the events that unlock it]} for subtasks named by an unlock_subtask."""
    out: dict[int, list[int]] = {}
    for i, event in enumerate(mission.get("escalation_events") or []):
        target = (event.get("consequences") or {}).get("unlock_subtask")
        if target is not None:
            out.setdefault(target, []).append(i)
    return out


TIMED = ("time_elapsed", "subtask_open_for")


def _minutes(since: datetime | None, at: datetime) -> float:
    return max(0.0, (at - since).total_seconds() / 60.0) if since is not None else 0.0


def _holds(trigger: Mapping[str, Any], submitted: frozenset[int], reached: set[int],
           decisions: Mapping[str, str], elapsed: float, multiplier: float,
           open_for: tuple[int | None, float] = (None, 0.0)) -> bool:
    """Whether one trigger holds; `elapsed` is minutes since the start, `open_for` (the current subtask, the
    minutes it has been current)."""
    kind = trigger.get("on")
    if kind == "subtask_started":
        return trigger.get("subtask_id") in reached
    if kind == "subtask_completed":
        return trigger.get("subtask_id") in submitted
    if kind == "decision":
        return decisions.get(trigger.get("decision_id")) == trigger.get("choice")
    if kind == "time_elapsed":
        return elapsed + 1e-9 >= float(trigger.get("minutes") or 0) * multiplier
    if kind == "subtask_open_for":
        current, minutes = open_for
        return (current is not None and trigger.get("subtask_id") == current
                and minutes + 1e-9 >= float(trigger.get("minutes") or 0) * multiplier)
    return False


def _moments(mission: Mapping[str, Any], state: AttemptState, multiplier: float) -> list[datetime]:
    """The moments at which a time-based trigger starts to hold, in order."""
    out = set()
    for event in mission.get("escalation_events") or []:
        for t in event.get("triggers") or []:
            minutes = timedelta(minutes=float(t.get("minutes") or 0) * multiplier)
            if t.get("on") == "time_elapsed":
                out.add(state.started_at + minutes)
            elif (t.get("on") == "subtask_open_for" and state.current_since is not None
                  and t.get("subtask_id") == state.current):
                out.add(state.current_since + minutes)
    return sorted(out)


def evaluate(mission: Mapping[str, Any], state: AttemptState, now: datetime, time_multiplier: float = 1.0,
             *, fire: bool = True) -> Progress:
    """Where the attempt stands at `now`. With fire=False nothing new fires (a read-only view of the state)."""
    multiplier = max(1.0, float(time_multiplier or 1.0))
    events = list(mission.get("escalation_events") or [])
    order = subtask_ids(mission)
    locks = hidden_by_design(mission)
    fired: list[int] = list(dict.fromkeys(i for i in state.fired if 0 <= i < len(events)))
    new: list[Fired] = []
    reached: set[int] = set(state.reached) | set(state.submitted)

    def visible_ids() -> list[int]:
        done = set(fired)
        return [sid for sid in order if sid not in locks or any(i in done for i in locks[sid])]

    def current_of(visible: list[int]) -> int | None:
        return next((sid for sid in visible if sid not in state.submitted), None)

    def settle(at: datetime) -> None:
        elapsed = _minutes(state.started_at, at)
        while True:
            current = current_of(visible_ids())
            if current is not None:
                reached.add(current)
            if not fire:
                return
            # Only the stored current subtask has a known opening time; one that becomes current during this
            # evaluation has just opened.
            open_for = (current, _minutes(state.current_since, at) if current == state.current else 0.0)
            batch = [i for i, e in enumerate(events) if i not in fired and e.get("triggers")
                     and all(_holds(t, state.submitted, reached, state.decisions, elapsed, multiplier, open_for)
                             for t in e["triggers"])]
            if not batch:
                return
            for i in batch:
                fired.append(i)
                timed = all(t.get("on") in TIMED for t in events[i]["triggers"])
                new.append(Fired(i, min(at, now) if timed else now))

    settle(state.started_at)
    for moment in _moments(mission, state, multiplier):
        if moment > now:
            break
        settle(moment)
    settle(now)

    visible = visible_ids()
    current = current_of(visible)
    done = set(fired)
    cues = [dict(c) for c in mission.get("environmental_cues") or [] if c.get("subtask_id") in reached]
    for i in fired:
        cue = (events[i].get("consequences") or {}).get("reveal_cue")
        if cue:
            cues.append({"subtask_id": events[i].get("subtask_id"), **cue, "revealed_by": i})
    penalty = sum(int((events[i].get("consequences") or {}).get("score_penalty") or 0) for i in fired)
    return Progress(
        new_events=tuple(new), fired=tuple(fired), visible=tuple(visible),
        hidden=frozenset(sid for sid in locks if not any(i in done for i in locks[sid]) and sid in order),
        reached=frozenset(reached), current=current, cues=tuple(cues), penalty=penalty,
        completed=current is None and bool(visible),
    )


def clean_response(response: str | None) -> tuple[str, str | None]:
    """A subtask response as it is stored (domain.text), and the text rule it breaks (None when it keeps them)."""
    return check_text(response, limit=MAX_RESPONSE_CHARS)


class Accepted(NamedTuple):
    decisions: dict[str, str]     # {decision id: option id} of this subtask
    answers: dict[str, Any]       # {check id: answer} of this subtask's checks that were answered


def check_submission(mission: Mapping[str, Any], progress: Progress, subtask_id: int, response: str | None,
                     decisions: Mapping[str, str] | None, submitted: frozenset[int] | set[int],
                     answers: Mapping[str, Any] | None = None) -> Accepted:
    """Refuse a submission that breaks a rule; return the decisions and check answers to record.

    409 for order and state conflicts (hidden, already submitted, not the current subtask, attempt complete),
    422 for invalid input (empty response, unknown decision or option, a decision left unanswered, an answer to a
    check this subtask does not have, an option a check does not offer), 404 for a subtask the mission does not
    have.
    """
    item = subtask(mission, subtask_id)
    if item is None:
        raise NotFound(f"This mission has no subtask {subtask_id}.")
    if subtask_id in submitted:
        raise Conflict(f"You already submitted “{item['title']}”; a submitted subtask cannot be changed.",
                       fields={"subtask": "already submitted"})
    if subtask_id in progress.hidden:
        raise Conflict("That subtask is not open yet: it opens when something happens in the scenario.",
                       fields={"subtask": "hidden"})
    if progress.current is None:
        raise Conflict("This attempt is complete: every subtask has been submitted.", fields={"subtask": "complete"})
    if subtask_id != progress.current:
        current = subtask(mission, progress.current) or {"title": str(progress.current)}
        raise Conflict(f"Subtasks go in order: submit “{current['title']}” first.",
                       fields={"subtask": f"the current subtask is {progress.current}"})
    problems: dict[str, str] = {}
    text, rule = clean_response(response)
    if rule == too_long(MAX_RESPONSE_CHARS):
        problems["response"] = f"Keep your response under {MAX_RESPONSE_CHARS:,} characters."
    elif rule:
        problems["response"] = f"Your response {rule}."
    elif not text:
        problems["response"] = "Write your response before submitting."
    given = dict(decisions or {})
    known = {d["id"]: d for d in item.get("decisions") or []}
    for did in given:
        if did not in known:
            problems[f"decision-{did}"] = f"“{did}” is not a decision of this subtask."
    chosen: dict[str, str] = {}
    for did, decision in known.items():
        choice = (given.get(did) or "").strip()
        options = {o["id"] for o in decision.get("options") or []}
        if not choice:
            problems[f"decision-{did}"] = f"Choose an answer to “{decision['prompt']}”."
        elif choice not in options:
            problems[f"decision-{did}"] = f"“{choice}” is not an option of “{decision['prompt']}”."
        else:
            chosen[did] = choice
    stored, wrong = assessment.clean_answers(item, answers)
    problems.update(wrong)
    if problems:
        first = next(iter(problems.values()))
        more = len(problems) - 1
        raise Invalid(first + (f" ({more} more problem{'s' if more > 1 else ''} below.)" if more else ""),
                      fields=problems)
    return Accepted(chosen, stored)


def event_view(mission: Mapping[str, Any], index: int) -> dict:
    """One event as the timeline shows it."""
    events = mission.get("escalation_events") or []
    event = events[index] if 0 <= index < len(events) else {}
    cons = event.get("consequences") or {}
    return {
        "index": index, "subtask_id": event.get("subtask_id"), "event_type": event.get("event_type", ""),
        "description": event.get("description", ""), "message": cons.get("message") or event.get("description", ""),
        "severity": cons.get("severity"), "score_penalty": int(cons.get("score_penalty") or 0),
        "unlock_subtask": cons.get("unlock_subtask"), "reveal_cue": cons.get("reveal_cue"),
    }


def state_from(started_at: datetime, responses: Mapping[str, Any] | None, decisions: Mapping[str, str] | None,
               fired_events: Sequence[Mapping[str, Any]] | None, current_subtask_id: int | None,
               current_since: datetime | None = None) -> AttemptState:
    """Build the engine's state from an attempt's stored fields."""
    submitted = frozenset(int(k) for k in (responses or {}))
    fired = tuple(int(f["index"]) for f in fired_events or [] if isinstance(f, Mapping) and "index" in f)
    reached = frozenset({current_subtask_id}) if current_subtask_id is not None else frozenset()
    return AttemptState(started_at=started_at, submitted=submitted, decisions=dict(decisions or {}), fired=fired,
                        reached=reached, current=current_subtask_id, current_since=current_since)


def chosen_options(item: Mapping[str, Any], chosen: Mapping[str, str] | None, *, debriefs: bool = False) -> list[dict]:
    """The decisions of one subtask as answered: [{id, prompt, choice, label}] (label: the chosen option's label,
    the raw choice when the option no longer exists, None when nothing was chosen). With `debriefs`, each also
    lists its options as [{id, label, chosen, debrief}] (for a completed attempt's summary only)."""
    out = []
    for d in item.get("decisions") or []:
        labels = {o["id"]: o["label"] for o in d.get("options") or []}
        choice = (chosen or {}).get(d["id"])
        row = {"id": d["id"], "prompt": d.get("prompt", ""), "choice": choice,
               "label": labels.get(choice, choice) if choice else None}
        if debriefs:
            row["options"] = [{"id": o["id"], "label": o["label"], "chosen": o["id"] == choice,
                               "debrief": o.get("debrief") or ""} for o in d.get("options") or []]
        out.append(row)
    return out


def requires_scope_acknowledgement(mission: Mapping[str, Any]) -> bool:
    """Offensive-track missions ask the learner to acknowledge the rules of engagement and scope first."""
    return mission.get("track") == "offensive"


def check_time_multiplier(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (1.0 <= number <= 4.0):
        raise Invalid("The time multiplier must be a number from 1 to 4 (1 is standard time, 2 doubles it).",
                      fields={"time_multiplier": "a number from 1 to 4"})
    return round(number, 2)


def scenario_minutes(started_at: datetime, until: datetime, time_multiplier: float = 1.0) -> float:
    """The scenario clock: minutes since the start as the scenario counts them (real minutes divided by the
    learner's time multiplier, so a learner with ×2 sees the clock run at half speed, as their triggers do)."""
    return _minutes(started_at, until) / max(1.0, float(time_multiplier or 1.0))
