"""Capstone input rules (SPEC §4): the shape of each phase field, row by row, and where uploads go.

`clean_phase_data` turns what a form or the API sent into the values stored on the capstone, or raises
`Invalid` naming each bad field (`decisions_made.2.decided_at`). Row indexes count the rows as they were
sent, blank rows included, so an error can be shown beside the row the learner typed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .errors import Invalid
from .phases import FINDING_KINDS, PHASE_FIELDS, PHASE_LABELS, PRESENTATION_TYPES, check_phase, missing_fields
from .text import collect_text

MAX_ROWS = 100
MAX_TEXT = 20_000
MAX_CELL = 2_000
MAX_URL = 500

# Repeatable rows: field -> the columns of one row.
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "investigation_artifacts": ("type", "url", "description"),
    "decisions_made": ("decision", "rationale", "decided_at"),
    "design_documents": ("title", "url", "description"),
    "report_key_findings": ("finding", "impact", "recommendation"),
}
URL_COLUMNS = {"url"}
CHOICE_COLUMNS = {"type"}   # a select with a default: a row with only this filled in is still blank
TEXT_FIELDS = ("decision_analysis", "remediation_plan", "report_summary", "presentation_notes")
MARKDOWN_FIELDS = TEXT_FIELDS
URL_FIELDS = ("report_document_url", "presentation_url")
ARTIFACT_TYPES = ("link", "file", "log", "screenshot", "capture", "report", "other")

# Uploads: the name a file is attached under -> (phase, the field that records it, the upload kinds accepted).
FILE_FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "investigation_artifacts": ("investigation", "investigation_artifacts", ("evidence",)),
    "design_documents": ("design_remediation", "design_documents", ("document",)),
    "report_document": ("reporting", "report_document_url", ("document",)),
    "presentation": ("presentation", "presentation_url", ("document", "video")),
}
FIELD_LABELS = {
    "investigation_findings": "findings", "investigation_artifacts": "artifacts", "decisions_made": "decisions",
    "decision_analysis": "decision analysis", "design_documents": "design documents",
    "remediation_plan": "remediation plan", "report_document_url": "report link", "report_summary": "report summary",
    "report_key_findings": "key findings", "presentation_url": "presentation link",
    "presentation_type": "presentation type", "presentation_notes": "presenter notes",
}
FILE_FIELD_OF_PHASE = {phase: name for name, (phase, _, _) in FILE_FIELDS.items()}
FILE_TARGETS = tuple(dict.fromkeys(target for _, target, _ in FILE_FIELDS.values()))

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_FILE_URL = re.compile(r"^/files/[A-Za-z0-9/_.\-]+$")


def is_link(value: str) -> bool:
    """An http(s) link, or the download path of an uploaded file."""
    return bool(_URL.match(value) or _FILE_URL.match(value))


def file_links(values: Mapping[str, Any]) -> set[str]:
    """Every link in the fields that record uploads (FILE_TARGETS): the URL fields and each row's url."""
    links: set[str] = set()
    for target in FILE_TARGETS:
        value = values.get(target)
        if isinstance(value, list):
            links.update(r["url"] for r in value if isinstance(r, dict) and isinstance(r.get("url"), str))
        elif isinstance(value, str):
            links.add(value)
    return links


def links_to_file(links: Iterable[str | None], key: str) -> bool:
    """Whether one of `links` is the site's download path of the stored file `key` (whatever prefix the site is
    served under): a file that saved work no longer links to is no longer part of it."""
    tail = f"/files/{key}"
    return any(isinstance(link, str) and link.startswith("/") and link.endswith(tail) for link in links)


def _text(value: Any, path: str, problems: dict, limit: int = MAX_TEXT) -> str:
    return collect_text(value, path, problems, limit=limit)


def _url(value: Any, path: str, problems: dict) -> str | None:
    text = _text(value, path, problems, MAX_URL)
    if not text:
        return None
    if path not in problems and not is_link(text):
        problems[path] = "must be an http(s) link or an uploaded file"
    return text


def _date(value: str, path: str, problems: dict) -> str:
    if not value:
        return ""
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems[path] = "must be a date such as 2026-11-02 (or a date and time)"
    return value


