"""Notification endpoints of SPEC §8: the caller's notifications, and marking them read."""
from __future__ import annotations

from flask import g
from sqlalchemy.orm import joinedload

from ..models import Notification
from ..services import notifications as service
from .core import Blueprint, paginate
from .schemas.notifications import MarkReadBody, MarkReadResultSchema, NotificationFilterArgs, NotificationPage

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@bp.authenticated(errors=(404, 422))
@bp.arguments(NotificationFilterArgs, location="query")
@bp.response(200, NotificationPage)
def list_notifications(args):
    """Your notifications

    Newest first; `unread=true` lists only the unread ones. Each names what it is about (`subject_type`,
    `subject_id`) and links to its page (`url`)."""
    stmt = service.list_statement(g.api_user, unread=args["unread"]).options(joinedload(Notification.actor))
    return paginate(stmt, args)


@bp.post("/notifications/read")
@bp.authenticated(errors=(400, 422))
@bp.arguments(MarkReadBody)
@bp.response(200, MarkReadResultSchema)
def mark_notifications_read(body):
    """Mark notifications read

    `{"ids": [...]}` marks those of yours; ids of other people's notifications, or of none, are ignored (so
    nobody learns which ids exist) and not counted in `marked`. `{"all": true}` marks all of yours."""
    user = g.api_user
    marked = service.mark_all_read(user) if body.get("all") else service.mark_read(user, body.get("ids") or [])
    return {"marked": marked, "unread": service.unread_count(user)}
