"""Real time: the only module that calls ``socketio.emit``.

Domain events recorded on the session (``conference.db.record``) are emitted here after the
transaction commits, each to the one room it names. With ``KNOWN_MESSAGE_QUEUE`` set, Flask-SocketIO
sends every emit through Redis so clients connected to any process receive it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_socketio import join_room as _join_room

from conference.db import DomainEvent, add_publisher
from conference.extensions import socketio

log = logging.getLogger(__name__)


def publish(events: list[DomainEvent]) -> None:
    """Emit committed domain events, each to its own room."""
    for ev in events:
        socketio.emit(ev.name, ev.payload, to=ev.room, namespace=ev.namespace)


def send_to_client(name: str, payload: dict[str, Any], *, sid: str, namespace: str) -> None:
    """Emit to a single connected client (its own sid is its private room): snapshots, kicks."""
    socketio.emit(name, payload, to=sid, namespace=namespace)


def join(room: str, *, sid: str | None = None, namespace: str | None = None) -> None:
    """Put the current (or the given) client into ``room``."""
    _join_room(room, sid=sid, namespace=namespace)


def init_app(app: Flask) -> None:
    """Bind Socket.IO to ``app`` (with the message queue, if any) and start publishing."""
    queue = app.config.get("KNOWN_MESSAGE_QUEUE")
    # Flask-SocketIO keeps server options across init_app calls: without this, an app built
    # with a queue would leave its Redis client manager to the next app built without one.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="gevent",
        message_queue=queue,
        # Separate channels keep two deployments (or a test run and a benchmark) sharing one
        # Redis from receiving each other's broadcasts.
        channel=app.config.get("KNOWN_QUEUE_CHANNEL", "known"),
        cors_allowed_origins=[app.config["KNOWN_BASE_URL"]],
        manage_session=False,
    )
    add_publisher(publish)
