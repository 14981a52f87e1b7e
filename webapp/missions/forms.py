from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from ..domain.catalogue import TIER_LABELS, TIERS, TRACK_LABELS, TRACKS


class MissionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    track = SelectField("Track", choices=[("", "All tracks")] + [(t, TRACK_LABELS[t]) for t in TRACKS],
                        validators=[Optional()], validate_choice=True)
    tier = SelectField("Tier", choices=[("", "All tiers")] + [(t, TIER_LABELS[t]) for t in TIERS],
                       validators=[Optional()], validate_choice=True)
    q = SearchField("Search", validators=[Optional(), Length(max=100, message="Search with at most 100 characters.")])
