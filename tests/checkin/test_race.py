"""Exactly once under real concurrency, against PostgreSQL (SQLite serialises every writer).

Two kinds of race:

* in process: two threads, each with its own test client, session and connection, are held
  at a barrier right before sending their check-in INSERT and released together, so both
  inserts reach PostgreSQL at the same moment (the hook is SQLAlchemy's
  ``before_cursor_execute`` event, not the database);
* over the network: a real ``python app.py`` (gevent, psycopg yielding to other requests)
  gets 20 simultaneous requests for the same badge from 20 keep-alive connections, for
  several badges in a row; and 10 copies of one request with the same nonce.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event

from conference.badges import service as badges
from conference.checkin import service
from conference.checkin.models import CheckIn, Scan
from conference.db import DomainEvent, add_publisher, remove_publisher, utcnow
from conference.extensions import db
from tests import conftest
from tests.checkin.conftest import Desk, make_desk
from tests.conftest import Auth, make_test_app
from tests.factories import PASSWORD, Factory
from tests.servers import KnownServer

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Any]:
    """An app on the migrated PostgreSQL schema; emptied afterwards."""
    application = make_test_app(postgres_url)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        conftest._truncate_all(postgres_url)


def _setup(app: Any, guests: int) -> tuple[Desk, list[str], list[Any]]:
    """A desk, ``guests`` badge tokens, and two staff accounts (two devices)."""
    with app.app_context():
        session = db.session
        make = Factory(session)
        desk = make_desk(session, make)
        second = make.member(desk.event, make.account(name="Kim Lee"))
        tokens = []
        for n in range(guests):
            attendee = make.attendee(desk.event, name=f"Guest {n}", company="Co")
            tokens.append(badges.ensure_badge(session, attendee=attendee, now=utcnow()).token)
        session.commit()
        # Loaded now, the plain values outlive the session.
        for row in (desk.event, desk.lst, desk.staff, second):
            session.refresh(row)
        session.expunge_all()
    return desk, tokens, [desk.staff, second]


def _counts(url: str) -> tuple[dict[int, int], int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        per_attendee = dict(
            conn.execute(
                sa.select(CheckIn.attendee_id, sa.func.count())
                .where(CheckIn.undone_at.is_(None))
                .group_by(CheckIn.attendee_id)
            ).all()
        )
        scans = conn.scalar(sa.select(sa.func.count(Scan.id)))
    engine.dispose()
    return per_attendee, int(scans or 0)


# --- two threads, released together right before the insert -------------------------------


def _scan_together(app: Any, desk: Desk, scans: list[tuple[Any, str]]) -> list[dict[str, Any]]:
    """Post each (staff account, badge token) from its own thread, test client and connection,
    each held right before its check-in INSERT and all released together; their answers."""
    barrier = threading.Barrier(len(scans), timeout=20)
    built = Counter[int]()

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Each thread waits once, right before its check-in INSERT: the inserts then race.
        if not statement.startswith("INSERT INTO check_in"):
            return
        me = threading.get_ident()
        built[me] += 1
        if built[me] == 1:
            barrier.wait()

    answers: list[dict[str, Any]] = [{} for _ in scans]
    errors: list[BaseException] = []

    def device(i: int, account: Any, token: str) -> None:
        try:
            client = app.test_client()
            assert Auth(client).login(account).status_code == 302
            response = client.post(
                f"/api/events/{desk.event.slug}/checkin",
                json={
                    "token": token,
                    "list_id": desk.lst.id,
                    "nonce": str(uuid.uuid4()),
                    "scanned_at": utcnow().isoformat(),
                },
            )
            answers[i] = response.get_json()
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)
            barrier.abort()

    sa_event.listen(sa.engine.Engine, "before_cursor_execute", hold)
    try:
        threads = [
            threading.Thread(target=device, args=(i, account, token))
            for i, (account, token) in enumerate(scans)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sa_event.remove(sa.engine.Engine, "before_cursor_execute", hold)
    assert not errors, errors
    return answers


def test_two_devices_scanning_one_badge_at_once_check_in_once(
    pg_app: Any, postgres_url: str
) -> None:
    desk, [token], staff = _setup(pg_app, 1)
    answers = _scan_together(pg_app, desk, [(account, token) for account in staff])
    assert sorted(a["code"] for a in answers) == ["already_checked_in", "ok"]
    loser = next(a for a in answers if a["code"] == "already_checked_in")
    winner = next(a for a in answers if a["code"] == "ok")
    assert loser["previous"]["by"] == winner["check_in"]["by"]
    per_attendee, scans = _counts(postgres_url)
    assert list(per_attendee.values()) == [1]
    assert scans == 2


def test_two_doors_admitting_two_people_at_once_push_the_exact_counts(
    pg_app: Any, postgres_url: str
) -> None:
    # Two different badges at two doors of one list, both INSERTs released together: each
    # transaction alone would count itself but not the other (read committed), and a screen
    # would be left showing 1 of 2. The list's version orders the pushes, and the push with the
    # higher version counts both.
    desk, tokens, staff = _setup(pg_app, 2)
    pushes: list[dict[str, Any]] = []

    def collect(events: list[DomainEvent]) -> None:
        pushes.extend(e.payload for e in events if e.name == "checkin_update")

    add_publisher(collect)
    try:
        answers = _scan_together(pg_app, desk, list(zip(staff, tokens, strict=True)))
    finally:
        remove_publisher(collect)
    assert [a["code"] for a in answers] == ["ok", "ok"]
    # One push per audience (staff and organisers) per check-in.
    by_version = {p["version"]: p["checked_in"] for p in pushes}
    assert len(pushes) == 4
    assert by_version == {1: 1, 2: 2}

    client = pg_app.test_client()
    assert Auth(client).login(staff[0]).status_code == 302
    [listed] = client.get(f"/api/events/{desk.event.slug}/checkin/lists").get_json()["lists"]
    assert (listed["version"], listed["checked_in"]) == (2, 2)


# --- a real server, 20 connections at once ------------------------------------------------


class Device:
    """One scanner phone: a keep-alive HTTP connection with a logged-in session."""

    def __init__(self, server: KnownServer, email: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.cookie = ""
        page = self.request("GET", "/login")[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token is not None
        form = f"csrf_token={token[1]}&email={email}&password={PASSWORD.replace(' ', '+')}"
        status, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 302
        self.csrf = token[1]

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        head = {"Cookie": self.cookie, **(headers or {})}
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("known_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def close(self) -> None:
        self.conn.close()

    def check_in(self, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        status, text = self.request(
            "POST",
            f"/api/events/{slug}/checkin",
            json.dumps(body),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        assert status == 200, text
        return json.loads(text)  # type: ignore[no-any-return]


def _together(devices: list[Device], work: Any) -> list[Any]:
    """Run ``work(device)`` on every device at the same moment; their answers, in order."""
    barrier = threading.Barrier(len(devices), timeout=30)
    answers: list[Any] = [None] * len(devices)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            answers[i] = work(i, devices[i])
        except BaseException as err:  # reported in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(devices))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    return answers


@pytest.fixture
def server(pg_app: Any, postgres_url: str, tmp_path: Path) -> Iterator[KnownServer]:
    """A real ``python app.py`` on the test's PostgreSQL schema."""
    known = KnownServer(workdir=tmp_path, database_url=postgres_url)
    known.start()
    try:
        yield known
    finally:
        known.stop()


