"""The outbox's and the account links' rules (webapp/domain/mail.py): no app, no database."""
from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain import mail as rules


def test_retry_delay_doubles_from_a_minute_and_stops_at_four_hours():
    assert [rules.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert rules.retry_delay(30) == timedelta(hours=4)


@pytest.mark.parametrize("code,attempts,step", [
    (451, 1, "retry"), (421, 7, "retry"), (None, 1, "retry"),       # busy, closing, unreachable
    (451, 8, "fail"), (None, 8, "fail"),                             # the last attempt
    (550, 1, "fail"), (554, 1, "fail"), (553, 1, "fail"),            # refused for good
])
def test_next_step_after_a_failure(code, attempts, step):
    assert rules.next_step(attempts, code) == step


def test_parse_smtp_url():
    s = rules.parse_smtp_url("smtp://mailer%40example.com:p%40ss@mail.example.com:587?starttls=1")
    assert (s.host, s.port, s.ssl, s.starttls, s.username, s.password) == (
        "mail.example.com", 587, False, True, "mailer@example.com", "p@ss")
    s = rules.parse_smtp_url("smtps://u:p@mail.example.com")
    assert (s.port, s.ssl, s.starttls) == (465, True, False)
    assert rules.parse_smtp_url("smtp://localhost").port == 25
    assert rules.parse_smtp_url("smtp://localhost?starttls=true").port == 587


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=1", "smtp://h:port"])
def test_parse_smtp_url_refuses(url):
    with pytest.raises(ValueError):
        rules.parse_smtp_url(url)


def test_link_state():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    later = now + timedelta(hours=1)
    assert rules.link_state(now, later, None, None) == "valid"
    assert rules.link_state(later, later, None, None) == "expired"
    assert rules.link_state(now, later, now, None) == "used"
    assert rules.link_state(now, later, None, now) == "revoked"
    assert rules.link_state(later, later, now, now) == "used"      # used first: the most useful thing to say
    assert all(rules.LINK_STATUS[state] in (400, 410) for _, state in rules.LINK_MESSAGES)
