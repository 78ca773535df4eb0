"""/healthz reports the database and the message queue."""

import os
from typing import Any

import pytest

from tests.conftest import skip_or_fail


def test_healthz_reports_the_database(client: Any, backend: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] == backend
    assert body["queue"] == {"ok": True, "ms": body["queue"]["ms"], "configured": False}


@pytest.mark.parametrize("app_config", [{"KNOWN_MESSAGE_QUEUE": "redis://127.0.0.1:1/0"}])
def test_healthz_is_503_when_the_queue_is_down(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["queue"]["ok"] is False


def test_healthz_with_redis(app: Any, client: Any) -> None:
    url = os.environ.get("KNOWN_TEST_REDIS_URL")
    if not url:
        skip_or_fail("KNOWN_TEST_REDIS_URL is not set")
    app.config["KNOWN_MESSAGE_QUEUE"] = url
    body = client.get("/healthz").json
    assert body["queue"]["ok"] is True and body["queue"]["configured"] is True
