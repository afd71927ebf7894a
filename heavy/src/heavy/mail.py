"""Sending e-mail: an asyncio SMTP client, and in development a local catcher and mailbox page.

``open_mailer(settings)`` gives the app its ``Mailer`` for one server process:

- ``<PREFIX>SMTP_HOST`` set: mail goes to that server with ``aiosmtplib`` (STARTTLS, TLS or
  plain as ``SMTP_SECURITY`` says, with ``SMTP_USERNAME``/``SMTP_PASSWORD`` if given);
- DEV without it: a local SMTP server (``aiosmtpd``) on a free loopback port catches what is
  sent, through the same client, and keeps each message as a file in ``<data_dir>/mailbox``,
  where every instance on this machine sees it; ``install_dev_mailbox`` lists them at
  ``/_dev/mailbox`` with their links clickable, so a flow that sends mail works offline;
- PRODUCTION without it: one warning line at start-up, and each send is refused with an error
  in the log (``NoMailer``).

The product writes its messages (``OutgoingMail``) and decides when to send them.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
from heavy.clock import utc_now
from heavy.settings import HeavySettings, SmtpSecurity
from sanic import HTTPResponse, Request, Sanic

logger = logging.getLogger(__name__)

DEV_MAILBOX_PATH = "/_dev/mailbox"
MAILBOX_FOLDER = "mailbox"
# The newest messages the mailbox page shows, and how many the catcher keeps (a load test that
# signs up thousands of users must not fill the disk with their mail).
MAILBOX_PAGE_SIZE = 50
MAILBOX_KEEP = 500
SMTP_TIMEOUT_SECONDS = 10.0
_LINK = re.compile(r"https?://[^\s<>\"']+")


class MailNotSentError(RuntimeError):
    """The message could not be handed to an SMTP server (or none is configured)."""


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text message to one address."""

    to: str
    subject: str
    text: str


class Mailer(Protocol):
    """Hands messages to an SMTP server; ``MailNotSentError`` when that fails."""

    async def send(self, mail: OutgoingMail) -> None: ...


@dataclass(frozen=True)
class SMTPMailer:
    """Sends through an SMTP server with ``aiosmtplib`` (one connection per message)."""

    host: str
    port: int
    sender: str
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: str | None = None

    async def send(self, mail: OutgoingMail) -> None:
        message = _email_message(mail, self.sender)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security is SmtpSecurity.TLS,
                start_tls=self.security is SmtpSecurity.STARTTLS,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotSentError(f"{self.host}:{self.port} did not take the message: {error}") from error


@dataclass(frozen=True)
class NoMailer:
    """What sends mail where no SMTP server is configured: it refuses, and says how to fix it."""

    reason: str = "no SMTP server is configured"

    async def send(self, mail: OutgoingMail) -> None:
        raise MailNotSentError(f"Mail to {_masked(mail.to)} not sent: {self.reason}")


def mail_settings_problem(settings: HeavySettings) -> str | None:
    """The one line PRODUCTION logs at start-up when it cannot send mail; None when it can."""
    if settings.smtp_host is not None or not settings.is_production:
        return None
    return (
        f"PRODUCTION has no SMTP server: set {settings.variable('smtp_host')} (and "
        f"{settings.variable('smtp_port')}, {settings.variable('smtp_username')}, "
        f"{settings.variable('smtp_password')}, {settings.variable('mail_from')}); until then no "
        "e-mail is sent (password resets, address verification)."
    )


def mailbox_dir(settings: HeavySettings) -> Path:
    """Where the development catcher keeps what it caught: shared by every local instance."""
    return settings.data_dir / MAILBOX_FOLDER


