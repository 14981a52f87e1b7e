"""The shape of a mission file and a recipe (docs/mission-format.md), declared as marshmallow schemas.

A schema checks each value on its own: its type, whether it is required, its length, its allowed values, and
the nested lists (subtasks, decisions, options, rubric, levels, events, triggers, cues). What relates two values
(unique ids, a `subtask_id` naming a subtask of the same mission, trigger references, the mastery counts) is
checked afterwards by domain.mission_rules, on the data the schema let through.

The field types and `load` are domain.shapes: `load(MISSION, data)` returns (the loaded data, [(field path,
rule)]), the paths written as in the docs (`escalation_events[2].triggers[0].subtask_id`); the loaded data keeps
every list index of the input, so the later rules name the same paths.
"""
from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from . import shapes
from .catalogue import SEVERITIES, TIERS, TRACKS
from .phase_fields import PHASES as PHASE_KEYS
from .shapes import OMIT, REQUIRED, Choice, Entry, Flag, Items, Mapping, Positive, Shape, Value, Whole

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78}[a-z0-9])$")
ATTACK_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
ATLAS_RE = re.compile(r"^AML\.T\d{4}(?:\.\d{3})?$")
CHECK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
WORD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TRIGGER_KINDS = ("subtask_started", "subtask_completed", "decision", "time_elapsed", "subtask_open_for")
CHECK_KINDS = ("answer", "choice", "keywords")

SLUG_RULE = "must be 3-80 lowercase letters, digits and dashes"
WORD_RULE = "must be a lowercase snake_case word"
BARE_ON = 'write the key as "on" in quotes: YAML reads a bare on as true'


class Text(shapes.Text):
    """Text of a mission file: Markdown of several lines keeps its indentation and ends with one line break."""

    def __init__(self, **kwargs: Any):
        super().__init__(block=True, **kwargs)


class Slug(Value):
    default_error_messages = {"required": SLUG_RULE}

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> str:
        if not isinstance(value, str) or not SLUG_RE.match(value):
            raise self.make_error("required")
        return value


def word() -> Text:
    return Text(validate=validate.Regexp(WORD_RE, error=WORD_RULE))


# ---- schemas --------------------------------------------------------------------------------------------------

class Tagged(Shape):
    attack_techniques = Items(Entry(validate=validate.Regexp(
        ATTACK_RE, error="'{input}' is not a MITRE ATT&CK technique id (T1234 or T1234.001)")))
    atlas_techniques = Items(Entry(validate=validate.Regexp(
        ATLAS_RE, error="'{input}' is not a MITRE ATLAS technique id (AML.T0051 or AML.T0051.000)")))
    nice_roles = Items(Entry())      # checked against the vocabulary by the rules


class OptionSchema(Shape):
    id = Text(max_len=80)
    label = Text()
    debrief = Text(empty=OMIT)       # why an expert would or would not choose it (after the attempt)


# ---- checks (SPEC §3.1): one schema per kind, chosen by `kind` ---------------------------------------------------

class CheckOptionSchema(Shape):
    id = Text(max_len=80)
    label = Text()


class CheckSchema(Shape):
    id = Text(validate=validate.Regexp(CHECK_ID_RE, error="must be 1-80 lowercase letters, digits, - and _"))
    kind = fields.String()
    points = Positive("must be a number of points greater than 0")
    explanation = Text()


class AnswerCheckSchema(CheckSchema):
    prompt = Text()
    accept = Items(Entry(max_len=200), empty=REQUIRED, at_least=(1, "needs at least one accepted answer"))


class ChoiceCheckSchema(CheckSchema):
    prompt = Text()
    options = Items(Mapping(CheckOptionSchema), empty=REQUIRED, at_least=(2, "needs at least two options"))
    correct = Items(Entry(max_len=80), empty=REQUIRED, at_least=(1, "names at least one correct option"))
    multiple = Flag(empty=False)


class KeywordsCheckSchema(CheckSchema):
    groups = Items(Items(Entry(max_len=100), empty=REQUIRED, at_least=(1, "needs at least one word")),
                   empty=REQUIRED, at_least=(1, "needs at least one group"))
    min = Whole(minimum=1)


CHECK_SCHEMAS: dict[str, Schema] = {
    "answer": AnswerCheckSchema(), "choice": ChoiceCheckSchema(), "keywords": KeywordsCheckSchema()}


class Check(fields.Field):
    """A check loads by the schema of its `kind`."""

    default_error_messages = {"null": "must be a mapping"}

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping")
        kind = value.get("kind")
        if not isinstance(kind, str) or kind not in CHECK_SCHEMAS:
            raise ValidationError({"kind": [f"unknown check kind {kind!r}; expected one of {', '.join(CHECK_KINDS)}"]})
        return CHECK_SCHEMAS[kind].load(value)


class DecisionSchema(Shape):
    id = Text(max_len=80)
    prompt = Text()
    options = Items(Mapping(OptionSchema), empty=REQUIRED, at_least=(2, "needs at least two options"))


class SubtaskSchema(Shape):
    id = Whole(minimum=1)
    title = Text(max_len=200)
    instructions = Text()
    decisions = Items(Mapping(DecisionSchema))
    checks = Items(Check())
    key_points = Items(Entry())
    model_answer = Text(empty=OMIT)


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


class OpenForTriggerSchema(TimeTriggerSchema):
    subtask_id = Whole()


TRIGGER_SCHEMAS: dict[str, Schema] = {
    "subtask_started": SubtaskTriggerSchema(), "subtask_completed": SubtaskTriggerSchema(),
    "decision": DecisionTriggerSchema(), "time_elapsed": TimeTriggerSchema(),
    "subtask_open_for": OpenForTriggerSchema()}


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
            expected = ", ".join(TRIGGER_KINDS)
            raise ValidationError({"on": [f"unknown trigger kind {kind!r}; expected one of {expected}"]})
        return TRIGGER_SCHEMAS[kind].load(value)


class ConsequencesSchema(Shape):
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


class _Brief(Shape):
    class Meta:
        unknown = RAISE

    error_messages = {"type": "must be a mapping", "unknown": "is not a capstone phase"}


# Guidance for each capstone phase (SPEC §4): Markdown keyed by phase; an unknown key is refused.
CapstoneBriefSchema = _Brief.from_dict({key: Text(empty=OMIT) for key in PHASE_KEYS}, name="CapstoneBriefSchema")


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
    debrief = Text(empty="")         # what an expert would have done (on the completed attempt's summary)
    capstone_brief = Mapping(CapstoneBriefSchema, empty=dict)
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
