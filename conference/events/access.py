"""Per-event authorisation for views: load the event, check the caller's role, or refuse."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from conference.events import service
from conference.events.models import ORGANISER, STAFF, Event
from conference.extensions import db, login_manager


def current_account_id() -> int | None:
    """The logged-in account's id, or None for anonymous users and attendees."""
    if not current_user.is_authenticated or getattr(current_user, "is_attendee", False):
        return None
    return int(current_user.id)


def event_or_404(slug: str) -> Event:
    """The event with this slug, or a 404."""
    event = service.get_event(db.session(), slug)
    if event is None:
        abort(404)
    return event


def require_role(slug: str, *roles: str) -> Event:
    """The event, if the logged-in account holds one of ``roles`` in it; 401/403/404 otherwise."""
    account_id = current_account_id()
    # The event and the caller's role come in one query: every team page asks for both.
    event, role = service.event_with_role(db.session(), slug, account_id=account_id)
    if event is None:
        abort(404)
    if account_id is None:
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    if role not in roles:
        abort(403)
    return event


def require_organiser(slug: str) -> Event:
    """The event, if the caller organises it."""
    return require_role(slug, ORGANISER)


def require_team(slug: str) -> Event:
    """The event, if the caller organises it or works on its staff."""
    return require_role(slug, ORGANISER, STAFF)


def require_account() -> int:
    """The logged-in account's id; sends anyone else to the login page."""
    account_id = current_account_id()
    if account_id is None:
        abort(login_manager.unauthorized())
    return account_id
