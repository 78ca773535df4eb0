"""Benchmark: thousands of phones play a live quiz against one Known process.

One command measures everything. The benchmark creates a temporary SQLite database (migrations
plus an organiser, an event, a quiz and a run that allows guests), starts ``python app.py`` on
it, and drives N simulated players from this one asyncio process with a minimal Engine.IO v4 /
Socket.IO v5 client over raw WebSockets (python-socketio's AsyncClient costs too much per
connection to hold thousands). A host connection logged in as the organiser starts each
question; once every phone holds it, all of them answer at once, in random order (the worst burst
a room can make, kept apart from the push). Then it does the same against
``bench/bare_server.py`` — Flask-SocketIO on gevent with the same protocol and no app logic — so
the ratio shows what the app's own work costs. Prints one JSON object.

    .venv/bin/python bench/quiz_load.py                  # 2,000 players
    .venv/bin/python bench/quiz_load.py --players 5000
    .venv/bin/python bench/quiz_load.py --only app       # skip the bare server

Keys: ``players``, ``joined``, ``dropped``, ``push_p50_ms`` / ``push_p99_ms`` /
``push_last_ms`` (host's ``next`` sent → the ``question`` frame reaches each phone, one clock),
``answers_per_s`` (answers counted in the database after the question closed ÷ time from the
first answer sent to the last ack), ``lost`` (acked but not stored + sent but never acked),
``double`` (stored rows beyond one per player and question), ``kb_per_player`` (server RSS
growth ÷ players), ``bare`` (the same keys against the bare server) and ``ratio``; also
``push_last_by_question_ms``, ``lost_but_stored``, ``join_s``, ``host_drops``, ``errors`` and
``loadavg``. ``--profile FILE`` samples the app server with py-spy (collapsed stacks).

Targets on one process: 5,000 players, 0 dropped, push_last_ms ≤ 500, answers_per_s ≥ 1,500,
0 lost, 0 double, ratio answers_per_s ≥ 0.5 and push_p99_ms ≤ 1.5, kb_per_player ≤ 120.

``--cluster N`` measures a large-event setup instead: first one app process, then N, each on a
fresh PostgreSQL schema (``--database-url``) with Redis as the message queue (``--redis-url``)
behind nginx configured from ``deploy/nginx.conf`` (``deploy/cluster.py``), the phones connecting
through nginx's one address with a sticky key each. It prints ``single`` and ``cluster`` (each
with the keys above) and ``speedup`` (cluster ``answers_per_s`` ÷ single). Target: with 2
processes and 5,000 players, speedup ≥ 1.3, last phone ≤ 500 ms, 0 lost, 0 double.

    .venv/bin/python bench/quiz_load.py --players 5000 --cluster 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import itertools
import json
import os
import random
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "/quiz"
OPEN_FILES = 65536


def raise_open_files_limit() -> None:
    """Lift the soft open-files limit as far as the hard limit allows (one fd per phone)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def rss_kb(pid: int) -> int:
    """Resident set size of a process in kB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return free_ports(1)


def log(message: str) -> None:
    """Progress on stderr, so stdout stays one JSON object."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- a minimal Engine.IO v4 / Socket.IO v5 client ------------------------------------------


class SocketError(RuntimeError):
    """The server refused or dropped a connection."""


EventHandler = Callable[["RawClient", str, Any, float], None]
QUESTION_MARK = b'["question"'


@functools.cache
def _stamped_connection() -> type[Any]:
    """A websockets connection that notes when a ``question`` frame's bytes arrive.

    The stamp is taken in ``data_received``, the first Python code that sees the bytes, so the
    push figures do not include the time this one process needs to wake thousands of reader
    tasks (which would make the server look slower than it is, with the app and the bare server
    alike)."""
    from websockets.asyncio.client import ClientConnection

    class Stamped(ClientConnection):
        question_rx: list[float]

        def data_received(self, data: bytes) -> None:
            if QUESTION_MARK in data:
                self.question_rx.append(time.perf_counter())
            super().data_received(data)

    return Stamped


