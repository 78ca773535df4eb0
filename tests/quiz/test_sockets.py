"""The /quiz namespace through Flask-SocketIO's test client: rooms, acks, snapshots, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import g

from conference.db import utcnow
from conference.extensions import socketio
from conference.people import service as people
from conference.quiz import timers
from conference.quiz.models import Answer, QuizRun
from tests.factories import PASSWORD
from tests.quiz.helpers import QuizKit, consenting, single

NS = "/quiz"


class Phone:
    """One socket client and what it was told."""

    def __init__(self, sio: Any) -> None:
        self.sio = sio
        self.seen: list[dict[str, Any]] = []

    def call(self, name: str, data: dict[str, Any] | None = None) -> Any:
        # The test's app context is shared by every event the test client sends, so forget
        # the user Flask-Login cached for the previous phone (a server has one context each).
        g.pop("_login_user", None)
        return self.sio.emit(name, data if data is not None else {}, namespace=NS, callback=True)

    def drain(self) -> list[dict[str, Any]]:
        got = self.sio.get_received(NS)
        self.seen.extend(got)
        return got

    def names(self) -> list[str]:
        return [m["name"] for m in self.drain()]


@pytest.fixture
def room(app: Any, make: Any, kit: QuizKit, socket_client: Any) -> Any:
    """An event with an organiser, a two-question quiz, and ways to connect phones."""

    class Room:
        organiser = make.account()
        event = make.event(organiser=organiser)
        quiz = kit.quiz(event)

        def client(self, account: Any = None, attendee: Any = None) -> Any:
            flask_client = app.test_client()
            g.pop("_login_user", None)  # see Phone.call
            if account is not None:
                flask_client.post("/login", data={"email": account.email, "password": PASSWORD})
            if attendee is not None:
                token = people.issue_login_link(
                    make.session, attendee=attendee, event=self.event, now=utcnow()
                )
                make.session.commit()
                flask_client.get(f"/e/{self.event.slug}/login/{token}")
            return flask_client

        def phone(self, account: Any = None, attendee: Any = None) -> Phone:
            return Phone(socket_client(NS, flask_client=self.client(account, attendee)))

        def host(self, run: QuizRun, account: Any = None) -> Phone:
            host = self.phone(account or self.organiser)
            ack = host.call("join", {"pin": run.pin, "run_id": run.id, "role": "host"})
            assert ack["ok"], ack
            host.drain()
            return host

        def guest(self, run: QuizRun, nickname: str) -> tuple[Phone, dict[str, Any]]:
            phone = self.phone()
            ack = phone.call("join", {"pin": run.pin, "role": "player", "nickname": nickname})
            assert ack["ok"], ack
            return phone, ack

    return Room()


def test_three_players_in_two_runs_hear_only_their_own_run(
    session: Any, room: Any, kit: QuizKit
) -> None:
    run_a, run_b = kit.run(room.quiz), kit.run(room.quiz)
    host_a, host_b = room.host(run_a), room.host(run_b)
    ana, ana_ack = room.guest(run_a, "Ana")
    bob, _ = room.guest(run_a, "Bob")
    cem, _ = room.guest(run_b, "Cem")
    assert ana_ack["player"]["name"] == "Ana" and ana_ack["player"]["resume"]
    assert ana_ack["snapshot"]["state"] == "lobby" and ana_ack["snapshot"]["me"]["id"]

    lobby = [m for m in host_a.drain() if m["name"] == "lobby"]
    assert lobby[-1]["args"][0]["count"] == 2
    assert lobby[-1]["args"][0]["names"] == ["Ana", "Bob"]
    assert [m["args"][0]["names"] for m in host_b.drain() if m["name"] == "lobby"] == [["Cem"]]
    assert {m["args"][0]["count"] for m in ana.drain() if m["name"] == "lobby"} <= {1, 2}
    bob.drain()
    cem.drain()

    started = host_a.call("next")
    assert started["ok"] and started["snapshot"]["state"] == "question"
    question = started["snapshot"]["question"]
    for phone in (ana, bob, host_a):
        got = phone.drain()
        assert [m["name"] for m in got] == ["question"]
        assert got[0]["args"][0]["question"]["id"] == question["id"]
    assert cem.drain() == [] and host_b.drain() == []

    ack = ana.call("answer", {"question_id": question["id"], "choice": [1], "nonce": "a1"})
    assert ack == {"ok": True, "locked": True}
    assert [m["args"][0] for m in host_a.drain() if m["name"] == "answers_count"] == [
        {"answered": 1, "players": 2}
    ]
    assert bob.drain() == [] and cem.drain() == [] and host_b.drain() == []
    # the other run's player cannot answer this run's question
    refused = cem.call("answer", {"question_id": question["id"], "choice": [1], "nonce": "c1"})
    assert refused["ok"] is False and refused["error"] == "not_found"


def test_a_player_hears_nothing_about_the_answer_before_the_reveal(
    session: Any, room: Any, kit: QuizKit
) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, ana_ack = room.guest(run, "Ana")
    bob, _ = room.guest(run, "Bob")
    host.call("next")
    question = next(m for m in ana.drain() if m["name"] == "question")["args"][0]["question"]
    ana.call("answer", {"question_id": question["id"], "choice": [1], "nonce": "a"})
    me = ana.call("me")
    before_reveal = [ana_ack, me] + ana.seen + [m for m in bob.drain()]
    # every message the player's phone got: acks, snapshots, broadcasts
    secrets = [v for m in before_reveal for k, v in _items(m) if k in SECRET_KEYS]
    assert secrets and all(v is None for v in secrets)
    assert "reveal" not in [m.get("name") for m in ana.seen]
    assert me["snapshot"]["me"]["answer"]["correct"] is None
    assert me["snapshot"]["me"]["answer"]["points"] is None
    assert me["snapshot"]["reveal"] is None

    bob.call("answer", {"question_id": question["id"], "choice": [0], "nonce": "b"})
    reveal = [m for m in ana.drain() if m["name"] == "reveal"]
    assert reveal and reveal[0]["args"][0]["correct"] == [1]
    assert reveal[0]["args"][0]["distribution"] == [1, 1, 0, 0]
    mine = ana.call("me")["snapshot"]["me"]
    assert mine["answer"]["correct"] is True and mine["score"] > 0 and mine["rank"] == 1


SECRET_KEYS = {"correct", "accepted", "distribution", "reveal", "points_earned"}


def _items(value: Any) -> list[tuple[str, Any]]:
    """Every (key, value) pair anywhere inside a message."""
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items()] + [i for v in value.values() for i in _items(v)]
    if isinstance(value, list):
        return [i for v in value for i in _items(v)]
    return []


def test_resent_answers_are_stored_once(session: Any, room: Any, kit: QuizKit) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, _ = room.guest(run, "Ana")
    room.guest(run, "Bob")
    qid = host.call("next")["snapshot"]["question"]["id"]
    payload = {"question_id": qid, "choice": [2], "nonce": "same-nonce"}
    assert ana.call("answer", payload) == {"ok": True, "locked": True}
    assert ana.call("answer", payload) == {"ok": True, "locked": True}
    other = ana.call("answer", {"question_id": qid, "choice": [1], "nonce": "other"})
    assert other["ok"] is False and other["error"] == "already_answered"
    rows = session.execute(sa.select(Answer.choice, Answer.nonce)).all()
    assert [(list(c), n) for c, n in rows] == [([2], "same-nonce")]


def test_a_late_answer_gets_question_closed(session: Any, room: Any, kit: QuizKit) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, _ = room.guest(run, "Ana")
    room.guest(run, "Bob")
    qid = host.call("next")["snapshot"]["question"]["id"]
    # the deadline passed a moment ago; the timer has not run yet: the server clock decides
    session.execute(
        sa.update(QuizRun)
        .where(QuizRun.id == run.id)
        .values(closes_at=utcnow() - timedelta(milliseconds=5))
    )
    session.commit()
    late = ana.call("answer", {"question_id": qid, "choice": [1], "nonce": "late"})
    assert late["ok"] is False and late["error"] == "question_closed"
    assert session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_a_reconnecting_phone_gets_its_answer_and_score_back(
    session: Any, room: Any, kit: QuizKit
) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, ack = room.guest(run, "Ana")
    bob, _ = room.guest(run, "Bob")
    resume = ack["player"]["resume"]
    qid = host.call("next")["snapshot"]["question"]["id"]
    ana.call("answer", {"question_id": qid, "choice": [1], "nonce": "a"})
    ana.sio.disconnect(namespace=NS)

    again = room.phone()
    back = again.call("join", {"pin": run.pin, "role": "player", "resume": resume})
    assert back["ok"] and back["player"]["id"] == ack["player"]["id"]
    snap = back["snapshot"]
    assert snap["state"] == "question" and 0 < snap["remaining_ms"] <= 20_000
    assert snap["me"]["answer"]["choice"] == [1] and snap["me"]["answer"]["correct"] is None

    bob.call("answer", {"question_id": qid, "choice": [0], "nonce": "b"})
    assert "reveal" in again.names()  # the new connection is in the players room
    again.sio.disconnect(namespace=NS)
    third = room.phone()
    snap = third.call("join", {"pin": run.pin, "role": "player", "resume": resume})["snapshot"]
    assert snap["state"] == "reveal"
    assert snap["me"]["answer"]["correct"] is True
    assert snap["me"]["score"] == snap["me"]["answer"]["points"] > 900
    assert snap["reveal"]["correct"] == [1]


def test_an_attendee_joins_with_one_tap_and_comes_back_as_themselves(
    session: Any, room: Any, kit: QuizKit, make: Any
) -> None:
    run = kit.run(room.quiz)
    maria = consenting(make, room.event, "Maria Fernández")
    phone = room.phone(attendee=maria)
    ack = phone.call("join", {"pin": run.pin})
    assert ack["ok"] and ack["player"]["name"] == "Maria Fernández"
    assert ack["player"]["resume"] is None
    again = room.phone(attendee=maria).call("join", {"pin": run.pin})
    assert again["player"]["id"] == ack["player"]["id"]


def test_a_kicked_player_is_told_and_stays_out(session: Any, room: Any, kit: QuizKit) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, ack = room.guest(run, "Ana")
    room.guest(run, "Bob")
    host.drain()
    ana.drain()
    kicked = host.call("kick", {"player_id": ack["player"]["id"]})
    assert kicked["ok"] and kicked["snapshot"]["players"] == 1
    assert "kicked" in ana.names()
    lobby = [m["args"][0] for m in host.drain() if m["name"] == "lobby"]
    assert lobby[-1]["kicked"] == [ack["player"]["id"]] and lobby[-1]["names"] == ["Bob"]
    host.call("next")
    assert ana.names() == []  # no longer in the players room
    back = room.phone().call(
        "join", {"pin": run.pin, "role": "player", "resume": ack["player"]["resume"]}
    )
    assert back["ok"] is False and back["error"] == "kicked"
    refused = ana.call("answer", {"question_id": 1, "choice": [1], "nonce": "k"})
    assert refused["error"] == "kicked"


def test_only_the_events_organisers_control_a_run(
    session: Any, room: Any, kit: QuizKit, make: Any
) -> None:
    run = kit.run(room.quiz)
    staff = make.member(room.event, role="staff")
    other_organiser = make.account()
    make.event(organiser=other_organiser)
    for account in (staff, other_organiser):
        phone = room.phone(account)
        for role in ("host", "screen"):
            ack = phone.call("join", {"pin": run.pin, "run_id": run.id, "role": role})
            assert ack["ok"] is False and ack["error"] == "not_allowed"
        assert phone.call("next")["error"] == "not_allowed"  # never joined as host
    player, _ = room.guest(run, "Ana")
    for action in ("start", "next", "skip", "pause", "resume", "close", "end", "kick"):
        ack = player.call(action, {"player_id": 1, "seconds": 5})
        assert ack["ok"] is False and ack["error"] == "not_allowed", action
    screen = room.phone(room.organiser)
    joined = screen.call("join", {"pin": run.pin, "role": "screen"})
    assert joined["ok"], joined
    assert screen.call("next")["error"] == "not_allowed"
    assert room.phone().call("join", {"pin": run.pin, "role": "host"})["error"] == "not_allowed"
    session.refresh(run)
    assert run.state == "lobby"


def test_the_host_runs_the_whole_quiz(session: Any, room: Any, kit: QuizKit) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    screen = room.phone(room.organiser)
    assert screen.call("join", {"pin": run.pin, "run_id": run.id, "role": "screen"})["ok"]
    ana, _ = room.guest(run, "Ana")
    screen.drain()
    ana.drain()
    states = []
    for action in ("start", "pause", "resume", "extend", "close", "next", "next", "skip"):
        ack = host.call(action, {"seconds": 5})
        assert ack["ok"], (action, ack)
        states.append(
            (ack["snapshot"]["state"], ack["snapshot"]["index"], ack["snapshot"]["paused"])
        )
    assert states == [
        ("question", 0, False),
        ("question", 0, True),
        ("question", 0, False),
        ("question", 0, False),
        ("reveal", 0, False),
        ("leaderboard", 0, False),
        ("question", 1, False),
        ("ended", 1, False),
    ]
    assert screen.names() == [
        "question",
        "paused",
        "resumed",
        "extended",
        "reveal",
        "leaderboard",
        "question",
        "podium",
    ]
    assert ana.names()[-1] == "podium"
    stale = host.call("next", {"version": 0})
    assert stale["ok"] is False and stale["error"] == "bad_state"


def test_ping_returns_the_server_clock(room: Any) -> None:
    phone = room.phone()
    ack = phone.call("ping", {"t": 123})
    assert ack["t"] == 123 and abs(ack["server"] - utcnow().timestamp() * 1000) < 5000


def test_joining_errors_come_back_as_acks(session: Any, room: Any, kit: QuizKit) -> None:
    run = kit.run(room.quiz)
    phone = room.phone()
    assert phone.call("join", {"pin": "000000"})["error"] == "not_found"
    assert phone.call("join", {"pin": run.pin})["error"] == "nickname_invalid"
    room.guest(run, "Ana")
    assert phone.call("join", {"pin": run.pin, "nickname": "ana"})["error"] == "nickname_taken"
    assert phone.call("answer", {"question_id": 1, "choice": [0], "nonce": "x"})["error"] == (
        "not_allowed"
    )
    assert phone.call("me")["error"] == "not_allowed"


def test_the_timer_closes_the_question_and_everyone_hears_the_reveal(
    app: Any, session: Any, room: Any, kit: QuizKit
) -> None:
    quiz = kit.quiz(room.event, single(time_limit=5))
    run = kit.run(quiz)
    host = room.host(run)
    ana, _ = room.guest(run, "Ana")
    room.guest(run, "Bob")
    host.call("next")
    ana.drain()
    session.commit()
    timers.schedule(app, run.id, 0)  # a second schedule of the same question is a no-op
    assert len(app.extensions[timers.TIMERS]) == 1
    socketio.sleep(5.3)
    assert ana.names() == ["reveal"]
    session.expire_all()
    assert session.get(QuizRun, run.id).state == "reveal"


def test_after_a_restart_the_sweeper_closes_an_overdue_question(
    app: Any, session: Any, room: Any, kit: QuizKit
) -> None:
    run = kit.run(room.quiz)
    host = room.host(run)
    ana, _ = room.guest(run, "Ana")
    room.guest(run, "Bob")
    host.call("next")
    ana.drain()
    timers.stop_all(app)  # the process dies: its timers with it
    session.execute(
        sa.update(QuizRun)
        .where(QuizRun.id == run.id)
        .values(closes_at=utcnow() - timedelta(seconds=3))
    )
    session.commit()
    assert timers.sweep_once(app) == 1
    socketio.sleep(0.3)
    assert ana.names() == ["reveal"]
    assert timers.sweep_once(app) == 0
    session.expire_all()
    assert session.get(QuizRun, run.id).state == "reveal"


def test_a_pause_outlasts_the_old_deadline(app: Any, session: Any, room: Any, kit: QuizKit) -> None:
    quiz = kit.quiz(room.event, single(time_limit=5))
    run = kit.run(quiz)
    host = room.host(run)
    ana, _ = room.guest(run, "Ana")
    room.guest(run, "Bob")
    host.call("next")
    assert host.call("pause")["snapshot"]["paused"] is True
    ana.drain()
    session.commit()
    socketio.sleep(5.3)
    assert ana.names() == []
    session.expire_all()
    assert session.get(QuizRun, run.id).state == "question"
