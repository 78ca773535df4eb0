"""E-mail: SMTP URLs, the login-link message, batches over a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conference import mail
from conference.db import utcnow
from conference.people import service
from conference.people.service import Consents
from tests.servers import free_port

LINK_RE = re.compile(r"http://known\.test/e/([a-z0-9-]+)/login/([A-Za-z0-9_-]+)")
EXPIRES = datetime(2026, 6, 9, 23, 59, tzinfo=ZoneInfo("Europe/Berlin"))


@dataclass
class Received:
    """One message as the SMTP server got it."""

    peer: Any
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Inbox:
    """Collects what the server accepted; refuses recipients whose address has "bounce"."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if "bounce" in address:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(
            Received(session.peer, envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
        )
        return "250 OK"


@dataclass
class SmtpServer:
    """A running aiosmtpd on 127.0.0.1."""

    controller: Controller
    inbox: Inbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"


def _start(inbox: Inbox, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on a free local port, collecting envelopes."""
    inbox = Inbox()
    controller = _start(inbox)
    yield SmtpServer(controller, inbox)
    controller.stop()


def message_to(name: str, address: str, link: str = "http://known.test/e/c/login/t") -> Any:
    return mail.login_link_message(
        to_name=name,
        to_email=address,
        event_name="PyCon Test",
        link=link,
        expires_at=EXPIRES,
        mail_from="Known <known@example.org>",
    )


# --- KNOWN_SMTP_URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", mail.SmtpSettings("127.0.0.1", 2525, "none")),
        ("smtp://relay.local", mail.SmtpSettings("relay.local", 25, "none")),
        (
            "smtp+starttls://me%40example.org:p%3Ass@mail.example.org",
            mail.SmtpSettings("mail.example.org", 587, "starttls", "me@example.org", "p:ss"),
        ),
        (
            "smtps://user:secret@mail.example.org:4650",
            mail.SmtpSettings("mail.example.org", 4650, "tls", "user", "secret"),
        ),
        ("SMTPS://mail.example.org", mail.SmtpSettings("mail.example.org", 465, "tls")),
    ],
)
def test_smtp_urls(url: str, expected: mail.SmtpSettings) -> None:
    assert mail.parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.org", "must start with smtp://"),
        ("mail.example.org:25", "must start with smtp://"),
        ("smtp://", "needs a host"),
        ("smtp://mail.example.org:99999", "port"),
    ],
)
def test_bad_smtp_urls_say_how_to_write_them(url: str, message: str) -> None:
    with pytest.raises(mail.MailConfigError, match=message):
        mail.parse_smtp_url(url)


def test_the_password_never_shows_in_the_settings_repr() -> None:
    assert "secret" not in repr(mail.parse_smtp_url("smtps://user:secret@mail.example.org"))


# --- the message --------------------------------------------------------------------------


def test_login_link_message_has_the_link_in_text_and_html() -> None:
    link = "http://known.test/e/pycon/login/AbC_123-xyz"
    msg = message_to("Zoë Çelik", "zoe@example.com", link)
    assert msg["Subject"] == "Your login link for PyCon Test"
    assert msg["To"].addresses[0].display_name == "Zoë Çelik"
    assert msg["To"].addresses[0].addr_spec == "zoe@example.com"
    assert msg["From"] == "Known <known@example.org>"
    assert msg["Message-ID"].endswith("@example.org>")
    text = msg.get_body(("plain",)).get_content()
    assert "Hello Zoë Çelik" in text and link in text
    assert "Tuesday 9 June 2026, 23:59 CEST" in text
    html = msg.get_body(("html",)).get_content()
    assert f'href="{link}"' in html


def test_names_are_escaped_in_html_and_cannot_inject_headers() -> None:
    msg = message_to("<b>Bob</b> & Co\r\nBcc: victim@example.org", "bob@example.com")
    html = msg.get_body(("html",)).get_content()
    assert "<b>Bob</b>" not in html
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; Co Bcc: victim@example.org" in html
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["To"])
    wire = msg.as_bytes()
    assert b"\nBcc:" not in wire


# --- sending ------------------------------------------------------------------------------


def test_a_batch_goes_over_one_connection_and_a_refusal_does_not_stop_it(
    smtp: SmtpServer,
) -> None:
    messages = [
        message_to("Ana", "ana@example.com", "http://known.test/e/c/login/token-ana"),
        message_to("Bounce", "bounce@example.com"),
        message_to("Ben", "ben@example.com", "http://known.test/e/c/login/token-ben"),
    ]
    report = mail.send_messages(mail.parse_smtp_url(smtp.url), messages)
    assert report.sent == 2
    assert report.failed == [("bounce@example.com", "550 5.1.1 No such mailbox")]
    got = smtp.inbox.received
    assert [r.rcpt_tos for r in got] == [["ana@example.com"], ["ben@example.com"]]
    assert {r.mail_from for r in got} == {"known@example.org"}
    assert len({r.peer for r in got}) == 1  # the same client socket: one connection
    assert got[0].message["Subject"] == "Your login link for PyCon Test"
    assert "token-ana" in got[0].text and "token-ben" in got[1].text
    assert 'href="http://known.test/e/c/login/token-ana"' in got[0].html


class LimitedInbox(Inbox):
    """Like a provider that takes one message per connection and then answers 421."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(r.peer == session.peer for r in self.received):
            return "421 4.7.0 One message per connection, please reconnect"
        return await super().handle_DATA(server, session, envelope)


def test_after_the_server_drops_the_connection_the_batch_goes_on_over_a_new_one() -> None:
    inbox = LimitedInbox()
    controller = _start(inbox)
    try:
        messages = [message_to(n, f"{n}@example.com") for n in ("ana", "ben", "cleo")]
        report = mail.send_messages(
            mail.parse_smtp_url(f"smtp://127.0.0.1:{controller.port}"), messages
        )
    finally:
        controller.stop()
    assert report.sent == 2
    assert report.failed == [
        ("ben@example.com", "421 4.7.0 One message per connection, please reconnect")
    ]
    assert [r.rcpt_tos for r in inbox.received] == [["ana@example.com"], ["cleo@example.com"]]
    assert len({r.peer for r in inbox.received}) == 2


def test_an_unreachable_server_fails_every_message_without_raising() -> None:
    settings = mail.SmtpSettings("127.0.0.1", free_port(), timeout=5)
    report = mail.send_messages(
        settings, [message_to("Ana", "ana@example.com"), message_to("Ben", "ben@example.com")]
    )
    assert report.sent == 0
    assert [address for address, _ in report.failed] == ["ana@example.com", "ben@example.com"]
    assert all("could not reach the mail server" in reason for _, reason in report.failed)


def test_logging_in_to_the_server() -> None:
    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"me@example.org",
            b"p:ss word",
        )
        if ok:
            inbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=True would send no reply

    # Plain-text AUTH only because this is a loopback test server; real ones need TLS.
    controller = _start(inbox, authenticator=authenticator, auth_require_tls=False)
    try:
        port = controller.port
        good = mail.parse_smtp_url(f"smtp://me%40example.org:p%3Ass%20word@127.0.0.1:{port}")
        assert mail.send_messages(good, [message_to("Ana", "ana@example.com")]).sent == 1
        assert inbox.logins == ["me@example.org"]
        bad = mail.parse_smtp_url(f"smtp://me%40example.org:wrong@127.0.0.1:{port}")
        report = mail.send_messages(bad, [message_to("Ben", "ben@example.com")])
        assert report.sent == 0
        assert report.failed[0][0] == "ben@example.com"
        assert "535" in report.failed[0][1]
    finally:
        controller.stop()
    assert [r.rcpt_tos for r in inbox.received] == [["ana@example.com"]]


