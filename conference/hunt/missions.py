"""Mission kinds: a small registry of predicate classes.

Each kind turns an organiser's form into ``Mission.params`` (``clean_params``), says what the
attendee has to do (``task``), and decides whether a meeting or a checkpoint scan completes the
mission for one attendee (``evaluate``). Adding a kind is adding a class to ``KINDS``.

Consent: a *person* is a hunt target only while they consent to it (``consent_game``), and
so is anyone who completes a *trait* mission for someone (they are "the someone"); a rule about
handles also needs their card shown (``consent_card``), as handles are part of the card.
*Known online* and *meet N* count meetings, which the met person took part in anyway.

Only badge scans count (``Meeting.via == "scan"``): adding back someone who scanned you is not
finding them. Counting kinds count meetings from the mission's start (``counts_from``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.checkin import service as checkin
from conference.checkin.models import CheckIn, CheckInList
from conference.errors import DomainError
from conference.events.models import Event
from conference.hunt.models import Mission
from conference.network import service as network
from conference.network.models import SCAN, Meeting
from conference.people import service as people
from conference.people.handles import PLATFORM_LABELS, PLATFORMS
from conference.people.models import Attendee

MAX_COUNT = 100
MAX_VALUE_LENGTH = 200


class MissionError(DomainError):
    """The mission's settings do not describe something an attendee can do."""


@dataclass(frozen=True)
class Context:
    """What just happened to ``attendee``: a new meeting, or a checkpoint poster scanned."""

    event: Event
    attendee: Attendee
    mission: Mission
    now: datetime
    meeting: Meeting | None = None
    met: Attendee | None = None
    checkpoint: Mission | None = None


@dataclass(frozen=True)
class Clue:
    """What a *person* mission shows: never the name."""

    kind: str  # handle | bio | avatar
    text: str = ""
    label: str = ""


def _int(raw: Mapping[str, Any], key: str, *, low: int, high: int, message: str) -> int:
    value = raw.get(key)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise MissionError("invalid_params", message) from None
    if not low <= number <= high:
        raise MissionError("invalid_params", message)
    return number


def _text(raw: Mapping[str, Any], key: str, *, message: str) -> str:
    text = " ".join(str(raw.get(key) or "").split())
    if not text:
        raise MissionError("invalid_params", message)
    if len(text) > MAX_VALUE_LENGTH:
        raise MissionError("invalid_params", f"At most {MAX_VALUE_LENGTH} characters, please.")
    return text


def _scan_meeting(context: Context) -> bool:
    return context.meeting is not None and context.met is not None and context.meeting.via == SCAN


