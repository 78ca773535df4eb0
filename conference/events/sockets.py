"""The ``/event`` namespace: an event's team screens join their room and get live updates."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import Namespace

from conference import realtime
from conference.events import service
from conference.events.models import ORGANISER, STAFF
from conference.extensions import db, socketio

AUDIENCES = {ORGANISER: (ORGANISER,), STAFF: (ORGANISER, STAFF)}


class EventNamespace(Namespace):
    """Team screens of one event; no per-client state lives on this (singleton) instance."""

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Accept logged-in accounts only."""
        return bool(
            current_user.is_authenticated and not getattr(current_user, "is_attendee", False)
        )

    def on_join(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """Join the room of one audience of one event the caller belongs to."""
        data = data or {}
        event = service.get_event(db.session(), str(data.get("event", "")))
        audience = str(data.get("audience", ORGANISER))
        if event is None or audience not in AUDIENCES:
            return {"ok": False, "error": "not_found"}
        if not service.has_role(
            db.session(),
            account_id=int(current_user.id),
            event_id=event.id,
            roles=AUDIENCES[audience],
        ):
            return {"ok": False, "error": "not_your_event"}
        realtime.join(service.event_room(event.id, audience), sid=request.sid)  # type: ignore[attr-defined]
        return {"ok": True}


def init_app() -> None:
    """Register the namespace."""
    socketio.on_namespace(EventNamespace("/event"))
