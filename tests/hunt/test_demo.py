"""The demo hunt: one mission of each kind, open now, seeded once; a demo meeting completes one."""

from __future__ import annotations

from typing import Any

from conference import demo
from conference.db import utcnow
from conference.hunt.models import Hunt, Mission, MissionCompletion
from conference.network import service as network
from conference.people import service as people


def test_the_demo_hunt_has_every_kind_and_is_seeded_once(session: Any) -> None:
    now = utcnow()
    result = demo.ensure_demo(session, now=now, password="demo password 1")
    demo.ensure_demo(session, now=now, password=None)
    session.commit()
    [hunt] = session.query(Hunt).all()
    assert hunt.event_id == result.event.id and hunt.is_open(now)
    kinds = [m.kind for m in hunt.missions]
    assert sorted(kinds) == ["checkpoint", "known_online", "meet_n", "person", "trait"]
    checkpoint = session.query(Mission).filter_by(kind="checkpoint").one()
    assert checkpoint.token and len(checkpoint.token) >= 32

    # Maria follows Jonas online: meeting him finds the Rustacean (a bio clue).
    maria = people.find_by_email(session, event_id=result.event.id, email="maria@example.com")
    jonas = people.find_by_email(session, event_id=result.event.id, email="jonas@example.com")
    outcome = network.record_meeting(session, attendee=maria, met=jonas, now=now)
    session.commit()
    assert (
        "Mission complete: Find the Rustacean (+200) · first to find it: +100" in outcome.messages
    )
    assert session.query(MissionCompletion).count() == 1
