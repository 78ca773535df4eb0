"""Factories: objects for tests, created through the services where a service exists."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from conference.accounts import service as accounts
from conference.accounts.models import Account
from conference.events import service as events
from conference.events.models import Event, Membership
from conference.people import service as people
from conference.people.handles import Handle, parse_handle
from conference.people.models import Attendee

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


class Factory:
    """Builds accounts, events and memberships on one session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def account(
        self, *, email: str | None = None, name: str | None = None, password: str = PASSWORD
    ) -> Account:
        n = next(_seq)
        account = accounts.create_account(
            self.session,
            email=email or f"person{n}@example.org",
            name=name or f"Person {n}",
            password=password,
        )
        self.session.commit()
        return account

    def event(
        self,
        *,
        organiser: Account | None = None,
        slug: str | None = None,
        name: str | None = None,
        starts_on: date | None = None,
        **fields: Any,
    ) -> Event:
        n = next(_seq)
        start = starts_on or date(2026, 6, 1)
        event = events.create_event(
            self.session,
            organiser=organiser or self.account(),
            fields=events.EventFields(
                name=name or f"Conf {n}",
                slug=slug or f"conf-{n}",
                starts_on=start,
                ends_on=fields.pop("ends_on", start + timedelta(days=1)),
                **fields,
            ),
        )
        self.session.commit()
        return event

    def member(self, event: Event, account: Account | None = None, role: str = "staff") -> Account:
        account = account or self.account()
        self.session.add(Membership(event_id=event.id, account_id=account.id, role=role))
        self.session.commit()
        return account

    def attendee(
        self,
        event: Event,
        *,
        name: str | None = None,
        email: str | None = None,
        company: str = "",
        handles: tuple[str | Handle, ...] = (),
        consents: people.Consents | None = None,
        **profile: Any,
    ) -> Attendee:
        """An attendee; ``handles`` as Handle objects or ``"platform:text"`` strings."""
        n = next(_seq)
        parsed = [
            h if isinstance(h, Handle) else parse_handle(h.split(":", 1)[1], h.split(":", 1)[0])
            for h in handles
        ]
        attendee = people.create_attendee(
            self.session,
            event=event,
            profile=people.Profile(
                name=name or f"Attendee {n}",
                email=email or f"attendee{n}@example.com",
                company=company,
                **profile,
            ),
            handles=parsed,
            consents=consents or people.Consents(),
        )
        self.session.commit()
        return attendee
