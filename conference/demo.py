"""The demo event that ``make run`` creates: idempotent, so running it twice adds nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from conference.accounts import service as accounts
from conference.accounts.models import Account
from conference.checkin import demo as checkin_demo
from conference.events import service as events
from conference.events.models import Event
from conference.hunt import demo as hunt_demo
from conference.network import demo as network_demo
from conference.people import demo as people_demo
from conference.quiz import demo as quiz_demo

DEMO_SLUG = "demo"
DEMO_ORGANISER = "organiser@example.org"

# Each feature adds its demo data (attendees, a quiz, a hunt) as a step, in dependency order.
DemoStep = Callable[[Session, Event, datetime], None]
STEPS: list[DemoStep] = [
    people_demo.seed,
    checkin_demo.seed,
    network_demo.seed,
    quiz_demo.seed,
    hunt_demo.seed,
]


@dataclass(frozen=True)
class DemoResult:
    """What the demo step did, for the command to print."""

    organiser: Account
    event: Event
    password: str | None  # set when the password was generated or changed now
    created: bool


def ensure_demo(session: Session, *, now: datetime, password: str | None) -> DemoResult:
    """Create (or complete) the demo organiser and event; never duplicate anything."""
    organiser = accounts.find_account(session, DEMO_ORGANISER)
    new_password: str | None = None
    if organiser is None:
        new_password = password or secrets.token_urlsafe(12)
        organiser = accounts.create_account(
            session, email=DEMO_ORGANISER, name="Demo Organiser", password=new_password
        )
    elif password:
        accounts.set_password(organiser, password)
        new_password = password

    event = events.get_event(session, DEMO_SLUG)
    created = event is None
    if event is None:
        today = now.date()
        event = events.create_event(
            session,
            organiser=organiser,
            fields=events.EventFields(
                name="Known Demo Conf",
                slug=DEMO_SLUG,
                starts_on=today,
                ends_on=today + timedelta(days=1),
                timezone="Europe/Berlin",
                venue="Main Hall",
                description="A demo event to click through: attendees, badges, a quiz and a hunt.",
                registration_open=True,
            ),
        )
    for step in STEPS:
        step(session, event, now)
    session.flush()
    return DemoResult(organiser=organiser, event=event, password=new_password, created=created)
