"""E-mail over SMTP: reading ``KNOWN_SMTP_URL``, writing login-link messages, sending batches.

No Flask here: views read ``app.config["KNOWN_SMTP_URL"]`` / ``["KNOWN_MAIL_FROM"]`` and pass
plain values in. A batch goes over one SMTP connection (opening one per message is slow and
trips providers' connection limits); a refused recipient is reported and the batch goes on.

``KNOWN_SMTP_URL`` forms:

- ``smtp://host:25`` — plain SMTP (a local relay);
- ``smtp+starttls://user:pass@host:587`` — upgrade to TLS with STARTTLS, then log in;
- ``smtps://user:pass@host:465`` — TLS from the first byte.

User name and password are percent-decoded, so ``@`` or ``:`` in them is written ``%40``, ``%3A``.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from html import escape
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["none", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class MailConfigError(ValueError):
    """``KNOWN_SMTP_URL`` cannot be understood; the message says how to write it."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver mail."""

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass
class SendReport:
    """How a batch went: how many were accepted, and who failed with which reason."""

    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://[user:pass@]host[:port]`` as settings."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise MailConfigError(
            "KNOWN_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, "
            f"not {scheme + '://' if scheme else repr(url)}"
        )
    if not parts.hostname:
        raise MailConfigError("KNOWN_SMTP_URL needs a host, e.g. smtp://127.0.0.1:25")
    security, default_port = _SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise MailConfigError(
            "The port in KNOWN_SMTP_URL is not a number from 1 to 65535"
        ) from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _one_line(text: str) -> str:
    # Header values must not carry line breaks (header injection); names come from CSV imports.
    return " ".join(text.split())


def _address(name: str, email: str) -> Address:
    username, _, domain = email.strip().rpartition("@")
    return Address(display_name=_one_line(name), username=username, domain=domain)


def _msgid_domain(mail_from: str) -> str:
    # make_msgid() without a domain asks DNS for this machine's name: slow or wrong at a venue.
    domain = parseaddr(mail_from)[1].rpartition("@")[2]
    return domain or "localhost"


def format_expiry(expires_at: datetime) -> str:
    """``Tuesday 9 June 2026, 23:59 CEST``: the expiry in its own time zone, for people."""
    zone = expires_at.tzname() or "UTC"
    return f"{expires_at:%A} {expires_at.day} {expires_at:%B %Y, %H:%M} {zone}"


def login_link_message(
    *,
    to_name: str,
    to_email: str,
    event_name: str,
    link: str,
    expires_at: datetime,
    mail_from: str,
) -> EmailMessage:
    """The e-mail carrying an attendee's personal login link (plain text and HTML)."""
    name = _one_line(to_name)
    event = _one_line(event_name)
    until = format_expiry(expires_at)
    message = EmailMessage()
    message["Subject"] = f"Your login link for {event}"
    message["From"] = mail_from
    message["To"] = _address(name, to_email)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_msgid_domain(mail_from))
    message.set_content(
        f"Hello {name},\n\n"
        f"here is your personal link to {event} on Known:\n\n"
        f"{link}\n\n"
        "Open it on your phone to see who you know online, scan badges and play the games.\n"
        f"It works until {until}.\n\n"
        "This link is yours alone: do not forward it. If you did not expect this e-mail, "
        "ignore it.\n"
    )
    message.add_alternative(
        "<!doctype html><html><body>"
        f"<p>Hello {escape(name)},</p>"
        f"<p>here is your personal link to <strong>{escape(event)}</strong> on Known:</p>"
        f'<p><a href="{escape(link, quote=True)}">Log in to {escape(event)}</a></p>'
        f"<p>Or copy this address into your browser:<br>{escape(link)}</p>"
        "<p>Open it on your phone to see who you know online, scan badges and play the "
        "games. "
        f"It works until {escape(until)}.</p>"
        "<p>This link is yours alone: do not forward it. If you did not expect this e-mail, "
        "ignore it.</p>"
        "</body></html>",
        subtype="html",
    )
    return message


def _recipient(message: EmailMessage) -> str:
    return parseaddr(str(message.get("To", "")))[1]


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    connection: smtplib.SMTP
    if settings.security == "tls":
        connection = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        connection.ehlo()
        if settings.security == "starttls":
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if settings.username:
            connection.login(settings.username, settings.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _reason(err: Exception) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_text(text)}" for code, text in err.recipients.values()]
        return "; ".join(codes) or "recipient refused"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{err.smtp_code} {_text(err.smtp_error)}"
    return str(err) or type(err).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def send_messages(settings: SmtpSettings, messages: Iterable[EmailMessage]) -> SendReport:
    """Send every message over one connection; failures are reported, never raised.

    If the server drops an open connection mid-batch (some limit messages per connection), it
    is opened again once for the message that hit the drop. When the server cannot be reached
    or refuses the login, every message fails with that reason.
    """
    report = SendReport()
    connection: smtplib.SMTP | None = None
    broken: str | None = None  # why the server cannot be used; every later message fails
    try:
        for message in messages:
            recipient = _recipient(message)
            for attempt in (1, 2):
                if broken is None and connection is None:
                    try:
                        connection = _connect(settings)
                    except (smtplib.SMTPException, OSError) as err:
                        broken = f"could not reach the mail server ({_reason(err)})"
                if broken is not None or connection is None:
                    report.failed.append((recipient, broken or "no connection"))
                    break
                try:
                    connection.send_message(message)
                except smtplib.SMTPServerDisconnected as err:
                    connection = None
                    if attempt == 1:
                        continue
                    broken = f"the mail server closed the connection ({_reason(err)})"
                    report.failed.append((recipient, broken))
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError,
                    # A non-ASCII address on a server without SMTPUTF8: this message only.
                    smtplib.SMTPNotSupportedError,
                    ValueError,
                ) as err:
                    report.failed.append((recipient, _reason(err)))
                except (smtplib.SMTPException, OSError) as err:
                    _close(connection)
                    connection = None
                    broken = f"the mail server failed ({_reason(err)})"
                    report.failed.append((recipient, broken))
                else:
                    report.sent += 1
                break
    finally:
        _close(connection)
    return report
