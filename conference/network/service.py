"""Who you know online, meetings by badge scan, and the recognition bonus.

Follow lists are kept only as ``FollowHash`` rows: HMAC-SHA256 of a handle's matching key
(``platform:handle``) under the event's secret. Every attendee handle stores the same HMAC
(``AttendeeHandle.key_hash``, written with the handle), and matching joins the two at read time,
so people who register (or add a handle) after the import are found without re-importing.

One consent rule: **an attendee's handles take part in matching only while they show their
card** (``consent_card``). It decides who is listed as "people you know online", whether a
meeting card says "you follow them" (about their handles) or "they follow you" (about mine),
whether a recognition bonus is paid, and whether the attendee sees how many people here follow
them. Who follows you is told only on the card of someone you met.

Points (``conference.scoring``): ``MEETING_POINTS`` to whoever records a meeting; a recognition
bonus to *both* people when a meeting is recorded between two who know each other online —
``RECOGNITION_POINTS`` when one follows the other, ``MUTUAL_RECOGNITION_POINTS`` when they follow
each other. The bonus is paid once per pair and person (``recognition:{low id}:{high id}:{id}``),
at the level the follow lists show when the pair's first rewarded meeting is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conference.db import DomainEvent, record
from conference.errors import DomainError
from conference.events.models import Event
from conference.network.follows import MAX_FOLLOWS
from conference.network.models import ADD_BACK, SCAN, VIA, FollowHash, Meeting
from conference.people import service as people
from conference.people.handles import Handle
from conference.people.models import Attendee, AttendeeHandle
from conference.scoring import service as scoring
from conference.scoring.service import SCREEN_NAMESPACE

MEETING_POINTS = 10
RECOGNITION_POINTS = 100  # one of you follows the other
MUTUAL_RECOGNITION_POINTS = 250  # you follow each other
MAX_NOTE_LENGTH = 2000
_INSERT_BATCH = 1000


class NetworkError(DomainError):
    """A follow list, meeting or note could not be saved."""


# --- meeting listeners ------------------------------------------------------------------------

# Called for every *new* meeting, in the same transaction, after it is inserted and its points
# are paid; each returns messages for the person who recorded it ("Mission complete: …").
MeetingListener = Callable[[Session, Meeting, datetime], list[str]]
MEETING_LISTENERS: list[MeetingListener] = []


def register_meeting_listener(listener: MeetingListener) -> MeetingListener:
    """Call ``listener`` for every new meeting (after those registered before it)."""
    if listener not in MEETING_LISTENERS:
        MEETING_LISTENERS.append(listener)
    return listener


def unregister_meeting_listener(listener: MeetingListener) -> None:
    """Stop calling ``listener``."""
    if listener in MEETING_LISTENERS:
        MEETING_LISTENERS.remove(listener)


# --- hashing ----------------------------------------------------------------------------------


def follow_hash(event: Event, key: str) -> str:
    """The stored form of one followed account: HMAC(event secret, ``platform:handle``), as
    attendees' handles store it too (``AttendeeHandle.key_hash``)."""
    return people.handle_hash(event.secret, key)


def matchable(attendee: Attendee) -> bool:
    """Whether the attendee's handles take part in matching (they show their card)."""
    return attendee.consent_card and attendee.deleted_at is None


# --- follow lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import added to the attendee's follow list."""

    added: int
    already: int
    total: int


def _check_attendee(event: Event, attendee: Attendee) -> None:
    if attendee.event_id != event.id or attendee.deleted_at is not None:
        raise NetworkError("not_your_event", "You are not an attendee of this event.")


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert follow hashes; one already there (a double submit racing this one) is skipped."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _INSERT_BATCH):
        stmt = insert(FollowHash).on_conflict_do_nothing(
            index_elements=[FollowHash.attendee_id, FollowHash.key_hash]
        )
        session.execute(stmt, rows[start : start + _INSERT_BATCH])


def import_follows(
    session: Session, *, event: Event, attendee: Attendee, handles: Sequence[Handle], now: datetime
) -> ImportResult:
    """Add ``handles`` to the attendee's follow list, stored as keyed hashes only."""
    _check_attendee(event, attendee)
    wanted = list(dict.fromkeys(follow_hash(event, h.key) for h in handles))
    existing = set(
        session.scalars(sa.select(FollowHash.key_hash).where(FollowHash.attendee_id == attendee.id))
    )
    new = [h for h in wanted if h not in existing]
    if len(existing) + len(new) > MAX_FOLLOWS:
        raise NetworkError(
            "too_many_follows",
            f"Your list would hold more than {MAX_FOLLOWS:,} accounts. Clear it first, or import "
            "the people you would recognise.",
        )
    _insert_ignoring_duplicates(
        session,
        [
            {"event_id": event.id, "attendee_id": attendee.id, "key_hash": h, "created_at": now}
            for h in new
        ],
    )
    session.flush()
    return ImportResult(
        added=len(new), already=len(wanted) - len(new), total=len(existing) + len(new)
    )


