"""Declared shapes for plain data (mission files today): marshmallow field types with the app's rules and
messages, and the loading that turns marshmallow's nested errors into (field path, rule) pairs.

Each field type has one rule for an absent or empty value (`empty`): REQUIRED refuses it ("is required"), OMIT
leaves an absent key out of the result, anything else is the value used instead. Text goes through
domain.text, so it is cleaned like every other text of the app. `load(schema, data)` never raises: it returns
what loaded (every list index kept, so later rules name the same paths) and the problems, paths written as
`subtasks[0].decisions[1].id`.
"""
from __future__ import annotations

import math
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validates_schema

from .text import check_text

REQUIRED = object()     # an absent or empty value is refused
OMIT = object()         # an absent key stays absent from the output; a present one must be valid
IS_REQUIRED = "is required"


def one_of(values) -> str:
    return f"must be one of {', '.join(values)}"


BROKEN_TEXT = ("is not a key of this mapping and has no value: a comma inside a {…} mapping splits the text "
               "before it; quote the text")


class Shape(Schema):
    """A mapping of declared keys; keys it does not declare are ignored, except one with no value: in YAML,
    `{id: a, label: Isolate it, then watch}` loads as a label "Isolate it" and a key "then watch" with no value,
    which is refused so that the cut text is not shown."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "must be a mapping"}

    @validates_schema(pass_original=True)
    def _no_broken_text(self, data: Any, original: Any, **kwargs: Any) -> None:
        if isinstance(original, dict):
            declared = {f.data_key or name for name, f in self.fields.items()}
            broken = {str(k): [BROKEN_TEXT] for k, v in original.items() if v is None and k not in declared}
            if broken:
                raise ValidationError(broken)


class Value(fields.Field):
    """A field with one rule for an absent or empty value: `empty` is REQUIRED (refused with the `required`
    message), OMIT (an absent key is left out) or the value to use instead."""

    default_error_messages = {"required": IS_REQUIRED}

    def __init__(self, *, empty: Any = REQUIRED, **kwargs: Any):
        super().__init__(**kwargs)
        self.empty = empty

    def is_empty(self, value: Any) -> bool:
        return value is None

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if value is missing and self.empty is OMIT:
            return missing
        if value is missing or self.is_empty(value):
            if self.empty in (REQUIRED, OMIT):
                raise self.make_error("required")
            return self.empty() if callable(self.empty) else self.empty
        output = self._deserialize(value, attr, data, **kwargs)
        self._validate(output)
        return output


class Text(Value):
    """Text cleaned by domain.text (NUL refused, line breaks normalised, stripped); `block` text keeps its
    indentation and ends with one line break (Markdown of a data file)."""

    def __init__(self, *, max_len: int | None = None, block: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_len = max_len
        self.block = block

    def is_empty(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> str:
        text, rule = check_text(value, limit=self.max_len, block=self.block)
        if rule:
            raise ValidationError(rule)
        return text


class Whole(Value):
    """A whole number (true and false are not numbers), at least `minimum`."""

    def __init__(self, *, minimum: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be a whole number")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}")
        return value


class Positive(Value):
    """A real, finite number above 0 (YAML's .nan and .inf are floats too, and JSONB refuses NaN)."""

    def __init__(self, rule: str, **kwargs: Any):
        super().__init__(error_messages={"required": rule}, **kwargs)
        self.rule = rule

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> int | float:
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or value <= 0):
            raise ValidationError(self.rule)
        return value


class Choice(Value):
    """One of `choices`, kept as given."""

    def __init__(self, choices: tuple[str, ...], **kwargs: Any):
        super().__init__(error_messages={"required": one_of(choices)}, **kwargs)
        self.choices = choices

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> Any:
        if value not in self.choices:
            raise self.make_error("required")
        return value


class Flag(Value):
    default_error_messages = {"required": "must be true or false"}

    def is_empty(self, value: Any) -> bool:
        return False

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("required")
        return value


class Items(Value):
    """A list whose items load by `inner`; an absent list is [] unless `empty` says otherwise. `at_least` is
    (the fewest items, the rule), checked also when some items fail. The loaded list keeps every index: an item
    that is not a mapping or fails its own rule is None there, a mapping with bad fields keeps the good ones."""

    def __init__(self, inner: fields.Field, *, empty: Any = list, at_least: tuple[int, str] | None = None,
                 **kwargs: Any):
        super().__init__(empty=empty, **kwargs)
        self.inner = inner
        self.at_least = at_least

    def _bind_to_schema(self, field_name: str, parent) -> None:
        super()._bind_to_schema(field_name, parent)
        self.inner._bind_to_schema(field_name, self)

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError("must be a list")
        result, errors = [], {}
        for i, item in enumerate(value):
            try:
                result.append(self.inner.deserialize(item, **kwargs))
            except ValidationError as exc:
                result.append(exc.valid_data if isinstance(item, dict) and isinstance(exc.valid_data, dict) else None)
                errors[i] = exc.messages
        if self.at_least and len(value) < self.at_least[0]:
            errors["_schema"] = [self.at_least[1]]
        if errors:
            raise ValidationError(errors, valid_data=result)
        return result


class Entry(Text):
    """An entry of a list of text: a blank or non-text entry is refused."""

    default_error_messages = {"required": "must be non-empty text"}

    def is_empty(self, value: Any) -> bool:
        return not isinstance(value, str) or not value.strip()


class Mapping(Value, fields.Nested):
    """A mapping loaded by `schema`."""

    default_error_messages = {"required": "must be a mapping"}

    def __init__(self, schema: type[Schema], *, empty: Any = REQUIRED, **kwargs: Any):
        fields.Nested.__init__(self, schema, **kwargs)
        self.empty = empty

    def is_empty(self, value: Any) -> bool:
        """None; with a default mapping, any empty value (`consequences: []` loads as no consequences)."""
        return value is None or (self.empty is dict and not value)


def flatten(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error messages as (path, rule): `subtasks[0].decisions[1].id`."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if key == "_schema":
                where = path
            elif isinstance(key, int) and not isinstance(key, bool):     # a list index
                where = f"{path}[{key}]"
            else:
                where = f"{path}.{key}" if path else str(key)
            out += flatten(value, where)
        return out
    if isinstance(messages, list):
        return [problem for message in messages for problem in flatten(message, path)]
    return [(path, str(messages))]


def load(schema: Schema, data: dict) -> tuple[dict, list[tuple[str, str]]]:
    """(what loaded, the problems): on problems, the data holds every value that passed its own rules."""
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return (exc.valid_data if isinstance(exc.valid_data, dict) else {}), flatten(exc.messages)
