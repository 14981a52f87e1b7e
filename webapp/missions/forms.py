from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..domain.catalogue import TIER_LABELS, TIERS, TRACK_LABELS, TRACKS

# The viewer's standing at a mission (missions/queries.py: VIEWER_STATUSES), as the filter and the badges say it.
STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "completed": "Completed"}


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select or radio field."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChoiceField(SelectField):
    """A select whose refusal names the values it accepts."""

    def pre_validate(self, form):
        values = [choice.value for choice in self.choices]
        if self.data and self.data not in values:
            allowed = ", ".join(value for value in values if value)
            raise ValidationError(f"Unknown {self.label.text.lower()} “{self.data}”. Choose one of: {allowed}.")


class MissionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    track = ChoiceField("Track", choices=options([("", "All tracks")]
                                                 + [(t, TRACK_LABELS[t]) for t in TRACKS]),
                        validators=[Optional()], validate_choice=True)
    tier = ChoiceField("Tier", choices=options([("", "All tiers")] + [(t, TIER_LABELS[t]) for t in TIERS]),
                       validators=[Optional()], validate_choice=True)
    q = SearchField("Search", validators=[Optional(), Length(max=100, message="Search with at most 100 characters.")])
    status = ChoiceField("Your progress", choices=options([("", "Any progress")] + list(STATUS_LABELS.items())),
                         validators=[Optional()], validate_choice=True)
