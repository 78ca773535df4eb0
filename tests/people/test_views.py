"""Attendee pages: join, magic-link login, "e-mail me a link", profile, badge, my data."""

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from conference.db import utcnow
from conference.extensions import socketio
from conference.people import service
from conference.people.models import Attendee, Avatar

JOIN = {
    "name": "Zoë Ng",
    "email": "Zoe@Example.com",
    "company": "Kite",
    "handle_x": "https://twitter.com/zoe_ng",
    "handle_mastodon": "zoe@hachyderm.io",
    "primary_platform": "",
    "consent_card": "y",
}


def _open_event(make: Any, **kw: Any) -> Any:
    return make.event(registration_open=True, **kw)


def test_join_creates_the_attendee_and_logs_in(client: Any, session: Any, make: Any) -> None:
    event = _open_event(make)
    page = client.get(f"/e/{event.slug}/join")
    assert page.status_code == 200
    response = client.post(f"/e/{event.slug}/join", data=JOIN)
    assert response.status_code == 302
    attendee = session.query(Attendee).one()
    assert (attendee.email, attendee.source) == ("zoe@example.com", "join")
    assert [h.key for h in attendee.handles] == ["x:zoe_ng", "mastodon:zoe@hachyderm.io"]
    assert (attendee.consent_card, attendee.consent_game, attendee.consent_leaderboard) == (
        True,
        False,
        False,
    )
    home = client.get(f"/e/{event.slug}/me")
    assert home.status_code == 200
    assert "Hi, Zoë" in home.data.decode()


def test_join_is_closed_unless_the_organiser_opened_it(client: Any, make: Any) -> None:
    event = make.event()
    assert client.get(f"/e/{event.slug}/join").status_code == 403
    assert client.post(f"/e/{event.slug}/join", data=JOIN).status_code == 403


def test_join_with_a_bad_handle_keeps_the_input(client: Any, session: Any, make: Any) -> None:
    event = _open_event(make)
    response = client.post(f"/e/{event.slug}/join", data=JOIN | {"handle_github": "not a name!"})
    assert response.status_code == 422
    html = response.data.decode()
    assert "GitHub" in html and "Zoë Ng" in html and "zoe@hachyderm.io" in html
    assert session.query(Attendee).count() == 0


def test_join_with_a_taken_email_says_so_on_the_field(client: Any, make: Any) -> None:
    event = _open_event(make)
    make.attendee(event, email="zoe@example.com")
    response = client.post(f"/e/{event.slug}/join", data=JOIN)
    assert response.status_code == 422
    assert b"already registered" in response.data


def test_magic_link_logs_in_and_bad_links_explain_themselves(
    client: Any, session: Any, make: Any
) -> None:
    event = make.event()
    attendee = make.attendee(event, name="Maria")
    token = service.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/me").status_code == 302  # not logged in yet
    response = client.get(f"/e/{event.slug}/login/{token}")
    assert response.status_code == 302
    assert client.get(f"/e/{event.slug}/me").status_code == 200

    bad = client.get(f"/e/{event.slug}/login/{'x' * 32}")
    assert bad.status_code == 400
    assert b"E-mail me a new link" in bad.data

    service.revoke_login_links(session, attendee=attendee, now=utcnow())
    session.commit()
    assert b"withdrawn" in client.get(f"/e/{event.slug}/login/{token}").data


def test_expired_link_page(client: Any, session: Any, make: Any) -> None:
    event = make.event()
    attendee = make.attendee(event)
    past = utcnow() - timedelta(days=30)
    token = service.issue_login_link(
        session, attendee=attendee, event=event, now=past, expires_at=past + timedelta(days=1)
    )
    session.commit()
    response = client.get(f"/e/{event.slug}/login/{token}")
    assert response.status_code == 400
    assert b"This link has expired" in response.data


def test_login_links_are_rate_limited(client: Any, make: Any) -> None:
    event = make.event()
    codes = [client.get(f"/e/{event.slug}/login/{'y' * 32}").status_code for _ in range(21)]
    assert codes[:20] == [400] * 20
    assert codes[20] == 429


def test_attendee_of_another_event_cannot_see_my_pages(
    client: Any, session: Any, make: Any
) -> None:
    event, other = make.event(), make.event()
    attendee = make.attendee(other)
    token = service.issue_login_link(session, attendee=attendee, event=other, now=utcnow())
    session.commit()
    client.get(f"/e/{other.slug}/login/{token}")
    assert client.get(f"/e/{other.slug}/me").status_code == 200
    response = client.get(f"/e/{event.slug}/me")
    assert response.status_code == 302
    assert f"/e/{event.slug}/login" in response.headers["Location"]


