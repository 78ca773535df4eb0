"""Hunts, their missions and hints, and who completed (or revealed) what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import Base, utcnow

# A completion is ``done`` (points paid), ``pending`` (waiting for the person found to confirm),
# ``declined`` (they said no; a later matching meeting may try again) or ``voided`` (an
# organiser cancelled it; final).
PENDING = "pending"
DONE = "done"
DECLINED = "declined"
VOIDED = "voided"
COMPLETION_STATES = (PENDING, DONE, DECLINED, VOIDED)


class Hunt(Base):
    """A scavenger hunt of one event, open between ``starts_at`` and ``ends_at``."""

    __tablename__ = "hunt"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    missions: Mapped[list[Mission]] = relationship(
        back_populates="hunt",
        cascade="all, delete-orphan",
        order_by="(Mission.position, Mission.id)",
    )

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="window_in_order"),)

    @property
    def scope(self) -> str:
        """The ledger scope of this hunt's points (its own leaderboard)."""
        return f"hunt:{self.id}"

    def is_open(self, now: datetime) -> bool:
        """Missions can be completed right now."""
        return self.starts_at <= now < self.ends_at

    def __repr__(self) -> str:
        return f"<Hunt {self.id} {self.name!r}>"


class Mission(Base):
    """One thing to do in a hunt; ``kind`` names a predicate class in ``hunt.missions``."""

    __tablename__ = "mission"

    id: Mapped[int] = mapped_column(primary_key=True)
    hunt_id: Mapped[int] = mapped_column(sa.ForeignKey("hunt.id", ondelete="CASCADE"), index=True)
    # Denormalised so every lookup is scoped to the event without a join.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # What the kind needs: {"attendee_id": 7, "clue": "bio"}, {"rule": "company", …}, {"n": 3}.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    points: Mapped[int] = mapped_column(default=100)
    first_bonus: Mapped[int] = mapped_column(default=0)
    requires_confirmation: Mapped[bool] = mapped_column(default=False)
    # Optional window inside the hunt's own.
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # Checkpoints only: the public, unguessable token of the poster's QR code (/h/<token>).
    token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hunt: Mapped[Hunt] = relationship(back_populates="missions")
    hints: Mapped[list[MissionHint]] = relationship(
        back_populates="mission",
        cascade="all, delete-orphan",
        order_by="(MissionHint.position, MissionHint.id)",
        lazy="selectin",
    )

    __table_args__ = (
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
        sa.CheckConstraint("first_bonus >= 0", name="bonus_not_negative"),
    )

    def is_open(self, now: datetime) -> bool:
        """The hunt is open and so is the mission's own window, if it has one."""
        if not self.hunt.is_open(now):
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return not (self.closes_at is not None and now >= self.closes_at)

    def counts_from(self) -> datetime:
        """Meetings from this moment on count towards "meet N" missions."""
        if self.opens_at is not None and self.opens_at > self.hunt.starts_at:
            return self.opens_at
        return self.hunt.starts_at

    def __repr__(self) -> str:
        return f"<Mission {self.id} {self.kind} {self.title!r}>"


class MissionHint(Base):
    """A hint an attendee may reveal for a cost in points."""

    __tablename__ = "mission_hint"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.String(500))
    cost: Mapped[int] = mapped_column(default=0)

    mission: Mapped[Mission] = relationship(back_populates="hints")

    __table_args__ = (sa.CheckConstraint("cost >= 0", name="cost_not_negative"),)


class HintReveal(Base):
    """An attendee revealed a hint (once: the unique constraint makes a double tap free)."""

    __tablename__ = "hint_reveal"

    id: Mapped[int] = mapped_column(primary_key=True)
    hint_id: Mapped[int] = mapped_column(sa.ForeignKey("mission_hint.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("hint_id", "attendee_id"),)


class MissionCompletion(Base):
    """An attendee completed a mission: at most one row per mission and attendee."""

    __tablename__ = "mission_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    hunt_id: Mapped[int] = mapped_column(sa.ForeignKey("hunt.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("mission.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default=DONE)
    # The person found (person and trait missions): they confirm when the mission asks for it.
    found_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attendee.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id", ondelete="SET NULL"))
    points: Mapped[int] = mapped_column(default=0)  # paid for the mission itself
    bonus: Mapped[int] = mapped_column(default=0)  # first-finder bonus paid, if this was first
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]  # when the points were paid
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    mission: Mapped[Mission] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("mission_id", "attendee_id"),
        sa.Index("ix_mission_completion_feed", "hunt_id", "created_at"),
        sa.Index("ix_mission_completion_found", "found_id", "status"),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'declined', 'voided')", name="known_status"
        ),
    )