# --- the organiser's "E-mail login links" -------------------------------------------------


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Point the app at the test SMTP server when the test uses one."""
    if "smtp" not in request.fixturenames:
        return {}
    server: SmtpServer = request.getfixturevalue("smtp")
    return {"KNOWN_SMTP_URL": server.url, "KNOWN_MAIL_FROM": "Known <known@example.org>"}


def test_organiser_sends_each_filtered_attendee_their_own_working_link(
    smtp: SmtpServer, client: Any, session: Any, make: Any, auth: Any
) -> None:
    org = make.account()
    event = make.event(organiser=org, name="PyCon Test")
    people = {
        "ana@example.com": make.attendee(
            event, name="Ana", email="ana@example.com", consents=Consents(card=True)
        ),
        "ben@example.com": make.attendee(
            event, name="Ben", email="ben@example.com", consents=Consents(card=True)
        ),
        "cleo@example.com": make.attendee(event, name="Cleo", email="cleo@example.com"),
    }
    auth.login(org)
    page = f"/organiser/events/{event.slug}/attendees"
    assert "Set KNOWN_SMTP_URL" not in client.get(page).get_data(as_text=True)

    response = client.post(f"{page}/send-links", data={"consent": "card"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page}?consent=card")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent 2 e-mails with personal login links." in flashed

    got = smtp.inbox.received
    assert sorted(r.rcpt_tos[0] for r in got) == ["ana@example.com", "ben@example.com"]
    assert len({r.peer for r in got}) == 1
    tokens = set()
    for received in got:
        assert received.message["Subject"] == "Your login link for PyCon Test"
        match = LINK_RE.search(received.text)
        assert match is not None and match[1] == event.slug
        tokens.add(match[2])
        who = service.login_with_link(session, event=event, token=match[2], now=utcnow())
        assert who.id == people[received.rcpt_tos[0]].id
    assert len(tokens) == 2


def test_failures_are_listed_and_the_rest_are_sent(
    smtp: SmtpServer, client: Any, session: Any, make: Any, auth: Any
) -> None:
    org = make.account()
    event = make.event(organiser=org)
    make.attendee(event, name="Ana", email="ana@example.com")
    make.attendee(event, name="Bouncy", email="bounce@example.com")
    auth.login(org)
    response = client.post(
        f"/organiser/events/{event.slug}/attendees/send-links", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Sent 1 e-mail with personal login links." in html
    assert "Could not send 1: bounce@example.com (550 5.1.1 No such mailbox)." in html
    assert [r.rcpt_tos for r in smtp.inbox.received] == [["ana@example.com"]]


def test_expiry_shown_in_the_mail_is_the_links_expiry(
    smtp: SmtpServer, client: Any, session: Any, make: Any, auth: Any
) -> None:
    from conference.people.models import LoginLink

    org = make.account()
    event = make.event(organiser=org, timezone="Asia/Tokyo")
    make.attendee(event, name="Ana", email="ana@example.com")
    auth.login(org)
    client.post(f"/organiser/events/{event.slug}/attendees/send-links")
    link = session.query(LoginLink).one()
    local = link.expires_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert link.purpose == "mail"
    assert mail.format_expiry(local) in smtp.inbox.received[0].text
    assert local.tzname() == "JST"
    assert link.expires_at > datetime.now(UTC)
