"""The demo event's follow lists: demo attendees already know each other online."""

from __future__ import annotations

from typing import Any

from conference import demo
from conference.network import service
from conference.people import service as people
from tests.network.conftest import NOW, log_in


def test_demo_attendees_know_each_other_online_and_seeding_twice_adds_nothing(
    session: Any, client: Any
) -> None:
    event = demo.ensure_demo(session, now=NOW, password="demo password 1").event
    session.commit()
    maria = people.find_by_email(session, event_id=event.id, email="maria@example.com")
    assert maria is not None
    count = service.follow_count(session, attendee_id=maria.id)
    assert count == 6

    demo.ensure_demo(session, now=NOW, password=None)
    session.commit()
    assert service.follow_count(session, attendee_id=maria.id) == count

    known = {k.attendee.name for k in service.known_here(session, event=event, attendee=maria)}
    # Fatima is in Maria's list but keeps her card private.
    assert known == {"Jonas Becker", "Aiko Tanaka", "Priya Raman", "Grace Kim"}
    assert service.follower_count(session, event=event, attendee=maria) == 4

    log_in(client, session, maria)
    home = " ".join(client.get("/e/demo/me").get_data(as_text=True).split())
    assert "4 people you follow are here" in home
    assert "4 people here follow you" in home
