"""The ``/quiz`` namespace: phones, the host console and the projector of live quiz runs.

Each event handler runs as one transaction and answers with an ack: ``{"ok": true, …}`` or
``{"ok": false, "error": code, "message": …}``. Broadcasts are domain events recorded by the
service and emitted by ``conference.realtime`` after the commit, each to a named room:
``quiz:<run>:players``, ``quiz:<run>:host``, ``quiz:<run>:screen`` and one private room per
player, ``quiz:<run>:player:<id>``.

Nothing about a client lives on this (singleton) namespace object. What a connection joined as
(run, role, player id) is kept in the connection's own WSGI environ, as Flask-SocketIO keeps
its managed sessions, and dies with the connection; a phone that reconnects joins again with
its login or resume token and gets a fresh snapshot. Who a player *is* comes from the login or
the resume token, never from the socket id or the nickname.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import Namespace
from sqlalchemy.orm import Session

from conference import realtime
from conference.db import utcnow
from conference.errors import DomainError
from conference.events import service as events
from conference.events.access import current_account_id
from conference.events.models import ORGANISER
from conference.extensions import db, socketio
from conference.groupcommit import GroupCommit
from conference.people.models import Attendee
from conference.quiz import service, timers
from conference.quiz.models import QuizRun

log = logging.getLogger(__name__)

BINDING = "known.quiz"  # key of this connection's binding in its WSGI environ
ANSWERS = "quiz_answers"  # app.extensions key of the answers' group commit
ROLES = ("player", "host", "screen")

Handler = Callable[["QuizNamespace", dict[str, Any]], dict[str, Any]]


def _acked(handler: Handler) -> Callable[..., dict[str, Any]]:
    """Turn a handler's domain errors into error acks; never leave a client without an ack."""

    @functools.wraps(handler)
    def wrapper(self: QuizNamespace, data: Any = None, *_: Any) -> dict[str, Any]:
        try:
            return handler(self, data if isinstance(data, dict) else {})
        except DomainError as err:
            return err.as_dict()
        except Exception:
            log.exception("quiz socket handler %s failed", handler.__name__)
            return {"ok": False, "error": "server_error", "message": "Something went wrong."}

    return wrapper


@contextmanager
def _transaction() -> Iterator[Session]:
    """One unit of work: commit on success (events go out after it), roll back on error."""
    try:
        yield db.session()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _binding() -> dict[str, Any]:
    binding = request.environ.get(BINDING)
    if not binding:
        raise service.QuizError("not_allowed", "Join the quiz first.")
    return dict(binding)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _require_organiser(session: Session, run: QuizRun) -> None:
    account_id = current_account_id()
    if account_id is None or not events.has_role(
        session, account_id=account_id, event_id=run.event_id, roles=(ORGANISER,)
    ):
        raise service.QuizError("not_allowed", "Only the event's organisers can run the quiz.")


def _attendee_of(event_id: int) -> Attendee | None:
    if (
        current_user.is_authenticated
        and getattr(current_user, "is_attendee", False)
        and current_user.event_id == event_id
    ):
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def _lobby_sender(run_id: int) -> Callable[[Session], None]:
    def send(session: Session) -> None:
        run = session.get(QuizRun, run_id)
        if run is not None:
            service.record_lobby(session, run)

    return send


def _count_sender(run_id: int, question_id: int) -> Callable[[Session], None]:
    def send(session: Session) -> None:
        service.record_answer_count(session, run_id, question_id)

    return send


def _write_answers(
    key: Hashable, submissions: Sequence[service.Submission]
) -> list[service.Submitted | service.QuizError]:
    """One group commit of answers to one question (runs in the leading caller's context)."""
    assert isinstance(key, tuple)
    run_id, question_id = int(key[0]), int(key[1])
    app = _app()
    with _transaction() as session:
        batch = service.submit_answers(
            session, run_id=run_id, question_id=question_id, submissions=submissions
        )
        if batch.stored:
            interval = float(app.config.get("QUIZ_COUNT_INTERVAL", 0.25))
            if batch.closed or timers.throttle(
                app, f"count:{run_id}:{question_id}", interval, _count_sender(run_id, question_id)
            ):
                service.record_answer_count(session, run_id, question_id, counts=batch.counts)
    if batch.recheck:
        with _transaction() as session:
            service.close_if_everyone_answered(session, run_id=run_id, now=utcnow())
    return batch.results


