from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.portfolio import (DECISIONS, ITEM_TYPE_LABELS, ITEM_TYPES, STATUS_LABELS, STATUSES,
                                VISIBILITIES, VISIBILITY_LABELS)
from ..missions.forms import ChoiceField, options


class ItemFilterForm(FlaskForm):
    class Meta:
        csrf = False

    item_type = ChoiceField("Type", choices=options([("", "All types")]
                                                    + [(t, ITEM_TYPE_LABELS[t]) for t in ITEM_TYPES]),
                            validators=[Optional()], validate_choice=True)
    status = ChoiceField("Status", choices=options([("", "All statuses")]
                                                   + [(s, STATUS_LABELS[s]) for s in STATUSES]),
                         validators=[Optional()], validate_choice=True)
    visibility = ChoiceField("Visibility", choices=options([("", "Any visibility")]
                             + [(v, VISIBILITY_LABELS[v]) for v in VISIBILITIES]),
                             validators=[Optional()], validate_choice=True)


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1   # never a valid id: the service refuses it with a message naming the field


class ItemForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the item a title."),
                                             Length(max=200, message="At most 200 characters.")])
    item_type = ChoiceField("Type", choices=options([(t, ITEM_TYPE_LABELS[t]) for t in ITEM_TYPES]),
                            validate_choice=True)
    summary = TextAreaField("Summary", description="Markdown. What you did, how, and what it shows. A preview "
                                                   "appears below as you type.")
    skill_tags = StringField("Skill tags", description="Separate tags with commas. Suggestions come from the "
                                                       "skills of the mission catalogue.")
    mission_id = SelectField("Mission", coerce=_optional_int, validate_choice=False,
                             description="Optional: a mission you attempted.")
    capstone_id = SelectField("Capstone", coerce=_optional_int, validate_choice=False,
                              description="Optional: one of your capstones.")
    visibility = ChoiceField("Visibility", choices=options([(v, VISIBILITY_LABELS[v]) for v in VISIBILITIES]),
                             validate_choice=True, default="private",
                             description="Only approved items are ever shown to others.")

    def set_links(self, missions, capstones):
        self.mission_id.choices = options([("", "No mission")] + [(m.id, m.title) for m in missions])
        self.capstone_id.choices = options([("", "No capstone")]
                                           + [(c.id, f"Capstone: {c.mission.title}") for c in capstones])


class VisibilityForm(FlaskForm):
    visibility = ChoiceField("Visibility", choices=options([(v, VISIBILITY_LABELS[v]) for v in VISIBILITIES]),
                             validate_choice=True)


class ReviewForm(FlaskForm):
    # The submission the page showed (its time): a decision never covers a resubmission the mentor did not see.
    seen = HiddenField()
    decision = RadioField("Decision", choices=options([("approve", "Approve"),
                                                       ("request_changes", "Request changes")]),
                          validators=[DataRequired("Choose approve or request changes.")])
    note = TextAreaField("Note to the learner", description="Required when you ask for changes. Only the learner "
                                                            "and their mentors read it.",
                         validators=[Length(max=5000)])
    public_note = TextAreaField("Public note (optional)", description="Shown on the learner's public page as your "
                                "verdict when you approve. Markdown or plain text. Leave it empty to show nothing.",
                                validators=[Length(max=5000)])


class ButtonForm(FlaskForm):
    """A form that is only a button (CSRF token included)."""

    key = HiddenField()


__all__ = ["DECISIONS", "ButtonForm", "ItemFilterForm", "ItemForm", "ReviewForm", "VisibilityForm"]
