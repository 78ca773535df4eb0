"""Live counts: a check-in reaches its event's staff and organiser rooms, never another event's."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from conference.db import utcnow
from tests.checkin.conftest import Desk, make_desk
from tests.conftest import Auth


def _forget_user() -> None:
    # The test's app context is shared by every request and socket event of the test, and
    # Flask-Login caches the current user in ``g``: forget it before acting as someone else.
    g.pop("_login_user", None)


def _client_of(app: Any, account: Any) -> Any:
    """Another browser, logged in as ``account``."""
    _forget_user()
    other = app.test_client()
    assert Auth(other).login(account).status_code == 302
    _forget_user()
    return other


def _join(sio: Any, slug: str, audience: str) -> None:
    _forget_user()
    ack = sio.emit("join", {"event": slug, "audience": audience}, namespace="/event", callback=True)
    assert ack == {"ok": True}
    sio.get_received("/event")


def _updates(sio: Any) -> list[dict[str, Any]]:
    return [m["args"][0] for m in sio.get_received("/event") if m["name"] == "checkin_update"]


def test_check_in_reaches_this_events_rooms_and_not_another(
    app: Any, client: Any, auth: Any, desk: Desk, session: Any, make: Any, socket_client: Any
) -> None:
    other = make_desk(session, make)
    _, token = desk.guest("Maria Fernández", "Datawell")
    desk.guest("Not Yet")

    auth.login(desk.staff)
    staff_screen = socket_client("/event")
    _join(staff_screen, desk.event.slug, "staff")

    organiser_screen = socket_client("/event", flask_client=_client_of(app, desk.organiser))
    _join(organiser_screen, desk.event.slug, "organiser")

    other_screen = socket_client("/event", flask_client=_client_of(app, other.staff))
    _join(other_screen, other.event.slug, "staff")

    body = {
        "token": token,
        "list_id": desk.lst.id,
        "nonce": str(uuid.uuid4()),
        "scanned_at": utcnow().isoformat(),
    }
    _forget_user()
    answer = client.post(f"/api/events/{desk.event.slug}/checkin", json=body).get_json()
    assert answer["code"] == "ok"

    [update] = _updates(staff_screen)
    assert (update["list_id"], update["checked_in"], update["expected"]) == (desk.lst.id, 1, 2)
    assert update["last"]["name"] == "Maria Fernández"
    assert update["last"]["company"] == "Datawell"
    assert update["last"]["by"] == "Sam Porter"
    assert update["last"]["list"] == {"id": desk.lst.id, "name": "Main entrance"}
    assert _updates(organiser_screen) == [update]
    assert other_screen.get_received("/event") == []

    # A refused scan changes nothing, so nobody is told.
    client.post(f"/api/events/{desk.event.slug}/checkin", json=body | {"nonce": str(uuid.uuid4())})
    assert _updates(staff_screen) == []

    # An undo updates the counts on every screen of the event.
    undo = client.post(f"/api/events/{desk.event.slug}/checkin/{answer['check_in']['id']}/undo")
    assert undo.status_code == 200
    [after_undo] = _updates(staff_screen)
    assert (after_undo["checked_in"], after_undo["last"]) == (0, None)
    assert len(_updates(organiser_screen)) == 1
    assert other_screen.get_received("/event") == []


def test_staff_of_another_event_cannot_join_this_events_room(
    app: Any, auth: Any, desk: Desk, session: Any, make: Any, socket_client: Any
) -> None:
    other = make_desk(session, make)
    auth.login(other.staff)
    sio = socket_client("/event")
    ack = sio.emit(
        "join", {"event": desk.event.slug, "audience": "staff"}, namespace="/event", callback=True
    )
    assert ack == {"ok": False, "error": "not_your_event"}
    _, token = desk.guest()
    desk.scan(token, now=utcnow())
    assert sio.get_received("/event") == []
