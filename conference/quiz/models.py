"""Quizzes and their live runs.

Authoring happens on ``Quiz`` and ``Question``. Starting a run copies every question into
``RunQuestion`` rows, so editing (or deleting) a quiz while it is being played cannot change
what the players answer or how they are scored. Every answer, score and deadline of a run
lives here, in the database, so a run survives a server restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import Base, utcnow

QUESTION_TYPES = ("single", "multiple", "truefalse", "text", "people")
RUN_STATES = ("lobby", "question", "reveal", "leaderboard", "ended")
LIVE_STATES = ("lobby", "question", "reveal", "leaderboard")
POINTS_CHOICES = (0, 1000, 2000)
MIN_TIME_LIMIT = 5
MAX_TIME_LIMIT = 120
# people questions: "Who is @handle?", "What is <name>'s handle?", "Whose bio is this?"
PEOPLE_KINDS = ("who_handle", "handle_of", "bio")


class Quiz(Base):
    """A quiz an organiser writes for one event; played any number of times as runs."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    allow_guests: Mapped[bool] = mapped_column(default=True)
    # Fair mode: people questions pay the full points whatever the answer time.
    fair_mode: Mapped[bool] = mapped_column(default=False)
    streaks_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz",
        cascade="all, delete-orphan",
        order_by="(Question.position, Question.id)",
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.title!r}>"


class _QuestionColumns:
    """The columns an authored question and its frozen copy in a run share."""

    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(sa.String(16))
    prompt: Mapped[str] = mapped_column(sa.String(1200))
    # Choice labels in order (true/false: ["True", "False"]; text questions: []).
    options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Indexes of the correct options (choice, true/false and people questions).
    correct: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # Accepted answers of a type-the-answer question.
    accepted: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    time_limit: Mapped[int] = mapped_column(default=20)
    points: Mapped[int] = mapped_column(default=1000)
    # Deferred: listing questions never drags the pictures along.
    image: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    image_type: Mapped[str | None] = mapped_column(sa.String(32))
    # People questions: who the answer is, which kind, and the attendee behind each option.
    people_kind: Mapped[str | None] = mapped_column(sa.String(16))
    option_people: Mapped[list[int] | None] = mapped_column(sa.JSON)

    @property
    def has_image(self) -> bool:
        """Whether the question shows a picture."""
        return self.image_type is not None


def _question_checks() -> tuple[sa.CheckConstraint, ...]:
    return (
        sa.CheckConstraint(
            "type IN ('single', 'multiple', 'truefalse', 'text', 'people')", name="known_type"
        ),
        sa.CheckConstraint(
            f"time_limit >= {MIN_TIME_LIMIT} AND time_limit <= {MAX_TIME_LIMIT}",
            name="time_limit_range",
        ),
        sa.CheckConstraint("points IN (0, 1000, 2000)", name="known_points"),
    )


class Question(_QuestionColumns, Base):
    """One question of a quiz, as the organiser wrote it."""

    __tablename__ = "quiz_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attendee.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")

    __table_args__ = _question_checks()


