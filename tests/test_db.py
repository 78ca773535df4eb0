"""The unit of work is one transaction on every database, savepoints included.

On SQLite, the ``sqlite3`` driver's legacy transaction control sends no ``BEGIN`` before a
``SELECT`` or a ``SAVEPOINT``: a savepoint that came before the transaction's first write used
to *be* the transaction, and releasing it committed. ``conference.db`` sends the ``BEGIN``
first. The transaction still starts at the first write or savepoint, not at the first read, so
a guard sees the latest committed row (see ``_sqlite_begin_before_savepoint``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.accounts.models import Account
from conference.badges import service as badges
from conference.badges.models import Badge
from conference.db import utcnow
from conference.extensions import db
from tests.conftest import _truncate_all, make_test_app


def _accounts(session: Any) -> list[str]:
    return list(session.scalars(sa.select(Account.email).order_by(Account.email)))


def _account(email: str) -> Account:
    return Account(email=email, name="Sam Saver", password_hash="x")


def test_released_savepoint_as_first_statement_is_undone_by_rollback(session: Any) -> None:
    with session.begin_nested():
        session.add(_account("saved@example.org"))
    session.rollback()
    assert _accounts(session) == []


def test_released_savepoint_after_a_read_is_undone_by_rollback(session: Any) -> None:
    # A request usually reads first (the login, the event); reads open no SQLite transaction
    # in legacy mode either.
    assert _accounts(session) == []
    with session.begin_nested():
        session.add(_account("saved@example.org"))
    session.add(_account("later@example.org"))
    session.flush()
    session.rollback()
    assert _accounts(session) == []


def test_rolled_back_savepoint_keeps_the_earlier_write(session: Any) -> None:
    session.add(_account("kept@example.org"))
    session.flush()
    nested = session.begin_nested()
    session.add(_account("undone@example.org"))
    session.flush()
    nested.rollback()
    session.commit()
    assert _accounts(session) == ["kept@example.org"]


def test_request_that_fails_after_issuing_a_badge_leaves_no_badge(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event(), name="Ada Guest")
    attendee_id = attendee.id
    session.expire_all()  # as in a new request: the attendee is read again
    # ensure_badge issues the badge in a savepoint; the request then fails and rolls back.
    badges.ensure_badge(session, attendee=session.get(type(attendee), attendee_id), now=utcnow())
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(Badge.id))) == 0


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database two connections can share: a file for SQLite (as served), or PostgreSQL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'known.db'}"
        engine = sa.create_engine(url)
        db.metadata.create_all(engine)
        engine.dispose()
        yield url
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        _truncate_all(url)


def test_a_guard_on_a_row_changed_since_it_was_read_matches_nothing(database_url: str) -> None:
    """Two connections read a row; one changes it and commits; the other's conditional update
    then matches nothing, as the services' guards expect, instead of failing."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(Account).values(email="a@example.org", name="A", password_hash="x")
            )
        first, second = Session(engine), Session(engine)
        try:
            assert second.scalar(sa.select(Account.name)) == "A"
            first.execute(sa.update(Account).values(name="B"))
            first.commit()
            # A savepoint first, as services do around their guarded writes.
            with second.begin_nested():
                guarded = second.execute(
                    sa.update(Account).where(Account.name == "A").values(name="C")
                )
            assert guarded.rowcount == 0
            second.commit()
        finally:
            first.close()
            second.close()
        with engine.connect() as conn:
            assert conn.scalar(sa.select(Account.name)) == "B"
    finally:
        engine.dispose()


def test_a_released_savepoint_on_a_file_database_is_undone_by_rollback(tmp_path: Path) -> None:
    """The served configuration: a file, a pool of connections, the app's own session."""
    app = make_test_app(f"sqlite:///{tmp_path / 'known.db'}")
    with app.app_context():
        db.create_all()
        try:
            assert _accounts(db.session) == []
            with db.session.begin_nested():
                db.session.add(_account("saved@example.org"))
            db.session.rollback()
            assert _accounts(db.session) == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_autocommit_connections_still_autocommit_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    engine = sa.create_engine(url)
    autocommit_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    count = sa.text("SELECT count(*) FROM t")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            with engine.connect() as reader:  # not committed, yet written
                assert reader.scalar(count) == 1
        with autocommit_engine.connect() as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (2)"))
            with engine.connect() as reader:
                assert reader.scalar(count) == 2
        with engine.connect() as conn:  # the pooled connection is transactional again
            with conn.begin_nested():
                conn.execute(sa.text("INSERT INTO t VALUES (3)"))
            conn.rollback()
            assert conn.scalar(count) == 2
    finally:
        engine.dispose()
        autocommit_engine.dispose()
