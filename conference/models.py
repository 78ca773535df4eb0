"""Every model, imported in one place so Alembic and ``create_all`` see the whole schema."""

from conference.accounts.models import Account
from conference.badges.models import Badge
from conference.events.models import Event, Membership, StaffInvite
from conference.people.models import Attendee, AttendeeHandle, Avatar, ImportJob, LoginLink

__all__ = [
    "Account",
    "Attendee",
    "AttendeeHandle",
    "Avatar",
    "Badge",
    "Event",
    "ImportJob",
    "LoginLink",
    "Membership",
    "StaffInvite",
]
