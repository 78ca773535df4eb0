"""The points ledger: append-only, one entry per source."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import Base, utcnow


class PointsEntry(Base):
    """Points won (or voided) by one attendee for one thing that happened.

    ``source_key`` names that thing uniquely within the event (``quiz-answer:812``,
    ``hunt-mission:4:attendee:77``, ``void:…``); the unique constraint turns a double award
    into a no-op instead of double points.
    """

    __tablename__ = "points_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(16))  # quiz | hunt | recognition | meeting | void
    source_key: Mapped[str] = mapped_column(sa.String(120))
    # The hunt, quiz run … the entry belongs to, for per-game leaderboards.
    scope: Mapped[str] = mapped_column(sa.String(40), default="")
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "source_key"),
        sa.Index("ix_points_entry_board", "event_id", "attendee_id"),
        sa.Index("ix_points_entry_scope", "event_id", "scope"),
    )
