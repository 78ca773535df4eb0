"""Check-in: the one place that decides whether a scanned badge gets in.

Every way in (the scanner page, the JSON API, the benchmark) calls :func:`check_in`. The rules,
in the order they are applied:

1. A nonce seen before for this event returns the stored first answer (``replayed``).
2. The list must belong to the event and the caller must be on its team (``not_allowed``).
3. The token is read from a badge URL of any base URL, or taken bare, and resolved:
   ``unknown_badge``, ``wrong_event`` (a live badge of another event), ``revoked_badge``.
4. The check-in row is inserted with ``ON CONFLICT DO NOTHING`` on the partial unique index
   ``uq_check_in_once``: on a list that admits once, exactly one live check-in per attendee
   gets through; the loser of a race (on PostgreSQL its insert waits for the winner to
   commit) inserts nothing and answers ``already_checked_in`` with the winner's time, staff
   and list. Nothing is checked first and inserted later.
5. The scan row is inserted with the answer, the same way, on its unique
   ``(event_id, nonce)``: of two copies of one request in flight, the second waits for the
   first to commit, inserts nothing, takes back the check-in it made, and replays the first
   answer.

Conflicts are answered by the inserts themselves rather than by savepoints: a savepoint costs
two more round trips, and on PostgreSQL under gevent every round trip is a moment another
request's work can slip in ahead of this one.

Every scan, failed ones too, stays in ``scan`` with its code and the answer given.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from conference.accounts.models import Account
from conference.badges import service as badges
from conference.badges.models import Badge
from conference.checkin.models import (
    ADMIT_ONCE_LIVE,
    NONCE_MAX,
    RAW_MAX,
    CheckIn,
    CheckInList,
    Scan,
)
from conference.db import DomainEvent, insert_unless_taken, record
from conference.errors import DomainError
from conference.events.models import ORGANISER, STAFF, Event
from conference.events.service import event_room, has_role, role_query
from conference.people import service as people
from conference.people.models import Attendee

OK = "ok"
ALREADY_CHECKED_IN = "already_checked_in"
UNKNOWN_BADGE = badges.UNKNOWN
REVOKED_BADGE = badges.REVOKED
WRONG_EVENT = "wrong_event"
NOT_ALLOWED = "not_allowed"
CODES = (OK, ALREADY_CHECKED_IN, UNKNOWN_BADGE, REVOKED_BADGE, WRONG_EVENT, NOT_ALLOWED)

NONCE_MIN = 8
LIST_NAME_MAX = 100
UNDO_WINDOW = timedelta(seconds=30)
# An offline device may send a scan hours later; a clock further off than this is wrong.
CLOCK_TRUST = timedelta(hours=24)
BUCKET = timedelta(minutes=5)
MAX_BUCKETS = 288  # one day of five-minute buckets
RECENT = 10
SEARCH_LIMIT = 20
_INSERT_RETRIES = 3
_CHECK_IN = cast(sa.Table, CheckIn.__table__)
_SCAN = cast(sa.Table, Scan.__table__)
_TOKEN_END = re.compile(r"[/?#\s]")


class CheckInError(DomainError):
    """A check-in list could not be created, or a check-in could not be undone."""


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRef:
    """A check-in list as answers name it."""

    id: int
    name: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class AttendeeRef:
    """Who was scanned: enough to greet them, never their e-mail."""

    id: int
    name: str
    company: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "name": self.name, "company": self.company}


@dataclass(frozen=True)
class CheckInRef:
    """A check-in as answers describe it: when, through which list, by whom."""

    id: int
    at: datetime
    list: ListRef
    by: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "list": self.list.as_dict(),
            "by": self.by,
        }


@dataclass(frozen=True)
class CheckInResult:
    """The answer to one scan; ``code`` is one of ``CODES``."""

    code: str
    message: str
    attendee: AttendeeRef | None = None
    check_in: CheckInRef | None = None
    previous: CheckInRef | None = None
    undo_until: datetime | None = None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        """Whether the person was let in by this scan."""
        return self.code == OK

    def as_dict(self) -> dict[str, Any]:
        """The answer in the API's JSON shape (what a repeated nonce replays)."""
        previous = None
        if self.previous is not None:
            previous = self.previous.as_dict()
            del previous["id"]
        return {
            "ok": self.ok,
            "code": self.code,
            "message": self.message,
            "attendee": self.attendee.as_dict() if self.attendee else None,
            "check_in": self.check_in.as_dict() if self.check_in else None,
            "previous": previous,
            "undo_until": self.undo_until.isoformat() if self.undo_until else None,
            "replayed": self.replayed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, replayed: bool) -> CheckInResult:
        """Rebuild a stored answer."""

        def ref(raw: dict[str, Any] | None) -> CheckInRef | None:
            if raw is None:
                return None
            return CheckInRef(
                id=int(raw.get("id", 0)),
                at=datetime.fromisoformat(raw["at"]),
                list=ListRef(**raw["list"]),
                by=raw["by"],
            )

        attendee = data.get("attendee")
        undo_until = data.get("undo_until")
        return cls(
            code=data["code"],
            message=data["message"],
            attendee=AttendeeRef(**attendee) if attendee else None,
            check_in=ref(data.get("check_in")),
            previous=ref(data.get("previous")),
            undo_until=datetime.fromisoformat(undo_until) if undo_until else None,
            replayed=replayed,
        )


