"""A real SMTP server on loopback for tests: aiosmtpd, collecting what it receives."""

import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Mailbox:
    """Receives mail on 127.0.0.1 while in a ``with`` block; ``wait_for(n)`` waits for deliveries."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
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
