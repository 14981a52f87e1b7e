"""Schemas of /api/v1/comment-snippets (the comment bank). What a snippet may hold (required, lengths, the track)
is checked once, by domain.snippets.clean_snippet, whose 422 names each field; these schemas check shapes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...domain import snippets as rules
from ...domain.catalogue import TRACKS
from .base import PageArgs, page_schema


class CommentSnippetSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Markdown, inserted as it is into feedback"})
    track = fields.String(allow_none=True, required=True,
                          metadata={"description": "offered in reviews of this track only; null: every track"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


CommentSnippetPage = page_schema(CommentSnippetSchema, "CommentSnippetPage")


class CommentSnippetArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=rules.SEARCH_MAX), metadata={
        "description": "words in the title or the body (case-insensitive)"})
    track = fields.String(validate=validate.OneOf(TRACKS), metadata={
        "description": "only the snippets offered in this track's reviews (the global ones and the track's)"})


class CommentSnippetUpdate(Schema):
    title = fields.String(metadata={"description": f"required, one line, at most {rules.TITLE_MAX} characters"})
    body = fields.String(metadata={"description": f"Markdown, required, at most {rules.BODY_MAX} characters"})
    track = fields.String(allow_none=True, metadata={"description": "one of the tracks, or null for every track"})


class CommentSnippetCreate(CommentSnippetUpdate):
    title = fields.String(required=True, metadata={"description": f"one line, at most {rules.TITLE_MAX} characters"})
    body = fields.String(required=True, metadata={"description": f"Markdown, at most {rules.BODY_MAX} characters"})
