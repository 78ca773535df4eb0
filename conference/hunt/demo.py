"""The demo hunt: one mission of each kind, a checkpoint poster among them.

Idempotent: a hunt of the same name in the demo event is left as it is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.events.models import Event
from conference.hunt import service
from conference.hunt.models import Hunt
from conference.people import service as people

DEMO_HUNT = "Known Demo Hunt"


def seed(session: Session, event: Event, now: datetime) -> None:
    """Create the demo hunt once: open from an hour ago to the end of the event."""
    exists = session.scalar(
        sa.select(Hunt.id).where(Hunt.event_id == event.id, Hunt.name == DEMO_HUNT)
    )
    if exists is not None:
        return
    end_of_event = datetime.combine(event.ends_on, time(23, 0), tzinfo=ZoneInfo(event.timezone))
    hunt = service.create_hunt(
        session,
        event=event,
        fields=service.HuntFields(
            name=DEMO_HUNT,
            starts_at=now - timedelta(hours=1),
            ends_at=max(end_of_event, now + timedelta(days=1)),
        ),
        now=now,
    )
    jonas = people.find_by_email(session, event_id=event.id, email="jonas@example.com")
    missions: list[service.MissionFields] = []
    if jonas is not None and jonas.consent_game:
        missions.append(
            service.MissionFields(
                title="Find the Rustacean",
                kind="person",
                params={"attendee_id": jonas.id, "clue": "bio"},
                points=200,
                first_bonus=100,
                hints=[("They build robots in a city by the Baltic Sea.", 30)],
            )
        )
    missions += [
        service.MissionFields(
            title="Meet someone from Datawell",
            kind="trait",
            params={"rule": "company", "company": "Datawell"},
            points=150,
            requires_confirmation=True,
            hints=[("Ask around about Kafka. Or sourdough.", 20)],
        ),
        service.MissionFields(
            title="Coffee checkpoint",
            kind="checkpoint",
            params={"place": "the coffee bar in the Main Hall"},
            points=100,
            first_bonus=50,
        ),
        service.MissionFields(
            title="Meet 2 people you follow online",
            kind="known_online",
            params={"n": 2},
            points=250,
        ),
        service.MissionFields(
            title="Meet 3 new people",
            kind="meet_n",
            params={"n": 3},
            points=150,
        ),
    ]
    for fields in missions:
        service.add_mission(session, hunt=hunt, fields=fields, now=now)
