"""The hunt: organisers write missions; meetings and checkpoint scans complete them.

Completion is automatic. Every new meeting (the network's meeting listener) and every
checkpoint scan evaluates the attendee's open missions with their kind's predicate
(``conference.hunt.missions``). A mission completes at most once per attendee: the row is
inserted in a savepoint and the unique constraint (mission, attendee) turns a second insert
into "already done" — never check-then-insert.

Points go to the event's ledger (source ``hunt``, scope ``hunt:<id>``, so each hunt has its
own leaderboard too):

- the mission's points: ``hunt-mission:<mission>:attendee:<attendee>``;
- the first-finder bonus: ``hunt-first:<mission>``. The ledger's unique (event, source key)
  decides who was first, in the database: of two completions at the same moment exactly one
  insert succeeds;
- hints cost points **when revealed**: a negative entry ``hunt-hint:<hint>:attendee:<id>``. The
  price is paid at once (and stays paid if the mission is never completed), so the mission's
  payout is always what it says and nobody reveals every hint for free and gives up.

Missions that require confirmation (a person was found) stay ``pending`` until that person
confirms on their phone (the ``/me`` namespace prompts them live; their home page lists open
requests too); the points are paid then. Declining lets a later matching meeting try again.

Organisers void a completion with a reason: its ledger entries are cancelled by negative
entries (``scoring.void``) and the completion is final — the attendee cannot complete that
mission again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.db import DomainEvent, record
from conference.errors import DomainError
from conference.events.models import Event
from conference.events.service import event_room
from conference.hunt.missions import KINDS, Clue, Context, MissionError, PersonMission, kind_of
from conference.hunt.models import (
    DECLINED,
    DONE,
    PENDING,
    VOIDED,
    HintReveal,
    Hunt,
    Mission,
    MissionCompletion,
    MissionHint,
)
from conference.network.models import SCAN, Meeting
from conference.people.models import Attendee
from conference.scoring import service as scoring
from conference.tokens import new_token

MAX_HINTS = 3
MAX_POINTS = 100_000
MAX_TITLE = 200
MAX_HINT = 500
ME_NAMESPACE = "/me"
TEAM_NAMESPACE = "/event"
# "Suspicious": this many meetings recorded by one attendee within this window.
BURST_MEETINGS = 10
BURST_WINDOW = timedelta(minutes=2)
FEED_LIMIT = 100
# Fair play: badge scans beyond this many a minute do not count for the hunt (nobody meets a
# person every five seconds). Recording the meeting itself is the network's business.
SCAN_LIMIT = 12
SCAN_WINDOW = timedelta(minutes=1)
SLOW_DOWN = (
    f"Slow down! Scans faster than {SCAN_LIMIT} a minute do not count for the hunt. "
    "Take a minute to talk to people."
)


class HuntError(DomainError):
    """A hunt, mission, hint or completion could not be changed as asked."""


def attendee_room(attendee_id: int) -> str:
    """The private Socket.IO room of one attendee's phones (namespace ``/me``)."""
    return f"attendee:{attendee_id}"


def mission_key(mission_id: int, attendee_id: int) -> str:
    """The ledger source key of a mission's points."""
    return f"hunt-mission:{mission_id}:attendee:{attendee_id}"


def first_key(mission_id: int) -> str:
    """The ledger source key of a mission's first-finder bonus (one per mission)."""
    return f"hunt-first:{mission_id}"


def hint_key(hint_id: int, attendee_id: int) -> str:
    """The ledger source key of a revealed hint's cost."""
    return f"hunt-hint:{hint_id}:attendee:{attendee_id}"


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


# --- hunts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HuntFields:
    """What an organiser sets on a hunt."""

    name: str
    starts_at: datetime
    ends_at: datetime


def _clean_hunt(fields: HuntFields) -> HuntFields:
    name = " ".join(fields.name.split())
    if not name:
        raise HuntError("name_required", "Give the hunt a name.")
    if len(name) > MAX_TITLE:
        raise HuntError("too_long", f"A name can be at most {MAX_TITLE} characters.")
    if fields.ends_at <= fields.starts_at:
        raise HuntError("bad_window", "The hunt has to end after it starts.")
    return HuntFields(name=name, starts_at=fields.starts_at, ends_at=fields.ends_at)


def create_hunt(session: Session, *, event: Event, fields: HuntFields, now: datetime) -> Hunt:
    """Add a hunt to the event."""
    clean = _clean_hunt(fields)
    hunt = Hunt(
        event_id=event.id,
        name=clean.name,
        starts_at=clean.starts_at,
        ends_at=clean.ends_at,
        created_at=now,
    )
    session.add(hunt)
    session.flush()
    return hunt