# --- reading a scan -----------------------------------------------------------------------


def badge_token(scanned: str) -> str:
    """The badge token in what a scanner read: a badge URL of any base URL, or a bare token."""
    text = scanned.strip()
    marker = text.rfind("/b/")
    if marker >= 0:
        text = text[marker + 3 :]
    return _TOKEN_END.split(text, maxsplit=1)[0]


def token_hash(token: str) -> str:
    """SHA-256 hex of a badge token: what an offline roster is keyed by."""
    return hashlib.sha256(token.encode()).hexdigest()


def _trusted_scan_time(scanned_at: datetime, now: datetime) -> datetime:
    # The device clock places an offline scan in time, but never in the future and never
    # further back than a day: a wrong clock must not reorder the door's history.
    if scanned_at.tzinfo is None:
        scanned_at = scanned_at.replace(tzinfo=UTC)
    return max(min(scanned_at, now), now - CLOCK_TRUST)


def _zone(event: Event) -> ZoneInfo:
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(event: Event, at: datetime) -> str:
    """``HH:MM`` of ``at`` in the event's time zone."""
    return at.astimezone(_zone(event)).strftime("%H:%M")


def _when(event: Event, at: datetime, now: datetime) -> str:
    zone = _zone(event)
    local = at.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    return f"{local.day} {local.strftime('%b')} at {local.strftime('%H:%M')}"


def _greeting(attendee: Attendee) -> str:
    return f"{attendee.name} — {attendee.company}" if attendee.company else attendee.name


def _staff_name(account: Account | None) -> str:
    return account.name if account is not None else "someone"


def _ref(check_in: CheckIn, lst: CheckInList) -> CheckInRef:
    return CheckInRef(
        id=check_in.id,
        at=check_in.scanned_at,
        list=ListRef(lst.id, lst.name),
        by=_staff_name(check_in.staff),
    )


# --- deciding a check-in ------------------------------------------------------------------


def _scan_by_nonce(session: Session, *, event_id: int, nonce: str) -> Scan | None:
    return session.scalar(sa.select(Scan).where(Scan.event_id == event_id, Scan.nonce == nonce))


def _live_check_in(session: Session, *, list_id: int, attendee_id: int) -> CheckIn | None:
    return session.scalar(
        sa.select(CheckIn)
        .where(
            CheckIn.list_id == list_id,
            CheckIn.attendee_id == attendee_id,
            CheckIn.undone_at.is_(None),
        )
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(1)
    )


def _replay(first_answer: dict[str, Any]) -> CheckInResult:
    return CheckInResult.from_dict(first_answer, replayed=True)


def _first_lookup(
    session: Session, *, event: Event, list_id: int, staff: Account, nonce: str
) -> tuple[CheckInList | None, str | None, dict[str, Any] | None]:
    """The list, the staff member's role in the event and the answer already given to this
    nonce, if any: what every scan needs first, in one query.

    Without such a list there is no row, so no first answer either: a repeated nonce is then
    caught by the scan insert (see :func:`check_in`).
    """
    role = role_query(account_id=staff.id, event_id=event.id).scalar_subquery()
    first = (
        sa.select(Scan.response)
        .where(Scan.event_id == event.id, Scan.nonce == nonce)
        .scalar_subquery()
    )
    row = session.execute(
        sa.select(CheckInList, role, first).where(CheckInList.id == list_id)
    ).first()
    if row is None:
        return None, None, None
    return row[0], row[1], row[2]


