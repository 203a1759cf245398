"""The loopback SMTP server the mail tests rely on receives what smtplib sends it."""

import smtplib
from email.message import EmailMessage

from tests.mail import Mailbox


def test_mailbox_receives_a_message():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Hello"
    message.set_content("Body text")
    with Mailbox() as box, smtplib.SMTP(box.host, box.port, timeout=5) as smtp:
        smtp.send_message(message)
        [received] = box.wait_for(1)
    assert received["Subject"] == "Hello" and received.get_content().strip() == "Body text"