def update_hunt(session: Session, *, hunt: Hunt, fields: HuntFields) -> Hunt:
    """Rename the hunt or move its window."""
    clean = _clean_hunt(fields)
    hunt.name, hunt.starts_at, hunt.ends_at = clean.name, clean.starts_at, clean.ends_at
    session.flush()
    return hunt


def hunts_of(session: Session, *, event_id: int) -> list[Hunt]:
    """The event's hunts, earliest first."""
    return list(
        session.scalars(
            sa.select(Hunt).where(Hunt.event_id == event_id).order_by(Hunt.starts_at, Hunt.id)
        )
    )


def get_hunt(session: Session, *, event_id: int, hunt_id: int) -> Hunt:
    """A hunt of this event (never of another); raises ``not_found``."""
    hunt = session.get(Hunt, hunt_id)
    if hunt is None or hunt.event_id != event_id:
        raise HuntError("not_found", "There is no such hunt at this event.")
    return hunt


# --- missions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissionFields:
    """What an organiser sets on a mission; ``params`` is read by the kind's ``clean_params``."""

    title: str
    kind: str
    params: Mapping[str, Any]
    points: int
    first_bonus: int = 0
    requires_confirmation: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    hints: Sequence[tuple[str, int]] = ()


def _apply_mission(session: Session, mission: Mission, event: Event, fields: MissionFields) -> None:
    title = " ".join(fields.title.split())
    if not title:
        raise HuntError("title_required", "Give the mission a title.")
    if len(title) > MAX_TITLE:
        raise HuntError("too_long", f"A title can be at most {MAX_TITLE} characters.")
    kind = KINDS.get(fields.kind)
    if kind is None:
        raise HuntError("invalid_kind", "Choose what kind of mission this is.")
    for value, what in ((fields.points, "Points"), (fields.first_bonus, "The first-finder bonus")):
        if not 0 <= value <= MAX_POINTS:
            raise HuntError("invalid_points", f"{what} must be between 0 and {MAX_POINTS:,}.")
    if fields.requires_confirmation and not kind.finds_person:
        raise HuntError(
            "no_one_to_confirm",
            "Only missions that find a person (find a person, meet someone who…) can ask "
            "that person to confirm.",
        )
    if fields.opens_at and fields.closes_at and fields.closes_at <= fields.opens_at:
        raise HuntError("bad_window", "The mission has to close after it opens.")
    hints = [(" ".join(text.split()), cost) for text, cost in fields.hints if text.strip()]
    if len(hints) > MAX_HINTS:
        raise HuntError("too_many_hints", f"A mission can have at most {MAX_HINTS} hints.")
    for text, cost in hints:
        if len(text) > MAX_HINT:
            raise HuntError("too_long", f"A hint can be at most {MAX_HINT} characters.")
        if not 0 <= cost <= MAX_POINTS:
            raise HuntError("invalid_points", f"A hint costs between 0 and {MAX_POINTS:,} points.")
    try:
        params = kind.clean_params(session, event=event, raw=fields.params)
    except MissionError as err:
        raise HuntError(err.code, err.message) from None

    mission.title = title
    mission.kind = kind.key
    mission.params = params
    mission.points = fields.points
    mission.first_bonus = fields.first_bonus
    mission.requires_confirmation = fields.requires_confirmation
    mission.opens_at = fields.opens_at
    mission.closes_at = fields.closes_at
    if kind.key == "checkpoint":
        mission.token = mission.token or new_token()
    else:
        mission.token = None
    # Hints keep their ids (and so who revealed them) when only their text or cost changes.
    existing = list(mission.hints)
    for position, (text, cost) in enumerate(hints):
        if position < len(existing):
            existing[position].text, existing[position].cost = text, cost
            existing[position].position = position
        else:
            mission.hints.append(MissionHint(text=text, cost=cost, position=position))
    for extra in existing[len(hints) :]:
        mission.hints.remove(extra)


def add_mission(session: Session, *, hunt: Hunt, fields: MissionFields, now: datetime) -> Mission:
    """Add a mission at the end of the hunt."""
    event = session.get(Event, hunt.event_id)
    assert event is not None
    position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Mission.position) + 1, 0)).where(
            Mission.hunt_id == hunt.id
        )
    )
    # Not attached to the hunt (or the session) until it is valid: validation queries, and an
    # autoflush must not try to insert a half-made mission.
    mission = Mission(
        hunt_id=hunt.id, event_id=hunt.event_id, position=int(position or 0), created_at=now
    )
    _apply_mission(session, mission, event, fields)
    session.add(mission)
    session.flush()
    session.expire(hunt, ["missions"])
    return mission


