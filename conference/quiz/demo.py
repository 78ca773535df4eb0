"""The demo quiz: a few ordinary questions and a people round about the demo attendees."""

from __future__ import annotations

import contextlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.events.models import Event
from conference.quiz import people_round, service
from conference.quiz.models import Quiz

DEMO_TITLE = "Known Demo Quiz"
DEMO_QUESTIONS = [
    service.QuestionFields(
        type="single",
        prompt="How does this quiz reach your phone the moment the host clicks “next”?",
        options=["E-mail", "WebSockets", "Carrier pigeon", "FTP"],
        correct=[1],
        time_limit=20,
    ),
    service.QuestionFields(
        type="multiple",
        prompt="Which of these are Python web frameworks?",
        options=["Flask", "Django", "Rails", "FastAPI"],
        correct=[0, 1, 3],
        time_limit=30,
    ),
    service.QuestionFields(
        type="truefalse",
        prompt="Scanning someone's badge QR code logs you in as them.",
        correct=[1],
        time_limit=15,
    ),
    service.QuestionFields(
        type="text",
        prompt="What does the “Q” in “QR code” stand for?",
        accepted=["Quick"],
        time_limit=30,
    ),
]


def seed(session: Session, event: Event, now: datetime) -> None:
    """Create the demo quiz once (matched by title, so running twice adds nothing)."""
    exists = session.scalar(
        sa.select(Quiz.id).where(Quiz.event_id == event.id, Quiz.title == DEMO_TITLE)
    )
    if exists is not None:
        return
    quiz = service.create_quiz(session, event=event, title=DEMO_TITLE, fair_mode=True)
    for fields in DEMO_QUESTIONS:
        service.add_question(session, quiz=quiz, fields=fields)
    # With fewer than two attendees who agreed to be an answer, the quiz plays without a round.
    with contextlib.suppress(service.QuizError):
        people_round.add_people_round(session, quiz=quiz, count=3, now=now, seed=2026)