@pytest.fixture
def logged_in(client: Any, session: Any, make: Any) -> Any:
    event = make.event()
    attendee = make.attendee(
        event,
        name="Maria Fernández",
        email="maria@example.com",
        company="Datawell",
        handles=("x:@maria_dev",),
    )
    token = service.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    client.get(f"/e/{event.slug}/login/{token}")
    return event, attendee


def test_profile_edit_saves_handles_and_consents(client: Any, session: Any, logged_in: Any) -> None:
    event, attendee = logged_in
    page = client.get(f"/e/{event.slug}/me/profile").data.decode()
    assert "https://x.com/maria_dev" in page
    response = client.post(
        f"/e/{event.slug}/me/profile",
        data={
            "name": "Maria F.",
            "email": "maria@example.com",
            "company": "Datawell",
            "handle_x": "@maria_dev",
            "handle_github": "github.com/mariadev",
            "primary_platform": "github",
            "consent_game": "y",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    me = session.get(Attendee, attendee.id)
    assert me.name == "Maria F."
    assert [h.key for h in me.handles] == ["github:mariadev", "x:maria_dev"]
    assert (me.consent_card, me.consent_game) == (False, True)


def test_avatar_upload_and_clear_error(client: Any, session: Any, logged_in: Any) -> None:
    event, attendee = logged_in
    buf = io.BytesIO()
    Image.new("RGB", (1024, 768), (1, 2, 3)).save(buf, "PNG")
    ok = client.post(
        f"/e/{event.slug}/me/avatar",
        data={"avatar": (io.BytesIO(buf.getvalue()), "me.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert b"Picture saved" in ok.data
    assert session.get(Avatar, attendee.id).width == 512
    assert client.get(f"/e/{event.slug}/me/avatar").mimetype == "image/jpeg"
    bad = client.post(
        f"/e/{event.slug}/me/avatar",
        data={"avatar": (io.BytesIO(b"MZ not a picture"), "evil.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert b"not a picture we can read" in bad.data


def test_my_badge_shows_a_scannable_qr(client: Any, logged_in: Any) -> None:
    event, _ = logged_in
    page = client.get(f"/e/{event.slug}/me/badge").data.decode()
    token = re.search(r"/b/([\w-]+)/qr\.svg", page).group(1)
    assert f"http://known.test/b/{token}" in page
    svg = client.get(f"/b/{token}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_my_data_download_and_delete(client: Any, session: Any, logged_in: Any) -> None:
    event, attendee = logged_in
    download = client.get(f"/e/{event.slug}/me/data.json")
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.data)
    assert data["profile"]["email"] == "maria@example.com"
    assert data["handles"][0]["url"] == "https://x.com/maria_dev"

    refused = client.post(
        f"/e/{event.slug}/me/delete", data={"confirm": "yes"}, follow_redirects=True
    )
    assert b"Type DELETE" in refused.data
    assert session.get(Attendee, attendee.id).deleted_at is None

    client.post(f"/e/{event.slug}/me/delete", data={"confirm": "DELETE"})
    session.expire_all()
    gone = session.get(Attendee, attendee.id)
    assert gone.deleted_at is not None and gone.email is None
    assert client.get(f"/e/{event.slug}/me").status_code == 302  # logged out


def test_live_handle_check(client: Any) -> None:
    ok = client.get("/api/handles/check?platform=mastodon&value=https://Fosstodon.org/@Maria")
    assert ok.json == {
        "ok": True,
        "platform": "mastodon",
        "display": "@maria@fosstodon.org",
        "url": "https://fosstodon.org/@maria",
    }
    bad = client.get("/api/handles/check?platform=github&value=not a name")
    assert bad.json["ok"] is False and "GitHub" in bad.json["message"]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    from aiosmtpd.controller import Controller

    from tests.servers import free_port

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def _wait_for(box: Any, count: int) -> None:
    for _ in range(100):
        if len(box.messages) >= count:
            return
        socketio.sleep(0.05)


def test_email_me_a_link_never_reveals_registration(
    app: Any, client: Any, session: Any, make: Any, smtp_server: Any
) -> None:
    box, url = smtp_server
    app.config["KNOWN_SMTP_URL"] = url
    event = make.event()
    attendee = make.attendee(event, email="maria@example.com")

    known = client.post(
        f"/e/{event.slug}/login", data={"email": "MARIA@example.com"}, follow_redirects=True
    )
    unknown = client.post(
        f"/e/{event.slug}/login", data={"email": "nobody@example.com"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data  # word for word the same page

    _wait_for(box, 1)
    assert [m.rcpt_tos for m in box.messages] == [["maria@example.com"]]
    body = box.messages[0].content.decode()
    token = re.search(rf"/e/{event.slug}/login/([\w-]+)", body).group(1)
    session.expire_all()
    assert service.login_with_link(session, event=event, token=token, now=utcnow()) == attendee