class RawClient:
    """One Socket.IO connection to the ``/quiz`` namespace over a bare WebSocket.

    Packets are text frames: ``0{...}`` Engine.IO open, ``2``/``3`` ping/pong, ``40/quiz,``
    namespace connect, ``42/quiz,<id>["event",{...}]`` an event (with an ack id when one is
    wanted) and ``43/quiz,<id>[...]`` the ack.
    """

    __slots__ = ("acks", "closed", "cookie", "data", "ids", "on_event", "reader", "url", "ws")

    def __init__(
        self, url: str, *, cookie: str | None = None, on_event: EventHandler | None = None
    ):
        self.url = url
        self.cookie = cookie
        self.ws: Any = None
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.on_event = on_event
        self.reader: asyncio.Task[None] | None = None
        self.closed = False
        self.data: dict[str, Any] = {}

    async def open(self, timeout: float = 30) -> None:
        """Open the WebSocket and connect the ``/quiz`` namespace."""
        from websockets.asyncio.client import connect

        # ``k``: the per-tab key Known's own client sends, on which nginx keeps a client sticky.
        ws_url = (
            self.url.replace("http://", "ws://")
            + f"/socket.io/?EIO=4&transport=websocket&k={secrets.token_hex(8)}"
        )
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await connect(
            ws_url,
            additional_headers=headers,
            compression=None,
            ping_interval=None,  # Engine.IO pings at the application level instead
            proxy=None,
            open_timeout=timeout,
            close_timeout=1,
            max_queue=64,
            user_agent_header=None,
            create_connection=_stamped_connection(),
        )
        self.ws.question_rx = []
        opened = await asyncio.wait_for(self.ws.recv(), timeout)
        if not opened.startswith("0"):
            raise SocketError(f"expected an Engine.IO open packet, got {opened[:60]!r}")
        await self.ws.send(f"40{NAMESPACE},")
        while True:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
            if msg == "2":
                await self.ws.send("3")
            elif msg.startswith(f"40{NAMESPACE},"):
                break
            elif msg.startswith(f"44{NAMESPACE},"):
                raise SocketError(f"namespace refused: {msg}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        prefix_event = f"42{NAMESPACE},"
        prefix_ack = f"43{NAMESPACE},"
        try:
            async for msg in self.ws:
                if msg == "2":
                    await self.ws.send("3")
                elif msg.startswith(prefix_event):
                    if self.on_event is not None:
                        name, payload = json.loads(msg[len(prefix_event) :])
                        stamps = self.ws.question_rx
                        received = stamps.pop(0) if name == "question" and stamps else 0.0
                        self.on_event(self, name, payload, received or time.perf_counter())
                elif msg.startswith(prefix_ack):
                    body = msg[len(prefix_ack) :]
                    bracket = body.index("[")
                    future = self.acks.pop(int(body[:bracket]), None)
                    if future is not None and not future.done():
                        args = json.loads(body[bracket:])
                        future.set_result(args[0] if args else None)
                elif msg.startswith(f"41{NAMESPACE}") or msg == "1":
                    break
        except Exception as err:  # a reset connection is a drop; the caller counts it
            self.data["error"] = repr(err)
        finally:
            self.closed = True
            for future in self.acks.values():
                if not future.done():
                    future.set_exception(SocketError("connection closed"))
            self.acks.clear()

    async def send(self, name: str, data: Any = None) -> asyncio.Future[Any]:
        """Emit ``name`` with an ack id; the returned future resolves with the ack."""
        if self.closed:
            raise SocketError("connection closed")
        ack_id = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        args = [name] if data is None else [name, data]
        try:
            await self.ws.send(f"42{NAMESPACE},{ack_id}" + json.dumps(args, separators=(",", ":")))
        except Exception as err:  # websockets' ConnectionClosed and socket errors alike
            self.closed = True
            self.acks.pop(ack_id, None)
            raise SocketError(f"connection closed: {err}") from err
        return future

    async def call(self, name: str, data: Any = None, timeout: float = 30) -> Any:
        """Emit and wait for the ack."""
        future = await self.send(name, data)
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        """Close the WebSocket."""
        self.closed = True
        if self.ws is not None:
            with contextlib.suppress(Exception):  # already gone: nothing left to close
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


# --- what each simulated phone does ----------------------------------------------------------


@dataclass
class Player:
    """One simulated phone: its connection, identity and what happened to its answers."""

    index: int
    client: RawClient | None = None
    player_id: int | None = None
    # question id -> perf_counter time the question arrived
    received: dict[int, float] = field(default_factory=dict)
    sent: dict[int, float] = field(default_factory=dict)
    acked: dict[int, float] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


@dataclass
class Round:
    """One question as the benchmark saw it."""

    question_id: int
    sent_at: float
    options: int


@dataclass
class Target:
    """A server to measure: where it listens, its pid, how to count what it stored."""

    name: str
    url: str
    pids: list[int]  # the server processes (their RSS is summed)
    pin: str
    host_cookie: str | None
    stored_answers: Callable[[], list[tuple[int, int]]]
    open_actions: tuple[str, ...]  # host events that lead to the next question

    def rss_kb(self) -> int:
        """Resident memory of all the target's server processes, in kB."""
        return sum(rss_kb(pid) for pid in self.pids)


class Bench:
    """Drive ``players`` phones and a host through ``questions`` questions against ``target``."""

    def __init__(
        self,
        target: Target,
        *,
        players: int,
        questions: int,
        concurrency: int,
        settle: float = 1.0,
        profile: Path | None = None,
    ):
        self.target = target
        self.profile = profile
        self.players = [Player(i) for i in range(players)]
        self.questions = questions
        self.concurrency = concurrency
        self.rounds: list[Round] = []
        self.current: asyncio.Event = asyncio.Event()
        self.errors: dict[str, int] = {}
        self.settle = settle
        self.host: RawClient | None = None
        self.host_drops = 0

    def _error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    # A question arrives at a phone: note the time (the answer goes out later, all at once).
    def on_event(self, client: RawClient, name: str, payload: Any, received: float) -> None:
        if name != "question":
            return
        player: Player = client.data["player"]
        qid = int(payload["question"]["id"])
        if qid not in player.received:
            player.received[qid] = received

    async def answer(self, player: Player, qid: int, choice: int) -> None:
        client = player.client
        assert client is not None
        nonce = secrets.token_hex(8)
        player.sent[qid] = time.perf_counter()
        try:
            ack = await client.call(
                "answer",
                {"question_id": qid, "choice": [choice], "text": None, "nonce": nonce},
                timeout=120,
            )
        except (TimeoutError, SocketError):
            self._error("answer_not_acked")
            return
        if isinstance(ack, dict) and ack.get("ok"):
            player.acked[qid] = time.perf_counter()
        else:
            code = str((ack or {}).get("error", "bad_ack"))
            player.refused[qid] = code
            self._error(f"answer_{code}")

    async def join_player(self, player: Player, gate: asyncio.Semaphore) -> None:
        async with gate:
            client = RawClient(self.target.url, on_event=self.on_event)
            client.data["player"] = player
            try:
                await client.open()
                ack = await client.call(
                    "join",
                    {
                        "pin": self.target.pin,
                        "role": "player",
                        "resume": None,
                        "nickname": f"p{player.index + 1:04d}",
                    },
                    timeout=60,
                )
            except (OSError, TimeoutError, SocketError) as err:
                self._error(f"join_{type(err).__name__}")
                await client.close()
                return
            except Exception as err:  # websockets' handshake errors and the like
                self._error(f"join_{type(err).__name__}")
                await client.close()
                return
            if not (isinstance(ack, dict) and ack.get("ok")):
                self._error(f"join_{(ack or {}).get('error', 'bad_ack')}")
                await client.close()
                return
            player.client = client
            player.player_id = int(ack["player"]["id"])

    async def host_call(self, name: str, data: Any = None, timeout: float = 60) -> Any:
        """A host command; like the host console, reconnect and join again if dropped."""
        for _attempt in range(3):
            if self.host is None or self.host.closed:
                if self.host is not None:
                    self.host_drops += 1
                    log(f"{self.target.name}: the host's connection dropped; reconnecting")
                self.host = RawClient(self.target.url, cookie=self.target.host_cookie)
                await self.host.open()
                ack = await self.host.call("join", {"pin": self.target.pin, "role": "host"})
                if not (isinstance(ack, dict) and ack.get("ok")):
                    raise RuntimeError(f"host could not join: {ack}")
            try:
                return await self.host.call(name, data, timeout=timeout)
            except SocketError:
                continue
        raise RuntimeError(f"the host could not send {name!r}")

    async def open_question(self) -> Round:
        """Send the host's actions until a question is open; time the one that opened it."""
        for _attempt in range(6):
            for action in self.target.open_actions:
                # A host looks at the reveal and the leaderboard for a moment before moving on;
                # the previous broadcast has reached every phone by then.
                await asyncio.sleep(self.settle)
                sent_at = time.perf_counter()
                ack = await self.host_call(action, {})
                if not (isinstance(ack, dict) and ack.get("ok")):
                    continue
                snap = ack.get("snapshot") or {}
                if snap.get("state") == "question" and snap.get("question"):
                    question = snap["question"]
                    qid = int(question["id"])
                    if all(r.question_id != qid for r in self.rounds):
                        return Round(qid, sent_at, len(question["options"]))
                elif snap.get("state") == "question" and self.target.name == "bare":
                    return Round(len(self.rounds) + 1, sent_at, 4)
        raise RuntimeError(f"the host could not open question {len(self.rounds) + 1}")

    async def run(self) -> dict[str, Any]:
        target = self.target
        await self.host_call("ping", {"t": 0})
        await asyncio.sleep(0.5)
        rss_before = target.rss_kb()
        log(f"{target.name}: host joined, server RSS {rss_before} kB; joining players")

        gate = asyncio.Semaphore(self.concurrency)
        started = time.perf_counter()
        await asyncio.gather(*(self.join_player(p, gate) for p in self.players))
        join_seconds = time.perf_counter() - started
        joined = [p for p in self.players if p.client is not None]
        await asyncio.sleep(2)  # lobby broadcasts settle before memory is read
        # This process now holds thousands of connections: keep its own garbage collector from
        # pausing it while question frames arrive, which would make any server look slow.
        gc.collect()
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        rss_joined = target.rss_kb()
        log(f"{target.name}: {len(joined)} joined in {join_seconds:.1f} s, RSS {rss_joined} kB")

        profiler = start_profiler(self.profile, target.pids[0]) if self.profile else None
        for _ in range(self.questions):
            rnd = await self.open_question()
            self.rounds.append(rnd)
            log(f"{target.name}: question {rnd.question_id} open")
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                live = [p for p in joined if p.client is not None and not p.client.closed]
                pending = [p for p in live if rnd.question_id not in p.received]
                if not pending:
                    break
                await asyncio.sleep(0.05)
            got = sorted(
                (p.received[rnd.question_id] - rnd.sent_at) * 1000
                for p in joined
                if rnd.question_id in p.received
            )
            if got:
                log(
                    f"{target.name}: question {rnd.question_id} reached {len(got)} phones: first "
                    f"{got[0]:.0f} ms, median {got[len(got) // 2]:.0f} ms, last {got[-1]:.0f} ms"
                )
            # Then every phone that has it answers at once (a random option): the worst burst a
            # room can make, kept apart from the push so neither measurement skews the other.
            # In a room, who answers first has nothing to do with who joined first.
            ready = [
                p
                for p in joined
                if rnd.question_id in p.received and p.client is not None and not p.client.closed
            ]
            random.shuffle(ready)
            tasks = [
                asyncio.create_task(self.answer(p, rnd.question_id, random.randrange(rnd.options)))
                for p in ready
            ]
            if tasks:
                await asyncio.wait(tasks, timeout=150)
            acked = [p.acked[rnd.question_id] for p in joined if rnd.question_id in p.acked]
            sent = [p.sent[rnd.question_id] for p in joined if rnd.question_id in p.sent]
            if acked and sent:
                log(
                    f"{target.name}: {len(acked)} of {len(sent)} answers acked in "
                    f"{max(acked) - min(sent):.1f} s; closing question {rnd.question_id}"
                )
            await self.host_call("close", {})
            await asyncio.sleep(0.3)

        if profiler is not None:
            stop_profiler(profiler)
        rss_after = target.rss_kb()
        stored = target.stored_answers()
        figures = self.figures(joined, stored, rss_before, max(rss_joined, rss_after), join_seconds)
        await asyncio.gather(*(p.client.close() for p in joined if p.client is not None))
        if self.host is not None:
            await self.host.close()
        return figures

    def figures(
        self,
        joined: list[Player],
        stored: list[tuple[int, int]],
        rss_before: int,
        rss_peak: int,
        join_seconds: float,
    ) -> dict[str, Any]:
        round_ids = {r.question_id for r in self.rounds}
        stored = [(pid, qid) for pid, qid in stored if qid in round_ids]
        stored_set = set(stored)
        double = len(stored) - len(stored_set)

        push_ms: list[float] = []
        dropped = 0
        for p in joined:
            assert p.client is not None
            missed = any(r.question_id not in p.received for r in self.rounds)
            if p.client.closed or missed:
                dropped += 1
            for r in self.rounds:
                if r.question_id in p.received:
                    push_ms.append((p.received[r.question_id] - r.sent_at) * 1000)

        lost = late = 0
        for p in joined:
            for qid in p.sent:
                if qid in p.acked:
                    if (p.player_id, qid) not in stored_set:
                        lost += 1
                elif qid not in p.refused:
                    lost += 1
                    # Never acknowledged (slow server or dropped connection) but stored: a real
                    # phone resending the same nonce would get its ok in the end.
                    late += (p.player_id, qid) in stored_set

        by_question = []
        for r in self.rounds:
            times = [p.received[r.question_id] for p in joined if r.question_id in p.received]
            by_question.append(round((max(times) - r.sent_at) * 1000, 1) if times else None)

        persisted = 0
        seconds = 0.0
        for r in self.rounds:
            sent = [p.sent[r.question_id] for p in joined if r.question_id in p.sent]
            acked = [p.acked[r.question_id] for p in joined if r.question_id in p.acked]
            if sent and acked:
                persisted += sum(1 for _pid, qid in stored_set if qid == r.question_id)
                seconds += max(acked) - min(sent)
        players = len(self.players)
        return {
            "players": players,
            "joined": len(joined),
            "dropped": dropped + (players - len(joined)),
            "push_p50_ms": round(percentile(push_ms, 50), 1),
            "push_p99_ms": round(percentile(push_ms, 99), 1),
            "push_last_ms": round(max(push_ms), 1) if push_ms else None,
            "answers_per_s": round(persisted / seconds) if seconds else 0,
            "lost": lost,
            "lost_but_stored": late,
            "double": double,
            "kb_per_player": round((rss_peak - rss_before) / max(1, len(joined)), 1),
            "push_last_by_question_ms": by_question,
            "questions": len(self.rounds),
            "join_s": round(join_seconds, 2),
            "host_drops": self.host_drops,
            "errors": self.errors,
        }


# --- the servers under test ----------------------------------------------------------------


def start_profiler(path: Path, pid: int) -> subprocess.Popen[bytes]:
    """Sample the server with py-spy (collapsed stacks, one line per stack) while it works."""
    import shutil

    exe = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    process = subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "-o", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # let it attach before the measured part starts
    return process


def stop_profiler(process: subprocess.Popen[bytes]) -> None:
    """Stop py-spy; it writes its file on SIGINT."""
    import signal

    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _limits() -> None:
    raise_open_files_limit()


def server_env(workdir: Path, port: int, database_url: str) -> dict[str, str]:
    """The environment of an app process on its own port, instance dir and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWN_")}
    env.update(
        KNOWN_ENV="development",
        KNOWN_INSTANCE_DIR=str(workdir),
        KNOWN_DATABASE_URL=database_url,
        KNOWN_SECRET_KEY="quiz-bench-secret-" + "z" * 40,
        KNOWN_HOST="127.0.0.1",
        KNOWN_PORT=str(port),
        KNOWN_BASE_URL=f"http://127.0.0.1:{port}",
    )
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until ``url`` answers over HTTP."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def start(cmd: list[str], env: dict[str, str], log: Path, url: str) -> subprocess.Popen[bytes]:
    """Start a server process (with a raised open-files limit) and wait for it."""
    out = log.open("wb")
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_limits
    )
    out.close()
    wait_until_up(url, process, log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server we started."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare_app_data(env: dict[str, str], questions: int) -> dict[str, Any]:
    """Migrate the database and create the quiz in a subprocess with the server's environment."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_prepare", "--questions", str(questions)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"preparing the quiz failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _prepare(questions: int) -> None:
    """(Subprocess) create an organiser, event, quiz and guest run; print pin, run and cookie."""
    sys.path.insert(0, str(ROOT))
    from datetime import date

    from conference import create_app
    from conference.accounts import service as accounts
    from conference.db import utcnow
    from conference.events import service as events
    from conference.extensions import db
    from conference.quiz import service as quiz

    password = "bench password " + secrets.token_hex(4)
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()  # tables a migration does not carry yet; a no-op once it does
        session = db.session()
        account = accounts.create_account(
            session, email="bench@example.org", name="Bench Organiser", password=password
        )
        event = events.create_event(
            session,
            organiser=account,
            fields=events.EventFields(
                name="Quiz Bench",
                slug="quiz-bench",
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 9, 1),
            ),
        )
        q = quiz.create_quiz(session, event=event, title="Load test", allow_guests=True)
        for n in range(questions):
            quiz.add_question(
                session,
                quiz=q,
                fields=quiz.QuestionFields(
                    type="single",
                    prompt=f"Load question {n + 1}: which option is right?",
                    options=["Alpha", "Bravo", "Charlie", "Delta"],
                    correct=[n % 4],
                    time_limit=120,
                    points=1000,
                ),
            )
        run = quiz.create_run(session, quiz=q, now=utcnow(), created_by_id=account.id)
        session.commit()
        client = app.test_client()
        client.post("/login", data={"email": account.email, "password": password})
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if cookie is None:
            raise RuntimeError("the organiser could not log in")
        print(
            json.dumps({"run_id": run.id, "pin": run.pin, "cookie": f"{cookie.key}={cookie.value}"})
        )


