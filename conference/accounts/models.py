"""Organiser and staff accounts (attendees log in by magic link and have no account)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import Base, utcnow


class Account(Base):
    """A person who runs events: an organiser or a check-in staff member."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Flask-Login protocol; the id is prefixed so attendee sessions can never be mistaken
    # for account sessions.
    is_authenticated = True
    is_anonymous = False
    is_attendee = False

    def get_id(self) -> str:
        """Session identifier for Flask-Login."""
        return f"account:{self.id}"

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.email}>"
