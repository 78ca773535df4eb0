"""Kill the server mid-question and start it again: the run carries on and no answer is lost.

A real ``python app.py`` on a temporary SQLite file, a host and three phones on python-socketio
clients over WebSockets. Two phones answer, the server gets SIGKILL, a new process starts on the
same port and database, the clients reconnect by themselves and join again with their resume
tokens; the third phone answers and the question closes exactly once. Then a question is left
open past its deadline while the server is down: the new process's sweeper closes it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.servers import ROOT, KnownServer

NS = "/quiz"
PASSWORD = "restart test password"

PREPARE = """
import json, sys
from datetime import date
from conference import create_app
from conference.accounts import service as accounts
from conference.db import utcnow
from conference.events import service as events
from conference.extensions import db
from conference.quiz import service as quiz

from flask_migrate import upgrade

app = create_app()
with app.app_context():
    upgrade()
    db.create_all()  # tables a migration does not carry yet; a no-op once it does
    s = db.session()
    account = accounts.create_account(
        s, email="host@example.org", name="Host", password=sys.argv[1]
    )
    event = events.create_event(
        s,
        organiser=account,
        fields=events.EventFields(
            name="Restart Conf", slug="restart", starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 2),
        ),
    )
    q = quiz.create_quiz(s, event=event, title="Restart quiz")
    for prompt, limit in (("Long one", 90), ("Short one", 5)):
        quiz.add_question(
            s,
            quiz=q,
            fields=quiz.QuestionFields(
                type="single", prompt=prompt, options=["a", "b", "c", "d"], correct=[1],
                time_limit=limit,
            ),
        )
    run = quiz.create_run(s, quiz=q, now=utcnow(), created_by_id=account.id)
    s.commit()
    print(json.dumps({"pin": run.pin, "run_id": run.id}))
