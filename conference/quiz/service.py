"""The live quiz: authoring, scoring, and the state machine of a run.

Scoring (all on the server's clock; a phone's idea of the time is never used)
-------------------------------------------------------------------------------
``t`` is the time from the moment answers opened to the moment the answer arrived (pauses do
not count), ``T`` the question's time limit, ``P`` its points (0, 1000 or 2000).

* A correct answer earns ``round(P * (1 - (t / T) / 2))``: the full points at once, half at
  the buzzer (``t`` is capped at ``T``, so an extended question never pays less than half).
  ``round`` is Python's: halves go to the even neighbour.
* *Fair mode* (per quiz) drops the speed part for people questions: they pay ``P``.
* *Multiple select* pays a fraction of that: ``max(0, (right - wrong) / correct)`` where
  ``right`` is how many correct options were ticked, ``wrong`` how many wrong ones, and
  ``correct`` how many correct options the question has. Ticking everything therefore earns
  nothing unless every option is correct. Only a full score (fraction 1) counts as *correct*
  for streaks and the number of correct answers.
* *Type the answer* is correct when the text matches an accepted answer after folding case,
  stripping accents (NFKD) and surrounding punctuation, and allowing small typos: a
  Levenshtein distance of at most 1 for answers of up to 6 characters and 2 above. Answers of
  one or two characters, and numbers, must match exactly ("4" is not "5").
* *Streaks* (switchable per quiz): the n-th correct answer in a row adds ``100 * (n - 1)``,
  at most 500. A wrong or missing answer ends the streak. Questions worth 0 points neither
  pay nor change a streak.

Points are worked out when an answer arrives (the player's streak then is final, because the
previous question has closed), kept secret, and added to the players' scores in one
set-based UPDATE when the question closes. Attendees' points then go into the event's ledger
(``scoring.award``, unique per answer), so a question closed twice pays once.

State machine
-------------
``lobby → question → reveal → leaderboard → question → … → ended``. Every transition is a
conditional ``UPDATE quiz_run … WHERE id = :id AND state = :expected AND current_index = :i``
that bumps ``version``; whoever's UPDATE changed the row does the work (scoring, events), any
other caller (a second timer, another process, a double click) changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from conference.db import DomainEvent, insert_unless_taken, record
from conference.errors import DomainError
from conference.events.models import Event
from conference.people.models import Attendee
from conference.quiz.models import (
    LIVE_STATES,
    MAX_TIME_LIMIT,
    MIN_TIME_LIMIT,
    POINTS_CHOICES,
    Answer,
    Player,
    Question,
    Quiz,
    QuizRun,
    RunQuestion,
)
from conference.scoring import service as scoring
from conference.tokens import hash_token, new_token

NAMESPACE = "/quiz"
CHOICE_TYPES = ("single", "multiple", "truefalse", "people")
AUTHORED_TYPES = ("single", "multiple", "truefalse", "text")
TYPE_LABELS = {
    "single": "Single choice",
    "multiple": "Multiple select",
    "truefalse": "True or false",
    "text": "Type the answer",
    "people": "People",
}
TRUE_FALSE = ["True", "False"]
MIN_OPTIONS, MAX_OPTIONS = 2, 4
MAX_OPTION_LENGTH = 120
MAX_PROMPT_LENGTH = 1200
MAX_ACCEPTED = 10
MAX_TEXT_ANSWER = 200
MAX_QUESTIONS = 100
STREAK_STEP, STREAK_CAP = 100, 500
LEADERBOARD_SIZE = 5
LOBBY_NAMES = 30
MAX_EXTEND_SECONDS = 120
EXPORT_FORMAT = "known-quiz"
EXPORT_VERSION = 1
NICKNAME_MIN, NICKNAME_MAX = 2, 20
# Matched against a nickname with spaces, punctuation and l33t removed. Short on purpose: the
# host can kick whoever gets past it, and a long list refuses innocent names (Scunthorpe).
BLOCKED_WORDS = (
    "fuck",
    "cunt",
    "nigger",
    "nigga",
    "faggot",
    "hitler",
    "nazi",
    "whore",
    "slut",
    "bitch",
    "asshole",
    "retard",
    "rapist",
    "porn",
    "wank",
    "twat",
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
# Letters NFKD does not decompose, folded the way people type them without the key.
_FOLD = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "þ": "th", "\u0131": "i"}
)
_TRIM = " \t\r\n.,;:!?¡¿'\"“”\u2018\u2019«»()[]{}"


class QuizError(DomainError):
    """A quiz could not be written, started, joined or played."""


# --- rooms ----------------------------------------------------------------------------------


def room(run_id: int, audience: str) -> str:
    """The Socket.IO room of one audience (``players``, ``host``, ``screen``) of a run."""
    return f"quiz:{run_id}:{audience}"


def player_room(run_id: int, player_id: int) -> str:
    """The private room of one player (all their phones' connections)."""
    return f"quiz:{run_id}:player:{player_id}"


def _emit(
    session: Session, run_id: int, name: str, payload: dict[str, Any], *audiences: str
) -> None:
    for audience in audiences:
        record(session, DomainEvent(name, room(run_id, audience), payload, NAMESPACE))


ALL = ("players", "host", "screen")


def avatar_path(run_id: int, attendee_id: int) -> str:
    """Where a people question's avatar is served (``quiz.avatar``)."""
    return f"/quiz-avatar/{run_id}/{attendee_id}"


def image_path(run_id: int, question_id: int) -> str:
    """Where a run question's picture is served (``quiz.run_image``)."""
    return f"/quiz-image/{run_id}/{question_id}"


def epoch_ms(moment: datetime | None) -> int | None:
    """Milliseconds since the epoch, as phones count them."""
    return None if moment is None else int(moment.timestamp() * 1000)


# --- scoring --------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Text as answers are compared: case folded, accents stripped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)
    return " ".join(bare.split()).strip(_TRIM)


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance between ``a`` and ``b``, or ``limit + 1`` as soon as it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def typo_allowance(accepted: str) -> int:
    """How many typos an answer may have: 0 for 1-2 characters and numbers, 1 up to 6, else 2."""
    compact = accepted.replace(" ", "")
    if len(compact) <= 2 or compact.replace(".", "").replace(",", "").isdigit():
        return 0
    return 1 if len(accepted) <= 6 else 2


def text_matches(given: str, accepted: Iterable[str]) -> bool:
    """Whether a typed answer matches one of the accepted answers (see the module docstring)."""
    typed = normalise_text(given)
    if not typed:
        return False
    for answer in accepted:
        target = normalise_text(answer)
        if target and levenshtein(typed, target, typo_allowance(target)) <= typo_allowance(target):
            return True
    return False


def choice_fraction(kind: str, chosen: Sequence[int], correct: Sequence[int]) -> float:
    """The share of the points a choice earns: 0 or 1, or for multiple select
    ``max(0, (right - wrong) / len(correct))``."""
    right_set = set(correct)
    picked = set(chosen)
    if kind != "multiple":
        return 1.0 if len(picked) == 1 and picked <= right_set else 0.0
    if not right_set:
        return 0.0
    right = len(picked & right_set)
    wrong = len(picked - right_set)
    return max(0.0, (right - wrong) / len(right_set))


def speed_factor(elapsed_ms: int, time_limit: int) -> float:
    """``1 - (t / T) / 2`` with ``t`` capped to ``[0, T]``."""
    limit_ms = time_limit * 1000
    t = min(max(elapsed_ms, 0), limit_ms)
    return 1 - (t / limit_ms) / 2


def streak_bonus(streak: int) -> int:
    """The bonus of the ``streak``-th correct answer in a row: 100 per answer after the first."""
    return min(STREAK_CAP, STREAK_STEP * max(0, streak - 1))


@dataclass(frozen=True)
class Scored:
    """What one answer is worth."""

    correct: bool
    points: int
    streak: int  # the player's streak after this answer


def score_answer(
    *,
    kind: str,
    points: int,
    time_limit: int,
    correct: Sequence[int],
    accepted: Sequence[str],
    choice: Sequence[int] | None,
    text: str | None,
    elapsed_ms: int,
    previous_streak: int,
    fair_mode: bool = False,
    streaks: bool = True,
) -> Scored:
    """Score one answer exactly as the module docstring says."""
    if kind == "text":
        fraction = 1.0 if text_matches(text or "", accepted) else 0.0
    else:
        fraction = choice_fraction(kind, choice or [], correct)
    is_correct = fraction >= 1.0
    if points == 0:
        return Scored(is_correct, 0, previous_streak)
    speed = 1.0 if (fair_mode and kind == "people") else speed_factor(elapsed_ms, time_limit)
    earned = round(points * speed * fraction) if fraction > 0 else 0
    streak = previous_streak + 1 if is_correct else 0
    if is_correct and streaks:
        earned += streak_bonus(streak)
    return Scored(is_correct, earned, streak)


# --- authoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFields:
    """What an organiser writes for one question."""

    type: str
    prompt: str
    options: list[str] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    time_limit: int = 20
    points: int = 1000


@dataclass(frozen=True)
class QuestionImage:
    """A processed question picture (see ``conference.quiz.images``)."""

    data: bytes
    content_type: str


def clean_question(fields: QuestionFields) -> QuestionFields:
    """The fields trimmed and checked; raises ``QuizError`` with a message for people."""
    kind = fields.type
    if kind not in AUTHORED_TYPES:
        raise QuizError("invalid_type", f"Unknown question type {kind!r}.")
    prompt = " ".join(fields.prompt.split()) if kind != "text" else fields.prompt.strip()
    prompt = prompt.strip()
    if not prompt:
        raise QuizError("prompt_required", "Write the question.")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise QuizError(
            "prompt_too_long", f"Keep the question under {MAX_PROMPT_LENGTH} characters."
        )
    if not MIN_TIME_LIMIT <= fields.time_limit <= MAX_TIME_LIMIT:
        raise QuizError(
            "invalid_time_limit",
            f"The time limit is between {MIN_TIME_LIMIT} and {MAX_TIME_LIMIT} seconds.",
        )
    if fields.points not in POINTS_CHOICES:
        raise QuizError("invalid_points", "Points are 0, 1000 or 2000.")
    options: list[str] = []
    correct: list[int] = []
    accepted: list[str] = []
    if kind in ("single", "multiple"):
        # Blank option boxes are skipped; the correct ticks move with the options kept.
        kept = [(i, " ".join(o.split())) for i, o in enumerate(fields.options)]
        kept = [(i, text) for i, text in kept if text]
        options = [text for _, text in kept]
        correct = [n for n, (i, _) in enumerate(kept) if i in set(fields.correct)]
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise QuizError("invalid_options", "Give 2 to 4 options.")
        if any(len(o) > MAX_OPTION_LENGTH for o in options):
            raise QuizError(
                "option_too_long", f"Keep each option under {MAX_OPTION_LENGTH} characters."
            )
        if len({o.casefold() for o in options}) != len(options):
            raise QuizError("duplicate_options", "Two options say the same thing.")
        if kind == "single" and len(correct) != 1:
            raise QuizError(
                "invalid_correct", "A single-choice question has exactly one correct option."
            )
        if kind == "multiple" and not correct:
            raise QuizError("invalid_correct", "Tick at least one correct option.")
    elif kind == "truefalse":
        options = list(TRUE_FALSE)
        if len(fields.correct) != 1 or fields.correct[0] not in (0, 1):
            raise QuizError("invalid_correct", "Say whether the statement is true or false.")
        correct = [fields.correct[0]]
    else:
        accepted = []
        for answer in fields.accepted:
            text = " ".join(answer.split())
            if text and normalise_text(text) not in {normalise_text(a) for a in accepted}:
                accepted.append(text)
        if not accepted:
            raise QuizError("accepted_required", "Give at least one accepted answer.")
        if len(accepted) > MAX_ACCEPTED:
            raise QuizError("too_many_accepted", f"Give at most {MAX_ACCEPTED} accepted answers.")
        if any(len(a) > MAX_OPTION_LENGTH for a in accepted):
            raise QuizError(
                "option_too_long", f"Keep each answer under {MAX_OPTION_LENGTH} characters."
            )
    return replace(fields, prompt=prompt, options=options, correct=correct, accepted=accepted)


def create_quiz(
    session: Session,
    *,
    event: Event,
    title: str,
    allow_guests: bool = True,
    fair_mode: bool = False,
    streaks_enabled: bool = True,
) -> Quiz:
    """A new, empty quiz for the event."""
    quiz = Quiz(event_id=event.id, questions=[])
    update_settings(
        session,
        quiz=quiz,
        title=title,
        allow_guests=allow_guests,
        fair_mode=fair_mode,
        streaks_enabled=streaks_enabled,
    )
    session.add(quiz)
    session.flush()
    return quiz


def update_settings(
    session: Session,
    *,
    quiz: Quiz,
    title: str,
    allow_guests: bool,
    fair_mode: bool,
    streaks_enabled: bool,
) -> Quiz:
    """Change a quiz's title and settings (runs already started keep theirs)."""
    clean = " ".join(title.split())
    if not clean:
        raise QuizError("title_required", "Give the quiz a title.")
    if len(clean) > 200:
        raise QuizError("title_too_long", "Keep the title under 200 characters.")
    quiz.title = clean
    quiz.allow_guests = allow_guests
    quiz.fair_mode = fair_mode
    quiz.streaks_enabled = streaks_enabled
    session.flush()
    return quiz


def get_quiz(session: Session, *, event_id: int, quiz_id: int) -> Quiz:
    """The quiz of this event, or ``not_found``."""
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.event_id != event_id:
        raise QuizError("not_found", "There is no such quiz.")
    return quiz


def quizzes_of(session: Session, *, event_id: int) -> list[Quiz]:
    """The event's quizzes, newest first."""
    return list(
        session.scalars(sa.select(Quiz).where(Quiz.event_id == event_id).order_by(Quiz.id.desc()))
    )


def question_counts(session: Session, *, quiz_ids: Sequence[int]) -> dict[int, int]:
    """quiz id -> number of questions."""
    if not quiz_ids:
        return {}
    rows = session.execute(
        sa.select(Question.quiz_id, sa.func.count())
        .where(Question.quiz_id.in_(quiz_ids))
        .group_by(Question.quiz_id)
    )
    return {int(quiz_id): int(count) for quiz_id, count in rows}


def delete_quiz(session: Session, *, quiz: Quiz) -> None:
    """Delete a quiz and its questions; past runs keep their results."""
    session.delete(quiz)
    session.flush()


def get_question(session: Session, *, quiz: Quiz, question_id: int) -> Question:
    """One question of the quiz, or ``not_found``."""
    question = session.get(Question, question_id)
    if question is None or question.quiz_id != quiz.id:
        raise QuizError("not_found", "There is no such question.")
    return question


def _renumber(quiz: Quiz) -> None:
    for position, question in enumerate(quiz.questions):
        question.position = position


def _room_for_more(quiz: Quiz, count: int = 1) -> None:
    if len(quiz.questions) + count > MAX_QUESTIONS:
        raise QuizError("too_many_questions", f"A quiz has at most {MAX_QUESTIONS} questions.")


def add_question(
    session: Session,
    *,
    quiz: Quiz,
    fields: QuestionFields,
    image: QuestionImage | None = None,
) -> Question:
    """Append a question to the quiz."""
    clean = clean_question(fields)
    _room_for_more(quiz)
    question = Question(position=len(quiz.questions))
    _apply_question(question, clean)
    if image is not None:
        question.image, question.image_type = image.data, image.content_type
    quiz.questions.append(question)
    session.flush()
    return question


def _apply_question(question: Question, fields: QuestionFields) -> None:
    question.type = fields.type
    question.prompt = fields.prompt
    question.options = list(fields.options)
    question.correct = list(fields.correct)
    question.accepted = list(fields.accepted)
    question.time_limit = fields.time_limit
    question.points = fields.points


def update_question(
    session: Session,
    *,
    question: Question,
    fields: QuestionFields,
    image: QuestionImage | None = None,
    remove_image: bool = False,
) -> Question:
    """Change a question. People questions only change their time limit and points."""
    if question.type == "people":
        if not MIN_TIME_LIMIT <= fields.time_limit <= MAX_TIME_LIMIT:
            raise QuizError(
                "invalid_time_limit",
                f"The time limit is between {MIN_TIME_LIMIT} and {MAX_TIME_LIMIT} seconds.",
            )
        if fields.points not in POINTS_CHOICES:
            raise QuizError("invalid_points", "Points are 0, 1000 or 2000.")
        question.time_limit, question.points = fields.time_limit, fields.points
    else:
        _apply_question(question, clean_question(fields))
    if remove_image:
        question.image, question.image_type = None, None
    if image is not None:
        question.image, question.image_type = image.data, image.content_type
    session.flush()
    return question


def move_question(session: Session, *, question: Question, offset: int) -> Question:
    """Move a question up (``-1``) or down (``+1``) the list."""
    quiz = question.quiz
    questions = list(quiz.questions)
    index = questions.index(question)
    target = index + offset
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
        for position, q in enumerate(questions):
            q.position = position
        session.flush()
        session.expire(quiz, ["questions"])
    return question


def duplicate_question(session: Session, *, question: Question) -> Question:
    """Insert a copy of the question right after it."""
    quiz = question.quiz
    _room_for_more(quiz)
    copy = Question(
        type=question.type,
        prompt=question.prompt,
        options=list(question.options),
        correct=list(question.correct),
        accepted=list(question.accepted),
        time_limit=question.time_limit,
        points=question.points,
        image=question.image,
        image_type=question.image_type,
        person_id=question.person_id,
        people_kind=question.people_kind,
        option_people=list(question.option_people) if question.option_people else None,
    )
    questions = list(quiz.questions)
    questions.insert(questions.index(question) + 1, copy)
    quiz.questions.append(copy)
    for position, q in enumerate(questions):
        q.position = position
    session.flush()
    session.expire(quiz, ["questions"])
    return copy


def delete_question(session: Session, *, question: Question) -> None:
    """Remove a question; the others close the gap."""
    quiz = question.quiz
    quiz.questions.remove(question)
    _renumber(quiz)
    session.flush()


def question_image(session: Session, *, question_id: int, run: bool) -> tuple[bytes, str] | None:
    """The picture of an authored (``run=False``) or run question, if it has one."""
    model: type[Question] | type[RunQuestion] = RunQuestion if run else Question
    row = session.execute(
        sa.select(model.image, model.image_type).where(model.id == question_id)
    ).first()
    if row is None or row.image is None or row.image_type is None:
        return None
    return bytes(row.image), str(row.image_type)


# --- export and import ----------------------------------------------------------------------


def export_quiz(session: Session, *, quiz: Quiz) -> dict[str, Any]:
    """The quiz as JSON-ready data. People questions are left out: they name attendees of this
    event, and "Add a people round" makes new ones for any event."""
    questions = session.scalars(
        sa.select(Question)
        .where(Question.quiz_id == quiz.id, Question.type != "people")
        .order_by(Question.position, Question.id)
        .options(undefer(Question.image))
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "title": quiz.title,
        "settings": {
            "allow_guests": quiz.allow_guests,
            "fair_mode": quiz.fair_mode,
            "streaks_enabled": quiz.streaks_enabled,
        },
        "questions": [
            {
                "type": q.type,
                "prompt": q.prompt,
                "options": list(q.options) if q.type in ("single", "multiple") else [],
                "correct": list(q.correct),
                "accepted": list(q.accepted),
                "time_limit": q.time_limit,
                "points": q.points,
                "image": (
                    {
                        "content_type": q.image_type,
                        "data": base64.b64encode(q.image).decode("ascii"),
                    }
                    if q.image is not None and q.image_type
                    else None
                ),
            }
            for q in questions
        ],
    }


class QuizImportError(QuizError):
    """An imported file is not a quiz we can read; ``problems`` lists what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid_import", "; ".join(problems))
        self.problems = problems


def _int_list(value: object) -> list[int] | None:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return None
    return list(value)


def _str_list(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(value)


ImageProcessor = Any  # Callable[[bytes], QuestionImage]; kept loose so tests can pass a stub


def parse_import(raw: bytes | str, *, process_image: ImageProcessor) -> dict[str, Any]:
    """Read an exported quiz; raises ``QuizImportError`` listing every problem found."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except UnicodeDecodeError:
        raise QuizImportError(["The file is not UTF-8 text; export it from Known again."]) from None
    except json.JSONDecodeError as err:
        raise QuizImportError(
            [f"The file is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})."]
        ) from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise QuizImportError([f'This is not a Known quiz file (no "format": "{EXPORT_FORMAT}").'])
    if data.get("version") != EXPORT_VERSION:
        raise QuizImportError([f"Quiz file version {data.get('version')!r} is not supported."])
    problems: list[str] = []
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("The quiz has no title.")
    settings = data.get("settings", {})
    if not isinstance(settings, dict) or not all(
        isinstance(settings.get(k, False), bool)
        for k in ("allow_guests", "fair_mode", "streaks_enabled")
    ):
        problems.append('"settings" must hold true/false values.')
        settings = {}
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list):
        raise QuizImportError([*problems, '"questions" must be a list.'])
    if len(raw_questions) > MAX_QUESTIONS:
        problems.append(f"A quiz has at most {MAX_QUESTIONS} questions.")
    questions: list[tuple[QuestionFields, QuestionImage | None]] = []
    for number, item in enumerate(raw_questions[:MAX_QUESTIONS], start=1):
        where = f"Question {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not an object.")
            continue
        kind = item.get("type")
        if kind == "people":
            problems.append(
                f"{where}: people questions cannot be imported; use “Add a people round”."
            )
            continue
        options = _str_list(item.get("options", []))
        correct = _int_list(item.get("correct", []))
        accepted = _str_list(item.get("accepted", []))
        time_limit = item.get("time_limit", 20)
        points = item.get("points", 1000)
        if options is None or correct is None or accepted is None:
            problems.append(f"{where}: options, correct and accepted must be lists.")
            continue
        if not isinstance(time_limit, int) or not isinstance(points, int):
            problems.append(f"{where}: time_limit and points must be whole numbers.")
            continue
        try:
            fields = clean_question(
                QuestionFields(
                    type=str(kind),
                    prompt=str(item.get("prompt", "")),
                    options=options,
                    correct=correct,
                    accepted=accepted,
                    time_limit=time_limit,
                    points=points,
                )
            )
        except QuizError as err:
            problems.append(f"{where}: {err.message}")
            continue
        if kind in ("single", "multiple") and any(i >= len(options) or i < 0 for i in correct):
            problems.append(f"{where}: a correct option number is out of range.")
            continue
        image = None
        raw_image = item.get("image")
        if raw_image is not None:
            try:
                if not isinstance(raw_image, dict):
                    raise ValueError
                image = process_image(
                    base64.b64decode(str(raw_image.get("data", "")), validate=True)
                )
            except (binascii.Error, ValueError):
                problems.append(f"{where}: the picture is not valid base64.")
                continue
            except DomainError as err:
                problems.append(f"{where}: {err.message}")
                continue
        questions.append((fields, image))
    if problems:
        raise QuizImportError(problems[:20])
    return {
        "title": str(title),
        "allow_guests": bool(settings.get("allow_guests", True)),
        "fair_mode": bool(settings.get("fair_mode", False)),
        "streaks_enabled": bool(settings.get("streaks_enabled", True)),
        "questions": questions,
    }


