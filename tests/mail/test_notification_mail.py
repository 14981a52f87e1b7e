"""Notifications by e-mail (SPEC §12), through the worker and a loopback SMTP server: each new notification is
e-mailed once by the user's choice (immediately, in the daily digest, or not at all), never when stale, never to a
deactivated user, and exactly once when two workers run at once."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Notification, NotificationPreference, OutgoingEmail
from webapp.models.base import utcnow
from webapp.services import notification_mail

from ..factories import make_user
from ..notifications.helpers import add
from .helpers import run_two_workers_at_once, run_worker_once


def state(n: Notification) -> str | None:
    db.session.expire_all()
    return db.session.get(Notification, n.id).email_state


def prefer(user, kind: str, choice: str) -> None:
    db.session.add(NotificationPreference(user_id=user.id, kind=kind, email=choice))
    db.session.commit()


def test_a_new_notification_is_emailed_once_with_a_link_that_opens_it(smtp_server):
    mentor = make_user("mentor", email="max@example.com", display_name="Max Mentor")
    n = add(mentor, kind="capstone_submitted", subject_type="capstone", title="Lena submitted the capstone “Night Shift” for review")
    run_worker_once()
    run_worker_once()
    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    assert msg["to"] == ["max@example.com"]
    assert msg["message"]["Subject"] == "Lena submitted the capstone “Night Shift” for review"
    text, html = smtp_server.bodies()
    assert "Hello Max Mentor," in text and f"/notifications/{n.id}/open" in text
    assert f'/notifications/{n.id}/open">Open it in Mastery Tracks</a>' in html
    assert "“A capstone submitted for review” is set to “Immediately”" in html or "Immediately" in text
    assert state(n) == "queued"


def test_off_sends_nothing_and_daily_waits_for_the_digest(smtp_server):
    learner = make_user("learner", email="lena@example.com", display_name="Lena")
    prefer(learner, "review_shared", "off")
    off = add(learner, kind="review_shared", title="Max shared a review of “Night Shift”")
    daily = add(learner, kind="step_due", title="A next step is due tomorrow: “Write the timeline”")
    notification_mail.mail_new()
    run_worker_once()
    # Off: nothing; daily: waiting for a digest (the next one after the digest hour).
    assert [m for m in smtp_server.messages if "digest" not in m["message"]["Subject"]] == []
    assert state(off) == "none" and state(daily) == "digest"


def at(n: Notification, when: datetime) -> None:
    db.session.execute(update(Notification).where(Notification.id == n.id).values(created_at=when))
    db.session.commit()


def test_the_daily_digest_lists_what_waited_once_a_day(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 8)
    learner = make_user("learner", email="lena@example.com", display_name="Lena")
    first = add(learner, kind="step_due", title="A next step is due tomorrow: “Write the timeline”")
    second = add(learner, kind="step_overdue", title="A next step is overdue: “Scope the incident”")
    later = add(learner, kind="step_due", title="A next step is due tomorrow: “Brief the CISO”")
    morning = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    at(first, morning - timedelta(hours=10))
    at(second, morning - timedelta(minutes=1))
    at(later, morning + timedelta(hours=5))        # the afternoon's news: tomorrow's digest
    notification_mail.mail_new(morning + timedelta(hours=6))
    assert notification_mail.send_digests(morning - timedelta(minutes=1)) == 0      # before the digest hour
    assert notification_mail.send_digests(morning + timedelta(hours=6)) == 1
    assert notification_mail.send_digests(morning + timedelta(hours=7)) == 0        # one digest a day
    run_worker_once()                                                               # delivers the outbox
    digests = [m for m in smtp_server.messages if "digest" in m["message"]["Subject"]]
    assert len(digests) == 1 and digests[0]["to"] == ["lena@example.com"]
    assert digests[0]["message"]["Subject"] == "Your Mastery Tracks digest: 2 notifications"
    text = digests[0]["message"].get_body(("plain",)).get_content()
    assert "Write the timeline" in text and "Scope the incident" in text and "Brief the CISO" not in text
    assert (state(first), state(second), state(later)) == ("digested", "digested", "digest")
    # The next morning, what came later goes out.
    assert notification_mail.send_digests(morning + timedelta(days=1)) == 1
    assert state(later) == "digested"


def test_without_smtp_nothing_is_decided_and_stale_ones_are_never_mailed(app, smtp_server, monkeypatch):
    user = make_user("learner", email="lena@example.com")
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    n = add(user, kind="review_shared")
    assert notification_mail.mail_new() == 0 and state(n) is None
    # E-mail switched on a day later: the old news stays in the app.
    db.session.execute(update(Notification).where(Notification.id == n.id)
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    run_worker_once()
    assert smtp_server.messages == [] and state(n) == "none"


def test_a_deactivated_user_gets_no_email(smtp_server):
    user = make_user("learner", email="gone@example.com")
    n = add(user, kind="review_shared")
    user.is_active = False
    db.session.commit()
    run_worker_once()
    assert smtp_server.messages == [] and state(n) == "none"


def test_a_rolled_back_decision_queues_nothing(smtp_server, monkeypatch):
    user = make_user("learner", email="lena@example.com")
    n = add(user, kind="review_shared")

    def broken(*args, **kwargs):
        raise RuntimeError("template went missing")

    monkeypatch.setattr(notification_mail.mail, "queue_email", broken)
    try:
        notification_mail.mail_new()
    except RuntimeError:
        pass
    assert state(n) is None          # looked at again next time
    assert db.session.scalar(select(OutgoingEmail.id)) is None


def test_two_workers_email_each_notification_exactly_once(app, smtp_server):
    people = [make_user("learner", email=f"p{i}@example.com") for i in range(30)]
    for p in people:
        add(p, kind="review_shared", title=f"News for {p.email}")
    emails = sorted(p.email for p in people)
    db.session.remove()
    run_two_workers_at_once(app)
    assert sorted(m["to"][0] for m in smtp_server.messages) == emails
    assert set(db.session.scalars(select(Notification.email_state))) == {"queued"}
