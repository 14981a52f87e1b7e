"""What every resource's schemas share: ids, the error shape, page arguments and pages, and the fields that dump a
model object (a value the object holds, or one worked out from it)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing, validate

from ...models.base import MAX_ID

MAX_PER_PAGE = 100
BINARY = {"type": "string", "format": "binary"}


def an_id(**kw) -> fields.Integer:
    """An integer naming a row: 1 to MAX_ID, so that no value overflows the database's integer (a 500)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID, error=f"must be between 1 and {MAX_ID}"), **kw)


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = fields.String(required=True)
    existing_id = fields.Integer(metadata={"description": "409 on creating a capstone: the id of the one you have"})
    fields = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "field name -> message for each field at fault"})


class ErrorSchema(Schema):
    """Every 4xx answer: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class PageArgs(Schema):
    # Bounded like an id: a page number past any database integer would overflow the OFFSET (a 500).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID,
                                                                  error=f"must be between 1 and {MAX_ID}"))
    per_page = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"must be between 1 and {MAX_PER_PAGE}"))


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The SPEC's list shape: {"items", "page", "per_page", "total"}; dumps a flask_sqlalchemy Pagination."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
    }, name=name)


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    handle = fields.String(required=True)
    display_name = fields.String(required=True)


class MissionRefSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    track = fields.String(required=True)


# ---- fields that dump a model object ---------------------------------------------------------------------------

class _EmptyWhenNone:
    """A column that may be NULL, answered as the empty value of its type."""

    empty: Callable[[], Any]

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(self.empty() if value is None else value, attr, obj, **kwargs)


class Text(_EmptyWhenNone, fields.String):
    empty = str


class Map(_EmptyWhenNone, fields.Dict):
    empty = dict


class Items(_EmptyWhenNone, fields.List):
    empty = list


class Flag(fields.Boolean):
    """A flag whose NULL means no."""

    def _serialize(self, value, attr, obj, **kwargs):
        return bool(value)


class _FromObject:
    """A field whose value is worked out from the whole object, `value(obj)`, instead of read from one attribute.
    Returning `marshmallow.missing` leaves the key out. Documented as the field type it is mixed into."""

    def __init__(self, *args, value: Callable[[Any], Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.value = value

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.value(obj)


class Derived:
    """Typed fields made from the object: `Derived.String(value=lambda obj: ...)`."""

    class String(_FromObject, fields.String):
        pass

    class Integer(_FromObject, fields.Integer):
        pass

    class Boolean(_FromObject, fields.Boolean):
        pass

    class Float(_FromObject, fields.Float):
        pass

    class DateTime(_FromObject, fields.DateTime):
        pass

    class List(_FromObject, fields.List):
        pass

    class Nested(_FromObject, fields.Nested):
        pass
