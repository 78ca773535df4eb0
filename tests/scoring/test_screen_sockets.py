"""The public "/screen" namespace: live leaderboard updates reach their event's screens only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conference.people import service as people
from conference.scoring import service

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_a_screen_joins_without_login_and_gets_a_snapshot(
    make: Any, session: Any, socket_client: Any
) -> None:
    event = make.event(slug="screen-a")
    ada = make.attendee(event, name="Ada", consents=people.Consents(leaderboard=True))
    service.award(
        session,
        event_id=event.id,
        attendee_id=ada.id,
        source="quiz",
        source_key="q1",
        points=42,
        now=T0,
    )
    session.commit()
    screen = socket_client("/screen")
    assert screen.is_connected("/screen")
    ack = screen.emit("join", {"event": "screen-a"}, namespace="/screen", callback=True)
    assert ack["ok"] is True
    assert ack["snapshot"]["leaderboard"] == [{"rank": 1, "name": "Ada", "total": 42}]
    assert screen.emit("join", {"event": "nope"}, namespace="/screen", callback=True) == {
        "ok": False,
        "error": "not_found",
    }
    assert screen.emit("join", "junk", namespace="/screen", callback=True)["ok"] is False


def test_points_reach_the_screens_of_their_event_only(
    make: Any, session: Any, socket_client: Any
) -> None:
    a, b = make.event(slug="screen-a"), make.event(slug="screen-b")
    in_a, in_b = socket_client("/screen"), socket_client("/screen")
    assert in_a.emit("join", {"event": "screen-a"}, namespace="/screen", callback=True)["ok"]
    assert in_b.emit("join", {"event": "screen-b"}, namespace="/screen", callback=True)["ok"]
    in_a.get_received("/screen")
    in_b.get_received("/screen")

    ada = make.attendee(a, name="Ada")
    service.award(
        session,
        event_id=a.id,
        attendee_id=ada.id,
        source="hunt",
        source_key="hunt-mission:1:attendee:1",
        points=100,
        now=T0,
        scope="hunt:1",
    )
    assert in_a.get_received("/screen") == []  # nothing before the commit
    session.commit()
    got = in_a.get_received("/screen")
    assert [(m["name"], m["args"][0]) for m in got] == [
        ("points_changed", {"attendee_id": ada.id, "source": "hunt", "scope": "hunt:1"})
    ]
    assert in_b.get_received("/screen") == []
    assert b.id != a.id


def test_a_rolled_back_award_never_reaches_the_screen(
    make: Any, session: Any, socket_client: Any
) -> None:
    event = make.event(slug="screen-a")
    screen = socket_client("/screen")
    screen.emit("join", {"event": "screen-a"}, namespace="/screen", callback=True)
    screen.get_received("/screen")
    ada = make.attendee(event, name="Ada")
    service.award(
        session,
        event_id=event.id,
        attendee_id=ada.id,
        source="quiz",
        source_key="q1",
        points=5,
        now=T0,
    )
    session.rollback()
    assert screen.get_received("/screen") == []
