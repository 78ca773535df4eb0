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
