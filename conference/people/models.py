"""Attendees of an event, their online handles, consents, avatars and private login links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import Base, utcnow
from conference.people.handles import PLATFORM_LABELS, Handle

ANONYMOUS_NAME = "Deleted attendee"


class Attendee(Base):
    """A person at one event. Every consent is off until the attendee turns it on."""

    __tablename__ = "attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Stored lower-cased; NULL once the attendee deleted their profile (points stay, anonymous).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    pronouns: Mapped[str] = mapped_column(sa.String(40), default="")
    bio: Mapped[str] = mapped_column(sa.String(1000), default="")
    # Show my card (name, company, avatar, handles) to people who scan my badge.
    consent_card: Mapped[bool] = mapped_column(default=False)
    # I may be an answer in quizzes and a target in the hunt.
    consent_game: Mapped[bool] = mapped_column(default=False)
    # Show me on leaderboards by name (otherwise "Anonymous attendee").
    consent_leaderboard: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(16), default="organiser")  # import|join|...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]

    handles: Mapped[list[AttendeeHandle]] = relationship(
        back_populates="attendee",
        cascade="all, delete-orphan",
        order_by="AttendeeHandle.position",
        lazy="selectin",
    )

    __table_args__ = (sa.UniqueConstraint("event_id", "email"),)

    # Flask-Login protocol: attendees log in by magic link, scoped to their one event.
    is_authenticated = True
    is_anonymous = False
    is_attendee = True

    @property
    def is_active(self) -> bool:
        """Deleted profiles cannot log in."""
        return self.deleted_at is None

    def get_id(self) -> str:
        """Session identifier for Flask-Login."""
        return f"attendee:{self.id}"

    @property
    def primary_handle(self) -> AttendeeHandle | None:
        """The handle shown on the badge: the first one the attendee listed."""
        return self.handles[0] if self.handles else None

    def __repr__(self) -> str:
        return f"<Attendee {self.id} event={self.event_id}>"


class AttendeeHandle(Base):
    """One online handle of an attendee, in canonical form (see ``people.handles``)."""

    __tablename__ = "attendee_handle"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    # Denormalised so "who here has this handle" is one indexed lookup per event.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(16))
    handle: Mapped[str] = mapped_column(sa.String(300))
    url: Mapped[str] = mapped_column(sa.String(400))
    position: Mapped[int] = mapped_column(default=0)
    # HMAC(event secret, ``platform:handle``): the form in which follow lists hold accounts
    # (``conference.network``), so "who here do I follow" is one indexed join. Kept in step
    # with the handle by ``people.service.replace_handles`` and the bulk import.
    key_hash: Mapped[str | None] = mapped_column(sa.String(64))

    attendee: Mapped[Attendee] = relationship(back_populates="handles")

    __table_args__ = (
        sa.UniqueConstraint("attendee_id", "platform"),
        sa.Index("ix_attendee_handle_lookup", "event_id", "platform", "handle"),
        sa.Index("ix_attendee_handle_key_hash", "event_id", "key_hash"),
    )

    @property
    def key(self) -> str:
        """The matching key ``platform:handle``."""
        return f"{self.platform}:{self.handle}"

    @property
    def display(self) -> str:
        """How the handle is written for people (``@name``, ``linkedin.com/in/slug`` …)."""
        return Handle(self.platform, self.handle, self.url).display

    @property
    def label(self) -> str:
        """The platform's name for people."""
        return PLATFORM_LABELS[self.platform]


class Avatar(Base):
    """An attendee's picture: re-encoded by Pillow, metadata stripped, at most 512 px."""

    __tablename__ = "avatar"

    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True
    )
    # Kept in the database, not on disk, so every app process of a cluster can serve it.
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginLink(Base):
    """A private magic link: stored only as a hash, tied to one attendee, expiring, revocable."""

    __tablename__ = "login_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(16), default="login")  # mail|csv|desk|join
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class ImportJob(Base):
    """An uploaded attendee CSV on its way through mapping, preview and import."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="uploaded")  # …|importing|done
    total_rows: Mapped[int] = mapped_column(default=0)
    next_row: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
