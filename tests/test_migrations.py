"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from conference.extensions import db
from tests.conftest import make_test_app


def _diff(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    engine.dispose()
    return diff


def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    app = make_test_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert _diff(url) == []


def test_postgresql_migrations_match_models(postgres_url: str) -> None:
    # The postgres_url fixture applied every migration to a fresh schema.
    assert _diff(postgres_url) == []


def test_0008_gives_existing_handles_the_hash_new_ones_get(tmp_path: Path) -> None:
    """Handles stored before 0008 are backfilled with exactly what the app writes for new ones,
    so matching finds people who registered before the upgrade."""
    from flask_migrate import downgrade

    from conference.people import service as people
    from conference.people.handles import parse_handle
    from conference.people.models import AttendeeHandle
    from tests.factories import Factory

    url = f"sqlite:///{tmp_path / 'known.db'}"
    app = make_test_app(url)
    with app.app_context():
        upgrade()
        session = db.session()
        event = Factory(session).event()
        people.create_attendee(
            session,
            event=event,
            profile=people.Profile(name="Maria", email="maria@example.org"),
            handles=[parse_handle("@maria_dev", "x"), parse_handle("github.com/mdev")],
        )
        session.commit()
        written = dict(session.execute(sa.select(AttendeeHandle.id, AttendeeHandle.key_hash)).all())
        assert len(written) == 2 and all(written.values())
        session.close()
        downgrade(revision="0007")
        upgrade()
        backfilled = dict(
            db.session.execute(sa.select(AttendeeHandle.id, AttendeeHandle.key_hash)).all()
        )
        db.engine.dispose()
    assert backfilled == written