@pytest.fixture
def connect(server: KnownServer) -> Iterator[Any]:
    """Log devices in (as the given accounts); their connections close after the test."""
    opened: list[Device] = []

    def open_devices(emails: list[str]) -> list[Device]:
        for email in emails:
            opened.append(Device(server, email))
        return opened[-len(emails) :]

    yield open_devices
    for device in opened:
        device.close()


def test_twenty_simultaneous_requests_for_one_badge_make_one_check_in(
    pg_app: Any, postgres_url: str, server: KnownServer, connect: Any
) -> None:
    desk, tokens, staff = _setup(pg_app, 6)
    devices = connect([staff[i % 2].email for i in range(20)])
    slug = desk.event.slug

    for token in tokens:
        # Half the devices send the bare token, half the full badge URL.
        def scan(i: int, device: Device, token: str = token) -> dict[str, Any]:
            text = token if i % 2 else f"{server.url}/b/{token}"
            body = {
                "token": text,
                "list_id": desk.lst.id,
                "nonce": str(uuid.uuid4()),
                "scanned_at": utcnow().isoformat(),
            }
            return device.check_in(slug, body)

        answers = _together(devices, scan)
        codes = Counter(a["code"] for a in answers)
        assert codes == {"ok": 1, "already_checked_in": 19}, codes

    per_attendee, scans = _counts(postgres_url)
    assert sorted(per_attendee.values()) == [1] * len(tokens)
    assert scans == 20 * len(tokens)


def _send_ten_copies_at_once(connect: Any, email: str, slug: str, token: str, list_id: int) -> None:
    """One request (same nonce) from ten connections at the same moment: one answer, nine
    replays of it."""
    devices = connect([email] * 10)
    body = {
        "token": token,
        "list_id": list_id,
        "nonce": str(uuid.uuid4()),
        "scanned_at": utcnow().isoformat(),
    }
    answers = _together(devices, lambda i, device: device.check_in(slug, body))
    assert {a["code"] for a in answers} == {"ok"}
    assert sorted(a["replayed"] for a in answers) == [False] + [True] * 9
    assert len({a["check_in"]["id"] for a in answers}) == 1


def test_one_request_sent_ten_times_at_once_is_decided_once(
    pg_app: Any, postgres_url: str, connect: Any
) -> None:
    desk, [token], staff = _setup(pg_app, 1)
    _send_ten_copies_at_once(connect, staff[0].email, desk.event.slug, token, desk.lst.id)
    per_attendee, scans = _counts(postgres_url)
    assert list(per_attendee.values()) == [1] and scans == 1


def test_one_request_sent_ten_times_at_once_on_a_reentry_list_is_one_entry(
    pg_app: Any, postgres_url: str, connect: Any
) -> None:
    # A re-entry list has no unique index to stop the copies: each inserts its check-in, and
    # all but the first take theirs back when the scan's nonce turns out to be taken.
    desk, [token], staff = _setup(pg_app, 1)
    with pg_app.app_context():
        lounge = service.create_list(
            db.session, event=desk.event, name="Lounge", allow_reentry=True, now=utcnow()
        )
        db.session.commit()
        lounge_id = lounge.id
    _send_ten_copies_at_once(connect, staff[0].email, desk.event.slug, token, lounge_id)
    per_attendee, scans = _counts(postgres_url)
    assert list(per_attendee.values()) == [1] and scans == 1
