"""Attendees: profiles, handles, consents, avatars, magic links, import and deletion."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.db import DomainEvent, record
from conference.errors import DomainError
from conference.events.models import Event
from conference.people.avatars import process_avatar
from conference.people.handles import PLATFORM_LABELS, Handle
from conference.people.models import (
    ANONYMOUS_NAME,
    Attendee,
    AttendeeHandle,
    Avatar,
    LoginLink,
)
from conference.tokens import hash_token, keyed_hash, new_token

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"name": 200, "email": 254, "company": 200, "job_title": 200, "pronouns": 40, "bio": 1000}
LINK_GRACE = timedelta(days=7)


class PeopleError(DomainError):
    """An attendee could not be created, changed or logged in."""


@dataclass(frozen=True)
class Profile:
    """What an attendee (or an organiser, for them) can say about themselves."""

    name: str
    email: str
    company: str = ""
    job_title: str = ""
    pronouns: str = ""
    bio: str = ""


@dataclass(frozen=True)
class Consents:
    """The three separate consents; each is off unless given."""

    card: bool = False
    game: bool = False
    leaderboard: bool = False


# Later features add their part of "download my data" and "delete my profile" here, so people
# stays low in the dependency order while every feature answers for its own tables.
DataExporter = Callable[[Session, Attendee], dict[str, Any]]
DataEraser = Callable[[Session, Attendee], None]
DATA_EXPORTERS: list[DataExporter] = []
DATA_ERASERS: list[DataEraser] = []


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively, without surrounding spaces."""
    return email.strip().lower()


def clean_profile(profile: Profile) -> Profile:
    """The profile with spaces trimmed and the e-mail lower-cased; raises on bad input."""
    cleaned = Profile(
        name=" ".join(profile.name.split()),
        email=normalise_email(profile.email),
        company=profile.company.strip(),
        job_title=profile.job_title.strip(),
        pronouns=profile.pronouns.strip(),
        bio=profile.bio.strip(),
    )
    if not cleaned.name:
        raise PeopleError("name_required", "Enter a name.")
    if not EMAIL_RE.match(cleaned.email) or len(cleaned.email) > LIMITS["email"]:
        raise PeopleError("invalid_email", "Enter a valid e-mail address.")
    for attr, limit in LIMITS.items():
        if len(getattr(cleaned, attr)) > limit:
            label = attr.replace("_", " ")
            raise PeopleError("too_long", f"The {label} can be at most {limit} characters.")
    return cleaned


def find_by_email(session: Session, *, event_id: int, email: str) -> Attendee | None:
    """The attendee of the event with this e-mail address, if any."""
    return session.scalar(
        sa.select(Attendee).where(
            Attendee.event_id == event_id, Attendee.email == normalise_email(email)
        )
    )


def get_attendee(session: Session, *, event_id: int, attendee_id: int) -> Attendee:
    """An attendee of this event (never of another); raises ``not_found``."""
    attendee = session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event_id or attendee.deleted_at is not None:
        raise PeopleError("not_found", "There is no such attendee at this event.")
    return attendee


def _apply_profile(attendee: Attendee, profile: Profile) -> None:
    attendee.name = profile.name
    attendee.email = profile.email
    attendee.company = profile.company
    attendee.job_title = profile.job_title
    attendee.pronouns = profile.pronouns
    attendee.bio = profile.bio


def distinct_handles(handles: Sequence[Handle]) -> list[Handle]:
    """One handle per platform, in order; raises ``duplicate_platform`` for two different."""
    seen: dict[str, Handle] = {}
    for handle in handles:
        if handle.platform in seen and seen[handle.platform].key != handle.key:
            raise PeopleError(
                "duplicate_platform",
                f"Give one {PLATFORM_LABELS[handle.platform]} handle only.",
            )
        seen[handle.platform] = handle
    return list(seen.values())


