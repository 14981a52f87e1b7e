"""Capstone phases (SPEC §4): their order and what completes each; their fields are the table in
domain.phase_fields."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import Conflict, Invalid
from .phase_fields import FINDING_KINDS, PHASE_LABELS, PHASE_OF_FIELD, PHASES, SPECS, Field
# The phase vocabulary other layers read here; its home is the table (domain.phase_fields).
from .phase_fields import FIELDS, PHASE_FIELDS, PRESENTATION_TYPES, completed_at  # noqa: F401

REVIEW_STAGE = "mentor_review"
COMPLETED = "completed"


class PhaseOrderError(Conflict):
    def __init__(self, phase: str, must_come_first: str):
        self.phase = phase
        self.must_come_first = must_come_first
        super().__init__(
            f"Complete the {PHASE_LABELS[must_come_first]} phase before {PHASE_LABELS[phase]}.",
            fields={"phase": must_come_first},
        )


class MissingFields(Invalid):
    def __init__(self, missing: Mapping[str, str]):
        self.missing = dict(missing)
        names = ", ".join(self.missing)
        super().__init__(f"Some required fields are missing: {names}.", fields=self.missing)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count_entries(lists: Any) -> int:
    if isinstance(lists, Mapping):
        return sum(len(lists.get(k) or []) for k in FINDING_KINDS)
    return len(lists or [])


def is_filled(field: Field, value: Any) -> bool:
    """Whether `value` meets what completing the phase asks of `field` (its `required` rule in the table)."""
    if field.kind == "lists":
        return _count_entries(value) >= 1
    if field.kind == "rows":
        return any(isinstance(row, Mapping) and all(not _blank(row.get(c)) for c in field.complete_with)
                   for row in value or [])
    if field.kind == "choice":
        return value in field.choices
    return not _blank(value)


def missing_fields(phase: str, get: Callable[[str], Any]) -> dict[str, str]:
    """Field -> message for each requirement of `phase` that the values (read through `get`) do not meet."""
    return {f.name: f.required for f in SPECS[phase].fields if f.required and not is_filled(f, get(f.name))}


def check_phase(phase: str) -> None:
    if phase not in PHASES:
        raise Invalid(f"Unknown phase '{phase}'. Phases are: {', '.join(PHASES)}.", fields={"phase": "unknown"})


def check_can_complete(phase: str, done: set[str], missing: Mapping[str, str]) -> None:
    check_phase(phase)
    if phase in done:
        raise Conflict(f"The {PHASE_LABELS[phase]} phase is already complete.", fields={"phase": phase})
    first_open = next((p for p in PHASES if p not in done), None)
    if first_open and PHASES.index(first_open) < PHASES.index(phase):
        raise PhaseOrderError(phase, must_come_first=first_open)
    if missing:
        raise MissingFields(missing)


def current_phase(done: set[str], approved: bool) -> str:
    """The first incomplete phase, then mentor_review while not approved, then completed."""
    for phase in PHASES:
        if phase not in done:
            return phase
    return COMPLETED if approved else REVIEW_STAGE


def phases_to_clear(reopen: str) -> tuple[str, ...]:
    """Reopening a phase clears its completion and the completion of every later phase."""
    check_phase(reopen)
    return PHASES[PHASES.index(reopen):]


def progress_percent(done: set[str]) -> int:
    return round(100 * len([p for p in PHASES if p in done]) / len(PHASES))


# ---- Editing, review and reopening ---------------------------------------------------------------------------

def is_under_review(submitted: bool, approved: bool) -> bool:
    """Submitted for review (the presentation phase completed) and neither approved nor sent back."""
    return submitted and not approved


def check_can_edit(phase: str, done: set[str], under_review: bool) -> None:
    """A capstone under review is read-only as a whole; a completed phase is read-only until a mentor reopens it."""
    check_phase(phase)
    if under_review:
        raise Conflict("This capstone is under mentor review, so it is read-only until the review ends.",
                       fields={"phase": "under review"})
    if phase in done:
        raise Conflict(f"The {PHASE_LABELS[phase]} phase is complete and read-only. Ask your mentor to reopen it "
                       "if it needs changes.", fields={phase: "complete and read-only"})


def can_delete(submitted: bool, reviewed: bool) -> bool:
    """The owner may delete a capstone until it has been submitted or reviewed (a review, draft or submitted,
    keeps it even after a reopening clears the submission)."""
    return not (submitted or reviewed)


def check_can_delete(submitted: bool, reviewed: bool) -> None:
    if not can_delete(submitted, reviewed):
        raise Conflict("This capstone has been submitted for review, so it can no longer be deleted.",
                       fields={"capstone": "submitted or reviewed"})


def reopen_plan(phases: list[str] | tuple[str, ...], done: set[str]) -> tuple[str, ...]:
    """The phases whose completion a reopening clears: the earliest requested phase and every later one.

    Only completed phases can be reopened; the result lists only phases that are complete now."""
    if not phases:
        raise Invalid("Name at least one phase to reopen.", fields={"reopen_phases": "name at least one phase"})
    for phase in phases:
        check_phase(phase)
    not_done = [p for p in phases if p not in done]
    if not_done:
        names = ", ".join(PHASE_LABELS[p] for p in not_done)
        raise Conflict(f"Only completed phases can be reopened; not complete: {names}.",
                       fields={"reopen_phases": ", ".join(not_done)})
    earliest = min(phases, key=PHASES.index)
    return tuple(p for p in phases_to_clear(earliest) if p in done)


def phase_of_field(name: str) -> str | None:
    return PHASE_OF_FIELD.get(name)
