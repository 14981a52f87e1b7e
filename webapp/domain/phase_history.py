"""Phase history (SPEC §13): what a capstone phase kept as its mentor reviewed it, and what changed since.

When a review requests changes, each reopened phase is kept as it stood (`kept_values`); the mentor's next look
compares that version with the phase as it is now (`diff_phase`). The comparison follows the phase field table
(`domain.phase_fields`), field by field, each one unchanged, changed, added (empty before) or removed (empty now):
- text (Markdown) fields: a line diff (difflib), each line kept, inserted or deleted;
- one-value fields (a link, a choice): before and after, an uploaded file named by its file name;
- list fields: item by item. The findings' lists (threats, vulnerabilities, timeline, evidence) by entry; the
  rows (artifacts, decisions, design documents, key findings) by row, a changed row naming its changed columns.
  An item edited in place is "changed" (with both texts), not a removal and an addition.
Plain data only: no Flask or SQLAlchemy here.
"""
from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dc_field
from typing import Any

from .phase_fields import FIELDS, SPECS, Field

UNCHANGED, CHANGED, ADDED, REMOVED = "unchanged", "changed", "added", "removed"
STATUS_LABELS = {UNCHANGED: "Unchanged", CHANGED: "Changed", ADDED: "Added", REMOVED: "Removed"}
SAME, INS, DEL = "same", "ins", "del"
LINE_LABELS = {SAME: "", INS: "Added:", DEL: "Removed:"}
NEVER_REOPENED = "This phase was never reopened, so there is no earlier version."


@dataclass(frozen=True)
class Line:
    """One line of a text diff: kept (`same`), inserted (`ins`) or deleted (`del`)."""
    op: str
    text: str

    @property
    def label(self) -> str:
        return LINE_LABELS[self.op]


@dataclass(frozen=True)
class Item:
    """One entry of a list field, or one row: its status, a label naming it, and its text before and after.
    `cells` (rows only): (column label, before, after) of each column a changed row changed."""
    status: str
    label: str
    before: str = ""
    after: str = ""
    cells: tuple[tuple[str, str, str], ...] = ()
    group: str = ""            # the findings: which list (Threats, Timeline, ...)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    kind: str
    status: str
    before: str = ""                       # one-value fields, as shown
    after: str = ""
    lines: tuple[Line, ...] = ()           # text fields
    items: tuple[Item, ...] = dc_field(default=())   # list fields: the items that changed, added or removed

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def changed(self) -> bool:
        return self.status != UNCHANGED


@dataclass(frozen=True)
class PhaseDiff:
    phase: str
    fields: tuple[FieldDiff, ...]

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.fields)

    @property
    def changed_fields(self) -> tuple[FieldDiff, ...]:
        return tuple(f for f in self.fields if f.changed)


# ---- keeping a version ----------------------------------------------------------------------------------------

def kept_values(phase: str, value_of: Callable[[str], Any]) -> dict[str, Any]:
    """The phase's field values as they stand (a deep copy: later edits do not reach it), by field name."""
    return {f.name: copy.deepcopy(value_of(f.name)) for f in SPECS[phase].fields}


def file_name(link: Any, files: Mapping[str, str]) -> str | None:
    """The file name of the upload `link` downloads (a site path ending in /files/<key>, whatever prefix the site
    is served under), when `files` ({key: file name}) has it; else None."""
    if not isinstance(link, str) or not link.startswith("/"):
        return None
    return next((name for key, name in files.items() if link.endswith(f"/files/{key}")), None)


def shown_link(link: Any, files: Mapping[str, str]) -> str:
    """A link as a reader recognises it: an upload by its file name, anything else as written."""
    if not link:
        return ""
    name = file_name(link, files)
    return f"{name} (uploaded file)" if name else str(link)


# ---- the diff -----------------------------------------------------------------------------------------------------

def _status(before_empty: bool, after_empty: bool, equal: bool) -> str:
    if equal:
        return UNCHANGED
    if before_empty:
        return ADDED
    if after_empty:
        return REMOVED
    return CHANGED


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return not any(value.values())
    return value in (None, "", [], {})


