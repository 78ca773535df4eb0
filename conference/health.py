"""``/healthz``: is this process able to serve? Checks the database and the message queue."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from conference.extensions import db, limiter

bp = Blueprint("health", __name__)


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as err:  # any failure is the answer, not a crash of the health check
        return {"ok": False, "error": f"{type(err).__name__}: {err}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database() -> dict[str, Any]:
    db.session.execute(sa.text("SELECT 1"))
    return {"dialect": db.engine.dialect.name}


def _queue() -> dict[str, Any] | None:
    url = current_app.config.get("KNOWN_MESSAGE_QUEUE")
    if not url:
        return {"configured": False}
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"configured": True}


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Any:
    """200 with details when the database and the queue answer, 503 otherwise."""
    checks = {"database": _timed(_database), "queue": _timed(_queue)}
    healthy = all(c["ok"] for c in checks.values())
    db.session.rollback()
    return jsonify({"ok": healthy, **checks}), 200 if healthy else 503