@dataclass(frozen=True)
class _Verdict:
    """What reading the scan decided: a refusal, or the list and the attendee to admit."""

    refusal: CheckInResult | None = None
    lst: CheckInList | None = None
    attendee: Attendee | None = None
    about: int | None = None  # the attendee the scan was about, for the log


def _judge(
    session: Session,
    *,
    event: Event,
    lst: CheckInList | None,
    staff_role: str | None,
    token: str | None,
    attendee_id: int | None,
) -> _Verdict:
    """Everything that can refuse a scan before anything is written."""
    if lst is None or lst.event_id != event.id:
        return _Verdict(CheckInResult(NOT_ALLOWED, "This check-in list is not part of this event."))
    if staff_role not in (ORGANISER, STAFF):
        return _Verdict(CheckInResult(NOT_ALLOWED, "You are not on this event's team."))

    if token is not None:
        lookup = badges.resolve(session, badge_token(token))
        if lookup.status == badges.UNKNOWN:
            return _Verdict(CheckInResult(UNKNOWN_BADGE, "Unknown badge."), lst)
        if lookup.event_id != event.id:
            # Never say whose badge it is: that person belongs to another event.
            return _Verdict(CheckInResult(WRONG_EVENT, "Badge of another event."), lst)
        attendee = lookup.attendee
        if lookup.status == badges.REVOKED or attendee is None:
            ref = None
            if attendee is not None and attendee.deleted_at is None:
                ref = AttendeeRef(attendee.id, attendee.name, attendee.company)
            message = "This badge was revoked: ask for the newest badge."
            about = lookup.badge.attendee_id if lookup.badge else None
            return _Verdict(CheckInResult(REVOKED_BADGE, message, attendee=ref), lst, about=about)
        return _Verdict(None, lst, attendee, attendee.id)

    found = (
        session.get(Attendee, attendee_id, options=[lazyload(Attendee.handles)])
        if attendee_id is not None
        else None
    )
    if found is None or found.event_id != event.id:
        return _Verdict(CheckInResult(UNKNOWN_BADGE, "No such attendee at this event."), lst)
    if found.deleted_at is not None:
        refusal = CheckInResult(REVOKED_BADGE, "This attendee deleted their profile.")
        return _Verdict(refusal, lst, about=found.id)
    return _Verdict(None, lst, found, found.id)


def _admit(
    session: Session,
    *,
    event: Event,
    lst: CheckInList,
    attendee: Attendee,
    staff: Account,
    nonce: str,
    scanned_at: datetime,
    now: datetime,
) -> tuple[CheckInResult, int | None]:
    """Insert the check-in; the unique index, not a prior read, says whether it is the first.

    Returns the answer and the new check-in's id (None when the person was already in).
    """
    # On a re-entry list every entry is a new row; an earlier one only changes the greeting.
    earlier = (
        _live_check_in(session, list_id=lst.id, attendee_id=attendee.id)
        if lst.allow_reentry
        else None
    )
    who = AttendeeRef(attendee.id, attendee.name, attendee.company)
    insert = (
        insert_unless_taken(
            session, _CHECK_IN, unique=["list_id", "attendee_id"], where=ADMIT_ONCE_LIVE
        )
        .values(
            event_id=event.id,
            list_id=lst.id,
            attendee_id=attendee.id,
            staff_id=staff.id,
            admit_once=not lst.allow_reentry,
            nonce=nonce,
            created_at=now,
            scanned_at=scanned_at,
        )
        .returning(_CHECK_IN.c.id)
    )
    for _ in range(_INSERT_RETRIES):
        check_in_id = session.scalar(insert)
        if check_in_id is None:
            # The index refused it. On PostgreSQL the insert waited for the other transaction:
            # its row is visible now.
            previous = _live_check_in(session, list_id=lst.id, attendee_id=attendee.id)
            if previous is None:
                # The winner was undone or rolled back meanwhile: try again.
                continue
            when = _when(event, previous.scanned_at, now)
            by = _staff_name(previous.staff)
            return CheckInResult(
                ALREADY_CHECKED_IN,
                f"Already checked in at {when} by {by} ({lst.name}).",
                attendee=who,
                previous=_ref(previous, lst),
            ), None
        welcome = "Welcome back" if earlier is not None else "Welcome"
        return CheckInResult(
            OK,
            f"{welcome}, {_greeting(attendee)}",
            attendee=who,
            check_in=CheckInRef(check_in_id, scanned_at, ListRef(lst.id, lst.name), staff.name),
            undo_until=now + UNDO_WINDOW,
        ), check_in_id
    raise CheckInError("busy", "The check-in could not be recorded; scan again.")