def stored_app_answers(db_path: Path, run_id: int) -> Callable[[], list[tuple[int, int]]]:
    """Read the persisted answers of ``run_id`` straight from the SQLite file."""

    def read() -> list[tuple[int, int]]:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            rows = conn.execute(ANSWERS_SQL, (run_id,)).fetchall()
        return [(int(pid), int(qid)) for pid, qid in rows]

    return read


# (player id, question id) of every stored answer of a run (conference.quiz.models.Answer).
ANSWERS_SQL = "SELECT player_id, question_id FROM quiz_answer WHERE run_id = ?"


def stored_bare_answers(url: str) -> Callable[[], list[tuple[int, int]]]:
    """Ask the bare server which answers it holds."""

    def read() -> list[tuple[int, int]]:
        with urllib.request.urlopen(url + "/stats", timeout=30) as resp:
            data = json.load(resp)
        return [(int(pid), int(qid)) for pid, qid in data["answers"]]

    return read


def play(args: argparse.Namespace, target: Target, *, profile: Path | None) -> dict[str, Any]:
    """Play the quiz against ``target`` with the phones the arguments ask for."""
    return asyncio.run(
        Bench(
            target,
            players=args.players,
            questions=args.questions,
            concurrency=args.concurrency,
            settle=args.settle,
            profile=profile,
        ).run()
    )


