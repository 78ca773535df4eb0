"""The ``/me`` namespace: an attendee's own phones, for prompts meant for them alone.

A logged-in attendee is put into ``attendee:<id>`` on connect. ``join`` answers with the
snapshot of what waits for them (requests to confirm that someone found them), so a phone that
slept through a ``confirm_request`` still shows it. Nothing is stored on the namespace.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import Namespace

from conference import realtime
from conference.extensions import db, socketio
from conference.hunt import service


def _attendee() -> Any:
    if current_user.is_authenticated and getattr(current_user, "is_attendee", False):
        return current_user._get_current_object()
    return None


class MeNamespace(Namespace):
    """Attendees' phones; no per-client state lives on this (singleton) instance."""

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Logged-in attendees only; each joins their own room."""
        attendee = _attendee()
        if attendee is None:
            return False
        realtime.join(service.attendee_room(attendee.id), sid=request.sid)  # type: ignore[attr-defined]
        return True

    def on_join(self, data: Any = None) -> dict[str, Any]:
        """The requests waiting for this attendee (the snapshot after a reconnect)."""
        attendee = _attendee()
        if attendee is None:
            return {"ok": False, "error": "not_allowed"}
        requests = service.pending_requests(db.session(), attendee=attendee)
        db.session.commit()
        return {"ok": True, "requests": [r.as_dict() for r in requests]}


def init_app() -> None:
    """Register the namespace."""
    socketio.on_namespace(MeNamespace(service.ME_NAMESPACE))