class MissionKind:
    """The base of every kind; subclasses set the class attributes and override the methods."""

    key: ClassVar[str]
    label: ClassVar[str]
    help: ClassVar[str]
    # A person is found (person, trait): they can be asked to confirm.
    finds_person: ClassVar[bool] = False

    def clean_params(
        self, session: Session, *, event: Event, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate the organiser's input; returns what goes into ``Mission.params``."""
        raise NotImplementedError

    def evaluate(self, session: Session, context: Context) -> bool:
        """Whether what just happened completes ``context.mission`` for ``context.attendee``."""
        raise NotImplementedError

    def task(self, session: Session, mission: Mission) -> str:
        """What the attendee has to do, in one sentence."""
        raise NotImplementedError

    def progress(self, session: Session, context: Context) -> tuple[int, int] | None:
        """(done, needed) for counting kinds; None for the others."""
        return None

    def summary(self, session: Session, mission: Mission) -> str:
        """What the mission is, for its organisers (who may see more than attendees)."""
        return self.task(session, mission)


class PersonMission(MissionKind):
    """Find one consenting attendee from a clue: their handle, a bio line or their picture."""

    key = "person"
    label = "Find a person"
    help = "Attendees get a clue (a handle, their bio or their picture, never the name)."
    finds_person = True
    CLUES: ClassVar[dict[str, str]] = {
        "handle": "Their handle",
        "bio": "Their bio",
        "avatar": "Their picture",
    }

    def target(self, session: Session, mission: Mission) -> Attendee | None:
        """The person to find, while they still agree to be a hunt target."""
        person = session.get(Attendee, int(mission.params.get("attendee_id", 0)))
        if person is None or person.event_id != mission.event_id:
            return None
        if person.deleted_at is not None or not person.consent_game:
            return None
        return person

    def clean_params(
        self, session: Session, *, event: Event, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A consenting attendee of the event, and a clue they have."""
        attendee_id = _int(
            raw, "attendee_id", low=1, high=2**62, message="Choose the person to find."
        )
        clue = str(raw.get("clue") or "")
        if clue not in self.CLUES:
            raise MissionError("invalid_params", "Choose which clue attendees get.")
        person = session.get(Attendee, attendee_id)
        if person is None or person.event_id != event.id or person.deleted_at is not None:
            raise MissionError("invalid_params", "Choose the person to find.")
        if not person.consent_game:
            raise MissionError(
                "no_consent", f"{person.name} has not agreed to be a target in the hunt."
            )
        if clue == "handle" and not person.handles:
            raise MissionError("invalid_params", f"{person.name} has no handle to use as a clue.")
        if clue == "bio" and not person.bio.strip():
            raise MissionError("invalid_params", f"{person.name} has no bio to use as a clue.")
        if clue == "avatar" and people.avatar_of(session, person.id) is None:
            raise MissionError("invalid_params", f"{person.name} has no picture to use as a clue.")
        return {"attendee_id": person.id, "clue": clue}

    def clue(self, session: Session, mission: Mission) -> Clue | None:
        """The clue as the attendee sees it, or None while the person is not a target."""
        person = self.target(session, mission)
        if person is None:
            return None
        kind = str(mission.params.get("clue"))
        if kind == "handle" and person.primary_handle is not None:
            handle = person.primary_handle
            return Clue("handle", text=handle.display, label=f"on {handle.label}")
        if kind == "bio" and person.bio.strip():
            return Clue("bio", text=person.bio.strip())
        if kind == "avatar" and people.avatar_of(session, person.id) is not None:
            return Clue("avatar")
        return None

    def evaluate(self, session: Session, context: Context) -> bool:
        """The attendee scanned the badge of the person to find."""
        if not _scan_meeting(context):
            return False
        person = self.target(session, context.mission)
        return person is not None and context.met is not None and context.met.id == person.id

    def task(self, session: Session, mission: Mission) -> str:
        """ "Find the person behind this clue"."""
        return "Find the person behind this clue and scan their badge."

    def summary(self, session: Session, mission: Mission) -> str:
        """Who is to be found, and from which clue (organisers only)."""
        person = session.get(Attendee, int(mission.params.get("attendee_id", 0)))
        name = person.name if person is not None else "a deleted attendee"
        if self.target(session, mission) is None:
            return f"{name} no longer agrees to be a hunt target: attendees do not see it."
        clue = self.clue(session, mission)
        if clue is None:
            return f"Find {name}: their clue is gone (edit the mission to pick another)."
        if clue.kind == "avatar":
            return f"Find {name} from their picture."
        what = "handle" if clue.kind == "handle" else "bio"
        return f"Find {name} from their {what}: “{clue.text}”"


class TraitMission(MissionKind):
    """Meet someone matching a rule: a company, a platform they are on, a check-in list."""

    key = "trait"
    label = "Meet someone who…"
    help = "Works at a company, is on a platform, or checked in at a given door or day."
    finds_person = True
    RULES: ClassVar[dict[str, str]] = {
        "company": "works at a company",
        "platform": "has a handle on a platform",
        "checkin_list": "checked in to a list",
    }

    def clean_params(
        self, session: Session, *, event: Event, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A rule and its value: a company name, a platform key or one of the event's lists."""
        rule = str(raw.get("rule") or "")
        if rule == "company":
            return {"rule": rule, "value": _text(raw, "company", message="Name the company.")}
        if rule == "platform":
            platform = str(raw.get("platform") or "")
            if platform not in PLATFORMS:
                raise MissionError("invalid_params", "Choose a platform.")
            return {"rule": rule, "value": platform}
        if rule == "checkin_list":
            list_id = _int(raw, "list_id", low=1, high=2**62, message="Choose a check-in list.")
            try:
                lst = checkin.get_list(session, event=event, list_id=list_id)
            except DomainError:
                raise MissionError("invalid_params", "Choose a check-in list.") from None
            return {"rule": rule, "value": lst.id}
        raise MissionError("invalid_params", "Choose what the person has to match.")

    def matches(self, session: Session, mission: Mission, person: Attendee) -> bool:
        """Whether ``person`` matches the mission's rule (and may be a hunt target)."""
        if person.deleted_at is not None or not person.consent_game:
            return False
        rule, value = mission.params.get("rule"), mission.params.get("value")
        if rule == "company":
            return person.company.strip().casefold() == str(value).strip().casefold()
        if rule == "platform":
            return person.consent_card and any(h.platform == value for h in person.handles)
        if rule == "checkin_list":
            return (
                session.scalar(
                    sa.select(CheckIn.id)
                    .where(
                        CheckIn.list_id == int(str(value)),
                        CheckIn.attendee_id == person.id,
                        CheckIn.undone_at.is_(None),
                    )
                    .limit(1)
                )
                is not None
            )
        return False

    def evaluate(self, session: Session, context: Context) -> bool:
        """The attendee scanned the badge of someone matching the rule."""
        if not _scan_meeting(context) or context.met is None:
            return False
        return self.matches(session, context.mission, context.met)

    def task(self, session: Session, mission: Mission) -> str:
        """ "Meet someone who works at Datawell" and the like."""
        rule, value = mission.params.get("rule"), mission.params.get("value")
        if rule == "company":
            return f"Meet someone who works at {value}."
        if rule == "platform":
            return f"Meet someone who is on {PLATFORM_LABELS.get(str(value), value)}."
        if rule == "checkin_list":
            lst = session.get(CheckInList, int(str(value)))
            return f"Meet someone who checked in at “{lst.name if lst else 'a closed list'}”."
        return "Meet someone."


class CheckpointMission(MissionKind):
    """A place: scan the QR poster at a booth or a room (``/h/<token>``)."""

    key = "checkpoint"
    label = "Checkpoint (a place)"
    help = "Print the QR poster and put it up at a booth or a room; scanning it completes it."

    def clean_params(
        self, session: Session, *, event: Event, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Where the poster hangs."""
        return {"place": _text(raw, "place", message="Say where the poster will hang.")}

    def evaluate(self, session: Session, context: Context) -> bool:
        """The attendee scanned this mission's own poster."""
        return context.checkpoint is not None and context.checkpoint.id == context.mission.id

    def task(self, session: Session, mission: Mission) -> str:
        """ "Find the poster at …"."""
        return f"Find the Known poster at {mission.params.get('place', 'the venue')} and scan it."


class _CountingMission(MissionKind):
    """Meet ``n`` people (of some sort) since the mission started."""

    def clean_params(
        self, session: Session, *, event: Event, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """How many people."""
        return {
            "n": _int(
                raw, "n", low=1, high=MAX_COUNT, message=f"Choose a number from 1 to {MAX_COUNT}."
            )
        }

    def counts(self, relation: network.Relation) -> bool:
        """Whether meeting someone with this relation counts."""
        raise NotImplementedError

    def _count(self, session: Session, context: Context) -> int:
        mission = context.mission
        met = list(
            session.scalars(
                sa.select(Attendee)
                .join(Meeting, Meeting.met_id == Attendee.id)
                .where(
                    Meeting.attendee_id == context.attendee.id,
                    Meeting.via == SCAN,
                    Meeting.created_at >= mission.counts_from(),
                    Meeting.created_at <= context.now,
                )
            )
        )
        if not met:
            return 0
        rels = network.relations(session, event=context.event, viewer=context.attendee, others=met)
        return sum(1 for person in met if self.counts(rels[person.id]))

    def evaluate(self, session: Session, context: Context) -> bool:
        """A new meeting brought the count to ``n``."""
        if not _scan_meeting(context):
            return False
        return self._count(session, context) >= int(context.mission.params.get("n", 1))

    def progress(self, session: Session, context: Context) -> tuple[int, int] | None:
        """(people met so far that count, n)."""
        n = int(context.mission.params.get("n", 1))
        return min(self._count(session, context), n), n


class KnownOnlineMission(_CountingMission):
    """Meet N people you follow online (personal to each attendee's follow list)."""

    key = "known_online"
    label = "Meet N people you follow online"
    help = "Personal: counts the people here each attendee follows online."

    def counts(self, relation: network.Relation) -> bool:
        """You follow them."""
        return bool(relation.you_follow)

    def task(self, session: Session, mission: Mission) -> str:
        """ "Meet 3 people you follow online"."""
        n = int(mission.params.get("n", 1))
        who = "person" if n == 1 else "people"
        return f"Meet {n} {who} you follow online (add your follow list first)."


class MeetNMission(_CountingMission):
    """Meet N people you did not know online."""

    key = "meet_n"
    label = "Meet N new people"
    help = "Counts people neither following you nor followed by you online."

    def counts(self, relation: network.Relation) -> bool:
        """Neither of you follows the other."""
        return not relation.known

    def task(self, session: Session, mission: Mission) -> str:
        """ "Meet 3 people you did not know"."""
        n = int(mission.params.get("n", 1))
        who = "person" if n == 1 else "people"
        return f"Meet {n} {who} you did not know online: scan their badges."


KINDS: dict[str, MissionKind] = {
    kind.key: kind
    for kind in (
        PersonMission(),
        TraitMission(),
        CheckpointMission(),
        KnownOnlineMission(),
        MeetNMission(),
    )
}


def kind_of(mission: Mission) -> MissionKind:
    """The predicate class of ``mission``."""
    return KINDS[mission.kind]