def import_quiz(
    session: Session, *, event: Event, raw: bytes | str, process_image: ImageProcessor
) -> Quiz:
    """Create a quiz from an exported file; nothing is created when anything is wrong."""
    parsed = parse_import(raw, process_image=process_image)
    quiz = create_quiz(
        session,
        event=event,
        title=parsed["title"],
        allow_guests=parsed["allow_guests"],
        fair_mode=parsed["fair_mode"],
        streaks_enabled=parsed["streaks_enabled"],
    )
    for fields, image in parsed["questions"]:
        add_question(session, quiz=quiz, fields=fields, image=image)
    return quiz


# --- runs: starting and finding -------------------------------------------------------------


def _new_pin() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _consenting(session: Session, attendee_ids: Iterable[int], event_id: int) -> set[int]:
    ids = {int(i) for i in attendee_ids}
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(Attendee.id).where(
                Attendee.id.in_(ids),
                Attendee.event_id == event_id,
                Attendee.consent_game.is_(True),
                Attendee.deleted_at.is_(None),
            )
        )
    )


def people_in(question: Question | RunQuestion) -> set[int]:
    """Every attendee a people question shows (the answer and each option)."""
    people = set(question.option_people or [])
    if question.person_id is not None:
        people.add(question.person_id)
    return people


