"""Domain errors with stable string codes, shared by every service.

HTTP maps a code to a status (``STATUS_BY_CODE``); sockets answer ``{"ok": false, "error": code}``.
"""

from __future__ import annotations

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "not_your_event": 403,
    "forbidden": 403,
    "invite_used": 410,
    "invite_expired": 410,
    "email_taken": 409,
    "slug_taken": 409,
    "rate_limited": 429,
    "undo_expired": 409,
    "already_undone": 409,
}


class DomainError(Exception):
    """A rule of the domain said no; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status this error maps to (422 when the input broke a rule)."""
        return STATUS_BY_CODE.get(self.code, 422)

    def as_dict(self) -> dict[str, object]:
        """The JSON / socket-ack shape of this error."""
        return {"ok": False, "error": self.code, "message": self.message}