def check_in(
    session: Session,
    *,
    event: Event,
    list_id: int,
    staff: Account,
    token: str | None = None,
    attendee_id: int | None = None,
    nonce: str,
    scanned_at: datetime,
    now: datetime,
) -> CheckInResult:
    """Decide one scan (a badge token or URL, or an attendee id) and log it; see the module."""
    nonce = nonce.strip()
    if not NONCE_MIN <= len(nonce) <= NONCE_MAX:
        raise CheckInError(
            "invalid_nonce", f"The nonce must be {NONCE_MIN} to {NONCE_MAX} characters."
        )
    if (token is None) == (attendee_id is None):
        raise CheckInError("invalid_request", "Send either a badge token or an attendee id.")

    lst, staff_role, first_answer = _first_lookup(
        session, event=event, list_id=list_id, staff=staff, nonce=nonce
    )
    if first_answer is not None:
        return _replay(first_answer)
    verdict = _judge(
        session,
        event=event,
        lst=lst,
        staff_role=staff_role,
        token=token,
        attendee_id=attendee_id,
    )
    when = _trusted_scan_time(scanned_at, now)
    raw = token if token is not None else f"attendee:{attendee_id}"
    result, check_in_id = verdict.refusal, None
    if result is None:
        assert verdict.lst is not None and verdict.attendee is not None
        result, check_in_id = _admit(
            session,
            event=event,
            lst=verdict.lst,
            attendee=verdict.attendee,
            staff=staff,
            nonce=nonce,
            scanned_at=when,
            now=now,
        )
    logged = session.scalar(
        insert_unless_taken(session, _SCAN, unique=["event_id", "nonce"])
        .values(
            event_id=event.id,
            list_id=verdict.lst.id if verdict.lst is not None else None,
            staff_id=staff.id,
            nonce=nonce,
            raw=raw[:RAW_MAX],
            code=result.code,
            attendee_id=verdict.about,
            check_in_id=check_in_id,
            scanned_at=when,
            received_at=now,
            response=result.as_dict(),
        )
        .returning(_SCAN.c.id)
    )
    if logged is None:
        # The same nonce was decided meanwhile (on PostgreSQL this insert waited for that
        # request to commit): the first answer stands, and the check-in made for this copy
        # of the request is taken back (it was never committed, nobody saw it).
        if check_in_id is not None:
            session.execute(sa.delete(_CHECK_IN).where(_CHECK_IN.c.id == check_in_id))
        first = _scan_by_nonce(session, event_id=event.id, nonce=nonce)
        if first is None:
            raise CheckInError("busy", "The scan could not be recorded; scan again.")
        return _replay(first.response)
    if check_in_id is not None:
        assert verdict.lst is not None and verdict.attendee is not None
        last = RecentCheckIn(
            name=verdict.attendee.name,
            company=verdict.attendee.company,
            at=when,
            by=staff.name,
            list=ListRef(verdict.lst.id, verdict.lst.name),
        )
        _announce(session, event=event, list_id=verdict.lst.id, last=last)
    return result


