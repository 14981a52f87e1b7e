"""Reading a phase form: repeatable rows arrive as repeated names (`decisions_made-rationale`, one per row, in
order), so rows need no indexes and work the same with or without JavaScript."""
from __future__ import annotations

from typing import Any

from ..domain.capstone_rules import ROW_FIELDS
from ..domain.phases import FINDING_KINDS, SPECS


def phase_data(phase: str, form) -> dict[str, Any]:
    """The values of one phase's fields as the learner typed them (not yet cleaned)."""
    data: dict[str, Any] = {}
    for spec in SPECS[phase].fields:
        name = spec.name
        if spec.kind == "lists":
            data[name] = {kind: form.getlist(f"{name}-{kind}") for kind in spec.lists}
        elif spec.kind == "rows":
            columns = spec.column_names
            lists = [form.getlist(f"{name}-{col}") for col in columns]
            count = max((len(v) for v in lists), default=0)
            data[name] = [{col: (values[i] if i < len(values) else "") for col, values in zip(columns, lists)}
                          for i in range(count)]
        else:
            data[name] = form.get(name, "")
    return data


def with_row_added(data: dict[str, Any], field: str) -> dict[str, Any]:
    """The no-JavaScript 'Add a row' button: the same values plus one blank row."""
    if field.startswith("investigation_findings-"):
        kind = field.split("-", 1)[1]
        if kind in FINDING_KINDS and "investigation_findings" in data:
            data["investigation_findings"][kind].append("")
    elif field in ROW_FIELDS and field in data:
        data[field].append({col: "" for col in ROW_FIELDS[field]})
    return data


def with_row_removed(data: dict[str, Any], field: str, index: str) -> dict[str, Any]:
    """The no-JavaScript 'Remove' button: the same values without that row."""
    try:
        i = int(index)
    except ValueError:
        return data
    if field.startswith("investigation_findings-"):
        kind = field.split("-", 1)[1]
        rows = data.get("investigation_findings", {}).get(kind)
    else:
        rows = data.get(field) if field in ROW_FIELDS else None
    if isinstance(rows, list) and 0 <= i < len(rows):
        rows.pop(i)
    return data