"""


class Phone:
    """A python-socketio client that rejoins by itself after every reconnect, like the phone
    page does: with its resume token (guests) or its login cookie (host)."""

    def __init__(self, url: str, join: dict[str, Any], cookie: str | None = None) -> None:
        self.url = url
        self.join_payload = dict(join)
        self.cookie = cookie
        self.events: list[tuple[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.connects = 0
        self.lock = threading.Lock()
        self.joined = threading.Event()
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=0.2,
            reconnection_delay_max=0.5,
            randomization_factor=0,
        )
        self.sio.on("connect", self._on_connect, namespace=NS)
        self.sio.on("*", self._on_event, namespace=NS)

    def _on_connect(self) -> None:
        with self.lock:
            self.connects += 1
        self.joined.clear()
        # Joining waits for an ack, which the client's reader thread delivers: not from here.
        self.sio.start_background_task(self._join)

    def _join(self) -> None:
        for _ in range(20):
            try:
                ack = self.sio.call("join", self.join_payload, namespace=NS, timeout=10)
            except Exception:
                time.sleep(0.3)
                continue
            if ack and ack.get("ok"):
                if ack.get("player") and ack["player"].get("resume"):
                    self.join_payload["resume"] = ack["player"]["resume"]
                    self.join_payload.pop("nickname", None)
                with self.lock:
                    self.snapshots.append(ack["snapshot"])
                    self.player = ack.get("player")
                self.joined.set()
                return
            time.sleep(0.3)

    def _on_event(self, name: str, payload: Any = None) -> None:
        with self.lock:
            self.events.append((name, payload))

    def start(self) -> Phone:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.sio.connect(
            self.url, namespaces=[NS], transports=["websocket"], headers=headers, wait_timeout=10
        )
        assert self.joined.wait(15), "could not join"
        return self

    def call(self, name: str, data: dict[str, Any] | None = None) -> Any:
        return self.sio.call(name, data or {}, namespace=NS, timeout=15)

    def named(self, name: str) -> list[Any]:
        with self.lock:
            return [payload for event, payload in self.events if event == name]

    def stop(self) -> None:
        self.sio.disconnect()


def wait_for(condition: Callable[[], bool], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def login_cookie(url: str, email: str, password: str) -> str:
    http = requests.Session()
    page = http.get(f"{url}/login", timeout=10).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "no CSRF token on the login page"
    response = http.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def stored(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[KnownServer]:
    """A real server on a temporary SQLite file, with one quiz run in its lobby."""
    known = KnownServer(workdir=tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", PREPARE, PASSWORD],
        cwd=ROOT,
        env=known.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    known.run = json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
    known.start()
    yield known
    known.stop()


def restart(server: KnownServer, *, not_before: float = 0.0) -> None:
    """SIGKILL the server process (no clean shutdown) and start a new one on the same port,
    not before the monotonic time ``not_before``."""
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.log.close()
    time.sleep(max(0.0, not_before - time.monotonic()))
    server.start()


def test_killing_the_server_mid_question_loses_no_answer(server: KnownServer) -> None:
    url, run = server.url, server.run  # type: ignore[attr-defined]
    db = server.workdir / "known.db"
    host = Phone(
        url,
        {"pin": run["pin"], "run_id": run["run_id"], "role": "host"},
        cookie=login_cookie(url, "host@example.org", PASSWORD),
    ).start()
    phones = [
        Phone(url, {"pin": run["pin"], "role": "player", "nickname": name}).start()
        for name in ("Ana", "Bob", "Cem")
    ]
    try:
        opened = host.call("next")
        assert opened["ok"] and opened["snapshot"]["state"] == "question"
        qid = opened["snapshot"]["question"]["id"]
        wait_for(lambda: all(p.named("question") for p in phones), what="the question")
        for phone, choice in zip(phones[:2], ([1], [2]), strict=True):
            ack = phone.call(
                "answer", {"question_id": qid, "choice": choice, "nonce": f"n{choice}"}
            )
            assert ack == {"ok": True, "locked": True}

        restart(server)

        for phone in (host, *phones):
            wait_for(lambda p=phone: p.connects >= 2 and p.joined.is_set(), what="a rejoin")
        ana, bob, cem = phones
        for phone, choice in ((ana, [1]), (bob, [2]), (cem, None)):
            snap = phone.snapshots[-1]
            assert snap["state"] == "question" and snap["question"]["id"] == qid
            assert 0 < snap["remaining_ms"] <= 90_000
            mine = snap["me"]["answer"]
            assert (mine["choice"] if mine else None) == choice
            assert snap["me"]["score"] == 0
        # Bob never saw his ack (say): his phone resends the same answer with the same nonce.
        assert bob.call("answer", {"question_id": qid, "choice": [2], "nonce": "n[2]"})["ok"]
        assert cem.call("answer", {"question_id": qid, "choice": [1], "nonce": "c"}) == {
            "ok": True,
            "locked": True,
        }
        wait_for(lambda: all(p.named("reveal") for p in (host, *phones)), what="the reveal")
        time.sleep(0.5)
        assert [len(p.named("reveal")) for p in (host, *phones)] == [1, 1, 1, 1]  # closed once
        rows = stored(
            db, "SELECT player_id, choice, points FROM quiz_answer WHERE question_id = ?", qid
        )
        assert len(rows) == 3 and len({r[0] for r in rows}) == 3
        assert stored(db, "SELECT state FROM quiz_run WHERE id = ?", run["run_id"]) == [("reveal",)]
        points = {pid: pts for pid, _, pts in rows}
        for phone in phones:
            me = phone.call("me")["snapshot"]["me"]
            assert me["score"] == points[me["id"]] == me["answer"]["points"]
            assert me["answer"]["correct"] is (me["answer"]["choice"] == [1])
        assert ana.call("me")["snapshot"]["me"]["score"] > 0
        assert bob.call("me")["snapshot"]["me"]["score"] == 0

        # The short question opens, the server dies, its deadline passes while it is down.
        assert host.call("next")["snapshot"]["state"] == "leaderboard"
        second = host.call("next")["snapshot"]
        assert second["state"] == "question" and second["index"] == 1
        # a new process takes ~4 s to start; make sure the 5 s deadline has passed by then
        restart(server, not_before=time.monotonic() + second["remaining_ms"] / 1000 - 3)
        for phone in (host, *phones):
            wait_for(lambda p=phone: p.connects >= 3 and p.joined.is_set(), what="a rejoin")
        wait_for(
            lambda: (
                stored(db, "SELECT state FROM quiz_run WHERE id = ?", run["run_id"])
                == [("reveal",)]
            ),
            what="the sweeper to close the overdue question",
        )
        assert ana.call("me")["snapshot"]["state"] == "reveal"
        assert stored(db, "SELECT count(*) FROM quiz_answer WHERE run_id = ?", run["run_id"]) == [
            (3,)
        ]
    finally:
        for phone in (host, *phones):
            phone.stop()