def measure_app(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Start the real app on a fresh SQLite file and measure it."""
    port = free_port()
    db_path = workdir / "quiz-bench.db"
    env = server_env(workdir, port, f"sqlite:///{db_path}")
    data = prepare_app_data(env, args.questions)
    url = f"http://127.0.0.1:{port}"
    process = start([sys.executable, "app.py"], env, workdir / "app.log", url)
    try:
        target = Target(
            name="app",
            url=url,
            pids=[process.pid],
            pin=str(data["pin"]),
            host_cookie=str(data["cookie"]),
            stored_answers=stored_app_answers(db_path, int(data["run_id"])),
            open_actions=("next",),
        )
        return play(args, target, profile=args.profile)
    finally:
        stop(process)


def measure_bare(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Start ``bench/bare_server.py`` and measure it with the same phones."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(port)]
    process = start(cmd, dict(os.environ), workdir / "bare.log", url)
    try:
        target = Target(
            name="bare",
            url=url,
            pids=[process.pid],
            pin="000000",
            host_cookie=None,
            stored_answers=stored_bare_answers(url),
            open_actions=("next",),
        )
        return play(args, target, profile=None)
    finally:
        stop(process)


# --- several processes behind nginx (issue: large events) -----------------------------------


def _libpq_url(url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg://`` URL as libpq takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def fresh_schema(database_url: str) -> Any:
    """A new, empty PostgreSQL schema for one measurement; yields the app's database URL
    (search_path set to it) and drops the schema afterwards."""
    import psycopg

    schema = f"quiz_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_libpq_url(database_url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_libpq_url(database_url), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def stored_pg_answers(database_url: str, run_id: int) -> Callable[[], list[tuple[int, int]]]:
    """Read the persisted answers of ``run_id`` from PostgreSQL."""

    def read() -> list[tuple[int, int]]:
        import psycopg

        with psycopg.connect(_libpq_url(database_url)) as conn:
            rows = conn.execute(ANSWERS_SQL.replace("?", "%s"), (run_id,)).fetchall()
        return [(int(pid), int(qid)) for pid, qid in rows]

    return read


def free_ports(count: int) -> int:
    """A port P such that P, P+1, … P+count-1 are free right now (nginx and the apps)."""
    import socket

    for _ in range(200):
        base = 20000 + secrets.randbelow(40000 - count)  # not the seeded `random`
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no run of free ports found")


def measure_cluster(
    args: argparse.Namespace, workdir: Path, processes: int, name: str
) -> dict[str, Any]:
    """``processes`` app processes on PostgreSQL + Redis behind nginx (deploy/nginx.conf),
    measured with the same phones through nginx's one address."""
    sys.path.insert(0, str(ROOT))
    from deploy.cluster import Cluster

    rundir = workdir / name
    rundir.mkdir()
    with fresh_schema(args.database_url) as database_url:
        port = free_ports(processes + 1)
        env = server_env(rundir, port, database_url)
        env.update(
            KNOWN_MESSAGE_QUEUE=args.redis_url,
            KNOWN_QUEUE_CHANNEL=f"quiz-bench-{rundir.name}-{secrets.token_hex(4)}",
            KNOWN_BASE_URL=f"http://127.0.0.1:{port}",
        )
        data = prepare_app_data(env, args.questions)
        cluster = Cluster(processes=processes, port=port, env=env, run_dir=rundir / "cluster")
        try:
            cluster.start()
            target = Target(
                name=name,
                url=cluster.url,
                pids=[app.pid for app in cluster.apps],
                pin=str(data["pin"]),
                host_cookie=str(data["cookie"]),
                stored_answers=stored_pg_answers(database_url, int(data["run_id"])),
                open_actions=("next",),
            )
            figures = play(args, target, profile=args.profile)
        finally:
            cluster.stop()
    figures["processes"] = processes
    return figures


def _ratio(app: float | None, bare: float | None) -> float | None:
    if not app or not bare:
        return None
    return round(app / bare, 2)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure the app and the bare server, print one JSON object."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_prepare"]:
        sub = argparse.ArgumentParser()
        sub.add_argument("--questions", type=int, default=3)
        _prepare(sub.parse_args(argv[1:]).questions)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=100, help="joins in flight at once")
    parser.add_argument("--only", choices=("app", "bare"), help="measure one server only")
    parser.add_argument(
        "--cluster",
        type=int,
        metavar="N",
        help="measure 1 and then N app processes on PostgreSQL + Redis behind nginx",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "KNOWN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL for --cluster (each measurement gets a fresh schema, dropped after)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("KNOWN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis message queue for --cluster",
    )
    parser.add_argument(
        "--settle", type=float, default=1.0, help="seconds the host waits before each command"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample the app server with py-spy during the questions (collapsed stacks)",
    )
    args = parser.parse_args(argv)
    if args.cluster is not None and args.cluster < 2:
        parser.error("--cluster needs at least 2 processes")
    random.seed(args.seed)
    raise_open_files_limit()

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="quiz-bench-") as tmp:
        workdir = Path(tmp)
        if args.cluster:
            single = measure_cluster(args, workdir, 1, "single")
            cluster = measure_cluster(args, workdir, args.cluster, "cluster")
            result = {
                "single": single,
                "cluster": cluster,
                "speedup": _ratio(cluster["answers_per_s"], single["answers_per_s"]),
                "loadavg": os.getloadavg()[0],
            }
            print(json.dumps(result, indent=2))
            return 0
        if args.only != "bare":
            result = measure_app(args, workdir)
        if args.only != "app":
            bare = measure_bare(args, workdir)
            if args.only == "bare":
                result = bare
            else:
                result["bare"] = bare
                result["ratio"] = {
                    "answers_per_s": _ratio(result["answers_per_s"], bare["answers_per_s"]),
                    "push_p99_ms": _ratio(result["push_p99_ms"], bare["push_p99_ms"]),
                }
    result["loadavg"] = os.getloadavg()[0]  # other work on the machine skews every figure
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
