"""A request stuck in PostgreSQL does not stall the other clients of its process.

``python app.py`` serves every client from one gevent hub. ``app.py`` monkey-patches first,
so psycopg 3 waits for the server through gevent (its ``wait_c`` would block the whole hub).
Here a real server process gets a request that waits on a lock in PostgreSQL, as behind a
migration's ``ALTER TABLE`` or a long transaction; while it waits, another client is
answered, and the waiting request completes once the lock is gone.

Run with ``PSYCOPG_WAIT_FUNC=wait_c`` in the server's environment (psycopg's blocking wait),
the health check is not answered while the lock is held and this test fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from conference.extensions import db
from tests import conftest
from tests.conftest import make_test_app
from tests.factories import Factory
from tests.servers import KnownServer

pytestmark = pytest.mark.integration

WAITING_ON_EVENT = sa.text(
    "SELECT count(*) FROM pg_locks WHERE relation = 'event'::regclass AND NOT granted"
)


@pytest.fixture
def event(postgres_url: str) -> Iterator[dict[str, str]]:
    """One event in the test's PostgreSQL schema; the tables are emptied afterwards."""
    application = make_test_app(postgres_url)
    try:
        with application.app_context():
            created = Factory(db.session).event(name="Gevent Conf")
            data = {"slug": created.slug, "name": created.name}
            db.session.remove()  # no transaction of ours may hold the table
            db.engine.dispose()
        yield data
    finally:
        conftest._truncate_all(postgres_url)


@pytest.fixture
def server(event: dict[str, str], postgres_url: str, tmp_path: Path) -> Iterator[KnownServer]:
    """A real ``python app.py`` (one process, one gevent hub) on that schema."""
    known = KnownServer(workdir=tmp_path, database_url=postgres_url)
    known.start()
    try:
        yield known
    finally:
        known.stop()


def _wait_until(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_request_waiting_on_a_lock_does_not_stall_other_clients(
    server: KnownServer, event: dict[str, str], postgres_url: str
) -> None:
    page = f"{server.url}/e/{event['slug']}"
    assert requests.get(page, timeout=30).status_code == 200  # warm: pool, templates

    engine = sa.create_engine(postgres_url)
    locker = engine.connect()
    watcher = engine.connect()
    blocked: dict[str, Any] = {}

    def visit() -> None:
        try:
            blocked["response"] = requests.get(page, timeout=120)
        except BaseException as err:  # reported in the test's thread
            blocked["error"] = err

    visitor = threading.Thread(target=visit)
    try:
        # Another transaction takes the event table, as a migration's ALTER TABLE would.
        locker.execute(sa.text("SET LOCAL lock_timeout = '30s'"))  # never hang the test
        locker.execute(sa.text("LOCK TABLE event IN ACCESS EXCLUSIVE MODE"))
        visitor.start()
        # The public page's query now waits in PostgreSQL for that lock.
        _wait_until(
            lambda: watcher.scalar(WAITING_ON_EVENT) >= 1 or not visitor.is_alive(),
            "the event page's query to wait for the lock",
        )
        assert visitor.is_alive(), blocked

        # Meanwhile another client is served, database included (SELECT 1, no event table).
        health = requests.get(f"{server.url}/healthz", timeout=30)
        assert health.status_code == 200, health.text
        assert health.json()["database"]["ok"] is True

        # ...and was answered while the first request still waited.
        assert visitor.is_alive()
        assert watcher.scalar(WAITING_ON_EVENT) >= 1
    finally:
        locker.rollback()  # the lock goes; the waiting query proceeds
        locker.close()
        visitor.join(timeout=60)
        watcher.close()
        engine.dispose()

    assert not visitor.is_alive()
    assert "error" not in blocked, blocked
    response = blocked["response"]
    assert response.status_code == 200
    assert event["name"] in response.text