def _answers(app: Flask) -> GroupCommit[service.Submission, service.Submitted]:
    """This app's group commit of answers (per process; nothing in it outlives a batch)."""
    queue: GroupCommit[service.Submission, service.Submitted] | None = app.extensions.get(ANSWERS)
    if queue is None:
        queue = app.extensions[ANSWERS] = GroupCommit(
            _write_answers, max_batch=int(app.config.get("QUIZ_ANSWER_BATCH", 500))
        )
    return queue


def _keep_time(run: QuizRun) -> None:
    """After a change of state: make sure a timer waits on an open, running question."""
    if run.state == "question" and run.closes_at is not None:
        timers.schedule(_app(), run.id, run.current_index)


class QuizNamespace(Namespace):
    """Live quiz runs. No per-client state on this instance (it serves every client)."""

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Anyone may connect (guests play too); ``join`` decides who gets in."""
        timers.ensure_sweeper(_app())
        return True

    def _bind(self, binding: dict[str, Any], rooms: list[str]) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        previous = request.environ.get(BINDING)
        if previous and previous.get("run_id") != binding["run_id"]:
            for old in previous.get("rooms", []):
                self.leave_room(sid, old)
        request.environ[BINDING] = {**binding, "rooms": rooms}
        for name in rooms:
            realtime.join(name, sid=sid, namespace=self.namespace)

    @_acked
    def on_join(self, data: dict[str, Any]) -> dict[str, Any]:
        """Join a run as a player (attendee or guest), its host console or its projector."""
        role = data.get("role") or "player"
        if role not in ROLES:
            raise service.QuizError("not_allowed", "Join as a player, host or screen.")
        pin = str(data.get("pin") or "").strip() or None
        run_id = _int(data.get("run_id"))
        if pin is None and run_id is None:
            raise service.QuizError("not_found", "Enter the quiz PIN.")
        now = utcnow()
        app = _app()
        with _transaction() as session:
            run = service.find_run(session, pin=pin, run_id=run_id)
            if role != "player":
                _require_organiser(session, run)
                reply: dict[str, Any] = {
                    "ok": True,
                    "player": None,
                    "snapshot": service.snapshot(session, run=run, now=now, audience=role),
                }
                binding = {"run_id": run.id, "role": role, "player_id": None}
                rooms = [service.room(run.id, role)]
            else:
                nickname = data.get("nickname")
                resume = data.get("resume")
                joined = service.join_player(
                    session,
                    run=run,
                    now=now,
                    attendee=_attendee_of(run.event_id),
                    nickname=nickname if isinstance(nickname, str) else None,
                    resume=resume if isinstance(resume, str) else None,
                )
                player = joined.player
                interval = float(app.config.get("QUIZ_LOBBY_INTERVAL", 0.5))
                if joined.new and timers.throttle(
                    app, f"lobby:{run.id}", interval, _lobby_sender(run.id)
                ):
                    service.record_lobby(session, run)
                reply = {
                    "ok": True,
                    "player": {"id": player.id, "name": player.nickname, "resume": joined.resume},
                    "snapshot": service.snapshot(session, run=run, now=now, player=player),
                }
                binding = {"run_id": run.id, "role": "player", "player_id": player.id}
                rooms = [service.room(run.id, "players"), service.player_room(run.id, player.id)]
            state_for_timer = run
        self._bind(binding, rooms)
        _keep_time(state_for_timer)
        return reply

    @_acked
    def on_answer(self, data: dict[str, Any]) -> dict[str, Any]:
        """Lock in the player's answer to the open question (resends with the same nonce are
        answered like the first). Acked once the answer is committed; answers arriving
        together share one transaction (``conference.groupcommit``)."""
        binding = _binding()
        if binding["role"] != "player":
            raise service.QuizError("not_allowed", "Only players answer.")
        question_id = _int(data.get("question_id"))
        if question_id is None:
            raise service.QuizError("invalid_answer", "Which question is this answer for?")
        submission = service.Submission(
            player_id=binding["player_id"],
            choice=data.get("choice"),
            text=data.get("text"),
            nonce=data.get("nonce"),
            now=utcnow(),
        )
        _answers(_app()).submit((binding["run_id"], question_id), submission)
        return {"ok": True, "locked": True}

    @_acked
    def on_me(self, data: dict[str, Any]) -> dict[str, Any]:
        """A fresh snapshot with the caller's own score, rank and answer."""
        binding = _binding()
        with _transaction() as session:
            run = session.get(QuizRun, binding["run_id"])
            if run is None:
                raise service.QuizError("not_found", "This quiz is gone.")
            player = None
            if binding["player_id"] is not None:
                player = service.get_player(session, run_id=run.id, player_id=binding["player_id"])
                if player.kicked_at is not None:
                    raise service.QuizError("kicked", "The host removed you from this quiz.")
            snap = service.snapshot(
                session, run=run, now=utcnow(), player=player, audience=binding["role"]
            )
        return {"ok": True, "snapshot": snap}

    def on_ping(self, data: Any = None) -> dict[str, Any]:
        """Clock sync: echo the phone's time with the server's."""
        t = data.get("t") if isinstance(data, dict) else None
        return {"t": t, "server": service.epoch_ms(utcnow())}

    # --- host controls ------------------------------------------------------------------

    def _control(
        self, data: dict[str, Any], action: Callable[[Session, QuizRun, int | None], Any]
    ) -> dict[str, Any]:
        binding = _binding()
        if binding["role"] != "host":
            raise service.QuizError("not_allowed", "Only the host console controls the quiz.")
        with _transaction() as session:
            run = session.get(QuizRun, binding["run_id"])
            if run is None:
                raise service.QuizError("not_found", "This quiz is gone.")
            _require_organiser(session, run)
            action(session, run, _int(data.get("version")))
            snap = service.snapshot(session, run=run, now=utcnow(), audience="host")
        _keep_time(run)
        return {"ok": True, "snapshot": snap}

    @_acked
    def on_start(self, data: dict[str, Any]) -> dict[str, Any]:
        """Open the first question."""
        return self._control(
            data, lambda s, run, v: service.start(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_next(self, data: dict[str, Any]) -> dict[str, Any]:
        """One step forward: question, reveal, leaderboard, next question, podium."""
        return self._control(
            data, lambda s, run, v: service.advance(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_skip(self, data: dict[str, Any]) -> dict[str, Any]:
        """Drop the open question unscored and open the next."""
        return self._control(
            data, lambda s, run, v: service.skip(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_pause(self, data: dict[str, Any]) -> dict[str, Any]:
        """Stop the clock."""
        return self._control(
            data, lambda s, run, v: service.pause(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_resume(self, data: dict[str, Any]) -> dict[str, Any]:
        """Restart the clock."""
        return self._control(
            data, lambda s, run, v: service.resume(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_extend(self, data: dict[str, Any]) -> dict[str, Any]:
        """Give the open question more seconds."""
        seconds = _int(data.get("seconds"))
        if seconds is None:
            raise service.QuizError("invalid_seconds", "Say how many seconds to add.")
        return self._control(
            data,
            lambda s, run, v: service.extend(s, run=run, seconds=seconds, now=utcnow(), version=v),
        )

    @_acked
    def on_close(self, data: dict[str, Any]) -> dict[str, Any]:
        """Close the open question now."""
        return self._control(
            data, lambda s, run, v: service.close(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_end(self, data: dict[str, Any]) -> dict[str, Any]:
        """Finish the quiz: podium."""
        return self._control(
            data, lambda s, run, v: service.end(s, run=run, now=utcnow(), version=v)
        )

    @_acked
    def on_kick(self, data: dict[str, Any]) -> dict[str, Any]:
        """Remove a player for good."""
        player_id = _int(data.get("player_id"))
        if player_id is None:
            raise service.QuizError("not_found", "Which player?")
        reply = self._control(
            data,
            lambda s, run, v: service.kick(s, run=run, player_id=player_id, now=utcnow()),
        )
        self._drop_from_rooms(_binding()["run_id"], player_id)
        return reply

    def _drop_from_rooms(self, run_id: int, player_id: int) -> None:
        # The kicked phone was told (its private room got ``kicked``); its connections to this
        # process also stop hearing the game. Connections to other processes are refused at
        # their next answer, because the refusal lives in the database.
        private = service.player_room(run_id, player_id)
        for sid, _ in list(self.server.manager.get_participants(self.namespace, private)):
            self.leave_room(sid, service.room(run_id, "players"))
        self.close_room(private)


def init_app() -> None:
    """Register the namespace."""
    socketio.on_namespace(QuizNamespace(service.NAMESPACE))
