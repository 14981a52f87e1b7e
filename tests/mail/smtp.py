"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and can be told to refuse.
The browser journeys import the fixture from here too."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller


class Recorder:
    """aiosmtpd handler: keeps every accepted message. `data_replies` are answered to DATA, one per message, before
    any message is accepted (e.g. ["451 4.3.0 Try again later"]); `refuse_rcpt` refuses every recipient."""

    def __init__(self):
        self.messages = []
        self.data_replies: list[str] = []
        self.refuse_rcpt: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            message = message_from_bytes(envelope.content, policy=default_policy)
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"

    def bodies(self, index: int = 0) -> tuple[str, str]:
        """The text and HTML parts of a received message."""
        message = self.messages[index]["message"]
        return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A loopback SMTP server; the app's SMTP_URL points at it for the test."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    recorder.url = f"smtp://127.0.0.1:{port}"
    monkeypatch.setitem(app.config, "SMTP_URL", recorder.url)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Mastery Tracks <no-reply@mastery.test>")
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    try:
        yield recorder
    finally:
        controller.stop()
