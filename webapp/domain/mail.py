"""Rules of the outbox and of the single-use account links, as data plus functions (no Flask, no SQLAlchemy).

- When a message that failed is tried again (exponential back-off), and when the worker gives up.
- Which SMTP answers are worth another try (4xx, a connection that failed) and which are final (5xx).
- What state a reset or invitation link is in, and the words the page uses for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

EMAIL_STATUSES = ("queued", "sending", "sent", "failed")
TOKEN_PURPOSES = ("reset", "invite")

MAX_ATTEMPTS = 8                          # tries before a message that keeps failing is marked failed
FIRST_RETRY = timedelta(minutes=1)        # the wait after the first failure; doubled after each further one
LONGEST_RETRY = timedelta(hours=4)
CLAIM_TIMEOUT = timedelta(minutes=10)     # a claim older than this is taken over by another worker

RESET_LIFETIME = timedelta(hours=1)
INVITE_LIFETIME = timedelta(days=7)

DEACTIVATED = "account deactivated"


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` tries that failed: 1, 2, 4, 8 … minutes, at most 4 hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def is_permanent(code: int | None) -> bool:
    """An SMTP reply code that means "never" (5xx: recipient unknown, message refused). 4xx and no reply at all
    (connection refused, timed out, dropped) may go through later."""
    return code is not None and 500 <= code <= 599


def next_step(attempts: int, code: int | None, max_attempts: int = MAX_ATTEMPTS) -> str:
    """After a failed try: "retry" or "fail". `attempts` counts the tries so far, this one included."""
    if is_permanent(code) or attempts >= max_attempts:
        return "fail"
    return "retry"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool            # smtps://: TLS from the first byte
    starttls: bool       # smtp://…?starttls=1: upgrade the plain connection
    username: str | None
    password: str | None


TRUE_WORDS = {"1", "true", "yes", "on"}


def parse_smtp_url(url: str) -> SmtpSettings:
    """`smtp://user:pass@host:587?starttls=1` or `smtps://user:pass@host:465`. ValueError names what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, got {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host (smtp://user:pass@host:port)")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("SMTP_URL has a port that is not a number") from exc
    ssl = parts.scheme == "smtps"
    query = {k.lower(): v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "") in TRUE_WORDS
    if ssl and starttls:
        raise ValueError("SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
    return SmtpSettings(host=parts.hostname, port=port or (465 if ssl else (587 if starttls else 25)), ssl=ssl,
                        starttls=starttls, username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None)


# What the page of a link that no longer works says, by purpose and state; and its status (a link that was never
# valid is a bad request, one that was valid and is no more is gone).
LINK_MESSAGES = {
    ("reset", "unknown"): "This password-reset link is not valid. It may have been copied incompletely.",
    ("reset", "used"): "This password-reset link has already been used.",
    ("reset", "revoked"): "This password-reset link no longer works: the password was changed since it was sent.",
    ("reset", "expired"): "This password-reset link has expired: links work for one hour.",
    ("invite", "unknown"): "This invitation link is not valid. It may have been copied incompletely.",
    ("invite", "used"): "This invitation has already been accepted.",
    ("invite", "revoked"): "This invitation was withdrawn by an administrator.",
    ("invite", "expired"): "This invitation has expired: invitations work for seven days.",
}
LINK_STATUS = {"unknown": 400, "used": 410, "revoked": 410, "expired": 410}


def link_state(now: datetime, expires_at: datetime, used_at: datetime | None, revoked_at: datetime | None) -> str:
    """"valid", or why the link no longer works: "used", "revoked" or "expired" (in that order of precedence)."""
    if used_at is not None:
        return "used"
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "valid"