def handle_hash(secret: str, key: str) -> str:
    """HMAC(event secret, ``platform:handle``): a handle as follow lists store it."""
    return keyed_hash(secret, key)


def replace_handles(attendee: Attendee, handles: Sequence[Handle], *, secret: str) -> None:
    """Make ``handles`` the attendee's handles, reusing rows of the same platform; ``secret``
    is the event's, for each handle's ``key_hash``."""
    wanted = distinct_handles(handles)
    current = {h.platform: h for h in attendee.handles}
    kept: list[AttendeeHandle] = []
    for position, handle in enumerate(wanted):
        row = current.pop(handle.platform, None) or AttendeeHandle(
            event_id=attendee.event_id, platform=handle.platform
        )
        row.handle, row.url, row.position = handle.handle, handle.url, position
        row.key_hash = handle_hash(secret, handle.key)
        kept.append(row)
    attendee.handles = kept


def _changed(session: Session, attendee: Attendee) -> None:
    session.flush()
    record(
        session,
        DomainEvent(
            name="attendee_changed",
            room=f"event:{attendee.event_id}:organiser",
            payload={"attendee_id": attendee.id},
            namespace="/event",
        ),
    )


def create_attendee(
    session: Session,
    *,
    event: Event,
    profile: Profile,
    handles: Sequence[Handle] = (),
    consents: Consents = Consents(),
    source: str = "organiser",
) -> Attendee:
    """Add an attendee to the event; raises ``email_taken`` if the address is registered."""
    cleaned = clean_profile(profile)
    if find_by_email(session, event_id=event.id, email=cleaned.email) is not None:
        raise PeopleError("email_taken", "Someone with this e-mail address is already registered.")
    attendee = Attendee(event_id=event.id, source=source, handles=[])
    _apply_profile(attendee, cleaned)
    _apply_consents(attendee, consents)
    replace_handles(attendee, handles, secret=event.secret)
    session.add(attendee)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        # Two sign-ups with the same address at the same moment: the unique constraint decides.
        raise PeopleError(
            "email_taken", "Someone with this e-mail address is already registered."
        ) from None
    _changed(session, attendee)
    return attendee


def update_attendee(
    session: Session,
    *,
    attendee: Attendee,
    profile: Profile,
    handles: Sequence[Handle] | None = None,
    consents: Consents | None = None,
) -> Attendee:
    """Change an attendee's profile (and, when given, handles and consents)."""
    cleaned = clean_profile(profile)
    other = find_by_email(session, event_id=attendee.event_id, email=cleaned.email)
    if other is not None and other.id != attendee.id:
        raise PeopleError("email_taken", "Another attendee already uses this e-mail address.")
    _apply_profile(attendee, cleaned)
    if handles is not None:
        event = session.get(Event, attendee.event_id)
        assert event is not None
        replace_handles(attendee, handles, secret=event.secret)
    if consents is not None:
        _apply_consents(attendee, consents)
    _changed(session, attendee)
    return attendee


def _apply_consents(attendee: Attendee, consents: Consents) -> None:
    attendee.consent_card = consents.card
    attendee.consent_game = consents.game
    attendee.consent_leaderboard = consents.leaderboard


def consents_of(attendee: Attendee) -> Consents:
    """The attendee's current consents."""
    return Consents(
        card=attendee.consent_card,
        game=attendee.consent_game,
        leaderboard=attendee.consent_leaderboard,
    )


def set_avatar(session: Session, *, attendee: Attendee, upload: bytes, now: datetime) -> Avatar:
    """Store a new avatar (validated and re-encoded); raises ``AvatarError`` on bad uploads."""
    processed = process_avatar(upload)
    avatar = session.get(Avatar, attendee.id)
    if avatar is None:
        avatar = Avatar(attendee_id=attendee.id)
        session.add(avatar)
    avatar.image = processed.image
    avatar.content_type = processed.content_type
    avatar.width, avatar.height = processed.width, processed.height
    avatar.updated_at = now
    _changed(session, attendee)
    return avatar


