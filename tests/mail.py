"""A real SMTP server on loopback for tests: aiosmtpd, collecting what it receives."""

import logging
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Mailbox:
    """Receives mail on 127.0.0.1 while in a ``with`` block; ``wait_for(n)`` waits for deliveries.
    Each message keeps the addresses the server was asked to deliver it to (``envelope_recipients``):
    those a Bcc or any other header could add, which the message itself does not show; and its bytes
    (``raw``)."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_recipients = list(envelope.rcpt_tos)
        message.raw = envelope.content  # as sent: parsing decodes encoded-words a mail client may not
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count=1, timeout=10):
        """The messages once ``count`` have arrived; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"expected {count} messages, got {len(self.messages)}"
                self._arrived.wait(remaining)
            return list(self.messages)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc_info):
        self._controller.stop()


def logged_errors(app, caplog) -> list[logging.LogRecord]:
    """The app's log records at ERROR and above that ``caplog`` caught, from any thread."""
    return [record for record in caplog.records if record.name == app.logger.name and record.levelno >= logging.ERROR]


def assert_clean_headers(message, recipients):
    """No stored text broke or added a header: each on one line, no Cc or Bcc, and the mail went to
    ``recipients`` alone (the envelope included)."""
    for name, value in message.items():
        assert "\n" not in value and "\r" not in value, f"{name} spans lines: {value!r}"
    assert message["Cc"] is None and message["Bcc"] is None
    assert sorted(address.addr_spec for address in message["To"].addresses) == sorted(recipients)
    assert sorted(message.envelope_recipients) == sorted(recipients)
