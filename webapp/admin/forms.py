from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.catalogue import ROLES, TRACK_LABELS, TRACKS
from ..missions.forms import options
from ..services.accounts import MIN_PASSWORD


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


class CreateUserForm(FlaskForm):
    """Ids of their own: the page holds the filter, this form and the invitation form, which share field names."""

    email = EmailField("Email", id="new-email",
                       validators=[DataRequired(message="Enter the email."), Length(max=254)])
    display_name = StringField("Name", id="new-display-name",
                               validators=[DataRequired(message="Enter the name others will see."), Length(max=120)])
    handle = StringField("Handle", id="new-handle",
                         description="3-40 lowercase letters, digits, - or _ (their /p/<handle>).",
                         validators=[DataRequired(message="Choose a handle."), Length(max=40)])
    role = SelectField("Role", id="new-role", choices=options([(r, r.capitalize()) for r in ROLES]))
    mentor_email = EmailField("Mentor's email (optional)", id="new-mentor-email",
                              validators=[Optional(), Length(max=254)])
    password = PasswordField("Password", id="new-password",
                             description=f"At least {MIN_PASSWORD} characters; leave empty to send an invitation "
                                         "instead.", validators=[Optional()])
    send_invitation = BooleanField("Send an invitation instead: they choose their password from the e-mail",
                                   id="new-send-invitation")


class InviteForm(FlaskForm):
    email = EmailField("Email", id="invite-email",
                       validators=[DataRequired(message="Enter the email to invite."), Length(max=254)])
    role = SelectField("Role", id="invite-role", choices=options([(r, r.capitalize()) for r in ROLES]))
    mentor_email = EmailField("Mentor's email (optional)", id="invite-mentor-email",
                              validators=[Optional(), Length(max=254)])
