"""Quiz test helpers: question fields, a kit that builds quizzes, runs and players."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conference.people import service as people
from conference.quiz import service
from conference.quiz.models import Player, Quiz, QuizRun

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def single(prompt: str = "Capital of France?", **kw: Any) -> service.QuestionFields:
    """A single-choice question: Paris (index 1) is right."""
    fields: dict[str, Any] = {
        "type": "single",
        "prompt": prompt,
        "options": ["Lyon", "Paris", "Nice", "Lille"],
        "correct": [1],
        "time_limit": 20,
        "points": 1000,
    }
    fields.update(kw)
    return service.QuestionFields(**fields)


class QuizKit:
    """Builds quizzes, runs and players on the test session."""

    def __init__(self, session: Any, make: Any) -> None:
        self.session = session
        self.make = make

    def quiz(self, event: Any, *questions: service.QuestionFields, **settings: Any) -> Quiz:
        quiz = service.create_quiz(self.session, event=event, title="Test quiz", **settings)
        for fields in questions or (single(), single("2 + 2?", options=["3", "4"], correct=[1])):
            service.add_question(self.session, quiz=quiz, fields=fields)
        self.session.commit()
        return quiz

    def run(self, quiz: Quiz, now: datetime = NOW) -> QuizRun:
        run = service.create_run(self.session, quiz=quiz, now=now)
        self.session.commit()
        return run

    def guest(self, run: QuizRun, name: str, now: datetime = NOW) -> tuple[Player, str]:
        joined = service.join_player(self.session, run=run, now=now, nickname=name)
        self.session.commit()
        assert joined.resume is not None
        return joined.player, joined.resume

    def attendee_player(self, run: QuizRun, attendee: Any, now: datetime = NOW) -> Player:
        joined = service.join_player(self.session, run=run, now=now, attendee=attendee)
        self.session.commit()
        return joined.player

    def open_first(self, run: QuizRun, now: datetime = NOW) -> QuizRun:
        service.start(self.session, run=run, now=now)
        self.session.commit()
        return run

    def answer(
        self,
        run: QuizRun,
        player: Player,
        *,
        choice: list[int] | None = None,
        text: str | None = None,
        after: float = 1.0,
        nonce: str | None = None,
    ) -> service.Submitted:
        question = service.current_question(self.session, run)
        assert question is not None and run.opened_at is not None
        submitted = service.submit_answer(
            self.session,
            run_id=run.id,
            player_id=player.id,
            question_id=question.id,
            choice=choice,
            text=text,
            nonce=nonce or f"n-{player.id}-{question.id}",
            now=run.opened_at + timedelta(seconds=after),
        )
        self.session.commit()
        return submitted


def consenting(make: Any, event: Any, name: str, **kw: Any) -> Any:
    """An attendee who agreed to be an answer in quizzes and to be named on leaderboards."""
    return make.attendee(
        event, name=name, consents=people.Consents(card=True, game=True, leaderboard=True), **kw
    )
