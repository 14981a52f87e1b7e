"""Jinja filters, globals and the context every page gets."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from flask import request
from flask_login import current_user

from . import htmx
from .cache import CSRF_PLACEHOLDER
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


def _score(value) -> str:
    """A score as people write it: 85, 70.5, 70.37 (never 85.0 or 85.00)."""
    if value is None:
        return ""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


# Words of escalation event types written in capitals (sms_swap -> "SMS swap").
ACRONYMS = frozenset({"api", "ceo", "cfo", "ciso", "dns", "dpo", "edr", "iam", "ip", "kev", "mfa", "msp", "oem", "ot",
                      "pci", "pii", "rdp", "siem", "sms", "soc", "sql", "sso", "tls", "vpn", "waf", "wmi"})


def _event_title(event_type: str | None) -> str:
    """An event type as a title: first word capitalised, known acronyms in capitals."""
    words = [w for w in (event_type or "").split("_") if w]
    out = [w.upper() if w in ACRONYMS else w for w in words]
    if out and out[0] == words[0]:
        out[0] = out[0].capitalize()
    return " ".join(out)


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


NAV_SECTIONS = frozenset({"missions", "capstones", "portfolio", "admin", "mentorship", "account"})


def nav_section(path: str) -> str:
    """Which link of the main menu a path belongs to ("" for none): the layout marks it as the current page."""
    if path == "/":
        return "dashboard"
    first = path.split("/", 2)[1] if path.startswith("/") else ""
    return first if first in NAV_SECTIONS else ""


# What render_page() puts into a stored layout on each request. NUL never occurs in our HTML (no text may hold
# one: webapp/boundary.py), so these cannot collide with content.
TITLE_MARK = "\x00title\x00"
META_MARK = "\x00meta\x00"
CONTENT_MARK = "\x00content\x00"
NAME_MARK = "\x00name\x00"


class _LayoutViewer(NamedTuple):
    """Stands in for current_user while a layout is rendered for storing: all the layout reads of the user."""

    is_authenticated: bool
    role: str | None
    display_name: str


def _layout(authenticated: bool, role: str | None, has_meta: bool) -> tuple[str, str]:
    """The layout before and after the content, with marks where the title, meta, name and CSRF token go: rendered
    once per process for each of these, the menu section, the script root and the registration setting."""
    from flask import current_app, g, render_template
    from markupsafe import Markup

    registration = bool(current_app.config.get("ALLOW_REGISTRATION", True))
    key = (authenticated, role, has_meta, nav_section(request.path), request.script_root, registration)
    layouts = current_app.extensions.setdefault("page_layouts", {})
    parts = layouts.get(key)
    if parts is None:
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        token = g.get(field)
        setattr(g, field, CSRF_PLACEHOLDER)
        try:
            # Markup() of our own constant marks, never of user data.
            layout = render_template(
                "_page.html", title=TITLE_MARK, content=Markup(CONTENT_MARK),  # nosec B704
                meta=Markup(META_MARK) if has_meta else "",  # nosec B704
                current_user=_LayoutViewer(authenticated, role, NAME_MARK))
        finally:
            if token is None:
                g.pop(field, None)
            else:
                setattr(g, field, token)
        head, _, tail = layout.partition(CONTENT_MARK)
        parts = (head, tail)
        if not current_app.debug and len(layouts) < 256:
            layouts[key] = parts
    return parts


def render_page(title: str, content: str, meta: str = "") -> str:
    """The layout around content a view rendered itself (often kept in webapp/cache.py): `content` and `meta`
    must be the output of our own autoescaping templates.

    The layout is the same for every page of one menu section, role and setting, apart from the title, the
    user's name and the CSRF token: it is rendered once per process for each of those (at most a few dozen)
    and filled in per request. A request with flashed messages renders it in full."""
    from flask import render_template, session
    from markupsafe import Markup, escape

    from .security import csrf_token

    if "_flashes" in session:
        return render_template("_page.html", title=title, content=Markup(content), meta=Markup(meta))  # nosec B704
    authenticated = bool(current_user.is_authenticated)
    head, tail = _layout(authenticated, current_user.role if authenticated else None, bool(meta))
    name = str(escape(current_user.display_name)) if authenticated else ""
    token = csrf_token()
    head = (head.replace(TITLE_MARK, str(escape(title))).replace(META_MARK, meta).replace(NAME_MARK, name)
            .replace(CSRF_PLACEHOLDER, token))
    tail = tail.replace(NAME_MARK, name).replace(CSRF_PLACEHOLDER, token)
    return head + content + tail


def init_templating(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(markdown=render_markdown, when=_when, date=_date, duration=_duration,
                               filesize=_filesize, score=_score, event_title=_event_title)
    app.jinja_env.globals.update(
        TRACKS=catalogue.TRACKS, TRACK_LABELS=catalogue.TRACK_LABELS, TIERS=catalogue.TIERS,
        TIER_LABELS=catalogue.TIER_LABELS,
        # The capstone's stages and the table of phase fields: templates never spell a phase key themselves.
        PHASES=phases.PHASES, PHASE_LABELS=phases.PHASE_LABELS, PHASE_SPECS=phases.SPECS,
        CAPSTONE_FIELDS=phases.FIELDS, REVIEW_STAGE=phases.REVIEW_STAGE, COMPLETED=phases.COMPLETED,
        completed_at=phases.completed_at,
        ITEM_TYPE_LABELS=portfolio.ITEM_TYPE_LABELS, KINDS=uploads.KINDS,
        PORTFOLIO_UPLOADS=uploads.PORTFOLIO_CONTEXT,
    )

    from .security import csrf_token

    @app.context_processor
    def page_context():
        # csrf_token replaces Flask-WTF's (registered earlier, so overridden here): see security.csrf_token.
        return {"current_section": nav_section(request.path),
                "allow_registration": app.config.get("ALLOW_REGISTRATION", True), "csrf_token": csrf_token}

    @app.after_request
    def vary_on_htmx(response):
        htmx.add_vary(response)
        if response.mimetype == "text/html" and getattr(current_user, "is_authenticated", False):
            # Pages for a logged-in user are personal: never let a shared cache keep them.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
