"""Check-in lists, the check-ins they admit, and the log of every scan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.accounts.models import Account
from conference.db import Base, utcnow
from conference.people.models import Attendee

NONCE_MAX = 64
RAW_MAX = 300
# The rows ``uq_check_in_once`` covers: live check-ins through lists that admit once.
ADMIT_ONCE_LIVE = "undone_at IS NULL AND admit_once"


class CheckInList(Base):
    """A door or a day ("Main entrance", "Workshop day 2"): admits a person once, or again."""

    __tablename__ = "checkin_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    allow_reentry: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by every check-in and undo on the list, under the list row's lock, just before
    # the counts are read (checkin.service._announce): a screen keeps the counts of the highest
    # version it has seen, so a slow answer never overwrites a newer push.
    counts_version: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    def __repr__(self) -> str:
        return f"<CheckInList {self.id} {self.name!r}>"


class CheckIn(Base):
    """One admission of an attendee through one list; undone check-ins stay, marked undone.

    Exactly once lives in the database: on lists that admit a person once, the partial unique
    index ``uq_check_in_once`` allows one live (not undone) check-in per list and attendee.
    ``admit_once`` is the list's rule copied onto the row when it is written, so rows of
    re-entry lists (``admit_once`` false) fall outside the index and each scan is a new entry.
    """

    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_list.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    admit_once: Mapped[bool]
    # The scan's client nonce, so a check-in can be traced back to the device request.
    nonce: Mapped[str] = mapped_column(sa.String(NONCE_MAX))
    # Server time: the truth for ordering and for the undo window.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Client time of the scan (an offline scan is sent later), never after created_at.
    scanned_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )

    checkin_list: Mapped[CheckInList] = relationship()
    attendee: Mapped[Attendee] = relationship()
    staff: Mapped[Account | None] = relationship(foreign_keys=[staff_id])

    __table_args__ = (
        sa.Index(
            "uq_check_in_once",
            "list_id",
            "attendee_id",
            unique=True,
            sqlite_where=sa.text(ADMIT_ONCE_LIVE),
            postgresql_where=sa.text(ADMIT_ONCE_LIVE),
        ),
        # Live counts ("142 of 300 checked in") after every scan: an index-only count.
        sa.Index(
            "ix_check_in_live",
            "list_id",
            "attendee_id",
            sqlite_where=sa.text("undone_at IS NULL"),
            postgresql_where=sa.text("undone_at IS NULL"),
        ),
        sa.Index("ix_check_in_list_scanned", "list_id", "scanned_at"),
    )


class Scan(Base):
    """Every scan a device sent, failed ones too, with the first answer a repeat replays."""

    __tablename__ = "scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    list_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("checkin_list.id", ondelete="SET NULL")
    )
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    # Unique per event: the same nonce again is the same scan, retried.
    nonce: Mapped[str] = mapped_column(sa.String(NONCE_MAX))
    # What the device sent (token, URL or "attendee:<id>"), truncated.
    raw: Mapped[str] = mapped_column(sa.String(RAW_MAX), default="")
    code: Mapped[str] = mapped_column(sa.String(32))
    attendee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="SET NULL")
    )
    check_in_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("check_in.id", ondelete="SET NULL")
    )
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "nonce"),
        sa.Index("ix_scan_event_received", "event_id", "received_at"),
    )
