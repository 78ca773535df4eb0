"""Badge tokens: the public, printed identifier behind every badge QR code."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import Base, utcnow
from conference.people.models import Attendee


class Badge(Base):
    """One printed badge. Revoking it issues a new one; the old token stops working."""

    __tablename__ = "badge"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    # Public (printed on a chest) and long: it identifies, it never authenticates.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    attendee: Mapped[Attendee] = relationship()

    __table_args__ = (
        # At most one live badge per attendee: the partial index is the invariant, not a check.
        sa.Index(
            "uq_badge_live_attendee",
            "attendee_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )
