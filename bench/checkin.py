"""Benchmark: 10 check-in devices scanning at a busy door, against a real server.

Starts Known itself (migrations, then an event with attendees, badges, a check-in list and
two staff accounts created through the services, then ``python app.py``), or targets a
running server with ``--url``. Ten devices (threads, one keep-alive HTTP connection and one
logged-in session each, CSRF token in the header) share 50 scans/s for 60 s: mostly new
badges (bare tokens and full badge URLs of another base URL), some badges scanned again at
another door, a few unknown tokens, and a few requests resent with the same nonce (a phone
retrying after a timeout). Prints one JSON object. Target: p99 <= 100 ms on SQLite and on
PostgreSQL.

    .venv/bin/python bench/checkin.py
    .venv/bin/python bench/checkin.py --seconds 10
    .venv/bin/python bench/checkin.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/checkin.py --url http://127.0.0.1:5000 --event demo \\
        --email staff@example.org --password '...'

``exactly_once`` is true only when every known attendee that was scanned is checked in
exactly once: read from the database when the bench started the server, from the API's
roster and the answers with ``--url``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEVICES = 10
RATE = 50.0
SHARE_REPEAT = 0.10  # a badge already scanned, at another door
SHARE_UNKNOWN = 0.04  # a token that is no badge at all
SHARE_RESEND = 0.02  # the previous request again, same nonce
SHARE_URL = 0.5  # known badges sent as a full badge URL (of another base URL)
STAFF_PASSWORD = secrets.token_urlsafe(16)  # new for every run


# --- the server ---------------------------------------------------------------------------


@dataclass
class Target:
    """Where the devices send their scans, and how to check the result."""

    url: str
    slug: str
    list_id: int
    emails: list[str]
    password: str
    tokens: list[str] = field(default_factory=list)  # empty with --url: scan attendee ids
    attendee_ids: list[int] = field(default_factory=list)
    database_url: str = ""
    database: str = ""


def _pg_schema_url(url: str, schema: str) -> str:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def prepare_database(database_url: str, workdir: Path) -> tuple[str, Any]:
    """A fresh database (SQLite file or PostgreSQL schema) and a function that drops it."""
    import sqlalchemy as sa

    if not database_url:
        return f"sqlite:///{workdir / 'known.db'}", lambda: None
    if database_url.startswith("sqlite"):
        return database_url, lambda: None
    schema = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return _pg_schema_url(database_url, schema), drop


def seed(database_url: str, attendees: int, base_url: str) -> Target:
    """Migrate, then create the event, its list, two staff and the attendees' badges."""
    os.environ.setdefault("KNOWN_ENV", "testing")
    os.environ.setdefault("KNOWN_SECRET_KEY", "bench-secret-" + "x" * 40)
    from flask_migrate import upgrade

    from conference import create_app
    from conference.accounts import service as accounts
    from conference.badges import service as badges
    from conference.checkin import service as checkin
    from conference.db import utcnow
    from conference.events import service as events
    from conference.events.models import Membership
    from conference.extensions import db
    from conference.people import service as people

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "KNOWN_BASE_URL": base_url})
    with app.app_context():
        upgrade()
        session = db.session()
        now = utcnow()
        organiser = accounts.create_account(
            session, email="organiser@bench.example", name="Olga Organiser", password=STAFF_PASSWORD
        )
        event = events.create_event(
            session,
            organiser=organiser,
            fields=events.EventFields(
                name="Bench Conf",
                slug="bench-conf",
                starts_on=now.date(),
                ends_on=now.date(),
                timezone="Europe/Berlin",
            ),
        )
        emails = []
        for n in range(2):
            staff = accounts.create_account(
                session, email=f"door{n}@bench.example", name=f"Door {n}", password=STAFF_PASSWORD
            )
            session.add(Membership(event_id=event.id, account_id=staff.id, role="staff"))
            emails.append(staff.email)
        lst = checkin.create_list(
            session, event=event, name="Main entrance", allow_reentry=False, now=now
        )
        rnd = random.Random(4)
        firsts = ["Ana", "José", "Zoë", "Jürgen", "Søren", "Łukasz", "Chloé", "Kenji", "Priya"]
        lasts = ["García", "Müller", "Nørgaard", "O'Connor", "Okafor", "Tanaka", "Çelik"]
        people_rows = [
            people.create_attendee(
                session,
                event=event,
                profile=people.Profile(
                    name=f"{rnd.choice(firsts)} {rnd.choice(lasts)}",
                    email=f"guest{n}@bench.example",
                    company=rnd.choice(["Datawell", "Northwind", "", "Kestrel"]),
                ),
            )
            for n in range(attendees)
        ]
        found = badges.ensure_badges(session, attendees=people_rows, now=now)
        tokens = [found[a.id].token for a in people_rows]
        session.commit()
        target = Target(
            url="",
            slug=event.slug,
            list_id=lst.id,
            emails=emails,
            password=STAFF_PASSWORD,
            tokens=tokens,
            database_url=database_url,
            database=db.engine.dialect.name,
        )
        db.session.remove()
        db.engine.dispose()
    return target


# --- a device -----------------------------------------------------------------------------


class Device:
    """One phone at the door: a keep-alive connection and a logged-in session."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        parts = urlsplit(base_url)
        conn_type = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self.conn = conn_type(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        self.cookie = ""
        status, page = self.request("GET", "/login")
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"no login form at {base_url}/login (HTTP {status})")
        self.csrf = match[1]
        form = f"csrf_token={quote(self.csrf)}&email={quote(email)}&password={quote(password)}"
        status, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise RuntimeError(f"login as {email} failed (HTTP {status})")

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """One request on the kept-alive connection, keeping the session cookie."""
        head = {"Cookie": self.cookie, **(headers or {})}
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("known_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, str]:
        """A JSON POST with the CSRF header, as the scanner page sends it."""
        return self.request(
            "POST",
            path,
            json.dumps(body),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )

    def close(self) -> None:
        """Hang up."""
        self.conn.close()


# --- the load -----------------------------------------------------------------------------


class Mix:
    """What the next scan is: shared by the devices, so two doors can scan the same badge."""

    def __init__(self, target: Target, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.lock = threading.Lock()
        self.fresh: list[str | int] = list(target.tokens or target.attendee_ids)
        self.rnd.shuffle(self.fresh)
        self.seen: list[str | int] = []
        self.sent: set[str | int] = set()

    def next_subject(self) -> tuple[str, str | int]:
        """("known", token or attendee id) or ("unknown", token)."""
        with self.lock:
            roll = self.rnd.random()
            if roll < SHARE_UNKNOWN:
                return "unknown", secrets.token_urlsafe(24)
            if (roll < SHARE_UNKNOWN + SHARE_REPEAT and self.seen) or not self.fresh:
                subject = self.rnd.choice(self.seen)
            else:
                subject = self.fresh.pop()
                self.seen.append(subject)
            self.sent.add(subject)
            return "known", subject

    def as_url(self) -> bool:
        with self.lock:
            return self.rnd.random() < SHARE_URL

    def resend(self) -> bool:
        with self.lock:
            return self.rnd.random() < SHARE_RESEND


@dataclass
class Tally:
    """Every answer the devices got."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    ok_first: Counter[str | int] = field(default_factory=Counter)  # not replayed
    replayed: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_device(
    index: int,
    device: Device,
    target: Target,
    mix: Mix,
    tally: Tally,
    start: float,
    seconds: float,
    rate: float,
    devices: int,
) -> None:
    """Send this device's share of the scans on schedule until the time is up."""
    path = f"/api/events/{target.slug}/checkin"
    k = 0
    previous: dict[str, Any] | None = None
    while True:
        due = start + (k * devices + index) / rate
        k += 1
        if due - start >= seconds:
            return
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        subject: str | int = ""
        if previous is not None and mix.resend():
            body = previous
        else:
            kind, subject = mix.next_subject()
            body = {
                "list_id": target.list_id,
                "nonce": str(uuid.uuid4()),
                "scanned_at": datetime.now(UTC).isoformat(),
            }
            if isinstance(subject, int):
                body["attendee_id"] = subject
            elif kind == "known" and mix.as_url():
                body["token"] = f"https://badges.elsewhere.example/b/{subject}"
            else:
                body["token"] = subject
            body["_subject"] = subject if kind == "known" else None
        sent = {k: v for k, v in body.items() if k != "_subject"}
        began = time.perf_counter()
        try:
            status, text = device.post_json(path, sent)
        except (OSError, http.client.HTTPException) as err:
            with tally.lock:
                tally.errors.append(f"{type(err).__name__}: {err}")
            continue
        elapsed = (time.perf_counter() - began) * 1000
        with tally.lock:
            tally.latencies.append(elapsed)
            if status != 200:
                tally.errors.append(f"HTTP {status}: {text[:200]}")
                continue
            answer = json.loads(text)
            tally.outcomes[answer["code"]] += 1
            if answer["replayed"]:
                tally.replayed += 1
            elif answer["code"] == "ok" and body.get("_subject") is not None:
                tally.ok_first[body["_subject"]] += 1
        previous = body


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 2)