def update_mission(session: Session, *, mission: Mission, fields: MissionFields) -> Mission:
    """Change a mission; completions already made stand."""
    event = session.get(Event, mission.event_id)
    assert event is not None
    _apply_mission(session, mission, event, fields)
    session.flush()
    return mission


def completion_count(session: Session, *, mission_id: int) -> int:
    """How many attendees completed (or are completing) the mission."""
    return int(
        session.scalar(
            sa.select(sa.func.count(MissionCompletion.id)).where(
                MissionCompletion.mission_id == mission_id
            )
        )
        or 0
    )


def delete_mission(session: Session, *, mission: Mission) -> None:
    """Delete a mission nobody has completed yet."""
    if completion_count(session, mission_id=mission.id):
        raise HuntError(
            "has_completions",
            "People have completed this mission: close it instead (set when it closes).",
        )
    session.delete(mission)
    session.flush()


def get_mission(session: Session, *, hunt: Hunt, mission_id: int) -> Mission:
    """A mission of this hunt; raises ``not_found``."""
    mission = session.get(Mission, mission_id)
    if mission is None or mission.hunt_id != hunt.id:
        raise HuntError("not_found", "There is no such mission in this hunt.")
    return mission


def mission_by_token(session: Session, token: str) -> Mission | None:
    """The checkpoint mission whose poster carries ``token``."""
    if not token or len(token) > 64:
        return None
    return session.scalar(
        sa.select(Mission).where(Mission.token == token, Mission.kind == "checkpoint")
    )


# --- completing missions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Completed:
    """A mission just completed (or waiting for the found person to confirm)."""

    mission: Mission
    completion: MissionCompletion
    found: Attendee | None = None

    @property
    def message(self) -> str:
        """What the attendee reads on the meeting card or the checkpoint page."""
        c = self.completion
        if c.status == PENDING:
            who = _first_name(self.found.name) if self.found else "they"
            return f"Mission pending: {self.mission.title} — {who} confirms on their phone"
        text = f"Mission complete: {self.mission.title} (+{c.points})"
        if c.bonus:
            text += f" · first to find it: +{c.bonus}"
        return text


def open_missions(
    session: Session, *, event_id: int, attendee_id: int, now: datetime
) -> list[Mission]:
    """The missions the attendee can complete right now (open, and not done by them yet)."""
    taken = sa.select(MissionCompletion.id).where(
        MissionCompletion.mission_id == Mission.id,
        MissionCompletion.attendee_id == attendee_id,
        MissionCompletion.status != DECLINED,
    )
    return list(
        session.scalars(
            sa.select(Mission)
            .join(Hunt, Hunt.id == Mission.hunt_id)
            .where(
                Mission.event_id == event_id,
                Hunt.starts_at <= now,
                Hunt.ends_at > now,
                sa.or_(Mission.opens_at.is_(None), Mission.opens_at <= now),
                sa.or_(Mission.closes_at.is_(None), Mission.closes_at > now),
                ~taken.exists(),
            )
            .order_by(Hunt.starts_at, Hunt.id, Mission.position, Mission.id)
        )
    )


def evaluate(
    session: Session,
    *,
    event: Event,
    attendee: Attendee,
    now: datetime,
    meeting: Meeting | None = None,
    met: Attendee | None = None,
    checkpoint: Mission | None = None,
) -> list[Completed]:
    """Evaluate the attendee's open missions against what just happened; complete those met."""
    if attendee.deleted_at is not None or attendee.event_id != event.id:
        return []
    done: list[Completed] = []
    for mission in open_missions(session, event_id=event.id, attendee_id=attendee.id, now=now):
        kind = KINDS.get(mission.kind)
        if kind is None:
            continue
        context = Context(
            event=event,
            attendee=attendee,
            mission=mission,
            now=now,
            meeting=meeting,
            met=met,
            checkpoint=checkpoint,
        )
        if not kind.evaluate(session, context):
            continue
        completed = _complete(session, mission=mission, attendee=attendee, context=context, now=now)
        if completed is not None:
            done.append(completed)
    return done


