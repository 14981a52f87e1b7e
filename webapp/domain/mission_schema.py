"""The shape of a mission file and a recipe (docs/mission-format.md), declared as marshmallow schemas.

A schema checks each value on its own: its type, whether it is required, its length, its allowed values, and
the nested lists (subtasks, decisions, options, rubric, levels, events, triggers, cues). What relates two values
(unique ids, a `subtask_id` naming a subtask of the same mission, trigger references, the mastery counts) is
checked afterwards by domain.mission_rules, on the data the schema let through.

`load(schema, data)` returns (the loaded data, [(field path, rule)]): the paths are written as in the docs,
`escalation_events[2].triggers[0].subtask_id`. The loaded data keeps every list index of the input (an item
that is not a mapping loads as an empty one), so later rules name the same paths.
"""
from __future__ import annotations

import math
import re
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate

from .catalogue import SEVERITIES, TIERS, TRACKS
from .text import check_text

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78}[a-z0-9])$")
ATTACK_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
WORD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TRIGGER_KINDS = ("subtask_started", "subtask_completed", "decision", "time_elapsed")

REQUIRED = object()     # an absent or empty value is refused
OMIT = object()         # an absent key stays absent from the output; a present one must be valid

IS_REQUIRED = "is required"
SLUG_RULE = "must be 3-80 lowercase letters, digits and dashes"
WORD_RULE = "must be a lowercase snake_case word"
BARE_ON = 'write the key as "on" in quotes: YAML reads a bare on as true'


def one_of(values) -> str:
    return f"must be one of {', '.join(values)}"


# ---- field types ----------------------------------------------------------------------------------------------

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
    """Text cleaned by domain.text (NUL refused, line breaks normalised, stripped; Markdown keeps its indent)."""

    def __init__(self, *, max_len: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_len = max_len

    def is_empty(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> str:
        text, rule = check_text(value, limit=self.max_len, block=True)
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


class Slug(Value):
    default_error_messages = {"required": SLUG_RULE}

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> str:
        if not isinstance(value, str) or not SLUG_RE.match(value):
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


def word() -> Text:
    return Text(validate=validate.Regexp(WORD_RE, error=WORD_RULE))


# ---- schemas --------------------------------------------------------------------------------------------------

class Shape(Schema):
    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "must be a mapping"}


class Tagged(Shape):
    attack_techniques = Items(Entry(validate=validate.Regexp(
        ATTACK_RE, error="'{input}' is not a MITRE ATT&CK technique id (T1234 or T1234.001)")))
    nice_roles = Items(Entry())      # checked against the vocabulary by the rules


class OptionSchema(Shape):
    id = Text(max_len=80)
    label = Text()


class DecisionSchema(Shape):
    id = Text(max_len=80)
    prompt = Text()
    options = Items(Mapping(OptionSchema), empty=REQUIRED, at_least=(2, "needs at least two options"))


class SubtaskSchema(Shape):
    id = Whole(minimum=1)
    title = Text(max_len=200)
    instructions = Text()
    decisions = Items(Mapping(DecisionSchema))


class LevelSchema(Shape):
    score = Whole(minimum=0)
    label = Text()
    descriptor = Text()


class CriterionSchema(Tagged):
    id = Text(max_len=80)
    criterion = Text()
    description = Text()
    weight = Positive("must be a number greater than 0")
    levels = Items(Mapping(LevelSchema), empty=REQUIRED, at_least=(2, "needs at least two levels"))


class CueSchema(Shape):
    cue_type = word()
    description = Text()
    location = Text()
    significance = Text()


class EnvironmentalCueSchema(CueSchema):
    subtask_id = Whole()


class SubtaskTriggerSchema(Shape):
    on = fields.String()
    subtask_id = Whole()


class DecisionTriggerSchema(Shape):
    on = fields.String()
    decision_id = Text()
    choice = Text()


class TimeTriggerSchema(Shape):
    on = fields.String()
    minutes = Positive("must be a number of minutes greater than 0")


TRIGGER_SCHEMAS: dict[str, Schema] = {
    "subtask_started": SubtaskTriggerSchema(), "subtask_completed": SubtaskTriggerSchema(),
    "decision": DecisionTriggerSchema(), "time_elapsed": TimeTriggerSchema()}


class Trigger(fields.Field):
    """A trigger loads by the schema of its `on` kind."""

    default_error_messages = {"null": "must be a mapping"}

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping")
        kind = value.get("on")
        if kind is None and True in value:
            raise ValidationError({"on": [BARE_ON]})
        if not isinstance(kind, str) or kind not in TRIGGER_SCHEMAS:
            raise ValidationError({"on": [f"unknown trigger kind {kind!r}; expected one of {', '.join(TRIGGER_KINDS)}"]})
        return TRIGGER_SCHEMAS[kind].load(value)


class ConsequencesSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"type": "must be a mapping", "unknown": "is not a known consequence"}
    severity = Choice(SEVERITIES, empty=OMIT)
    message = Text(empty=OMIT)
    score_penalty = Whole(minimum=0, empty=OMIT)
    unlock_subtask = Whole(empty=OMIT)
    reveal_cue = Mapping(CueSchema, empty=OMIT)


class EventSchema(Shape):
    subtask_id = Whole()
    event_type = word()
    description = Text()
    triggers = Items(Trigger(), empty=REQUIRED, at_least=(1, "needs at least one trigger"))
    consequences = Mapping(ConsequencesSchema, empty=dict)


class MissionSchema(Tagged):
    slug = Slug()
    title = Text(max_len=200)
    track = Choice(TRACKS)
    tier = Choice(TIERS)
    summary = Text(max_len=1000)
    scenario = Text()
    mentor_notes = Text(empty="")
    estimated_minutes = Whole(minimum=1)
    skills = Items(Entry())
    subtasks = Items(Mapping(SubtaskSchema), empty=REQUIRED)
    rubric = Items(Mapping(CriterionSchema), empty=REQUIRED)
    escalation_events = Items(Mapping(EventSchema))
    environmental_cues = Items(Mapping(EnvironmentalCueSchema))
    is_published = Flag(empty=True)


class RecipeSchema(Shape):
    slug = Slug()
    title = Text(max_len=200)
    track = Choice(TRACKS)
    summary = Text(max_len=1000)
    url = Text(empty=None, max_len=500,
               validate=validate.Regexp(r"^https?://", error="must start with https:// or http://"))
    body = Text(empty=None)
    duration_minutes = Whole(minimum=1)
    skill_tags = Items(Entry())


MISSION = MissionSchema()
RECIPE = RecipeSchema()


# ---- loading --------------------------------------------------------------------------------------------------

def flatten(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error messages as (path, rule): `subtasks[0].decisions[1].id`."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if key == "_schema":
                where = path
            elif isinstance(key, int):
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
