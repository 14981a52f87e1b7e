"""The comment bank in the API: /api/v1/comment-snippets (SPEC §13). A mentor's or admin's own snippets only:
another user's is 404, a learner gets 403. The rules are services.snippets and domain.snippets, as for the
pages."""
from __future__ import annotations

from flask import current_app, g

from ..services import snippets as service
from .core import Blueprint, paginate
from .schemas.snippets import (CommentSnippetArgs, CommentSnippetCreate, CommentSnippetPage, CommentSnippetSchema,
                               CommentSnippetUpdate)

bp = Blueprint("comment_snippets", __name__)


@bp.get("/comment-snippets")
@bp.authenticated(errors=(403, 404, 422))
@bp.arguments(CommentSnippetArgs, location="query")
@bp.response(200, CommentSnippetPage)
def list_comment_snippets(args):
    """Your comment-bank snippets

    By title; `q` matches words in the title or the body, `track` keeps those offered in that track's reviews."""
    return paginate(service.listing(g.api_user, args.get("q", ""), args.get("track")), args)


@bp.post("/comment-snippets")
@bp.authenticated(errors=(400, 403, 422))
@bp.arguments(CommentSnippetCreate)
@bp.response(201, CommentSnippetSchema)
def create_comment_snippet(body):
    """Save a snippet

    `title` and `body` are required; `track` null (or absent) offers it in reviews of every track."""
    return service.create(g.api_user, body["title"], body["body"], body.get("track"))


@bp.get("/comment-snippets/<int:snippet_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(200, CommentSnippetSchema)
def get_comment_snippet(snippet_id):
    """One of your snippets

    Another user's snippet is 404."""
    return service.get_owned(g.api_user, snippet_id)


@bp.patch("/comment-snippets/<int:snippet_id>")
@bp.authenticated(errors=(400, 403, 404, 422))
@bp.arguments(CommentSnippetUpdate)
@bp.response(200, CommentSnippetSchema)
def update_comment_snippet(body, snippet_id):
    """Edit a snippet

    The fields sent change; the others keep their values."""
    return service.patch(g.api_user, snippet_id, body)


@bp.delete("/comment-snippets/<int:snippet_id>")
@bp.authenticated(errors=(403, 404))
@bp.response(204)
def delete_comment_snippet(snippet_id):
    """Delete a snippet

    Feedback it was inserted into keeps its text."""
    service.delete(g.api_user, snippet_id)
    return current_app.response_class(status=204)
