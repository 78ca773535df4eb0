"""Points and leaderboards.

Every leaderboard is one query over the ledger. Tie-break, in this order: the higher total;
then whoever reached that total first (the time of their latest entry); then the lower
attendee id. People who did not consent to be named appear as "Anonymous attendee".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.db import DomainEvent, record
from conference.errors import DomainError
from conference.people.models import Attendee
from conference.scoring.models import PointsEntry

ANONYMOUS = "Anonymous attendee"
SOURCES = ("quiz", "hunt", "recognition", "meeting", "void")
# The public, read-only projector namespace (``conference.scoring.sockets``): every event screen
# joins ``event:<id>:screen`` there.
SCREEN_NAMESPACE = "/screen"


class ScoringError(DomainError):
    """Points could not be awarded or voided."""


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    rank: int
    attendee_id: int
    name: str
    total: int
    reached_at: datetime


def award(
    session: Session,
    *,
    event_id: int,
    attendee_id: int,
    source: str,
    source_key: str,
    points: int,
    now: datetime,
    scope: str = "",
    reason: str = "",
) -> PointsEntry | None:
    """Add an entry; returns None (and changes nothing) if ``source_key`` was already paid."""
    if source not in SOURCES:
        raise ScoringError("invalid_source", f"Unknown points source {source!r}.")
    entry = PointsEntry(
        event_id=event_id,
        attendee_id=attendee_id,
        source=source,
        source_key=source_key,
        scope=scope,
        points=points,
        reason=reason[:200],
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except sa.exc.IntegrityError:
        return None
    record(
        session,
        DomainEvent(
            name="points_changed",
            room=f"event:{event_id}:screen",
            payload={"attendee_id": attendee_id, "source": source, "scope": scope},
            namespace=SCREEN_NAMESPACE,
        ),
    )
    return entry


def void(session: Session, *, entry: PointsEntry, reason: str, now: datetime) -> PointsEntry | None:
    """Cancel an entry with a negative entry of the same size (the ledger is append-only)."""
    if not reason.strip():
        raise ScoringError("reason_required", "Say why the points are voided.")
    return award(
        session,
        event_id=entry.event_id,
        attendee_id=entry.attendee_id,
        source="void",
        source_key=f"void:{entry.id}",
        points=-entry.points,
        now=now,
        scope=entry.scope,
        reason=reason.strip(),
    )


def _board(event_id: int, scope: str | None) -> sa.Subquery:
    conditions = [PointsEntry.event_id == event_id]
    if scope is not None:
        conditions.append(PointsEntry.scope == scope)
    return (
        sa.select(
            PointsEntry.attendee_id.label("attendee_id"),
            sa.func.sum(PointsEntry.points).label("total"),
            sa.func.max(PointsEntry.created_at).label("reached_at"),
        )
        .where(*conditions)
        .group_by(PointsEntry.attendee_id)
        .subquery()
    )


def leaderboard(
    session: Session, *, event_id: int, scope: str | None = None, limit: int | None = 10
) -> list[Standing]:
    """The top of the event's (or one game's) leaderboard, ties broken as documented above."""
    board = _board(event_id, scope)
    order = (board.c.total.desc(), board.c.reached_at.asc(), board.c.attendee_id.asc())
    stmt = (
        sa.select(
            board.c.attendee_id,
            board.c.total,
            board.c.reached_at,
            Attendee.name,
            Attendee.consent_leaderboard,
            Attendee.deleted_at,
            sa.func.rank().over(order_by=order).label("rank"),
        )
        .join(Attendee, Attendee.id == board.c.attendee_id)
        .order_by(*order)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        Standing(
            rank=int(row.rank),
            attendee_id=int(row.attendee_id),
            name=row.name if row.consent_leaderboard and row.deleted_at is None else ANONYMOUS,
            total=int(row.total),
            reached_at=row.reached_at,
        )
        for row in session.execute(stmt)
    ]


def standing_of(
    session: Session, *, event_id: int, attendee_id: int, scope: str | None = None
) -> Standing | None:
    """The attendee's own line (rank and total), or None before their first points."""
    board = _board(event_id, scope)
    mine = session.execute(
        sa.select(board.c.total, board.c.reached_at).where(board.c.attendee_id == attendee_id)
    ).first()
    if mine is None:
        return None
    total, reached_at = int(mine.total), mine.reached_at
    ahead = session.scalar(
        sa.select(sa.func.count()).where(
            sa.or_(
                board.c.total > total,
                sa.and_(board.c.total == total, board.c.reached_at < reached_at),
                sa.and_(
                    board.c.total == total,
                    board.c.reached_at == reached_at,
                    board.c.attendee_id < attendee_id,
                ),
            )
        )
    )
    attendee = session.get(Attendee, attendee_id)
    named = attendee is not None and attendee.consent_leaderboard and not attendee.deleted_at
    return Standing(
        rank=int(ahead or 0) + 1,
        attendee_id=attendee_id,
        name=attendee.name if named and attendee is not None else ANONYMOUS,
        total=total,
        reached_at=reached_at,
    )


