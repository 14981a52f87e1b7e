from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from ..services.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(message="Enter your email."), Email(message="Enter a valid email address.",
                                                          check_deliverability=False), Length(max=254)])
    display_name = StringField("Display name", validators=[
        DataRequired(message="Enter the name others will see."), Length(max=120)])
    handle = StringField("Handle", description="Your public portfolio lives at /p/<handle>.", validators=[
        DataRequired(message="Choose a handle."),
        Regexp(r"^[a-z0-9][a-z0-9_-]{1,38}[a-z0-9]$",
               message="3-40 lowercase letters, digits, - or _; starts and ends with a letter or digit.")])
    password = PasswordField("Password", description=f"At least {MIN_PASSWORD} characters.", validators=[
        DataRequired(message="Choose a password."),
        Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters.")])
    confirm = PasswordField("Repeat password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])


def _new_password_fields(label: str = "Password"):
    password = PasswordField(label, description=f"At least {MIN_PASSWORD} characters.", validators=[
        DataRequired(message="Choose a password."),
        Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters.")])
    confirm = PasswordField("Repeat password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])
    return password, confirm


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", description="The address of your account.", validators=[
        DataRequired(message="Enter your email."), Length(max=254, message="At most 254 characters.")])


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields("New password")
    remember = BooleanField("Keep me logged in on this device")


class InvitationForm(FlaskForm):
    display_name = StringField("Display name", validators=[
        DataRequired(message="Enter the name others will see."), Length(max=120)])
    handle = StringField("Handle", description="Your public portfolio lives at /p/<handle>.", validators=[
        DataRequired(message="Choose a handle."),
        Regexp(r"^[a-z0-9][a-z0-9_-]{1,38}[a-z0-9]$",
               message="3-40 lowercase letters, digits, - or _; starts and ends with a letter or digit.")])
    password, confirm = _new_password_fields()
