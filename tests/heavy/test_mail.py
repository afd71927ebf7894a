"""heavy.mail on real sockets: the development catcher keeps what aiosmtplib sends, the mailbox
shows it with its links, and a send that cannot reach a server fails in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from heavy import (
    MailNotSentError,
    NoMailer,
    OutgoingMail,
    SMTPMailer,
    SmtpSecurity,
    caught_mail,
    dev_mail_catcher,
)
from heavy.mail import mailbox_html
from heavy.testing.live_server import free_port

LINK = "http://127.0.0.1:8000/reset-password?token=abc-123_x"


async def test_the_catcher_keeps_what_is_sent_and_the_mailbox_links_it(tmp_path: Path) -> None:
    async with dev_mail_catcher(tmp_path) as port:
        mailer = SMTPMailer("127.0.0.1", port, "app@example.com", SmtpSecurity.NONE)
        await mailer.send(OutgoingMail("ada@example.com", "First", "one"))
        await mailer.send(OutgoingMail("bo@example.com", "Ünïcode <b>", f"Open\n{LINK}\nnow & then"))
    newest, oldest = caught_mail(tmp_path)
    assert (newest.to, newest.subject) == ("bo@example.com", "Ünïcode <b>")
    assert LINK in newest.text
    assert oldest.subject == "First"
    page = mailbox_html([newest])
    assert f'<a href="{LINK}">{LINK}</a>' in page
    assert "Ünïcode &lt;b&gt;" in page
    assert "now &amp; then" in page


async def test_the_catcher_keeps_the_newest_messages_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("heavy.mail.MAILBOX_KEEP", 2)
    async with dev_mail_catcher(tmp_path) as port:
        mailer = SMTPMailer("127.0.0.1", port, "app@example.com", SmtpSecurity.NONE)
        for number in range(4):
            await mailer.send(OutgoingMail("ada@example.com", f"Message {number}", "text"))
    assert [mail.subject for mail in caught_mail(tmp_path)] == ["Message 3", "Message 2"]


async def test_a_send_that_reaches_no_server_fails_in_words() -> None:
    mail = OutgoingMail("ada@example.com", "Hello", "text")
    nobody = SMTPMailer("127.0.0.1", free_port(), "app@example.com", SmtpSecurity.NONE)
    with pytest.raises(MailNotSentError, match="did not take the message"):
        await nobody.send(mail)
    with pytest.raises(MailNotSentError, match=r"Mail to a…@example.com not sent: SMTP_HOST is not set"):
        await NoMailer("SMTP_HOST is not set").send(mail)
