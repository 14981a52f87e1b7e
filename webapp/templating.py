"""Jinja filters, globals and the context every page gets."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import request
from flask_login import current_user

from . import htmx
from .domain import catalogue, phases, portfolio, uploads
from .markdown import render as render_markdown


def _when(value: datetime | None, fmt: str = "%d %b %Y, %H:%M UTC") -> str:
    if not value:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(fmt)


def _date(value: datetime | None) -> str:
    return _when(value, "%d %b %Y")


def _duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def _filesize(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def render_page(title: str, content: str, meta: str = "") -> str:
    """The layout around content a view rendered itself (often kept in webapp/cache.py): `content` and `meta`
    must be the output of our own autoescaping templates."""
    from flask import render_template
    from markupsafe import Markup

    return render_template("_page.html", title=title, content=Markup(content), meta=Markup(meta))  # nosec B704


def init_templating(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(markdown=render_markdown, when=_when, date=_date, duration=_duration,
                               filesize=_filesize)
    app.jinja_env.globals.update(
        TRACKS=catalogue.TRACKS, TRACK_LABELS=catalogue.TRACK_LABELS, TIERS=catalogue.TIERS,
        TIER_LABELS=catalogue.TIER_LABELS, PHASE_LABELS=phases.PHASE_LABELS,
        ITEM_TYPE_LABELS=portfolio.ITEM_TYPE_LABELS, KINDS=uploads.KINDS,
    )

    @app.context_processor
    def page_context():
        return {"current_path": request.path, "allow_registration": app.config.get("ALLOW_REGISTRATION", True)}

    @app.after_request
    def vary_on_htmx(response):
        htmx.add_vary(response)
        if response.mimetype == "text/html" and getattr(current_user, "is_authenticated", False):
            # Pages for a logged-in user are personal: never let a shared cache keep them.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