def text_lines(before: str, after: str) -> tuple[Line, ...]:
    """A readable line diff: every line of both texts, in order, each kept, deleted or inserted."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    out: list[Line] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Line(SAME, t) for t in old[i1:i2]]
            continue
        out += [Line(DEL, t) for t in old[i1:i2]]
        out += [Line(INS, t) for t in new[j1:j2]]
    return tuple(out)


def _paired(old: list, new: list) -> list[tuple[Any, Any]]:
    """Align two lists (difflib): (before, after) for each entry changed in place, (before, None) for one removed,
    (None, after) for one added; entries kept as they were are left out."""
    out: list[tuple[Any, Any]] = []
    keys_old = [_key(v) for v in old]
    keys_new = [_key(v) for v in new]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = old[i1:i2], new[j1:j2]
        common = min(len(olds), len(news)) if op == "replace" else 0
        out += list(zip(olds[:common], news[:common]))
        out += [(o, None) for o in olds[common:]]
        out += [(None, n) for n in news[common:]]
    return out


def _key(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    return value


def _cell(spec: Field, column: str, value: Any, files: Mapping[str, str]) -> str:
    kind = next((c.kind for c in spec.columns if c.name == column), "text")
    return shown_link(value, files) if kind == "url" else str(value or "")


def _row_label(spec: Field, row: Mapping, files: Mapping[str, str]) -> str:
    """What names a row: its first one-line text (the decision, title, finding), else its link (an upload by its
    file name), else its first long text."""
    for kinds in (("text",), ("url",), ("long",)):
        for c in spec.columns:
            if c.kind in kinds and row.get(c.name):
                return _cell(spec, c.name, row.get(c.name), files)
    return "(empty row)"


def _row_text(spec: Field, row: Mapping, files: Mapping[str, str]) -> str:
    return " · ".join(f"{c.label}: {_cell(spec, c.name, row.get(c.name), files)}"
                      for c in spec.columns if row.get(c.name))


def _rows(spec: Field, old: list, new: list, files_before: Mapping[str, str],
          files_now: Mapping[str, str]) -> tuple[Item, ...]:
    items = []
    for before, after in _paired([r for r in old if isinstance(r, dict)], [r for r in new if isinstance(r, dict)]):
        if after is None:
            items.append(Item(REMOVED, _row_label(spec, before, files_before),
                              before=_row_text(spec, before, files_before)))
        elif before is None:
            items.append(Item(ADDED, _row_label(spec, after, files_now), after=_row_text(spec, after, files_now)))
        else:
            cells = tuple((c.label, _cell(spec, c.name, before.get(c.name), files_before),
                           _cell(spec, c.name, after.get(c.name), files_now))
                          for c in spec.columns if (before.get(c.name) or "") != (after.get(c.name) or ""))
            items.append(Item(CHANGED, _row_label(spec, after, files_now), before=_row_text(spec, before, files_before),
                              after=_row_text(spec, after, files_now), cells=cells))
    return tuple(items)


def _lists(spec: Field, old: Mapping, new: Mapping) -> tuple[Item, ...]:
    items = []
    for name in spec.lists:
        group = name.replace("_", " ").capitalize()
        before = [str(v) for v in (old.get(name) or [])] if isinstance(old, Mapping) else []
        after = [str(v) for v in (new.get(name) or [])] if isinstance(new, Mapping) else []
        for b, a in _paired(before, after):
            if a is None:
                items.append(Item(REMOVED, b, before=b, group=group))
            elif b is None:
                items.append(Item(ADDED, a, after=a, group=group))
            else:
                items.append(Item(CHANGED, a, before=b, after=a, group=group))
    return tuple(items)


def diff_field(spec: Field, before: Any, after: Any, files_before: Mapping[str, str] | None = None,
               files_now: Mapping[str, str] | None = None) -> FieldDiff:
    """How one field changed between the kept version (`before`) and now (`after`). `files_*`: {key: file name}
    of the uploads each side links to, so a replaced file reads by name."""
    files_before, files_now = files_before or {}, files_now or {}
    status = _status(_empty(before), _empty(after), _key_deep(before) == _key_deep(after))
    base = {"name": spec.name, "label": spec.label, "kind": spec.kind, "status": status}
    if status == UNCHANGED:
        return FieldDiff(**base)
    if spec.kind == "markdown":
        return FieldDiff(**base, lines=text_lines(before or "", after or ""))
    if spec.kind == "lists":
        return FieldDiff(**base, items=_lists(spec, before or {}, after or {}))
    if spec.kind == "rows":
        return FieldDiff(**base, items=_rows(spec, list(before or []), list(after or []), files_before, files_now))
    if spec.kind == "url":
        return FieldDiff(**base, before=shown_link(before, files_before), after=shown_link(after, files_now))
    return FieldDiff(**base, before=str(before or ""), after=str(after or ""))


def _key_deep(value: Any) -> Any:
    """A comparable form: an empty value of any shape is the same as none, and dict order does not count."""
    if _empty(value):
        return None
    if isinstance(value, dict):
        return tuple(sorted((str(k), _key_deep(v)) for k, v in value.items() if not _empty(v)))
    if isinstance(value, list):
        return tuple(_key_deep(v) for v in value)
    return value


def diff_phase(phase: str, kept: Mapping[str, Any], current: Mapping[str, Any],
               files_before: Mapping[str, str] | None = None,
               files_now: Mapping[str, str] | None = None) -> PhaseDiff:
    """Field by field, in the table's order, how the phase changed since the kept version."""
    return PhaseDiff(phase, tuple(diff_field(FIELDS[f.name], kept.get(f.name), current.get(f.name),
                                             files_before, files_now) for f in SPECS[phase].fields))