# --- exactly once -------------------------------------------------------------------------


def exactly_once_from_database(target: Target, mix: Mix, tally: Tally) -> dict[str, Any]:
    """Every scanned known attendee has exactly one live check-in, and nobody else has one."""
    import sqlalchemy as sa

    from conference.badges.models import Badge
    from conference.checkin.models import CheckIn

    engine = sa.create_engine(target.database_url)
    with engine.connect() as conn:
        per_token = dict(
            conn.execute(
                sa.select(Badge.token, sa.func.count(CheckIn.id))
                .join(CheckIn, CheckIn.attendee_id == Badge.attendee_id)
                .where(
                    CheckIn.list_id == target.list_id,
                    CheckIn.undone_at.is_(None),
                    Badge.revoked_at.is_(None),
                )
                .group_by(Badge.token)
            ).all()
        )
    engine.dispose()
    scanned = {s for s in mix.sent if isinstance(s, str)}
    answered_ok_once = all(tally.ok_first[s] == 1 for s in scanned) if not tally.errors else None
    return {
        "exactly_once": bool(
            scanned
            and set(per_token) == scanned
            and all(n == 1 for n in per_token.values())
            and answered_ok_once is not False
        ),
        "checked_in": len(per_token),
        "scanned_attendees": len(scanned),
    }


def exactly_once_from_api(target: Target, mix: Mix, tally: Tally, device: Device) -> dict[str, Any]:
    """Without the database: the roster says each scanned attendee is in, each got one ok."""
    status, text = device.request(
        "GET", f"/api/events/{target.slug}/checkin/lists/{target.list_id}/roster"
    )
    roster = json.loads(text) if status == 200 else {"entries": []}
    inside = {e["attendee_id"] for e in roster["entries"] if e["checked_in"]}
    scanned = {s for s in mix.sent if isinstance(s, int)}
    stats_status, stats_text = device.request(
        "GET", f"/api/events/{target.slug}/checkin/lists/{target.list_id}/stats"
    )
    stats = json.loads(stats_text) if stats_status == 200 else {}
    return {
        "exactly_once": bool(
            scanned
            and scanned <= inside
            and all(tally.ok_first[s] == 1 for s in scanned)
            and not tally.errors
        ),
        "checked_in": stats.get("checked_in"),
        "scanned_attendees": len(scanned),
    }