def remove_avatar(session: Session, *, attendee: Attendee) -> None:
    """Delete the attendee's avatar, if any."""
    session.execute(sa.delete(Avatar).where(Avatar.attendee_id == attendee.id))


def avatar_of(session: Session, attendee_id: int) -> Avatar | None:
    """The stored avatar of an attendee, if any."""
    return session.get(Avatar, attendee_id)


def avatar_versions(session: Session, attendee_ids: Iterable[int]) -> dict[int, int]:
    """attendee id -> a cache-busting version of their avatar, for those who have one."""
    ids = list(attendee_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Avatar.attendee_id, Avatar.updated_at).where(Avatar.attendee_id.in_(ids))
    )
    return {attendee_id: int(updated.timestamp()) for attendee_id, updated in rows}


# --- magic links --------------------------------------------------------------------------


def default_link_expiry(event: Event) -> datetime:
    """Links work until the end of the event's last day (its own time zone) plus 7 days."""
    end_of_event = datetime.combine(event.ends_on, time.max, tzinfo=ZoneInfo(event.timezone))
    return end_of_event + LINK_GRACE


def issue_login_link(
    session: Session,
    *,
    attendee: Attendee,
    event: Event,
    now: datetime,
    purpose: str = "login",
    expires_at: datetime | None = None,
) -> str:
    """A new private login token for the attendee (returned once; only its hash is kept)."""
    if attendee.event_id != event.id or attendee.deleted_at is not None:
        raise PeopleError("not_found", "There is no such attendee at this event.")
    token = new_token()
    session.add(
        LoginLink(
            attendee_id=attendee.id,
            token_hash=hash_token(token),
            purpose=purpose,
            created_at=now,
            expires_at=expires_at or max(default_link_expiry(event), now + LINK_GRACE),
        )
    )
    session.flush()
    return token


def login_with_link(session: Session, *, event: Event, token: str, now: datetime) -> Attendee:
    """The attendee a valid login token belongs to; raises ``invalid_link`` and friends."""
    link = session.scalar(sa.select(LoginLink).where(LoginLink.token_hash == hash_token(token)))
    attendee = session.get(Attendee, link.attendee_id) if link is not None else None
    if link is None or attendee is None or attendee.event_id != event.id:
        raise PeopleError("invalid_link", "This login link is not valid for this event.")
    if link.revoked_at is not None or attendee.deleted_at is not None:
        raise PeopleError("link_revoked", "This login link has been withdrawn.")
    if link.expires_at <= now:
        raise PeopleError("link_expired", "This login link has expired.")
    link.last_used_at = now
    session.flush()
    return attendee


