"""E-mail of notifications (SPEC §12): the worker's two jobs over the `notifications` table.

- `mail_new(now)`: each notification not yet looked at is claimed once and, by its user's choice for its kind
  (services.notifications.email_choice's rule), gets an e-mail of its own in the outbox ("queued"), waits for the
  daily digest ("digest"), or is not e-mailed ("none"). Only notifications at most EMAIL_FRESH_FOR old are
  e-mailed; older ones (e-mail was off, or no worker ran) are marked "none".
- `send_digests(now)`: once a day (UTC, from DIGEST_HOUR on) each user with notifications waiting for a digest
  from before that hour gets one e-mail listing them ("digested"); later ones wait for the next day's.

Both claim rows with a conditional UPDATE (`WHERE email_state IS NULL` / `= 'digest'`) in the transaction that
queues the e-mail (services.mail.queue_email adds to the outbox without committing): on PostgreSQL a second
worker's UPDATE waits for the first to commit and then no longer matches, on SQLite one writer runs at a time, so
each notification is e-mailed once, by one worker, and a rolled-back step e-mails nothing. Without SMTP_URL both
jobs do nothing: notifications stay in the app and in the database unmailed (and are marked "none" once stale)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, select, update

from ..domain import notifications as rules
from ..extensions import db
from ..models import Notification, NotificationPreference, OutgoingEmail, User
from ..models.base import utcnow
from . import mail

BATCH = 200
DIGEST_LIMIT = 100     # notifications listed in one digest; the rest wait in the app (the e-mail says how many)


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_URL"))


def _claim(where, new_state: str, limit: int | None = None) -> list[int]:
    """Mark the matching notifications `new_state` and return their ids; a row another worker claimed meanwhile
    no longer matches `where` and is not returned."""
    ids = list(db.session.scalars(select(Notification.id).where(where).order_by(Notification.id).limit(limit)))
    if not ids:
        return []
    result = db.session.execute(update(Notification).where(Notification.id.in_(ids), where)
                                .values(email_state=new_state).returning(Notification.id))
    return [row[0] for row in result]


def _open_url(notification_id: int) -> str:
    return mail.absolute_url("notifications.open_", notification_id=notification_id)


def _choices(user_ids: set[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = defaultdict(dict)
    if user_ids:
        for uid, kind, email in db.session.execute(select(
                NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.email)
                .where(NotificationPreference.user_id.in_(sorted(user_ids)))):
            out[uid][kind] = email
    return out


def mail_new(now: datetime | None = None) -> int:
    """Decide e-mail for one batch of new notifications (see the module): how many were looked at."""
    if not enabled():
        return 0
    now = now or utcnow()
    fresh_after = now - rules.EMAIL_FRESH_FOR
    try:
        # Stale ones first, in one statement: they are never e-mailed.
        db.session.execute(update(Notification).where(Notification.email_state.is_(None),
                                                      Notification.created_at < fresh_after)
                           .values(email_state="none"))
        claimed = _claim(Notification.email_state.is_(None), "none", BATCH)
        if not claimed:
            db.session.commit()
            return 0
        rows = db.session.execute(select(Notification, User).join(User, User.id == Notification.user_id)
                                  .where(Notification.id.in_(claimed))).all()
        choices = _choices({user.id for _, user in rows})
        for note, user in rows:
            choice = rules.email_choice(choices.get(user.id, {}), note.kind, active=bool(user.is_active))
            note.email_state = rules.EMAIL_STATE_OF_CHOICE[choice]
            if choice == "immediately":
                mail.queue_email(user.email, "notification", {
                    "name": user.display_name, "title": note.title, "kind": rules.KIND_LABELS[note.kind],
                    "link": _open_url(note.id), "settings": mail.absolute_url("account.index")}, user=user)
        db.session.commit()
        return len(claimed)
    except Exception:
        db.session.rollback()
        raise


def _digest_key(user_id: int, day) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def send_digests(now: datetime | None = None) -> int:
    """Send today's digest to each user with notifications waiting for one (see the module): how many were sent."""
    if not enabled():
        return 0
    now = now or utcnow()
    cutoff = rules.digest_cutoff(now, int(current_app.config.get("DIGEST_HOUR", 8)))
    if cutoff is None:
        return 0
    waits = and_(Notification.email_state == "digest", Notification.created_at < cutoff)
    waiting = set(db.session.scalars(select(Notification.user_id).where(waits).distinct()))
    sent = 0
    for user_id in sorted(waiting):
        key = _digest_key(user_id, now.date())
        try:
            if db.session.scalar(select(OutgoingEmail.id).where(OutgoingEmail.dedupe_key == key)) is not None:
                db.session.rollback()
                continue            # today's went out; these wait for tomorrow's
            ids = _claim(and_(Notification.user_id == user_id, waits), "digested")
            user = db.session.get(User, user_id)
            if not ids or user is None:
                db.session.rollback()
                continue
            notes = db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                                       .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
            if user.is_active:
                mail.queue_email(user.email, "digest", {
                    "name": user.display_name, "day": now.date(),
                    "items": [{"title": n.title, "kind": rules.KIND_LABELS[n.kind], "link": _open_url(n.id),
                               "at": n.created_at} for n in notes[:DIGEST_LIMIT]],
                    "more": max(0, len(notes) - DIGEST_LIMIT), "all": mail.absolute_url("notifications.index"),
                    "settings": mail.absolute_url("account.index")}, user=user, dedupe_key=key)
                sent += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return sent
