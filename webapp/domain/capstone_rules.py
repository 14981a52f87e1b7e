"""Capstone input rules (SPEC §4): the shape of each phase field, row by row, and where uploads go.

`clean_phase_data` turns what a form or the API sent into the values stored on the capstone, or raises
`Invalid` naming each bad field (`decisions_made.2.decided_at`). Row indexes count the rows as they were
sent, blank rows included, so an error can be shown beside the row the learner typed.

The shapes are declared: one marshmallow schema per phase, built from the table of fields and row columns
(domain.phase_fields). What stays here as code are the rules across cells: a blank row is dropped, a row that
says something must fill its required columns, an artifact's type defaults from its link.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validates_schema

from .errors import Invalid
from .phase_fields import (FIELDS, FILE_FIELDS, FILE_TARGETS, MAX_CELL, MAX_ROWS, MAX_TEXT, MAX_URL, PHASE_FIELDS,
                           PHASE_LABELS, PHASE_OF_FIELD, SPECS, Column, Field)
# Read here by other layers; their home is the table (domain.phase_fields).
from .phase_fields import ARTIFACT_TYPES, FIELD_LABELS, FILE_FIELD_OF_PHASE, FINDING_KINDS  # noqa: F401
from .phase_fields import MARKDOWN_FIELDS, ROW_FIELDS, URL_FIELDS  # noqa: F401
from .phases import check_phase, missing_fields
from .text import collect_text

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


def _date_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "must be a date such as 2026-11-02 (or a date and time)"
    return None


# ---- declared shapes, built from the table (domain.phase_fields) -------------------------------------------------

class _Text(fields.Field):
    """Text as stored (see `_text`); `kind` "url" also asks for a link, "date" for an ISO date, "choice" (a phase
    field's) for one of `choices`. A value refused still comes back as `valid_data`, so what completing the phase
    would lack can be worked out from what was typed (missing_when_completing)."""

    def __init__(self, kind: str = "text", limit: int = MAX_TEXT, choices: tuple[str, ...] = (),
                 blank: str | None = "", **kwargs):
        super().__init__(**kwargs)
        self.kind, self.limit, self.choices, self.blank = kind, limit, choices, blank

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize("" if value is None else value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        problems: dict[str, str] = {}
        text = _text(value, "value", problems, self.limit)
        problem = problems.get("value")
        if not problem and text:
            if self.kind == "url" and (len(text) > MAX_URL or not is_link(text)):
                problem = "must be an http(s) link or an uploaded file"
            elif self.kind == "date":
                problem = _date_problem(text)
            elif self.kind == "choice" and self.choices and text not in self.choices:
                problem = f"must be one of {', '.join(self.choices)}"
        value = text or self.blank
        if problem:
            raise ValidationError(problem, valid_data=value)
        return value


class _List(fields.List):
    """A list of at most MAX_ROWS items; the messages say what was expected."""

    def __init__(self, inner, *, what: str, invalid: str, **kwargs):
        super().__init__(inner, **kwargs)
        self.what, self.invalid = what, invalid

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError(self.invalid, valid_data=[])
        if len(value) > MAX_ROWS:
            raise ValidationError(f"at most {MAX_ROWS} {self.what}", valid_data=[])
        return super()._deserialize(value, attr, data, **kwargs)


def _check_object(value: Any, names: tuple[str, ...], expected: str, key: str) -> None:
    """An object whose keys are among `names`: else ValidationError saying so (`key` names one of them)."""
    if not isinstance(value, Mapping):
        raise ValidationError(expected)
    unknown = [k for k in value if k not in names]
    if unknown:
        raise ValidationError(f"unknown {key} {', '.join(map(str, unknown))}; {key}s are {', '.join(names)}")


def _is_blank_row(field: Field, row: Mapping[str, Any]) -> bool:
    """A row with nothing typed is dropped, not refused (a choice left at its default is blank too)."""
    return not any(row.get(c.name) for c in field.columns if c.kind != "choice")


class _RowSchema(Schema):
    """One row of a row field: an object with exactly the field's columns; a row that says something must
    fill the columns the table marks required and choose among a choice column's values."""

    spec: Field

    @pre_load
    def _shape(self, row, **kwargs):
        names = self.spec.column_names
        _check_object(row, names, f"each row must be an object with {', '.join(names)}", "column")
        return {name: row.get(name) for name in names}

    @validates_schema(skip_on_field_errors=False)
    def _filled(self, row, **kwargs):
        if _is_blank_row(self.spec, row):
            return
        problems = {}
        for col in self.spec.columns:
            value = row.get(col.name)
            if col.required and value == "":            # absent: the cell was refused and says why
                problems[col.name] = col.required
            elif col.choices and value and value not in col.choices:
                problems[col.name] = f"must be one of {', '.join(col.choices)}"
        if problems:
            raise ValidationError(problems)


class _ListsSchema(Schema):
    """Named lists of short text entries (the findings): every list is there in what is stored."""

    spec: Field

    @pre_load
    def _shape(self, value, **kwargs):
        kinds = self.spec.lists
        _check_object(value, kinds, f"must be an object with the lists {', '.join(kinds)}", "kind")
        return {kind: value.get(kind) or [] for kind in kinds}


def _cell(col: Column) -> _Text:
    return _Text(col.kind, col.max_length)


def _schema_field(spec: Field) -> fields.Field:
    if spec.kind == "rows":
        row = type(f"{spec.name}_row", (_RowSchema,), {c.name: _cell(c) for c in spec.columns} | {"spec": spec})
        return _List(fields.Nested(row), what="rows", invalid="must be a list of rows", allow_none=True)
    if spec.kind == "lists":
        entries = {kind: _List(_Text(limit=MAX_CELL), what="entries", invalid="must be a list of text entries")
                   for kind in spec.lists}
        return fields.Nested(type(f"{spec.name}_lists", (_ListsSchema,), entries | {"spec": spec}), allow_none=True)
    if spec.kind == "url":
        return _Text("url", MAX_URL, blank=None)
    if spec.kind == "choice":
        return _Text("choice", 20, spec.choices, blank=None)
    return _Text()


_SCHEMAS: dict[str, Schema] = {
    phase.key: Schema.from_dict({f.name: _schema_field(f) for f in phase.fields}, name=f"{phase.key}_fields")()
    for phase in SPECS.values()}


def _row_defaults(name: str, row: dict) -> dict:
    """Cross-column rule: an artifact of no chosen type is a link when it has one, else "other"."""
    if name == "investigation_artifacts":
        row["type"] = row["type"] or ("link" if row["url"] else "other")
    return row


def _tidy(name: str, value: Any) -> Any:
    """Drop blank rows and blank entries, fill the defaults of a row."""
    spec = FIELDS[name]
    if spec.kind == "rows":
        return [_row_defaults(name, dict(r)) for r in value or () if isinstance(r, Mapping)
                and not _is_blank_row(spec, r)]
    if spec.kind == "lists":
        if value is None:
            return {kind: [] for kind in spec.lists}
        return {kind: [e for e in (value.get(kind) or []) if e] for kind in spec.lists} if value else {}
    return value


def _flatten(messages: Mapping, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"decisions_made.2.decided_at": "must be a date …"}."""
    out: dict[str, str] = {}
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, path))
        else:
            out[path] = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


_EMPTY = {"rows": [], "lists": {}, "url": None, "choice": None}


def _load(phase: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the stored values of `data`, problems by field path); a refused value is kept as far as it cleans."""
    try:
        values, problems = _SCHEMAS[phase].load(data), {}
    except ValidationError as exc:
        valid = exc.valid_data or {}
        values = {name: valid.get(name, _EMPTY.get(FIELDS[name].kind, "")) for name in data}
        problems = _flatten(exc.messages)
    return {name: _tidy(name, value) for name, value in values.items()}, problems


def clean_field(name: str, value: Any, problems: dict) -> Any:
    """The stored value of one phase field; what is wrong with it goes into `problems` by path."""
    values, found = _load(PHASE_OF_FIELD[name], {name: value})
    problems.update(found)
    return values[name]


def clean_phase_data(phase: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values for the fields of `phase` present in `data`; Invalid naming each bad field."""
    check_phase(phase)
    allowed = PHASE_FIELDS[phase]
    problems = {name: f"not a field of the {PHASE_LABELS[phase]} phase" for name in data if name not in allowed}
    out, found = _load(phase, {name: value for name, value in data.items() if name in allowed})
    problems.update(found)
    if problems:
        raise Invalid("Some fields need fixing: " + "; ".join(f"{k}: {v}" for k, v in problems.items()) + ".",
                      fields=problems)
    return out


def missing_when_completing(phase: str, data: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, str]:
    """What completing `phase` would still lack with `data` typed over the `stored` values, also when some of
    `data` does not clean (a bad link or date): so one answer names every problem, not one round at a time."""
    check_phase(phase)
    typed, _ = _load(phase, {name: value for name, value in data.items() if name in PHASE_FIELDS[phase]})
    return missing_fields(phase, lambda name: typed[name] if name in typed else stored.get(name))


def split_by_phase(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Group fields of several phases (an API PATCH) by phase; Invalid naming fields that belong to none."""
    grouped: dict[str, dict[str, Any]] = {}
    unknown = {}
    for name, value in data.items():
        phase = PHASE_OF_FIELD.get(name)
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


# ---- the investigation timeline, started from the attempt's events (SPEC §4) -----------------------------------

TIMELINE_FIELD = "investigation_findings"           # the lists field whose "timeline" list the events start
TIMELINE_PHASE = PHASE_OF_FIELD[TIMELINE_FIELD]

def timeline_entry(message: str, severity: str | None, fired_at: datetime | None, offset_minutes: int | None) -> str:
    """One fired event as an entry of the investigation timeline: "+12 min (2026-12-07 09:40 UTC): message
    [high]". Cut to the length an entry may have."""
    when = []
    if offset_minutes is not None:
        when.append(f"+{offset_minutes} min")
    if fired_at is not None:
        stamp = f"{fired_at:%Y-%m-%d %H:%M} UTC"
        when.append(f"({stamp})" if when else stamp)
    text = " ".join(when) + (": " if when else "") + " ".join((message or "").split())
    if severity:
        text += f" [{severity}]"
    return text[:MAX_CELL]


def with_timeline(findings: Mapping[str, Any] | None, entries: Iterable[str]) -> dict[str, Any]:
    """The findings with `entries` added to the end of their timeline: an entry already there is not added
    twice, blank ones are left out, and the list stops at the number of entries a list may hold."""
    out = {kind: list((findings or {}).get(kind) or []) for kind in FINDING_KINDS}
    timeline = out["timeline"]
    present = {str(e).strip() for e in timeline}
    for entry in entries:
        if len(timeline) >= MAX_ROWS:
            break
        if entry.strip() and entry.strip() not in present:
            timeline.append(entry)
            present.add(entry.strip())
    return out