def playable_questions(session: Session, *, quiz: Quiz) -> tuple[list[Question], int]:
    """The questions a run would play, and how many people questions are left out because
    someone in them has withdrawn their consent (or deleted their profile) since."""
    questions = list(
        session.scalars(
            sa.select(Question)
            .where(Question.quiz_id == quiz.id)
            .order_by(Question.position, Question.id)
        )
    )
    everyone = set().union(*(people_in(q) for q in questions)) if questions else set()
    allowed = _consenting(session, everyone, quiz.event_id)
    keep = [
        q for q in questions if q.type != "people" or (people_in(q) and people_in(q) <= allowed)
    ]
    return keep, len(questions) - len(keep)


def create_run(
    session: Session, *, quiz: Quiz, now: datetime, created_by_id: int | None = None
) -> QuizRun:
    """Open a lobby for the quiz: freeze its questions and settings and draw a free PIN."""
    questions, _dropped = playable_questions(session, quiz=quiz)
    if not questions:
        raise QuizError("quiz_empty", "Add at least one question before starting the quiz.")
    with_avatars = _with_avatar(session, set().union(*(people_in(q) for q in questions)))
    images: dict[int, bytes | None] = {
        int(qid): image
        for qid, image in session.execute(
            sa.select(Question.id, Question.image).where(
                Question.id.in_([q.id for q in questions if q.has_image])
            )
        )
    }
    for _attempt in range(30):
        run = QuizRun(
            event_id=quiz.event_id,
            quiz_id=quiz.id,
            title=quiz.title,
            pin=_new_pin(),
            state="lobby",
            current_index=-1,
            total=len(questions),
            allow_guests=quiz.allow_guests,
            fair_mode=quiz.fair_mode,
            streaks_enabled=quiz.streaks_enabled,
            created_by_id=created_by_id,
            created_at=now,
            version=0,
        )
        run.questions = [
            RunQuestion(
                position=position,
                source_id=q.id,
                type=q.type,
                prompt=q.prompt,
                options=list(q.options),
                correct=list(q.correct),
                accepted=list(q.accepted),
                time_limit=q.time_limit,
                points=q.points,
                image=images.get(q.id),
                image_type=q.image_type if q.id in images else None,
                person_id=q.person_id,
                people_kind=q.people_kind,
                option_people=list(q.option_people) if q.option_people else None,
                option_avatars=(
                    [pid in with_avatars for pid in q.option_people] if q.option_people else None
                ),
            )
            for position, q in enumerate(questions)
        ]
        try:
            with session.begin_nested():
                session.add(run)
                session.flush()
        except sa.exc.IntegrityError:
            continue  # that PIN is live elsewhere: draw another
        return run
    raise QuizError("no_pin", "Could not find a free PIN; end an old run and try again.")


def _with_avatar(session: Session, attendee_ids: set[int]) -> set[int]:
    from conference.people.models import Avatar

    if not attendee_ids:
        return set()
    return set(
        session.scalars(sa.select(Avatar.attendee_id).where(Avatar.attendee_id.in_(attendee_ids)))
    )


