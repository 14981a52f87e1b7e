"""Turn the review form's fields into the dict services.reviews expects.

The form's fields are named after the mission (one radio group per rubric criterion, one textarea per
subtask and decision), so they are parsed here rather than declared as a WTForms class; every rule is
checked by the service (domain.reviews)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField, TextAreaField

from ..domain import snippets as snippet_rules
from ..domain.catalogue import TRACK_LABELS, TRACKS
from ..missions.forms import options


def _int_or_raw(value: str) -> Any:
    value = (value or "").strip()
    return int(value) if value.lstrip("-").isdigit() else value


def _prefixed(form: MultiDict, prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v for k, v in form.items() if k.startswith(prefix)}


def next_steps(form: MultiDict) -> list[dict]:
    titles = form.getlist("step_title")
    priorities = form.getlist("step_priority")
    deadlines = form.getlist("step_deadline")
    rows = []
    for i, title in enumerate(titles):
        rows.append({"title": title, "priority": priorities[i] if i < len(priorities) else "medium",
                     "deadline": deadlines[i] if i < len(deadlines) else ""})
    remove = form.get("remove_step", "")
    if remove.isdigit() and int(remove) < len(rows):
        rows.pop(int(remove))
    return rows


def review_data(form: MultiDict) -> dict[str, Any]:
    """Every field of the review form (the form always carries all of them)."""
    return {
        "rubric_scores": {k: _int_or_raw(v) for k, v in _prefixed(form, "rubric.").items() if v.strip()},
        "rubric_comments": _prefixed(form, "rubric_comment."),
        "feedback_per_subtask": _prefixed(form, "subtask_feedback."),
        "subtask_scores": {k: v for k, v in _prefixed(form, "subtask_score.").items() if v.strip()},
        "feedback_per_decision": _prefixed(form, "decision_feedback."),
        "written_feedback": form.get("written_feedback", ""),
        "overall_score": form.get("overall_score", ""),
        "is_scoring_meeting": form.get("is_scoring_meeting") in ("1", "on", "true", "y"),
        "meeting_notes": form.get("meeting_notes", ""),
        "meeting_duration_minutes": form.get("meeting_duration_minutes", ""),
        "recommended_next_steps": next_steps(form),
        "recommended_recipes": [s for s in dict.fromkeys(form.getlist("recipe")) if s],
        "audio_transcript": form.get("audio_transcript", ""),
        "video_transcript": form.get("video_transcript", ""),
        # Chosen in the workspace (the phase count only on a draft that starts a round): sent when shown.
        **{name: form.get(name) for name in ("total_phases", "phase") if name in form},
    }


def version(form: MultiDict) -> int | None:
    raw = (form.get("version_id") or "").strip()
    return int(raw) if raw.isdigit() else None


def rubric_scores_loose(form: MultiDict, rubric: list[dict]) -> dict[str, int]:
    """For the live total: only the picks that are real levels of the rubric."""
    levels = {c["id"]: {lv["score"] for lv in c.get("levels", [])} for c in rubric}
    out = {}
    for key, value in _prefixed(form, "rubric.").items():
        v = _int_or_raw(value)
        if key in levels and isinstance(v, int) and v in levels[key]:
            out[key] = v
    return out


# ---- the comment bank -------------------------------------------------------------------------------------------

class SnippetForm(FlaskForm):
    """Renders the snippet form and carries its CSRF token; what a snippet may hold is checked once, by
    domain.snippets.clean_snippet (its field errors are shown on these fields)."""

    title = StringField("Title", description=f"A short name to find it by (at most {snippet_rules.TITLE_MAX} "
                                             "characters).")
    track = SelectField("Offered in reviews of", choices=options([("", "All tracks")] + [(t, TRACK_LABELS[t]) for t in TRACKS]),
                        validate_choice=False)
    body = TextAreaField("Text (Markdown)", description="Inserted as it is into your feedback, where the cursor is "
                                                       f"(at most {snippet_rules.BODY_MAX} characters).")
