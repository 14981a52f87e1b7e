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
    created_at = fields.DateTime(required=True)
