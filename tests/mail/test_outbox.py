"""The outbox and the worker against a real SMTP server on loopback (SPEC §12)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.factories import make_user
from webapp import worker
from webapp.domain import mail as rules
from webapp.extensions import db
from webapp.models import OutgoingEmail
from webapp.models.base import utcnow
from webapp.services import mail

from .helpers import run_two_workers_at_once, run_worker_once

CONTEXT = {"name": "Ada", "link": "https://mastery.test/auth/reset/abc", "by_admin": False,
           "ask_again": "https://mastery.test/auth/reset"}


def _queue(to="ada@example.com", **kwargs) -> OutgoingEmail:
    row = mail.queue_email(to, "password_reset", CONTEXT, **kwargs)
    db.session.commit()
    return row


def _row(row_id: int) -> OutgoingEmail:
    db.session.expire_all()
    return db.session.get(OutgoingEmail, row_id)


def _make_due(row_id: int) -> None:
    """As if the back-off had passed."""
    db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == row_id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_queued_message_is_received_once_with_text_and_html(smtp_server):
    row = _queue()
    run_worker_once()
    run_worker_once()          # a second pass finds nothing more to send
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["to"] == ["ada@example.com"]
    assert received["message"]["Subject"] == "Reset your Mastery Tracks password"
    assert received["message"]["From"] == "Mastery Tracks <no-reply@mastery.test>"
    text, html = smtp_server.bodies()
    assert "Hello Ada," in text and "https://mastery.test/auth/reset/abc" in text
    assert '<a href="https://mastery.test/auth/reset/abc">Choose a new password</a>' in html
    sent = _row(row.id)
    assert (sent.status, sent.attempts, sent.claimed_by) == ("sent", 1, None)
    assert sent.sent_at is not None


def test_the_html_part_escapes_what_it_is_given(smtp_server):
    mail.queue_email("ada@example.com", "password_reset", CONTEXT | {"name": "<script>x</script>"})
    db.session.commit()
    run_worker_once()
    text, html = smtp_server.bodies()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Hello <script>x</script>," in text      # plain text is not HTML


def test_a_rolled_back_change_sends_nothing(smtp_server):
    mail.queue_email("ada@example.com", "password_reset", CONTEXT)
    db.session.rollback()
    run_worker_once()
    assert smtp_server.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutgoingEmail)) == 0


def test_a_temporary_refusal_is_retried_later_then_delivered(smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Mailbox busy, try again later"]
    row = _queue()
    run_worker_once()
    assert smtp_server.messages == []
    waiting = _row(row.id)
    assert waiting.status == "queued" and waiting.attempts == 1
    assert waiting.last_error.startswith("451 ")
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=30)   # backed off, not due at once
    run_worker_once()
    assert smtp_server.messages == []                                   # not before its time
    _make_due(row.id)
    run_worker_once()
    assert len(smtp_server.messages) == 1
    done = _row(row.id)
    assert (done.status, done.attempts, done.last_error) == ("sent", 2, None)


def test_a_permanent_refusal_marks_the_message_failed_with_the_reason(smtp_server):
    smtp_server.refuse_rcpt = "550 5.1.1 No such mailbox"
    row = _queue()
    run_worker_once()
    failed = _row(row.id)
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.last_error == "550 5.1.1 No such mailbox"
    smtp_server.refuse_rcpt = None
    _make_due(row.id)
    run_worker_once()
    assert smtp_server.messages == []        # failed is final


def test_a_server_that_is_down_is_retried_and_given_up_after_the_last_attempt(app, monkeypatch):
    from .smtp import free_port

    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")   # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    row = _queue()
    for attempt in (1, 2):
        run_worker_once()
        waiting = _row(row.id)
        assert (waiting.status, waiting.attempts) == ("queued", attempt)
        assert "Connection" in waiting.last_error or "refused" in waiting.last_error.lower()
        _make_due(row.id)
    run_worker_once()
    given_up = _row(row.id)
    assert (given_up.status, given_up.attempts) == ("failed", 3)


def test_mail_for_a_deactivated_account_is_not_sent(smtp_server):
    user = make_user("learner", email="gone@example.com")
    kept = _queue("gone@example.com", user=user)
    user.is_active = False
    db.session.commit()
    run_worker_once()
    assert smtp_server.messages == []
    assert (_row(kept.id).status, _row(kept.id).last_error) == ("failed", "account deactivated")


def test_two_workers_send_each_message_exactly_once(app, smtp_server):
    ids = [_queue(f"person{i}@example.com").id for i in range(40)]
    db.session.remove()
    run_two_workers_at_once(app)
    received = sorted(m["to"][0] for m in smtp_server.messages)
    assert received == sorted(f"person{i}@example.com" for i in range(40))     # each once, none twice
    assert len({m["message"]["Message-ID"] for m in smtp_server.messages}) == 40
    statuses = db.session.scalars(select(OutgoingEmail.status).where(OutgoingEmail.id.in_(ids))).all()
    assert statuses == ["sent"] * 40


def test_a_stale_claim_is_taken_over(smtp_server):
    row = _queue()
    db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == row.id).values(
        status="sending", claimed_by="dead-worker", attempts=1,
        claimed_at=utcnow() - rules.CLAIM_TIMEOUT - timedelta(seconds=5)))
    db.session.commit()
    run_worker_once()
    assert len(smtp_server.messages) == 1
    assert (_row(row.id).status, _row(row.id).attempts) == ("sent", 2)


def test_a_live_claim_is_left_alone(smtp_server):
    row = _queue()
    db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == row.id).values(
        status="sending", claimed_by="busy-worker", claimed_at=utcnow()))
    db.session.commit()
    run_worker_once()
    assert smtp_server.messages == []
    assert _row(row.id).status == "sending"


def test_the_same_dedupe_key_queues_one_message(smtp_server):
    first = mail.queue_email("ada@example.com", "password_reset", CONTEXT, dedupe_key="notification:7")
    again = mail.queue_email("ada@example.com", "password_reset", CONTEXT, dedupe_key="notification:7")
    db.session.commit()
    later = mail.queue_email("ada@example.com", "password_reset", CONTEXT, dedupe_key="notification:7")
    db.session.commit()
    assert first is again and later.id == first.id
    run_worker_once()
    assert len(smtp_server.messages) == 1


def test_without_smtp_the_worker_sends_nothing_and_keeps_the_queue(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    row = _queue()
    run_worker_once()
    assert _row(row.id).status == "queued" and _row(row.id).attempts == 0


def test_the_loop_keeps_running_without_smtp_and_past_a_failing_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    ticks = []

    def boom(worker_id):
        raise RuntimeError("a job that fails")

    def count(worker_id):
        ticks.append(worker_id)
        if len(ticks) >= 3:
            stop.set()
        return 0

    stop = threading.Event()
    jobs = [("mail", lambda w: mail.deliver_due(w)), ("boom", boom), ("count", count)]
    thread = threading.Thread(target=worker.run, args=(app,),
                              kwargs={"interval": 0.01, "jobs": jobs, "stop": stop, "worker": "loop"})
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and len(ticks) >= 3


def test_the_cli_worker_once_delivers(runner, smtp_server):
    _queue()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 1


def test_the_cli_worker_says_when_email_is_off(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0
    assert "SMTP_URL is not set" in result.output


def test_a_message_that_cannot_be_built_fails_without_blocking_the_rest(smtp_server):
    bad = _queue("someone@example.com")
    db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == bad.id)
                       .values(to_address="a@example.com\nBcc: victim@example.com"))
    db.session.commit()
    good = _queue("ada@example.com")
    run_worker_once()
    assert [m["to"] for m in smtp_server.messages] == [["ada@example.com"]]
    assert _row(bad.id).status == "failed" and _row(bad.id).last_error.startswith("cannot build the message")
    assert _row(good.id).status == "sent"


def test_a_message_claimed_again_and_again_without_an_outcome_is_given_up(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    row = _queue()
    db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == row.id).values(
        status="sending", claimed_by="dead-worker", attempts=3,
        claimed_at=utcnow() - rules.CLAIM_TIMEOUT - timedelta(seconds=5)))
    db.session.commit()
    run_worker_once()
    assert smtp_server.messages == []
    assert _row(row.id).status == "failed" and "gave up after 3 tries" in _row(row.id).last_error
