from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, SelectField, StringField, TextAreaField
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


class CohortForm(FlaskForm):
    """A cohort's fields; services.cohorts checks them (domain.cohorts) and the view places its messages."""
    name = StringField("Name", description="For example “Spring 2027 SOC cohort”.")
    track = SelectField("Track", choices=options([("", "Any track")] + [(t, TRACK_LABELS[t]) for t in TRACKS]),
                        validate_choice=False,
                        description="Shown beside the name; the gradebook still picks its track.")
    description = TextAreaField("Description (optional)")


class MemberForm(FlaskForm):
    who = StringField("E-mail or handle", description="A learner joins as a learner, a mentor or admin as a mentor.")
