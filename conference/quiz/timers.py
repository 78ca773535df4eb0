"""Question deadlines, and throttled broadcasts.

The deadline of an open question lives in the database (``quiz_run.closes_at``); a greenlet per
open question only *acts* on it. It sleeps until ``closes_at``, re-reads the run (a pause, an
extension or an early close may have changed things) and calls ``service.close_by_timer``,
whose conditional UPDATE closes the question once however many timers (in however many
processes) fire. After a restart nothing is in memory, so a sweeper, started once per process
when the first client connects, schedules a timer for every open question it finds (an overdue
one closes at once) and looks again every ``QUIZ_SWEEP_SECONDS`` in case a question opened by
another process lost its timer.

Timers and throttles are per-process bookkeeping kept in ``app.extensions``, never per-client
state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from conference.db import utcnow
from conference.extensions import db, socketio
from conference.quiz import service

log = logging.getLogger(__name__)

TIMERS = "quiz_timers"
SWEEPER = "quiz_sweeper"
THROTTLES = "quiz_throttles"
MAX_SLEEP = 30.0  # wake at least this often, so a changed deadline is never missed for long


def _registry(app: Flask) -> dict[Any, Any]:
    return app.extensions.setdefault(TIMERS, {})  # type: ignore[no-any-return]


def schedule(app: Flask, run_id: int, index: int) -> None:
    """Make sure a timer waits on question ``index`` of the run (one per question)."""
    timers = _registry(app)
    key = (run_id, index)
    existing = timers.get(key)
    if existing is not None and not getattr(existing, "dead", True):
        return
    timers[key] = socketio.start_background_task(_wait_and_close, app, run_id, index)


def _wait_and_close(app: Flask, run_id: int, index: int) -> None:
    failures = 0
    try:
        while True:
            try:
                with app.app_context():
                    wait = service.seconds_until_close(
                        db.session(), run_id=run_id, index=index, now=utcnow()
                    )
                    if wait == 0:
                        service.close_by_timer(
                            db.session(), run_id=run_id, index=index, now=utcnow()
                        )
                        db.session.commit()
                        return
            except Exception:
                failures += 1
                log.exception("closing question %d of quiz run %d failed", index, run_id)
                if failures >= 10:
                    return
                wait = 0.5 * failures
            if wait is None:
                return
            socketio.sleep(min(max(wait, 0.01), MAX_SLEEP))
    finally:
        _registry(app).pop((run_id, index), None)


def ensure_sweeper(app: Flask) -> None:
    """Start this process's sweeper once (called when a client connects)."""
    if app.extensions.get(SWEEPER) is None:
        app.extensions[SWEEPER] = socketio.start_background_task(_sweep, app)


def sweep_once(app: Flask) -> int:
    """Schedule a timer for every open question in the database; returns how many."""
    with app.app_context():
        found = service.open_questions(db.session())
        db.session.rollback()
    for run_id, index in found:
        schedule(app, run_id, index)
    return len(found)


def _sweep(app: Flask) -> None:
    interval = float(app.config.get("QUIZ_SWEEP_SECONDS", 15))
    while True:
        try:
            sweep_once(app)
        except Exception:
            log.exception("the quiz timer sweep failed")
        socketio.sleep(interval)


def stop_all(app: Flask) -> None:
    """Kill this app's timers, sweeper and trailing broadcasts (tests; shutdown)."""
    tasks = list(_registry(app).values())
    tasks += [app.extensions.pop(SWEEPER, None)]
    tasks += [task for _, task in app.extensions.get(THROTTLES, {}).values()]
    for task in tasks:
        if task is not None and hasattr(task, "kill"):
            task.kill()
    _registry(app).clear()
    app.extensions.pop(THROTTLES, None)


def throttle(app: Flask, key: str, interval: float, send: Callable[[Session], None]) -> bool:
    """Rate-limit a broadcast: True means "record it now, in your transaction"; otherwise a
    trailing ``send`` runs in its own transaction once the interval is over, so the last state
    always goes out."""
    if interval <= 0:
        return True
    throttles: dict[str, tuple[float, Any]] = app.extensions.setdefault(THROTTLES, {})
    now = time.monotonic()
    last, trailing = throttles.get(key, (0.0, None))
    if now - last >= interval and trailing is None:
        throttles[key] = (now, None)
        return True
    if trailing is None:
        delay = max(0.0, last + interval - now)
        task = socketio.start_background_task(_trailing, app, key, delay, send)
        throttles[key] = (last, task)
    return False


def _trailing(app: Flask, key: str, delay: float, send: Callable[[Session], None]) -> None:
    socketio.sleep(delay)
    throttles: dict[str, tuple[float, Any]] = app.extensions.setdefault(THROTTLES, {})
    throttles[key] = (time.monotonic(), None)
    try:
        with app.app_context():
            send(db.session())
            db.session.commit()
    except Exception:
        log.exception("a throttled quiz broadcast (%s) failed", key)