def undo(
    session: Session, *, event: Event, check_in_id: int, staff: Account, now: datetime
) -> CheckIn:
    """Take back a check-in within 30 s of it (server time), e.g. the wrong person was scanned."""
    row = session.get(CheckIn, check_in_id)
    if row is None or row.event_id != event.id:
        raise CheckInError("not_found", "There is no such check-in at this event.")
    if not has_role(session, account_id=staff.id, event_id=event.id, roles=(ORGANISER, STAFF)):
        raise CheckInError("not_your_event", "You are not on this event's team.")
    if row.undone_at is not None:
        raise CheckInError("already_undone", "This check-in was already undone.")
    if now - row.created_at > UNDO_WINDOW:
        raise CheckInError("undo_expired", "Too late to undo: a check-in can be undone for 30 s.")
    # Conditional update: two undo taps at once take it back once.
    done = session.execute(
        sa.update(CheckIn)
        .where(CheckIn.id == row.id, CheckIn.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=staff.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise CheckInError("already_undone", "This check-in was already undone.")
    session.expire(row)
    _announce(session, event=event, list_id=row.list_id, last=None)
    return row


# --- live counts --------------------------------------------------------------------------


def _checked_in_count_query(list_id: int) -> sa.Select[int]:
    return sa.select(sa.func.count(sa.distinct(CheckIn.attendee_id))).where(
        CheckIn.list_id == list_id, CheckIn.undone_at.is_(None)
    )


def _version_query(list_id: int) -> sa.Select[int]:
    return sa.select(CheckInList.counts_version).where(CheckInList.id == list_id)


def _list_version(session: Session, list_id: int) -> int:
    return int(session.scalar(_version_query(list_id)) or 0)


def expected_count(session: Session, *, event_id: int) -> int:
    """How many people are expected: the event's attendees who have not deleted themselves."""
    return people.count_attendees(session, event_id=event_id)


@dataclass(frozen=True)
class RecentCheckIn:
    """One line of the "last ten" on the dashboard."""

    name: str
    company: str
    at: datetime
    by: str
    list: ListRef

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "company": self.company,
            "at": self.at.isoformat(),
            "by": self.by,
            "list": self.list.as_dict(),
        }


def _recent(session: Session, *, list_ids: list[int], limit: int) -> list[RecentCheckIn]:
    if not list_ids:
        return []
    rows = session.execute(
        sa.select(CheckIn, Attendee.name, Attendee.company, Account.name, CheckInList)
        .join(Attendee, Attendee.id == CheckIn.attendee_id)
        .join(CheckInList, CheckInList.id == CheckIn.list_id)
        .outerjoin(Account, Account.id == CheckIn.staff_id)
        .where(CheckIn.list_id.in_(list_ids), CheckIn.undone_at.is_(None))
        .order_by(CheckIn.scanned_at.desc(), CheckIn.id.desc())
        .limit(limit)
    )
    return [
        RecentCheckIn(
            name=name,
            company=company,
            at=row.scanned_at,
            by=staff_name or "someone",
            list=ListRef(lst.id, lst.name),
        )
        for row, name, company, staff_name, lst in rows
    ]


def _announce(session: Session, *, event: Event, list_id: int, last: RecentCheckIn | None) -> None:
    """Tell the event's staff and organiser screens, after the commit, what changed.

    The last statements of every check-in and undo: the list's ``counts_version`` is raised
    first, which takes the list row's lock until the commit, so the counts read next are
    exactly those of that version (on PostgreSQL two doors scanning at once would otherwise
    each count without the other). Screens keep the highest version they have seen, so a
    push or a fetched snapshot arriving late never overwrites a newer one.
    """
    version = session.scalar(
        sa.update(CheckInList)
        .where(CheckInList.id == list_id)
        .values(counts_version=CheckInList.counts_version + 1)
        .returning(CheckInList.counts_version)
        .execution_options(synchronize_session=False)
    )
    # Both counts in one query (the same figures as ``stats`` and ``expected_count``): this
    # runs after every scan that lets someone in.
    checked_in, expected = session.execute(
        sa.select(
            _checked_in_count_query(list_id).scalar_subquery(),
            sa.select(sa.func.count(Attendee.id))
            .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
            .scalar_subquery(),
        )
    ).one()
    payload = {
        "list_id": list_id,
        "version": int(version or 0),
        "checked_in": int(checked_in or 0),
        "expected": int(expected or 0),
        "last": last.as_dict() if last is not None else None,
    }
    for audience in (STAFF, ORGANISER):
        record(
            session,
            DomainEvent(
                name="checkin_update",
                room=event_room(event.id, audience),
                payload=payload,
                namespace="/event",
            ),
        )


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListCount:
    """A check-in list with how many are in and how many are expected."""

    list: CheckInList
    expected: int
    checked_in: int
    version: int  # the list's counts_version, read in the same statement as ``checked_in``

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.list.id,
            "name": self.list.name,
            "allow_reentry": self.list.allow_reentry,
            "expected": self.expected,
            "checked_in": self.checked_in,
            "version": self.version,
        }


