"""/notifications (SPEC §9, §12): the list, marking read, following a notification, and the unread count the
navigation polls. Not cached: the list and the count are the viewer's own and change with every event."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import htmx
from ..services import notifications as service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

READ_EVENT = "notifications-read"


MAX_PAGE = 100_000      # past any real list, and far inside the database's OFFSET range


def _page_number() -> int:
    """The `page` argument; anything that is not a page number is the first page, a huge one the last."""
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
    except ValueError:
        return 1


def _unread_only() -> bool:
    return request.args.get("unread") in ("1", "true", "on")


@bp.get("")
@login_required
def index():
    found = service.page_of(current_user, _page_number(), unread=_unread_only())
    return render_template("notifications/index.html", notifications=found.items, page=found.page,
                           pages=max(1, found.pages), total=found.total, unread_only=_unread_only(),
                           unread=service.unread_count(current_user))


@bp.get("/count")
def count():
    """The navigation's unread count (polled by htmx). `shown` is the count the page shows now: the same count
    answers 204, so nothing is swapped and nothing announced; a changed one is announced politely."""
    if not getattr(current_user, "is_authenticated", False):
        return render_template("notifications/_count.html", count=0, announce=False)
    unread = service.unread_count(current_user)
    shown = request.args.get("shown", "")
    if shown.isdigit() and int(shown) == unread:
        return "", 204
    return render_template("notifications/_count.html", count=unread, announce=shown.isdigit())


@bp.get("/<int:notification_id>/open")
@login_required
def open_(notification_id: int):
    """Follow a notification: it is marked read, then the browser goes to the thing it names."""
    target = service.open_target(current_user, notification_id)
    if target is None:
        flash("What this notification was about no longer exists.", "error")
        return redirect(url_for("notifications.index"), 303)
    return redirect(target, 303)


def _form_page() -> int:
    page = request.form.get("page", "")
    return int(page) if page.isdigit() and 0 < int(page) <= MAX_PAGE else 1


def _back():
    page = _form_page()
    args = {"page": page} if page > 1 else {}
    if request.form.get("unread") == "1":
        args["unread"] = 1
    return redirect(url_for("notifications.index", **args), 303)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    notification = service.mark_one_read(current_user, notification_id)
    if htmx.wants(f"notification-{notification_id}"):
        resp = make_response(render_template("notifications/_item.html", n=notification,
                                             page=_form_page(), unread_only=False))
        return htmx.trigger(resp, READ_EVENT)
    flash("Marked read.", "success")
    return _back()


@bp.post("/read-all")
@login_required
def read_all():
    marked = service.mark_all_read(current_user)
    flash(f"Marked {marked} notification{'' if marked == 1 else 's'} read." if marked
          else "Nothing was unread.", "success")
    return _back()
