from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, SelectField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.catalogue import ROLES, TRACK_LABELS, TRACKS
from ..missions.forms import options


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Search users", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices=options([("", "All roles")] + [(r, r.capitalize()) for r in ROLES]),
                       validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=options([(r, r.capitalize()) for r in ROLES]))


class ActiveForm(FlaskForm):
    """Only the CSRF token: the action is in the URL."""


class AssignmentForm(FlaskForm):
    mentor_email = EmailField("Mentor's email", validators=[DataRequired(message="Enter the mentor's email.")])
    learner_email = EmailField("Learner's email", validators=[DataRequired(message="Enter the learner's email.")])
    track = SelectField("Track", choices=options([("", "All tracks")]
                                                 + [(t, TRACK_LABELS[t]) for t in TRACKS]),
                        validators=[Optional()])