def _complete(
    session: Session, *, mission: Mission, attendee: Attendee, context: Context, now: datetime
) -> Completed | None:
    """Insert the completion once (the unique constraint decides), then pay or ask to confirm."""
    found = context.met if kind_of(mission).finds_person else None
    status = PENDING if mission.requires_confirmation and found is not None else DONE
    completion = MissionCompletion(
        event_id=mission.event_id,
        hunt_id=mission.hunt_id,
        mission_id=mission.id,
        attendee_id=attendee.id,
        status=status,
        found_id=found.id if found else None,
        meeting_id=context.meeting.id if context.meeting else None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(completion)
            session.flush()
    except sa.exc.IntegrityError:
        existing = session.scalar(
            sa.select(MissionCompletion)
            .where(
                MissionCompletion.mission_id == mission.id,
                MissionCompletion.attendee_id == attendee.id,
            )
            .with_for_update()
        )
        if existing is None or existing.status != DECLINED:
            return None  # already done (or pending) by this attendee
        # The person found last time said no: this new find gets its own chance.
        existing.status = status
        existing.found_id = completion.found_id
        existing.meeting_id = completion.meeting_id
        existing.created_at = now
        completion = existing
        session.flush()
    if completion.status == DONE:
        _pay(session, mission=mission, completion=completion, now=now)
    else:
        assert found is not None
        _ask_to_confirm(session, mission=mission, completion=completion, finder=attendee)
    _announce(session, completion)
    return Completed(mission=mission, completion=completion, found=found)


def _pay(
    session: Session, *, mission: Mission, completion: MissionCompletion, now: datetime
) -> None:
    scope = f"hunt:{mission.hunt_id}"
    entry = scoring.award(
        session,
        event_id=mission.event_id,
        attendee_id=completion.attendee_id,
        source="hunt",
        source_key=mission_key(mission.id, completion.attendee_id),
        points=mission.points,
        now=now,
        scope=scope,
        reason=f"Mission: {mission.title}",
    )
    completion.points = entry.points if entry is not None else 0
    if mission.first_bonus:
        bonus = scoring.award(
            session,
            event_id=mission.event_id,
            attendee_id=completion.attendee_id,
            source="hunt",
            source_key=first_key(mission.id),
            points=mission.first_bonus,
            now=now,
            scope=scope,
            reason=f"First to complete: {mission.title}",
        )
        completion.bonus = bonus.points if bonus is not None else 0
    completion.status = DONE
    completion.completed_at = now
    session.flush()


def _ask_to_confirm(
    session: Session, *, mission: Mission, completion: MissionCompletion, finder: Attendee
) -> None:
    assert completion.found_id is not None
    record(
        session,
        DomainEvent(
            name="confirm_request",
            room=attendee_room(completion.found_id),
            payload=ConfirmRequest.of(completion, mission, finder).as_dict(),
            namespace=ME_NAMESPACE,
        ),
    )


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointScan:
    """What scanning a checkpoint poster did: ``done``, ``pending``, ``already`` or ``closed``."""

    mission: Mission
    status: str
    completion: MissionCompletion | None = None
    message: str = ""


def scan_checkpoint(
    session: Session, *, attendee: Attendee, mission: Mission, now: datetime
) -> CheckpointScan:
    """An attendee of the event scanned a checkpoint poster: complete it once."""
    if mission.kind != "checkpoint" or attendee.event_id != mission.event_id:
        raise HuntError("not_your_event", "This poster belongs to another event.")
    event = session.get(Event, mission.event_id)
    assert event is not None
    existing = completion_of(session, mission_id=mission.id, attendee_id=attendee.id)
    if existing is not None and existing.status != DECLINED:
        return CheckpointScan(mission, "already", existing, "You already found this place.")
    if not mission.is_open(now):
        return CheckpointScan(mission, "closed", None, "This mission is not open right now.")
    for completed in evaluate(session, event=event, attendee=attendee, now=now, checkpoint=mission):
        if completed.mission.id == mission.id:
            return CheckpointScan(
                mission, completed.completion.status, completed.completion, completed.message
            )
    # Another request of the same attendee completed it a moment ago.
    existing = completion_of(session, mission_id=mission.id, attendee_id=attendee.id)
    return CheckpointScan(mission, "already", existing, "You already found this place.")


def completion_of(
    session: Session, *, mission_id: int, attendee_id: int
) -> MissionCompletion | None:
    """The attendee's completion of a mission, if any."""
    return session.scalar(
        sa.select(MissionCompletion).where(
            MissionCompletion.mission_id == mission_id,
            MissionCompletion.attendee_id == attendee_id,
        )
    )


# --- the meeting listener -----------------------------------------------------------------------


def on_meeting(session: Session, meeting: Meeting, now: datetime) -> list[str]:
    """The network's meeting listener: a badge scan may complete the scanner's missions."""
    if meeting.via != SCAN:
        return []
    recent = session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.attendee_id == meeting.attendee_id,
            Meeting.via == SCAN,
            Meeting.created_at > now - SCAN_WINDOW,
            Meeting.created_at <= now,
        )
    )
    if int(recent or 0) > SCAN_LIMIT:
        return [SLOW_DOWN]
    attendee = session.get(Attendee, meeting.attendee_id)
    met = session.get(Attendee, meeting.met_id)
    event = session.get(Event, meeting.event_id)
    if attendee is None or met is None or event is None:
        return []
    done = evaluate(session, event=event, attendee=attendee, now=now, meeting=meeting, met=met)
    return [completed.message for completed in done]