def revoke_login_links(session: Session, *, attendee: Attendee, now: datetime) -> int:
    """Withdraw every live login link of the attendee; returns how many."""
    result = session.execute(
        sa.update(LoginLink)
        .where(LoginLink.attendee_id == attendee.id, LoginLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- my data ------------------------------------------------------------------------------


def export_data(session: Session, *, attendee: Attendee) -> dict[str, Any]:
    """Everything Known holds about the attendee, as JSON-ready data."""
    links = session.scalars(
        sa.select(LoginLink).where(LoginLink.attendee_id == attendee.id).order_by(LoginLink.id)
    )
    data: dict[str, Any] = {
        "profile": {
            "name": attendee.name,
            "email": attendee.email,
            "company": attendee.company,
            "job_title": attendee.job_title,
            "pronouns": attendee.pronouns,
            "bio": attendee.bio,
            "registered_at": attendee.created_at.isoformat(),
            "source": attendee.source,
        },
        "handles": [
            {"platform": h.platform, "handle": h.handle, "url": h.url} for h in attendee.handles
        ],
        "consents": {
            "show_card_to_scanners": attendee.consent_card,
            "answer_in_quizzes_and_hunt_target": attendee.consent_game,
            "named_on_leaderboards": attendee.consent_leaderboard,
        },
        "has_avatar": avatar_of(session, attendee.id) is not None,
        "login_links": [
            {
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
                "revoked": link.revoked_at is not None,
                "last_used_at": link.last_used_at.isoformat() if link.last_used_at else None,
            }
            for link in links
        ],
    }
    for exporter in DATA_EXPORTERS:
        data.update(exporter(session, attendee))
    return data


def delete_profile(session: Session, *, attendee: Attendee, now: datetime) -> None:
    """Erase the attendee's personal data; the row stays so their points remain, anonymous."""
    for eraser in DATA_ERASERS:
        eraser(session, attendee)
    attendee.name = ANONYMOUS_NAME
    attendee.email = None
    attendee.company = attendee.job_title = attendee.pronouns = attendee.bio = ""
    _apply_consents(attendee, Consents())
    attendee.handles = []
    attendee.deleted_at = now
    remove_avatar(session, attendee=attendee)
    revoke_login_links(session, attendee=attendee, now=now)
    session.flush()


# --- organiser list -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeFilter:
    """Search and filters of the organiser's attendee list."""

    q: str = ""
    consent: str = ""  # "", "card", "game", "leaderboard", "none"
    has_handles: str = ""  # "", "yes", "no"
    ids: Sequence[int] = field(default_factory=tuple)


def _filtered(event_id: int, flt: AttendeeFilter) -> sa.Select[Attendee]:
    stmt = sa.select(Attendee).where(Attendee.event_id == event_id, Attendee.deleted_at.is_(None))
    if flt.ids:
        stmt = stmt.where(Attendee.id.in_(list(flt.ids)))
    q = flt.q.strip().lower().lstrip("@")
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        handle_match = sa.select(AttendeeHandle.attendee_id).where(
            AttendeeHandle.event_id == event_id,
            AttendeeHandle.handle.like(like, escape="\\"),
        )
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Attendee.name).like(like, escape="\\"),
                Attendee.email.like(like, escape="\\"),
                sa.func.lower(Attendee.company).like(like, escape="\\"),
                Attendee.id.in_(handle_match),
            )
        )
    consent_columns = {
        "card": Attendee.consent_card,
        "game": Attendee.consent_game,
        "leaderboard": Attendee.consent_leaderboard,
    }
    if flt.consent in consent_columns:
        stmt = stmt.where(consent_columns[flt.consent].is_(True))
    elif flt.consent == "none":
        stmt = stmt.where(
            ~Attendee.consent_card, ~Attendee.consent_game, ~Attendee.consent_leaderboard
        )
    has_any = sa.exists().where(AttendeeHandle.attendee_id == Attendee.id)
    if flt.has_handles == "yes":
        stmt = stmt.where(has_any)
    elif flt.has_handles == "no":
        stmt = stmt.where(~has_any)
    return stmt


def search_attendees(
    session: Session,
    *,
    event_id: int,
    flt: AttendeeFilter,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[Attendee], int]:
    """A page of the event's attendees matching the filter, and the total count."""
    stmt = _filtered(event_id, flt)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(sa.func.lower(Attendee.name), Attendee.id).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return list(session.scalars(page)), int(total)


def iter_attendees(session: Session, *, event_id: int, flt: AttendeeFilter) -> Iterable[Attendee]:
    """Every matching attendee, streamed in name order (for exports and badge sheets)."""
    stmt = _filtered(event_id, flt).order_by(sa.func.lower(Attendee.name), Attendee.id)
    yield from session.scalars(stmt.execution_options(yield_per=500))


def count_attendees(session: Session, *, event_id: int) -> int:
    """How many (not deleted) attendees the event has."""
    return int(
        session.scalar(
            sa.select(sa.func.count(Attendee.id)).where(
                Attendee.event_id == event_id, Attendee.deleted_at.is_(None)
            )
        )
        or 0
    )
