"""Badges: issuing and revoking badge tokens, and resolving a scanned token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from conference.badges.models import Badge
from conference.errors import DomainError
from conference.people.models import Attendee
from conference.tokens import new_token

UNKNOWN = "unknown_badge"
REVOKED = "revoked_badge"
OK = "ok"


class BadgeError(DomainError):
    """A badge could not be issued or revoked."""


@dataclass(frozen=True)
class BadgeLookup:
    """What a scanned token stands for: ``ok``, ``unknown_badge`` or ``revoked_badge``."""

    status: str
    badge: Badge | None = None
    attendee: Attendee | None = None

    @property
    def event_id(self) -> int | None:
        """The event the badge belongs to, when it is known."""
        return self.badge.event_id if self.badge is not None else None


def badge_url(base_url: str, token: str) -> str:
    """What a badge QR encodes: ``{KNOWN_BASE_URL}/b/{token}``."""
    return f"{base_url.rstrip('/')}/b/{token}"


def live_badge(session: Session, attendee_id: int) -> Badge | None:
    """The attendee's current badge, if one was issued."""
    return session.scalar(
        sa.select(Badge).where(Badge.attendee_id == attendee_id, Badge.revoked_at.is_(None))
    )


def ensure_badge(session: Session, *, attendee: Attendee, now: datetime) -> Badge:
    """The attendee's live badge, issuing one the first time it is needed."""
    badge = live_badge(session, attendee.id)
    if badge is not None:
        return badge
    if attendee.deleted_at is not None:
        raise BadgeError("not_found", "This attendee deleted their profile.")
    badge = Badge(
        event_id=attendee.event_id, attendee_id=attendee.id, token=new_token(), created_at=now
    )
    try:
        with session.begin_nested():
            session.add(badge)
            session.flush()
    except sa.exc.IntegrityError:
        # Another request issued it a moment ago; the partial unique index kept one.
        existing = live_badge(session, attendee.id)
        assert existing is not None
        return existing
    return badge


def ensure_badges(
    session: Session, *, attendees: Iterable[Attendee], now: datetime
) -> dict[int, Badge]:
    """Live badges for many attendees at once (two queries, however many attendees)."""
    wanted = {a.id: a for a in attendees if a.deleted_at is None}
    if not wanted:
        return {}
    found = {
        b.attendee_id: b
        for b in session.scalars(
            sa.select(Badge).where(Badge.attendee_id.in_(list(wanted)), Badge.revoked_at.is_(None))
        )
    }
    missing = [a for a_id, a in wanted.items() if a_id not in found]
    try:
        with session.begin_nested():
            for attendee in missing:
                found[attendee.id] = Badge(
                    event_id=attendee.event_id,
                    attendee_id=attendee.id,
                    token=new_token(),
                    created_at=now,
                )
                session.add(found[attendee.id])
            session.flush()
    except sa.exc.IntegrityError:
        # A concurrent print issued some of them first: take them one by one.
        for attendee in missing:
            found[attendee.id] = ensure_badge(session, attendee=attendee, now=now)
    return found


def revoke_badge(session: Session, *, attendee: Attendee, now: datetime) -> Badge:
    """Revoke the attendee's badge and issue a new one; the old QR stops working."""
    old = live_badge(session, attendee.id)
    if old is not None:
        old.revoked_at = now
        session.flush()
    return ensure_badge(session, attendee=attendee, now=now)


def resolve(session: Session, token: str) -> BadgeLookup:
    """What a scanned badge token stands for."""
    if not token or len(token) > 64:
        return BadgeLookup(UNKNOWN)
    # One query for the badge and its holder; the holder's handles load only if asked for
    # (the check-in desk never does, the badge page does).
    row = session.execute(
        sa.select(Badge, Attendee)
        .outerjoin(Attendee, Attendee.id == Badge.attendee_id)
        .where(Badge.token == token)
        .options(lazyload(Attendee.handles))
    ).first()
    if row is None:
        return BadgeLookup(UNKNOWN)
    badge, attendee = row
    if badge.revoked_at is not None or attendee is None or attendee.deleted_at is not None:
        return BadgeLookup(REVOKED, badge, attendee)
    return BadgeLookup(OK, badge, attendee)
