"""Database plumbing: declarative base, ``utcnow()``, the unit of work and its outbox.

One transaction per HTTP request or Socket.IO event, committed at the edge. Services never
commit: they flush, and they record *domain events* on the session with :func:`record`. The
events wait in the session's outbox and are handed to the registered publishers (see
``conference.realtime``) only after the transaction commits; a rollback discards them, so no
screen ever shows what the database does not hold.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import (
    DeclarativeBase,
    Session,
    SessionTransaction,
    registry,
    scoped_session,
)
from sqlalchemy.types import DateTime, TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model, with a naming convention Alembic can diff."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, to be told to one Socket.IO room after the commit."""

    name: str
    room: str
    payload: dict[str, Any] = field(default_factory=dict)
    namespace: str = "/"


Publisher = Callable[[list[DomainEvent]], None]
_publishers: list[Publisher] = []


def add_publisher(publisher: Publisher) -> None:
    """Register a function that receives the outbox of every committed transaction."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    """Stop sending outboxes to ``publisher``."""
    if publisher in _publishers:
        _publishers.remove(publisher)


def record(session: Session | scoped_session[Session], event: DomainEvent) -> None:
    """Queue ``event`` on ``session``; it is published only if the transaction commits."""
    if not event.room:
        raise ValueError("every domain event names a room")
    real = session() if isinstance(session, scoped_session) else session
    if not real.in_transaction():
        # Tie the event to a transaction so that a rollback discards it even when no SQL ran.
        real.begin()
    real.info.setdefault("outbox", []).append(event)


def pending_events(session: Session | scoped_session[Session]) -> list[DomainEvent]:
    """The events recorded on ``session`` and not yet published (for tests and debugging)."""
    return list(session.info.get("outbox", []))


@sa_event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    # SQLAlchemy fires after_commit for released savepoints too; only the end of the outermost
    # transaction (below) may publish, so here we remember that the outermost one committed.
    if session.in_nested_transaction():
        return
    session.info["outbox_committed"] = True


@sa_event.listens_for(Session, "after_transaction_end")
def _publish_outbox(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or not session.info.pop("outbox_committed", False):
        return
    events: list[DomainEvent] = session.info.pop("outbox", [])
    if not events:
        return
    for publisher in _publishers:
        try:
            publisher(events)
        except Exception:  # the commit stands; a failed broadcast must not turn it into a 500
            log.exception("publishing %d domain events failed", len(events))


@sa_event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault("outbox_marks", {})
        marks[id(transaction)] = len(session.info.get("outbox", []))


@sa_event.listens_for(Session, "after_soft_rollback")
def _discard_outbox(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("outbox", None)
        session.info.pop("outbox_committed", None)
        session.info.pop("outbox_marks", None)
    elif previous_transaction.nested:
        # A savepoint rolled back inside a service (a unique-constraint race caught and
        # answered): drop what was recorded inside it, keep what came before.
        mark = session.info.get("outbox_marks", {}).pop(id(previous_transaction), None)
        if mark is not None and "outbox" in session.info:
            del session.info["outbox"][mark:]


P = ParamSpec("P")
R = TypeVar("R")


def unit_of_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` as one transaction: commit when it returns, roll back when it raises."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def ids(rows: Iterable[Any]) -> list[int]:
    """The ``id`` of each row, in order."""
    return [int(row.id) for row in rows]


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Let Alembic write ``UTCDateTime`` columns as plain timezone-aware ``DateTime``."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@sa_event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite as a server database: WAL (readers never wait for the writer), a busy timeout
    instead of instant "database is locked", foreign keys enforced."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose
    # the last transactions.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@sa_event.listens_for(sa.engine.Engine, "savepoint")
def _sqlite_begin_before_savepoint(conn: sa.Connection, name: str | None) -> None:
    """On SQLite, a savepoint opens the transaction if nothing did yet.

    The sqlite3 driver (legacy transaction control, the default before Python 3.16) sends
    BEGIN only before an INSERT, UPDATE or DELETE. A SAVEPOINT sent first would itself be the
    transaction, and its RELEASE would commit, out of reach of the request's rollback. So a
    BEGIN goes first.

    Why not SQLAlchemy's recipe for this driver (BEGIN at the start of *every* transaction)?
    Reads would then share one WAL snapshot until the commit, and a transaction that read a
    row before another connection committed a change to it could no longer write at all:
    SQLite answers its UPDATE with SQLITE_BUSY_SNAPSHOT ("database is locked") at once, and
    no busy timeout helps. Known's guards are conditional updates that expect, as on
    PostgreSQL, to see the latest committed row and match nothing ("the timer closed it
    already"); here they do, because the transaction starts at the first write or savepoint.
    """
    if conn.dialect.name != "sqlite" or conn.dialect.driver != "pysqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None:
        return
    # isolation_level None: SQLAlchemy's AUTOCOMMIT, where a savepoint is its own transaction.
    # in_transaction: a write came first, or another session in this thread shares the
    # connection (in-memory databases in tests) and began it.
    if dbapi_connection.isolation_level is not None and not dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")


_DIALECT_INSERTS: dict[str, Callable[[sa.Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def insert_unless_taken(
    session: Session, table: sa.Table, *, unique: list[str], where: str | None = None
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` on PostgreSQL and SQLite alike: a row the
    unique index (partial, with ``where``) refuses is simply not inserted (``RETURNING`` gives
    nothing for it) and the transaction goes on. The database, not a look-up first, decides."""
    insert = _DIALECT_INSERTS[session.get_bind().dialect.name](table)
    return insert.on_conflict_do_nothing(
        index_elements=unique, index_where=sa.text(where) if where else None
    )
