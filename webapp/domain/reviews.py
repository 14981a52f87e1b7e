"""Review phases and rubric arithmetic (SPEC §5)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from .errors import Conflict, Invalid

MAX_TOTAL_PHASES = 5
REVIEW_STATUSES = ("draft", "submitted")
REVIEW_DECISIONS = ("approve", "request_changes")
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


def weighted_total(rubric: list[Mapping], scores: Mapping[str, int]) -> Decimal | None:
    """The weighted rubric total on 0-100: each criterion's level as a share of its top level, weighted."""
    total_weight = Decimal(0)
    earned = Decimal(0)
    for criterion in rubric:
        levels = [lv["score"] for lv in criterion.get("levels", [])]
        if not levels or criterion["id"] not in scores:
            continue
        top, bottom = max(levels), min(levels)
        weight = Decimal(str(criterion["weight"]))
        span = top - bottom
        share = Decimal(1) if span == 0 else Decimal(scores[criterion["id"]] - bottom) / Decimal(span)
        total_weight += weight
        earned += weight * share
    if total_weight == 0:
        return None
    return (earned / total_weight * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