def total_of(session: Session, *, event_id: int, attendee_id: int) -> int:
    """The attendee's total points at the event."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
                PointsEntry.event_id == event_id, PointsEntry.attendee_id == attendee_id
            )
        )
        or 0
    )


def screen_name(attendee: Attendee | None) -> str:
    """The attendee's name on boards and screens, or "Anonymous attendee" without consent."""
    if attendee is not None and attendee.consent_leaderboard and attendee.deleted_at is None:
        return attendee.name
    return ANONYMOUS


def entry_by_key(session: Session, *, event_id: int, source_key: str) -> PointsEntry | None:
    """The ledger entry of one source (``hunt-mission:4:attendee:77`` …), if it was paid."""
    return session.scalar(
        sa.select(PointsEntry).where(
            PointsEntry.event_id == event_id, PointsEntry.source_key == source_key
        )
    )


@dataclass(frozen=True)
class Recognition:
    """Two people who knew each other online met (for the event screen's feed)."""

    names: tuple[str, ...]
    points: int
    at: datetime


def recent_recognitions(session: Session, *, event_id: int, limit: int = 6) -> list[Recognition]:
    """The latest recognition bonuses, one line per pair (both are paid at the same moment)."""
    rows = session.execute(
        sa.select(PointsEntry.created_at, PointsEntry.points, Attendee)
        .join(Attendee, Attendee.id == PointsEntry.attendee_id)
        .where(PointsEntry.event_id == event_id, PointsEntry.source == "recognition")
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
        .limit(limit * 2)
    )
    grouped: dict[datetime, list[tuple[int, Attendee]]] = {}
    for at, points, attendee in rows:
        grouped.setdefault(at, []).append((points, attendee))
    return [
        Recognition(
            names=tuple(screen_name(a) for _, a in pair),
            points=max(p for p, _ in pair),
            at=at,
        )
        for at, pair in list(grouped.items())[:limit]
    ]


# --- the event screen -------------------------------------------------------------------------

# Features add their part of the projector's data ("hunt": completions per mission …) by
# registering a function; scoring itself only knows the ledger.
ScreenProvider = Callable[[Session, int, datetime], Any]
SCREEN_PROVIDERS: dict[str, ScreenProvider] = {}


def register_screen_provider(key: str, provider: ScreenProvider) -> None:
    """Add ``provider(session, event_id, now)``'s answer to every screen snapshot as ``key``."""
    SCREEN_PROVIDERS[key] = provider


def screen_snapshot(
    session: Session, *, event_id: int, now: datetime, top: int = 10
) -> dict[str, Any]:
    """Everything the event screen shows: the top of the overall board, recognitions, and what
    registered features add. Only consented names appear."""
    data: dict[str, Any] = {
        "leaderboard": [
            {"rank": s.rank, "name": s.name, "total": s.total}
            for s in leaderboard(session, event_id=event_id, limit=top)
        ],
        "recognitions": [
            {"names": list(r.names), "points": r.points, "at": r.at.isoformat()}
            for r in recent_recognitions(session, event_id=event_id)
        ],
        "at": now.isoformat(),
    }
    for key, provider in SCREEN_PROVIDERS.items():
        data[key] = provider(session, event_id, now)
    return data


# --- per-game boards --------------------------------------------------------------------------

# Features name the scopes they write ("hunt:4" -> "Treasure hunt") so the leaderboard page can
# offer a board per game without scoring knowing what a hunt is.
BoardSource = Callable[[Session, int], list[tuple[str, str]]]
BOARD_SOURCES: list[BoardSource] = []


def register_board_source(source: BoardSource) -> None:
    """Offer the boards ``source(session, event_id)`` lists as (scope, title) pairs."""
    if source not in BOARD_SOURCES:
        BOARD_SOURCES.append(source)


def boards(session: Session, *, event_id: int) -> list[tuple[str, str]]:
    """Every per-game board of the event, as (scope, title), in registration order."""
    return [board for source in BOARD_SOURCES for board in source(session, event_id)]
