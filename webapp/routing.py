"""URL converters shared by every blueprint, registered by the app factory before any route is added."""
from __future__ import annotations

import re

from werkzeug.routing import BaseConverter, IntegerConverter

from .domain.phases import PHASES


def digits_up_to(n: int) -> str:
    r"""A regular expression for the decimal numbers 0..n, leading zeros allowed; only digits, no sign.
    For 255: 0*(?:\d{1,2}|[0-1]\d{2}|2[0-4]\d{1}|25[0-4]|255)."""
    s = str(n)
    alternatives = [rf"\d{{1,{len(s) - 1}}}"] if len(s) > 1 else []
    for i, digit in enumerate(s):
        if digit != "0":
            rest = len(s) - i - 1
            alternatives.append(s[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    alternatives.append(s)
    return "0*(?:" + "|".join(alternatives) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` limited to the database's integer range (the API's MAX_ID). A larger number names no row, so
    no route matches and the request answers the normal 404, instead of the database driver overflowing on the
    lookup (`OverflowError`, a 500).

    The bound is in the regular expression, not only in `to_python`: werkzeug picks the rule for the method
    before it converts, so a value refused there on a URL that also has rules for other methods would answer
    405 instead of 404. A rule may still ask for a smaller `max` (checked by `to_python`)."""

    def __init__(self, map, *args, **kwargs) -> None:
        from .models.base import MAX_ID

        super().__init__(map, *args, **kwargs)
        self.max = MAX_ID if self.max is None else min(self.max, MAX_ID)
        if not self.fixed_digits:
            self.regex = ("-?" if self.signed else "") + digits_up_to(MAX_ID)


class PhaseConverter(BaseConverter):
    """`<phase:…>`: one of the capstone phases (domain.phases.PHASES). Any other word matches no rule, so the
    request answers the normal 404 at routing and views and services receive only a known phase."""

    regex = "(?:" + "|".join(map(re.escape, PHASES)) + ")"


def init_routing(app) -> None:
    """Replace werkzeug's unbounded `int` converter and add `phase`; must run before the blueprints are
    registered."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["phase"] = PhaseConverter
