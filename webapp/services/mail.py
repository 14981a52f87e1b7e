"""E-mail (SPEC §12): the outbox and its delivery.

`queue_email` renders a message from its templates and adds it to the caller's session without committing: the
message is part of the change that causes it, so a change that rolls back sends nothing and a committed one is
never lost. `flask worker` (webapp/worker.py) calls `deliver_due`, which claims what is due, sends it through
SMTP and records the outcome.

Claiming is safe with several workers on several hosts:
- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks due rows no other worker is claiming at that moment, and
  the same transaction marks them `sending` with this worker's id.
- SQLite: the due rows are read, then claimed by one conditional `UPDATE … WHERE id IN (…) AND <still due>
  RETURNING id`. SQLite runs one writer at a time, so a row another worker claimed in between no longer matches
  and is not returned: each row goes to one worker. (Workers on SQLite share one machine and one file.)

A message is sent once: it is marked `sent` in the step right after the SMTP server accepted it. The one
at-least-once window is a crash (or a lost database connection) between the server's acceptance and that mark:
the claim then goes stale and, after `CLAIM_TIMEOUT`, another worker sends the message again. The Message-ID
header stays the same for every try, so a receiving system can tell the copies apart.
"""
from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import and_, or_, select, update

from ..domain import mail as rules
from ..extensions import db
from ..models import OutgoingEmail, User
from ..models.base import utcnow

log = logging.getLogger("webapp.mail")

BATCH = 20   # messages claimed per step


# ---------------------------------------------------------------------------------------------- queueing

def base_url() -> str:
    """The site's address for links in e-mail: BASE_URL, else the address of the current request."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return "http://localhost:5000"


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link to `endpoint` under `base_url()`."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return base_url() + path


def _one_line(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def queue_email(to: str, template: str, context: dict, *, user: User | None = None,
                dedupe_key: str | None = None) -> OutgoingEmail:
    """Render `templates/email/<template>.txt` (which sets `subject`) and `.html`, and add the message to the
    current session. Never commits: the caller's transaction decides whether it is sent. With `dedupe_key`, a
    message already queued under that key is returned instead of a second one."""
    if dedupe_key is not None:
        existing = db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.dedupe_key == dedupe_key))
        if existing is None:
            existing = next((o for o in db.session.new
                             if isinstance(o, OutgoingEmail) and o.dedupe_key == dedupe_key), None)
        if existing is not None:
            return existing
    env = current_app.jinja_env
    ctx = {"BASE_URL": base_url(), "site_name": "Mastery Tracks", "recipient": user, **context}
    text = env.get_template(f"email/{template}.txt").make_module(ctx)
    subject = _one_line(getattr(text, "subject", ""), 200)
    if not subject:
        raise RuntimeError(f"templates/email/{template}.txt must set a subject ({{% set subject = ... %}})")
    html = env.get_template(f"email/{template}.html").render(ctx)
    row = OutgoingEmail(to_address=to.strip(), subject=subject, text_body=str(text).strip() + "\n", html_body=html,
                        status="queued", attempts=0, next_attempt_at=utcnow(), dedupe_key=dedupe_key)
    if user is not None:
        row.user = user
    db.session.add(row)
    return row


# ---------------------------------------------------------------------------------------------- sending

class SendError(Exception):
    """A try that failed. `code` is the SMTP reply code when the refusal was about this message (its recipient
    or its content), else None (the server was unreachable, slow, or refused the connection, login or sender:
    worth another try later)."""

    def __init__(self, reason: str, code: int | None = None):
        super().__init__(reason)
        self.reason, self.code = reason[:500], code


def _reply(code: int, message) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {_one_line(text, 400)}"


class SmtpTransport:
    """One SMTP connection, opened on the first message and reused for the rest of a batch; after any failure
    the next message opens a fresh one."""

    def __init__(self, settings: rules.SmtpSettings, timeout: float):
        self.settings, self.timeout = settings, timeout
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.ssl:
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.starttls:
                conn.starttls()
        if s.username:
            conn.login(s.username, s.password or "")
        return conn

    def send(self, message: EmailMessage) -> None:
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, text = next(iter(exc.recipients.values()))
            raise SendError(_reply(code, text), code) from exc
        except smtplib.SMTPDataError as exc:
            self.close()
            raise SendError(_reply(exc.smtp_code, exc.smtp_error), exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:   # login, sender, greeting: the setup, not this message
            self.close()
            raise SendError(_reply(exc.smtp_code, exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, dropped, TLS failed
            self.close()
            raise SendError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                try:
                    self.conn.close()
                except OSError:
                    pass
            self.conn = None


def smtp_settings() -> rules.SmtpSettings | None:
    url = current_app.config.get("SMTP_URL")
    return rules.parse_smtp_url(url) if url else None


def worker_id() -> str:
    """A name for this worker process in `claimed_by`: host, process id and a random tail."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    text_body: str
    html_body: str
    created_at: object
    attempts: int
    user_id: int | None
    user_active: bool | None


def _due(now):
    """SQL: queued rows whose time has come, and claims older than CLAIM_TIMEOUT (their worker died)."""
    return or_(and_(OutgoingEmail.status == "queued", OutgoingEmail.next_attempt_at <= now),
               and_(OutgoingEmail.status == "sending", OutgoingEmail.claimed_at < now - rules.CLAIM_TIMEOUT))