def _rows(name: str, value: Any, problems: dict) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems[name] = "must be a list of rows"
        return []
    if len(value) > MAX_ROWS:
        problems[name] = f"at most {MAX_ROWS} rows"
        return []
    columns = ROW_FIELDS[name]
    out = []
    for i, row in enumerate(value):
        path = f"{name}.{i}"
        if not isinstance(row, Mapping):
            problems[path] = f"each row must be an object with {', '.join(columns)}"
            continue
        unknown = [k for k in row if k not in columns]
        if unknown:
            problems[path] = f"unknown column {', '.join(map(str, unknown))}; columns are {', '.join(columns)}"
            continue
        clean = {}
        for col in columns:
            cell_path = f"{path}.{col}"
            clean[col] = _text(row.get(col), cell_path, problems, MAX_CELL)
            if col in URL_COLUMNS and clean[col] and cell_path not in problems:
                if len(clean[col]) > MAX_URL or not is_link(clean[col]):
                    problems[cell_path] = "must be an http(s) link or an uploaded file"
            if col == "decided_at" and cell_path not in problems:
                _date(clean[col], cell_path, problems)
        if not any(cell for col, cell in clean.items() if col not in CHOICE_COLUMNS):
            continue            # a blank row is dropped, not an error (a choice left at its default is blank)
        if name == "investigation_artifacts":
            if clean["type"] and clean["type"] not in ARTIFACT_TYPES:
                problems[f"{path}.type"] = f"must be one of {', '.join(ARTIFACT_TYPES)}"
            clean["type"] = clean["type"] or ("link" if clean["url"] else "other")
        if name == "decisions_made" and not clean["decision"]:
            problems[f"{path}.decision"] = "say what was decided"
        if name == "design_documents" and not clean["title"]:
            problems[f"{path}.title"] = "give the document a title"
        if name == "report_key_findings" and not clean["finding"]:
            problems[f"{path}.finding"] = "state the finding"
        out.append(clean)
    return out


def _findings(value: Any, problems: dict) -> dict[str, list[str]]:
    name = "investigation_findings"
    if value is None:
        return {k: [] for k in FINDING_KINDS}
    if not isinstance(value, Mapping):
        problems[name] = f"must be an object with the lists {', '.join(FINDING_KINDS)}"
        return {}
    unknown = [k for k in value if k not in FINDING_KINDS]
    if unknown:
        problems[name] = f"unknown kind {', '.join(map(str, unknown))}; kinds are {', '.join(FINDING_KINDS)}"
        return {}
    out = {}
    for kind in FINDING_KINDS:
        items = value.get(kind) or []
        path = f"{name}.{kind}"
        if not isinstance(items, list):
            problems[path] = "must be a list of text entries"
            continue
        if len(items) > MAX_ROWS:
            problems[path] = f"at most {MAX_ROWS} entries"
            continue
        kept = []
        for i, item in enumerate(items):
            text = _text(item, f"{path}.{i}", problems, MAX_CELL)
            if text:
                kept.append(text)
        out[kind] = kept
    return out


def clean_field(name: str, value: Any, problems: dict) -> Any:
    if name == "investigation_findings":
        return _findings(value, problems)
    if name in ROW_FIELDS:
        return _rows(name, value, problems)
    if name in URL_FIELDS:
        return _url(value, name, problems)
    if name == "presentation_type":
        text = collect_text(value, name, problems, limit=20)
        if text and text not in PRESENTATION_TYPES:
            problems[name] = f"must be one of {', '.join(PRESENTATION_TYPES)}"
        return text or None
    return collect_text(value, name, problems, limit=MAX_TEXT)


def clean_phase_data(phase: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values for the fields of `phase` present in `data`; Invalid naming each bad field."""
    check_phase(phase)
    problems: dict[str, str] = {}
    allowed = PHASE_FIELDS[phase]
    out = {}
    for name, value in data.items():
        if name not in allowed:
            problems[name] = f"not a field of the {PHASE_LABELS[phase]} phase"
            continue
        out[name] = clean_field(name, value, problems)
    if problems:
        raise Invalid("Some fields need fixing: " + "; ".join(f"{k}: {v}" for k, v in problems.items()) + ".",
                      fields=problems)
    return out


def missing_when_completing(phase: str, data: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, str]:
    """What completing `phase` would still lack with `data` typed over the `stored` values, also when some of
    `data` does not clean (a bad link or date): so one answer names every problem, not one round at a time."""
    check_phase(phase)
    ignored: dict[str, str] = {}
    typed = {name: clean_field(name, value, ignored) for name, value in data.items() if name in PHASE_FIELDS[phase]}
    return missing_fields(phase, lambda name: typed[name] if name in typed else stored.get(name))


def split_by_phase(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Group fields of several phases (an API PATCH) by phase; Invalid naming fields that belong to none."""
    grouped: dict[str, dict[str, Any]] = {}
    unknown = {}
    for name, value in data.items():
        phase = next((p for p, names in PHASE_FIELDS.items() if name in names), None)
        if phase is None:
            unknown[name] = "not a capstone field"
        else:
            grouped.setdefault(phase, {})[name] = value
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(unknown)}.", fields=unknown)
    return grouped


def check_file_field(name: str) -> tuple[str, str, tuple[str, ...]]:
    try:
        return FILE_FIELDS[name]
    except KeyError:
        raise Invalid(f"Files attach to one of: {', '.join(FILE_FIELDS)}.",
                      fields={"field": f"must be one of {', '.join(FILE_FIELDS)}"}) from None
