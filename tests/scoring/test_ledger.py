"""The points ledger: unique per source, append-only voids, one-query leaderboards."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conference.people.service import Consents
from conference.scoring import service
from conference.scoring.models import PointsEntry

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _award(
    session: Any,
    attendee: Any,
    key: str,
    points: int,
    minutes: int = 0,
    source: str = "hunt",
    scope: str = "",
) -> Any:
    return service.award(
        session,
        event_id=attendee.event_id,
        attendee_id=attendee.id,
        source=source,
        source_key=key,
        points=points,
        now=T0 + timedelta(minutes=minutes),
        scope=scope,
    )


def test_the_same_source_pays_once(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    assert _award(session, attendee, "hunt-mission:1", 100) is not None
    assert _award(session, attendee, "hunt-mission:1", 100) is None
    session.commit()
    assert service.total_of(session, event_id=attendee.event_id, attendee_id=attendee.id) == 100
    assert session.query(PointsEntry).count() == 1


def test_tie_break_is_total_then_reached_first_then_id(session: Any, make: Any) -> None:
    event = make.event()
    named = Consents(leaderboard=True)
    early = make.attendee(event, name="Early", consents=named)
    late = make.attendee(event, name="Late", consents=named)
    top = make.attendee(event, name="Top", consents=named)
    same_time_a = make.attendee(event, name="Same A", consents=named)
    same_time_b = make.attendee(event, name="Same B", consents=named)
    _award(session, late, "a", 300, minutes=5)
    _award(session, early, "b", 100, minutes=1)
    _award(session, early, "c", 200, minutes=3)
    _award(session, top, "d", 500, minutes=9)
    _award(session, same_time_b, "e", 50, minutes=2)
    _award(session, same_time_a, "f", 50, minutes=2)
    session.commit()
    board = service.leaderboard(session, event_id=event.id)
    assert [(s.rank, s.name, s.total) for s in board] == [
        (1, "Top", 500),
        (2, "Early", 300),
        (3, "Late", 300),
        (4, "Same A", 50),
        (5, "Same B", 50),
    ]
    mine = service.standing_of(session, event_id=event.id, attendee_id=late.id)
    assert mine is not None and (mine.rank, mine.total) == (3, 300)
    assert (
        service.standing_of(session, event_id=event.id, attendee_id=make.attendee(event).id) is None
    )


def test_people_without_consent_are_anonymous(session: Any, make: Any) -> None:
    event = make.event()
    shy = make.attendee(event, name="Shy Person")
    _award(session, shy, "x", 10)
    session.commit()
    assert [s.name for s in service.leaderboard(session, event_id=event.id)] == [
        "Anonymous attendee"
    ]


def test_void_is_a_negative_entry_with_a_reason(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    entry = _award(session, attendee, "m1", 250)
    with pytest.raises(service.ScoringError):
        service.void(session, entry=entry, reason=" ", now=T0)
    voided = service.void(session, entry=entry, reason="badge photo, not a meeting", now=T0)
    assert voided is not None and voided.points == -250
    assert service.void(session, entry=entry, reason="twice", now=T0) is None
    session.commit()
    assert service.total_of(session, event_id=attendee.event_id, attendee_id=attendee.id) == 0


def test_scoped_boards_and_event_isolation(session: Any, make: Any) -> None:
    event, other = make.event(), make.event()
    a = make.attendee(event, consents=Consents(leaderboard=True))
    b = make.attendee(other, consents=Consents(leaderboard=True))
    _award(session, a, "q1", 900, source="quiz", scope="quiz-run:1")
    _award(session, a, "h1", 100, source="hunt", scope="hunt:1")
    _award(session, b, "q1", 5000, source="quiz", scope="quiz-run:1")
    session.commit()
    assert [s.total for s in service.leaderboard(session, event_id=event.id)] == [1000]
    assert [s.total for s in service.leaderboard(session, event_id=event.id, scope="hunt:1")] == [
        100
    ]