class QuizRun(Base):
    """One live playing of a quiz: its PIN, its state and the deadline of the open question.

    Every transition is a conditional UPDATE on (state, current_index) that bumps ``version``,
    so a timer firing twice, or in two processes, changes the run once.
    """

    __tablename__ = "quiz_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # Past runs keep their results when the quiz itself is deleted.
    quiz_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    pin: Mapped[str] = mapped_column(sa.String(6))
    state: Mapped[str] = mapped_column(sa.String(16), default="lobby")
    current_index: Mapped[int] = mapped_column(default=-1)
    total: Mapped[int] = mapped_column(default=0)
    # Settings frozen at the start, like the questions.
    allow_guests: Mapped[bool] = mapped_column(default=True)
    fair_mode: Mapped[bool] = mapped_column(default=False)
    streaks_enabled: Mapped[bool] = mapped_column(default=True)
    # Answers opened at (shifted forward by pauses, so now - opened_at is the answer time).
    opened_at: Mapped[datetime | None]
    # The deadline of the open question; NULL while paused.
    closes_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    paused_remaining_ms: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    questions: Mapped[list[RunQuestion]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunQuestion.position"
    )

    __table_args__ = (
        # A PIN names one live run; ended runs give theirs back.
        sa.Index(
            "uq_quiz_run_live_pin",
            "pin",
            unique=True,
            sqlite_where=sa.text("state != 'ended'"),
            postgresql_where=sa.text("state != 'ended'"),
        ),
        sa.CheckConstraint(
            "state IN ('lobby', 'question', 'reveal', 'leaderboard', 'ended')", name="known_state"
        ),
    )

    @property
    def paused(self) -> bool:
        """Whether the open question's clock is stopped."""
        return self.paused_remaining_ms is not None

    def __repr__(self) -> str:
        return f"<QuizRun {self.id} {self.state} {self.current_index}/{self.total}>"


class RunQuestion(_QuestionColumns, Base):
    """A question frozen into a run when it started."""

    __tablename__ = "quiz_run_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_run.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quiz_question.id", ondelete="SET NULL")
    )
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attendee.id", ondelete="SET NULL"))
    # Per option: whether that attendee had an avatar when the run started.
    option_avatars: Mapped[list[bool] | None] = mapped_column(sa.JSON)
    skipped: Mapped[bool] = mapped_column(default=False)
    # The reveal (answer, distribution, person), kept when the question closes.
    reveal: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    run: Mapped[QuizRun] = relationship(back_populates="questions")

    __table_args__ = (
        sa.UniqueConstraint("run_id", "position"),
        *_question_checks(),
    )


class Player(Base):
    """Someone playing a run: an attendee (by login) or a guest (by a private resume token)."""

    __tablename__ = "quiz_player"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_run.id", ondelete="CASCADE"))
    attendee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="SET NULL")
    )
    nickname: Mapped[str] = mapped_column(sa.String(60))
    # casefolded nickname: unique per run, so "Ana" and "ANA" cannot both play.
    nickname_key: Mapped[str] = mapped_column(sa.String(60))
    resume_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    kicked_at: Mapped[datetime | None]
    score: Mapped[int] = mapped_column(default=0)
    streak: Mapped[int] = mapped_column(default=0)
    correct_count: Mapped[int] = mapped_column(default=0)
    # When the player reached their score (the leaderboard's tie-break).
    score_reached_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Place in the run, worked out for everyone at once when a question closes (or someone is
    # kicked), so thousands of phones asking "where am I?" read a column instead of counting.
    rank: Mapped[int | None]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "attendee_id"),
        sa.UniqueConstraint("run_id", "nickname_key"),
        sa.Index("ix_quiz_player_board", "run_id", "rank"),
        sa.Index("ix_quiz_player_active", "run_id", "kicked_at"),
    )


class Answer(Base):
    """One player's answer to one question: at most one, whatever the network does."""

    __tablename__ = "quiz_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_run.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_run_question.id", ondelete="CASCADE"), index=True
    )
    player_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_player.id", ondelete="CASCADE"))
    choice: Mapped[list[int] | None] = mapped_column(sa.JSON)
    text: Mapped[str | None] = mapped_column(sa.String(200))
    # The phone's id for this answer: a resend with the same nonce gets the first result.
    nonce: Mapped[str] = mapped_column(sa.String(64))
    answered_at: Mapped[datetime]
    elapsed_ms: Mapped[int]
    # Worked out on arrival, told to nobody before the reveal.
    correct: Mapped[bool] = mapped_column(default=False)
    points: Mapped[int] = mapped_column(default=0)
    # The player's streak after this answer; applied to the player when the question closes.
    streak: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("player_id", "question_id"),)