def create_list(
    session: Session, *, event: Event, name: str, allow_reentry: bool, now: datetime
) -> CheckInList:
    """Add a check-in list to the event; names are unique within an event."""
    clean = " ".join(name.split())
    if not clean:
        raise CheckInError("name_required", "Give the list a name, e.g. “Main entrance”.")
    if len(clean) > LIST_NAME_MAX:
        raise CheckInError("too_long", f"A list name can be at most {LIST_NAME_MAX} characters.")
    lst = CheckInList(event_id=event.id, name=clean, allow_reentry=allow_reentry, created_at=now)
    try:
        with session.begin_nested():
            session.add(lst)
            session.flush()
    except sa.exc.IntegrityError:
        raise CheckInError("list_exists", f"There is already a list called “{clean}”.") from None
    return lst


def get_list(session: Session, *, event: Event, list_id: int) -> CheckInList:
    """A check-in list of this event (never of another); raises ``not_found``."""
    lst = session.get(CheckInList, list_id)
    if lst is None or lst.event_id != event.id:
        raise CheckInError("not_found", "There is no such check-in list at this event.")
    return lst


def lists_with_counts(session: Session, *, event: Event) -> list[ListCount]:
    """The event's lists, oldest first, each with checked-in and expected counts."""
    live = sa.and_(CheckIn.list_id == CheckInList.id, CheckIn.undone_at.is_(None))
    rows = session.execute(
        sa.select(
            CheckInList,
            CheckInList.counts_version,
            sa.func.count(sa.distinct(CheckIn.attendee_id)),
        )
        .outerjoin(CheckIn, live)
        .where(CheckInList.event_id == event.id)
        .group_by(CheckInList.id)
        .order_by(CheckInList.created_at, CheckInList.id)
    )
    expected = expected_count(session, event_id=event.id)
    return [ListCount(lst, expected, int(n), int(version)) for lst, version, n in rows]


# --- roster, search, stats ----------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    """One attendee in a scanner's offline roster: token hash, name, company, no e-mail."""

    h: str | None
    attendee_id: int
    name: str
    company: str
    checked_in: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Roster:
    """What a scanner caches to keep working offline."""

    counts: ListCount
    generated_at: datetime
    entries: list[RosterEntry]


def _checked_in_ids(list_id: int) -> sa.Select[int]:
    return sa.select(CheckIn.attendee_id).where(
        CheckIn.list_id == list_id, CheckIn.undone_at.is_(None)
    )


def roster(session: Session, *, event: Event, list_id: int, now: datetime) -> Roster:
    """Every attendee of the event with the hash of their live badge token, for one list."""
    lst = get_list(session, event=event, list_id=list_id)
    rows = session.execute(
        sa.select(
            Attendee.id,
            Attendee.name,
            Attendee.company,
            Badge.token,
            Attendee.id.in_(_checked_in_ids(lst.id)),
            _version_query(lst.id).scalar_subquery(),
        )
        .outerjoin(
            Badge,
            sa.and_(Badge.attendee_id == Attendee.id, Badge.revoked_at.is_(None)),
        )
        .where(Attendee.event_id == event.id, Attendee.deleted_at.is_(None))
        .order_by(Attendee.name, Attendee.id)
    ).all()
    entries = [
        RosterEntry(
            h=token_hash(token) if token else None,
            attendee_id=attendee_id,
            name=name,
            company=company,
            checked_in=bool(checked),
        )
        for attendee_id, name, company, token, checked, _ in rows
    ]
    checked_in = sum(1 for e in entries if e.checked_in)
    version = int(rows[0][-1]) if rows else _list_version(session, lst.id)
    return Roster(ListCount(lst, len(entries), checked_in, version), now, entries)


@dataclass(frozen=True)
class SearchResult:
    """An attendee found by name, e-mail or company (the e-mail itself is not returned)."""

    attendee_id: int
    name: str
    company: str
    checked_in: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dataclasses.asdict(self)