# --- main ---------------------------------------------------------------------------------


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time a process has used so far (Linux), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(
    target: Target,
    seconds: float,
    rate: float,
    devices: int,
    seed: int,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Log the devices in, run the load, and add up the answers."""
    phones = [
        Device(target.url, target.emails[i % len(target.emails)], target.password)
        for i in range(devices)
    ]
    if not target.tokens:
        status, text = phones[0].request(
            "GET", f"/api/events/{target.slug}/checkin/lists/{target.list_id}/roster"
        )
        if status != 200:
            raise RuntimeError(f"cannot read the roster (HTTP {status}): {text[:200]}")
        target.attendee_ids = [
            e["attendee_id"] for e in json.loads(text)["entries"] if not e["checked_in"]
        ]
    mix = Mix(target, seed)
    tally = Tally()
    cpu_before = cpu_seconds(server_pid)
    start = time.perf_counter() + 0.2
    threads = [
        threading.Thread(
            target=run_device,
            args=(i, phones[i], target, mix, tally, start, seconds, rate, devices),
        )
        for i in range(devices)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu_after = cpu_seconds(server_pid)
    server_cpu = None
    if cpu_before is not None and cpu_after is not None and tally.latencies:
        # What one scan costs the server, whatever else the machine is doing.
        server_cpu = round((cpu_after - cpu_before) * 1000 / len(tally.latencies), 2)
    if target.database_url:
        check = exactly_once_from_database(target, mix, tally)
    else:
        check = exactly_once_from_api(target, mix, tally, phones[0])
    for phone in phones:
        phone.close()
    return {
        "scans": len(tally.latencies),
        "seconds": round(wall, 1),
        "scans_per_s": round(len(tally.latencies) / wall, 1) if wall else 0,
        "devices": devices,
        "p50_ms": percentile(tally.latencies, 50),
        "p90_ms": percentile(tally.latencies, 90),
        "p99_ms": percentile(tally.latencies, 99),
        "max_ms": round(max(tally.latencies, default=0.0), 2),
        "outcomes": dict(sorted(tally.outcomes.items())),
        "replayed": tally.replayed,
        "server_cpu_ms_per_scan": server_cpu,
        "load_average": round(os.getloadavg()[0], 2),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
        **check,
        "database": target.database,
        "target_p99_ms": 100,
    }


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=RATE, help="scans per second, all devices")
    parser.add_argument("--devices", type=int, default=DEVICES)
    parser.add_argument("--attendees", type=int, default=0, help="default: enough for the run")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--url", default="", help="a running server instead of starting one")
    parser.add_argument("--event", default="", help="with --url: the event's slug")
    parser.add_argument("--list-id", type=int, default=0, help="with --url: default first list")
    parser.add_argument("--email", default="", help="with --url: a staff or organiser account")
    parser.add_argument("--password", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    if args.url:
        target = remote_target(args)
        print(json.dumps(drive(target, args.seconds, args.rate, args.devices, args.seed)))
        return

    from tests.servers import KnownServer

    attendees = args.attendees or int(args.rate * args.seconds) + 200
    with tempfile.TemporaryDirectory(prefix="known-bench-") as tmp:
        workdir = Path(tmp)
        database_url, drop = prepare_database(args.database_url, workdir)
        server = KnownServer(workdir=workdir, database_url=database_url)
        try:
            target = seed(database_url, attendees, server.url)
            target.url = server.url
            server.start()
            try:
                pid = server.process.pid if server.process else None
                result = drive(target, args.seconds, args.rate, args.devices, args.seed, pid)
            finally:
                server.stop()
        finally:
            drop()
    print(json.dumps(result))


def remote_target(args: argparse.Namespace) -> Target:
    """The event and list of a running server (``--url``)."""
    if not (args.event and args.email and args.password):
        raise SystemExit("--url needs --event, --email and --password")
    target = Target(
        url=args.url.rstrip("/"),
        slug=args.event,
        list_id=args.list_id,
        emails=[args.email],
        password=args.password,
        database="remote (" + args.url + ")",
    )
    if not target.list_id:
        probe = Device(target.url, args.email, args.password)
        status, text = probe.request("GET", f"/api/events/{target.slug}/checkin/lists")
        probe.close()
        lists = json.loads(text).get("lists", []) if status == 200 else []
        if not lists:
            raise SystemExit(f"no check-in list at {target.url}/organiser/events/{target.slug}")
        target.list_id = lists[0]["id"]
    return target


if __name__ == "__main__":
    main()
