"""Hunt fixtures: an event, a hunt open around T0, players, and helpers to meet and follow."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from conference.checkin import service as checkin
from conference.db import utcnow
from conference.events.models import Event
from conference.hunt import service
from conference.hunt.models import Hunt, Mission
from conference.network import service as network
from conference.people import service as people
from conference.people.handles import Handle
from conference.people.models import Attendee

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PLAYER = people.Consents(card=True, game=True, leaderboard=True)


@pytest.fixture
def event(make: Any) -> Event:
    return make.event(name="Hunt Conf", slug="hunt-conf", timezone="Europe/Berlin")


@pytest.fixture
def hunt(session: Any, event: Event) -> Hunt:
    """A hunt open from an hour before T0 to eight hours after."""
    created = service.create_hunt(
        session,
        event=event,
        fields=service.HuntFields("Test hunt", T0 - timedelta(hours=1), T0 + timedelta(hours=8)),
        now=T0,
    )
    session.commit()
    return created


@pytest.fixture
def player(make: Any, event: Event) -> Any:
    """Make an attendee who consents to everything (card, game, leaderboard)."""

    def build(name: str, **profile: Any) -> Attendee:
        profile.setdefault("consents", PLAYER)
        return make.attendee(event, name=name, **profile)  # type: ignore[no-any-return]

    return build


def add(
    session: Any,
    hunt: Hunt,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    points: int = 100,
    **fields: Any,
) -> Mission:
    """Add a mission through the service and commit."""
    mission = service.add_mission(
        session,
        hunt=hunt,
        fields=service.MissionFields(
            title=title or f"{kind} mission",
            kind=kind,
            params=params or {},
            points=points,
            **fields,
        ),
        now=T0,
    )
    session.commit()
    return mission


def meet(session: Any, attendee: Attendee, met: Attendee, at: datetime = T0) -> Any:
    """``attendee`` scans ``met``'s badge at ``at`` (the hunt listener runs); committed."""
    outcome = network.record_meeting(session, attendee=attendee, met=met, now=at)
    session.commit()
    return outcome


def follow(session: Any, follower: Attendee, *followed: Attendee) -> None:
    """``follower`` imports the handles of ``followed`` as their follow list."""
    event = session.get(Event, follower.event_id)
    handles = [Handle(h.platform, h.handle, h.url) for person in followed for h in person.handles]
    network.import_follows(session, event=event, attendee=follower, handles=handles, now=T0)
    session.commit()


def check_in(session: Any, event: Event, attendee: Attendee, list_name: str, staff: Any) -> Any:
    """Check ``attendee`` in to a new or existing list (real time: check-ins use the clock)."""
    lists = {lc.list.name: lc.list for lc in checkin.lists_with_counts(session, event=event)}
    lst = lists.get(list_name) or checkin.create_list(
        session, event=event, name=list_name, allow_reentry=False, now=utcnow()
    )
    now = utcnow()
    result = checkin.check_in(
        session,
        event=event,
        list_id=lst.id,
        staff=staff,
        attendee_id=attendee.id,
        nonce=str(uuid.uuid4()),
        scanned_at=now,
        now=now,
    )
    session.commit()
    return lst, result


def png() -> bytes:
    """A small valid PNG picture."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()
