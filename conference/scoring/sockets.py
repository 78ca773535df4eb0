"""The ``/screen`` namespace: public, read-only event screens (projectors).

Anyone may connect: a screen shows only consented names. ``join`` with ``{"event": slug}``
puts the client into ``event:<id>:screen`` and answers with a full snapshot, so a screen that
reconnects (a projector laptop that slept) loses nothing. Nothing is stored on the namespace.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import Namespace

from conference import realtime
from conference.db import utcnow
from conference.events import service as events
from conference.extensions import db, socketio
from conference.scoring import service


def screen_room(event_id: int) -> str:
    """The room every screen of one event joins."""
    return events.event_room(event_id, "screen")


class ScreenNamespace(Namespace):
    """Event screens; no per-client state lives on this (singleton) instance."""

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Anyone: the screen is public and read-only."""
        return True

    def on_join(self, data: Any = None) -> dict[str, Any]:
        """Join one event's screen room; the ack carries the snapshot to draw."""
        slug = str(data.get("event", "")) if isinstance(data, dict) else ""
        event = events.get_event(db.session(), slug[:64])
        if event is None:
            return {"ok": False, "error": "not_found"}
        realtime.join(screen_room(event.id), sid=request.sid)  # type: ignore[attr-defined]
        snapshot = service.screen_snapshot(db.session(), event_id=event.id, now=utcnow())
        db.session.commit()  # end the read transaction: a projector stays connected for hours
        return {"ok": True, "snapshot": snapshot}


def init_app() -> None:
    """Register the namespace."""
    socketio.on_namespace(ScreenNamespace(service.SCREEN_NAMESPACE))