def search(
    session: Session, *, event: Event, q: str, list_id: int | None = None
) -> list[SearchResult]:
    """Up to 20 attendees whose name, e-mail or company contains ``q``, by name."""
    text = " ".join(q.split()).lower()
    if not text:
        return []
    lst = get_list(session, event=event, list_id=list_id) if list_id is not None else None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    checked: sa.ColumnElement[bool] = (
        Attendee.id.in_(_checked_in_ids(lst.id)) if lst is not None else sa.false()
    )
    rows = session.execute(
        sa.select(Attendee.id, Attendee.name, Attendee.company, checked)
        .where(
            Attendee.event_id == event.id,
            Attendee.deleted_at.is_(None),
            sa.or_(
                sa.func.lower(Attendee.name).like(like, escape="\\"),
                sa.func.lower(Attendee.email).like(like, escape="\\"),
                sa.func.lower(Attendee.company).like(like, escape="\\"),
            ),
        )
        .order_by(Attendee.name, Attendee.id)
        .limit(SEARCH_LIMIT)
    )
    return [SearchResult(a_id, name, company, bool(c)) for a_id, name, company, c in rows]


@dataclass(frozen=True)
class Bucket:
    """Check-ins in the five minutes starting at ``t``."""

    t: datetime
    n: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"t": self.t.isoformat(), "n": self.n}


@dataclass(frozen=True)
class Stats:
    """A list's dashboard: counts, the last ten check-ins, check-ins per five minutes."""

    counts: ListCount
    recent: list[RecentCheckIn]
    per_5min: list[Bucket] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "list": self.counts.as_dict(),
            "expected": self.counts.expected,
            "checked_in": self.counts.checked_in,
            "recent": [r.as_dict() for r in self.recent],
            "per_5min": [b.as_dict() for b in self.per_5min],
        }


def _bucket_start(at: datetime) -> datetime:
    seconds = int(BUCKET.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def buckets(times: list[datetime]) -> list[Bucket]:
    """Counts per five minutes from the first to the last time, empty buckets included."""
    if not times:
        return []
    counts = Counter(_bucket_start(t) for t in times)
    last = max(counts)
    first = max(min(counts), last - BUCKET * (MAX_BUCKETS - 1))

    def walk() -> Iterator[datetime]:
        t = first
        while t <= last:
            yield t
            t += BUCKET

    return [Bucket(t, counts.get(t, 0)) for t in walk()]


def stats(session: Session, *, event: Event, list_id: int) -> Stats:
    """Checked in and expected, the last ten check-ins, and check-ins per five minutes."""
    lst = get_list(session, event=event, list_id=list_id)
    times = list(
        session.scalars(
            sa.select(CheckIn.scanned_at).where(
                CheckIn.list_id == lst.id, CheckIn.undone_at.is_(None)
            )
        )
    )
    version, checked_in = session.execute(
        sa.select(
            _version_query(lst.id).scalar_subquery(),
            _checked_in_count_query(lst.id).scalar_subquery(),
        )
    ).one()
    count = ListCount(
        lst, expected_count(session, event_id=event.id), int(checked_in), int(version)
    )
    return Stats(count, _recent(session, list_ids=[lst.id], limit=RECENT), buckets(times))


def recent_for_event(session: Session, *, event: Event, limit: int = RECENT) -> list[RecentCheckIn]:
    """The last check-ins through any of the event's lists."""
    list_ids = list(
        session.scalars(sa.select(CheckInList.id).where(CheckInList.event_id == event.id))
    )
    return _recent(session, list_ids=list_ids, limit=limit)


def scan_log(session: Session, *, event: Event, limit: int = 50) -> list[Scan]:
    """The event's latest scans, failed ones too, newest first."""
    return list(
        session.scalars(
            sa.select(Scan)
            .where(Scan.event_id == event.id)
            .order_by(Scan.received_at.desc(), Scan.id.desc())
            .limit(limit)
        )
    )


# --- my data ------------------------------------------------------------------------------


def export_check_ins(session: Session, attendee: Attendee) -> dict[str, Any]:
    """The attendee's check-ins, for "download my data"."""
    rows = session.execute(
        sa.select(CheckIn, CheckInList.name)
        .join(CheckInList, CheckInList.id == CheckIn.list_id)
        .where(CheckIn.attendee_id == attendee.id)
        .order_by(CheckIn.scanned_at)
    )
    return {
        "check_ins": [
            {
                "list": list_name,
                "at": row.scanned_at.isoformat(),
                "undone": row.undone_at is not None,
            }
            for row, list_name in rows
        ]
    }


if export_check_ins not in people.DATA_EXPORTERS:
    people.DATA_EXPORTERS.append(export_check_ins)
