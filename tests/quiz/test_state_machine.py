"""The run's state machine: idempotent transitions, timers, pauses, answers, scores, ledger."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.db import pending_events
from conference.quiz import service
from conference.quiz.models import Answer, Player, QuizRun, RunQuestion
from conference.scoring import service as scoring
from conference.scoring.models import PointsEntry
from tests.quiz.helpers import NOW, QuizKit, consenting, single


def _events(session: Any, name: str) -> list[Any]:
    return [e for e in pending_events(session) if e.name == name]


def _names(session: Any) -> list[tuple[str, str]]:
    return [(e.name, e.room) for e in pending_events(session)]


def test_a_run_freezes_the_quiz_so_editing_cannot_change_it(
    session: Any, make: Any, kit: QuizKit
) -> None:
    event = make.event()
    quiz = kit.quiz(event)
    run = kit.run(quiz)
    assert run.state == "lobby" and run.total == 2 and len(run.pin) == 6 and run.pin.isdigit()
    first = quiz.questions[0]
    service.update_question(
        session, question=first, fields=single("Changed?", options=["a", "b"], correct=[0])
    )
    service.delete_question(session, question=quiz.questions[1])
    session.commit()
    frozen = session.scalars(
        sa.select(RunQuestion).where(RunQuestion.run_id == run.id).order_by(RunQuestion.position)
    ).all()
    assert [q.prompt for q in frozen] == ["Capital of France?", "2 + 2?"]
    assert frozen[0].options == ["Lyon", "Paris", "Nice", "Lille"]


def test_an_empty_quiz_cannot_start(session: Any, make: Any) -> None:
    quiz = service.create_quiz(session, event=make.event(), title="Empty")
    with pytest.raises(service.QuizError) as err:
        service.create_run(session, quiz=quiz, now=NOW)
    assert err.value.code == "quiz_empty"


def test_pins_are_unique_among_live_runs_and_free_again_after_the_end(
    session: Any, make: Any, kit: QuizKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz = kit.quiz(make.event())
    draws = iter(["111111", "111111", "222222", "111111"])
    monkeypatch.setattr(service, "_new_pin", lambda: next(draws))
    first = kit.run(quiz)
    second = kit.run(quiz)  # 111111 is live: the next draw is taken
    assert (first.pin, second.pin) == ("111111", "222222")
    service.end(session, run=first, now=NOW)
    session.commit()
    third = kit.run(quiz)
    assert third.pin == "111111"
    assert service.find_run(session, pin="111111").id == third.id
    assert service.find_run(session, pin="111111", run_id=first.id).id == first.id


def test_the_flow_from_lobby_to_podium(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    steps = []
    for _ in range(8):
        if run.state == "ended":
            break
        service.advance(session, run=run, now=NOW)
        steps.append((run.state, run.current_index, [e.name for e in pending_events(session)]))
        session.commit()
    assert [(s, i) for s, i, _ in steps] == [
        ("question", 0),
        ("reveal", 0),
        ("leaderboard", 0),
        ("question", 1),
        ("reveal", 1),
        ("leaderboard", 1),
        ("ended", 1),
    ]
    # every broadcast goes to the three rooms of the run
    assert steps[0][2] == ["question"] * 3
    assert steps[1][2] == ["reveal"] * 3
    assert steps[2][2] == ["leaderboard"] * 3
    assert steps[-1][2] == ["podium"] * 3
    with pytest.raises(service.QuizError) as err:
        service.advance(session, run=run, now=NOW)
    assert err.value.code == "bad_state"
    assert ana.id


def test_every_event_names_a_room_of_its_own_run(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    kit.guest(run, "Ana")
    service.start(session, run=run, now=NOW)
    rooms = sorted(room for _, room in _names(session))
    assert rooms == [f"quiz:{run.id}:host", f"quiz:{run.id}:players", f"quiz:{run.id}:screen"]


def test_closing_twice_closes_once(session: Any, make: Any, kit: QuizKit) -> None:
    event = make.event()
    run = kit.run(kit.quiz(event))
    player = kit.attendee_player(run, consenting(make, event, "Maria"))
    kit.guest(run, "Slow")  # never answers, so only the clock closes the question
    kit.open_first(run)
    kit.answer(run, player, choice=[1], after=2)
    at = NOW + timedelta(seconds=25)
    assert service.close_question(session, run=run, index=0, now=at, reason="timer") is True
    version = run.version
    # the timer fires again, the host clicks close, another process's timer fires too
    assert service.close_question(session, run=run, index=0, now=at, reason="timer") is False
    assert service.close_question(session, run=run, index=0, now=at, reason="host") is False
    assert service.close_by_timer(session, run_id=run.id, index=0, now=at) is False
    assert len(_events(session, "reveal")) == 3  # one reveal, to three rooms
    session.commit()
    assert run.version == version
    assert session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 1
    assert session.get(Player, player.id).score == 950


def test_a_stale_copy_of_the_run_cannot_close_again(
    app: Any, session: Any, make: Any, kit: QuizKit
) -> None:
    """Two processes: each loaded the run while the question was open; only one closes it."""
    run = kit.run(kit.quiz(make.event()))
    kit.guest(run, "Ana")
    kit.open_first(run)
    other = Session(bind=session.get_bind())
    try:
        stale = other.get(QuizRun, run.id)
        assert stale is not None and stale.state == "question"
        at = NOW + timedelta(seconds=21)
        assert service.close_by_timer(session, run_id=run.id, index=0, now=at) is True
        session.commit()
        assert service.close_question(other, run=stale, index=0, now=at, reason="timer") is False
        assert pending_events(other) == []
        other.commit()
    finally:
        other.close()
    assert session.get(QuizRun, run.id).state == "reveal"


def test_the_timer_waits_for_the_deadline(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    kit.open_first(run)
    early = NOW + timedelta(seconds=19)
    assert service.seconds_until_close(session, run_id=run.id, index=0, now=early) == 1.0
    assert service.close_by_timer(session, run_id=run.id, index=0, now=early) is False
    late = NOW + timedelta(seconds=20)
    assert service.seconds_until_close(session, run_id=run.id, index=0, now=late) == 0.0
    assert service.close_by_timer(session, run_id=run.id, index=0, now=late) is True
    assert service.seconds_until_close(session, run_id=run.id, index=0, now=late) is None


def test_a_paused_question_is_not_closed_by_its_timer_and_resumes_with_the_time_left(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.open_first(run)
    service.pause(session, run=run, now=NOW + timedelta(seconds=5))
    session.commit()
    assert run.paused and run.closes_at is None and run.paused_remaining_ms == 15_000
    # the old deadline passes while paused: the timer changes nothing
    old_deadline = NOW + timedelta(seconds=20)
    assert service.seconds_until_close(session, run_id=run.id, index=0, now=old_deadline) is None
    assert service.close_by_timer(session, run_id=run.id, index=0, now=old_deadline) is False
    with pytest.raises(service.QuizError) as err:
        kit.answer(run, ana, choice=[1], after=30)
    assert err.value.code == "not_open"
    session.rollback()
    resumed_at = NOW + timedelta(seconds=65)
    service.resume(session, run=run, now=resumed_at)
    session.commit()
    assert run.closes_at == resumed_at + timedelta(seconds=15)
    assert run.opened_at == NOW + timedelta(seconds=60)  # the pause does not count as time taken
    assert service.close_by_timer(session, run_id=run.id, index=0, now=old_deadline) is False
    submitted = service.submit_answer(
        session,
        run_id=run.id,
        player_id=ana.id,
        question_id=service.current_question(session, run).id,
        choice=[1],
        text=None,
        nonce="x",
        now=resumed_at + timedelta(seconds=5),
    )
    assert submitted.answer.elapsed_ms == 10_000  # 5 s before the pause + 5 s after
    session.commit()


def test_extend_moves_the_deadline(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    kit.open_first(run)
    service.extend(session, run=run, seconds=10, now=NOW + timedelta(seconds=3))
    session.commit()
    assert run.closes_at == NOW + timedelta(seconds=30)
    assert (
        service.close_by_timer(session, run_id=run.id, index=0, now=NOW + timedelta(seconds=21))
        is False
    )
    service.pause(session, run=run, now=NOW + timedelta(seconds=10))
    service.extend(session, run=run, seconds=5, now=NOW + timedelta(seconds=11))
    session.commit()
    assert run.paused_remaining_ms == 25_000
    with pytest.raises(service.QuizError) as err:
        service.extend(session, run=run, seconds=0, now=NOW)
    assert err.value.code == "invalid_seconds"


def test_a_stale_version_is_refused(session: Any, make: Any, kit: QuizKit) -> None:
    """A double-clicked "next" carries the version it saw; the second click changes nothing."""
    run = kit.run(kit.quiz(make.event()))
    seen = run.version
    service.advance(session, run=run, now=NOW, version=seen)
    session.commit()
    with pytest.raises(service.QuizError) as err:
        service.advance(session, run=run, now=NOW, version=seen)
    assert err.value.code == "bad_state"
    assert run.state == "question" and run.current_index == 0


def test_skip_drops_the_question_unscored(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1])
    service.skip(session, run=run, now=NOW + timedelta(seconds=3))
    assert [e.name for e in pending_events(session)] == ["question"] * 3  # no reveal
    session.commit()
    assert (run.state, run.current_index) == ("question", 1)
    assert session.get(Player, ana.id).score == 0
    assert session.scalars(sa.select(Answer.points)).all() == [0]
    snap = service.snapshot(session, run=run, now=NOW, player=ana)
    assert snap["reveal"] is None and snap["me"]["answer"] is None
    assert bob.id


def test_everyone_answered_closes_the_question_early(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    kit.open_first(run)
    first = kit.answer(run, ana, choice=[1], after=1)
    assert first.closed is False and run.state == "question"
    second = kit.answer(run, bob, choice=[0], after=2)
    assert second.closed is True
    session.refresh(run)
    assert run.state == "reveal"
    reveal = service.current_question(session, run).reveal
    assert reveal["correct"] == [1]
    assert reveal["distribution"] == [1, 1, 0, 0]


def test_kicking_the_last_player_who_has_not_answered_closes_the_question(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1])
    service.kick(session, run=run, player_id=bob.id, now=NOW + timedelta(seconds=2))
    session.commit()
    assert run.state == "reveal"
    assert session.get(Player, ana.id).rank == 1 and session.get(Player, bob.id).rank is None


def test_answers_are_stored_once_whatever_the_network_does(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.guest(run, "Bob")
    kit.open_first(run)
    first = kit.answer(run, ana, choice=[1], nonce="abc")
    again = kit.answer(run, ana, choice=[1], nonce="abc")  # the ack was lost: resent
    assert again.replayed and again.answer.id == first.answer.id
    with pytest.raises(service.QuizError) as err:
        kit.answer(run, ana, choice=[2], nonce="def")  # a second, different answer
    assert err.value.code == "already_answered"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1
    # after the close the same resend still gets its "locked in"
    service.close(session, run=run, now=NOW + timedelta(seconds=5))
    session.commit()
    assert kit.answer(run, ana, choice=[1], nonce="abc", after=40).replayed


def test_a_late_answer_is_refused_by_the_server_clock(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.open_first(run)
    with pytest.raises(service.QuizError) as err:
        kit.answer(run, ana, choice=[1], after=20)  # exactly at closes_at: too late
    assert err.value.code == "question_closed"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize(
    ("choice", "text", "code"),
    [
        (None, None, "invalid_answer"),
        ([], None, "invalid_answer"),
        ([7], None, "invalid_answer"),
        ([0, 1], None, "invalid_answer"),  # single choice: one option
        (["1"], None, "invalid_answer"),
        ([True], None, "invalid_answer"),
    ],
)
def test_malformed_answers_are_refused(
    session: Any, make: Any, kit: QuizKit, choice: Any, text: Any, code: str
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.open_first(run)
    with pytest.raises(service.QuizError) as err:
        kit.answer(run, ana, choice=choice, text=text)
    assert err.value.code == code


def test_answers_outside_the_open_question_are_refused(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.guest(run, "Bob")
    questions = session.scalars(
        sa.select(RunQuestion).where(RunQuestion.run_id == run.id).order_by(RunQuestion.position)
    ).all()

    def send(question: RunQuestion) -> str:
        with pytest.raises(service.QuizError) as err:
            service.submit_answer(
                session,
                run_id=run.id,
                player_id=ana.id,
                question_id=question.id,
                choice=[1],
                text=None,
                nonce="n",
                now=NOW + timedelta(seconds=1),
            )
        session.rollback()
        return err.value.code

    assert send(questions[0]) == "not_open"  # lobby
    kit.open_first(run)
    assert send(questions[1]) == "not_open"  # a later question
    service.close(session, run=run, now=NOW)
    service.advance(session, run=run, now=NOW)
    service.advance(session, run=run, now=NOW)
    session.commit()
    assert send(questions[0]) == "question_closed"  # an earlier one


def test_scores_streaks_and_the_ledger_after_each_close(
    session: Any, make: Any, kit: QuizKit
) -> None:
    event = make.event()
    quiz = kit.quiz(event, single(), single("Again?"), single("Zero?", points=0))
    run = kit.run(quiz)
    maria = consenting(make, event, "Maria")
    mp = kit.attendee_player(run, maria)
    guest, _ = kit.guest(run, "Guesty")
    kit.open_first(run)
    kit.answer(run, mp, choice=[1], after=0)  # 1000
    kit.answer(run, guest, choice=[1], after=10)  # 750, closes (everyone answered)
    assert run.state == "reveal"
    service.advance(session, run=run, now=NOW)
    at = NOW + timedelta(minutes=1)
    service.advance(session, run=run, now=at)
    session.commit()
    kit.answer(run, mp, choice=[1], after=5)  # round(1000 * 0.875) + 100 streak = 975
    kit.answer(run, guest, choice=[0], after=1)  # wrong: streak ends
    service.advance(session, run=run, now=at)
    service.advance(session, run=run, now=at)
    session.commit()
    kit.answer(run, mp, choice=[0], after=1)  # 0-point question: no points, streak kept
    kit.answer(run, guest, choice=[1], after=1)
    session.expire_all()
    mp, guest = session.get(Player, mp.id), session.get(Player, guest.id)
    assert (mp.score, mp.streak, mp.correct_count) == (1975, 2, 2)
    assert (guest.score, guest.streak, guest.correct_count) == (750, 0, 2)
    # only the attendee's points reach the ledger: once per answer, scoped to the run
    entries = session.scalars(sa.select(PointsEntry).order_by(PointsEntry.id)).all()
    assert [(e.points, e.source, e.scope) for e in entries] == [
        (1000, "quiz", f"quiz-run:{run.id}"),
        (975, "quiz", f"quiz-run:{run.id}"),
    ]
    assert all(e.source_key.startswith("quiz-answer:") for e in entries)
    standing = scoring.standing_of(session, event_id=event.id, attendee_id=maria.id)
    assert standing is not None and standing.total == 1975
    board = service.leaderboard(session, run)
    assert [(row["name"], row["score"], row["rank"]) for row in board] == [
        ("Maria", 1975, 1),
        ("Guesty", 750, 2),
    ]


def test_ending_during_a_question_scores_it_first(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.guest(run, "Bob")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1], after=0)
    service.end(session, run=run, now=NOW + timedelta(seconds=5))
    assert [e.name for e in pending_events(session)] == ["reveal"] * 3 + ["podium"] * 3
    session.commit()
    assert run.state == "ended" and session.get(Player, ana.id).score == 1000
    podium = _podium = service.leaderboard(session, run)
    assert podium[0]["name"] == "Ana" and _podium is podium


def test_joining_rules(session: Any, make: Any, kit: QuizKit) -> None:
    event = make.event()
    make.attendee(event, name="Jonas Becker")
    run = kit.run(kit.quiz(event))
    ana, token = kit.guest(run, "Ana")

    def refused(**kw: Any) -> str:
        with pytest.raises(service.QuizError) as err:
            service.join_player(session, run=run, now=NOW, **kw)
        session.rollback()
        return err.value.code

    assert refused(nickname="ANA") == "nickname_taken"  # case-insensitive
    assert refused(nickname="jonas becker") == "nickname_taken"  # an attendee's name
    assert refused(nickname="x") == "nickname_invalid"
    assert refused(nickname="F.u.c.k") == "nickname_invalid"
    assert refused(nickname="ab\u202ecd") == "nickname_invalid"
    assert refused() == "nickname_invalid"
    again = service.join_player(session, run=run, now=NOW, resume=token)
    assert again.player.id == ana.id and not again.new
    service.kick(session, run=run, player_id=ana.id, now=NOW)
    session.commit()
    assert refused(resume=token) == "kicked"
    run.allow_guests = False
    session.commit()
    assert refused(nickname="Carla") == "guests_not_allowed"


def test_attendees_join_as_themselves_and_a_kicked_attendee_stays_out(
    session: Any, make: Any, kit: QuizKit
) -> None:
    event = make.event()
    run = kit.run(kit.quiz(event, allow_guests=False))
    maria = consenting(make, event, "Maria Fernández")
    shy = make.attendee(event, name="Shy Person")  # no leaderboard consent
    first = kit.attendee_player(run, maria)
    assert first.nickname == "Maria Fernández"
    assert kit.attendee_player(run, maria).id == first.id  # a second tab: the same player
    assert kit.attendee_player(run, shy).nickname == f"Player {shy.id}"
    service.kick(session, run=run, player_id=first.id, now=NOW)
    session.commit()
    with pytest.raises(service.QuizError) as err:
        service.join_player(session, run=run, now=NOW, attendee=maria)
    assert err.value.code == "kicked"
    other_event = make.event()
    outsider = consenting(make, other_event, "Outsider")
    with pytest.raises(service.QuizError) as err:
        service.join_player(session, run=run, now=NOW, attendee=outsider)
    assert err.value.code == "guests_not_allowed"  # an attendee of another event is a guest


def test_snapshot_hides_the_answer_until_the_reveal(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    kit.guest(run, "Bob")
    lobby = service.snapshot(session, run=run, now=NOW, player=ana)
    assert lobby["state"] == "lobby" and lobby["question"] is None and lobby["players"] == 2
    assert lobby["me"]["rank"] is None  # places exist once a question has closed
    kit.open_first(run)
    kit.answer(run, ana, choice=[1], after=4)
    snap = service.snapshot(session, run=run, now=NOW + timedelta(seconds=4), player=ana)
    assert snap["state"] == "question" and snap["remaining_ms"] == 16_000
    assert snap["me"]["answer"] == {
        "question_id": snap["question"]["id"],
        "choice": [1],
        "text": None,
        "correct": None,
        "points": None,
    }
    assert snap["reveal"] is None and "correct" not in str(snap["question"])
    assert snap["me"]["score"] == 0  # scores move only at the close
    service.close(session, run=run, now=NOW + timedelta(seconds=5))
    session.commit()
    after = service.snapshot(session, run=run, now=NOW + timedelta(seconds=6), player=ana)
    assert after["me"]["answer"]["correct"] is True
    assert after["me"]["answer"]["points"] == 900
    assert (after["me"]["score"], after["me"]["rank"], after["me"]["streak"]) == (900, 1, 1)
    assert after["reveal"]["correct"] == [1]


def test_results_have_a_row_per_player_with_answers_and_times(
    session: Any, make: Any, kit: QuizKit
) -> None:
    quiz = kit.quiz(
        make.event(),
        single(),
        service.QuestionFields(type="text", prompt="Who wrote it?", accepted=["Kafka"]),
    )
    run = kit.run(quiz)
    ana, _ = kit.guest(run, "=cmd|' /C calc'!A0")
    bob, _ = kit.guest(run, "Bob")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1], after=2.5)
    kit.answer(run, bob, choice=[0], after=3)
    service.advance(session, run=run, now=NOW)
    service.advance(session, run=run, now=NOW)
    session.commit()
    kit.answer(run, bob, text="kafka", after=1)
    service.close(session, run=run, now=NOW + timedelta(minutes=1))
    session.commit()
    header, rows = service.results(session, run=run)
    table = list(rows)
    assert header == [
        "Rank",
        "Name",
        "Player",
        "Score",
        "Correct answers",
        "Q1 answer",
        "Q1 time (s)",
        "Q2 answer",
        "Q2 time (s)",
    ]
    assert table[0][:5] == [1, "Bob", "guest", 975, 1]
    assert table[0][5:] == ["Lyon", "3.0", "kafka", "1.0"]
    assert table[1][:5] == [2, "=cmd|' /C calc'!A0", "guest", 938, 1]
    assert table[1][5:] == ["Paris", "2.5", "", ""]


def _on_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("races need real row locks: run with KNOWN_TEST_DATABASE_URL (PostgreSQL)")


def test_timers_racing_in_parallel_close_once(
    backend: str, app: Any, session: Any, make: Any, kit: QuizKit
) -> None:
    _on_postgresql(backend)
    event = make.event()
    run = kit.run(kit.quiz(event))
    player = kit.attendee_player(run, consenting(make, event, "Maria"))
    kit.guest(run, "Slow")
    kit.open_first(run)
    kit.answer(run, player, choice=[1], after=1)
    engine, run_id = session.get_bind(), run.id
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def fire() -> None:
        with app.app_context(), Session(engine) as own:
            barrier.wait()
            results.append(
                service.close_by_timer(own, run_id=run_id, index=0, now=NOW + timedelta(seconds=30))
            )
            own.commit()

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    session.expire_all()
    assert session.get(Player, player.id).score == 975
    assert session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 1


def test_last_answers_arriving_together_close_the_question_once(
    backend: str, app: Any, session: Any, make: Any, kit: QuizKit
) -> None:
    _on_postgresql(backend)
    run = kit.run(kit.quiz(make.event()))
    players = [kit.guest(run, f"Player {n}")[0] for n in range(8)]
    kit.open_first(run)
    question_id = service.current_question(session, run).id
    engine, run_id = session.get_bind(), run.id
    player_ids = [p.id for p in players]
    barrier = threading.Barrier(len(players))
    closed: list[bool] = []

    def answer(player_id: int) -> None:
        with app.app_context(), Session(engine) as own:
            barrier.wait()
            submitted = service.submit_answer(
                own,
                run_id=run_id,
                player_id=player_id,
                question_id=question_id,
                choice=[1],
                text=None,
                nonce=f"n{player_id}",
                now=NOW + timedelta(seconds=2),
            )
            own.commit()
            closed.append(submitted.closed)
            if submitted.recheck:
                closed.append(
                    service.close_if_everyone_answered(
                        own, run_id=run_id, now=NOW + timedelta(seconds=2)
                    )
                )
                own.commit()

    threads = [threading.Thread(target=answer, args=(pid,)) for pid in player_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert closed.count(True) == 1
    session.expire_all()
    assert session.get(QuizRun, run.id).state == "reveal"
    assert {session.get(Player, pid).score for pid in player_ids} == {950}


def test_kicking_the_leader_moves_everyone_up(session: Any, make: Any, kit: QuizKit) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    cem, _ = kit.guest(run, "Cem")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1], after=1)
    kit.answer(run, bob, choice=[1], after=5)
    kit.answer(run, cem, choice=[0], after=2)
    assert [(r["name"], r["rank"]) for r in service.leaderboard(session, run)] == [
        ("Ana", 1),
        ("Bob", 2),
        ("Cem", 3),
    ]
    service.kick(session, run=run, player_id=ana.id, now=NOW)
    session.commit()
    assert [(r["name"], r["rank"]) for r in service.leaderboard(session, run)] == [
        ("Bob", 1),
        ("Cem", 2),
    ]
    snap = service.snapshot(session, run=run, now=NOW, player=session.get(Player, cem.id))
    assert snap["me"]["rank"] == 2 and snap["players"] == 2


def test_a_group_of_answers_is_stored_in_one_go_each_with_its_own_outcome(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    cem, _ = kit.guest(run, "Cem")
    dan, _ = kit.guest(run, "Dan")
    kicked, _ = kit.guest(run, "Eve")
    service.kick(session, run=run, player_id=kicked.id, now=NOW)
    session.commit()
    kit.open_first(run)
    question = service.current_question(session, run)
    stored_before = kit.answer(run, dan, choice=[1], nonce="dan-1", after=1)
    at = NOW + timedelta(seconds=2)
    subs = [
        service.Submission(ana.id, [1], None, "ana-1", at),  # right, fast
        service.Submission(bob.id, [0], None, "bob-1", at + timedelta(seconds=2)),  # wrong
        service.Submission(ana.id, [1], None, "ana-1", at),  # the same phone resending
        service.Submission(ana.id, [2], None, "ana-2", at),  # a second, different answer
        service.Submission(cem.id, [9], None, "cem-1", at),  # no such option
        service.Submission(kicked.id, [1], None, "eve-1", at),
        service.Submission(999_999, [1], None, "x", at),  # not a player of this run
        service.Submission(dan.id, [1], None, "dan-1", at),  # a resend of a stored answer
        service.Submission(cem.id, [1], None, "", at),  # no nonce
    ]
    batch = service.submit_answers(
        session, run_id=run.id, question_id=question.id, submissions=subs
    )
    session.commit()
    outcomes = [
        ("ok", r.replayed) if isinstance(r, service.Submitted) else r.code for r in batch.results
    ]
    assert outcomes == [
        ("ok", False),
        ("ok", False),
        ("ok", True),
        "already_answered",
        "invalid_answer",
        "kicked",
        "not_found",
        ("ok", True),
        "invalid_answer",
    ]
    assert batch.stored == 2 and batch.counts == (3, 4) and batch.closed is False
    ana_first, ana_again = batch.results[0], batch.results[2]
    assert isinstance(ana_first, service.Submitted) and isinstance(ana_again, service.Submitted)
    assert ana_again.answer.id == ana_first.answer.id
    assert batch.results[7].answer.id == stored_before.answer.id  # type: ignore[union-attr]
    rows = dict(session.execute(sa.select(Answer.player_id, Answer.points)).all())
    assert rows == {ana.id: 950, bob.id: 0, dan.id: 975}
    assert ana_first.answer.elapsed_ms == 2000
    # Cem's valid answer completes the room: it closes the question once, in its own group.
    last = service.submit_answers(
        session,
        run_id=run.id,
        question_id=question.id,
        submissions=[service.Submission(cem.id, [1], None, "cem-2", at)],
    )
    session.commit()
    assert last.closed is True and last.counts == (4, 4)
    session.refresh(run)
    assert run.state == "reveal"


def test_answers_of_a_group_that_arrived_after_the_deadline_are_withdrawn(
    session: Any, make: Any, kit: QuizKit
) -> None:
    run = kit.run(kit.quiz(make.event()))
    ana, _ = kit.guest(run, "Ana")
    bob, _ = kit.guest(run, "Bob")
    kit.guest(run, "Cem")
    kit.open_first(run)
    question = service.current_question(session, run)
    batch = service.submit_answers(
        session,
        run_id=run.id,
        question_id=question.id,
        submissions=[
            service.Submission(ana.id, [1], None, "a", NOW + timedelta(seconds=19)),
            service.Submission(bob.id, [1], None, "b", NOW + timedelta(seconds=20)),  # at the bell
        ],
    )
    session.commit()
    assert isinstance(batch.results[0], service.Submitted)
    assert isinstance(batch.results[1], service.QuizError)
    assert batch.results[1].code == "question_closed"
    assert session.scalars(sa.select(Answer.player_id)).all() == [ana.id]
