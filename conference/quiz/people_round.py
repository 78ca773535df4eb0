"""People rounds: questions whose answers are people in the room.

Three kinds, each with up to four options from the same event:

* ``who_handle`` — "Who is @maria_dev on X?": options are names (shown with avatars);
* ``handle_of`` — "What is Maria Fernández's handle?": options are handles;
* ``bio`` — "Whose bio is this? …": options are names (with avatars).

Only attendees who consented to be an answer in quizzes (``consent_game``) and have not deleted
their profile are ever used, as the answer *or* as a distractor. A run checks that again when it
starts (``service.playable_questions``), so a consent withdrawn after authoring still counts.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.people.models import Attendee, AttendeeHandle
from conference.quiz.models import Question, Quiz
from conference.quiz.service import (
    MAX_OPTION_LENGTH,
    MAX_PROMPT_LENGTH,
    MAX_QUESTIONS,
    QuizError,
    people_in,
)

MAX_ROUND = 20
OPTIONS = 4
KINDS = ("who_handle", "handle_of", "bio")


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    bio: str
    handles: tuple[AttendeeHandle, ...]


def eligible_people(session: Session, *, event_id: int) -> list[Attendee]:
    """Attendees of the event who agreed to be an answer in quizzes, by id."""
    return list(
        session.scalars(
            sa.select(Attendee)
            .where(
                Attendee.event_id == event_id,
                Attendee.consent_game.is_(True),
                Attendee.deleted_at.is_(None),
            )
            .order_by(Attendee.id)
        )
    )


def _kinds_for(person: _Person) -> list[str]:
    kinds = []
    if person.handles:
        kinds += ["who_handle", "handle_of"]
    if person.bio:
        kinds.append("bio")
    return kinds


def _label(text: str) -> str:
    return text if len(text) <= MAX_OPTION_LENGTH else text[: MAX_OPTION_LENGTH - 1] + "…"


def _handle_label(handle: AttendeeHandle) -> str:
    return _label(f"{handle.display} ({handle.label})")


def _pick_distractors(
    rng: random.Random, person: _Person, others: Sequence[_Person], *, kind: str
) -> list[tuple[_Person, str]]:
    """Up to three other people with labels that differ from the answer's and each other's."""
    pool = list(others)
    rng.shuffle(pool)
    if kind == "handle_of":
        platform = person.handles[0].platform
        # Handles on the answer's own platform make the harder (and fairer) distractors.
        pool.sort(key=lambda p: 0 if any(h.platform == platform for h in p.handles) else 1)
    chosen: list[tuple[_Person, str]] = []
    seen = {_option_label(person, kind, person.handles[0] if person.handles else None).casefold()}
    for other in pool:
        if not other.handles and kind == "handle_of":
            continue
        handle = None
        if kind == "handle_of":
            same = [h for h in other.handles if h.platform == person.handles[0].platform]
            handle = same[0] if same else other.handles[0]
        label = _option_label(other, kind, handle)
        if label.casefold() in seen:
            continue
        seen.add(label.casefold())
        chosen.append((other, label))
        if len(chosen) == OPTIONS - 1:
            break
    return chosen


def _option_label(person: _Person, kind: str, handle: AttendeeHandle | None) -> str:
    if kind == "handle_of":
        assert handle is not None
        return _handle_label(handle)
    return _label(person.name)


def _prompt(person: _Person, kind: str) -> str:
    if kind == "who_handle":
        handle = person.handles[0]
        if handle.platform == "website":
            return f"Whose website is {handle.display}?"
        return f"Who is {handle.display} on {handle.label}?"
    if kind == "handle_of":
        return f"What is {person.name}'s handle?"
    prompt = f"Whose bio is this? “{person.bio}”"
    return prompt if len(prompt) <= MAX_PROMPT_LENGTH else prompt[: MAX_PROMPT_LENGTH - 2] + "…”"


def add_people_round(
    session: Session,
    *,
    quiz: Quiz,
    count: int,
    now: datetime,
    seed: int | None = None,
    time_limit: int = 20,
    points: int = 1000,
) -> list[Question]:
    """Append up to ``count`` people questions made from the event's consenting attendees.

    Each question asks about someone not asked about yet in this quiz when possible, and the
    kinds take turns. ``seed`` makes the choice repeatable (tests, the demo)."""
    if not 1 <= count <= MAX_ROUND:
        raise QuizError("invalid_count", f"A people round has 1 to {MAX_ROUND} questions.")
    room = MAX_QUESTIONS - len(quiz.questions)
    if room <= 0:
        raise QuizError("too_many_questions", f"A quiz has at most {MAX_QUESTIONS} questions.")
    people = [
        _Person(a.id, " ".join(a.name.split()), " ".join(a.bio.split()), tuple(a.handles))
        for a in eligible_people(session, event_id=quiz.event_id)
    ]
    if len(people) < 2:
        raise QuizError(
            "not_enough_people",
            "A people round needs at least two attendees who agreed to be an answer in quizzes.",
        )
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    asked = {
        (q.people_kind, q.person_id) for q in quiz.questions if q.type == "people" and q.person_id
    }
    already = set().union(*(people_in(q) for q in quiz.questions if q.type == "people"))
    pool = [(kind, p) for p in people for kind in _kinds_for(p) if (kind, p.id) not in asked]
    rng.shuffle(pool)
    kinds = list(KINDS)
    rng.shuffle(kinds)
    used = {pid for _, pid in asked}
    made: list[Question] = []
    for n in range(min(count, room)):
        if not pool:
            break
        wanted = kinds[n % len(kinds)]

        def rank(item: tuple[str, _Person], wanted: str = wanted) -> tuple[int, int, int]:
            kind, person = item
            return (person.id in used, person.id in already, kind != wanted)

        best = min(pool, key=rank)
        pool.remove(best)
        kind, person = best
        others = [p for p in people if p.id != person.id]
        distractors = _pick_distractors(rng, person, others, kind=kind)
        if not distractors:
            continue
        answer_label = _option_label(person, kind, person.handles[0] if person.handles else None)
        options = [(person, answer_label), *distractors]
        rng.shuffle(options)
        question = Question(
            position=len(quiz.questions),
            type="people",
            people_kind=kind,
            prompt=_prompt(person, kind),
            options=[label for _, label in options],
            option_people=[p.id for p, _ in options],
            correct=[next(i for i, (p, _) in enumerate(options) if p.id == person.id)],
            accepted=[],
            time_limit=time_limit,
            points=points,
            person_id=person.id,
            created_at=now,
        )
        quiz.questions.append(question)
        used.add(person.id)
        made.append(question)
    session.flush()
    return made
