"""A bare Flask-SocketIO gevent server with no app logic: the yardstick for ``quiz_load.py``.

It speaks the same ``/quiz`` protocol as the real app (``join`` / ``start`` / ``next`` /
``answer`` / ``close`` with acks, ``question`` and ``lobby`` broadcasts to rooms) but keeps
everything in memory: no database, no login, no scoring. Whatever the real app does slower than
this is the cost of its own logic. ``GET /stats`` tells the benchmark which answers it holds.

    .venv/bin/python bench/bare_server.py --port 5190
"""

from __future__ import annotations

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import argparse
import itertools
import secrets
import time
from typing import Any

from flask import Flask, jsonify, request
from flask_socketio import Namespace, SocketIO, join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = secrets.token_hex(16)
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins="*", manage_session=False)

NAMESPACE = "/quiz"
OPTIONS = [{"i": i, "label": f"Option {i + 1}", "avatar_url": None} for i in range(4)]


class Game:
    """The whole state of one in-memory quiz run (this server holds exactly one)."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.players: dict[int, str] = {}
        self.sid_player: dict[str, int] = {}
        self.index = -1
        self.question_id = 0
        self.open = False
        self.closes_at = 0
        # (player id, question id) -> (choice, nonce): the "persisted" answers.
        self.answers: dict[tuple[int, int], tuple[Any, str]] = {}

    def question(self) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "run_id": 1,
            "index": self.index,
            "total": 100,
            "question": {
                "id": self.question_id,
                "type": "single",
                "prompt": f"Bare question {self.index + 1}?",
                "image_url": None,
                "options": OPTIONS,
                "time_limit": 20,
                "points": 1000,
            },
            "opened_at": now,
            "closes_at": self.closes_at,
            "server_now": now,
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "run_id": 1,
            "state": "question" if self.open else "lobby",
            "paused": False,
            "index": self.index,
            "total": 100,
            "players": len(self.players),
            "server_now": int(time.time() * 1000),
        }


game = Game()


def _ok(**extra: Any) -> dict[str, Any]:
    return {"ok": True, **extra}


class BareQuiz(Namespace):  # type: ignore[misc]
    """The ``/quiz`` protocol, minus everything the real app does with it."""

    def on_connect(self, auth: Any = None) -> bool:
        return True

    def on_join(self, data: dict[str, Any] | None) -> dict[str, Any]:
        data = data or {}
        role = data.get("role", "player")
        if role in ("host", "screen"):
            join_room(f"quiz:1:{role}")
            return _ok(player=None, snapshot=game.snapshot())
        pid = next(game.ids)
        name = str(data.get("nickname") or f"guest{pid}")
        game.players[pid] = name
        game.sid_player[request.sid] = pid  # type: ignore[attr-defined]
        join_room("quiz:1:players")
        socketio.emit("lobby", {"count": len(game.players)}, to="quiz:1:host", namespace=NAMESPACE)
        player = {"id": pid, "name": name, "resume": secrets.token_urlsafe(16)}
        return _ok(player=player, snapshot=game.snapshot())

    def _open_next(self) -> dict[str, Any]:
        game.index += 1
        game.question_id += 1
        game.open = True
        game.closes_at = int(time.time() * 1000) + 20_000
        payload = game.question()
        for room in ("quiz:1:players", "quiz:1:host", "quiz:1:screen"):
            socketio.emit("question", payload, to=room, namespace=NAMESPACE)
        return _ok(snapshot=game.snapshot())

    def on_start(self, data: Any = None) -> dict[str, Any]:
        return self._open_next()

    def on_next(self, data: Any = None) -> dict[str, Any]:
        return self._open_next()

    def on_close(self, data: Any = None) -> dict[str, Any]:
        game.open = False
        return _ok(snapshot=game.snapshot())

    def on_answer(self, data: dict[str, Any] | None) -> dict[str, Any]:
        data = data or {}
        pid = game.sid_player.get(request.sid)  # type: ignore[attr-defined]
        if pid is None:
            return {"ok": False, "error": "not_allowed", "message": "Join first."}
        qid = int(data.get("question_id", 0))
        if not game.open or qid != game.question_id:
            return {"ok": False, "error": "question_closed", "message": "Too late."}
        key = (pid, qid)
        nonce = str(data.get("nonce", ""))
        first = game.answers.get(key)
        if first is not None:
            if first[1] == nonce:
                return _ok(locked=True)
            return {"ok": False, "error": "already_answered", "message": "Already answered."}
        game.answers[key] = (data.get("choice"), nonce)
        return _ok(locked=True)

    def on_ping(self, data: dict[str, Any] | None) -> dict[str, Any]:
        return {"t": (data or {}).get("t"), "server": int(time.time() * 1000)}


socketio.on_namespace(BareQuiz(NAMESPACE))


@app.get("/")
def index() -> Any:
    """Liveness check for the benchmark."""
    return "bare quiz server\n"


@app.get("/stats")
def stats() -> Any:
    """The answers held, as ``[player_id, question_id]`` pairs."""
    return jsonify(
        players=len(game.players),
        answers=[[pid, qid] for (pid, qid) in game.answers],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5190)
    args = parser.parse_args()
    # The serving process tuned as Known's own (python app.py) is, so that the ratio measures
    # the app's logic and nothing else.
    from conference.runtime import no_delay_handler, tune_gc

    tune_gc()
    socketio.run(
        app,
        host=args.host,
        port=args.port,
        use_reloader=False,
        log_output=False,
        handler_class=no_delay_handler(),
    )
