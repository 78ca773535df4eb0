"""Check-in fixtures: an event with a team, a list and badge-holding attendees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from conference.accounts.models import Account
from conference.badges import service as badges
from conference.checkin import service
from conference.checkin.models import CheckInList
from conference.events.models import Event
from conference.people.models import Attendee
from tests.factories import Factory

# 09:12 in Berlin (summer time), where the test event happens.
NOW = datetime(2026, 6, 1, 7, 12, tzinfo=UTC)


@dataclass
class Desk:
    """One event's check-in desk: its organiser, a staff member, a list; makes attendees."""

    session: Any
    make: Factory
    event: Event
    organiser: Account
    staff: Account
    lst: CheckInList

    def attendee(self, name: str | None = None, company: str = "", **kw: Any) -> Attendee:
        return self.make.attendee(self.event, name=name, company=company, **kw)

    def badge(self, attendee: Attendee) -> str:
        """The attendee's live badge token, issued on first use."""
        token = badges.ensure_badge(self.session, attendee=attendee, now=NOW).token
        self.session.commit()
        return token

    def guest(self, name: str | None = None, company: str = "") -> tuple[Attendee, str]:
        attendee = self.attendee(name, company)
        return attendee, self.badge(attendee)

    def new_list(self, name: str, *, allow_reentry: bool = False) -> CheckInList:
        lst = service.create_list(
            self.session, event=self.event, name=name, allow_reentry=allow_reentry, now=NOW
        )
        self.session.commit()
        return lst

    def scan(self, token: str | None = None, **kw: Any) -> service.CheckInResult:
        """Check in through the service, committing like the view does."""
        kw.setdefault("event", self.event)
        kw.setdefault("list_id", self.lst.id)
        kw.setdefault("staff", self.staff)
        kw.setdefault("nonce", f"nonce-{next_nonce():08d}")
        kw.setdefault("scanned_at", kw.get("now", NOW))
        kw.setdefault("now", NOW)
        result = service.check_in(self.session, token=token, **kw)
        self.session.commit()
        return result


_counter = iter(range(1, 10**9))


def next_nonce() -> int:
    return next(_counter)


def make_desk(session: Any, make: Factory, *, name: str = "Sam Porter") -> Desk:
    organiser = make.account(name="Olga Organiser")
    event = make.event(organiser=organiser, timezone="Europe/Berlin")
    staff = make.member(event, make.account(name=name), role="staff")
    lst = service.create_list(
        session, event=event, name="Main entrance", allow_reentry=False, now=NOW
    )
    session.commit()
    return Desk(session, make, event, organiser, staff, lst)


@pytest.fixture
def desk(session: Any, make: Factory) -> Desk:
    """A desk at a fresh event."""
    return make_desk(session, make)
