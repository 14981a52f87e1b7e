"""Notifications (SPEC §8, §12)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...domain.notifications import KINDS, SUBJECT_TYPES
from ...services import notifications as service
from .base import Derived, PageArgs, PersonSchema, an_id, page_schema

MAX_IDS = 500


class NotificationSchema(Schema):
    """Dumps a Notification."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = fields.String(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES),
                                 metadata={"description": "what it is about: its page is `url`"})
    subject_id = fields.Integer(required=True)
    url = Derived.String(value=lambda n: service.link_for(n.subject_type, n.subject_id, _external=True),
                         required=True, metadata={"description": "the page of the thing it is about"})
    actor = fields.Pluck(PersonSchema, "handle", allow_none=True, required=True,
                         metadata={"description": "handle of who caused it (null for reminders)"})
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True, required=True)


NotificationPage = page_schema(NotificationSchema, "NotificationPage")


class NotificationFilterArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only the unread ones"})


class MarkReadBody(Schema):
    ids = fields.List(an_id(), validate=validate.Length(max=MAX_IDS, error=f"at most {MAX_IDS} ids at once"),
                      metadata={"description": "ids of your notifications to mark read; ids that are not yours "
                                               "(or of none) are ignored, and `marked` does not count them"})
    all = fields.Boolean(metadata={"description": "true: mark every one of your notifications read"})

    @validates_schema
    def one_of(self, data, **kwargs):
        if bool(data.get("all")) == ("ids" in data):
            raise ValidationError("Send either `ids` (a list) or `all: true`.", "body")


class MarkReadResultSchema(Schema):
    marked = fields.Integer(required=True, metadata={"description": "how many went from unread to read"})
    unread = fields.Integer(required=True, metadata={"description": "how many of yours are still unread"})
