"""A capstone's history (SPEC §4): one entry per working stretch on a phase, not one per autosave.

Drafts are saved every few seconds while a learner types. Each save used to append an entry, so an hour's work
left hundreds of "Saved a draft" lines that buried the completions and reopenings a mentor looks for, and every
read of the history grew with them. Now a draft save of a phase extends the newest entry when that entry is a
draft save of the same phase by the same person, made less than DRAFT_STRETCH ago: the entry's time moves on and
its list of what was saved grows. Anything else in between (a completion, a reopening, a file, another person, a
pause) starts a new entry.
"""
from __future__ import annotations

from datetime import datetime, timedelta

DRAFT_STRETCH = timedelta(minutes=15)
SAVED = "saved"
SUMMARY_MAX = 300


def extends(last, actor_id: int | None, phase: str, phase_label: str, now: datetime) -> bool:
    """Whether a draft save of `phase` by `actor_id` at `now` extends `last`, the newest entry (anything with
    `action`, `actor_id`, `phase`, `created_at` and `summary`; None when there is none). Only an entry written
    as a draft save (draft_summary) is extended: "Added the file …" stays as it is."""
    return (last is not None and last.action == SAVED and last.actor_id is not None and last.actor_id == actor_id
            and last.phase == phase and last.created_at is not None
            and timedelta(0) <= now - last.created_at < DRAFT_STRETCH
            and bool(draft_items(phase_label, last.summary or "")))


def draft_summary(phase_label: str, items: list[str]) -> str:
    """The entry's text: what was saved, each item once, in the order first saved; cut to fit the column."""
    text = f"Saved a draft of {phase_label}: {', '.join(dict.fromkeys(items))}."
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1] + "…"


def draft_items(phase_label: str, summary: str) -> list[str]:
    """The items of an entry written by draft_summary (an entry it cut short keeps what it could read)."""
    prefix = f"Saved a draft of {phase_label}: "
    if not summary.startswith(prefix):
        return []
    return [item for item in summary[len(prefix):].rstrip(".…").split(", ") if item]