@asynccontextmanager
async def open_mailer(settings: HeavySettings) -> AsyncIterator[Mailer]:
    """The mailer of one server process (see the module's docstring); a catcher it started
    stops on exit."""
    if settings.smtp_host is not None:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        yield SMTPMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            settings.smtp_security,
            settings.smtp_username,
            password,
        )
        return
    problem = mail_settings_problem(settings)
    if problem is not None:
        logger.warning("%s", problem)
        yield NoMailer(f"{settings.variable('smtp_host')} is not set")
        return
    async with dev_mail_catcher(mailbox_dir(settings)) as port:
        logger.info("Mail is caught by a local SMTP server (port %d): read it at %s", port, DEV_MAILBOX_PATH)
        yield SMTPMailer("127.0.0.1", port, settings.mail_from, SmtpSecurity.NONE)


@asynccontextmanager
async def dev_mail_catcher(folder: Path) -> AsyncIterator[int]:
    """An SMTP server (``aiosmtpd``) on this event loop, on a free loopback port, that keeps
    every message it receives in ``folder``; yields the port."""
    from aiosmtpd.smtp import SMTP  # development only: production never imports it

    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    handler = _KeepInFolder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="localhost"), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@dataclass(frozen=True)
class _KeepInFolder:
    """aiosmtpd's handler: each message a file, written whole before it is visible."""

    folder: Path

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        await asyncio.to_thread(self._keep, data)
        return "250 Message accepted for delivery"

    def _keep(self, data: bytes) -> None:
        name = f"{utc_now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(data)
        partial.rename(self.folder / name)  # atomic: the mailbox never lists half a message
        for old in sorted(self.folder.glob("*.eml"), reverse=True)[MAILBOX_KEEP:]:
            old.unlink(missing_ok=True)  # another instance may be pruning too


@dataclass(frozen=True)
class CaughtMail:
    """A message as the development mailbox shows it."""

    to: str
    subject: str
    sent: str
    text: str


def caught_mail(folder: Path, limit: int = MAILBOX_PAGE_SIZE) -> list[CaughtMail]:
    """The newest ``limit`` messages in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    files = sorted((path for path in folder.glob("*.eml")), reverse=True)[:limit]
    return [_read(path) for path in files]


def install_dev_mailbox(app: Sanic[Any, Any], settings: HeavySettings) -> None:
    """``/_dev/mailbox``: what the development catcher caught (DEV only; PRODUCTION has no such
    route, so the address is an ordinary unknown page there)."""
    if settings.is_production:
        return
    folder = mailbox_dir(settings)

    async def mailbox(_request: Request) -> HTTPResponse:
        messages = await asyncio.to_thread(caught_mail, folder)
        return HTTPResponse(
            mailbox_html(messages),
            content_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    app.add_route(mailbox, DEV_MAILBOX_PATH, name="heavy_dev_mailbox")


def _email_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(mail.text)
    return message


def _read(path: Path) -> CaughtMail:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return CaughtMail(
        str(message["To"] or ""), str(message["Subject"] or ""), str(message["Date"] or ""), text
    )


def mailbox_html(messages: list[CaughtMail]) -> str:
    """The mailbox page: each message's subject, address, date and text, its links clickable."""
    items = "".join(
        f'<article class="mail"><h2>{html.escape(mail.subject)}</h2>'
        f'<p>To <span class="mail-to">{html.escape(mail.to)}</span> · {html.escape(mail.sent)}</p>'
        f'<pre class="mail-text">{_linked(mail.text)}</pre></article>'
        for mail in messages
    )
    empty = "<p>Nothing has been sent yet.</p>" if not messages else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty icon: without one the browser asks for /favicon.ico, and logs the 404.
        '<link rel="icon" href="data:,">'
        "<title>Development mailbox</title></head><body><main>"
        "<h1>Development mailbox</h1>"
        "<p>Mail the app sent in development, newest first (not sent anywhere else).</p>"
        f"{empty}{items}</main></body></html>"
    )


def _linked(text: str) -> str:
    """``text`` escaped for HTML, with its web addresses as links."""
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        url = html.escape(match.group(0))
        parts.append(f'<a href="{url}">{url}</a>')
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _masked(address: str) -> str:
    """An address as a log line names it: enough to tell messages apart, not to read it."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}…@{domain}"
