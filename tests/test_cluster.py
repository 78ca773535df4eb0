"""Two real app processes on PostgreSQL + Redis behind nginx: correct across processes.

One cluster (``deploy/cluster.py``: processes A and B, nginx in front) serves the whole
module. Clients are python-socketio clients over WebSockets, connected either straight to one
process (to choose where they are) or through nginx with a sticky key ``k`` (as phones are).
Runs only when ``KNOWN_TEST_DATABASE_URL`` and ``KNOWN_TEST_REDIS_URL`` are set.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import sqlalchemy as sa

from deploy.cluster import Cluster
from tests import conftest
from tests.factories import PASSWORD
from tests.quiz.test_restart import Phone, login_cookie, wait_for
from tests.servers import ROOT

pytestmark = pytest.mark.integration

# Rooms are named after ids ("run:<id>:players", "event:<id>:staff") and Redis pub/sub is shared
# by every cluster on the same server: ids far from other test runs' keep their emits apart.
PREPARE = """
import json, random, sys
from datetime import date
import sqlalchemy as sa
from conference import create_app
from conference.badges import service as badges
from conference.checkin import service as checkin
from conference.db import utcnow
from conference.extensions import db
from conference.quiz import service as quiz
from tests.factories import Factory

app = create_app()
with app.app_context():
    s = db.session()
    start = random.randrange(10**6, 10**9)
    for table in ("event", "quiz_run", "quiz_player"):
        s.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {start})"))
    make = Factory(db.session)
    organiser = make.account(name="Olga Organiser")
    event = make.event(organiser=organiser, timezone="Europe/Berlin")
    staff = [make.member(event, make.account(name=n), role="staff") for n in ("Sam", "Kim")]
    tokens = []
    for n in range(2):
        guest = make.attendee(event, name=f"Guest {n}", company="Co")
        tokens.append(badges.ensure_badge(s, attendee=guest, now=utcnow()).token)
    lst = checkin.create_list(s, event=event, name="Main", allow_reentry=False, now=utcnow())
    runs = {}
    for name, limits in (("scored", [60]), ("timer", [5]), ("failover", [60, 90])):
        q = quiz.create_quiz(s, event=event, title=name)
        for n, limit in enumerate(limits):
            quiz.add_question(
                s,
                quiz=q,
                fields=quiz.QuestionFields(
                    type="single", prompt=f"Q{n}", options=["a", "b", "c", "d"], correct=[1],
                    time_limit=limit,
                ),
            )
        run = quiz.create_run(s, quiz=q, now=utcnow(), created_by_id=organiser.id)
        runs[name] = {"pin": run.pin, "run_id": run.id}
    s.commit()
    print(json.dumps({
        "slug": event.slug, "organiser": organiser.email, "staff": [a.email for a in staff],
        "tokens": tokens, "list_id": lst.id, "runs": runs,
    }))
