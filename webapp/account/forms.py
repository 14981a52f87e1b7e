from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from ..services.accounts import MIN_PASSWORD


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(message="Enter the name others will see."),
                                                           Length(max=120)])
    handle = StringField("Handle", description="Your public portfolio address is /p/<handle>.", validators=[
        DataRequired(message="Choose a handle."),
        Regexp(r"^[a-z0-9][a-z0-9_-]{1,38}[a-z0-9]$",
               message="3-40 lowercase letters, digits, - or _; starts and ends with a letter or digit.")])
    bio = TextAreaField("Bio", description="Markdown. Shown on your public portfolio.",
                        validators=[Length(max=5000, message="At most 5000 characters.")])
    # Your public page (services.portfolio.clean_public_links checks them: https only, a real-looking e-mail).
    website_url = URLField("Website", description="Optional. A full https:// address.")
    github_url = URLField("GitHub", description="Optional. Your profile, such as https://github.com/you.")
    linkedin_url = URLField("LinkedIn", description="Optional. Such as https://www.linkedin.com/in/you.")
    contact_email = EmailField("Contact e-mail", description="Optional. Shown on your public page so an employer "
                                                             "can write to you; it can differ from your login.")
    show_scores = BooleanField("Show my capstone scores on my public page",
                               description="Off: visitors see that a mentor approved your capstones, not the scores.")

    LINK_FIELDS = ("website_url", "github_url", "linkedin_url", "contact_email")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(message="Enter your current password.")])
    new_password = PasswordField("New password", description=f"At least {MIN_PASSWORD} characters.", validators=[
        DataRequired(message="Choose a new password."),
        Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters.")])
    confirm = PasswordField("Repeat new password", validators=[
        DataRequired(message="Repeat the new password."),
        EqualTo("new_password", message="The passwords do not match.")])


class TokenForm(FlaskForm):
    name = StringField("Token name", description="What the token is for, e.g. 'CI export'.",
                       validators=[DataRequired(message="Name the token."), Length(max=80)])


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking is a button."""


class EmailChoiceField(SelectField):
    """One kind's e-mail choice; a value not offered names the ones that are, as the select shows them."""

    def pre_validate(self, form):
        from ..domain.notifications import EMAIL_CHOICE_LABELS

        if self.data and self.data not in EMAIL_CHOICE_LABELS:
            raise ValidationError(f"“{self.data}” is not a choice: choose "
                                  f"{', '.join(EMAIL_CHOICE_LABELS.values())}.")


def _email_fields():
    from ..domain import notifications as rules
    from ..missions.forms import options

    return {f"email_{kind}": EmailChoiceField(rules.KIND_LABELS[kind],
                                              choices=options(rules.EMAIL_CHOICE_LABELS.items()))
            for kind in rules.KINDS}


class NotificationEmailForm(FlaskForm):
    """One select per kind of notification: off, immediately, or a daily digest (domain.notifications). A kind
    not sent keeps its choice."""

    def choices(self) -> dict[str, str]:
        from ..domain.notifications import KINDS

        return {kind: self[f"email_{kind}"].data for kind in KINDS if self[f"email_{kind}"].data}

    def kind_fields(self, is_mentor: bool):
        """The selects a user of this role sees (a learner is never told of submissions or claims)."""
        from ..domain.notifications import kinds_for

        return [self[f"email_{kind}"] for kind in kinds_for(is_mentor)]


for _name, _field in _email_fields().items():
    setattr(NotificationEmailForm, _name, _field)
class DeleteAccountForm(FlaskForm):
    """Deleting the account asks for the password and the handle typed out (services/account_data.py)."""
    password = PasswordField("Your password", validators=[DataRequired(message="Enter your password.")])
    confirm_handle = StringField("Type your handle to confirm",
                                 description="Your handle is shown above. This cannot be undone.",
                                 validators=[DataRequired(message="Type your handle to confirm."), Length(max=40)])
