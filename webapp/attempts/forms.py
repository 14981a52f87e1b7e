from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

DECISION_PREFIX = "decision-"
CHECK_PREFIX = "check-"


SCOPE_LABEL = "I have read the rules of engagement and will stay within the scope of this engagement."


class StartAttemptForm(FlaskForm):
    """The start button on the mission page (written out in attempts/_start.html)."""

    mission = HiddenField("Mission")
    acknowledge_scope = BooleanField(SCOPE_LABEL)


class ScopeForm(FlaskForm):
    acknowledge_scope = BooleanField(SCOPE_LABEL)


class SubmitSubtaskForm(FlaskForm):
    """The response; decisions are radio groups named decision-<id> (read by decisions_from). The engine
    checks everything, so the form carries no validators of its own (its CSRF token is checked app-wide)."""

    response = TextAreaField("Your response")


class AbandonForm(FlaskForm):
    """Only the CSRF token: the action is in the URL (the page asks for confirmation first)."""


class ReviewRequestForm(FlaskForm):
    """Only the CSRF token: the action is in the URL."""


class TimeMultiplierForm(FlaskForm):
    # Text, not a FloatField: the service names the allowed range in its refusal.
    time_multiplier = StringField("Time multiplier", render_kw={
        "type": "number", "min": "1", "max": "4", "step": "any", "inputmode": "decimal", "class": "short"})


def decisions_from(formdata: MultiDict) -> dict[str, str]:
    """{decision id: option id} from the posted radio groups."""
    return {key[len(DECISION_PREFIX):]: value for key, value in formdata.items()
            if key.startswith(DECISION_PREFIX) and key != DECISION_PREFIX}


def checks_from(formdata: MultiDict) -> dict[str, str | list[str]]:
    """{check id: answer} from the posted check inputs: a text or one option id, or a list of option ids when
    several boxes of one check were ticked (domain.assessment decides what each check accepts)."""
    out: dict[str, str | list[str]] = {}
    for key in formdata:
        if key.startswith(CHECK_PREFIX) and key != CHECK_PREFIX:
            values = formdata.getlist(key)
            out[key[len(CHECK_PREFIX):]] = values[0] if len(values) == 1 else values
    return out


class SelfAssessmentForm(FlaskForm):
    """The key points a learner ticks as covered: checkboxes named `covered` (read with getlist)."""
