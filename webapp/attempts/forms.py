from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

DECISION_PREFIX = "decision-"


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