def find_run(session: Session, *, pin: str | None = None, run_id: int | None = None) -> QuizRun:
    """The run by id, or the live run with this PIN (else the latest ended one with it)."""
    run: QuizRun | None = None
    if run_id is not None:
        run = session.get(QuizRun, run_id)
        if run is not None and pin and run.pin != pin:
            run = None
    elif pin:
        run = session.scalar(
            sa.select(QuizRun)
            .where(QuizRun.pin == pin)
            .order_by((QuizRun.state == "ended").asc(), QuizRun.id.desc())
            .limit(1)
        )
    if run is None:
        raise QuizError("not_found", "There is no quiz with this PIN. Check the number.")
    return run


def get_run(session: Session, *, event_id: int, run_id: int) -> QuizRun:
    """A run of this event, or ``not_found``."""
    run = session.get(QuizRun, run_id)
    if run is None or run.event_id != event_id:
        raise QuizError("not_found", "There is no such quiz run.")
    return run


def runs_of(session: Session, *, event_id: int, quiz_id: int | None = None) -> list[QuizRun]:
    """The event's (or one quiz's) runs, newest first."""
    stmt = sa.select(QuizRun).where(QuizRun.event_id == event_id)
    if quiz_id is not None:
        stmt = stmt.where(QuizRun.quiz_id == quiz_id)
    return list(session.scalars(stmt.order_by(QuizRun.id.desc())))


def player_counts(session: Session, *, run_ids: Sequence[int]) -> dict[int, int]:
    """run id -> players who were not kicked."""
    if not run_ids:
        return {}
    rows = session.execute(
        sa.select(Player.run_id, sa.func.count())
        .where(Player.run_id.in_(run_ids), Player.kicked_at.is_(None))
        .group_by(Player.run_id)
    )
    return {int(run_id): int(count) for run_id, count in rows}


def current_question(session: Session, run: QuizRun) -> RunQuestion | None:
    """The question at the run's current index, if any."""
    if run.current_index < 0:
        return None
    return session.scalar(
        sa.select(RunQuestion).where(
            RunQuestion.run_id == run.id, RunQuestion.position == run.current_index
        )
    )


# --- players --------------------------------------------------------------------------------


def clean_nickname(nickname: str) -> str:
    """A guest's nickname, trimmed; raises ``nickname_invalid`` for what we do not show."""
    text = " ".join(unicodedata.normalize("NFC", nickname).split())
    if not NICKNAME_MIN <= len(text) <= NICKNAME_MAX:
        raise QuizError(
            "nickname_invalid", f"Choose a nickname of {NICKNAME_MIN} to {NICKNAME_MAX} characters."
        )
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise QuizError("nickname_invalid", "That nickname has invisible characters in it.")
    if not any(c.isalnum() for c in text):
        raise QuizError("nickname_invalid", "Put at least one letter or digit in your nickname.")
    squashed = "".join(c for c in normalise_text(text).translate(_LEET) if c.isalpha())
    if any(word in squashed for word in BLOCKED_WORDS):
        raise QuizError("nickname_invalid", "Please choose a friendlier nickname.")
    return text


def nickname_key(nickname: str) -> str:
    """What two nicknames must not share in one run."""
    return normalise_text(nickname)[:60] or nickname.casefold()[:60]


def _insert_player(session: Session, player: Player) -> bool:
    try:
        with session.begin_nested():
            session.add(player)
            session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Joined:
    """The player who joined, and the private resume token when a guest was just created."""

    player: Player
    resume: str | None
    new: bool


def join_player(
    session: Session,
    *,
    run: QuizRun,
    now: datetime,
    attendee: Attendee | None = None,
    nickname: str | None = None,
    resume: str | None = None,
) -> Joined:
    """Let someone into the run: an attendee of its event as themselves, a guest by resume
    token or with a new nickname. Kicked players stay out."""
    if attendee is not None and attendee.event_id != run.event_id:
        attendee = None
    if attendee is not None:
        player = session.scalar(
            sa.select(Player).where(Player.run_id == run.id, Player.attendee_id == attendee.id)
        )
        if player is not None:
            _refuse_kicked(player)
            return Joined(player, None, False)
        _refuse_closed(run)
        return _join_attendee(session, run=run, attendee=attendee, nickname=nickname, now=now)
    if resume:
        player = session.scalar(
            sa.select(Player).where(
                Player.run_id == run.id, Player.resume_token_hash == hash_token(resume)
            )
        )
        if player is not None:
            _refuse_kicked(player)
            return Joined(player, resume, False)
    if not run.allow_guests:
        raise QuizError(
            "guests_not_allowed", "This quiz is for attendees: open your personal login link first."
        )
    if not nickname:
        raise QuizError("nickname_invalid", "Choose a nickname to join.")
    _refuse_closed(run)
    name = clean_nickname(nickname)
    key = nickname_key(name)
    if _is_attendee_name(session, run.event_id, name):
        raise QuizError(
            "nickname_taken", "That is the name of someone at this event; choose a nickname."
        )
    token = new_token()
    player = Player(
        run_id=run.id,
        nickname=name,
        nickname_key=key,
        resume_token_hash=hash_token(token),
        joined_at=now,
        score_reached_at=now,
    )
    if not _insert_player(session, player):
        raise QuizError("nickname_taken", f"“{name}” is already playing; choose another nickname.")
    return Joined(player, token, True)


def _refuse_kicked(player: Player) -> None:
    if player.kicked_at is not None:
        raise QuizError("kicked", "The host removed you from this quiz.")


def _refuse_closed(run: QuizRun) -> None:
    if run.state == "ended":
        raise QuizError("bad_state", "This quiz has ended.")


def _is_attendee_name(session: Session, event_id: int, name: str) -> bool:
    return (
        session.scalar(
            sa.select(Attendee.id)
            .where(
                Attendee.event_id == event_id,
                Attendee.deleted_at.is_(None),
                sa.func.lower(Attendee.name) == name.lower(),
            )
            .limit(1)
        )
        is not None
    )


def _join_attendee(
    session: Session, *, run: QuizRun, attendee: Attendee, nickname: str | None, now: datetime
) -> Joined:
    # Attendees appear by name only if they agreed to be named on leaderboards.
    if nickname:
        names = [clean_nickname(nickname)]
    elif attendee.consent_leaderboard:
        base = " ".join(attendee.name.split())[:50]
        names = [base] + [f"{base} {n}" for n in range(2, 20)]
    else:
        names = [f"Player {attendee.id}"]
    for name in names:
        player = Player(
            run_id=run.id,
            attendee_id=attendee.id,
            nickname=name,
            nickname_key=nickname_key(name),
            joined_at=now,
            score_reached_at=now,
        )
        if _insert_player(session, player):
            return Joined(player, None, True)
        # Either the same attendee joined a moment ago from another tab, or the name is taken.
        existing = session.scalar(
            sa.select(Player).where(Player.run_id == run.id, Player.attendee_id == attendee.id)
        )
        if existing is not None:
            _refuse_kicked(existing)
            return Joined(existing, None, False)
    raise QuizError("nickname_taken", "That nickname is already playing; choose another.")


def get_player(session: Session, *, run_id: int, player_id: int) -> Player:
    """A player of the run, or ``not_found``."""
    player = session.get(Player, player_id)
    if player is None or player.run_id != run_id:
        raise QuizError("not_found", "There is no such player in this quiz.")
    return player


def kick(session: Session, *, run: QuizRun, player_id: int, now: datetime) -> Player:
    """Remove a player for good (their login or resume token is refused from now on)."""
    player = get_player(session, run_id=run.id, player_id=player_id)
    if player.kicked_at is None:
        player.kicked_at = now
        session.flush()
        record(session, DomainEvent("kicked", player_room(run.id, player.id), {}, NAMESPACE))
        record_lobby(session, run, kicked=[player.id])
        _bump(session, run)
        if player.rank is not None:
            _rank(session, run)
        if run.state == "question" and not run.paused:
            _close_if_everyone_answered(session, run, now=now)
    return player


