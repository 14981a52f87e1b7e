from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from ..domain.catalogue import TIER_LABELS, TIERS, TRACK_LABELS, TRACKS


class ChoiceField(SelectField):
    """A select whose refusal names the values it accepts."""

    def pre_validate(self, form):
        if self.data and self.data not in [value for value, _ in self.choices]:
            allowed = ", ".join(value for value, _ in self.choices if value)
            raise ValidationError(f"Unknown {self.label.text.lower()} “{self.data}”. Choose one of: {allowed}.")


class MissionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    track = ChoiceField("Track", choices=[("", "All tracks")] + [(t, TRACK_LABELS[t]) for t in TRACKS],
                        validators=[Optional()], validate_choice=True)
    tier = ChoiceField("Tier", choices=[("", "All tiers")] + [(t, TIER_LABELS[t]) for t in TIERS],
                       validators=[Optional()], validate_choice=True)
    q = SearchField("Search", validators=[Optional(), Length(max=100, message="Search with at most 100 characters.")])