def claim(worker: str, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` due messages for `worker` and commit the claim: the ids claimed."""
    now = utcnow()
    order = (OutgoingEmail.next_attempt_at, OutgoingEmail.id)
    claimed = {"status": "sending", "claimed_at": now, "claimed_by": worker,
               "attempts": OutgoingEmail.attempts + 1}
    try:
        if db.engine.dialect.name == "postgresql":
            ids = db.session.scalars(select(OutgoingEmail.id).where(_due(now)).order_by(*order).limit(limit)
                                     .with_for_update(skip_locked=True)).all()
            if ids:
                db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id.in_(ids)).values(**claimed)
                                   .execution_options(synchronize_session=False))
        else:
            candidates = db.session.scalars(select(OutgoingEmail.id).where(_due(now)).order_by(*order)
                                            .limit(limit)).all()
            db.session.commit()       # the read ends here; the claim below is a write of its own
            ids = []
            if candidates:
                ids = db.session.scalars(update(OutgoingEmail)
                                         .where(OutgoingEmail.id.in_(candidates), _due(now)).values(**claimed)
                                         .returning(OutgoingEmail.id)
                                         .execution_options(synchronize_session=False)).all()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return sorted(ids)


def _load(ids: list[int]) -> list[_Claimed]:
    rows = db.session.execute(
        select(OutgoingEmail.id, OutgoingEmail.to_address, OutgoingEmail.subject, OutgoingEmail.text_body,
               OutgoingEmail.html_body, OutgoingEmail.created_at, OutgoingEmail.attempts, OutgoingEmail.user_id,
               User.is_active)
        .outerjoin(User, User.id == OutgoingEmail.user_id)
        .where(OutgoingEmail.id.in_(ids)).order_by(OutgoingEmail.id)).all()
    db.session.commit()   # hold no transaction open while talking to the SMTP server
    return [_Claimed(*row) for row in rows]


def build_message(row: _Claimed) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg = EmailMessage()
    msg["Subject"] = row.subject
    msg["From"] = sender
    msg["To"] = row.to_address
    msg["Date"] = formatdate(usegmt=True)
    # The same on every try of this message: a copy sent again after a crash is recognisable as the same one.
    msg["Message-ID"] = f"<outbox-{row.id}.{int(row.created_at.timestamp())}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.text_body)
    msg.add_alternative(row.html_body, subtype="html")
    return msg


def _mine(row_id: int, worker: str):
    return and_(OutgoingEmail.id == row_id, OutgoingEmail.status == "sending", OutgoingEmail.claimed_by == worker)


def _record(where, **values) -> None:
    db.session.execute(update(OutgoingEmail).where(where).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _failed(row: _Claimed, worker: str, error: SendError) -> str:
    step = rules.next_step(row.attempts, error.code, current_app.config.get("MAIL_MAX_ATTEMPTS",
                                                                            rules.MAX_ATTEMPTS))
    if step == "fail":
        _record(_mine(row.id, worker), status="failed", last_error=error.reason, claimed_at=None, claimed_by=None)
        log.warning("E-mail %s to %s failed after %s tries: %s", row.id, row.to_address, row.attempts, error.reason)
    else:
        _record(_mine(row.id, worker), status="queued", last_error=error.reason, claimed_at=None, claimed_by=None,
                next_attempt_at=utcnow() + rules.retry_delay(row.attempts))
        log.info("E-mail %s to %s will be tried again: %s", row.id, row.to_address, error.reason)
    return step


_said_off: set[int] = set()


def deliver_due(worker: str | None = None, transport: SmtpTransport | None = None) -> int:
    """One step of the worker: claim a batch of due messages, send each, record each outcome. The number of
    messages handled (0: nothing was due, or e-mail is off)."""
    settings = smtp_settings()
    if settings is None and transport is None:
        if os.getpid() not in _said_off:
            _said_off.add(os.getpid())
            log.info("SMTP_URL is not set: e-mail is off; queued messages wait in the outbox.")
        return 0
    worker = worker or worker_id()
    ids = claim(worker)
    if not ids:
        return 0
    transport = transport or SmtpTransport(settings, current_app.config.get("SMTP_TIMEOUT", 30))
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", rules.MAX_ATTEMPTS)
    try:
        for row in _load(ids):
            if row.user_id is not None and row.user_active is False:
                _record(_mine(row.id, worker), status="failed", last_error=rules.DEACTIVATED, claimed_at=None,
                        claimed_by=None)
                continue
            if row.attempts > max_attempts:
                # Claimed again and again without an outcome (its worker stopped each time): give up.
                _record(_mine(row.id, worker), status="failed", claimed_at=None, claimed_by=None,
                        last_error=f"gave up after {row.attempts - 1} tries without an answer")
                continue
            try:
                message = build_message(row)
            except (ValueError, TypeError) as exc:    # an address or subject no message can carry: never
                _record(_mine(row.id, worker), status="failed", claimed_at=None, claimed_by=None,
                        last_error=f"cannot build the message: {exc}"[:500])
                continue
            try:
                transport.send(message)
            except SendError as exc:
                _failed(row, worker, exc)
            else:
                # Right after the server took it; a crash before this line is the at-least-once window.
                _record(OutgoingEmail.id == row.id, status="sent", sent_at=utcnow(), last_error=None,
                        claimed_at=None, claimed_by=None)
    finally:
        transport.close()
    return len(ids)