# --- confirmation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmRequest:
    """Someone found the attendee for a mission and asks them to confirm."""

    completion_id: int
    mission_title: str
    finder_name: str
    at: datetime

    @classmethod
    def of(
        cls, completion: MissionCompletion, mission: Mission, finder: Attendee
    ) -> ConfirmRequest:
        """The request for ``completion``."""
        return cls(completion.id, mission.title, finder.name, completion.created_at)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape sent to the found person's phone."""
        return {
            "completion_id": self.completion_id,
            "mission": self.mission_title,
            "finder": self.finder_name,
            "at": self.at.isoformat(),
        }


def pending_requests(session: Session, *, attendee: Attendee) -> list[ConfirmRequest]:
    """Open requests for the attendee to confirm that someone found them, oldest first."""
    rows = session.execute(
        sa.select(MissionCompletion, Mission, Attendee)
        .join(Mission, Mission.id == MissionCompletion.mission_id)
        .join(Attendee, Attendee.id == MissionCompletion.attendee_id)
        .where(MissionCompletion.found_id == attendee.id, MissionCompletion.status == PENDING)
        .order_by(MissionCompletion.created_at, MissionCompletion.id)
    )
    return [ConfirmRequest.of(c, m, finder) for c, m, finder in rows]


def answer_request(
    session: Session, *, attendee: Attendee, completion_id: int, accept: bool, now: datetime
) -> MissionCompletion:
    """The found person confirms (points are paid) or declines; answering twice changes nothing."""
    completion = session.scalar(
        sa.select(MissionCompletion).where(MissionCompletion.id == completion_id).with_for_update()
    )
    if completion is None or completion.found_id != attendee.id:
        raise HuntError("not_found", "There is no such request for you.")
    if completion.status != PENDING:
        return completion
    mission = completion.mission
    if accept:
        _pay(session, mission=mission, completion=completion, now=now)
    else:
        completion.status = DECLINED
        session.flush()
    record(
        session,
        DomainEvent(
            name="confirm_answered",
            room=attendee_room(completion.attendee_id),
            payload={
                "completion_id": completion.id,
                "mission": mission.title,
                "status": completion.status,
                "points": completion.points + completion.bonus,
                "by": _first_name(attendee.name),
            },
            namespace=ME_NAMESPACE,
        ),
    )
    _announce(session, completion)
    return completion


# --- hints --------------------------------------------------------------------------------------


