"""Events and their teams: creating, editing, roles, staff invites."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from conference.accounts import service as accounts
from conference.accounts.models import Account
from conference.db import DomainEvent, record
from conference.errors import DomainError
from conference.events.models import ORGANISER, ROLES, STAFF, Event, Membership, StaffInvite
from conference.tokens import hash_token, new_token

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "admin", "api", "static", "login", "logout"})
INVITE_LIFETIME = timedelta(days=7)


class EventError(DomainError):
    """An event could not be created, changed or joined."""


@dataclass(frozen=True)
class EventFields:
    """What an organiser can set on an event."""

    name: str
    slug: str
    starts_on: date
    ends_on: date
    timezone: str = "UTC"
    venue: str = ""
    description: str = ""
    registration_open: bool = False


def slugify(text: str) -> str:
    """A URL slug suggestion from a name: ``"PyCon DE 2026!"`` -> ``"pycon-de-2026"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].strip("-")


def timezone_names() -> list[str]:
    """Every IANA time zone name, sorted, for the event form."""
    return sorted(available_timezones())


def _validate(session: Session, fields: EventFields, *, event: Event | None) -> None:
    if not fields.name.strip():
        raise EventError("name_required", "Give the event a name.")
    if not SLUG_RE.match(fields.slug) or fields.slug in RESERVED_SLUGS:
        raise EventError(
            "invalid_slug",
            "The URL slug may use lower-case letters, digits and dashes (not at either end).",
        )
    if fields.ends_on < fields.starts_on:
        raise EventError("dates_out_of_order", "The event cannot end before it starts.")
    try:
        ZoneInfo(fields.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventError("invalid_timezone", f"Unknown time zone {fields.timezone!r}.") from None
    clash = session.scalar(sa.select(Event.id).where(Event.slug == fields.slug))
    if clash is not None and (event is None or clash != event.id):
        raise EventError("slug_taken", f"The URL /e/{fields.slug} is already taken.")


def _apply(event: Event, fields: EventFields) -> None:
    event.name = fields.name.strip()
    event.slug = fields.slug
    event.starts_on = fields.starts_on
    event.ends_on = fields.ends_on
    event.timezone = fields.timezone
    event.venue = fields.venue.strip()
    event.description = fields.description.strip()
    event.registration_open = fields.registration_open


def create_event(session: Session, *, organiser: Account, fields: EventFields) -> Event:
    """Create an event with ``organiser`` as its first organiser."""
    _validate(session, fields, event=None)
    event = Event()
    _apply(event, fields)
    session.add(event)
    session.flush()
    session.add(Membership(event_id=event.id, account_id=organiser.id, role=ORGANISER))
    session.flush()
    return event


def update_event(session: Session, *, event: Event, fields: EventFields) -> Event:
    """Change an event's settings and tell its open organiser screens."""
    _validate(session, fields, event=event)
    _apply(event, fields)
    session.flush()
    record(
        session,
        DomainEvent(
            name="event_updated",
            room=event_room(event.id, ORGANISER),
            payload={"slug": event.slug, "name": event.name},
            namespace="/event",
        ),
    )
    return event


def event_room(event_id: int, audience: str) -> str:
    """The Socket.IO room of one audience of one event."""
    return f"event:{event_id}:{audience}"


def get_event(session: Session, slug: str) -> Event | None:
    """The event with this URL slug, if any."""
    return session.scalar(sa.select(Event).where(Event.slug == slug))


def role_query(*, account_id: int, event_id: int | InstrumentedAttribute[int]) -> sa.Select[str]:
    """The account's role in an event as a query, to ride along with another lookup (one
    round trip instead of two); ``event_id`` may be a column of the outer query."""
    return sa.select(Membership.role).where(
        Membership.account_id == account_id, Membership.event_id == event_id
    )


def role_in(session: Session, *, account_id: int, event_id: int) -> str | None:
    """The account's role in the event (``organiser``, ``staff``) or None."""
    return session.scalar(role_query(account_id=account_id, event_id=event_id))


def event_with_role(
    session: Session, slug: str, *, account_id: int | None
) -> tuple[Event | None, str | None]:
    """The event with this slug and the account's role in it, in one query."""
    if account_id is None:
        return get_event(session, slug), None
    role = role_query(account_id=account_id, event_id=Event.id).scalar_subquery()
    row = session.execute(sa.select(Event, role).where(Event.slug == slug)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def has_role(session: Session, *, account_id: int, event_id: int, roles: tuple[str, ...]) -> bool:
    """Whether the account holds one of ``roles`` in the event."""
    return role_in(session, account_id=account_id, event_id=event_id) in roles


def events_of(session: Session, account: Account) -> list[tuple[Event, str]]:
    """The events the account works on, with its role, newest first."""
    rows = session.execute(
        sa.select(Event, Membership.role)
        .join(Membership, Membership.event_id == Event.id)
        .where(Membership.account_id == account.id)
        .order_by(Event.starts_on.desc(), Event.id.desc())
    )
    return [(event, role) for event, role in rows]


def team_of(session: Session, event: Event) -> list[Membership]:
    """The event's organisers and staff, organisers first."""
    return list(
        session.scalars(
            sa.select(Membership)
            .join(Account)
            .where(Membership.event_id == event.id)
            .order_by(Membership.role, Account.name)
        )
    )


def create_invite(
    session: Session,
    *,
    event: Event,
    created_by: Account,
    now: datetime,
    role: str = STAFF,
    note: str = "",
) -> tuple[StaffInvite, str]:
    """A single-use invite link; returns the invite and its token (shown once, stored hashed)."""
    if role not in ROLES:
        raise EventError("invalid_role", f"Role must be one of {', '.join(ROLES)}.")
    token = new_token()
    invite = StaffInvite(
        event_id=event.id,
        token_hash=hash_token(token),
        role=role,
        note=note.strip()[:200],
        created_by_id=created_by.id,
        expires_at=now + INVITE_LIFETIME,
    )
    session.add(invite)
    session.flush()
    return invite, token


def open_invite(session: Session, *, token: str, now: datetime) -> StaffInvite:
    """The invite behind ``token`` if it can still be used; raises otherwise."""
    invite = session.scalar(
        sa.select(StaffInvite).where(StaffInvite.token_hash == hash_token(token))
    )
    if invite is None:
        raise EventError("not_found", "This invite link is not valid.")
    if invite.used_at is not None:
        raise EventError("invite_used", "This invite link has already been used.")
    if invite.expires_at <= now:
        raise EventError("invite_expired", "This invite link has expired; ask for a new one.")
    return invite


def accept_invite(
    session: Session,
    *,
    token: str,
    now: datetime,
    account: Account | None = None,
    email: str = "",
    name: str = "",
    password: str = "",
) -> Account:
    """Use an invite: join the event with an existing account or a new one."""
    invite = open_invite(session, token=token, now=now)
    # The conditional update makes the invite single-use even when two people click at once.
    claimed = session.execute(
        sa.update(StaffInvite)
        .where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise EventError("invite_used", "This invite link has already been used.")
    if account is None:
        account = accounts.create_account(session, email=email, name=name, password=password)
    session.expire(invite)
    invite.used_by_id = account.id
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.event_id == invite.event_id, Membership.account_id == account.id
        )
    )
    if existing is None:
        session.add(Membership(event_id=invite.event_id, account_id=account.id, role=invite.role))
    elif invite.role == ORGANISER:
        existing.role = ORGANISER
    session.flush()
    return account
