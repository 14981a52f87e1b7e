"""Jinja filters, globals and the context every page gets."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import request
from flask_login import current_user

from . import htmx
from .domain import catalogue, notifications, phases, portfolio, reviews, uploads
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
    """A score as pages show it: a whole number (domain.reviews.shown_score), "" for none."""
    shown = reviews.shown_score(value)
    return "" if shown is None else str(shown)


# Words of escalation event types written in capitals (sms_swap -> "SMS swap").
ACRONYMS = frozenset({"api", "ceo", "cfo", "ciso", "dns", "dpo", "edr", "iam", "ip", "kev", "mfa", "msp", "oem", "ot",
                      "pci", "pii", "rdp", "siem", "sms", "soc", "sql", "sso", "tls", "vpn", "waf", "wmi"})


def event_title(event_type: str | None) -> str:
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


NAV_SECTIONS = frozenset({"missions", "capstones", "portfolio", "admin", "mentorship", "account", "notifications"})


def nav_section(path: str) -> str:
    """Which link of the main menu a path belongs to ("" for none): the layout marks it as the current page."""
    if path == "/":
        return "dashboard"
    first = path.split("/", 2)[1] if path.startswith("/") else ""
    return first if first in NAV_SECTIONS else ""


LAYOUT_PARTS = frozenset({"layout_assets", "nav_links"})


def _mentor_name(mentor) -> str:
    """`{{ review.mentor|mentor_name }}`: the mentor's display name, or "former mentor" (domain.reviews)."""
    return reviews.mentor_name(getattr(mentor, "display_name", None) if mentor is not None else None)


def layout_part(name: str):
    """A part of the layout made from code and settings alone (`templates/_partials/<name>.html`), kept per process
    for each role, menu section, registration setting, poll interval and script root: everything it may read."""
    from flask import current_app, render_template

    from . import caching

    if name not in LAYOUT_PARTS:
        raise ValueError(f"not a layout part: {name}")
    authenticated = bool(current_user.is_authenticated)
    registration = bool(current_app.config.get("ALLOW_REGISTRATION", True))
    poll = current_app.config.get("NOTIFICATIONS_POLL_SECONDS", 30)
    key = (name, authenticated, current_user.role if authenticated else None, nav_section(request.path),
           registration, poll, request.script_root)
    return caching.layout_part(key, lambda: render_template(f"_partials/{name}.html"))


def init_templating(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(markdown=render_markdown, when=_when, date=_date, duration=_duration,
                               filesize=_filesize, score=_score, event_title=event_title, mentor_name=_mentor_name)
    app.jinja_env.globals.update(
        TRACKS=catalogue.TRACKS, TRACK_LABELS=catalogue.TRACK_LABELS, TIERS=catalogue.TIERS,
        TIER_LABELS=catalogue.TIER_LABELS, offers_capstone=catalogue.offers_capstone,
        REVIEW_OVERALL=reviews.OVERALL,
        # The capstone's stages and the table of phase fields: templates never spell a phase key themselves.
        PHASES=phases.PHASES, PHASE_LABELS=phases.PHASE_LABELS, PHASE_SPECS=phases.SPECS,
        CAPSTONE_FIELDS=phases.FIELDS, REVIEW_STAGE=phases.REVIEW_STAGE, COMPLETED=phases.COMPLETED,
        completed_at=phases.completed_at,
        ITEM_TYPE_LABELS=portfolio.ITEM_TYPE_LABELS, KINDS=uploads.KINDS,
        PORTFOLIO_UPLOADS=uploads.PORTFOLIO_CONTEXT, layout_part=layout_part,
        NOTIFICATION_KIND_LABELS=notifications.KIND_LABELS,
    )

    @app.context_processor
    def page_context():
        return {"current_section": nav_section(request.path),
                "allow_registration": app.config.get("ALLOW_REGISTRATION", True)}

    @app.after_request
    def vary_on_htmx(response):
        htmx.add_vary(response)
        if response.mimetype == "text/html" and getattr(current_user, "is_authenticated", False):
            # Pages for a logged-in user are personal: never let a shared cache keep them.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