def reveal_hint(
    session: Session, *, attendee: Attendee, hint_id: int, now: datetime
) -> MissionHint:
    """Reveal a hint to the attendee, paying its cost once (a second tap is free)."""
    hint = session.get(MissionHint, hint_id)
    if hint is None or hint.mission.event_id != attendee.event_id:
        raise HuntError("not_found", "There is no such hint.")
    mission = hint.mission
    done = completion_of(session, mission_id=mission.id, attendee_id=attendee.id)
    if done is not None and done.status != DECLINED:
        raise HuntError("already_completed", "You completed this mission: no hint needed.")
    if not mission.is_open(now):
        raise HuntError("mission_closed", "This mission is not open right now.")
    reveal = HintReveal(hint_id=hint.id, attendee_id=attendee.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(reveal)
            session.flush()
    except sa.exc.IntegrityError:
        return hint  # revealed before: already paid for
    if hint.cost:
        scoring.award(
            session,
            event_id=mission.event_id,
            attendee_id=attendee.id,
            source="hunt",
            source_key=hint_key(hint.id, attendee.id),
            points=-hint.cost,
            now=now,
            scope=f"hunt:{mission.hunt_id}",
            reason=f"Hint: {mission.title}",
        )
    return hint


def revealed_hint_ids(session: Session, *, attendee_id: int) -> set[int]:
    """The hints the attendee revealed."""
    return set(
        session.scalars(sa.select(HintReveal.hint_id).where(HintReveal.attendee_id == attendee_id))
    )


# --- fair play: void, the feed, bursts ---------------------------------------------------------


def void_completion(
    session: Session, *, event_id: int, completion_id: int, reason: str, now: datetime
) -> MissionCompletion:
    """Cancel a completion: negative ledger entries for what it paid; the completion is final."""
    completion = session.scalar(
        sa.select(MissionCompletion).where(MissionCompletion.id == completion_id).with_for_update()
    )
    if completion is None or completion.event_id != event_id:
        raise HuntError("not_found", "There is no such completion at this event.")
    reason = " ".join(reason.split())
    if not reason:
        raise HuntError("reason_required", "Say why the completion is voided.")
    if completion.status == VOIDED:
        return completion
    keys = [mission_key(completion.mission_id, completion.attendee_id)]
    if completion.bonus:
        keys.append(first_key(completion.mission_id))
    for key in keys:
        entry = scoring.entry_by_key(session, event_id=event_id, source_key=key)
        if entry is not None and entry.attendee_id == completion.attendee_id:
            scoring.void(session, entry=entry, reason=reason, now=now)
    completion.status = VOIDED
    completion.voided_at = now
    completion.void_reason = reason[:200]
    session.flush()
    _announce(session, completion)
    return completion


@dataclass(frozen=True)
class FeedItem:
    """One completion as organisers see it in the live feed (real names: it is their event)."""

    id: int
    hunt_id: int
    mission_id: int
    mission: str
    kind: str
    attendee_id: int
    attendee: str
    found: str
    status: str
    points: int
    bonus: int
    at: datetime
    void_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the live feed."""
        return {
            "id": self.id,
            "hunt_id": self.hunt_id,
            "mission_id": self.mission_id,
            "mission": self.mission,
            "kind": self.kind,
            "attendee_id": self.attendee_id,
            "attendee": self.attendee,
            "found": self.found,
            "status": self.status,
            "points": self.points,
            "bonus": self.bonus,
            "at": self.at.isoformat(),
            "void_reason": self.void_reason,
        }


def _feed_item(session: Session, completion: MissionCompletion) -> FeedItem:
    attendee = session.get(Attendee, completion.attendee_id)
    found = session.get(Attendee, completion.found_id) if completion.found_id else None
    return FeedItem(
        id=completion.id,
        hunt_id=completion.hunt_id,
        mission_id=completion.mission_id,
        mission=completion.mission.title,
        kind=completion.mission.kind,
        attendee_id=completion.attendee_id,
        attendee=attendee.name if attendee else "",
        found=found.name if found else "",
        status=completion.status,
        points=completion.points,
        bonus=completion.bonus,
        at=completion.created_at,
        void_reason=completion.void_reason,
    )


def _announce(session: Session, completion: MissionCompletion) -> None:
    """Tell the event's organisers (the live feed) what happened to a completion."""
    record(
        session,
        DomainEvent(
            name="hunt_completion",
            room=event_room(completion.event_id, "organiser"),
            payload=_feed_item(session, completion).as_dict(),
            namespace=TEAM_NAMESPACE,
        ),
    )


def feed(session: Session, *, hunt: Hunt, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """The hunt's latest completions, newest first."""
    completions = session.scalars(
        sa.select(MissionCompletion)
        .where(MissionCompletion.hunt_id == hunt.id)
        .order_by(MissionCompletion.created_at.desc(), MissionCompletion.id.desc())
        .limit(limit)
    )
    return [_feed_item(session, c) for c in completions]


@dataclass(frozen=True)
class Burst:
    """An attendee who recorded many meetings in a short time."""

    attendee_id: int
    name: str
    meetings: int  # the most meetings within one window
    started_at: datetime
    total: int


def suspicious_bursts(
    session: Session,
    *,
    event_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    threshold: int = BURST_MEETINGS,
    window: timedelta = BURST_WINDOW,
) -> list[Burst]:
    """Attendees with ``threshold`` or more meetings within ``window``, busiest first."""
    conditions = [Meeting.event_id == event_id, Meeting.via == SCAN]
    if since is not None:
        conditions.append(Meeting.created_at >= since)
    if until is not None:
        conditions.append(Meeting.created_at <= until)
    rows = session.execute(
        sa.select(Meeting.attendee_id, Meeting.created_at)
        .where(*conditions)
        .order_by(Meeting.attendee_id, Meeting.created_at)
    )
    times: dict[int, list[datetime]] = {}
    for attendee_id, at in rows:
        times.setdefault(attendee_id, []).append(at)
    found: list[tuple[int, int, datetime, int]] = []
    for attendee_id, moments in times.items():
        best, best_start, start = 0, moments[0], 0
        for end, at in enumerate(moments):
            while at - moments[start] > window:
                start += 1
            if end - start + 1 > best:
                best, best_start = end - start + 1, moments[start]
        if best >= threshold:
            found.append((attendee_id, best, best_start, len(moments)))
    names: dict[int, str] = {}
    if found:
        named = session.execute(
            sa.select(Attendee.id, Attendee.name).where(Attendee.id.in_([f[0] for f in found]))
        )
        names = {attendee_id: name for attendee_id, name in named}
    bursts = [Burst(a, names.get(a, ""), n, start, total) for a, n, start, total in found]
    bursts.sort(key=lambda b: (-b.meetings, b.started_at, b.attendee_id))
    return bursts


# --- what attendees and screens see -------------------------------------------------------------


@dataclass
class MissionView:
    """One mission as one attendee sees it."""

    mission: Mission
    task: str
    state: str  # open | upcoming | closed | done | pending | voided
    completion: MissionCompletion | None = None
    clue: Clue | None = None
    hints: list[tuple[MissionHint, bool]] = field(default_factory=list)
    progress: tuple[int, int] | None = None
    bonus_taken: bool = False  # someone already won the first-finder bonus

    @property
    def earned(self) -> int:
        """Points this mission paid the attendee."""
        c = self.completion
        return c.points + c.bonus if c is not None and c.status == DONE else 0


@dataclass
class HuntView:
    """A hunt as one attendee sees it."""

    hunt: Hunt
    state: str  # open | upcoming | ended
    missions: list[MissionView]
    standing: scoring.Standing | None

    @property
    def done(self) -> int:
        """Missions the attendee completed."""
        return sum(1 for m in self.missions if m.state == "done")

    @property
    def open(self) -> int:
        """Missions the attendee can still complete now."""
        return sum(1 for m in self.missions if m.state == "open")


def _hunt_state(hunt: Hunt, now: datetime) -> str:
    if now < hunt.starts_at:
        return "upcoming"
    return "open" if now < hunt.ends_at else "ended"


def _mission_state(mission: Mission, completion: MissionCompletion | None, now: datetime) -> str:
    if completion is not None and completion.status in (DONE, PENDING, VOIDED):
        return completion.status
    if mission.is_open(now):
        return "open"
    starts = max(d for d in (mission.hunt.starts_at, mission.opens_at) if d is not None)
    return "upcoming" if now < starts else "closed"


def my_hunts(
    session: Session, *, event: Event, attendee: Attendee, now: datetime
) -> list[HuntView]:
    """Every hunt of the event with the attendee's missions, states, clues and hints."""
    hunts = hunts_of(session, event_id=event.id)
    if not hunts:
        return []
    completions = {
        c.mission_id: c
        for c in session.scalars(
            sa.select(MissionCompletion).where(
                MissionCompletion.attendee_id == attendee.id,
                MissionCompletion.event_id == event.id,
            )
        )
    }
    revealed = revealed_hint_ids(session, attendee_id=attendee.id)
    bonus_taken = set(
        session.scalars(
            sa.select(MissionCompletion.mission_id).where(
                MissionCompletion.event_id == event.id, MissionCompletion.bonus > 0
            )
        )
    )
    views = []
    for hunt in hunts:
        missions = []
        for mission in hunt.missions:
            kind = kind_of(mission)
            completion = completions.get(mission.id)
            state = _mission_state(mission, completion, now)
            clue = kind.clue(session, mission) if isinstance(kind, PersonMission) else None
            if (
                isinstance(kind, PersonMission)
                and clue is None
                and state not in (DONE, PENDING, VOIDED)
            ):
                continue  # the person withdrew their consent: the mission is gone for everyone
            progress = None
            if state == "open":
                context = Context(event=event, attendee=attendee, mission=mission, now=now)
                progress = kind.progress(session, context)
            missions.append(
                MissionView(
                    mission=mission,
                    task=kind.task(session, mission),
                    state=state,
                    completion=completion,
                    clue=clue,
                    hints=[(h, h.id in revealed) for h in mission.hints],
                    progress=progress,
                    bonus_taken=mission.id in bonus_taken,
                )
            )
        standing = scoring.standing_of(
            session, event_id=event.id, attendee_id=attendee.id, scope=hunt.scope
        )
        views.append(HuntView(hunt, _hunt_state(hunt, now), missions, standing))
    order = {"open": 0, "upcoming": 1, "ended": 2}
    views.sort(key=lambda v: (order[v.state], v.hunt.starts_at, v.hunt.id))
    return views


def visible_mission(session: Session, *, event_id: int, mission_id: int) -> Mission:
    """A mission of the event an attendee may look at (its clue picture …); ``not_found``."""
    mission = session.get(Mission, mission_id)
    if mission is None or mission.event_id != event_id:
        raise HuntError("not_found", "There is no such mission.")
    return mission


def screen_progress(session: Session, event_id: int, now: datetime) -> list[dict[str, Any]]:
    """Hunt progress for the event screen: completions per mission and the latest finds.

    The open hunts, or else the one that ended last; names only with leaderboard consent.
    """
    hunts = [h for h in hunts_of(session, event_id=event_id) if h.starts_at <= now]
    live = [h for h in hunts if h.is_open(now)]
    shown = live or sorted(hunts, key=lambda h: h.ends_at)[-1:]
    if not shown:
        return []
    ids = [h.id for h in shown]
    counts: dict[int, int] = {
        mission_id: int(n)
        for mission_id, n in session.execute(
            sa.select(MissionCompletion.mission_id, sa.func.count(MissionCompletion.id))
            .where(MissionCompletion.hunt_id.in_(ids), MissionCompletion.status == DONE)
            .group_by(MissionCompletion.mission_id)
        )
    }
    latest = session.execute(
        sa.select(
            MissionCompletion.hunt_id, Mission.title, MissionCompletion.completed_at, Attendee
        )
        .join(Mission, Mission.id == MissionCompletion.mission_id)
        .join(Attendee, Attendee.id == MissionCompletion.attendee_id)
        .where(MissionCompletion.hunt_id.in_(ids), MissionCompletion.status == DONE)
        .order_by(MissionCompletion.completed_at.desc(), MissionCompletion.id.desc())
        .limit(8 * len(ids))
    )
    finds: dict[int, list[dict[str, Any]]] = {}
    for hunt_id, title, at, attendee in latest:
        rows = finds.setdefault(hunt_id, [])
        if len(rows) < 6:
            rows.append(
                {
                    "name": scoring.screen_name(attendee),
                    "mission": title,
                    "at": at.isoformat() if at else "",
                }
            )
    return [
        {
            "id": hunt.id,
            "name": hunt.name,
            "open": hunt.is_open(now),
            "ends_at": hunt.ends_at.isoformat(),
            "missions": [
                {"title": m.title, "kind": m.kind, "done": int(counts.get(m.id, 0))}
                for m in hunt.missions
            ],
            "latest": finds.get(hunt.id, []),
        }
        for hunt in shown
    ]


# --- my data ------------------------------------------------------------------------------------


def export_attendee(session: Session, attendee: Attendee) -> dict[str, Any]:
    """The attendee's missions and revealed hints, for "download my data"."""
    rows = session.execute(
        sa.select(MissionCompletion, Mission.title)
        .join(Mission, Mission.id == MissionCompletion.mission_id)
        .where(MissionCompletion.attendee_id == attendee.id)
        .order_by(MissionCompletion.created_at, MissionCompletion.id)
    )
    return {
        "hunt": {
            "missions": [
                {
                    "mission": title,
                    "status": c.status,
                    "points": c.points + c.bonus,
                    "at": c.created_at.isoformat(),
                }
                for c, title in rows
            ],
            "hints_revealed": len(revealed_hint_ids(session, attendee_id=attendee.id)),
        }
    }


def erase_attendee(session: Session, attendee: Attendee) -> None:
    """On profile deletion: requests waiting for them to confirm are declined (points stay)."""
    session.execute(
        sa.update(MissionCompletion)
        .where(MissionCompletion.found_id == attendee.id, MissionCompletion.status == PENDING)
        .values(status=DECLINED)
    )
    session.flush()


def hunt_targets(session: Session, *, event_id: int) -> list[Attendee]:
    """Attendees who agreed to be hunt targets (for the "find a person" mission form)."""
    return list(
        session.scalars(
            sa.select(Attendee)
            .where(
                Attendee.event_id == event_id,
                Attendee.consent_game.is_(True),
                Attendee.deleted_at.is_(None),
            )
            .order_by(Attendee.name, Attendee.id)
        )
    )


def completion_counts(session: Session, *, hunt_id: int) -> dict[int, dict[str, int]]:
    """mission id -> {status: count} of the hunt's completions."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        sa.select(MissionCompletion.mission_id, MissionCompletion.status, sa.func.count())
        .where(MissionCompletion.hunt_id == hunt_id)
        .group_by(MissionCompletion.mission_id, MissionCompletion.status)
    )
    for mission_id, status, n in rows:
        counts.setdefault(mission_id, {})[status] = int(n)
    return counts
