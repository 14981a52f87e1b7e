"""Review phases and rubric arithmetic (SPEC §5)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .errors import Conflict, Forbidden, Invalid
from .phase_fields import PHASES
from .phases import PHASE_LABELS
from .text import MAX_TEXT, check_text, collect_text

MAX_TOTAL_PHASES = 5
REVIEW_STATUSES = ("draft", "submitted")
REVIEW_DECISIONS = ("approve", "request_changes")
# What the review form's decision buttons read.
DECISION_LABELS = {"approve": "Approve", "request_changes": "Request changes"}
OVERALL = "overall"


def next_phase(existing_phases: Iterable[int], total_phases: int | None) -> int | None:
    """The phase number the next review must carry; None when every phase exists."""
    taken = sorted(existing_phases)
    nxt = (taken[-1] + 1) if taken else 1
    if total_phases is not None and nxt > total_phases:
        return None
    return nxt


def is_multi_phase(total_phases: int | None) -> bool:
    return (total_phases or 1) > 1


def check_new_phase(review_phase: int, existing_phases: Iterable[int], total_phases: int | None) -> None:
    """The first review fixes total_phases (1-5); each next one must be next_phase()."""
    existing = list(existing_phases)
    if not existing:
        if total_phases is None or not 1 <= total_phases <= MAX_TOTAL_PHASES:
            raise Invalid(f"The first review sets total_phases between 1 and {MAX_TOTAL_PHASES}.",
                          fields={"total_phases": f"must be between 1 and {MAX_TOTAL_PHASES}"})
    expected = next_phase(existing, total_phases)
    if expected is None:
        raise Conflict(f"All {total_phases} review phases already exist.", fields={"review_phase": "no phase left"})
    if review_phase != expected:
        raise Conflict(f"The next review phase is {expected}, not {review_phase}.",
                       fields={"review_phase": f"must be {expected}"})


def rubric_of(status: str, kept: list[Mapping] | None, live: Callable[[], list[Mapping] | None]) -> list[Mapping]:
    """The rubric a review phase is scored against. A submitted phase keeps meaning what it meant: the rubric kept
    when it was submitted (`kept`), whatever the mission's rubric became later; a draft (or a phase submitted
    before rubrics were kept and never backfilled) reads the mission's current rubric (`live()`, called only
    then)."""
    if status == "submitted" and kept is not None:
        return list(kept)
    return list(live() or [])


def weighted_total(rubric: list[Mapping], scores: Mapping[str, int]) -> Decimal | None:
    """The weighted rubric total on 0-100, with two decimals (the API's precision; pages show whole numbers).

    Points per level, as in Canvas: a criterion earns its level's score out of its top level's, and the criteria
    count by weight: total = 100 × Σ(weight × score / top) / Σ(weight), over the criteria scored. On the shipped
    1-4 rubrics, Proficient (3) on every criterion gives 75, Exemplary (4) 100, Emerging (1) 25. A criterion with
    a single level, or whose top level scores 0, counts as full."""
    total_weight = Decimal(0)
    earned = Decimal(0)
    for criterion in rubric:
        levels = [lv["score"] for lv in criterion.get("levels", [])]
        if not levels or criterion["id"] not in scores:
            continue
        top = max(levels)
        weight = Decimal(str(criterion["weight"]))
        share = Decimal(1) if top <= 0 or len(set(levels)) == 1 else \
            Decimal(max(scores[criterion["id"]], 0)) / Decimal(top)
        total_weight += weight
        earned += weight * share
    if total_weight == 0:
        return None
    return (earned / total_weight * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def shown_score(value) -> int | None:
    """A score as pages show it: a whole number, halves rounded up (86.67 -> 87, 70.5 -> 71). The stored value
    and the API keep two decimals; the review form's rubric total and its pre-filled overall score use this too,
    so what a mentor sees is what they save."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_rubric_scores(rubric: list[Mapping], scores: Mapping[str, object]) -> dict[str, int]:
    """Rubric keys and level scores must exist in the mission's rubric."""
    by_id = {c["id"]: {lv["score"] for lv in c.get("levels", [])} for c in rubric}
    problems, clean = {}, {}
    for key, value in scores.items():
        if key not in by_id:
            problems[f"rubric_scores.{key}"] = f"'{key}' is not a criterion of this mission's rubric"
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in by_id[key]:
            allowed = ", ".join(str(s) for s in sorted(by_id[key]))
            problems[f"rubric_scores.{key}"] = f"must be one of the levels {allowed}"
            continue
        clean[key] = value
    if problems:
        raise Invalid("Some rubric scores are not in the mission's rubric.", fields=problems)
    return clean


# ---- The rest of the review rules (SPEC §5, issue 6) ---------------------------------------------------------

REVIEW_TARGETS = PHASES + (OVERALL,)        # a review looks at one capstone phase, or at the whole
PRIORITIES = ("low", "medium", "high")
MAX_SHORT = 2_000
MAX_STEPS = 20
MAX_RECIPES = 20
MAX_MEETING_MINUTES = 600
TWO_PLACES = Decimal("0.01")


def check_target(phase: str) -> str:
    """The reviewed part: one of the five capstone phases or 'overall'."""
    if phase not in REVIEW_TARGETS:
        raise Invalid(f"'{phase}' is not a capstone phase or 'overall'.",
                      fields={"phase": "must be one of " + ", ".join(REVIEW_TARGETS)})
    return phase


def check_editable(status: str) -> None:
    """A submitted review phase is immutable."""
    if status == "submitted":
        raise Conflict("This review phase has been submitted, so it can no longer be changed.",
                       fields={"status": "submitted"})


def check_score(value: object, field_name: str, label: str | None = None) -> Decimal | None:
    """A score on 0-100 with at most two decimals; blank is None. The message names the field by `label`
    (as the form shows it; default field_label(field_name)), the fields by their key."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    label = label or field_label(field_name)
    if isinstance(value, bool):
        raise Invalid(f"{label} must be a number from 0 to 100.",
                      fields={field_name: "must be a number from 0 to 100"})
    try:
        number = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        raise Invalid(f"{label} must be a number from 0 to 100.",
                      fields={field_name: "must be a number from 0 to 100"}) from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise Invalid(f"{label} must be between 0 and 100.", fields={field_name: "must be between 0 and 100"})
    if number != number.quantize(TWO_PLACES):
        raise Invalid(f"{label} takes at most two decimals.", fields={field_name: "at most two decimals"})
    return number.quantize(TWO_PLACES)


# The review form's names for the fields (API keys stay the `fields` keys of an error; people read these).
FIELD_LABELS = {
    "overall_score": "Overall score",
    "written_feedback": "Written feedback",
    "meeting_notes": "Meeting notes",
    "meeting_duration_minutes": "Meeting duration (minutes)",
    "is_scoring_meeting": "Scoring meeting",
    "audio_transcript": "Audio transcript",
    "video_transcript": "Video transcript",
    "recommended_next_steps": "Recommended next steps",
    "recommended_recipes": "Recommended recipes",
    "rubric_scores": "Rubric",
    "rubric_comments": "Rubric comments",
    "subtask_scores": "Subtask scores",
    "feedback_per_subtask": "Subtask feedback",
    "feedback_per_decision": "Decision feedback",
    "phase": "Reviewed part",
    "decision": "Decision",
    "reopen_phases": "Phases to reopen",
    "total_phases": "Number of review phases",
    "review_phase": "Review phase",
}


def field_label(key: str, subtasks: list[Mapping] | None = None, rubric: list[Mapping] | None = None) -> str:
    """What the review form calls the field an error key names: `subtask_scores.1` is "Score for subtask 1
    (Triage)", `rubric_comments.analysis` "Comment on Analysis", `recommended_next_steps.0.deadline`
    "Next step 1, deadline". Unknown keys are returned as they are."""
    name, _, rest = key.partition(".")
    if name in ("subtask_scores", "feedback_per_subtask") and rest:
        title = next((s.get("title") for s in subtasks or [] if str(s.get("id")) == rest), None)
        what = "Score for subtask" if name == "subtask_scores" else "Feedback on subtask"
        return f"{what} {rest}" + (f" ({title})" if title else "")
    if name == "feedback_per_decision" and rest:
        prompt = next((d.get("prompt") for s in subtasks or [] for d in s.get("decisions") or []
                       if str(d.get("id")) == rest), None)
        return f"Feedback on decision \u201c{prompt}\u201d" if prompt else f"Feedback on decision {rest}"
    if name in ("rubric_scores", "rubric_comments") and rest:
        criterion = next((c.get("criterion") for c in rubric or [] if str(c.get("id")) == rest), None)
        if name == "rubric_scores":
            return f"Rubric level for {criterion}" if criterion else f"Rubric criterion {rest}"
        return f"Comment on {criterion}" if criterion else f"Rubric comment {rest}"
    if name == "recommended_next_steps" and rest:
        index, _, part = rest.partition(".")
        if index.isdigit():
            return f"Next step {int(index) + 1}" + (f", {part}" if part else "")
    return FIELD_LABELS.get(key, key)


def describe_problems(problems: Mapping[str, str], subtasks: list[Mapping] | None = None,
                      rubric: list[Mapping] | None = None) -> str:
    """"Label: problem; Label: problem" for a message people read, each field named as the form names it."""
    return "; ".join(f"{field_label(k, subtasks, rubric)}: {v}" for k, v in problems.items())


def subtask_ids(subtasks: list[Mapping]) -> list[str]:
    return [str(s["id"]) for s in subtasks or []]


def decision_ids(subtasks: list[Mapping]) -> list[str]:
    return [str(d["id"]) for s in subtasks or [] for d in s.get("decisions") or []]


def _text(value: object, path: str, problems: dict, limit: int = MAX_TEXT) -> str:
    """Review text cleaned by domain.text; a number sent for a text is taken as its digits."""
    return collect_text(None if value is None else str(value), path, problems, limit=limit)


def check_keyed_texts(allowed: list[str], values: Mapping[str, object], name: str, what: str) -> dict[str, str]:
    """{key: text} where every key must exist in the mission; blank texts are dropped."""
    problems, clean = {}, {}
    for key, value in (values or {}).items():
        key = str(key)
        if key not in allowed:
            problems[f"{name}.{key}"] = f"'{key}' is not a {what} of this mission"
            continue
        text = _text(value, f"{name}.{key}", problems)
        if text:
            clean[key] = text
    if problems:
        raise Invalid(f"Some {what} keys or texts are not valid.", fields=problems)
    return clean


def check_subtask_scores(subtasks: list[Mapping], scores: Mapping[str, object]) -> dict[str, float]:
    allowed = subtask_ids(subtasks)
    problems, clean = {}, {}
    for key, value in (scores or {}).items():
        key = str(key)
        if key not in allowed:
            problems[f"subtask_scores.{key}"] = f"'{key}' is not a subtask of this mission"
            continue
        try:
            score = check_score(value, f"subtask_scores.{key}")
        except Invalid as exc:
            problems.update(exc.fields)
            continue
        if score is not None:
            clean[key] = float(score)
    if problems:
        raise Invalid("Some subtask scores are not valid: each is a number from 0 to 100 for a subtask of "
                      "this mission.", fields=problems)
    return clean


def check_rubric_comments(rubric: list[Mapping], comments: Mapping[str, object]) -> dict[str, str]:
    allowed = [str(c["id"]) for c in rubric or []]
    return check_keyed_texts(allowed, comments, "rubric_comments", "rubric criterion")


def check_next_steps(rows: list[object], today: date) -> list[dict]:
    """[{title, priority, deadline}] — a title, a known priority, a deadline (ISO date) not in the past."""
    if not isinstance(rows, list):
        raise Invalid("recommended_next_steps must be a list.", fields={"recommended_next_steps": "must be a list"})
    if len(rows) > MAX_STEPS:
        raise Invalid(f"At most {MAX_STEPS} next steps.", fields={"recommended_next_steps": f"at most {MAX_STEPS}"})
    problems, clean = {}, []
    for i, row in enumerate(rows):
        path = f"recommended_next_steps.{i}"
        if not isinstance(row, Mapping):
            problems[path] = "must be an object with title, priority and deadline"
            continue
        title = _text(row.get("title"), f"{path}.title", problems, MAX_SHORT)
        priority = str(row.get("priority") or "medium")
        deadline = row.get("deadline") or None
        if not title:
            if deadline or row.get("priority") not in (None, "", "medium"):
                problems[f"{path}.title"] = "give the step a title"
            continue
        if priority not in PRIORITIES:
            problems[f"{path}.priority"] = "must be low, medium or high"
        day = None
        if deadline:
            try:
                day = date.fromisoformat(str(deadline)[:10]) if len(str(deadline)) <= 10 else None
            except ValueError:
                day = None
            if day is None:
                problems[f"{path}.deadline"] = "must be a date (YYYY-MM-DD)"
            elif day < today:
                problems[f"{path}.deadline"] = f"{day.isoformat()} is in the past"
        clean.append({"title": title, "priority": priority, "deadline": day.isoformat() if day else None})
    if problems:
        raise Invalid("Some next steps are not valid: " + describe_problems(problems) + ".", fields=problems)
    return clean


def check_recipes(slugs: list[object], known: set[str]) -> list[str]:
    clean = list(dict.fromkeys(str(s) for s in slugs or [] if str(s).strip()))
    unknown = [s for s in clean if s not in known]
    if unknown:
        raise Invalid("Some recommended recipes do not exist: " + ", ".join(unknown) + ".",
                      fields={"recommended_recipes": "unknown: " + ", ".join(unknown)})
    if len(clean) > MAX_RECIPES:
        raise Invalid(f"Recommend at most {MAX_RECIPES} recipes.", fields={"recommended_recipes": "too many"})
    return clean


def check_meeting_minutes(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = int(str(value).strip())
    except ValueError:
        minutes = -1
    if isinstance(value, bool) or not 1 <= minutes <= MAX_MEETING_MINUTES:
        raise Invalid(f"The meeting duration is a whole number of minutes from 1 to {MAX_MEETING_MINUTES}.",
                      fields={"meeting_duration_minutes": f"whole minutes, 1 to {MAX_MEETING_MINUTES}"})
    return minutes


def submitted_message(review_phase: int, total_phases: int, decision: str | None) -> str:
    """What the mentor reads after submitting a review phase."""
    message = f"Review phase {review_phase} of {total_phases} submitted."
    if is_last_phase(review_phase, total_phases) and decision == "approve":
        message += " The capstone is approved and a draft capstone result is in the learner's portfolio."
    elif is_last_phase(review_phase, total_phases) and decision == "request_changes":
        message += " The capstone went back to the learner with the phases you named reopened."
    return message


def is_last_phase(review_phase: int, total_phases: int) -> bool:
    return review_phase >= total_phases


def check_submit(last: bool, overall_score: Decimal | None, decision: str | None, reopen: list[str],
                 reviewable_phases: tuple[str, ...] | None) -> None:
    """The last phase needs an overall score and a decision; request_changes names the phases to reopen.
    `reviewable_phases` is None for an attempt (nothing to reopen)."""
    if not last:
        if decision:
            raise Invalid("Only the last review phase takes a decision.", fields={"decision": "only on the last phase"})
        return
    problems = {}
    said = {}                   # the message's wording where it differs from the field's (the form's labels)
    if overall_score is None:
        problems["overall_score"] = "the last phase needs an overall score (0-100)"
    if reviewable_phases is None and decision is None:
        pass                    # an attempt's review just completes; a decision is optional
    elif decision not in REVIEW_DECISIONS:
        problems["decision"] = "choose approve or request_changes"     # the API's values
        said["decision"] = (f"choose {DECISION_LABELS['approve']} or {DECISION_LABELS['request_changes']}"
                            if reviewable_phases is not None else
                            f"choose {DECISION_LABELS['approve']} or leave the decision empty")
    elif decision == "request_changes" and reviewable_phases is not None:
        if not reopen:
            problems["reopen_phases"] = "name the capstone phases to reopen"
        else:
            bad = [p for p in reopen if p not in reviewable_phases]
            if bad:
                problems["reopen_phases"] = "not capstone phases: " + ", ".join(bad)
    elif decision == "approve" and reopen:
        problems["reopen_phases"] = "only a request for changes reopens phases"
    if problems:
        raise Invalid("The review cannot be submitted yet: " + "; ".join(said.get(k, v) for k, v in problems.items())
                      + ".", fields=problems)


def check_previous_submitted(previous_statuses: Iterable[str]) -> None:
    if any(s != "submitted" for s in previous_statuses):
        raise Conflict("Submit the earlier review phase before starting the next one.",
                       fields={"review_phase": "the previous phase is still a draft"})


def claim_is_live(claimed_at: datetime | None, now: datetime, hours: float) -> bool:
    """A claim lasts `hours` after the last activity (claiming, or saving a draft)."""
    return claimed_at is not None and claimed_at > now - timedelta(hours=hours)


def median(values: list[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def open_steps(steps: list[Mapping], done: Iterable[int], today: date) -> list[tuple[int, Mapping, bool]]:
    """Next steps the learner has not ticked off: (index, step, overdue), in the order the mentor wrote them."""
    ticked = set(done or [])
    overdue = {i for i, _ in overdue_steps(steps, done, today)}
    return [(i, step, i in overdue) for i, step in enumerate(steps or []) if i not in ticked]


def overdue_steps(steps: list[Mapping], done: Iterable[int], today: date) -> list[tuple[int, Mapping]]:
    """Next steps whose deadline has passed and that the learner has not ticked off."""
    ticked = set(done or [])
    out = []
    for i, step in enumerate(steps or []):
        deadline = step.get("deadline")
        if deadline and i not in ticked:
            try:
                if date.fromisoformat(str(deadline)) < today:
                    out.append((i, step))
            except ValueError:
                continue
    return out


def rubric_bars(rubric: list[Mapping], scores: Mapping[str, int]) -> list[dict]:
    """One bar per criterion for the learner's chart: the level reached as a share of the top level."""
    bars = []
    for c in rubric or []:
        levels = sorted(lv["score"] for lv in c.get("levels", []))
        if not levels:
            continue
        score = scores.get(c["id"]) if scores else None
        labels = {lv["score"]: lv.get("label", "") for lv in c.get("levels", [])}
        span = levels[-1] - levels[0]
        share = None if score is None else (1.0 if span == 0 else (score - levels[0]) / span)
        bars.append({"id": c["id"], "criterion": c.get("criterion", c["id"]), "weight": c.get("weight"),
                     "score": score, "top": levels[-1], "label": labels.get(score, ""),
                     "percent": None if share is None else round(share * 100)})
    return bars


def phase_summary(review_phase: int, total_phases: int, phase: str, overall_score: Decimal | None,
                  decision: str | None, submitted_at: datetime | None, mentor: str) -> dict:
    """One entry of the capstone's mentor_review_phases."""
    return {"review_phase": review_phase, "total_phases": total_phases, "phase": phase,
            "overall_score": float(overall_score) if overall_score is not None else None,
            "decision": decision, "submitted_at": submitted_at.isoformat() if submitted_at else None,
            "mentor": mentor}


def starts_new_round(last_phase: int, last_total: int, last_decision: str | None) -> bool:
    """Whether the next review phase opens a new round: the last phase of the previous one asked for changes."""
    return last_phase >= last_total and last_decision == "request_changes"


def total_choices(review_phase: int, previous: tuple[int, int, str | None] | None) -> tuple[int, ...]:
    """The numbers of review phases a draft may choose, after looking at the work: a draft that starts a round
    (the first phase, or the first after a last phase that requested changes; `previous` is that phase's
    (review_phase, total_phases, decision), None for the first) picks from its own number up to MAX_TOTAL_PHASES;
    any other draft keeps its round's number (no choice: empty)."""
    if previous is None or starts_new_round(*previous):
        return tuple(range(review_phase, MAX_TOTAL_PHASES + 1))
    return ()


def plan_new_review(existing: list[tuple[int, int, str, str | None]], review_phase: int,
                    total_phases: int | None) -> int:
    """Check a new review phase against the existing ones [(review_phase, total_phases, status, decision)] and
    return the total_phases it carries. The first review fixes the total (1-5); each next one is the next
    number; the previous one must be submitted. After a last phase that requested changes and a resubmission,
    a new round continues the numbering (never repeating a number) up to MAX_TOTAL_PHASES."""
    if not existing:
        check_new_phase(review_phase, [], total_phases)
        return int(total_phases)
    last = max(existing, key=lambda row: row[0])
    check_previous_submitted(row[2] for row in existing)
    total = last[1]
    if starts_new_round(last[0], total, last[3]):
        expected = last[0] + 1
        if expected > MAX_TOTAL_PHASES:
            raise Conflict(f"This work already has {MAX_TOTAL_PHASES} review phases, the most there can be.",
                           fields={"review_phase": "no phase left"})
        if review_phase != expected:
            raise Conflict(f"The next review phase is {expected}, not {review_phase}.",
                           fields={"review_phase": f"must be {expected}"})
        new_total = total_phases or expected
        if not expected <= new_total <= MAX_TOTAL_PHASES:
            raise Invalid(f"total_phases for this new round must be between {expected} and {MAX_TOTAL_PHASES}.",
                          fields={"total_phases": f"between {expected} and {MAX_TOTAL_PHASES}"})
        return new_total
    if total_phases is not None and total_phases != total:
        raise Invalid(f"The first review fixed total_phases at {total}.", fields={"total_phases": f"is {total}"})
    check_new_phase(review_phase, [row[0] for row in existing], total)
    return total


# ---- what the learner reads about their submission -------------------------------------------------------------

def capstone_went_to_review(submitted: bool, approved: bool, reviewed: bool) -> bool:
    """Whether the capstone page shows its reviews: once it was submitted, approved, or has review phases."""
    return submitted or approved or reviewed


def learner_status(*, capstone: bool, approved: bool, approved_at: datetime | None, submitted_at: datetime | None,
                   claim_live: bool, now: datetime, last=None) -> dict:
    """The status line above the reviews of a capstone (`capstone`) or an attempt: {key, label, since[, waited]}.

    `submitted_at` is when the work was submitted (a capstone) or its review requested (an attempt), None while
    it is not; `claim_live` whether a mentor holds a live claim on it; `last` the latest submitted review phase
    (anything with review_phase, total_phases, decision, reopen_phases and submitted_at), or None.
    Keys: "approved", "open" (not submitted), "changes" (sent back with phases reopened, not yet resubmitted),
    "waiting" (submitted: waiting for a mentor, or in review), "reviewed" (every review phase shared, an attempt's
    review or a capstone's final phase that neither approved nor sent it back)."""
    if capstone and approved:
        return {"key": "approved", "label": "Approved by your mentor", "since": approved_at}
    if submitted_at is None:
        if last is not None and last.decision == "request_changes":
            names = ", ".join(PHASE_LABELS.get(p, p) for p in last.reopen_phases or [])
            return {"key": "changes", "label": f"Changes requested (reopened: {names}); complete the phases again "
                                               "to resubmit", "since": last.submitted_at}
        return {"key": "open", "label": "Not submitted for review" if capstone else "No review requested",
                "since": None}
    final = last is not None and last.review_phase >= (last.total_phases or 1)
    if final and last.decision != "request_changes" and (last.submitted_at is None or last.submitted_at >= submitted_at):
        # Every phase of the review is shared (an approved capstone answered above): nothing more is coming.
        n = last.total_phases or 1
        label = f"Review complete: all {n} phases shared" if n > 1 else "Review complete: shared with you"
        return {"key": "reviewed", "label": label, "since": last.submitted_at}
    if last is not None:
        label = f"In review: phase {last.review_phase} of {last.total_phases} shared"
    else:
        label = "In review" if claim_live else "Waiting for a mentor"
    return {"key": "waiting", "label": label, "since": submitted_at, "waited": now - submitted_at}


# ---- The conversation under a submitted review phase (SPEC §13) -------------------------------------------------

MAX_REPLY = 10_000
REPLY_ON_DRAFT = ("This review phase is still a draft: replies open once it is shared with the learner.")
REPLY_EMPTY = "Write a reply before sending it."


def check_can_reply(status: str) -> None:
    """Only a submitted (shared) review phase has a conversation: a draft is the mentor's work in progress."""
    if status != "submitted":
        raise Forbidden(REPLY_ON_DRAFT, fields={"status": status})


def check_reply(body: object) -> str:
    """A reply's Markdown text, cleaned by domain.text: not empty, at most MAX_REPLY characters."""
    text, rule = check_text(body, limit=MAX_REPLY)
    if rule:
        raise Invalid(f"Your reply {rule}.", fields={"body": rule})
    if not text:
        raise Invalid(REPLY_EMPTY, fields={"body": "must not be empty"})
    return text


def reply_role(author_id: int | None, author_role: str | None, *, learner_id: int, mentor_id: int) -> str:
    """What a reply's author is to this review, as the thread labels them: the learner whose work it is, the
    mentor who wrote the review, another mentor or an admin; "" for a deleted account."""
    if author_id is None:
        return ""
    if author_id == learner_id:
        return "learner"
    if author_id == mentor_id:
        return "reviewing mentor"
    return "admin" if author_role == "admin" else "mentor"


# A review outlives its mentor's account (README, Your data): it is then shown as by a former mentor.
FORMER_MENTOR = "former mentor"


def mentor_name(display_name: str | None) -> str:
    """How a page names the mentor of a review: their display name, or "former mentor" once they deleted their
    account. The one place this is decided; templates use the `mentor_name` filter, services call it."""
    return display_name or FORMER_MENTOR


# ---- claiming several submissions at once -----------------------------------------------------------------------

CLAIM_KINDS = ("capstone", "attempt")
MAX_BULK_CLAIM = 50
_MAX_ID = 2**31 - 1      # the largest id a database integer column holds (models.base.MAX_ID)


def parse_claim_keys(values: Iterable[str]) -> list[tuple[str, int]]:
    """The queue items a bulk claim names ("capstone:12", "attempt:7"), in order, each once. Refused (422): no
    item, more than MAX_BULK_CLAIM, or a value that is not `<kind>:<id>`."""
    keys = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not keys:
        raise Invalid("Select at least one submission to claim.", fields={"items": "select at least one"})
    if len(keys) > MAX_BULK_CLAIM:
        raise Invalid(f"Claim at most {MAX_BULK_CLAIM} submissions at once ({len(keys)} were selected).",
                      fields={"items": f"at most {MAX_BULK_CLAIM}"})
    out: list[tuple[str, int]] = []
    bad: list[str] = []
    for key in keys:
        kind, sep, raw = key.partition(":")
        if kind in CLAIM_KINDS and sep and raw.isascii() and raw.isdigit() and 0 < int(raw) <= _MAX_ID:
            out.append((kind, int(raw)))
        else:
            bad.append(key[:40])
    if bad:
        shown = ", ".join(f"“{b}”" for b in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise Invalid(f"Not a submission of the queue: {shown}. Choose from the queue's checkboxes.",
                      fields={"items": "each item is capstone:<id> or attempt:<id>"})
    return list(dict.fromkeys(out))


def bulk_claim_message(claimed: int, refused: list[tuple[str, str]]) -> str:
    """What a bulk claim says: how many were claimed, and each one that was not (a label and why)."""
    total = claimed + len(refused)
    if claimed == total:
        head = f"Claimed {claimed} submission{'s' if claimed != 1 else ''}."
    elif claimed == 0:
        head = f"Nothing was claimed ({total} selected)."
    else:
        head = f"Claimed {claimed} of {total} submissions."
    if not refused:
        return head + " They are yours to review while you keep working on them."
    return head + " Not claimed: " + "; ".join(f"{label}: {why.rstrip('.')}" for label, why in refused) + "."
