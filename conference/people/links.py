"""Private login links: their address, their lifetime, and issuing them for many attendees.

``login_url`` is the one place the link's address is built, for e-mails, CSVs and desk QRs.
No Flask here: callers pass ``KNOWN_BASE_URL`` in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conference.events.models import Event
from conference.people import service
from conference.people.models import Attendee

# A QR shown on the registration-desk screen. Long enough for a person in the queue who first
# has to join the Wi-Fi or find their phone, short enough that a photo of the screen taken over
# their shoulder is useless by the next session.
DESK_LINK_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedLink:
    """A new login link of one attendee; ``token`` exists only here, the database has its hash."""

    attendee: Attendee
    token: str
    expires_at: datetime


def login_url(base: str, slug: str, token: str) -> str:
    """``{KNOWN_BASE_URL}/e/<slug>/login/<token>``: what e-mails, CSVs and desk QRs carry."""
    return f"{base.rstrip('/')}/e/{slug}/login/{token}"


def link_expiry(event: Event, now: datetime) -> datetime:
    """When a mailed or exported link stops working, in the event's own time zone."""
    expires = max(service.default_link_expiry(event), now + service.LINK_GRACE)
    return expires.astimezone(ZoneInfo(event.timezone))


def issue_links(
    session: Session,
    *,
    event: Event,
    flt: service.AttendeeFilter,
    now: datetime,
    purpose: str,
) -> list[IssuedLink]:
    """A new login link for every attendee matching ``flt`` who has an e-mail address."""
    expires = link_expiry(event, now)
    # Read the whole list first: flushing new links while a streaming cursor is open would
    # interleave statements on one connection.
    attendees = list(service.iter_attendees(session, event_id=event.id, flt=flt))
    issued: list[IssuedLink] = []
    for attendee in attendees:
        if not attendee.email:
            continue
        token = service.issue_login_link(
            session, attendee=attendee, event=event, now=now, purpose=purpose, expires_at=expires
        )
        issued.append(IssuedLink(attendee=attendee, token=token, expires_at=expires))
    return issued


def issue_desk_link(
    session: Session, *, event: Event, attendee: Attendee, now: datetime
) -> IssuedLink:
    """A short-lived login link for a QR shown at the registration desk."""
    expires = now + DESK_LINK_LIFETIME
    token = service.issue_login_link(
        session, attendee=attendee, event=event, now=now, purpose="desk", expires_at=expires
    )
    return IssuedLink(attendee=attendee, token=token, expires_at=expires)