def clear_follows(session: Session, *, attendee: Attendee) -> int:
    """Forget the attendee's whole follow list; returns how many entries went."""
    result = session.execute(sa.delete(FollowHash).where(FollowHash.attendee_id == attendee.id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def follow_count(session: Session, *, attendee_id: int) -> int:
    """How many accounts the attendee's follow list holds."""
    return int(
        session.scalar(
            sa.select(sa.func.count(FollowHash.id)).where(FollowHash.attendee_id == attendee_id)
        )
        or 0
    )


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownPerson:
    """Someone here whom the attendee follows online."""

    attendee: Attendee
    followed: tuple[AttendeeHandle, ...]  # their handles in the attendee's list
    met: bool


def known_here(session: Session, *, event: Event, attendee: Attendee) -> list[KnownPerson]:
    """The attendees of the event whom ``attendee`` follows online (not met first, then by name).

    One indexed join: the attendee's list against the stored keyed hashes of the event's
    matchable handles.
    """
    rows = session.execute(
        sa.select(AttendeeHandle.attendee_id, AttendeeHandle.id)
        .join(
            FollowHash,
            sa.and_(
                FollowHash.attendee_id == attendee.id,
                FollowHash.key_hash == AttendeeHandle.key_hash,
            ),
        )
        .join(Attendee, Attendee.id == AttendeeHandle.attendee_id)
        .where(
            AttendeeHandle.event_id == event.id,
            Attendee.consent_card.is_(True),
            Attendee.deleted_at.is_(None),
            Attendee.id != attendee.id,
        )
    )
    matched: dict[int, set[int]] = defaultdict(set)
    for attendee_id, handle_id in rows:
        matched[attendee_id].add(handle_id)
    if not matched:
        return []
    persons = session.scalars(sa.select(Attendee).where(Attendee.id.in_(list(matched))))
    met = met_ids(session, attendee_id=attendee.id)
    known = [
        KnownPerson(
            attendee=person,
            followed=tuple(h for h in person.handles if h.id in matched[person.id]),
            met=person.id in met,
        )
        for person in persons
    ]
    known.sort(key=lambda k: (k.met, k.attendee.name.casefold(), k.attendee.id))
    return known


def follower_count(session: Session, *, event: Event, attendee: Attendee) -> int:
    """How many people here follow the attendee online (0 while their handles are not matched)."""
    if not matchable(attendee) or not attendee.handles:
        return 0
    hashes = [h.key_hash for h in attendee.handles if h.key_hash]
    return int(
        session.scalar(
            sa.select(sa.func.count(sa.distinct(FollowHash.attendee_id)))
            .join(Attendee, Attendee.id == FollowHash.attendee_id)
            .where(
                FollowHash.event_id == event.id,
                FollowHash.key_hash.in_(hashes),
                FollowHash.attendee_id != attendee.id,
                Attendee.deleted_at.is_(None),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Relation:
    """How two attendees know each other online, as seen by one of them (the viewer)."""

    you_follow: tuple[AttendeeHandle, ...] = ()  # their handles in the viewer's list
    they_follow: tuple[AttendeeHandle, ...] = ()  # the viewer's handles in their list

    @property
    def known(self) -> bool:
        """One of them follows the other."""
        return bool(self.you_follow or self.they_follow)

    @property
    def mutual(self) -> bool:
        """They follow each other."""
        return bool(self.you_follow and self.they_follow)

    @property
    def summary(self) -> str:
        """ "You follow each other", "You follow them", "They follow you" or ""."""
        if self.mutual:
            return "You follow each other"
        if self.you_follow:
            return "You follow them"
        if self.they_follow:
            return "They follow you"
        return ""


def relations(
    session: Session, *, event: Event, viewer: Attendee, others: Iterable[Attendee]
) -> dict[int, Relation]:
    """The relation of ``viewer`` to each of ``others`` (two queries however many others)."""
    others = [o for o in others if o.id != viewer.id]
    their_hashes: dict[str, list[AttendeeHandle]] = defaultdict(list)
    for other in others:
        if matchable(other):
            for h in other.handles:
                if h.key_hash:
                    their_hashes[h.key_hash].append(h)
    you_follow: dict[int, list[AttendeeHandle]] = defaultdict(list)
    if their_hashes:
        followed = session.scalars(
            sa.select(FollowHash.key_hash).where(
                FollowHash.attendee_id == viewer.id, FollowHash.key_hash.in_(list(their_hashes))
            )
        )
        for key_hash in followed:
            for h in their_hashes[key_hash]:
                you_follow[h.attendee_id].append(h)
    they_follow: dict[int, list[AttendeeHandle]] = defaultdict(list)
    if matchable(viewer) and viewer.handles and others:
        mine = {h.key_hash: h for h in viewer.handles if h.key_hash}
        rows = session.execute(
            sa.select(FollowHash.attendee_id, FollowHash.key_hash).where(
                FollowHash.event_id == event.id,
                FollowHash.key_hash.in_(list(mine)),
                FollowHash.attendee_id.in_([o.id for o in others]),
            )
        )
        for follower_id, key_hash in rows:
            they_follow[follower_id].append(mine[key_hash])
    order = {h.id: h.position for o in [viewer, *others] for h in o.handles}
    return {
        other.id: Relation(
            you_follow=tuple(sorted(you_follow[other.id], key=lambda h: order[h.id])),
            they_follow=tuple(sorted(they_follow[other.id], key=lambda h: order[h.id])),
        )
        for other in others
    }


def relation(session: Session, *, event: Event, viewer: Attendee, other: Attendee) -> Relation:
    """How ``viewer`` and ``other`` know each other online, as the viewer sees it."""
    if other.id == viewer.id:
        return Relation()
    return relations(session, event=event, viewer=viewer, others=[other])[other.id]


def follows_between(session: Session, *, event: Event, a: Attendee, b: Attendee) -> Relation:
    """Alias of ``relation`` for other features: does ``a`` follow ``b`` (and the reverse)."""
    return relation(session, event=event, viewer=a, other=b)


# --- meetings ---------------------------------------------------------------------------------


@dataclass
class MeetingOutcome:
    """What opening someone's badge did: the meeting, and what it paid the one who opened it."""

    meeting: Meeting
    created: bool
    relation: Relation
    points: int = 0  # meeting and recognition points paid to the attendee just now
    recognition_points: int = 0
    messages: list[str] = field(default_factory=list)  # from meeting listeners (the hunt …)


def met_ids(session: Session, *, attendee_id: int) -> set[int]:
    """Everyone the attendee met, whoever recorded the meeting."""
    mine = sa.select(Meeting.met_id).where(Meeting.attendee_id == attendee_id)
    theirs = sa.select(Meeting.attendee_id).where(Meeting.met_id == attendee_id)
    return set(session.scalars(sa.union(mine, theirs)))


def meeting_count(session: Session, *, attendee_id: int) -> int:
    """How many meetings the attendee recorded."""
    return int(
        session.scalar(
            sa.select(sa.func.count(Meeting.id)).where(Meeting.attendee_id == attendee_id)
        )
        or 0
    )


def meeting_of(session: Session, *, attendee_id: int, met_id: int) -> Meeting | None:
    """The meeting ``attendee_id`` recorded with ``met_id``, if any."""
    return session.scalar(
        sa.select(Meeting).where(Meeting.attendee_id == attendee_id, Meeting.met_id == met_id)
    )


def screen_name(attendee: Attendee) -> str:
    """The attendee's name for the event screen, or "Anonymous attendee" without consent."""
    if attendee.consent_leaderboard and attendee.deleted_at is None:
        return attendee.name
    return scoring.ANONYMOUS


def _check_pair(attendee: Attendee, met: Attendee) -> None:
    if attendee.id == met.id:
        raise NetworkError("self_meeting", "That is your own badge.")
    if attendee.event_id != met.event_id:
        raise NetworkError("not_your_event", "That badge belongs to another event.")
    if attendee.deleted_at is not None or met.deleted_at is not None:
        raise NetworkError("not_found", "There is no such attendee at this event.")


def _recognise(
    session: Session,
    *,
    event: Event,
    attendee: Attendee,
    met: Attendee,
    rel: Relation,
    now: datetime,
) -> int:
    """Pay the recognition bonus to both; returns what ``attendee`` received now."""
    points = MUTUAL_RECOGNITION_POINTS if rel.mutual else RECOGNITION_POINTS
    low, high = sorted((attendee.id, met.id))
    paid: dict[int, int] = {}
    for person in (attendee, met):
        entry = scoring.award(
            session,
            event_id=event.id,
            attendee_id=person.id,
            source="recognition",
            source_key=f"recognition:{low}:{high}:{person.id}",
            points=points,
            now=now,
            reason="Met someone you follow each other with online"
            if rel.mutual
            else "Met someone you know online",
        )
        if entry is not None:
            paid[person.id] = entry.points
    if paid:
        record(
            session,
            DomainEvent(
                name="recognition",
                room=f"event:{event.id}:screen",
                payload={
                    "names": [screen_name(attendee), screen_name(met)],
                    "mutual": rel.mutual,
                    "points": points,
                    "at": now.isoformat(),
                },
                namespace=SCREEN_NAMESPACE,
            ),
        )
    return paid.get(attendee.id, 0)


def record_meeting(
    session: Session, *, attendee: Attendee, met: Attendee, now: datetime, via: str = SCAN
) -> MeetingOutcome:
    """``attendee`` met ``met``: record it once, pay points, run the meeting listeners.

    A repeated call finds the first meeting and changes nothing (``created`` is False).
    """
    _check_pair(attendee, met)
    if via not in VIA:
        raise ValueError(f"unknown meeting source {via!r}")
    event = session.get(Event, attendee.event_id)
    assert event is not None
    rel = relation(session, event=event, viewer=attendee, other=met)
    existing = meeting_of(session, attendee_id=attendee.id, met_id=met.id)
    if existing is not None:
        return MeetingOutcome(meeting=existing, created=False, relation=rel)
    meeting = Meeting(
        event_id=event.id, attendee_id=attendee.id, met_id=met.id, via=via, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(meeting)
            session.flush()
    except sa.exc.IntegrityError:
        # The same scan twice at once (a double tap): the unique constraint kept the first.
        first = meeting_of(session, attendee_id=attendee.id, met_id=met.id)
        assert first is not None
        return MeetingOutcome(meeting=first, created=False, relation=rel)

    outcome = MeetingOutcome(meeting=meeting, created=True, relation=rel)
    entry = scoring.award(
        session,
        event_id=event.id,
        attendee_id=attendee.id,
        source="meeting",
        source_key=f"meeting:{meeting.id}",
        points=MEETING_POINTS,
        now=now,
        reason="Met someone",
    )
    outcome.points += entry.points if entry is not None else 0
    if rel.known:
        outcome.recognition_points = _recognise(
            session, event=event, attendee=attendee, met=met, rel=rel, now=now
        )
        outcome.points += outcome.recognition_points
    for listener in list(MEETING_LISTENERS):
        outcome.messages.extend(listener(session, meeting, now))
    # Recorded last: a savepoint released after it (an award, a listener's) would publish the
    # outbox before the request commits.
    payload: dict[str, Any] = {
        "meeting_id": meeting.id,
        "at": now.isoformat(),
        "meetings": _event_meeting_count(session, event.id),
        "recognition": rel.known,
    }
    if screen_name(attendee) != scoring.ANONYMOUS and screen_name(met) != scoring.ANONYMOUS:
        payload["names"] = [attendee.name, met.name]
    record(
        session,
        DomainEvent(
            name="meeting_recorded",
            room=f"event:{event.id}:screen",
            payload=payload,
            namespace=SCREEN_NAMESPACE,
        ),
    )
    return outcome


def _event_meeting_count(session: Session, event_id: int) -> int:
    return int(
        session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.event_id == event_id))
        or 0
    )


def add_back(
    session: Session, *, attendee: Attendee, other: Attendee, now: datetime
) -> MeetingOutcome:
    """Save someone who scanned the attendee's badge to the attendee's own people."""
    _check_pair(attendee, other)
    if meeting_of(session, attendee_id=other.id, met_id=attendee.id) is None:
        raise NetworkError("not_met", "Scan their badge to add them to your people.")
    return record_meeting(session, attendee=attendee, met=other, now=now, via=ADD_BACK)


def save_note(
    session: Session, *, attendee: Attendee, met_id: int, note: str, now: datetime
) -> Meeting:
    """Save the attendee's private note about someone they met."""
    meeting = meeting_of(session, attendee_id=attendee.id, met_id=met_id)
    if meeting is None:
        raise NetworkError("not_found", "You have not met this person yet.")
    text = note.replace("\r\n", "\n").strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise NetworkError("too_long", f"A note can be at most {MAX_NOTE_LENGTH:,} characters.")
    meeting.note = text
    meeting.note_updated_at = now
    session.flush()
    return meeting


# --- my people --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetPerson:
    """Someone the attendee met, with their meeting and how they know each other."""

    attendee: Attendee
    meeting: Meeting | None  # the attendee's own record; None when only the other scanned
    met_at: datetime
    relation: Relation

    @property
    def shows_card(self) -> bool:
        """Their card (company, picture, handles) may be shown."""
        return matchable(self.attendee)


def my_people(session: Session, *, event: Event, attendee: Attendee) -> list[MetPerson]:
    """Everyone the attendee recorded meeting, newest first."""
    rows = list(
        session.execute(
            sa.select(Meeting, Attendee)
            .join(Attendee, Attendee.id == Meeting.met_id)
            .where(Meeting.attendee_id == attendee.id)
            .order_by(Meeting.created_at.desc(), Meeting.id.desc())
        )
    )
    rels = relations(session, event=event, viewer=attendee, others=[a for _, a in rows])
    return [
        MetPerson(attendee=other, meeting=m, met_at=m.created_at, relation=rels[other.id])
        for m, other in rows
    ]


def scanned_by(session: Session, *, event: Event, attendee: Attendee) -> list[MetPerson]:
    """People who scanned the attendee's badge and are not (yet) in the attendee's people."""
    mine = sa.select(Meeting.met_id).where(Meeting.attendee_id == attendee.id)
    rows = list(
        session.execute(
            sa.select(Meeting, Attendee)
            .join(Attendee, Attendee.id == Meeting.attendee_id)
            .where(
                Meeting.met_id == attendee.id,
                Attendee.deleted_at.is_(None),
                Meeting.attendee_id.not_in(mine),
            )
            .order_by(Meeting.created_at.desc(), Meeting.id.desc())
        )
    )
    rels = relations(session, event=event, viewer=attendee, others=[a for _, a in rows])
    return [
        MetPerson(attendee=other, meeting=None, met_at=m.created_at, relation=rels[other.id])
        for m, other in rows
    ]


def person_met(session: Session, *, event: Event, attendee: Attendee, other_id: int) -> MetPerson:
    """One person the attendee met (either of them scanning); raises ``not_found`` otherwise."""
    other = session.get(Attendee, other_id)
    if other is None or other.event_id != event.id or other.id == attendee.id:
        raise NetworkError("not_found", "You have not met this person.")
    mine = meeting_of(session, attendee_id=attendee.id, met_id=other.id)
    theirs = (
        None if mine is not None else meeting_of(session, attendee_id=other.id, met_id=attendee.id)
    )
    if mine is None and (theirs is None or other.deleted_at is not None):
        raise NetworkError("not_found", "You have not met this person.")
    met_at = mine.created_at if mine is not None else theirs.created_at  # type: ignore[union-attr]
    return MetPerson(
        attendee=other,
        meeting=mine,
        met_at=met_at,
        relation=relation(session, event=event, viewer=attendee, other=other),
    )


def can_see_card(session: Session, *, event: Event, viewer: Attendee, other: Attendee) -> bool:
    """Whether the viewer may see the other's card here: they show it, and the two met or the
    viewer follows them online."""
    if other.event_id != event.id or viewer.event_id != event.id or not matchable(other):
        return False
    if other.id == viewer.id:
        return True
    if other.id in met_ids(session, attendee_id=viewer.id):
        return True
    return bool(relation(session, event=event, viewer=viewer, other=other).you_follow)


# --- my data ----------------------------------------------------------------------------------


def export_attendee(session: Session, attendee: Attendee) -> dict[str, Any]:
    """The attendee's follow list (a count: only hashes are kept), meetings and notes."""
    rows = session.execute(
        sa.select(Meeting, Attendee.name)
        .join(Attendee, Attendee.id == Meeting.met_id)
        .where(Meeting.attendee_id == attendee.id)
        .order_by(Meeting.created_at, Meeting.id)
    )
    return {
        "follow_list": {
            "accounts": follow_count(session, attendee_id=attendee.id),
            "stored_as": "keyed hashes (HMAC-SHA256 with this event's secret); no handles",
        },
        "meetings": [
            {
                "met": name,
                "met_at": meeting.created_at.isoformat(),
                "how": "scanned their badge" if meeting.via == SCAN else "they scanned yours",
                "note": meeting.note,
            }
            for meeting, name in rows
        ],
        "met_by_others": int(
            session.scalar(
                sa.select(sa.func.count(Meeting.id)).where(Meeting.met_id == attendee.id)
            )
            or 0
        ),
    }


def erase_attendee(session: Session, attendee: Attendee) -> None:
    """Delete the attendee's follow list and the meetings (and notes) they recorded.

    Meetings others recorded of them stay, so the points stand; those people then see
    "Deleted attendee".
    """
    clear_follows(session, attendee=attendee)
    session.execute(sa.delete(Meeting).where(Meeting.attendee_id == attendee.id))
    session.flush()
