"""Shared fixtures: the app on SQLite (and PostgreSQL when configured), clients, factories.

``KNOWN_TEST_DATABASE_URL`` adds a PostgreSQL run of every database-backed test: the
migrations are applied to a fresh schema, and each test starts from empty tables.
With ``CI=true`` a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

os.environ.setdefault("KNOWN_ENV", "testing")
os.environ.setdefault("KNOWN_SECRET_KEY", "test-secret-" + "x" * 40)
os.environ.setdefault("KNOWN_BASE_URL", "http://known.test")

from conference import create_app
from conference.extensions import db, socketio
from tests import factories

PG_URL = os.environ.get("KNOWN_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("KNOWN_TEST_REDIS_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI the real services are required: refuse to run without them."""
    from conference.accounts import service as accounts

    # Still scrypt, at a cost that keeps hundreds of logins in the suite fast.
    accounts.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    if IN_CI and not (PG_URL and REDIS_URL):
        raise pytest.UsageError(
            "CI=true needs KNOWN_TEST_DATABASE_URL and KNOWN_TEST_REDIS_URL (see .ci/run)"
        )


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service is missing, except in CI where that is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: missing services fail the run)")
    pytest.skip(reason)


def _with_search_path(url: str, schema: str) -> str:
    parsed = sa.engine.make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema with every migration applied; dropped at the end."""
    if not PG_URL:
        skip_or_fail("KNOWN_TEST_DATABASE_URL is not set")
    schema = f"known_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as err:
        skip_or_fail(f"PostgreSQL at KNOWN_TEST_DATABASE_URL is not reachable: {err}")
    url = _with_search_path(PG_URL, schema)
    migrate_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with migrate_app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_test_app(database_url: str, **config: Any) -> Any:
    """An app for tests: CSRF off unless asked for, rate limits on."""
    settings: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this run of the test uses."""
    return str(request.param)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra configuration for the ``app`` fixture; override in a module to change it."""
    return {}


@pytest.fixture
def app(backend: str, request: pytest.FixtureRequest, app_config: dict[str, Any]) -> Iterator[Any]:
    """The Known app bound to an empty database, inside an app context."""
    url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    application = make_test_app(url, **app_config)
    with application.app_context():
        if backend == "sqlite":
            db.create_all()
        try:
            yield application
        finally:
            db.session.remove()
            if backend == "postgresql":
                db.engine.dispose()
                _truncate_all(url)
            else:
                db.drop_all()
                db.engine.dispose()


@pytest.fixture
def session(app: Any) -> Any:
    """The unit-of-work session, for service calls in tests."""
    return db.session


@pytest.fixture
def make(session: Any) -> factories.Factory:
    """Factories bound to the test session."""
    return factories.Factory(session)


class Auth:
    """Logs accounts in and out through the real login form."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def login(self, account: Any, password: str = factories.PASSWORD) -> Any:
        return self.client.post("/login", data={"email": account.email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: Any) -> Auth:
    """Log in through the login form."""
    return Auth(client)


@pytest.fixture
def socket_client(app: Any, client: Any) -> Any:
    """Factory of Flask-SocketIO test clients sharing the Flask client's cookies."""
    clients: list[Any] = []

    def connect(namespace: str, flask_client: Any = None, **kwargs: Any) -> Any:
        sio = socketio.test_client(
            app, namespace=namespace, flask_test_client=flask_client or client, **kwargs
        )
        clients.append(sio)
        return sio

    yield connect
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The session's one Playwright instance: two sync instances cannot live side by side."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