"""


def _free_base_port() -> int:
    """A port P with P, P+1 and P+2 all free (nginx and two app processes)."""
    for _ in range(200):
        base = secrets.randbelow(20000) + 30000
        try:
            for port in (base, base + 1, base + 2):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no three consecutive free ports")


class Info:
    """The running cluster, its database URL and the ids the setup printed."""

    def __init__(self, cluster: Cluster, url: str, data: dict[str, Any]) -> None:
        self.cluster = cluster
        self.db_url = url
        self.data = data

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params).all())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Info]:
    """Processes A and B and nginx on the test schema, with one event's data in it."""
    if not conftest.REDIS_URL:
        conftest.skip_or_fail("KNOWN_TEST_REDIS_URL is not set")
    instance: Path = tmp_path_factory.mktemp("cluster")
    env = {
        "KNOWN_DATABASE_URL": postgres_url,
        "KNOWN_MESSAGE_QUEUE": conftest.REDIS_URL,
        "KNOWN_SECRET_KEY": "cluster-test-secret-" + "z" * 40,
        "KNOWN_ENV": "development",
        "KNOWN_INSTANCE_DIR": str(instance),
        # Login limits per process: the shared Redis must not carry them across test runs.
        "KNOWN_RATELIMIT_STORAGE": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-c", PREPARE],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    port = _free_base_port()
    env["KNOWN_BASE_URL"] = f"http://127.0.0.1:{port}"
    running = Cluster(processes=2, port=port, env=env, run_dir=instance / "run")
    try:
        running.start()
        yield Info(running, postgres_url, data)
    finally:
        running.stop()
        conftest._truncate_all(postgres_url)


class Client(Phone):
    """A phone that presents the public address as its origin, as a browser page would (a
    direct connection to one process would otherwise carry that process's address)."""

    def __init__(self, url: str, join: dict[str, Any], origin: str, cookie: str | None = None):
        super().__init__(url, join, cookie)
        # websocket-client writes an Origin header of its own: set that one, not a second.
        self.sio.eio.websocket_extra_options = {"origin": origin}

    def start(self) -> Client:
        super().start()
        return self


def _host(info: Info, run: dict[str, Any], url: str) -> Client:
    cookie = login_cookie(url, info.data["organiser"], PASSWORD)
    join = {"pin": run["pin"], "run_id": run["run_id"], "role": "host"}
    return Client(url, join, info.cluster.url, cookie).start()


def _player(info: Info, url: str, run: dict[str, Any], name: str) -> Client:
    join = {"pin": run["pin"], "role": "player", "nickname": name}
    return Client(url, join, info.cluster.url).start()


def _answers(info: Info, question_id: int) -> list[Any]:
    return info.rows(
        "SELECT player_id, choice, points FROM quiz_answer WHERE question_id = :q", q=question_id
    )


def test_question_opened_on_b_reaches_a_and_is_scored_once(cluster: Info) -> None:
    a, b = cluster.cluster.app_url(0), cluster.cluster.app_url(1)
    run = cluster.data["runs"]["scored"]
    host = _host(cluster, run, b)
    ana = _player(cluster, a, run, "Ana")
    try:
        opened = host.call("next")
        assert opened["ok"] and opened["snapshot"]["state"] == "question"
        qid = opened["snapshot"]["question"]["id"]
        wait_for(lambda: bool(ana.named("question")), timeout=5, what="the question on A")
        assert ana.named("question")[0]["question"]["id"] == qid
        answer = {"question_id": qid, "choice": [1], "nonce": "ana-q0"}
        assert ana.call("answer", answer) == {"ok": True, "locked": True}
        assert ana.call("answer", answer)["ok"]  # a resend: replayed, not scored again
        wait_for(lambda: bool(ana.named("reveal")) and bool(host.named("reveal")), what="reveal")
        rows = _answers(cluster, qid)
        assert len(rows) == 1 and rows[0][1] == [1] and rows[0][2] > 0
        me = ana.call("me")["snapshot"]["me"]
        assert me["score"] == rows[0][2] == me["answer"]["points"]
    finally:
        for phone in (host, ana):
            phone.stop()


def test_timer_closes_a_question_once_with_both_processes_running(cluster: Info) -> None:
    a, b = cluster.cluster.app_url(0), cluster.cluster.app_url(1)
    run = cluster.data["runs"]["timer"]
    host = _host(cluster, run, b)
    phones = [_player(cluster, a, run, "Ana"), _player(cluster, b, run, "Bob")]
    try:
        opened = host.call("next")["snapshot"]
        assert opened["state"] == "question" and opened["remaining_ms"] <= 5000
        qid = opened["question"]["id"]
        # A late joiner on A: process A now keeps time for this question too.
        phones.append(_player(cluster, a, run, "Cem"))
        assert phones[2].snapshots[-1]["state"] == "question"
        wait_for(lambda: all(p.named("question") for p in phones[:2]), what="the question")
        assert phones[0].call("answer", {"question_id": qid, "choice": [1], "nonce": "a"})["ok"]
        everyone = (host, *phones)
        wait_for(lambda: all(p.named("reveal") for p in everyone), timeout=10, what="the close")
        time.sleep(1.5)  # a second close, if any, would arrive by now
        assert [len(p.named("reveal")) for p in everyone] == [1, 1, 1, 1]
        assert cluster.rows("SELECT state FROM quiz_run WHERE id = :r", r=run["run_id"]) == [
            ("reveal",)
        ]
        rows = _answers(cluster, qid)
        assert len(rows) == 1 and rows[0][2] > 0
        assert phones[0].call("me")["snapshot"]["me"]["score"] == rows[0][2]
    finally:
        for phone in (host, *phones):
            phone.stop()


class Desk:
    """A logged-in scanner device talking to one process over HTTP."""

    def __init__(self, url: str, email: str) -> None:
        self.url = url
        self.http = requests.Session()
        page = self.http.get(f"{url}/login", timeout=10).text
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, "no CSRF token on the login page"
        self.csrf = match.group(1)
        response = self.http.post(
            f"{url}/login",
            data={"email": email, "password": PASSWORD, "csrf_token": self.csrf},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:300]

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def check_in(self, slug: str, token: str, list_id: int) -> dict[str, Any]:
        response = self.http.post(
            f"{self.url}/api/events/{slug}/checkin",
            json={
                "token": token,
                "list_id": list_id,
                "nonce": str(uuid.uuid4()),
                "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            headers={"X-CSRFToken": self.csrf},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:300]
        return response.json()  # type: ignore[no-any-return]


def test_check_ins_across_processes(cluster: Info) -> None:
    a, b = cluster.cluster.app_url(0), cluster.cluster.app_url(1)
    data = cluster.data
    slug, list_id = data["slug"], data["list_id"]
    desk_a, desk_b = Desk(a, data["staff"][0]), Desk(b, data["staff"][1])

    updates: list[tuple[float, dict[str, Any]]] = []
    dashboard = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": cluster.cluster.url}
    )
    dashboard.on(
        "checkin_update",
        lambda payload: updates.append((time.monotonic(), payload)),
        namespace="/event",
    )
    dashboard.connect(
        b,
        namespaces=["/event"],
        transports=["websocket"],
        headers={"Cookie": desk_b.cookie},
        wait_timeout=10,
    )
    try:
        joined = dashboard.call(
            "join", {"event": slug, "audience": "staff"}, namespace="/event", timeout=10
        )
        assert joined == {"ok": True}
        sent = time.monotonic()
        first = desk_a.check_in(slug, data["tokens"][0], list_id)
        assert first["code"] == "ok"
        wait_for(lambda: bool(updates), timeout=1.0, what="checkin_update on B within 1 s")
        at, payload = updates[0]
        assert at - sent < 1.0
        assert payload["list_id"] == list_id and payload["checked_in"] == 1
        assert payload["last"]["name"] == "Guest 0"
    finally:
        dashboard.disconnect()

    # Two devices, one on each process, scan the same badge at the same moment.
    barrier = threading.Barrier(2, timeout=20)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def scan(desk: Desk) -> None:
        try:
            barrier.wait()
            answers.append(desk.check_in(slug, data["tokens"][1], list_id))
        except BaseException as err:  # reported in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=scan, args=(desk,)) for desk in (desk_a, desk_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(answer["code"] for answer in answers) == ["already_checked_in", "ok"]
    rows = cluster.rows(
        "SELECT c.attendee_id FROM check_in c JOIN attendee a ON a.id = c.attendee_id"
        " WHERE c.undone_at IS NULL AND a.name = 'Guest 1'"
    )
    assert len(rows) == 1


def test_killing_process_a_mid_question_loses_nothing(cluster: Info) -> None:
    nodes = cluster.cluster
    run = cluster.data["runs"]["failover"]
    # With B down, nginx puts every phone on A whatever its sticky key hashes to.
    nodes.kill_app(1)
    phones: list[Client] = []
    consoles: list[Client] = []
    try:
        for name in ("Ana", "Bob", "Cem"):
            phones.append(_player(cluster, f"{nodes.url}?k={secrets.token_hex(8)}", run, name))
        nodes.start_app(1)
        host = _host(cluster, run, nodes.app_url(1))
        consoles.append(host)
        # Question 1 is answered by everyone and scored.
        q1 = host.call("next")["snapshot"]["question"]["id"]
        wait_for(lambda: all(p.named("question") for p in phones), what="question 1 on A")
        for n, phone in enumerate(phones):
            ack = phone.call("answer", {"question_id": q1, "choice": [1], "nonce": f"q1-{n}"})
            assert ack == {"ok": True, "locked": True}
        wait_for(lambda: all(p.named("reveal") for p in phones), what="reveal 1")
        scores = {p.player["id"]: p.call("me")["snapshot"]["me"]["score"] for p in phones}
        assert all(score > 0 for score in scores.values())
        assert host.call("next")["snapshot"]["state"] == "leaderboard"
        second = host.call("next")["snapshot"]
        assert second["state"] == "question" and second["index"] == 1
        q2 = second["question"]["id"]
        wait_for(lambda: all(len(p.named("question")) == 2 for p in phones), what="question 2")
        ana, bob, cem = phones
        for phone, choice in ((ana, [1]), (bob, [2])):
            ack = phone.call(
                "answer", {"question_id": q2, "choice": choice, "nonce": f"q2{choice}"}
            )
            assert ack == {"ok": True, "locked": True}

        nodes.kill_app(0)

        def rejoined(phone: Client) -> bool:
            return phone.connects >= 2 and phone.joined.is_set()

        # Every phone was on A: each one reconnects (through nginx, so to B) and joins again.
        wait_for(lambda: all(rejoined(p) for p in phones), what="the rejoins")
        expected: list[tuple[Client, list[int] | None]] = [(ana, [1]), (bob, [2]), (cem, None)]
        for phone, wanted in expected:
            snap = phone.snapshots[-1]
            assert snap["state"] == "question" and snap["question"]["id"] == q2
            mine = snap["me"]["answer"]
            assert (mine["choice"] if mine else None) == wanted
            assert snap["me"]["score"] == scores[phone.player["id"]]
        ack = cem.call("answer", {"question_id": q2, "choice": [1], "nonce": "q2-cem"})
        assert ack == {"ok": True, "locked": True}
        wait_for(lambda: all(len(p.named("reveal")) == 2 for p in phones), what="reveal 2")
        time.sleep(0.5)
        assert [len(p.named("reveal")) for p in phones] == [2, 2, 2]  # each question closed once
        assert len(_answers(cluster, q1)) == 3
        assert {(r[0], tuple(r[1])) for r in _answers(cluster, q2)} == {
            (ana.player["id"], (1,)),
            (bob.player["id"], (2,)),
            (cem.player["id"], (1,)),
        }
    finally:
        for phone in (*phones, *consoles):
            phone.stop()
        for index in (0, 1):  # whole again for anything after (and for stop())
            if nodes.apps[index].poll() is not None:
                nodes.start_app(index)
