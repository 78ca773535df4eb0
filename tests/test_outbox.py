"""Unit of work and outbox: domain events reach their room only after a commit."""

from datetime import date
from typing import Any

import pytest

from conference.db import DomainEvent, add_publisher, pending_events, record, remove_publisher
from conference.events import service as events


@pytest.fixture
def published() -> Any:
    seen: list[DomainEvent] = []
    add_publisher(seen.extend)
    yield seen
    remove_publisher(seen.extend)


def test_event_is_published_after_commit_only(session: Any, published: list) -> None:
    ev = DomainEvent(name="ping", room="room:a")
    record(session, ev)
    assert published == []
    assert pending_events(session) == [ev]
    session.commit()
    assert published == [ev]
    assert pending_events(session) == []


def test_rolled_back_event_is_never_published(session: Any, published: list) -> None:
    record(session, DomainEvent(name="ping", room="room:a"))
    session.rollback()
    session.commit()
    assert published == []


def test_savepoint_rollback_keeps_earlier_events(session: Any, published: list, make: Any) -> None:
    before = DomainEvent(name="before", room="room:a")
    record(session, before)
    nested = session.begin_nested()
    record(session, DomainEvent(name="inside", room="room:a"))
    nested.rollback()
    session.commit()
    assert [e.name for e in published] == ["before"]


def test_savepoint_release_publishes_nothing_before_the_commit(
    session: Any, published: list, make: Any
) -> None:
    record(session, DomainEvent(name="before", room="room:a"))
    with session.begin_nested():
        session.flush()
    assert published == []
    session.commit()
    assert [e.name for e in published] == ["before"]


def test_savepoint_release_then_rollback_publishes_nothing(
    session: Any, published: list, make: Any
) -> None:
    record(session, DomainEvent(name="doomed", room="room:a"))
    with session.begin_nested():
        session.flush()
    session.rollback()
    session.commit()
    assert published == []


def test_event_without_room_is_refused(session: Any) -> None:
    with pytest.raises(ValueError, match="room"):
        record(session, DomainEvent(name="ping", room=""))


def _fields(event: Any, name: str) -> events.EventFields:
    return events.EventFields(
        name=name, slug=event.slug, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2)
    )


def test_committed_event_reaches_its_room_and_no_other(
    app: Any, session: Any, make: Any, auth: Any, socket_client: Any
) -> None:
    organiser = make.account()
    event_a = make.event(organiser=organiser)
    event_b = make.event(organiser=organiser)
    auth.login(organiser)
    in_a = socket_client("/event")
    in_b = socket_client("/event")
    assert in_a.emit("join", {"event": event_a.slug}, namespace="/event", callback=True) == {
        "ok": True
    }
    assert in_b.emit("join", {"event": event_b.slug}, namespace="/event", callback=True) == {
        "ok": True
    }
    in_a.get_received("/event")
    in_b.get_received("/event")

    events.update_event(session, event=event_a, fields=_fields(event_a, "Renamed A"))
    session.commit()

    got_a = in_a.get_received("/event")
    assert [(m["name"], m["args"][0]["name"]) for m in got_a] == [("event_updated", "Renamed A")]
    assert in_b.get_received("/event") == []


def test_rolled_back_event_reaches_nobody(
    app: Any, session: Any, make: Any, auth: Any, socket_client: Any
) -> None:
    organiser = make.account()
    event_a = make.event(organiser=organiser)
    auth.login(organiser)
    in_a = socket_client("/event")
    in_a.emit("join", {"event": event_a.slug}, namespace="/event", callback=True)
    in_a.get_received("/event")

    events.update_event(session, event=event_a, fields=_fields(event_a, "Never seen"))
    session.rollback()
    session.commit()

    assert in_a.get_received("/event") == []
    assert session.get(type(event_a), event_a.id).name != "Never seen"


def test_edit_over_http_pushes_to_the_organiser_room(
    app: Any, client: Any, make: Any, auth: Any, socket_client: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    auth.login(organiser)
    screen = socket_client("/event")
    screen.emit("join", {"event": event.slug}, namespace="/event", callback=True)
    screen.get_received("/event")
    response = client.post(
        f"/organiser/events/{event.slug}/edit",
        data={
            "name": "Live Rename",
            "slug": event.slug,
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-02",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 302
    assert [m["args"][0]["name"] for m in screen.get_received("/event")] == ["Live Rename"]


def test_socket_join_is_refused_outside_your_events(
    app: Any, make: Any, auth: Any, socket_client: Any
) -> None:
    someone_else = make.event()
    staff_event = make.event()
    staff = make.member(staff_event)
    auth.login(staff)
    sio = socket_client("/event")
    assert sio.emit("join", {"event": someone_else.slug}, namespace="/event", callback=True) == {
        "ok": False,
        "error": "not_your_event",
    }
    # Staff may watch the staff room of their own event but not the organisers' room.
    assert sio.emit(
        "join", {"event": staff_event.slug, "audience": "staff"}, namespace="/event", callback=True
    ) == {"ok": True}
    assert (
        sio.emit("join", {"event": staff_event.slug}, namespace="/event", callback=True)["error"]
        == "not_your_event"
    )


def test_anonymous_socket_is_refused(app: Any, socket_client: Any) -> None:
    sio = socket_client("/event")
    assert not sio.is_connected("/event")