def _bump(session: Session, run: QuizRun) -> None:
    session.execute(
        sa.update(QuizRun)
        .where(QuizRun.id == run.id)
        .values(version=QuizRun.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(run)


def active_players(session: Session, run_id: int) -> int:
    """Players of the run who were not kicked."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Player)
            .where(Player.run_id == run_id, Player.kicked_at.is_(None))
        )
        or 0
    )


def lobby_payload(session: Session, run: QuizRun) -> dict[str, Any]:
    """Who is in: the count, the latest names, and (for the host's kick button) their ids."""
    recent = session.execute(
        sa.select(Player.id, Player.nickname)
        .where(Player.run_id == run.id, Player.kicked_at.is_(None))
        .order_by(Player.id.desc())
        .limit(LOBBY_NAMES)
    ).all()
    return {
        "count": active_players(session, run.id),
        "names": [name for _, name in reversed(recent)],
        "recent": [{"id": pid, "name": name} for pid, name in reversed(recent)],
    }


def record_lobby(session: Session, run: QuizRun, *, kicked: list[int] | None = None) -> None:
    """Tell the host and screen who is in, and the phones how many."""
    payload = lobby_payload(session, run)
    if kicked:
        payload["kicked"] = kicked
    _emit(session, run.id, "lobby", payload, "host", "screen")
    _emit(session, run.id, "lobby", {"count": payload["count"]}, "players")


def answer_counts(session: Session, run_id: int, question_id: int) -> tuple[int, int]:
    """(answers to the question by players still in, players still in), in one statement."""
    kicked = (
        sa.select(Player.id)
        .where(Player.run_id == run_id, Player.kicked_at.is_not(None))
        .scalar_subquery()
    )
    answered = (
        sa.select(sa.func.count())
        .select_from(Answer)
        .where(Answer.question_id == question_id, Answer.player_id.not_in(kicked))
        .scalar_subquery()
    )
    players = (
        sa.select(sa.func.count())
        .select_from(Player)
        .where(Player.run_id == run_id, Player.kicked_at.is_(None))
        .scalar_subquery()
    )
    row = session.execute(sa.select(answered, players)).one()
    return int(row[0] or 0), int(row[1] or 0)


def record_answer_count(
    session: Session, run_id: int, question_id: int, *, counts: tuple[int, int] | None = None
) -> None:
    """Tell the host and screen how many have answered (``counts``: already counted in this
    transaction, as :func:`answer_counts` returns them)."""
    answered, players = counts or answer_counts(session, run_id, question_id)
    _emit(
        session,
        run_id,
        "answers_count",
        {"answered": answered, "players": players},
        "host",
        "screen",
    )


# --- the state machine ----------------------------------------------------------------------


def _transition(
    session: Session,
    run: QuizRun,
    *,
    state: str,
    index: int | None,
    values: dict[str, Any],
    also: Sequence[sa.ColumnElement[bool]] = (),
) -> bool:
    """The one conditional UPDATE every transition goes through; True if it changed the run."""
    stmt = (
        sa.update(QuizRun)
        .where(QuizRun.id == run.id, QuizRun.state == state, *also)
        .values(version=QuizRun.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if index is not None:
        stmt = stmt.where(QuizRun.current_index == index)
    changed = int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    session.refresh(run)
    return changed == 1


def _check_version(run: QuizRun, version: int | None) -> None:
    if version is not None and version != run.version:
        raise QuizError("bad_state", "The quiz has moved on; here is where it is now.")


def _open_question(
    session: Session, run: QuizRun, *, index: int, from_state: str, from_index: int, now: datetime
) -> bool:
    question = session.scalar(
        sa.select(RunQuestion).where(RunQuestion.run_id == run.id, RunQuestion.position == index)
    )
    if question is None:
        return False
    changed = _transition(
        session,
        run,
        state=from_state,
        index=from_index,
        values={
            "state": "question",
            "current_index": index,
            "opened_at": now,
            "closes_at": now + timedelta(seconds=question.time_limit),
            "paused_at": None,
            "paused_remaining_ms": None,
            "started_at": sa.func.coalesce(QuizRun.started_at, now),
        },
    )
    if changed:
        _emit(session, run.id, "question", question_event(run, question, now=now), *ALL)
    return changed


def _end(session: Session, run: QuizRun, *, from_state: str, now: datetime) -> bool:
    changed = _transition(
        session,
        run,
        state=from_state,
        index=run.current_index,
        values={"state": "ended", "ended_at": now, "closes_at": None, "paused_remaining_ms": None},
    )
    if changed:
        _emit(session, run.id, "podium", {"top": leaderboard(session, run)}, *ALL)
    return changed


def start(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """Leave the lobby: open the first question."""
    _check_version(run, version)
    if run.state != "lobby":
        raise QuizError("bad_state", "The quiz has already started.")
    _open_question(session, run, index=0, from_state="lobby", from_index=-1, now=now)
    return run


def advance(
    session: Session, *, run: QuizRun, now: datetime, version: int | None = None
) -> QuizRun:
    """The host's "next": lobby → first question; question → reveal; reveal → leaderboard;
    leaderboard → next question, or the podium after the last one."""
    _check_version(run, version)
    state, index = run.state, run.current_index
    if state == "lobby":
        _open_question(session, run, index=0, from_state="lobby", from_index=-1, now=now)
    elif state == "question":
        close_question(session, run=run, index=index, now=now, reason="host")
    elif state == "reveal":
        if _transition(session, run, state="reveal", index=index, values={"state": "leaderboard"}):
            _emit(session, run.id, "leaderboard", leaderboard_event(session, run), *ALL)
    elif state == "leaderboard":
        if index + 1 < run.total:
            _open_question(
                session, run, index=index + 1, from_state="leaderboard", from_index=index, now=now
            )
        else:
            _end(session, run, from_state="leaderboard", now=now)
    else:
        raise QuizError("bad_state", "This quiz has ended.")
    return run


def skip(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """Drop the open question unscored and go straight to the next one (or the podium)."""
    _check_version(run, version)
    if run.state != "question":
        raise QuizError("bad_state", "Only an open question can be skipped.")
    index = run.current_index
    question = current_question(session, run)
    if index + 1 < run.total:
        changed = _open_question(
            session, run, index=index + 1, from_state="question", from_index=index, now=now
        )
    else:
        changed = _end(session, run, from_state="question", now=now)
    if changed and question is not None:
        question.skipped = True
        session.execute(
            sa.update(Answer)
            .where(Answer.question_id == question.id)
            .values(points=0)
            .execution_options(synchronize_session=False)
        )
        session.flush()
    return run


def pause(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """Stop the clock of the open question; answers wait until it resumes."""
    _check_version(run, version)
    if run.state != "question" or run.closes_at is None:
        raise QuizError("bad_state", "Only a running question can be paused.")
    remaining = max(0, int((run.closes_at - now).total_seconds() * 1000))
    if _transition(
        session,
        run,
        state="question",
        index=run.current_index,
        values={"closes_at": None, "paused_at": now, "paused_remaining_ms": remaining},
        also=[QuizRun.closes_at.is_not(None)],
    ):
        payload = {"closes_at": None, "remaining_ms": remaining, "server_now": epoch_ms(now)}
        _emit(session, run.id, "paused", payload, *ALL)
    return run


def resume(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """Start the clock again with the time that was left."""
    _check_version(run, version)
    if run.state != "question" or run.paused_remaining_ms is None or run.paused_at is None:
        raise QuizError("bad_state", "The question is not paused.")
    remaining = run.paused_remaining_ms
    closes_at = now + timedelta(milliseconds=remaining)
    opened_at = (run.opened_at or now) + (now - run.paused_at)
    if _transition(
        session,
        run,
        state="question",
        index=run.current_index,
        values={
            "closes_at": closes_at,
            "opened_at": opened_at,
            "paused_at": None,
            "paused_remaining_ms": None,
        },
        also=[QuizRun.paused_remaining_ms.is_not(None)],
    ):
        payload = {
            "closes_at": epoch_ms(closes_at),
            "remaining_ms": remaining,
            "server_now": epoch_ms(now),
        }
        _emit(session, run.id, "resumed", payload, *ALL)
    return run


def extend(
    session: Session, *, run: QuizRun, seconds: int, now: datetime, version: int | None = None
) -> QuizRun:
    """Give the open question more time (a paused one gets it added to what is left)."""
    _check_version(run, version)
    if not 1 <= seconds <= MAX_EXTEND_SECONDS:
        raise QuizError("invalid_seconds", f"Extend by 1 to {MAX_EXTEND_SECONDS} seconds.")
    if run.state != "question":
        raise QuizError("bad_state", "Only an open question can be extended.")
    if run.closes_at is not None:
        values: dict[str, Any] = {"closes_at": run.closes_at + timedelta(seconds=seconds)}
        guard = QuizRun.closes_at == run.closes_at
    else:
        assert run.paused_remaining_ms is not None
        values = {"paused_remaining_ms": run.paused_remaining_ms + seconds * 1000}
        guard = QuizRun.paused_remaining_ms == run.paused_remaining_ms
    if _transition(
        session, run, state="question", index=run.current_index, values=values, also=[guard]
    ):
        if run.closes_at is not None:
            payload = {"closes_at": epoch_ms(run.closes_at), "server_now": epoch_ms(now)}
        else:
            payload = {
                "closes_at": None,
                "remaining_ms": run.paused_remaining_ms,
                "server_now": epoch_ms(now),
            }
        _emit(session, run.id, "extended", payload, *ALL)
    return run


def close(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """The host ends the open question now (a no-op when it is already closed)."""
    _check_version(run, version)
    if run.state == "question":
        close_question(session, run=run, index=run.current_index, now=now, reason="host")
    elif run.state in ("lobby", "ended"):
        raise QuizError("bad_state", "No question is open.")
    return run


def end(session: Session, *, run: QuizRun, now: datetime, version: int | None = None) -> QuizRun:
    """Finish the run: an open question is closed and scored first, then the podium."""
    _check_version(run, version)
    if run.state == "ended":
        return run
    if run.state == "question":
        close_question(session, run=run, index=run.current_index, now=now, reason="host")
    _end(session, run, from_state=run.state, now=now)
    return run


def close_question(
    session: Session, *, run: QuizRun, index: int, now: datetime, reason: str
) -> bool:
    """Close question ``index`` once: score it, pay the ledger, reveal. ``reason="timer"``
    closes only when the deadline has passed (a paused or extended question stays open).
    Returns False when someone else closed it already (or the deadline moved)."""
    also: list[sa.ColumnElement[bool]] = []
    if reason == "timer":
        also = [QuizRun.closes_at.is_not(None), QuizRun.closes_at <= now]
        values: dict[str, Any] = {"state": "reveal"}
    else:
        values = {
            "state": "reveal",
            "closes_at": now,
            "paused_at": None,
            "paused_remaining_ms": None,
        }
    if not _transition(session, run, state="question", index=index, values=values, also=also):
        return False
    question = session.scalar(
        sa.select(RunQuestion).where(RunQuestion.run_id == run.id, RunQuestion.position == index)
    )
    if question is None:  # pragma: no cover - a run always has its questions
        return True
    _apply_scores(session, run, question)
    _pay_ledger(session, run, question, now=now)
    # Worked out once and kept: every phone's snapshot after the reveal reads it from here.
    question.reveal = reveal_payload(session, run, question)
    session.flush()
    _emit(session, run.id, "reveal", question.reveal, *ALL)
    return True


def _apply_scores(session: Session, run: QuizRun, question: RunQuestion) -> None:
    """Add the question's answers to the players' totals in one set-based UPDATE."""

    def of_answer(column: Any) -> Any:
        return (
            sa.select(column)
            .where(Answer.player_id == Player.id, Answer.question_id == question.id)
            .scalar_subquery()
        )

    values: dict[str, Any] = {
        "score": Player.score + sa.func.coalesce(of_answer(Answer.points), 0),
        "correct_count": Player.correct_count
        + sa.func.coalesce(of_answer(sa.case((Answer.correct, 1), else_=0)), 0),
        "score_reached_at": sa.func.coalesce(
            sa.select(Answer.answered_at)
            .where(
                Answer.player_id == Player.id,
                Answer.question_id == question.id,
                Answer.points > 0,
            )
            .scalar_subquery(),
            Player.score_reached_at,
        ),
    }
    if question.points > 0:
        # No answer ends a streak, like a wrong one; 0-point questions leave streaks alone.
        values["streak"] = sa.func.coalesce(of_answer(Answer.streak), 0)
    session.execute(
        sa.update(Player)
        .where(Player.run_id == run.id, Player.kicked_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    _rank(session, run)


def _rank(session: Session, run: QuizRun) -> None:
    """Number the players in leaderboard order, in one UPDATE … FROM a window function."""
    ranked = (
        sa.select(
            Player.id.label("player_id"),
            sa.func.row_number().over(order_by=_board_order()).label("place"),
        )
        .where(Player.run_id == run.id, Player.kicked_at.is_(None))
        .subquery()
    )
    session.execute(
        sa.update(Player)
        .where(Player.id == ranked.c.player_id)
        .values(rank=ranked.c.place)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(Player)
        .where(Player.run_id == run.id, Player.kicked_at.is_not(None))
        .values(rank=None)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def _pay_ledger(session: Session, run: QuizRun, question: RunQuestion, *, now: datetime) -> None:
    rows = session.execute(
        sa.select(Answer.id, Answer.points, Player.attendee_id)
        .join(Player, Player.id == Answer.player_id)
        .where(
            Answer.question_id == question.id,
            Answer.points > 0,
            Player.attendee_id.is_not(None),
            Player.kicked_at.is_(None),
        )
    ).all()
    for answer_id, points, attendee_id in rows:
        scoring.award(
            session,
            event_id=run.event_id,
            attendee_id=int(attendee_id or 0),
            source="quiz",
            source_key=f"quiz-answer:{answer_id}",
            points=int(points),
            now=now,
            scope=f"quiz-run:{run.id}",
            reason=f"{run.title[:150]}: question {question.position + 1}",
        )


# --- answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAnswer:
    """What the phone's ack needs of a stored answer (the rest stays secret until the reveal)."""

    id: int
    nonce: str
    elapsed_ms: int


@dataclass(frozen=True)
class Submitted:
    """An answer stored (or found again): ``replayed`` when this nonce was seen before."""

    answer: StoredAnswer
    replayed: bool
    closed: bool  # this answer was the last one missing and closed the question
    # Check "everyone answered" again after the commit: on PostgreSQL two last answers in
    # flight at once cannot see each other, so neither transaction alone closes the question.
    recheck: bool = False


@dataclass(frozen=True)
class Submission:
    """One player's answer as it arrived: ``now`` is the server's time of arrival."""

    player_id: int
    choice: object
    text: object
    nonce: object
    now: datetime


@dataclass
class Batch:
    """What :func:`submit_answers` made of a group of answers to one question."""

    results: list[Submitted | QuizError]
    stored: int = 0  # new answers stored
    counts: tuple[int, int] | None = None  # (answered, players still in) after the batch
    closed: bool = False  # the batch completed the room and closed the question
    recheck: bool = False  # see ``Submitted.recheck``


def _validate_choice(
    question: RunQuestion, choice: object, text: object
) -> tuple[list[int] | None, str | None]:
    if question.type == "text":
        if not isinstance(text, str) or not text.strip():
            raise QuizError("invalid_answer", "Type an answer.")
        return None, " ".join(text.split())[:MAX_TEXT_ANSWER]
    if not isinstance(choice, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in choice
    ):
        raise QuizError("invalid_answer", "Choose an option.")
    picked = sorted(set(choice))
    if not picked or any(not 0 <= c < len(question.options) for c in picked):
        raise QuizError("invalid_answer", "Choose one of the options.")
    if question.type != "multiple" and len(picked) != 1:
        raise QuizError("invalid_answer", "Choose exactly one option.")
    return picked, None


def _replay(
    existing: StoredAnswer | None, nonce: str, otherwise: QuizError
) -> Submitted | QuizError:
    """A resend (same nonce) gets the first answer's result; a different answer is refused;
    with no answer stored, ``otherwise``."""
    if existing is None:
        return otherwise
    if existing.nonce == nonce:
        return Submitted(existing, replayed=True, closed=False)
    return QuizError("already_answered", "You have already answered this question.")


def submit_answer(
    session: Session,
    *,
    run_id: int,
    player_id: int,
    question_id: int,
    choice: object,
    text: object,
    nonce: str,
    now: datetime,
) -> Submitted:
    """Store one player's answer, once, if it arrived (by the server's clock) in time."""
    batch = submit_answers(
        session,
        run_id=run_id,
        question_id=question_id,
        submissions=[Submission(player_id, choice, text, nonce, now)],
    )
    outcome = batch.results[0]
    if isinstance(outcome, QuizError):
        raise outcome
    return outcome


def _insert_answers(session: Session, rows: list[dict[str, Any]]) -> dict[int, int]:
    """Insert answers, skipping players who already answered; returns the new rows' ids by
    player. The unique constraint, not a look-up first, decides who was first, so concurrent
    transactions (other processes) cannot store a second answer. One cached statement
    executed for many rows: SQLAlchemy sends it as multi-row INSERTs (``insertmanyvalues``)."""
    if not rows:
        return {}
    table = cast(sa.Table, Answer.__table__)
    insert = insert_unless_taken(session, table, unique=["player_id", "question_id"])
    return {
        int(player_id): int(answer_id)
        for player_id, answer_id in session.execute(
            insert.returning(table.c.player_id, table.c.id), rows
        )
    }


def _stored_answers(
    session: Session, question_id: int, player_ids: Iterable[int]
) -> dict[int, StoredAnswer]:
    wanted = sorted(set(player_ids))
    if not wanted:
        return {}
    found = session.execute(
        sa.select(Answer.player_id, Answer.id, Answer.nonce, Answer.elapsed_ms).where(
            Answer.question_id == question_id, Answer.player_id.in_(wanted)
        )
    )
    return {int(p): StoredAnswer(int(i), str(n), int(e)) for p, i, n, e in found}


def submit_answers(
    session: Session, *, run_id: int, question_id: int, submissions: Sequence[Submission]
) -> Batch:
    """Store a group of answers to one question, each at most once, in a handful of
    statements whatever the group's size (the hot path of a quiz: a whole room answers within
    seconds). Every submission gets its own outcome, in order: a :class:`Submitted` or the
    :class:`QuizError` that refused it. The caller commits; answers count once committed."""
    results: list[Submitted | QuizError | None] = [None] * len(submissions)
    found = session.execute(
        sa.select(RunQuestion, QuizRun)
        .join(QuizRun, QuizRun.id == RunQuestion.run_id)
        .where(QuizRun.id == run_id, RunQuestion.id == question_id)
    ).first()
    if found is None:
        missing = QuizError("not_found", "There is no such question in this quiz.")
        return Batch([missing] * len(submissions))
    question, run = found[0], found[1]
    players = {
        int(pid): (int(streak), kicked_at)
        for pid, streak, kicked_at in session.execute(
            sa.select(Player.id, Player.streak, Player.kicked_at).where(
                Player.run_id == run_id,
                Player.id.in_(sorted({s.player_id for s in submissions})),
            )
        )
    }
    rows: list[dict[str, Any]] = []
    pending: dict[int, list[int]] = {}  # player id → submissions waiting on their stored row
    refused: dict[int, QuizError] = {}  # submission → why, unless it is a resend
    for i, sub in enumerate(submissions):
        try:
            if not isinstance(sub.nonce, str) or not 1 <= len(sub.nonce) <= 64:
                raise QuizError("invalid_answer", "The answer has no valid nonce.")
            player = players.get(sub.player_id)
            if player is None:
                raise QuizError("not_found", "You are not in this quiz.")
            streak, kicked_at = player
            if kicked_at is not None:
                raise QuizError("kicked", "The host removed you from this quiz.")
        except QuizError as err:
            results[i] = err
            continue
        pending.setdefault(sub.player_id, []).append(i)
        try:
            _check_open(run, question, sub.now)
            picked, typed = _validate_choice(question, sub.choice, sub.text)
        except QuizError as err:
            refused[i] = err  # a resend after a lost ack is answered even after the close
            continue
        if len(pending[sub.player_id]) > 1:
            continue  # the same player twice in one group: the first one is stored
        assert run.opened_at is not None
        elapsed = max(0, int((sub.now - run.opened_at).total_seconds() * 1000))
        scored = score_answer(
            kind=question.type,
            points=question.points,
            time_limit=question.time_limit,
            correct=question.correct,
            accepted=question.accepted,
            choice=picked,
            text=typed,
            elapsed_ms=elapsed,
            previous_streak=streak,
            fair_mode=run.fair_mode,
            streaks=run.streaks_enabled,
        )
        rows.append(
            {
                "run_id": run_id,
                "question_id": question.id,
                "player_id": sub.player_id,
                "choice": picked,
                "text": typed,
                "nonce": sub.nonce,
                "answered_at": sub.now,
                "elapsed_ms": elapsed,
                "correct": scored.correct,
                "points": scored.points,
                "streak": scored.streak,
            }
        )
    by_player = {row["player_id"]: row for row in rows}
    inserted = _insert_answers(session, rows)
    if inserted:
        # Re-read the run after the insert, under a share lock (PostgreSQL) or inside SQLite's
        # write transaction: a close that committed first is seen and the answers withdrawn; a
        # close that comes later waits for this transaction and scores them.
        locked = session.execute(
            sa.select(QuizRun.state, QuizRun.current_index, QuizRun.closes_at)
            .where(QuizRun.id == run_id)
            .with_for_update(read=True)
        ).one()
        late = {
            row["player_id"]
            for row in rows
            if row["player_id"] in inserted
            and (
                locked.state != "question"
                or locked.current_index != question.position
                or locked.closes_at is None
                or row["answered_at"] >= locked.closes_at
            )
        }
        if late:
            session.execute(
                sa.delete(Answer)
                .where(Answer.id.in_([inserted.pop(pid) for pid in late]))
                .execution_options(synchronize_session=False)
            )
            session.refresh(run)
            for pid in late:  # refused, with any resend of theirs in this group
                refusal = _refusal(run, question, by_player[pid]["answered_at"])
                refused.update(dict.fromkeys(pending[pid], refusal))
    for pid, answer_id in inserted.items():
        row = by_player[pid]
        first = pending[pid][0]
        results[first] = Submitted(
            StoredAnswer(answer_id, row["nonce"], row["elapsed_ms"]), replayed=False, closed=False
        )
    # Everyone else with a row (or a refusal) may be a resend of an answer already stored.
    unsettled = [
        (pid, i) for pid, indexes in pending.items() for i in indexes if results[i] is None
    ]
    stored = _stored_answers(session, question.id, (pid for pid, _ in unsettled))
    for pid, i in unsettled:
        otherwise = refused.get(i) or QuizError(
            "already_answered", "You have already answered this question."
        )
        nonce = submissions[i].nonce
        assert isinstance(nonce, str)
        results[i] = _replay(stored.get(pid), nonce, otherwise)
    batch = Batch([r for r in results if r is not None], stored=len(inserted))
    assert len(batch.results) == len(submissions)
    if inserted:
        last = max(by_player[pid]["answered_at"] for pid in inserted)
        batch.counts = answered, players_in = answer_counts(session, run_id, question.id)
        if players_in and answered >= players_in:
            batch.closed = close_question(
                session, run=run, index=question.position, now=last, reason="all_answered"
            )
        concurrent = session.get_bind().dialect.name != "sqlite"  # SQLite: one writer at a time
        batch.recheck = concurrent and not batch.closed
        batch.results = [
            replace(r, closed=batch.closed, recheck=batch.recheck)
            if isinstance(r, Submitted) and not r.replayed
            else r
            for r in batch.results
        ]
    return batch


def _refusal(run: QuizRun, question: RunQuestion, now: datetime) -> QuizError:
    """Why an answer that arrived at ``now`` is refused, the run having moved on."""
    try:
        _check_open(run, question, now)
    except QuizError as err:
        return err
    return QuizError("question_closed", "Too late: this question has closed.")


def _check_open(run: QuizRun, question: RunQuestion, now: datetime) -> None:
    if run.state == "lobby" or question.position > run.current_index:
        raise QuizError("not_open", "This question is not open yet.")
    if question.position < run.current_index or run.state != "question":
        raise QuizError("question_closed", "Too late: this question has closed.")
    if run.closes_at is None:
        raise QuizError("not_open", "The quiz is paused; answer when it resumes.")
    if now >= run.closes_at:
        raise QuizError("question_closed", "Too late: this question has closed.")


def close_if_everyone_answered(session: Session, *, run_id: int, now: datetime) -> bool:
    """Close the open question if every player still in has answered it."""
    run = session.get(QuizRun, run_id)
    if run is None or run.state != "question" or run.closes_at is None:
        return False
    return _close_if_everyone_answered(session, run, now=now)


def _close_if_everyone_answered(
    session: Session, run: QuizRun, *, now: datetime, question: RunQuestion | None = None
) -> bool:
    question = question or current_question(session, run)
    if question is None or _someone_yet_to_answer(session, run.id, question.id):
        return False
    if active_players(session, run.id) == 0:
        return False
    return close_question(session, run=run, index=question.position, now=now, reason="all_answered")


def _someone_yet_to_answer(session: Session, run_id: int, question_id: int) -> bool:
    """Whether a player still in has not answered. Asked after every answer, so it stops at
    the first such player instead of counting everyone: while many are still to answer it
    finds one at once, and only the very last answer walks the whole room."""
    answered = sa.exists().where(Answer.player_id == Player.id, Answer.question_id == question_id)
    return (
        session.scalar(
            sa.select(Player.id)
            .where(Player.run_id == run_id, Player.kicked_at.is_(None), ~answered)
            .limit(1)
        )
        is not None
    )


# --- timers ---------------------------------------------------------------------------------


def seconds_until_close(
    session: Session, *, run_id: int, index: int, now: datetime
) -> float | None:
    """For a timer waiting on question ``index``: how long to sleep still (0: close now), or
    None when there is nothing to wait for (closed, moved on, paused)."""
    row = session.execute(
        sa.select(QuizRun.state, QuizRun.current_index, QuizRun.closes_at).where(
            QuizRun.id == run_id
        )
    ).first()
    if row is None or row.state != "question" or row.current_index != index:
        return None
    closes_at: datetime | None = row.closes_at
    if closes_at is None:
        return None
    return max(0.0, (closes_at - now).total_seconds())


def open_questions(session: Session) -> list[tuple[int, int]]:
    """(run id, index) of every run with a question open and running, for the sweeper."""
    rows = session.execute(
        sa.select(QuizRun.id, QuizRun.current_index).where(
            QuizRun.state == "question", QuizRun.closes_at.is_not(None)
        )
    )
    return [(int(run_id), int(index)) for run_id, index in rows]


def close_by_timer(session: Session, *, run_id: int, index: int, now: datetime) -> bool:
    """The timer's close: a no-op unless question ``index`` is still open and overdue."""
    run = session.get(QuizRun, run_id)
    if run is None:
        return False
    return close_question(session, run=run, index=index, now=now, reason="timer")


# --- what the screens see -------------------------------------------------------------------


def question_payload(run: QuizRun, question: RunQuestion) -> dict[str, Any]:
    """A question as phones and the projector get it: no hint of the correct answer."""
    avatars = question.option_avatars or []
    people = question.option_people or []
    show_avatars = question.people_kind in ("who_handle", "bio")
    return {
        "id": question.id,
        "type": question.type,
        "prompt": question.prompt,
        "image_url": image_path(run.id, question.id) if question.has_image else None,
        "options": [
            {
                "i": i,
                "label": label,
                "avatar_url": (
                    avatar_path(run.id, people[i])
                    if show_avatars and i < len(people) and i < len(avatars) and avatars[i]
                    else None
                ),
            }
            for i, label in enumerate(question.options)
        ],
        "time_limit": question.time_limit,
        "points": question.points,
    }


def question_event(run: QuizRun, question: RunQuestion, *, now: datetime) -> dict[str, Any]:
    """The ``question`` event: the question, its clock, and the server's time."""
    return {
        "run_id": run.id,
        "index": question.position,
        "total": run.total,
        "question": question_payload(run, question),
        "opened_at": epoch_ms(run.opened_at),
        "closes_at": epoch_ms(run.closes_at),
        "server_now": epoch_ms(now),
    }


def _person(session: Session, run: QuizRun, question: RunQuestion) -> dict[str, Any] | None:
    if question.type != "people" or question.person_id is None:
        return None
    person = session.get(Attendee, question.person_id)
    if person is None or not person.consent_game or person.deleted_at is not None:
        return None
    has_avatar = question.person_id in _with_avatar(session, {person.id})
    handle = person.primary_handle
    return {
        "name": person.name,
        "avatar_url": avatar_path(run.id, person.id) if has_avatar else None,
        "handle": handle.display if handle is not None else None,
    }


def reveal_payload(session: Session, run: QuizRun, question: RunQuestion) -> dict[str, Any]:
    """The answer and how the room answered (sent only once the question has closed)."""
    if question.type == "text":
        rows = session.execute(
            sa.select(Answer.correct, sa.func.count())
            .where(Answer.question_id == question.id)
            .group_by(Answer.correct)
        ).all()
        counts = {bool(correct): int(n) for correct, n in rows}
        distribution: Any = {"correct": counts.get(True, 0), "wrong": counts.get(False, 0)}
        correct: list[Any] = list(question.accepted)
    else:
        distribution = [0] * len(question.options)
        for (choice,) in session.execute(
            sa.select(Answer.choice).where(Answer.question_id == question.id)
        ):
            for i in choice or []:
                if 0 <= i < len(distribution):
                    distribution[i] += 1
        correct = list(question.correct)
    return {
        "question_id": question.id,
        "correct": correct,
        "distribution": distribution,
        "person": _person(session, run, question),
    }


def _board_order() -> tuple[Any, ...]:
    return (Player.score.desc(), Player.score_reached_at.asc(), Player.id.asc())


def leaderboard(
    session: Session, run: QuizRun, limit: int = LEADERBOARD_SIZE
) -> list[dict[str, Any]]:
    """The top of the run: higher score first, then who reached it first, then who joined
    first. Read from the ranks worked out at the last close; before any, sorted on the spot."""
    columns = (Player.id, Player.nickname, Player.score)
    rows = session.execute(
        sa.select(*columns)
        .where(Player.run_id == run.id, Player.rank.is_not(None), Player.rank <= limit)
        .order_by(Player.rank)
    ).all()
    if not rows:
        rows = session.execute(
            sa.select(*columns)
            .where(Player.run_id == run.id, Player.kicked_at.is_(None))
            .order_by(*_board_order())
            .limit(limit)
        ).all()
    return [
        {"rank": rank, "id": pid, "name": name, "score": score}
        for rank, (pid, name, score) in enumerate(rows, start=1)
    ]


def leaderboard_event(session: Session, run: QuizRun) -> dict[str, Any]:
    """The ``leaderboard`` event."""
    return {"top": leaderboard(session, run), "index": run.current_index, "total": run.total}


def rank_of(player: Player) -> int | None:
    """The player's place in the run: None before the first question closes, and once kicked."""
    return None if player.kicked_at is not None else player.rank


def snapshot(
    session: Session,
    *,
    run: QuizRun,
    now: datetime,
    player: Player | None = None,
    audience: str = "player",
) -> dict[str, Any]:
    """Everything a screen needs to draw the run from scratch (join, reconnect, ``me``)."""
    question = current_question(session, run) if run.state in LIVE_STATES else None
    if run.state == "question" and run.paused_remaining_ms is not None:
        remaining: int | None = run.paused_remaining_ms
    elif run.state == "question" and run.closes_at is not None:
        remaining = max(0, int((run.closes_at - now).total_seconds() * 1000))
    else:
        remaining = None
    snap: dict[str, Any] = {
        "run_id": run.id,
        "state": run.state,
        "paused": run.paused,
        "index": run.current_index,
        "total": run.total,
        "version": run.version,
        "question": question_payload(run, question) if question is not None else None,
        "opened_at": epoch_ms(run.opened_at) if run.state == "question" else None,
        "closes_at": epoch_ms(run.closes_at) if run.state == "question" else None,
        "remaining_ms": remaining,
        "server_now": epoch_ms(now),
        "players": active_players(session, run.id),
        "reveal": (
            question.reveal
            if question is not None and run.state in ("reveal", "leaderboard")
            else None
        ),
        "leaderboard": (
            leaderboard(session, run) if run.state in ("leaderboard", "ended") else None
        ),
        "me": _me(session, run, player, question) if player is not None else None,
    }
    if audience in ("host", "screen"):
        snap["pin"] = run.pin
        snap["title"] = run.title
        snap["lobby"] = lobby_payload(session, run)
    return snap


def _me(
    session: Session, run: QuizRun, player: Player, question: RunQuestion | None
) -> dict[str, Any]:
    answer = None
    if question is not None:
        answer = session.scalar(
            sa.select(Answer).where(
                Answer.player_id == player.id, Answer.question_id == question.id
            )
        )
    revealed = question is not None and question.reveal is not None
    return {
        "id": player.id,
        "name": player.nickname,
        "score": player.score,
        "rank": rank_of(player),
        "streak": player.streak,
        "correct_count": player.correct_count,
        "answer": (
            {
                "question_id": answer.question_id,
                "choice": answer.choice,
                "text": answer.text,
                "correct": answer.correct if revealed else None,
                "points": answer.points if revealed else None,
            }
            if answer is not None
            else None
        ),
    }


# --- pictures -------------------------------------------------------------------------------


def avatar_allowed(session: Session, *, run: QuizRun, attendee_id: int, organiser: bool) -> bool:
    """Whether ``/quiz-avatar/<run>/<attendee>`` may serve this attendee's picture.

    Only someone who agreed to be an answer in quizzes, at the run's event, and who is shown in
    the run: as a pictured option of a question that has opened, or as the person revealed after
    a question closed. The event's organisers may see every avatar the run will show."""
    attendee = session.get(Attendee, attendee_id)
    if (
        attendee is None
        or attendee.event_id != run.event_id
        or not attendee.consent_game
        or attendee.deleted_at is not None
    ):
        return False
    questions = session.scalars(
        sa.select(RunQuestion).where(RunQuestion.run_id == run.id, RunQuestion.type == "people")
    )
    for question in questions:
        if attendee_id not in people_in(question):
            continue
        if organiser:
            return True
        opened = run.state != "lobby" and question.position <= run.current_index
        pictured = question.people_kind in ("who_handle", "bio") and attendee_id in (
            question.option_people or []
        )
        if (opened and pictured) or (question.person_id == attendee_id and question.reveal):
            return True
    return False


def run_image_allowed(session: Session, *, run: QuizRun, question_id: int, organiser: bool) -> bool:
    """A run question's picture is shown once the question has opened (organisers: always)."""
    question = session.get(RunQuestion, question_id)
    if question is None or question.run_id != run.id or not question.has_image:
        return False
    return organiser or (run.state != "lobby" and question.position <= run.current_index)


# --- results --------------------------------------------------------------------------------


def results(session: Session, *, run: QuizRun) -> tuple[list[str], Iterator[list[object]]]:
    """The results table of a run: header and one row per player, best first."""
    questions = list(
        session.scalars(
            sa.select(RunQuestion)
            .where(RunQuestion.run_id == run.id)
            .order_by(RunQuestion.position)
        )
    )
    header = ["Rank", "Name", "Player", "Score", "Correct answers"]
    for q in questions:
        header += [f"Q{q.position + 1} answer", f"Q{q.position + 1} time (s)"]
    players = list(
        session.scalars(
            sa.select(Player)
            .where(Player.run_id == run.id)
            .order_by(Player.kicked_at.is_not(None), *_board_order())
        )
    )
    answers: dict[tuple[int, int], Answer] = {
        (a.player_id, a.question_id): a
        for a in session.scalars(sa.select(Answer).where(Answer.run_id == run.id))
    }

    def rows() -> Iterator[list[object]]:
        rank = 0
        for player in players:
            kicked = player.kicked_at is not None
            rank += 0 if kicked else 1
            row: list[object] = [
                "" if kicked else rank,
                player.nickname,
                ("attendee" if player.attendee_id else "guest") + (" (removed)" if kicked else ""),
                player.score,
                player.correct_count,
            ]
            for q in questions:
                answer = answers.get((player.id, q.id))
                if answer is None:
                    row += ["", ""]
                    continue
                row += [_answer_text(q, answer), f"{answer.elapsed_ms / 1000:.1f}"]
            yield row

    return header, rows()


def _answer_text(question: RunQuestion, answer: Answer) -> str:
    if answer.text is not None:
        return answer.text
    labels = [question.options[i] for i in answer.choice or [] if 0 <= i < len(question.options)]
    return "; ".join(labels)


# --- privacy: "download my data" and "delete my profile" ------------------------------------


def export_attendee(session: Session, attendee: Attendee) -> dict[str, Any]:
    """The attendee's quiz games, for "download my data"."""
    players = session.scalars(sa.select(Player).where(Player.attendee_id == attendee.id))
    return {
        "quiz_games": [
            {
                "run_id": p.run_id,
                "nickname": p.nickname,
                "score": p.score,
                "correct_answers": p.correct_count,
                "joined_at": p.joined_at.isoformat(),
            }
            for p in players
        ]
    }


def erase_attendee(session: Session, attendee: Attendee) -> None:
    """Forget the attendee in quizzes: anonymous players, no people questions about them."""
    for player in session.scalars(sa.select(Player).where(Player.attendee_id == attendee.id)):
        player.nickname = f"Player {attendee.id}"
        player.nickname_key = f"player {attendee.id} #{player.id}"
    for question in session.scalars(
        sa.select(Question)
        .join(Quiz)
        .where(Quiz.event_id == attendee.event_id, Question.type == "people")
    ):
        if attendee.id in people_in(question):
            quiz = question.quiz
            quiz.questions.remove(question)
            _renumber(quiz)
    session.flush()
