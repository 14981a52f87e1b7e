"""The gradebook's rules that are not queries (SPEC §13): what a cell says, and CSV cells that a spreadsheet
cannot run. Plain Python: no Flask or SQLAlchemy."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

SORTS = ("name", "-name", "average", "-average")
# A spreadsheet reads a cell starting with these as a formula (OWASP "CSV injection"); tab and carriage return can
# start one too once the cell is trimmed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """A CSV cell as text a spreadsheet shows and never evaluates: one that could start a formula gets a leading
    apostrophe. Numbers are written as they are (a negative number cannot occur in the gradebook)."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell.normalize():f}"       # 88.00 -> "88", 87.50 -> "87.5"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return str(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def average(scores: Iterable[float | int | None]) -> float | None:
    """The mean of the scores a learner has (missions not attempted do not count), or None without any."""
    values = [float(s) for s in scores if s is not None]
    return round(sum(values) / len(values), 2) if values else None
