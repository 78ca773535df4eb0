"""Imported follow lists (as keyed hashes only) and meetings between attendees."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import Base, utcnow

SCAN = "scan"  # the attendee opened the other's badge URL
ADD_BACK = "add_back"  # the other scanned this attendee first; they saved them back
VIA = (SCAN, ADD_BACK)


class FollowHash(Base):
    """One account an attendee follows online, kept only as HMAC(event secret, handle key).

    The clear handle is never stored: matching recomputes the same HMAC over the handles of the
    event's attendees, which the per-event key makes useless outside this event.
    """

    __tablename__ = "follow_hash"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("attendee_id", "key_hash"),
        # "How many people here follow me": the hashes of my handles, looked up per event.
        sa.Index("ix_follow_hash_lookup", "event_id", "key_hash"),
    )


class Meeting(Base):
    """``attendee`` met ``met`` (by opening their badge); the note is the attendee's alone."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    met_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(sa.String(16), default=SCAN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    note_updated_at: Mapped[datetime | None]

    __table_args__ = (
        # A repeated scan finds this row instead of recording a second meeting.
        sa.UniqueConstraint("attendee_id", "met_id"),
        sa.Index("ix_meeting_met", "met_id"),
        sa.Index("ix_meeting_event", "event_id", "created_at"),
        sa.CheckConstraint("attendee_id <> met_id", name="not_self"),
        sa.CheckConstraint("via IN ('scan', 'add_back')", name="known_via"),
    )
