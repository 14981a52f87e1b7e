"""The caller's account (SPEC §1, §8)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...domain.catalogue import ROLES


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    handle = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    bio = fields.String(required=True)
    website_url = fields.String(allow_none=True, required=True)
    github_url = fields.String(allow_none=True, required=True)
    linkedin_url = fields.String(allow_none=True, required=True)
    contact_email = fields.String(allow_none=True, required=True, metadata={"description": "shown on the public page"})
    show_scores = fields.Boolean(required=True, metadata={"description": "capstone scores on the public page"})
    created_at = fields.DateTime(required=True)
