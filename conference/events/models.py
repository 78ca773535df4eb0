"""The conference itself, and who runs it."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.accounts.models import Account
from conference.db import Base, utcnow

ORGANISER = "organiser"
STAFF = "staff"
ROLES = (ORGANISER, STAFF)


def _new_secret() -> str:
    return secrets.token_hex(32)


class Event(Base):
    """One conference, meetup or workshop; everything else is scoped to an event."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    registration_open: Mapped[bool] = mapped_column(default=False)
    # Keys the HMAC of imported follow lists; never leaves the server.
    secret: Mapped[str] = mapped_column(sa.String(64), default=_new_secret)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Membership(Base):
    """An account's role in one event: ``organiser`` or ``staff``."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="memberships")
    account: Mapped[Account] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("event_id", "account_id"),
        sa.CheckConstraint("role IN ('organiser', 'staff')", name="known_role"),
    )


class StaffInvite(Base):
    """A single-use, expiring link that lets someone join an event's team."""

    __tablename__ = "staff_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16), default=STAFF)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
